"""Topics of comments, their polarity, and the pluggable analyser backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from regulars.text.comments import (
    TOPICS,
    CommentAnalyser,
    CommentAnalysis,
    LexiconAnalyser,
    analyse_comment,
    analyse_comments,
    default_analyser,
    get_analyser,
    set_default_analyser,
)


def test_topics_are_the_twelve_fixed_keys() -> None:
    assert TOPICS == (
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
        "tangibles",
        "price",
        "waiting",
        "staff_friendliness",
        "pushy_selling",
        "returns",
        "product_quality",
        "cleanliness",
    )


@pytest.mark.parametrize(
    ("text", "language", "topics", "negative"),
    [
        (
            "We had to wait forty minutes in the queue, and the cashier was rude.",
            "en",
            {"waiting", "staff_friendliness"},
            {"waiting", "staff_friendliness"},
        ),
        (
            "Lunga attesa, però prezzi onesti.",
            "it",
            {"waiting", "price"},
            {"waiting"},
        ),
        (
            "Lang kø, men kaffen var lækker.",
            "da",
            {"waiting", "product_quality"},
            {"waiting"},
        ),
        (
            "Очередь огромная, зато кофе вкусный и цены недорогие.",
            "ru",
            {"waiting", "product_quality", "price"},
            {"waiting"},
        ),
        (
            "Mucha espera en la cola y el baño estaba sucio.",
            "es",
            {"waiting", "cleanliness"},
            {"waiting", "cleanliness"},
        ),
    ],
)
def test_it_finds_each_languages_topics_and_which_were_complained_about(
    text: str, language: str, topics: set[str], negative: set[str]
) -> None:
    result = LexiconAnalyser().analyse(text, language)
    assert set(result.topics) == topics
    assert set(result.negative_topics) == negative


@pytest.mark.parametrize(
    ("text", "language", "topic"),
    [
        ("The salesman kept pushing the extended warranty.", "en", "pushy_selling"),
        ("They refused to refund my money.", "en", "returns"),
        ("Il reso è stato rifiutato.", "it", "returns"),
        ("Parcheggio impossibile e sedie scomode.", "it", "tangibles"),
        ("Leverandøren er altid til tiden.", "da", "reliability"),
        ("Hun huskede min bestilling fra sidst, meget betænksomt.", "da", "empathy"),
        ("Консультант грамотный, всё объяснил.", "ru", "assurance"),
        ("Ответили на письмо в тот же день.", "ru", "responsiveness"),
        ("Intentaron venderme un seguro, qué pesados.", "es", "pushy_selling"),
        ("Muy profesional, me aconsejó muy bien.", "es", "assurance"),
    ],
)
def test_it_recognises_a_topic_from_its_keywords(text: str, language: str, topic: str) -> None:
    assert topic in LexiconAnalyser().analyse(text, language).topics


def test_topics_come_in_the_order_of_topics_and_negative_ones_are_a_subset() -> None:
    result = LexiconAnalyser().analyse("Dirty floor, but friendly staff and fair prices.", "en")
    assert result.topics == ("price", "staff_friendliness", "cleanliness")
    assert result.negative_topics == ("cleanliness",)


def test_a_comment_without_any_opinion_has_no_topics() -> None:
    assert LexiconAnalyser().analyse("I ordered a coffee and a croissant.", "en").topics == ()


def test_analyse_comment_detects_the_language_before_analysing() -> None:
    result = analyse_comment("Il personale è stato scortese e l'attesa infinita.", "en")
    assert result.language == "it"
    assert result.sentiment == "negative"
    assert set(result.topics) >= {"staff_friendliness", "waiting"}


def test_analyse_comment_uses_the_customers_language_for_a_short_text() -> None:
    result = analyse_comment("Molto caro", "it")
    assert result.language == "it"
    assert result.topics == ("price",)
    assert result.sentiment == "negative"


def test_analyse_comments_matches_analyse_comment_pair_by_pair() -> None:
    items = [("Fantastisk service!", "da"), ("Грязно и дорого.", "en")]
    assert analyse_comments(items) == [analyse_comment(text, lang) for text, lang in items]


def test_comment_analysis_rejects_scores_and_topics_outside_the_contract() -> None:
    with pytest.raises(ValueError, match="outside"):
        CommentAnalysis("en", "positive", 1.5, (), ())
    with pytest.raises(ValueError, match="unknown topics"):
        CommentAnalysis("en", "positive", 0.5, ("parking",), ())
    with pytest.raises(ValueError, match="subset"):
        CommentAnalysis("en", "negative", -0.5, ("price",), ("waiting",))


class ShoutingAnalyser:
    """A tiny real backend: negative about waiting whenever the text has a capital word."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def analyse(self, text: str, language: str) -> CommentAnalysis:
        self.seen.append((text, language))
        loud = any(word.isupper() and len(word) > 1 for word in text.split())
        if loud:
            return CommentAnalysis(language, "negative", -1.0, ("waiting",), ("waiting",))
        return CommentAnalysis(language, "neutral", 0.0, (), ())

    def analyse_many(self, items: Iterable[tuple[str, str]]) -> list[CommentAnalysis]:
        return [self.analyse(text, language) for text, language in items]


@pytest.fixture
def shouting() -> Iterator[ShoutingAnalyser]:
    backend = ShoutingAnalyser()
    previous = set_default_analyser(backend)
    yield backend
    set_default_analyser(previous)


def test_a_plugged_in_backend_is_used_by_analyse_comment(shouting: ShoutingAnalyser) -> None:
    assert get_analyser() is shouting
    result = analyse_comment("The coffee was LOVELY and the staff were wonderful.", "da")
    # The lexicon backend would call this positive; the plugged-in one decides.
    assert result == CommentAnalysis("en", "negative", -1.0, ("waiting",), ("waiting",))
    assert shouting.seen == [("The coffee was LOVELY and the staff were wonderful.", "en")]


def test_restoring_the_default_brings_the_default_backend_back() -> None:
    previous = set_default_analyser(ShoutingAnalyser())
    assert previous is default_analyser()
    set_default_analyser(None)
    assert get_analyser() is default_analyser()
    assert analyse_comment("The coffee was lovely.", "en").sentiment == "positive"


def test_a_backend_without_the_interface_is_refused() -> None:
    assert not isinstance(object(), CommentAnalyser)
    with pytest.raises(TypeError, match="analyse"):
        set_default_analyser(object())  # type: ignore[arg-type]
