"""Recognition search: what staff type at the counter → the customers they mean.

1. ``parse_query`` (``regulars.text.normalise``) turns the text into normalised words,
   or into phone digits when it looks like a phone number.
2. Each word becomes a clause of fragments the backend can look up: the word itself
   (a substring anywhere: "ross" in "rossi"), or for a two-letter word the start of a
   word (" ro"); and for a word of four letters or more, the vocabulary words within one
   or two edits of it (typos: "guiseppe" → "giuseppe"). One-letter words filter the
   candidates afterwards.
3. The backend returns up to ``CANDIDATES`` matching entries, most recently seen first.
4. Each candidate is scored word by word (exact word, word prefix, typo, substring) and
   ranked (a word found in the customer's own names counts more than one found in
   household names, tags or the email): every word matched at the start of a word before any matched only by a typo
   or inside a word; then this location's regulars, then customers seen recently, then
   the better match, then the more recently seen; the customer id settles ties, so
   the order is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from regulars.customers.models import Customer
from regulars.customers.search.backends import Backend, Candidate, backend
from regulars.customers.search.documents import _EPOCH, _ID_BITS, OTHERS
from regulars.text.normalise import Query, edit_distance, parse_query, prefix_variants

# Entries fetched per query before ranking: enough that this location's regulars are
# among them for a two-letter query on a million customers (they are seen often, so
# they are near the top of the recency order), few enough to rank in a millisecond.
CANDIDATES = 300
# For one-letter queries: how many of the most recently seen entries are filtered.
RECENT_SCAN = 2_000
SIMILAR_TERMS = 60
REGULAR_VISITS = 3
RECENT_DAYS = 60

EXACT, PREFIX, TYPO_1, INSIDE, TYPO_2 = 1.0, 0.85, 0.6, 0.5, 0.4
# A word found among household names, tags or the email counts a little less than one
# found in the customer's own names; still a strong match when it is exact.
OTHERS_WEIGHT = 0.9
STRONG = PREFIX * OTHERS_WEIGHT


def tolerance(word: str) -> int:
    """Typos forgiven in a (skeleton) word: none up to 2 letters, one up to 6, then two.

    Three-letter words get one because the skeleton shortens what was typed ("rcci" is
    "rci"); typo matches only come in when the plain lookup found too little.
    """
    if len(word) < 3 or not word.isalpha():
        return 0
    return 1 if len(word) <= 6 else 2


@dataclass(frozen=True, slots=True)
class SearchHit:
    customer: Customer
    score: float
    familiarity: int  # 2: a regular here, 1: seen lately or based here, 0: neither

    @property
    def customer_id(self) -> int:
        return int(self.customer.pk)


def _padded_trigrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _corrections(engine: Backend, word: str) -> list[str]:
    limit = tolerance(word)
    if not limit:
        return []
    found = []
    for term in engine.similar_terms(_padded_trigrams(word), word, SIMILAR_TERMS):
        if term == word:
            continue
        whole = edit_distance(word, term, limit)
        start = edit_distance(word, term[: len(word)], limit)
        if min(whole, start) <= limit:
            found.append(term)
    return found


def _clause(engine: Backend, word: str, *, typos: bool) -> list[str]:
    """The fragments any of which satisfies ``word``; with ``typos``, only the
    corrections (the plain fragments were looked up already)."""
    if typos:
        return [f" {term}" for term in _corrections(engine, word)]
    if len(word) == 2:
        return [f" {variant}" for variant in prefix_variants(word)]
    return list(prefix_variants(word)) if len(word) >= 3 else []


def _word_score(word: str, doc_words: Sequence[str]) -> float:
    return max(_variant_score(variant, doc_words) for variant in prefix_variants(word))


def _variant_score(word: str, doc_words: Sequence[str]) -> float:
    best = 0.0
    limit = tolerance(word)
    for candidate in doc_words:
        if candidate == word:
            return EXACT
        if candidate.startswith(word):
            best = max(best, PREFIX)
        elif best < TYPO_1 and limit:
            distance = min(
                edit_distance(word, candidate, limit),
                edit_distance(word, candidate[: len(word)], limit),
            )
            if distance <= limit:
                best = max(best, TYPO_1 if distance <= 1 else TYPO_2)
        if best < INSIDE and len(word) >= 3 and word in candidate:
            best = INSIDE
    return best


def _digits_score(digits: str, doc_words: Sequence[str]) -> float:
    best = 0.0
    for candidate in doc_words:
        if candidate.isdigit():
            if candidate == digits:
                return EXACT
            if candidate.startswith(digits):
                best = max(best, PREFIX)
            elif digits in candidate:
                best = max(best, INSIDE + 0.3)
    return best


def _score(query: Query, doc: str) -> float:
    own_text, _sep, other_text = doc.partition(f" {OTHERS} ")
    own, others = own_text.split(), other_text.split()
    if query.digits:
        return _digits_score(query.digits, others)
    scores = [
        max(_word_score(word, own), OTHERS_WEIGHT * _word_score(word, others))
        for word in query.words
    ]
    if not scores or min(scores) == 0.0:
        return 0.0
    return sum(scores) / len(scores)


def _familiarity(candidate: Candidate, location_id: int | None, recent_minutes: int) -> int:
    here = location_id is not None and candidate.home_location_id == location_id
    if here and candidate.visits >= REGULAR_VISITS:
        return 2
    seen_recently = candidate.visits > 0 and (candidate.key >> _ID_BITS) >= recent_minutes
    return 1 if here or seen_recently else 0


def _candidates(engine: Backend, query: Query, *, typos: bool) -> list[Candidate]:
    if query.digits:
        if typos:
            return []
        if len(query.digits) >= 3:
            return engine.matching([[query.digits]], CANDIDATES)
        return engine.recent(RECENT_SCAN)
    if typos:
        # Each word may be as typed or corrected; words with no correction as typed.
        corrections = [_clause(engine, word, typos=True) for word in query.words]
        if not any(corrections):
            return []
        clauses = [
            plain + fixed
            for plain, fixed in zip(
                (_clause(engine, word, typos=False) for word in query.words),
                corrections,
                strict=True,
            )
            if plain + fixed
        ]
        return engine.matching(clauses, CANDIDATES)
    clauses = [c for c in (_clause(engine, word, typos=False) for word in query.words) if c]
    if not clauses:
        return engine.recent(RECENT_SCAN)
    return engine.matching(clauses, CANDIDATES)


def search_customers(
    text: str, *, location: Any = None, limit: int = 8, now: datetime | None = None
) -> list[SearchHit]:
    """The customers ``text`` most likely means, best first, at most ``limit``.

    ``location`` (a Location or None) puts its regulars first. Never raises on what
    was typed: empty, overlong or syntax-laden text gives sensible results or none.
    """
    query = parse_query(text)
    if query.is_empty or limit <= 0:
        return []
    engine = backend()
    location_id = getattr(location, "pk", None)
    moment = now or datetime.now(UTC)
    recent_minutes = int((moment - timedelta(days=RECENT_DAYS) - _EPOCH).total_seconds() // 60)
    ranked: dict[int, tuple[tuple[Any, ...], Candidate, float, int]] = {}
    # First as typed; typo corrections only when that found fewer strong matches than
    # asked for (typing "giu" never pays for corrections).
    for typos in (False, True):
        for candidate in _candidates(engine, query, typos=typos):
            if candidate.customer_id in ranked:
                continue
            score = _score(query, candidate.doc)
            if score == 0.0:
                continue
            strong = score >= STRONG
            familiarity = _familiarity(candidate, location_id, recent_minutes)
            order = (not strong, -familiarity, -score, -candidate.key, candidate.customer_id)
            ranked[candidate.customer_id] = (order, candidate, score, familiarity)
        if sum(1 for item in ranked.values() if not item[0][0]) >= limit:
            break
    ordered = sorted(ranked.values(), key=lambda item: item[0])
    top = ordered[:limit]
    customers = Customer.objects.in_bulk([c.customer_id for _o, c, _s, _f in top])
    return [
        SearchHit(customer=customers[c.customer_id], score=s, familiarity=f)
        for _o, c, s, f in top
        if c.customer_id in customers
    ]
