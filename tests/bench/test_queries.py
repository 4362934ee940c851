"""The benchmark's ground truth: whom a typed query names, and typing on until it names
the walk-in. Pure Python over a handful of customers, no database."""

import random

from bench.common_queries import (
    NAMED_AT_MOST,
    Directory,
    WalkIn,
    _typing,
    fold,
    type_until_named,
)

PEOPLE = [
    (1, "Giuseppe Rossi giuseppe.rossi1@example.it"),
    (2, "Giulia Rossini"),
    (3, "Giulio Rosso"),
    (4, "Ольга Смирнова"),
    (5, "Søren Kierkegaard"),
    (6, "María José García López"),
]
for n in range(7, 14):  # seven more Giuseppe Ross…: "giu ros" names too many
    PEOPLE.append((n, f"Giuseppe Ross{'abcdefg'[n - 7]}"))
PHONES = [(1, "+393331234567"), (2, "+393331299999"), (4, "+79031112233")]


def directory() -> Directory:
    return Directory(PEOPLE, PHONES)


def test_fold_transliterates_and_drops_accents_and_punctuation() -> None:
    assert fold("Ольга Смирнова") == ["olga", "smirnova"]
    assert fold("María-José") == ["maria", "jose"]
    assert fold("giuseppe.rossi1@example.it") == ["giuseppe", "rossi1", "example", "it"]


def test_naming_needs_every_word_to_start_a_word_of_the_customer() -> None:
    found = directory()
    assert found.naming("giu ross") == {1, 2, 3, *range(7, 14)}
    assert found.naming("giul ross") == {2, 3}
    assert found.naming("rossi giuseppe") == {1}
    assert found.naming("olga smir") == {4}
    assert found.naming("soren") == {5}  # ø folds to o
    assert found.naming("lopez maria") == {6}
    assert found.naming("iuseppe") == set()  # inside a word is not a start
    assert found.naming("giuseppe.rossi1") == {1}


def test_dialling_finds_digits_anywhere_in_a_number() -> None:
    found = directory()
    assert found.dialling("3331") == {1, 2}
    assert found.dialling("4567") == {1}
    assert found.dialling("79031") == {4}
    assert found.dialling("4567393") == set()  # never across two numbers
    assert found.dialling("5677") == set()


def test_typing_goes_on_until_the_query_names_at_most_five() -> None:
    walk_in = WalkIn(1, "C1", "Giuseppe", "Rossi", "", (), None)
    typing = _typing("prefix_both", walk_in, random.Random(1))
    assert typing is not None
    first = typing.text()
    named, identifying = type_until_named(typing, directory())
    assert first.split()[0] == "giuseppe"[: len(first.split()[0])]
    assert identifying
    assert len(directory().naming(named)) <= NAMED_AT_MOST
    # The family name grew first: "ross" names eight, "rossi" one.
    assert named.split()[1] == "rossi"


def test_a_mistyped_name_counts_as_what_was_meant_and_cannot_grow() -> None:
    walk_in = WalkIn(3, "C3", "Giulio", "Rosso", "", (), None)
    rng = random.Random(5)
    typing = _typing("typo", walk_in, rng)
    assert typing is not None
    text = typing.text()
    named, identifying = type_until_named(typing, directory())
    assert identifying
    mistyped = [w for w in named.split() if w not in ("giulio", "rosso")]
    assert mistyped  # the typo is still there
    assert directory().naming(named) == set()  # as typed it names nobody
    assert text.split()[0] in named


def test_a_namesake_query_is_not_identifying() -> None:
    people = [(n, "Anna Berg") for n in range(1, 8)]
    walk_in = WalkIn(1, "C1", "Anna", "Berg", "", (), None)
    typing = _typing("prefix_both", walk_in, random.Random(2))
    assert typing is not None
    named, identifying = type_until_named(typing, Directory(people, []))
    assert named == "anna berg"
    assert not identifying


def test_phone_endings_grow_towards_the_start_of_the_number() -> None:
    numbers = [
        (1, "+393331234567"),
        (2, "+393339234567"),
        *[(n, f"+39333{n}234567") for n in range(3, 9)],
    ]
    walk_in = WalkIn(1, "C1", "Giuseppe", "Rossi", "", ("+393331234567",), None)
    for seed in range(40):
        typing = _typing("phone", walk_in, random.Random(seed))
        assert typing is not None
        if typing.text() == "234567":
            named, identifying = type_until_named(typing, Directory([], numbers))
            assert identifying
            assert named == "1234567"
            return
    raise AssertionError("no seed gave an ending")
