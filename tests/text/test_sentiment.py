"""Sentiment of comments: lexicons plus negation, intensifiers, contrast, punctuation."""

from __future__ import annotations

import pytest

from regulars.text.comments import analyse_comment
from regulars.text.sentiment import score_sentiment, tokenise


def test_tokenise_lowercases_splits_elisions_and_keeps_cyrillic_and_emoticons() -> None:
    assert tokenise("L'attesa? Un po' lunga :)", "it") == [
        "l",
        "attesa",
        "?",
        "un",
        "po",
        "lunga",
        ":)",
    ]
    assert tokenise("Didn't LOVE it", "en") == ["didn't", "love", "it"]
    assert tokenise("Очень вкусно!", "ru") == ["очень", "вкусно", "!"]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The coffee is good.", "en", "positive"),
        ("The coffee is not good.", "en", "negative"),
        ("Il caffè è buono.", "it", "positive"),
        ("Il caffè non è buono.", "it", "negative"),
        ("Kaffen er god.", "da", "positive"),
        ("Kaffen er ikke god.", "da", "negative"),
        ("Кофе хороший.", "ru", "positive"),
        ("Кофе не хороший.", "ru", "negative"),
        ("El café es bueno.", "es", "positive"),
        ("El café no es bueno.", "es", "negative"),
    ],
)
def test_a_negator_flips_praise_into_complaint(text: str, language: str, expected: str) -> None:
    assert score_sentiment(text, language).label == expected


@pytest.mark.parametrize(
    ("bad", "not_bad", "language"),
    [
        ("The service was bad.", "The service was not bad.", "en"),
        ("Il servizio era male.", "Il servizio non era male.", "it"),
        ("Servicen var dårlig.", "Servicen var ikke dårlig.", "da"),
        ("Обслуживание плохое.", "Обслуживание не плохое.", "ru"),
        ("El servicio está mal.", "El servicio no está mal.", "es"),
    ],
)
def test_a_negated_complaint_turns_positive_but_weaker(
    bad: str, not_bad: str, language: str
) -> None:
    negative = score_sentiment(bad, language)
    negated = score_sentiment(not_bad, language)
    assert negative.label == "negative"
    assert negated.score > 0
    # Damped: "not bad" is less positive than "bad" is negative.
    assert negated.score < -negative.score


def test_a_russian_word_with_the_ne_prefix_is_the_opposite_of_its_root() -> None:
    assert score_sentiment("Персонал вежливый.", "ru").label == "positive"
    assert score_sentiment("Персонал невежливый.", "ru").label == "negative"
    assert score_sentiment("Неплохо.", "ru").label == "positive"


@pytest.mark.parametrize(
    ("plain", "stronger", "weaker", "language"),
    [
        ("It is expensive.", "It is very expensive.", "It is a bit expensive.", "en"),
        ("È caro.", "È molto caro.", "È un po' caro.", "it"),
        ("Det er dyrt.", "Det er meget dyrt.", "Det er lidt dyrt.", "da"),
        ("Это дорого.", "Это очень дорого.", "Это немного дорого.", "ru"),
        ("Es caro.", "Es muy caro.", "Es un poco caro.", "es"),
    ],
)
def test_intensifiers_strengthen_and_diminishers_soften(
    plain: str, stronger: str, weaker: str, language: str
) -> None:
    base = score_sentiment(plain, language).score
    assert score_sentiment(stronger, language).score < base < 0
    assert base < score_sentiment(weaker, language).score <= 0


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The cake was lovely but the service was slow.", "en", "negative"),
        ("The service was slow but the cake was lovely.", "en", "positive"),
        ("Il dolce era buono ma il servizio lento.", "it", "negative"),
        ("Kagen var god, men betjeningen var langsom.", "da", "negative"),
        ("Торт вкусный, но обслуживание медленное.", "ru", "negative"),
        ("La tarta estaba buena, pero el servicio fue lento.", "es", "negative"),
        ("El servicio fue lento, pero la tarta estaba buenísima.", "es", "positive"),
    ],
)
def test_what_follows_but_outweighs_what_came_before(
    text: str, language: str, expected: str
) -> None:
    assert score_sentiment(text, language).label == expected


