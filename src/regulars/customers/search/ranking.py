"""Recognition search: what staff type at the counter → the customers they mean.

1. ``parse_query`` (``regulars.text.normalise``) turns the text into normalised words,
   or into phone digits when it looks like a phone number.
2. First as typed: every word of two letters or more must start a word of the entry
   (or its completed letter pair: "sop" also looks for "sof…", Sophie's skeleton);
   phone digits must start one of the entry's digit words (each number as dialled
   and every ending of it, so a fragment from its start, end or middle). One-letter words filter
   the candidates afterwards.
3. Only when that finds fewer strong matches than asked for: each word of three letters
   or more may also be a vocabulary word within one or two edits of it (typos:
   "guiseppe" → "giuseppe") or a vocabulary word holding it inside ("ossi" → "rossi"),
   at most ``MAX_EXTRA_TERMS`` of them per word.
4. The backend returns up to ``CANDIDATES`` matching entries, most recently seen first.
5. Each candidate is scored word by word (exact word, word prefix, typo, inside a word)
   and ranked: every word matched exactly or as a prefix before matches found only
   through a typo or inside a word; then this location's regulars, then customers seen
   recently, then the better match (a word found in the customer's own names counts
   more than one found in household names, tags or the email), then the more recently
   seen; the customer id settles ties, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from regulars.customers.models import Customer
from regulars.customers.search.backends import Backend, Candidate, Term, backend
from regulars.customers.search.documents import _EPOCH, _ID_BITS, OTHERS
from regulars.text.normalise import Query, edit_distance, parse_query, prefix_variants

# Entries fetched per query before ranking: enough that this location's regulars are
# among them for a two-letter query on a million customers (they are seen often, so
# they are near the top of the recency order), few enough to rank in a millisecond.
CANDIDATES = 150
# For one-letter queries: how many of the most recently seen entries are filtered.
RECENT_SCAN = 2_000
SIMILAR_TERMS = 60
# Corrections and inner matches per typed word: each is one more list the index merges.
MAX_EXTRA_TERMS = 8
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


def _corrections(engine: Backend, word: str) -> list[tuple[int, Term]]:
    """(edits, term) for vocabulary words within ``tolerance`` edits of ``word``, as a
    whole word or as the start of a longer one; what the word as typed already finds
    (a word starting with it) is left out."""
    limit = tolerance(word)
    if not limit:
        return []
    found: dict[Term, int] = {}
    for term in engine.similar_terms(_padded_trigrams(word), word, SIMILAR_TERMS):
        if term.startswith(word):
            continue
        whole = edit_distance(word, term, limit)
        if whole <= limit:
            found[Term(term, prefix=False)] = whole
            continue
        start = edit_distance(word, term[: len(word)], limit)
        if start <= limit:
            key = Term(term[: len(word)], prefix=True)
            found[key] = min(start, found.get(key, start))
    return sorted(((edits, term) for term, edits in found.items()), key=lambda x: x[0])


def _plain_terms(word: str) -> list[Term]:
    """What ``word`` finds as typed: words starting with it (or with its completed pair)."""
    return [Term(variant, prefix=True) for variant in prefix_variants(word)]


def _extra_terms(engine: Backend, word: str) -> list[Term]:
    """Typo corrections, then vocabulary words holding ``word`` inside ("ossi" → rossi),
    at most ``MAX_EXTRA_TERMS``."""
    if len(word) < 3 or not word.isalpha():
        return []
    extra = [term for _edits, term in _corrections(engine, word)][:MAX_EXTRA_TERMS]
    if len(extra) < MAX_EXTRA_TERMS:
        for inner in engine.containing(word, MAX_EXTRA_TERMS * 2):
            if not inner.startswith(word):
                extra.append(Term(inner, prefix=False))
            if len(extra) >= MAX_EXTRA_TERMS:
                break
    return extra


def _digit_terms(digits: str) -> list[Term]:
    """A phone fragment: the start of one of the entry's digit words (see
    ``documents.phone_words``: every ending of each number is one)."""
    return [Term(digits, prefix=True)]


def _word_score(word: str, own: Sequence[str], others: Sequence[str]) -> float:
    """How well ``word`` matches: in the customer's own names, or (counting
    ``OTHERS_WEIGHT``) in the rest of the entry. Cheap string tests on both first: most
    candidates match as typed, and the edit distance (Python) is only computed for
    those that do not."""
    variants = prefix_variants(word)
    best = max(max(_plain_score(v, own), OTHERS_WEIGHT * _plain_score(v, others)) for v in variants)
    if best:
        return best
    return max(max(_fuzzy_score(v, own), OTHERS_WEIGHT * _fuzzy_score(v, others)) for v in variants)


def _plain_score(word: str, doc_words: Sequence[str]) -> float:
    if word in doc_words:
        return EXACT
    if any(candidate.startswith(word) for candidate in doc_words):
        return PREFIX
    return 0.0


@lru_cache(maxsize=200_000)
def _typo_distance(word: str, candidate: str, limit: int) -> int:
    """Edits from ``word`` to ``candidate`` or to its start. Cached: names repeat across
    candidates and queries, and the distance is pure Python."""
    return min(
        edit_distance(word, candidate, limit),
        edit_distance(word, candidate[: len(word)], limit),
    )


def _fuzzy_score(word: str, doc_words: Sequence[str]) -> float:
    best = 0.0
    limit = tolerance(word)
    if limit:
        for candidate in doc_words:
            # Phone digits and e-mail words with digits are never what a name was
            # mistyped from.
            if len(candidate) < len(word) - limit or not candidate.isalpha():
                continue
            distance = _typo_distance(word, candidate, limit)
            if distance <= 1:
                return TYPO_1
            if distance <= limit:
                best = TYPO_2
    if best < INSIDE and len(word) >= 3 and any(word in candidate for candidate in doc_words):
        best = INSIDE
    return best


def _digits_score(digits: str, doc_words: Sequence[str]) -> float:
    best = 0.0
    for candidate in doc_words:
        if candidate.isdigit():
            if candidate == digits:
                return EXACT
            if candidate.startswith(digits) or candidate.endswith(digits):
                best = max(best, PREFIX)
            elif digits in candidate:
                best = max(best, INSIDE + 0.3)
    return best


def _score(query: Query, doc: str) -> float:
    own_text, _sep, other_text = doc.partition(f" {OTHERS} ")
    own, others = own_text.split(), other_text.split()
    if query.digits:
        return _digits_score(query.digits, others)
    scores = [_word_score(word, own, others) for word in query.words]
    if not scores or min(scores) == 0.0:
        return 0.0
    return sum(scores) / len(scores)


def _familiarity(candidate: Candidate, location_id: int | None, recent_minutes: int) -> int:
    """2: a regular here (based here, three visits or more, seen lately); 1: seen lately
    anywhere, or based here; 0: neither."""
    here = location_id is not None and candidate.home_location_id == location_id
    seen_recently = candidate.visits > 0 and (candidate.key >> _ID_BITS) >= recent_minutes
    if here and seen_recently and candidate.visits >= REGULAR_VISITS:
        return 2
    return 1 if here or seen_recently else 0


def _candidates(engine: Backend, query: Query, *, typos: bool) -> list[Candidate]:
    if query.digits:
        if typos:
            return []
        if len(query.digits) >= 2:
            return engine.matching([_digit_terms(query.digits)], CANDIDATES)
        return engine.recent(RECENT_SCAN)
    words = [w for w in query.words if len(w) >= 2]
    if not words:
        return [] if typos else engine.recent(RECENT_SCAN)
    if not typos:
        return engine.matching([_plain_terms(w) for w in words], CANDIDATES)
    extras = [_extra_terms(engine, w) for w in words]
    if not any(extras):
        return []
    clauses = [_plain_terms(w) + extra for w, extra in zip(words, extras, strict=True)]
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
