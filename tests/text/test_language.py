"""Language detection of comments: our five languages, the customer's language as fallback."""

from __future__ import annotations

import pytest

from regulars.text.language import LANGUAGES, MIN_LETTERS, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The coffee was lovely and the staff were really friendly today.", "en"),
        ("Il caffè era buonissimo e il personale molto gentile con tutti.", "it"),
        ("Kaffen var rigtig god, og personalet var meget venligt i dag.", "da"),
        ("El café estaba buenísimo y el personal fue muy amable con todos.", "es"),
        ("Кофе был отличный, а персонал очень вежливый и приветливый.", "ru"),
    ],
)
def test_it_detects_each_of_our_languages_in_a_full_sentence(text: str, expected: str) -> None:
    wrong_fallback = "en" if expected != "en" else "it"
    assert detect_language(text, wrong_fallback) == expected


def test_it_answers_ru_for_cyrillic_text_however_short() -> None:
    assert detect_language("Хорошо", "da") == "ru"
    assert detect_language("Очень вкусно!", "es") == "ru"


def test_it_falls_back_to_the_customers_language_for_short_latin_text() -> None:
    text = "Ottimo!"
    assert sum(ch.isalpha() for ch in text) < MIN_LETTERS
    assert detect_language(text, "it") == "it"
    assert detect_language(text, "da") == "da"


def test_it_falls_back_for_empty_text_and_for_digits_only() -> None:
    assert detect_language("", "es") == "es"
    assert detect_language("12345 67890 !!!", "da") == "da"


def test_it_keeps_the_customers_language_when_the_text_agrees() -> None:
    assert detect_language("Tutto perfetto come sempre, grazie mille a tutti voi", "it") == "it"


def test_it_only_ever_answers_one_of_our_languages_or_the_fallback() -> None:
    # German is not one of ours: the detector can only choose among our five.
    answer = detect_language("Der Kaffee war sehr gut und die Bedienung freundlich", "xx")
    assert answer in (*LANGUAGES, "xx")
