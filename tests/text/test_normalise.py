"""The one normalisation of recognition search, tested with hand-worked expectations.

Every expected value below was derived by hand from the rules in the module docstring
(fold to ASCII, then j/y → i, w → v, ph → f, kh → h, ck → k, x → ks, runs of one letter
→ one letter), never by calling the code under test.
"""

from __future__ import annotations

import random
import re

import pytest

from regulars.text.normalise import (
    MAX_QUERY_CHARS,
    Query,
    edit_distance,
    fold,
    normalise,
    parse_query,
    phone_digits,
    phone_variants,
    prefix_variants,
    skeleton,
    words,
)

WORD = re.compile(r"[a-z0-9]+")
NORMALISED = re.compile(r"(?:[a-z0-9]+(?: [a-z0-9]+)*)?")
ASCII_DIGITS = re.compile(r"[0-9]*")


# --- accents and case ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("accented", "plain", "expected"),
    [
        ("José", "jose", "iose"),
        ("Søren", "soren", "soren"),
        ("Ærø", "aero", "aero"),
        ("Straße", "strasse", "strase"),
        ("Müller", "muller", "muler"),
        ("JOSÉ", "José", "iose"),
        # A decomposed accent (e + combining acute) is composed by NFKC first.
        ("Jose\u0301", "jose", "iose"),
    ],
)
def test_it_ignores_accents_and_case(accented: str, plain: str, expected: str) -> None:
    assert normalise(accented) == expected
    assert normalise(plain) == expected


def test_it_folds_to_ascii_words_separated_by_one_space() -> None:
    assert fold("José Ølgaard-Щукин") == "jose olgaard shchukin"
    assert fold("  ÆRØ\t\tSTRASSE  ") == "aero strasse"


# --- scripts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (("Мария", "Maria", "Mariya", "MARIA"), ["maria"]),
        (("Ольга", "olga", "Olga"), ["olga"]),
        (("Сергей", "Sergei", "Sergey", "Sergej"), ["sergei"]),
        (("Наталья", "Natalia", "Natalya"), ["natalia"]),
        (("Юлия", "Julia", "Yulia", "Yuliya"), ["iulia"]),
        (("Алексей", "Alexei", "Aleksey", "Aleksej"), ["alecsei"]),
        (("Karl", "Carl", "KARL"), ["carl"]),
        (("Kristian", "Christian", "Кристиан"), ["cristian"]),
        (("Michele", "Mikele"), ["micele"]),
        (("Giuseppe", "Giusepe"), ["giusepe"]),
        (("Дарья", "Daria", "Darya"), ["daria"]),
        (("Мария Иванова", "Maria Ivanova"), ["maria", "ivanova"]),
    ],
)
def test_it_gives_the_same_words_across_scripts_and_spellings(
    spellings: tuple[str, ...], expected: list[str]
) -> None:
    for spelling in spellings:
        assert words(spelling) == expected, spelling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The soft and hard signs transliterate to an apostrophe, which is dropped
        # rather than splitting the name in two.
        ("Дарья", ["daria"]),
        ("Ольга", ["olga"]),
        ("Подъячев", ["podiacev"]),
        # Typed apostrophes inside a name are dropped too.
        ("O'Brien", ["obrien"]),
        ("D’Angelo", ["dangelo"]),
    ],
)
def test_it_drops_apostrophes_instead_of_splitting_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("philipp", "filip"),
        ("khristina", "hristina"),
        ("jackson", "iacson"),
        ("alexander", "alecsander"),
        ("wojciech", "voiciec"),
        ("yvonne", "ivone"),
        ("giuseppe", "giusepe"),
        ("anna", "ana"),
        ("r2d2", "r2d2"),
        # Digits are never collapsed: 1122 and 12 are different numbers.
        ("1122", "1122"),
        ("a11", "a11"),
    ],
)
def test_it_folds_each_word_to_its_spelling_skeleton(word: str, expected: str) -> None:
    assert skeleton(word) == expected


@pytest.mark.parametrize(
    "word",
    [
        # Georgian surnames: kh → h turns "pkh" into "ph", which the ph → f rule has
        # already passed over.
        "pkhakadze",
        "pkhaladze",
        # ck → k on "cck" leaves a new "ck".
        "mcckinley",
    ],
)
def test_it_gives_a_skeleton_that_a_second_pass_does_not_change(word: str) -> None:
    once = skeleton(word)
    assert skeleton(once) == once


