"""What the recognition index holds for each customer, built from the database in a
few set-based queries per batch (no per-customer query)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import phonenumbers
from django.db import connection
from django.utils.dateparse import parse_datetime

from regulars.text.normalise import phone_variants, words

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


def _name_words(values: Iterable[str]) -> list[str]:
    return [w for value in values if value for w in words(value)]


def _terms(name_words: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for word in name_words:
        if MIN_TERM_LENGTH <= len(word) <= MAX_TERM_LENGTH and word.isalpha():
            seen.setdefault(word, None)
    return tuple(seen)


def build_entries(customer_ids: Sequence[int]) -> list[Entry]:
    """The index entries of these customers as the database holds them now.

    Customers that no longer exist are left out. Four queries whatever the count.
    """
    ids = list(customer_ids)
    if not ids:
        return []
    placeholders = ", ".join(["%s"] * len(ids))
    phones: dict[int, list[str]] = defaultdict(list)
    household: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    with connection.cursor() as cursor:
        # Plain SQL: building four ORM querysets with 900-id IN lists costs more than
        # running them when a whole import batch is indexed.
        for target, sql in (
            (phones, "SELECT customer_id, number FROM customers_phone"),
            (household, "SELECT customer_id, name FROM customers_householdmember"),
            (
                tags,
                (
                    "SELECT ct.customer_id, t.name FROM customers_customer_tags ct "
                    "JOIN customers_tag t ON t.id = ct.tag_id"
                ),
            ),
        ):
            column = "ct.customer_id" if target is tags else "customer_id"
            cursor.execute(f"{sql} WHERE {column} IN ({placeholders})", ids)
            for customer_id, value in cursor.fetchall():
                target[customer_id].append(value)
        cursor.execute(
            "SELECT id, given_name, family_name, patronymic, preferred_name, "  # noqa: S608 - only placeholders and fixed names are interpolated
            "organisation_name, email, home_location_id, visit_count, last_visit_at "
            f"FROM customers_customer WHERE id IN ({placeholders})",
            ids,
        )
        rows = [(*row[:9], _aware(row[9])) for row in cursor.fetchall()]
    codes = _calling_codes()
    entries: list[Entry] = []
    for cid, given, family, patronymic, preferred, org, email, home, visits, last in rows:
        tag_words = _name_words(tags[cid])
        digits = [d for number in phones[cid] for d in phone_words(number, codes)]
        own = _name_words((given, family, patronymic, preferred, org))
        household_words = _name_words(household[cid])
        others = dict.fromkeys([*household_words, *tag_words, *words(email), *digits])
        entries.append(
            Entry(
                customer_id=cid,
                key=entry_key(cid, last),
                doc=pad(" ".join([*dict.fromkeys(own), OTHERS, *others])),
                terms=_terms([*own, *household_words, *tag_words]),
                home_location_id=home,
                visits=visits,
            )
        )
    return entries
