"""Search normalisation: one pure function from any text to comparable search words.

``normalise("Søren Ølgaard")`` and ``normalise("soren olgard")`` give the same words, and
so do ``normalise("Мария")`` and ``normalise("Maria")``: recognition search indexes the
normalised words of every customer and normalises each query the same way, so accents,
case, script (Cyrillic ↔ Latin) and common spelling variants of transliterated names
(Sergei / Sergey / Sergej, Mariya / Maria, Giuseppe / Giusepe) stop mattering before any
index is asked. Phone numbers are compared as digits only (``phone_digits``).

Steps, per character then per word:

1. NFKC and case folding; letters, digits and combining marks are transliterated to
   ASCII with ``anyascii`` (Ø → o, ß → ss, Щ → shch); apostrophes (the Russian soft and
   hard signs come out as ``'``) are dropped; every other character (punctuation,
   symbols, emoji, control characters) separates words.
2. ``skeleton`` folds each word to a spelling skeleton: ``j``/``y`` → ``i``, ``w`` → ``v``,
   ``ph`` → ``f``, ``x`` → ``ks``, ``kh`` → ``h``, ``ck`` and ``ch`` → ``c``, then every
   other ``k`` → ``c`` (Чечилия and Cecilia, Michele and Mikele, Karl and Carl,
   Kristian and Christian, Aleksandr and Alexander meet), and every run of one
   repeated letter → one letter. Digits are kept as they are.

No Django here (see ARCHITECTURE.md): strings in, strings out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "MAX_QUERY_CHARS",
    "Query",
    "edit_distance",
    "fold",
    "normalise",
    "one_edit_neighbours",
    "parse_query",
    "phone_digits",
    "phone_variants",
    "prefix_variants",
    "skeleton",
    "words",
]

# A query longer than this is cut before normalising: nobody types more at a counter,
# and it bounds the work a pasted 10,000-character text can cause.
MAX_QUERY_CHARS = 200

_APOSTROPHES = frozenset("'’ʼ`´")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")
# Applied in order, on an already folded ASCII word.
_SKELETON_RULES: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("x", "ks"),
    ("kh", "h"),
    ("ck", "k"),
    ("ch", "c"),
    ("k", "c"),
    ("j", "i"),
    ("y", "i"),
    ("w", "v"),
)


def _keep(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LNM"


def fold(text: str) -> str:
    """Case-fold, transliterate to ASCII and drop accents; words separated by one space.

    ``fold("José Ølgaard-Щукин")`` → ``"jose olgaard shchukin"``. Never raises.
    """
    if text.isascii():
        # Most names and every e-mail address: no letter needs transliterating.
        return _NON_WORD.sub(" ", text.lower().replace("'", "").replace("`", "")).strip()
    text = unicodedata.normalize("NFKC", text).casefold()
    parts: list[str] = []
    for ch in text:
        if ch in _APOSTROPHES or unicodedata.category(ch) == "Cf":
            # Apostrophes and invisible format characters (zero-width space, joiners,
            # soft hyphen) sit inside words: drop them rather than split the word.
            continue
        if ch.isascii():
            parts.append(ch)
        elif _keep(ch):
            # The soft and hard signs (ь, ъ) transliterate to an apostrophe: drop it.
            parts.append(anyascii(ch).lower().replace("'", ""))
        else:
            parts.append(" ")
    return _NON_WORD.sub(" ", "".join(parts)).strip()


def skeleton(word: str) -> str:
    """The spelling skeleton of one folded word (see the module docstring)."""
    if word.isdigit():
        return word
    # Repeated to a fixed point, so the skeleton of a skeleton is itself: one rule's
    # output can form another rule's input ("pkh" → "ph" → "f", "cck" → "ck" → "k").
    # It ends: after the first pass no j, y, w, x or k is left and no rule writes one,
    # so every later pass shortens the word.
    while True:
        folded = word
        for old, new in _SKELETON_RULES:
            if old in folded:
                folded = folded.replace(old, new)
        folded = _REPEATS.sub(r"\1", folded)
        if folded == word:
            return word
        word = folded


@lru_cache(maxsize=262_144)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    return tuple(skeleton(word) for word in fold(chunk).split())


# A typed prefix may stop inside a pair of letters the skeleton folds: "sop" is the
# start of "soprano" (skeleton "soprano") but also of "Sophie" (skeleton "sofie").
# "mik" (skeleton "mic") may be the start of Mikhail (skeleton "mihail").
_PAIR_STARTS: dict[str, str] = {"p": "f", "c": "h"}


def prefix_variants(word: str) -> tuple[str, ...]:
    """The skeleton ``word`` and, when its last letter may begin a folded pair, the
    skeleton it has if that pair is completed: ``"sop"`` → ``("sop", "sof")``."""
    swap = _PAIR_STARTS.get(word[-1:]) if len(word) > 1 and not word.isdigit() else None
    return (word, word[:-1] + swap) if swap else (word,)


def words(text: str) -> list[str]:
    """The normalised words of ``text``, in order, duplicates kept.

    Works chunk by chunk between white space, with the chunks' results cached: names
    repeat, so indexing a million customers folds each distinct name once.
    """
    return [word for chunk in text.split() for word in _chunk_words(chunk)]


def normalise(text: str) -> str:
    """The one normalisation of recognition search: ``" ".join(words(text))``."""
    return " ".join(words(text))


def phone_digits(text: str) -> str:
    """The digits of a phone number or fragment: ``"+39 333-12"`` → ``"3933312"``.

    A leading international ``00`` becomes nothing, as a leading ``+`` does, also
    after a bracket: ``"(0039) 333"`` → ``"39333"``.
    """
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    return digits.removeprefix("00")


# Calling codes whose numbers are dialled at home with a trunk prefix that E.164 drops:
# staff type "8 916 …" in Russia and "07700 …" in Britain. Italy, Spain and Denmark
# have none (an Italian landline's 0 is part of the number).
_TRUNK_PREFIX: dict[str, str] = {
    "7": "8",
    "44": "0",
    "49": "0",
    "33": "0",
    "31": "0",
    "32": "0",
    "41": "0",
    "43": "0",
    "46": "0",
    "358": "0",
    "380": "0",
    "375": "8",
    "61": "0",
    "64": "0",
    "90": "0",
}


def phone_variants(e164: str, calling_codes: frozenset[str]) -> list[str]:
    """The digit strings staff may type a fragment of: international digits, the
    national number, and the national number with the trunk prefix where one is used.

    ``phone_variants("+79161234567", codes)`` → ``["79161234567", "9161234567",
    "89161234567"]``. ``calling_codes`` are the country calling codes (1–3 digits, no
    code is a prefix of another), e.g. from ``phonenumbers``.
    """
    tail = e164[1:]
    digits = tail if e164[:1] == "+" and tail.isascii() and tail.isdigit() else phone_digits(e164)
    variants = [digits] if digits else []
    for length in (1, 2, 3):
        code = digits[:length]
        if code in calling_codes:
            national = digits[length:]
            if national:
                variants.append(national)
                trunk = _TRUNK_PREFIX.get(code)
                if trunk:
                    variants.append(trunk + national)
            break
    return variants


_PHONE_LIKE = re.compile(r"^[\s+()./0-9-]+$")


@dataclass(frozen=True, slots=True)
class Query:
    """A recognition query split into what each index can use.

    ``words``: normalised words (letters, or letters and digits mixed), in order,
    without duplicates. ``digits``: the digits when the whole query looks like a phone
    number or a fragment of one (``+39 333``, ``333-12``, ``(051) 22``), else ``""``.
    """

    words: tuple[str, ...]
    digits: str
    # The digits exactly as typed when they start with 00: "006874" may be the end of
    # a number as well as the start of an international one ("0039…").
    typed_digits: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.digits


def parse_query(text: str) -> Query:
    """Parse what staff typed. Never raises; anything unusable gives an empty query."""
    text = text[:MAX_QUERY_CHARS]
    if _PHONE_LIKE.match(text) and any(ch.isdigit() for ch in text):
        digits = phone_digits(text)
        typed = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
        return Query(words=(), digits=digits, typed_digits=typed if typed != digits else "")
    seen: dict[str, None] = {}
    for word in words(text):
        seen.setdefault(word, None)
    return Query(words=tuple(seen), digits="")


# The letters a skeleton word can hold (``skeleton`` leaves no j, k, w, x or y).
SKELETON_LETTERS = "abcdefghilmnopqrstuvz"


def one_edit_neighbours(word: str) -> set[str]:
    """Every skeleton-lettered word one edit (insertion, deletion, substitution, swap of
    neighbours) from ``word``, ``word`` itself left out: the whole-word corrections a
    vocabulary can be asked about directly, about 40 per letter of ``word``."""
    letters = SKELETON_LETTERS
    found: set[str] = set()
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        found.update(head + ch + tail for ch in letters)
        if tail:
            found.add(head + tail[1:])
            found.update(head + ch + tail[1:] for ch in letters)
        if len(tail) > 1:
            found.add(head + tail[1] + tail[0] + tail[2:])
    found.discard(word)
    return found


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insertions, deletions, substitutions and
    swaps of two neighbours each count 1), or ``limit + 1`` as soon as it must exceed
    ``limit``. ``edit_distance("giusepe", "giuseppe", 2)`` → 1.

    Only the band of cells within ``limit`` of the diagonal is computed: a path leaving
    it costs more than ``limit`` anyway, so the work is ``len(a) × (2 × limit + 1)``.
    """
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if not a or not b:
        return max(len(a), len(b))
    over = limit + 1
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i, ca in enumerate(a, start=1):
        low, high = max(1, i - limit), min(width, i + limit)
        current = [over] * (width + 1)
        current[0] = i if i <= limit else over
        row_min = current[0]
        for j in range(low, high + 1):
            cb = b[j - 1]
            # Comparisons, not min(): this loop is the search's hottest Python.
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:  # noqa: PLR1730
                value = previous[j] + 1
            if current[j - 1] + 1 < value:  # noqa: PLR1730
                value = current[j - 1] + 1
            if (
                i > 1
                and j > 1
                and ca == b[j - 2]
                and a[i - 2] == cb
                and previous2[j - 2] + 1 < value
            ):
                value = previous2[j - 2] + 1
            current[j] = value if value < over else over  # noqa: FURB136
            if value < row_min:  # noqa: PLR1730
                row_min = value
        if row_min > limit:
            return over
        previous2, previous = previous, current
    return previous[width] if previous[width] <= limit else over