# --- separators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Anna-Rossi",
        "Anna, Rossi.",
        "(Anna) [Rossi]!",
        "Anna😀Rossi",
        "Anna 👩‍👩‍👧 Rossi",
        "Anna\x00Rossi",
        "Anna\x1bRossi",
        "Anna\u2028Rossi",
        "Anna\tRossi",
        "Anna\r\nRossi",
        "\u200b\ufeffAnna\u200d \u00a0Rossi\u200c",
        "Anna/Rossi@example",
    ],
)
def test_it_splits_words_on_punctuation_symbols_and_control_characters(text: str) -> None:
    result = words(text)
    assert result[:2] == ["ana", "rosi"]
    assert all(WORD.fullmatch(word) for word in result)


@pytest.mark.parametrize("text", ["An\u200bna", "An\u00adna", "\ufeffAn\u200dna"])
def test_it_drops_invisible_format_characters_inside_a_word(text: str) -> None:
    assert words(text) == ["ana"]


@pytest.mark.parametrize(
    "text",
    ["", " ", "\t\n", "—!?…", "😀🎉", "\x00\x1b\x7f", "\u200b\u200d\ufeff", "'’ʼ`´", "-_-"],
)
def test_it_gives_no_words_for_text_without_letters_or_digits(text: str) -> None:
    assert words(text) == []
    assert normalise(text) == ""


# --- digits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anna 2024", ["ana", "2024"]),
        ("Table 12", ["table", "12"]),
        ("Rossi, 333-12", ["rosi", "333", "12"]),
        # NFKC turns full-width digits into ASCII ones.
        ("３３３", ["333"]),
    ],
)
def test_it_keeps_digits_as_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+39 333-12", "3933312"),
        ("0039 333", "39333"),
        ("  0039 333", "39333"),
        ("(051) 22", "05122"),
        ("051.22/33", "0512233"),
        ("333", "333"),
        ("", ""),
        ("no digits", ""),
    ],
)
def test_it_reads_the_digits_of_a_phone_number(text: str, expected: str) -> None:
    assert phone_digits(text) == expected


def test_it_keeps_only_ascii_digits_of_a_phone_number() -> None:
    # Arabic-Indic and full-width digits count as str.isdigit() but are not ASCII:
    # phone_digits drops them rather than letting them reach the digits index.
    result = phone_digits("+39 ٣٣٣ ３３ 12")
    assert result == "3912"
    assert ASCII_DIGITS.fullmatch(result)
    assert phone_digits("٠١٢٣٤٥٦٧٨٩") == ""


# --- parse_query --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("+39 333", "39333"),
        ("333-12", "33312"),
        ("(051) 22", "05122"),
        ("0039 333", "39333"),
        ("051.22/33", "0512233"),
        (" 333 ", "333"),
    ],
)
def test_it_reads_a_phone_like_query_as_digits_only(text: str, digits: str) -> None:
    query = parse_query(text)
    assert (query.words, query.digits) == ((), digits)


def test_it_reads_names_as_words_in_order_without_duplicates() -> None:
    assert parse_query("Anna Rossi anna ROSSI Bianchi") == Query(
        words=("ana", "rosi", "bianci"), digits=""
    )


def test_it_reads_names_mixed_with_digits_as_words_only() -> None:
    # Not phone-like as a whole, so the digits are a word and there is no digits field;
    # "rossi" has its doubled s collapsed like every other word.
    assert parse_query("Rossi 333") == Query(words=("rosi", "333"), digits="")


def test_it_reads_arabic_indic_digits_as_an_ascii_word() -> None:
    # The phone pattern only accepts ASCII digits, so this is not phone-like; fold then
    # transliterates the digits, which keeps every word within [a-z0-9].
    assert parse_query("٣٣٣") == Query(words=("333",), digits="")


@pytest.mark.parametrize("text", ["", " ", "   \t\n", "+", "--", "()", "😀", "\x00"])
def test_it_gives_an_empty_query_for_nothing_usable(text: str) -> None:
    query = parse_query(text)
    assert query == Query(words=(), digits="")
    assert query.is_empty is True


def test_it_is_not_empty_with_words_or_digits() -> None:
    assert Query(words=("ana",), digits="").is_empty is False
    assert Query(words=(), digits="333").is_empty is False


def test_it_cuts_a_long_query_before_normalising() -> None:
    text = "a" * (MAX_QUERY_CHARS - 1) + " bob" + " carla" * 2000
    assert len(text) > 10_000
    assert parse_query(text) == Query(words=("a",), digits="")


