"""Recognition search: what staff type at the counter → the customers they mean.

1. ``parse_query`` (``regulars.text.normalise``) turns the text into normalised words,
   or into phone digits when it looks like a phone number.
2. First as typed: every word of two letters or more must start a word of the entry
   (or its completed letter pair: "sop" also looks for "sof…", Sophie's skeleton);
   phone digits must start one of the entry's digit words (each number as dialled and
   every ending of it, so a fragment from its start, end or middle). One-letter words
   filter the candidates afterwards.
3. Only when that finds fewer strong matches than asked for, and no one whose words
   are the typed ones exactly (the last of several may be half typed): each word of
   four letters or more may also be a vocabulary word within one or two edits of it
   (typos: "guiseppe" → "giuseppe") or a vocabulary word holding it inside ("ossi" →
   "rossi"), at most ``MAX_EXTRA_TERMS`` of them per word: first the words one edit
   away (looked up whole, ``one_edit_neighbours``), then, only when nothing matched at
   all, those the vocabulary's trigrams find two edits away (``_corrections``). A
   word taken as typed right (``_Vocabulary.typed_right``) waits for that last stage.
4. The backend returns up to ``CANDIDATES`` matching entries, most recently seen first.
5. Each candidate is scored word by word (exact word, word prefix, typo, inside a
   word), each typed word against a word of the entry of its own, and ranked: every
   word matched exactly or as a prefix before matches found only through a typo or
   inside a word; then this location's regulars, then customers seen recently, then
   the better match (a word found in the customer's own names counts more than one
   found in household names, tags or the email), then the more recently seen; the
   customer id settles ties, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import product
from typing import Any, TypeVar, cast

from regulars.customers.models import Customer
from regulars.customers.search.backends import (
    Backend,
    Candidate,
    Term,
    backend,
    known_terms,
    starts_a_term,
)
from regulars.customers.search.documents import _EPOCH, _ID_BITS, OTHERS
from regulars.text.normalise import (
    Query,
    edit_distance,
    one_edit_neighbours,
    parse_query,
    prefix_variants,
)

T = TypeVar("T")

# Entries fetched per query before ranking: enough that this location's regulars are
# among them for a two-letter query on a million customers (they are seen often, so
# they are near the top of the recency order), few enough to rank in a millisecond.
CANDIDATES = 150
# For one-letter queries: how many of the most recently seen entries are filtered.
RECENT_SCAN = 2_000
SIMILAR_TERMS = 60
# Corrections and inner matches per typed word: each is one more list the index merges.
MAX_EXTRA_TERMS = 8
# A typed word this long that is a vocabulary word is taken as typed right: its typo
# corrections would only add other names to the lookup.
TYPED_RIGHT_LENGTH = 5
REGULAR_VISITS = 3
RECENT_DAYS = 60

EXACT, PREFIX, TYPO_1, INSIDE, TYPO_2 = 1.0, 0.85, 0.6, 0.5, 0.4
# A word found among household names, tags or the email counts a little less than one
# found in the customer's own names; still a strong match when it is exact.
OTHERS_WEIGHT = 0.9
STRONG = PREFIX * OTHERS_WEIGHT
# A fragment typed with a leading 00 matches less well without it: a number that only
# starts with the digits after the 00 is not a strong match.
WITHOUT_00_WEIGHT = 0.85


def tolerance(word: str) -> int:
    """Typos forgiven in a (skeleton) word: none up to 2 letters, one up to 5, then two.

    Short words get more than their length suggests because the skeleton shortens what
    was typed ("rcci" is "rci", eight typed letters of "Григорий" are "grigori"); typo
    matches only come in when the plain lookup found too little.
    """
    if len(word) < 3 or not word.isalpha():
        return 0
    return 1 if len(word) <= 5 else 2


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


class _Vocabulary:
    """The vocabulary lookups of one search, each asked at most once: the two-edit
    stage asks again for what the one-edit stage already looked up."""

    def __init__(self, engine: Backend) -> None:
        self.engine = engine
        self._memo: dict[tuple[str, str], Any] = {}
        # Words taken as typed right whose corrections wait for the last stage.
        self.deferred: set[str] = set()

    def _once(self, kind: str, word: str, lookup: Callable[[], T]) -> T:
        key = (kind, word)
        if key not in self._memo:
            self._memo[key] = lookup()
        return cast(T, self._memo[key])

    def one_edit(self, word: str) -> list[Term]:
        """Vocabulary words one edit away from ``word``, the commonest first: every
        one of them, each found by a lookup of the vocabulary's unique index, however
        many words share letters with it."""
        return self._once(
            "one_edit",
            word,
            lambda: [
                Term(term, prefix=False)
                for term in known_terms(one_edit_neighbours(word))
                if not term.startswith(word)
            ],
        )

    def similar(self, word: str) -> list[str]:
        """Vocabulary words sharing trigrams with ``word``, likeliest first."""
        return self._once(
            "similar",
            word,
            lambda: self.engine.similar_terms(_padded_trigrams(word), word, SIMILAR_TERMS),
        )

    def containing(self, word: str) -> list[str]:
        return self._once(
            "containing", word, lambda: self.engine.containing(word, MAX_EXTRA_TERMS * 2)
        )

    def typed_right(self, word: str) -> bool:
        """Whether ``word`` is taken as typed right: a vocabulary word of five letters
        or more (its corrections would only add other names to the lookup), or four
        letters that start a vocabulary word (a name still being typed: its
        corrections are other names' starts, found only by the costly trigram search)."""
        if len(word) >= TYPED_RIGHT_LENGTH:
            return self._once("known", word, lambda: bool(known_terms([word])))
        return self._once("starts", word, lambda: starts_a_term(word))


def _corrections(vocabulary: _Vocabulary, word: str, *, thorough: bool) -> list[Term]:
    """Vocabulary words within ``tolerance`` edits of ``word``, as a whole word or as
    the start of a longer one, likeliest first; what the word as typed already finds
    (a word starting with it) is left out.

    Whole words one edit away are looked up directly (``_Vocabulary.one_edit``); only
    when there is none, or when ``thorough``, are the vocabulary's trigrams asked (two
    edits, mistyped starts of longer words), which costs far more.
    """
    limit = tolerance(word)
    if not limit:
        return []
    found: dict[Term, int] = dict.fromkeys(vocabulary.one_edit(word), 1)
    if found and not thorough:
        return list(found)
    for term in vocabulary.similar(word):
        if term.startswith(word) or Term(term, prefix=False) in found:
            continue
        whole = edit_distance(word, term, limit)
        if whole <= limit:
            found[Term(term, prefix=False)] = whole
            continue
        start = edit_distance(word, term[: len(word)], limit)
        if start <= limit:
            key = Term(term[: len(word)], prefix=True)
            found[key] = min(start, found.get(key, start))
    # Stable: equally distant corrections keep the order they were found in.
    return sorted(found, key=found.__getitem__)


def _plain_terms(word: str) -> list[Term]:
    """What ``word`` finds as typed: words starting with it (or with its completed pair)."""
    return [Term(variant, prefix=True) for variant in prefix_variants(word)]


def _extra_terms(vocabulary: _Vocabulary, word: str, *, thorough: bool) -> list[Term]:
    """Typo corrections (``_corrections``), then vocabulary words holding ``word``
    inside ("ossi" → rossi), at most ``MAX_EXTRA_TERMS``."""
    if len(word) < 3 or not word.isalpha():
        return []
    if len(word) == 3:
        # Three letters are a start still being typed, likelier right than the longer
        # word beside them, and their corrections are starts shared by thousands; the
        # fourth letter typed brings corrections.
        return []
    if not thorough and vocabulary.typed_right(word):
        # Corrected only if nothing matches at all (the last stage); a known name is
        # not looked for inside others either.
        vocabulary.deferred.add(word)
        if len(word) >= TYPED_RIGHT_LENGTH:
            return []
        extra: list[Term] = []
    else:
        extra = _corrections(vocabulary, word, thorough=thorough)[:MAX_EXTRA_TERMS]
    if len(extra) < MAX_EXTRA_TERMS:
        for inner in vocabulary.containing(word):
            if not inner.startswith(word):
                extra.append(Term(inner, prefix=False))
            if len(extra) >= MAX_EXTRA_TERMS:
                break
    return extra


def _word_matches(word: str, own: Sequence[str], others: Sequence[str]) -> dict[int, float]:
    """How well ``word`` matches each word of the entry it matches at all (by position
    in ``own + others``; a word among ``others`` counts ``OTHERS_WEIGHT``). Cheap string
    tests first: most candidates match as typed, and the edit distance (Python) is only
    computed when nothing in the entry does."""
    variants = prefix_variants(word)
    matches = _matches(variants, own, others, _plain_score)
    return matches or _matches(variants, own, others, _fuzzy_score)


def _matches(
    variants: Sequence[str],
    own: Sequence[str],
    others: Sequence[str],
    score: Callable[[str, str], float],
) -> dict[int, float]:
    found: dict[int, float] = {}
    for position, candidate in enumerate((*own, *others)):
        best = 0.0
        for variant in variants:
            value = score(variant, candidate)
            if value > best:  # noqa: PLR1730 - a comparison, not max(): hot loop
                best = value
        if best:
            found[position] = best if position < len(own) else best * OTHERS_WEIGHT
    return found


def _plain_score(word: str, candidate: str) -> float:
    if candidate == word:
        return EXACT
    return PREFIX if candidate.startswith(word) else 0.0


@lru_cache(maxsize=200_000)
def _typo_distance(word: str, candidate: str, limit: int) -> int:
    """Edits from ``word`` to ``candidate`` or to its start. Cached: names repeat across
    candidates and queries, and the distance is pure Python."""
    return min(
        edit_distance(word, candidate, limit),
        edit_distance(word, candidate[: len(word)], limit),
    )


def _fuzzy_score(word: str, candidate: str) -> float:
    limit = tolerance(word)
    # Phone digits and e-mail words with digits are never what a name was mistyped from.
    if limit and len(candidate) >= len(word) - limit and candidate.isalpha():
        distance = _typo_distance(word, candidate, limit)
        if distance <= 1:
            return TYPO_1
        if distance <= limit:
            return max(TYPO_2, INSIDE if len(word) >= 3 and word in candidate else 0.0)
    return INSIDE if len(word) >= 3 and word in candidate else 0.0


def _combined(matches: Sequence[dict[int, float]]) -> float:
    """The mean score of the typed words, each matched to a word of its own: when two
    typed words are best matched by the same word of the entry ("mihail mihailnicov"
    against Юрий Михайлников), the best assignment is sought among each typed word's
    three best matches, and a word of the entry matched twice counts half the second
    time. So Михаил Михайлников ranks above his namesake's relatives."""
    if not matches or not all(matches):
        return 0.0
    bests = [max(found, key=found.__getitem__) for found in matches]
    if len(set(bests)) == len(bests):
        return sum(found[best] for found, best in zip(matches, bests, strict=True)) / len(matches)
    choices = [sorted(found.items(), key=lambda item: -item[1])[:3] for found in matches]
    best_total = 0.0
    for assignment in product(*choices):
        used: set[int] = set()
        total = 0.0
        for position, value in assignment:
            total += value / 2 if position in used else value
            used.add(position)
        best_total = max(best_total, total)
    return best_total / len(matches)


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
        score = _digits_score(query.digits, others)
        if query.typed_digits:  # the digits as typed, 00 included, fit better
            score = max(WITHOUT_00_WEIGHT * score, _digits_score(query.typed_digits, others))
        return score
    return _combined([_word_matches(word, own, others) for word in query.words])


def _typed_exactly(query: Query, doc: str) -> bool:
    """True when every typed word is a whole word of the entry, except the last of
    several, which may be the start of one (still being typed)."""
    whole = query.words if len(query.words) == 1 else query.words[:-1]
    entry_words = set(doc.split())
    return bool(whole) and all(word in entry_words for word in whole)


def _familiarity(candidate: Candidate, location_id: int | None, recent_minutes: int) -> int:
    """2: a regular here (based here, three visits or more, seen lately); 1: seen lately
    anywhere, or based here; 0: neither."""
    here = location_id is not None and candidate.home_location_id == location_id
    seen_recently = candidate.visits > 0 and (candidate.key >> _ID_BITS) >= recent_minutes
    if here and seen_recently and candidate.visits >= REGULAR_VISITS:
        return 2
    return 1 if here or seen_recently else 0


# The lookups of ``search_customers``, cheapest first: as typed; with typo corrections
# one edit away (and fragments inside words); with corrections two edits away too.
AS_TYPED, ONE_EDIT, TWO_EDITS = 0, 1, 2


def _candidates(vocabulary: _Vocabulary, query: Query, *, stage: int) -> list[Candidate]:
    engine = vocabulary.engine
    typos = stage != AS_TYPED
    if query.digits:
        if typos:
            return []
        if len(query.digits) >= 2:
            # A phone fragment starts one of the entry's digit words (every ending of
            # each number is one: ``documents.phone_words``). Typed with a leading 00,
            # it is also asked for as typed, on its own: the commoner fragment
            # without the 00 could fill every place.
            found = engine.matching([[Term(query.digits, prefix=True)]], CANDIDATES)
            if query.typed_digits:
                typed = [[Term(query.typed_digits, prefix=True)]]
                found = engine.matching(typed, CANDIDATES) + found
            return found
        return engine.recent(RECENT_SCAN)
    words = [w for w in query.words if len(w) >= 2]
    if not words:
        return [] if typos else engine.recent(RECENT_SCAN)
    if not typos:
        return engine.matching([_plain_terms(w) for w in words], CANDIDATES)
    if stage == TWO_EDITS and all(tolerance(w) < 2 for w in words) and not vocabulary.deferred:
        return []  # no word may have two typos and none was left for now: nothing new to ask
    extras = [_extra_terms(vocabulary, w, thorough=stage == TWO_EDITS) for w in words]
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
    vocabulary = _Vocabulary(backend())
    location_id = getattr(location, "pk", None)
    moment = now or datetime.now(UTC)
    recent_minutes = int((moment - timedelta(days=RECENT_DAYS) - _EPOCH).total_seconds() // 60)
    ranked: dict[int, tuple[tuple[Any, ...], Candidate, float, int]] = {}
    # First as typed; typo corrections only when that found fewer strong matches than
    # asked for (typing "giu" never pays for corrections), and not when someone matches
    # the words exactly as typed (a whole e-mail, a full name: no typo to correct).
    for stage in (AS_TYPED, ONE_EDIT, TWO_EDITS):
        if stage == TWO_EDITS and ranked:
            break  # two edits are only sought when nothing else matched at all
        exact = False
        for candidate in _candidates(vocabulary, query, stage=stage):
            if candidate.customer_id in ranked:
                continue
            score = _score(query, candidate.doc)
            if score == 0.0:
                continue
            strong = score >= STRONG
            exact = exact or (strong and _typed_exactly(query, candidate.doc))
            familiarity = _familiarity(candidate, location_id, recent_minutes)
            order = (not strong, -familiarity, -score, -candidate.key, candidate.customer_id)
            ranked[candidate.customer_id] = (order, candidate, score, familiarity)
        if exact or sum(1 for item in ranked.values() if not item[0][0]) >= limit:
            break
    ordered = sorted(ranked.values(), key=lambda item: item[0])
    top = ordered[:limit]
    customers = Customer.objects.in_bulk([c.customer_id for _o, c, _s, _f in top])
    return [
        SearchHit(customer=customers[c.customer_id], score=s, familiarity=f)
        for _o, c, s, f in top
        if c.customer_id in customers
    ]