def test_exclamation_marks_and_emoji_strengthen_a_comment() -> None:
    calm = score_sentiment("Good coffee.", "en").score
    assert score_sentiment("Good coffee!!!", "en").score > calm
    assert score_sentiment("Good coffee 😍", "en").score > calm
    assert score_sentiment("Caffè 👎", "it").label == "negative"


def test_lukewarm_comments_are_neutral() -> None:
    assert score_sentiment("It was okay, nothing special.", "en").label == "neutral"
    assert score_sentiment("Niente di male, ma niente di che.", "it").label == "neutral"
    assert score_sentiment("Кофе неплохой, но и не выдающийся.", "ru").label == "neutral"


def test_empty_text_is_neutral_with_a_zero_score_and_no_topics() -> None:
    result = analyse_comment("", "da")
    assert (result.language, result.sentiment, result.score) == ("da", "neutral", 0.0)
    assert result.topics == ()
    assert result.negative_topics == ()


def test_the_score_stays_within_minus_one_and_one() -> None:
    rant = "Terrible, awful, disgusting, rude, filthy, never again!!! " * 20
    praise = "Wonderful, perfect, delicious, lovely, brilliant!!! " * 20
    assert -1.0 <= score_sentiment(rant, "en").score < -0.9
    assert 0.9 < score_sentiment(praise, "en").score <= 1.0


def test_licensed_lexicons_cover_words_our_own_lexicon_lacks() -> None:
    # "magnificent" is only in AFINN; "katastrofal" only in AFINN-da; "orribile" only
    # in Sentix.
    assert score_sentiment("Magnificent.", "en").label == "positive"
    assert score_sentiment("Katastrofal.", "da").label == "negative"
    assert score_sentiment("Orribile.", "it").label == "negative"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Would be nice if you opened earlier.", "en"),
        ("Sarebbe bello avere il latte di avena.", "it"),
        ("Det kunne være fedt med havremælk.", "da"),
        ("Было бы здорово, если бы было овсяное молоко.", "ru"),
        ("Estaría bien que tuvierais leche de avena.", "es"),
        ("Do you do gift vouchers?", "en"),
    ],
)
def test_suggestions_and_plain_questions_are_neutral(text: str, language: str) -> None:
    assert score_sentiment(text, language).label == "neutral"


@pytest.mark.parametrize(
    ("text", "language"),
    [("Thanks", "en"), ("Grazie", "it"), ("Tak", "da"), ("Спасибо", "ru"), ("Gracias", "es")],
)
def test_a_thank_you_alone_is_mildly_positive(text: str, language: str) -> None:
    result = score_sentiment(text, language)
    assert result.label == "positive"
    assert result.score < score_sentiment("Excellent", "en").score


@pytest.mark.parametrize(
    ("not_very", "not_plain", "language"),
    [
        ("Not very friendly.", "Not friendly.", "en"),
        ("Non molto gentili.", "Non gentili.", "it"),
        ("Ikke særlig venlige.", "Ikke venlige.", "da"),
        ("Не очень вежливые.", "Не вежливые.", "ru"),
        ("No muy amables.", "No amables.", "es"),
    ],
)
def test_not_very_is_a_mild_complaint(not_very: str, not_plain: str, language: str) -> None:
    mild = score_sentiment(not_very, language)
    assert mild.label == "negative"
    assert mild.score > score_sentiment(not_plain, language).score


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Emailed three times, no reply.", "en", "negative"),
        ("Tre mail e nessuna risposta.", "it", "negative"),
        ("Tre mails uden svar.", "da", "negative"),
        ("Три письма, ни одного ответа.", "ru", "negative"),
        ("Tres correos y ni una respuesta.", "es", "negative"),
        ("Вкусные круассаны, классные эклеры.", "ru", "positive"),
        ("Camareros majísimos y muy serviciales.", "es", "positive"),
        ("Zero interest in helping.", "en", "negative"),
    ],
)
def test_broader_vocabulary_and_inflections(text: str, language: str, expected: str) -> None:
    assert score_sentiment(text, language).label == expected
