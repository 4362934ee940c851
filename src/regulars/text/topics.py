"""Which service topics a comment talks about, and which of them it complains about.

``TOPICS`` are fixed keys: the five service-quality dimensions (``reliability``:
doing what was promised, right and on time; ``responsiveness``: answering, calling
back, keeping the customer informed; ``assurance``: competence, advice, honesty;
``empathy``: individual attention and care; ``tangibles``: premises, furniture,
equipment, website, packaging) plus ``price``, ``waiting``, ``staff_friendliness``,
``pushy_selling``, ``returns``, ``product_quality`` and ``cleanliness`` (cleanliness
and ambience: hygiene, smell, music, noise, cosiness).

Keywords per language live in ``data/topics/<lang>.tsv`` (the project's own): words,
``stem*`` prefixes and phrases, matched on the tokens of sentiment.py. A topic is
negative when the clause that mentions it scores below zero (or, for a clause without
opinion words, its sentence; or, failing that, the whole comment). A comment with no
opinion word at all names things without judging them and has no topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

from .sentiment import DATA, PhraseMatcher, Sentiment, read_tsv

__all__ = ["TOPICS", "TopicHits", "find_topics"]

TOPICS: Final[tuple[str, ...]] = (
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


@dataclass(frozen=True, slots=True)
class TopicHits:
    """Topics mentioned (in ``TOPICS`` order) and those mentioned in a negative clause."""

    topics: tuple[str, ...]
    negative: tuple[str, ...]


@cache
def _matcher(language: str) -> PhraseMatcher[frozenset[str]]:
    by_term: dict[str, set[str]] = {}
    for row in read_tsv(DATA / "topics" / f"{language}.tsv"):
        topic, term = row[0], row[1]
        if topic == "-":
            # A stop phrase: matched and consumed, names no topic ("last minute").
            by_term.setdefault(term, set())
            continue
        if topic not in TOPICS:
            raise ValueError(f"topics/{language}.tsv: unknown topic {topic!r}")
        by_term.setdefault(term, set()).add(topic)
    return PhraseMatcher((term, frozenset(topics)) for term, topics in by_term.items())


def _valence_at(index: int, spans: tuple[tuple[int, int, float], ...]) -> float:
    for start, end, value in spans:
        if start <= index < end:
            return value
    return 0.0


def find_topics(sentiment: Sentiment, language: str) -> TopicHits:
    """Topics in the tokens of ``sentiment`` (scored text), in ``language``'s keywords."""
    if language not in ("en", "it", "da", "ru", "es"):
        language = "en"
    if sentiment.total == 0 and not any(v for _, _, v in sentiment.clauses):
        # No opinion word at all ("I ordered the vegan option"): things are named, not
        # judged, and a topic is an aspect the customer judges.
        return TopicHits((), ())
    matcher = _matcher(language)
    tokens = sentiment.tokens
    found: dict[str, bool] = {}
    i = 0
    while i < len(tokens):
        hit = matcher.match_at(tokens, i)
        if hit is None:
            i += 1
            continue
        length, topics = hit
        valence = _valence_at(i, sentiment.clauses)
        if valence == 0:
            valence = _valence_at(i, sentiment.sentences)
        if valence == 0:
            valence = sentiment.total
        for topic in topics:
            found[topic] = found.get(topic, False) or valence < 0
        i += length
    ordered = tuple(t for t in TOPICS if t in found)
    return TopicHits(ordered, tuple(t for t in ordered if found[t]))
