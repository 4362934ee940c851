"""What the recognition index holds for each customer, built from the database in a
few set-based queries per batch (no per-customer query)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from django.db import connection
from django.utils.dateparse import parse_datetime

from regulars.text.normalise import fold, phone_variants, skeleton, words

# What the entries hold and how their words are normalised (``regulars.text.normalise``):
# raise it with any change to either, and every index written before is rebuilt by
# ``regulars migrate`` (``index.index_is_stale``). 2: "k" folds to "c".
INDEX_FORMAT = 2
# Keys order entries by the minute a customer was last seen, counted from this epoch.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_ID_BITS = 32
# Vocabulary words are the ones typo tolerance corrects towards: shorter words get
# no tolerance (one edit turns "ana" into "ada"), so they need not be in it.
MIN_TERM_LENGTH = 4
MAX_TERM_LENGTH = 100
# Separates the customer's own names from the rest of the entry (household names,
# tags, email words, phone digits): a match on their own name ranks higher. No query
# fragment contains it, so it never matches anything itself.
OTHERS = "~"


@dataclass(frozen=True, slots=True)
class Entry:
    """One customer's row of the index (``customers.models.SearchDoc``)."""

    customer_id: int
    key: int
    doc: str
    terms: tuple[str, ...]
    home_location_id: int | None
    visits: int