def test_it_cuts_a_long_phone_query_before_reading_digits() -> None:
    assert parse_query("3" * 10_000) == Query(words=(), digits="3" * MAX_QUERY_CHARS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"rossi*" NEAR anna', ("rosi", "near", "ana")),
        ("rossi OR 1=1", ("rosi", "or", "1")),
        ("anna AND rossi", ("ana", "and", "rosi")),
        ("'; DROP TABLE customers; --", ("drop", "table", "customers")),
        ("ross%", ("ros",)),
        ("ro_si", ("ro", "si")),
        ("name:anna^2", ("name", "ana", "2")),
        ("'--", ()),
        ('%_^:*"', ()),
        ("NEAR(a b, 3)", ("near", "a", "b", "3")),
    ],
)
def test_it_reads_search_syntax_as_plain_words(text: str, expected: tuple[str, ...]) -> None:
    query = parse_query(text)
    assert query == Query(words=expected, digits="")
    assert all(WORD.fullmatch(word) for word in query.words)


def test_it_never_leaves_search_syntax_in_words() -> None:
    syntax = ['"', "*", "NEAR", "'--", "%", "_", "AND", "OR", "^", ":", "(", ")", "-", "+"]
    rng = random.Random(20240611)
    for _ in range(300):
        text = "".join(rng.choice([*syntax, "rossi", "anna", " ", "12"]) for _ in range(8))
        query = parse_query(text)
        for word in query.words:
            assert WORD.fullmatch(word), (text, word)
        assert ASCII_DIGITS.fullmatch(query.digits), text


# --- edit_distance ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("giuseppe", "giuseppe", 2, 0),
        ("", "", 0, 0),
        ("giusepe", "giuseppe", 2, 1),  # one insertion
        ("anna", "ana", 2, 1),  # one deletion
        ("maria", "marja", 2, 1),  # one substitution
        ("guiseppe", "giuseppe", 2, 1),  # neighbours swapped
        ("sergei", "sargi", 2, 2),  # a substitution and a deletion
        ("ab", "ba", 1, 1),
        ("abc", "ca", 5, 3),  # OSA: a swapped pair is not edited again
        ("", "ab", 2, 2),
        ("abc", "", 5, 3),
        ("", "abc", 2, 3),  # beyond the limit by length alone
        ("a", "abcd", 1, 2),
        ("anna", "boris", 1, 2),  # beyond the limit, lengths close
        ("sergei", "sargi", 1, 2),
        ("maria", "marja", 0, 1),
    ],
)
def test_it_measures_edit_distance_up_to_a_limit(a: str, b: str, limit: int, expected: int) -> None:
    assert edit_distance(a, b, limit) == expected


SYMMETRY_PAIRS = [
    ("giuseppe", "guiseppe"),
    ("anna", "ana"),
    ("", "abc"),
    ("sergei", "sargi"),
    ("abc", "ca"),
    ("maria", "marija"),
    ("soren", "sorensen"),
    ("kitten", "sitting"),
    ("ab", "ba"),
    ("aaaa", "a"),
]


@pytest.mark.parametrize(("a", "b"), SYMMETRY_PAIRS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 10])
def test_it_measures_the_same_distance_both_ways(a: str, b: str, limit: int) -> None:
    assert edit_distance(a, b, limit) == edit_distance(b, a, limit)


