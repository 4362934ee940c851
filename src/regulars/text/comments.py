"""Free-text survey comments: language, sentiment and service topics, behind one interface.

``analyse_comment(text, customer_language)`` detects the comment's language
(language.py; the customer's language when the text is short or ambiguous) and hands
the text to the current backend, which returns a ``CommentAnalysis``.

The backend is anything with the ``CommentAnalyser`` shape. The default is
``LearnedAnalyser`` (learned.py): small per-language linear models over hashed word and
character n-grams plus the lexicon's own signals, trained on labelled comments, whose
weights ship in ``data/model/``. When those weights are missing, the default is
``LexiconAnalyser``, which uses lexicons and rules only (sentiment.py, topics.py): no
model, thousands of comments a second, explainable; it stays available for callers
that want it explicitly. A business can plug in a local transformer model later
without touching callers: wrap it in a class with ``analyse`` and ``analyse_many``
returning ``CommentAnalysis`` (topic keys from ``TOPICS``) and call
``set_default_analyser(MyModelAnalyser())`` once at start-up; ``get_analyser()`` is
what ``analyse_comment`` uses, and ``set_default_analyser(None)`` restores the default
(``default_analyser()``). There is no setting or registry to configure: the choice is
one call, made by whoever starts the process.

No Django here (see ARCHITECTURE.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .language import detect_language, load_detector
from .sentiment import Label, score_sentiment
from .topics import TOPICS, find_topics

__all__ = [
    "TOPICS",
    "CommentAnalyser",
    "CommentAnalysis",
    "LexiconAnalyser",
    "analyse_comment",
    "analyse_comments",
    "default_analyser",
    "get_analyser",
    "set_default_analyser",
]


@dataclass(frozen=True, slots=True)
class CommentAnalysis:
    """What one comment says.

    ``language``: ISO 639-1 code the text was analysed in. ``sentiment``: the overall
    label. ``score``: -1 (very negative) … 1 (very positive). ``topics``: keys from
    ``TOPICS`` the comment mentions, in ``TOPICS`` order. ``negative_topics``: the
    subset mentioned in a negative clause (what the customer complains about).
    """

    language: str
    sentiment: Label
    score: float
    topics: tuple[str, ...]
    negative_topics: tuple[str, ...]

    def __post_init__(self) -> None:
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"score {self.score} is outside [-1, 1]")
        unknown = set(self.topics) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown topics: {sorted(unknown)}")
        if not set(self.negative_topics) <= set(self.topics):
            raise ValueError("negative_topics must be a subset of topics")


@runtime_checkable
class CommentAnalyser(Protocol):
    """A comment-analysis backend. ``language`` is already detected (ISO 639-1)."""

    def analyse(self, text: str, language: str) -> CommentAnalysis: ...

    def analyse_many(self, items: Iterable[tuple[str, str]]) -> list[CommentAnalysis]:
        """``(text, language)`` pairs in, one analysis per pair, in order."""
        ...


class LexiconAnalyser:
    """Lexicons and rules, no model (the fallback backend). Thread-safe, stateless."""

    def analyse(self, text: str, language: str) -> CommentAnalysis:
        sentiment = score_sentiment(text, language)
        hits = find_topics(sentiment, language)
        return CommentAnalysis(
            language=language,
            sentiment=sentiment.label,
            score=sentiment.score,
            topics=hits.topics,
            negative_topics=hits.negative,
        )

    def analyse_many(self, items: Iterable[tuple[str, str]]) -> list[CommentAnalysis]:
        return [self.analyse(text, language) for text, language in items]


_lock = threading.Lock()
_default: CommentAnalyser | None = None
_current: CommentAnalyser | None = None  # None: the default


def default_analyser() -> CommentAnalyser:
    """``LearnedAnalyser`` when its weights ship, else ``LexiconAnalyser`` (built once)."""
    global _default
    default = _default
    if default is None:
        from .learned import LearnedAnalyser, weights_present  # learned.py imports this module

        with _lock:
            default = _default
            if default is None:
                default = LearnedAnalyser() if weights_present() else LexiconAnalyser()
                _default = default
    return default


def get_analyser() -> CommentAnalyser:
    """The backend ``analyse_comment`` uses now."""
    current = _current
    return default_analyser() if current is None else current


def set_default_analyser(analyser: CommentAnalyser | None) -> CommentAnalyser:
    """Make ``analyser`` the backend for this process (``None``: ``default_analyser()``).

    Returns the previous backend, so a caller (or a test) can put it back.
    """
    global _current
    if analyser is not None and not isinstance(analyser, CommentAnalyser):
        raise TypeError("an analyser needs analyse(text, language) and analyse_many(items)")
    fallback = default_analyser()
    with _lock:
        previous = fallback if _current is None else _current
        _current = analyser
    return previous


def warm_up() -> CommentAnalyser:
    """Load the language detector and the default backend's data now, so the first
    survey a server process receives is answered as fast as the next (a web server
    calls it once per process at start; nothing else needs to). Returns the backend."""
    from .learned import LearnedAnalyser  # learned.py imports this module

    load_detector()
    analyser = default_analyser()
    if isinstance(analyser, LearnedAnalyser):
        analyser.load()
    return analyser


def analyse_comment(text: str, customer_language: str) -> CommentAnalysis:
    """Language, sentiment and topics of ``text``.

    ``customer_language`` (ISO 639-1) is used when the text is too short or ambiguous to
    tell its language. Empty text is neutral, with no topics.
    """
    language = detect_language(text, customer_language)
    return get_analyser().analyse(text, language)


def analyse_comments(items: Sequence[tuple[str, str]]) -> list[CommentAnalysis]:
    """``analyse_comment`` for many ``(text, customer_language)`` pairs, in one backend call."""
    pairs = [(text, detect_language(text, language)) for text, language in items]
    return get_analyser().analyse_many(pairs)