def entry_key(customer_id: int, last_seen: datetime | None) -> int:
    """The ordering key: minutes since 2000 of ``last_seen``, then the customer id.

    Unique per customer while ids stay below 2³² (4.29 billion); ``None`` sorts first.
    """
    if customer_id >= 1 << _ID_BITS:
        raise ValueError("customer ids beyond 2**32 do not fit the search key")
    minutes = 0 if last_seen is None else max(0, int((last_seen - _EPOCH).total_seconds() // 60))
    return (minutes << _ID_BITS) | customer_id


def pad(text: str) -> str:
    """Words with a space before the first and after the last, so that a fragment
    starting with a space matches at the start of a word only (" ol" finds Olga, not
    Carola): two typed letters become a trigram the index can use."""
    return f" {text} "


def customer_id_of(key: int) -> int:
    return key & ((1 << _ID_BITS) - 1)


@lru_cache(maxsize=1)
def _calling_codes() -> frozenset[str]:
    return frozenset(str(code) for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def _aware(value: datetime | str | None) -> datetime | None:
    """SQLite hands back naive datetimes (or text), PostgreSQL aware ones; all are UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def phone_words(e164: str, codes: frozenset[str]) -> list[str]:
    """The digit words of one phone number: each way staff may dial it
    (``phone_variants``) and every ending of the national number from three digits
    up, so that any fragment staff type (its start, its last digits, a middle part)
    is the start of one word, which the index finds as fast as any word start."""
    variants = phone_variants(e164, codes)
    if not variants:
        return []
    national = variants[1] if len(variants) > 1 else variants[0]
    endings = [national[i:] for i in range(1, len(national) - 2)]
    return list(dict.fromkeys([*variants, *endings]))


@lru_cache(maxsize=65_536)
def _value_words(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of one name, household name or tag, and those of them that may enter
    the vocabulary. Cached whole: a million customers share a few thousand names."""
    found = tuple(words(value))
    return found, tuple(
        w for w in found if MIN_TERM_LENGTH <= len(w) <= MAX_TERM_LENGTH and w.isalpha()
    )


_DIGITS = "0123456789"


@lru_cache(maxsize=65_536)
def _cached_skeleton(word: str) -> str:
    return skeleton(word)


def _skeleton(word: str) -> str:
    """``skeleton(word)``, cached by the word without its trailing digits: no skeleton
    rule involves a digit, so "rossi83" is the skeleton of "rossi" followed by "83", and
    e-mail addresses, nearly all different, are made of a few thousand such stems."""
    stem = word.rstrip(_DIGITS)
    if not stem or stem == word:
        return _cached_skeleton(word)
    return _cached_skeleton(stem) + word[len(stem) :]


def email_words(email: str) -> list[str]:
    """``words(email)``, computed with ``_skeleton``'s cache."""
    return [_skeleton(word) for chunk in email.split() for word in fold(chunk).split()]


_Row = tuple[int, str, str, str, str, str, str, int | None, int, datetime | str | None]


class Source(NamedTuple):
    """What a batch of customers' entries are made of, as read from the database.

    Plain tuples, lists and dicts: a parallel rebuild sends it to a second process,
    which turns it into entries (``entries_of``) while the first one reads and writes.
    """

    customers: list[_Row]
    phones: dict[int, list[str]]
    household: dict[int, list[str]]
    tags: dict[int, list[str]]


def build_entries(customer_ids: Sequence[int]) -> list[Entry]:
    """The index entries of these customers as the database holds them now.

    Customers that no longer exist are left out. Four queries whatever the count.
    """
    return entries_of(read_source(customer_ids))


def read_source(customer_ids: Sequence[int]) -> Source:
    """What the entries of these customers are made of (four queries).

    Ids that fill at least half the range from the smallest to the largest (a rebuild's
    batches, an import's new customers) are read as that range: one walk along each
    table's customer index instead of an index lookup per id. Customers in the range
    but not asked for are dropped.
    """
    ids = sorted(set(customer_ids))
    if not ids:
        return Source([], {}, {}, {})
    span = ids[-1] - ids[0] + 1
    condition: str
    params: list[int]
    if span <= 2 * len(ids):
        condition, params = "BETWEEN %s AND %s", [ids[0], ids[-1]]
    else:
        condition, params = f"IN ({', '.join(['%s'] * len(ids))})", ids
    source = Source([], defaultdict(list), defaultdict(list), defaultdict(list))
    with connection.cursor() as cursor:
        # Plain SQL: building four ORM querysets with 900-id IN lists costs more than
        # running them when a whole import batch is indexed.
        for target, sql in (
            (source.phones, "SELECT customer_id, number FROM customers_phone"),
            (source.household, "SELECT customer_id, name FROM customers_householdmember"),
            (
                source.tags,
                (
                    "SELECT ct.customer_id, t.name FROM customers_customer_tags ct "
                    "JOIN customers_tag t ON t.id = ct.tag_id"
                ),
            ),
        ):
            column = "ct.customer_id" if target is source.tags else "customer_id"
            cursor.execute(f"{sql} WHERE {column} {condition}", params)
            for customer_id, value in cursor.fetchall():
                target[customer_id].append(value)
        cursor.execute(
            "SELECT id, given_name, family_name, patronymic, preferred_name, "  # noqa: S608 - only placeholders and fixed names are interpolated
            "organisation_name, email, home_location_id, visit_count, last_visit_at "
            f"FROM customers_customer WHERE id {condition}",
            params,
        )
        rows: list[_Row] = cursor.fetchall()
    if len(ids) < span <= 2 * len(ids):
        wanted = set(ids)
        rows = [row for row in rows if row[0] in wanted]
    source.customers.extend(rows)
    return source


def entries_of(source: Source) -> list[Entry]:
    """The entries ``source`` describes (no database access)."""
    return [_entry(row, source) for row in source.customers]


def _words_of(values: Iterable[str | None], terms: list[str]) -> list[str]:
    """The words of ``values``; their vocabulary words are added to ``terms``."""
    found: list[str] = []
    for value in values:
        if value:
            value_words, good = _value_words(value)
            found += value_words
            terms += good
    return found


def _entry(row: _Row, source: Source) -> Entry:
    cid, given, family, patronymic, preferred, org, email, home, visits, last = row
    terms: list[str] = []
    own = _words_of((given, family, patronymic, preferred, org), terms)
    household_words = _words_of(source.household.get(cid, ()), terms)
    tag_words = _words_of(source.tags.get(cid, ()), terms)
    others = [*household_words, *tag_words, *email_words(email)]
    codes = _calling_codes()
    for number in source.phones.get(cid, ()):
        others += phone_words(number, codes)
    return Entry(
        customer_id=cid,
        key=entry_key(cid, _aware(last)),
        doc=pad(" ".join([*dict.fromkeys(own), OTHERS, *dict.fromkeys(others)])),
        terms=tuple(dict.fromkeys(terms)),
        home_location_id=home,
        visits=visits,
    )