def _reference_osa(a: str, b: str) -> int:
    """Textbook optimal-string-alignment distance on the full matrix, no limit."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def test_the_reference_distance_agrees_with_known_values() -> None:
    # Guards the oracle itself before it is used below.
    assert _reference_osa("kitten", "sitting") == 3
    assert _reference_osa("ca", "abc") == 3
    assert _reference_osa("ab", "ba") == 1
    assert _reference_osa("", "abc") == 3


def test_it_agrees_with_a_reference_distance_on_random_strings() -> None:
    rng = random.Random(1234)
    for _ in range(400):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 7)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 7)))
        limit = rng.randint(0, 4)
        expected = min(_reference_osa(a, b), limit + 1)
        assert edit_distance(a, b, limit) == expected, (a, b, limit)


# --- properties ---------------------------------------------------------------------


NAMES = [
    # it
    "Giuseppe Verdi",
    "Niccolò Dell'Acqua",
    "Maria Grazia D’Annunzio",
    "Ludovica Pecchia",
    # da
    "Søren Kierkegaard",
    "Ærø Bøgh-Jørgensen",
    "Åse Mølgaard",
    "Henrik Schøtt",
    # ru
    "Мария Иванова",
    "Наталья Щербакова",
    "Дарья Подъячева",
    "Сергей Хрущёв",
    "Юлия Кузьмина",
    # es
    "José Peña",
    "Begoña Núñez-Ibáñez",
    "Ximena Chávez",
    # en
    "Phillip McKinley",
    "Yvonne O'Brien",
    "Matthew Whitlock",
    # Georgian surnames in Latin and Cyrillic
    "Nino Pkhakadze",
    "Нино Пхакадзе",
    # other
    "Straße Müller",
    "İlknur Çelik",
    "Nguyễn Thị Minh Khai",
    "Σωκράτης",
]

_RANDOM_BLOCKS = [
    (0x20, 0x7E),  # ASCII
    (0x00, 0x1F),  # C0 controls
    (0xA0, 0x24F),  # Latin-1 and Latin Extended
    (0x300, 0x36F),  # combining marks
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x600, 0x6FF),  # Arabic, with Arabic-Indic digits
    (0x2000, 0x206F),  # general punctuation, zero-width characters, U+2028
    (0x3040, 0x30FF),  # kana
    (0x4E00, 0x4FFF),  # CJK
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFF00, 0xFF5E),  # full-width forms
    (0x1F300, 0x1F64F),  # emoji
]


def _random_unicode_strings(count: int) -> list[str]:
    rng = random.Random(5150)
    strings = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 24)):
            low, high = rng.choice(_RANDOM_BLOCKS)
            chars.append(chr(rng.randint(low, high)))
        strings.append("".join(chars))
    return strings


def test_normalise_is_idempotent_on_names() -> None:
    for name in NAMES:
        once = normalise(name)
        assert normalise(once) == once, (name, once)


def test_normalise_is_idempotent_on_random_unicode() -> None:
    for text in _random_unicode_strings(400):
        once = normalise(text)
        assert normalise(once) == once, (text, once)


def test_normalise_gives_only_lowercase_ascii_words_separated_by_single_spaces() -> None:
    for text in [*NAMES, *_random_unicode_strings(400)]:
        result = normalise(text)
        assert NORMALISED.fullmatch(result), (text, result)
        assert result == result.strip()
        assert "  " not in result


def test_parse_query_never_raises_on_random_unicode() -> None:
    for text in _random_unicode_strings(400):
        query = parse_query(text)
        assert all(WORD.fullmatch(word) for word in query.words), text
        assert len(set(query.words)) == len(query.words), text
        assert ASCII_DIGITS.fullmatch(query.digits), text


# --- prefixes and phone variants ------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("sop", ("sop", "sof")),  # Sophie is "sofie"
        ("mic", ("mic", "mih")),  # Mikhail is "mihail"; "mik" is "mic" already
        ("mac", ("mac", "mah")),  # Makhmud is "mahmud"; "mak" is "mac" already
        ("ros", ("ros",)),
        ("p", ("p",)),
        ("333", ("333",)),
    ],
)
def test_it_also_tries_a_typed_prefix_as_if_its_last_pair_were_complete(
    word: str, expected: tuple[str, ...]
) -> None:
    assert prefix_variants(word) == expected


def test_the_completed_prefix_is_a_prefix_of_the_full_names_skeleton() -> None:
    for typed, name in (("sop", "Sophie"), ("mik", "Михаил"), ("mak", "Makhmud")):
        query = skeleton(typed)
        assert any(normalise(name).startswith(v) for v in prefix_variants(query))
        assert not normalise(name).startswith(query)


CODES = frozenset({"7", "39", "45", "44", "34", "1"})


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+393331234567", ["393331234567", "3331234567"]),  # Italy: no trunk prefix
        ("+390512345678", ["390512345678", "0512345678"]),  # a landline keeps its 0
        ("+79161234567", ["79161234567", "9161234567", "89161234567"]),  # Russia dials 8
        ("+447700900123", ["447700900123", "7700900123", "07700900123"]),  # Britain 0
        ("+4520123456", ["4520123456", "20123456"]),
        ("", []),
    ],
)
def test_a_phone_is_indexed_as_the_digits_staff_may_type(e164: str, expected: list[str]) -> None:
    assert phone_variants(e164, CODES) == expected


# --- corrections ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["ana", "olg", "zz"])
def test_one_edit_neighbours_are_exactly_the_words_one_edit_away(word: str) -> None:
    from itertools import product

    from regulars.text.normalise import SKELETON_LETTERS, one_edit_neighbours

    expected = {
        candidate
        for size in range(len(word) - 1, len(word) + 2)
        for candidate in ("".join(letters) for letters in product(SKELETON_LETTERS, repeat=size))
        if candidate != word and edit_distance(word, candidate, 1) == 1
    }
    assert one_edit_neighbours(word) == expected


def test_a_fragment_starting_with_00_keeps_its_typed_digits() -> None:
    assert parse_query("006874") == Query(words=(), digits="6874", typed_digits="006874")
    assert parse_query("0039 333").typed_digits == "0039333"
    assert parse_query("+39 333") == Query(words=(), digits="39333")
