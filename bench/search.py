"""Recognition search at the counter:
``python -m bench.search [--quick] [--database sqlite|postgres|both]``.

Per database (each in a child process with a fresh database: a SQLite file, or
``regulars_bench_search`` on the local PostgreSQL, created and dropped here):

1. Customers: 1,000,000 generated rows (``--quick``: 20,000) written to a CSV file and
   imported with the ``regulars import customers`` code path, as ``bench.ingest`` does.
   Names in Italian, Danish, Russian (Cyrillic, feminine surnames for women), Spanish
   (two surnames) and English; unique mobile numbers of each country (digits spread
   as in real numbers) in ``bench.ingest``'s mixed formats, e-mails for 70 %, tags
   for 20 %. The given names are the demo business's; surnames are the demo's lists
   widened eightfold with each culture's own endings (Ross-i → Ross-etti, Jen-sen →
   Jens-gaard, Смирн-ов → Смирн-ский) and paired at random, because the demo's 30–80
   surnames per culture would give every full name hundreds of holders at a million
   customers, far more than any real clientele.
2. Visit statistics, one set-based ``UPDATE … FROM`` per 5,000 customers (``VALUES`` on
   SQLite, ``unnest`` of one array per column on PostgreSQL):
   home location (one of 8, at random); 12 % never seen; 33 % lapsed (last visit 90–730
   days ago, 1–8 visits); 47 % occasional (8–90 days ago, 1–15 visits); 8 % regulars
   (in the last 7 days, 20–300 visits). The ranking puts this location's regulars and
   recently seen customers first, so the queries need these.
3. ``index_build_s``: ``rebuild_index()`` over every customer (target ≤ 90 s at 1M).
4. 1,000 queries (``--quick``: 200), seeded, each with its intended customer. Who walks
   in: a customer seen in the last 120 days, drawn with weight
   ``exp(-days since last visit / 14) × (1 + ln(1 + visits))`` (today's regular is far
   likelier than someone last seen two months ago; the same customer may walk in
   twice). Where: their home location 85 % of the time, another location 15 %. What
   staff type (lower case, accents dropped as people type them; Cyrillic names stay
   Cyrillic unless the kind says otherwise):

   ====================  =====  ==============================================
   kind                  share  example
   ====================  =====  ==============================================
   prefix_both           28 %   3–4 letters of given and family name: "giu ros"
   prefix_one            2 %    3–4 letters of the given or the family name alone
   typo                  20 %   the full given or family name (≥ 5 letters) with
                                one typo (two for ≥ 8 letters: swap, drop, double,
                                substitute; never the first letter) plus 3–4
                                letters of the other name: "giusepe ros"
   phone                 20 %   last 6 digits "234567" (40 %), "+39 333 12"
                                (30 %), "333-12" (30 %), with 2–4 digits after
                                the first 3 of the national number
   email                 10 %   the e-mail's local part, up to 2 of its digits short
   cyrillic_for_latin    10 %   a Latin name typed in Cyrillic (a small table in
                                this module): "джузеппе росси"
   latin_for_cyrillic    10 %   a Cyrillic name typed in Latin (anyascii):
                                "olga smirnova"
   ====================  =====  ==============================================

   Latency of ``search_customers(query, location=..., limit=5)`` in-process, each
   query once after 50 unmeasured warm-up queries: p50/p95/p99 (target p95 ≤ 15 ms);
   ``recall_top5``, the share of queries whose intended customer is among the 5 hits
   (target ≥ 0.98; per kind in the extra fields; single-name prefixes are ambiguous at
   a million customers by nature, hence their small share).
5. Baseline: a seeded sample of 50 of the same queries through a plain Django ORM scan,
   ``icontains`` over given, family and preferred name, e-mail and phone numbers (OR of
   Q objects, ``.distinct()[:5]``); ``speedup_vs_icontains`` is its median latency over
   search's median latency on the same 50 queries (target ≥ 100).

Figures are named per database: ``sqlite_p95_ms``, ``postgres_recall_top5``, … PostgreSQL
is skipped with a note when it does not answer (``--quick`` in CI must not fail).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from anyascii import anyascii

from bench.common import figure, print_result, run_child, setup_django, temp_dir
from bench.ingest import HEADER, LOCALES, _birthday, contact_extras, styled_phone
from regulars.demo.names import CULTURES

FULL_CUSTOMERS = 1_000_000
QUICK_CUSTOMERS = 20_000
FULL_QUERIES = 1_000
QUICK_QUERIES = 200
WARMUP_QUERIES = 50
BASELINE_SAMPLE = 50
HITS = 5
STATS_CHUNK = 5_000
PG_URL = "postgres://postgres@127.0.0.1:5432/regulars_bench_search"
DATABASES = ("sqlite", "postgres")

P95_TARGET_MS = 15
RECALL_TARGET = 0.98
SPEEDUP_TARGET = 100
INDEX_BUILD_TARGET_S = 90

# (name, time zone, currency, country): a chain big enough for a million customers.
LOCATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("Bologna", "Europe/Rome", "EUR", "IT"),
    ("Milano", "Europe/Rome", "EUR", "IT"),
    ("Roma", "Europe/Rome", "EUR", "IT"),
    ("København", "Europe/Copenhagen", "DKK", "DK"),
    ("Aarhus", "Europe/Copenhagen", "DKK", "DK"),
    ("Madrid", "Europe/Madrid", "EUR", "ES"),
    ("London", "Europe/London", "GBP", "GB"),
    ("Riga", "Europe/Riga", "EUR", "LV"),
)

# --- customers ----------------------------------------------------------------------------

# Per culture: how to cut a demo surname to its stem, and the endings that widen it
# (masculine, feminine). The empty ending keeps the surname as it is.
SURNAME_CUTS: dict[str, tuple[str, ...]] = {
    "it": ("i", "o", "a", "e"),
    "da": ("sen",),
    "ru": ("ов", "ев", "ин"),
    "es": (),
    "en": ("s",),
}
# "-" keeps the surname as it is; "ин/ина" is masculine/feminine.
SURNAME_ENDINGS: dict[str, str] = {
    "it": "- etti ini elli ucci one ato esi",
    "da": "- gaard holm berg strup lund dahl bæk",
    "ru": "- ин/ина ский/ская енко цев/цева ников/никова ович ёв/ёва",
    "es": "-",  # Spanish surnames come in pairs instead: García López
    "en": "- son ton ley field well wood ford",
}


def _stem(surname: str, code: str) -> str:
    for cut in SURNAME_CUTS[code]:
        if surname.endswith(cut) and len(surname) > len(cut) + 2:
            return surname[: -len(cut)]
    return surname


def _surnames(code: str) -> list[tuple[str, str]]:
    """(masculine, feminine) surnames of culture ``code``, widened with its endings."""
    found: dict[str, str] = {}
    for masculine, feminine in CULTURES[code].family:
        for ending in SURNAME_ENDINGS[code].split():
            male_end, _slash, female_end = ending.partition("/")
            female_end = female_end or male_end
            if male_end == "-":
                found.setdefault(masculine, feminine or masculine)
                continue
            stem = _stem(masculine, code)
            found.setdefault(stem + male_end, stem + female_end)
    return list(found.items())


# Per culture: given names (name, female?) and surnames (masculine, feminine).
GIVEN: dict[str, list[tuple[str, bool]]] = {
    code: [(name, True) for name, _s, _d in CULTURES[code].female]
    + [(name, False) for name, _s, _d in CULTURES[code].male]
    for code in ("it", "da", "ru", "es", "en")
}
SURNAMES: dict[str, list[tuple[str, str]]] = {code: _surnames(code) for code in GIVEN}


def _person(locale: str, rng: random.Random) -> tuple[str, str]:
    given, female = rng.choice(GIVEN[locale])
    masculine, feminine = rng.choice(SURNAMES[locale])
    family = feminine if female else masculine
    if locale == "es":
        family = f"{family} {rng.choice(SURNAMES[locale])[0]}"
    return given, family


# Per locale: calling code, national number prefixes and how many digits follow them.
PHONE_PLANS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "it": ("39", ("320", "328", "333", "338", "340", "347", "349", "366", "380", "393"), 7),
    "da": ("45", ("20", "26", "28", "30", "31", "40", "42", "50", "60", "61"), 6),
    "ru": ("7", ("903", "905", "909", "915", "916", "925", "926", "977", "985", "999"), 7),
    "es": ("34", ("600", "610", "622", "633", "644", "655", "666", "677", "688", "699"), 6),
    "en": ("44", ("7700", "7711", "7722", "7733", "7744", "7755", "7766", "7788", "7799"), 6),
}


def _phone(locale: str, index: int, rng: random.Random) -> str:
    """A unique mobile number (the index scrambled, so that digits vary everywhere as
    in real numbers, not only at the end), in one of ``bench.ingest``'s formats."""
    code, prefixes, digits = PHONE_PLANS[locale]
    scrambled = (index * 7_654_321 + 1_234_567) % 10**digits
    national = f"{prefixes[index % len(prefixes)]}{scrambled:0{digits}d}"
    return styled_phone(code, national, locale, rng)


def generate_customers(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` customers as a point-of-sale CSV export (``bench.ingest``'s
    columns, phones, birthdays, tags and notes; names from ``_person``)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for index in range(rows):
            locale = LOCALES[index % len(LOCALES)]
            first, last = _person(locale, rng)
            email, tags, notes = contact_extras(first, last, index, locale, rng)
            writer.writerow(
                [
                    f"C{index:07d}",
                    first,
                    last,
                    email,
                    _phone(locale, index, rng),
                    _birthday(rng),
                    tags,
                    notes,
                    locale,
                ]
            )


def import_customers(csv_path: Path, location: Any, report: Path) -> int:
    """What ``regulars import customers FILE`` does; returns the rows read."""
    from regulars.customers.importers.base import ImportKind
    from regulars.customers.importers.cli import use_parallel
    from regulars.customers.importers.runner import run_import

    summary = run_import(
        kind=ImportKind.CUSTOMERS,
        path=csv_path,
        location=location,
        report_path=report,
        parallel=use_parallel(csv_path),
    )
    return summary.rows


# --- visit statistics ---------------------------------------------------------------------


def _visits(rng: random.Random, now: datetime) -> tuple[int, datetime | None, datetime | None]:
    """(visit count, first visit, last visit) of one customer (see the docstring)."""
    roll = rng.random()
    if roll < 0.12:
        return 0, None, None
    if roll < 0.45:  # lapsed
        days, count, before = rng.uniform(90, 730), rng.randint(1, 8), rng.uniform(0, 400)
    elif roll < 0.92:  # occasional
        days, count, before = rng.uniform(8, 90), rng.randint(1, 15), rng.uniform(0, 700)
    else:  # regular
        days, count = rng.uniform(0, 7), int(20 * 15 ** rng.random())
        before = rng.uniform(60, 1500)
    last = now - timedelta(days=days)
    return count, (last if count == 1 else last - timedelta(days=before)), last


def apply_visit_stats(
    *, customer_ids: Sequence[int], location_ids: Sequence[int], seed: int, now: datetime
) -> None:
    """Home location and visit statistics for ``customer_ids``: one set-based UPDATE per
    ``STATS_CHUNK`` customers."""
    from django.db import connection, transaction

    from regulars.customers.models import Customer

    rng = random.Random(seed)
    table = connection.ops.quote_name(Customer._meta.db_table)
    postgres = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_datetimefield_value
    for start in range(0, len(customer_ids), STATS_CHUNK):
        chunk = customer_ids[start : start + STATS_CHUNK]
        rows = []
        for customer_id in chunk:
            count, first, last = _visits(rng, now)
            rows.append((customer_id, rng.choice(location_ids), count, adapt(first), adapt(last)))
        if postgres:
            # One array per column: five parameters instead of five per customer.
            source = (
                "unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::timestamptz[], "
                "%s::timestamptz[]) AS v(id, home, visits, first_at, last_at)"
            )
            params: list[Any] = [list(column) for column in zip(*rows, strict=True)]
            prefix = ""
        else:
            source = "v"
            params = [value for row in rows for value in row]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
            prefix = f"WITH v(id, home, visits, first_at, last_at) AS (VALUES {values}) "
        # Only placeholders and our own table name are formatted in.
        sql = (
            f"{prefix}UPDATE {table} SET home_location_id = v.home, "  # noqa: S608
            "visit_count = v.visits, first_visit_at = v.first_at, last_visit_at = v.last_at "
            f"FROM {source} WHERE {table}.id = v.id"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


# --- queries ------------------------------------------------------------------------------

QUERY_MIX: tuple[tuple[str, float], ...] = (
    ("prefix_both", 0.28),
    ("prefix_one", 0.02),
    ("typo", 0.20),
    ("phone", 0.20),
    ("email", 0.10),
    ("cyrillic_for_latin", 0.10),
    ("latin_for_cyrillic", 0.10),
)
RECENT_DAYS = 120
RECENCY_DAYS = 14
HOME_SHARE = 0.85
CALLING_CODES = ("39", "45", "34", "44", "7")  # the generated customers' countries

# Latin → Cyrillic as a Russian speaker spells a foreign name by ear; digraphs first.
_CYRILLIC_SPELLING = (
    "sch=ш sh=ш ch=ч zh=ж kh=х ts=ц ya=я yu=ю ia=ия a=а b=б c=к d=д e=е f=ф g=г h=х "
    "i=и j=й k=к l=л m=м n=н o=о p=п q=к r=р s=с t=т u=у v=в w=в x=кс y=и z=з"
)
TO_CYRILLIC = tuple(tuple(pair.split("=")) for pair in _CYRILLIC_SPELLING.split())
LATIN_LETTERS = "abcdefghilmnoprstuvz"
CYRILLIC_LETTERS = "абвгдеиклмнопрстуя"


@dataclass(frozen=True)
class WalkIn:
    customer_id: int
    public_id: str
    given: str
    family: str
    email: str
    phones: tuple[str, ...]
    home_location_id: int | None


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    customer_id: int
    public_id: str
    location_id: int | None


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def plain(text: str) -> str:
    """Lower case without accents, as people type at speed: "José" → "jose" (but "Søren"
    keeps its ø, a letter of its own on a Danish keyboard; Cyrillic keeps й and ё)."""
    if is_cyrillic(text):
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def to_cyrillic(text: str) -> str:
    latin = anyascii(text).lower()
    out: list[str] = []
    index = 0
    while index < len(latin):
        for old, new in TO_CYRILLIC:
            if latin.startswith(old, index):
                out.append(new)
                index += len(old)
                break
        else:
            out.append(latin[index] if not latin[index].isalpha() else "")
            index += 1
    return "".join(out)


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one typo (two from 8 letters on); the first letter stays."""
    alphabet = CYRILLIC_LETTERS if is_cyrillic(word) else LATIN_LETTERS
    letters = list(word)
    while letters == list(word):  # a second typo may undo the first: try again
        letters = list(word)
        for _ in range(2 if len(word) >= 8 else 1):
            at = rng.randrange(1, len(letters) - 1)
            op = rng.choice(("swap", "drop", "double", "substitute"))
            if op == "swap":
                letters[at], letters[at + 1] = letters[at + 1], letters[at]
            elif op == "drop":
                del letters[at]
            elif op == "double":
                letters.insert(at, letters[at])
            else:
                letters[at] = rng.choice(alphabet)
    return "".join(letters)


def _latin(text: str) -> str:
    """How a Cyrillic name is typed on a Latin keyboard: "Ольга" → "olga"."""
    return anyascii(text).replace("'", "").lower()


def _prefix(name: str, rng: random.Random) -> str:
    """The 3–4 letters staff type of a name; a particle comes with the next word's:
    "De Luca" → "de lu"."""
    letters = rng.randint(3, 4)
    words = plain(name).split()
    if len(words) > 1 and len(words[0]) <= 2:
        return f"{words[0]} {words[1][:letters]}"
    return words[0][:letters]


def phone_fragment(e164: str, rng: random.Random) -> str:
    """What staff type of a phone number: "234567", "+39 333 12" or "333-1234"."""
    digits = e164.lstrip("+")
    code = next((c for c in CALLING_CODES if digits.startswith(c)), digits[:2])
    national = digits[len(code) :]
    roll = rng.random()
    if roll < 0.4:
        return national[-6:]
    if roll < 0.7:
        return f"+{code} {national[:3]} {national[3 : rng.randint(5, 6)]}"
    return f"{national[:3]}-{national[3 : rng.randint(5, 7)]}"


def make_query(kind: str, walk_in: WalkIn, rng: random.Random) -> str | None:
    """The text staff type for ``walk_in``, or None when the kind does not fit them."""
    given, family = walk_in.given.strip(), walk_in.family.strip()
    if not given or not family:
        return None
    cyrillic = is_cyrillic(given + family)
    if kind == "prefix_both":
        return f"{_prefix(given, rng)} {_prefix(family, rng)}"
    if kind == "prefix_one":
        return _prefix(rng.choice((given, family)), rng)
    if kind == "typo":
        long_names = [n for n in (given, family.split()[0]) if len(n) >= 5]
        if not long_names:
            return None
        chosen = rng.choice(long_names)
        mistyped = typo(plain(chosen), rng)
        if chosen == given:
            return f"{mistyped} {_prefix(family, rng)}"
        return f"{_prefix(given, rng)} {mistyped}"
    if kind == "phone":
        return phone_fragment(rng.choice(walk_in.phones), rng) if walk_in.phones else None
    if kind == "email":
        local = walk_in.email.split("@")[0]
        if not local:
            return None
        # Short of a digit or two of the number, never short of the name.
        name_part = len(local.rstrip("0123456789"))
        return local[: max(len(local) - rng.randint(0, 2), min(name_part + 1, len(local)))]
    if kind == "cyrillic_for_latin":
        return None if cyrillic else f"{to_cyrillic(given)} {to_cyrillic(family.split()[0])}"
    if kind == "latin_for_cyrillic":
        return _latin(f"{given} {family}") if cyrillic else None
    raise ValueError(f"unknown query kind {kind!r}")


def _kinds(count: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    for kind, share in QUERY_MIX:
        kinds += [kind] * round(count * share)
    kinds = (kinds + [QUERY_MIX[0][0]] * count)[:count]
    rng.shuffle(kinds)
    return kinds


def _walk_in_pool(now: datetime, home: int | None) -> tuple[list[int], list[float]]:
    """Ids and cumulative weights of the customers who may walk in (see the docstring),
    only those of location ``home`` when given."""
    from regulars.customers.models import Customer

    ids: list[int] = []
    cumulative: list[float] = []
    total = 0.0
    recent = Customer.objects.filter(last_visit_at__gte=now - timedelta(days=RECENT_DAYS))
    if home is not None:
        recent = recent.filter(home_location_id=home)
    rows = recent.order_by("id").values_list("id", "visit_count", "last_visit_at")
    for customer_id, visits, last in rows.iterator(chunk_size=20_000):
        if last is None:  # filtered out above; the type does not know
            continue
        days = max(0.0, (now - last).total_seconds() / 86_400)
        total += math.exp(-days / RECENCY_DAYS) * (1 + math.log1p(visits))
        ids.append(customer_id)
        cumulative.append(total)
    return ids, cumulative


def _load_walk_ins(ids: set[int]) -> dict[int, WalkIn]:
    from regulars.customers.models import Customer, Phone

    found: dict[int, WalkIn] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        phones: dict[int, list[str]] = {}
        for customer_id, number in (
            Phone.objects.filter(customer_id__in=chunk)
            .order_by("id")
            .values_list("customer_id", "number")
        ):
            phones.setdefault(customer_id, []).append(number)
        for row in Customer.objects.filter(id__in=chunk).values(
            "id", "public_id", "given_name", "family_name", "email", "home_location_id"
        ):
            found[row["id"]] = WalkIn(
                customer_id=row["id"],
                public_id=row["public_id"],
                given=row["given_name"],
                family=row["family_name"],
                email=row["email"],
                phones=tuple(phones.get(row["id"], ())),
                home_location_id=row["home_location_id"],
            )
    return found


def build_queries(
    count: int,
    *,
    seed: int,
    location_ids: Sequence[int],
    now: datetime,
    home: int | None = None,
) -> list[Query]:
    """``count`` queries, each for a walk-in drawn from the database's customers (of
    location ``home`` only, when given)."""
    rng = random.Random(seed)
    ids, cumulative = _walk_in_pool(now, home)
    if not ids:
        raise RuntimeError("no customer was seen recently: nobody to walk in")
    queries: list[Query] = []
    for kind in _kinds(count, rng):
        for _attempt in range(10_000):
            candidates = rng.choices(ids, cum_weights=cumulative, k=8)
            details = _load_walk_ins(set(candidates))
            for customer_id in candidates:
                walk_in = details[customer_id]
                text = make_query(kind, walk_in, rng)
                if text:
                    break
            else:
                continue
            break
        else:
            raise RuntimeError(f"no walk-in fits a {kind} query")
        home = walk_in.home_location_id
        elsewhere = [i for i in location_ids if i != home]
        at = home
        if (home is None or rng.random() >= HOME_SHARE) and elsewhere:
            at = rng.choice(elsewhere)  # a customer at another of the chain's locations
        queries.append(
            Query(
                text=text,
                kind=kind,
                customer_id=walk_in.customer_id,
                public_id=walk_in.public_id,
                location_id=at,
            )
        )
    return queries


# --- measuring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (0.95 → p95), interpolated between the nearest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Outcome:
    latency_ms: list[float] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)


def _search_all(queries: Sequence[Query], locations: dict[int, Any]) -> Outcome:
    from regulars.customers.search import search_customers

    outcome = Outcome()
    for query in queries:
        location = locations.get(query.location_id) if query.location_id else None
        started = time.perf_counter()
        hits = search_customers(query.text, location=location, limit=HITS)
        outcome.latency_ms.append((time.perf_counter() - started) * 1000)
        ids = [hit.customer_id for hit in hits]
        outcome.found.append(query.customer_id in ids)
        if query.customer_id not in ids and len(outcome.misses) < 15:
            outcome.misses.append(
                {**asdict(query), "hits": [str(hit.customer) for hit in hits][:HITS]}
            )
    return outcome


def _icontains_all(queries: Sequence[Query]) -> Outcome:
    """The baseline: what a plain Django list view's search box does."""
    from django.db.models import Q

    from regulars.customers.models import Customer

    outcome = Outcome()
    for query in queries:
        text = query.text
        started = time.perf_counter()
        found = list(
            Customer.objects.filter(
                Q(given_name__icontains=text)
                | Q(family_name__icontains=text)
                | Q(preferred_name__icontains=text)
                | Q(email__icontains=text)
                | Q(phones__number__icontains=text)
            )
            .distinct()[:HITS]
            .values_list("id", flat=True)
        )
        outcome.latency_ms.append((time.perf_counter() - started) * 1000)
        outcome.found.append(query.customer_id in found)
    return outcome


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _child(
    database: str, csv_path: Path, data_dir: Path, queries: int, seed: int
) -> dict[str, Any]:
    if database == "postgres":
        os.environ["REGULARS_DATA_DIR"] = str(data_dir)
        os.environ["REGULARS_DATABASE_URL"] = PG_URL
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
        os.environ.setdefault("REGULARS_LOG_LEVEL", "WARNING")
        import django
        from django.core.management import call_command

        django.setup()
        data_dir.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
    else:
        setup_django(data_dir)
    from django.utils import timezone

    from regulars.accounts.models import Location
    from regulars.accounts.services import create_location
    from regulars.customers.models import Customer
    from regulars.customers.search import rebuild_index

    locations = [
        create_location(name=name, timezone_name=tz, currency=currency, country=country)
        for name, tz, currency, country in LOCATIONS
    ]
    started = time.perf_counter()
    rows = import_customers(csv_path, locations[0], data_dir / "report.csv")
    import_s = time.perf_counter() - started

    now = timezone.now()
    started = time.perf_counter()
    customer_ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    apply_visit_stats(
        customer_ids=customer_ids,
        location_ids=[location.pk for location in locations],
        seed=seed,
        now=now,
    )
    stats_s = time.perf_counter() - started
    _progress(
        f"{database}: {len(customer_ids):,} customers, import {import_s:.1f} s, "
        f"visit statistics {stats_s:.1f} s"
    )

    started = time.perf_counter()
    indexed = rebuild_index()
    index_build_s = time.perf_counter() - started
    _progress(f"{database}: index of {indexed:,} customers built in {index_build_s:.1f} s")

    location_ids = [location.pk for location in locations]
    by_id = {location.pk: location for location in Location.objects.all()}
    planned = build_queries(queries + WARMUP_QUERIES, seed=seed, location_ids=location_ids, now=now)
    warmup, measured = planned[:WARMUP_QUERIES], planned[WARMUP_QUERIES:]
    _search_all(warmup, by_id)
    search = _search_all(measured, by_id)

    sample_at = sorted(
        random.Random(seed + 1).sample(range(len(measured)), min(BASELINE_SAMPLE, len(measured)))
    )
    baseline = _icontains_all([measured[i] for i in sample_at])
    search_sample_ms = statistics.median(search.latency_ms[i] for i in sample_at)
    baseline_ms = statistics.median(baseline.latency_ms)

    recall_by_kind = {
        kind: round(
            _share([f for q, f in zip(measured, search.found, strict=True) if q.kind == kind]), 4
        )
        for kind, _share_ in QUERY_MIX
    }
    return {
        "database": database,
        "rows": rows,
        "customers": len(customer_ids),
        "indexed": indexed,
        "import_s": import_s,
        "stats_s": stats_s,
        "index_build_s": index_build_s,
        "queries": len(measured),
        "p50_ms": percentile(search.latency_ms, 0.50),
        "p95_ms": percentile(search.latency_ms, 0.95),
        "p99_ms": percentile(search.latency_ms, 0.99),
        "max_ms": max(search.latency_ms),
        "recall_top5": _share(search.found),
        "recall_by_kind": recall_by_kind,
        "baseline_sample": len(sample_at),
        "baseline_median_ms": baseline_ms,
        "search_median_ms_on_sample": search_sample_ms,
        "speedup_vs_icontains": baseline_ms / search_sample_ms,
        "baseline_recall_top5": _share(baseline.found),
        "misses": search.misses,
    }


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_admin() -> Any:
    """An autocommit connection to the server's ``postgres`` database, or None."""
    import psycopg

    from regulars.core.dburl import parse_database_url

    config = parse_database_url(PG_URL)
    params = {
        "host": config["HOST"],
        "port": config["PORT"],
        "user": config["USER"],
        "password": config["PASSWORD"],
    }
    try:
        return psycopg.connect(
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
            **{key: value for key, value in params.items() if value},
        )
    except psycopg.Error as exc:
        _progress(f"PostgreSQL is not reachable ({str(exc).strip()}): skipping it")
        return None


def _pg_database(admin: Any, *, create: bool) -> None:
    from psycopg import sql

    from regulars.core.dburl import parse_database_url

    name = sql.Identifier(parse_database_url(PG_URL)["NAME"])
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    if create:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


# --- the benchmark ------------------------------------------------------------------------


def _run(database: str, csv_path: Path, work: Path, queries: int) -> dict[str, Any] | None:
    admin = None
    if database == "postgres":
        admin = _pg_admin()
        if admin is None:
            return None
        _pg_database(admin, create=True)
    data_dir = work / database
    try:
        args = ["--child", database, "--csv", str(csv_path), "--data", str(data_dir)]
        result: dict[str, Any] = run_child("bench.search", [*args, "--queries", str(queries)])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if admin is not None:
            _pg_database(admin, create=False)
            admin.close()
    _progress(
        f"{database}: p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms, "
        f"p99 {result['p99_ms']:.2f} ms, recall@{HITS} {result['recall_top5']:.3f} "
        f"{result['recall_by_kind']}; icontains median {result['baseline_median_ms']:.1f} ms "
        f"vs {result['search_median_ms_on_sample']:.2f} ms = "
        f"{result['speedup_vs_icontains']:.0f}x"
    )
    for miss in result["misses"]:
        _progress(
            f"  missed {miss['kind']}: {miss['text']!r} for {miss['public_id']}: {miss['hits']}"
        )
    return result


def _figures(database: str, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{database}_p95_ms": figure(result["p95_ms"], "ms", P95_TARGET_MS, "lower"),
        f"{database}_recall_top5": figure(result["recall_top5"], "share", RECALL_TARGET, "higher"),
        f"{database}_speedup_vs_icontains": figure(
            result["speedup_vs_icontains"], "x", SPEEDUP_TARGET, "higher"
        ),
        f"{database}_index_build_s": figure(
            result["index_build_s"], "s", INDEX_BUILD_TARGET_S, "lower"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--customers", type=int, help="override the number of customers")
    parser.add_argument("--queries", type=int, help="override the number of queries")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    queries = args.queries or (QUICK_QUERIES if args.quick else FULL_QUERIES)
    if args.child:
        result = _child(args.child, args.csv, args.data, queries, args.seed)
        print(json.dumps(result))
        return 0

    customers = args.customers or (QUICK_CUSTOMERS if args.quick else FULL_CUSTOMERS)
    databases = DATABASES if args.database == "both" else (args.database,)
    work = temp_dir("search")
    results: dict[str, dict[str, Any]] = {}
    try:
        csv_path = work / "customers.csv"
        started = time.perf_counter()
        generate_customers(csv_path, customers, seed=args.seed)
        _progress(f"generated {customers:,} customers in {time.perf_counter() - started:.1f} s")
        for database in databases:
            measured = _run(database, csv_path, work, queries)
            if measured is not None:
                results[database] = measured
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not results:
        raise SystemExit("bench.search: no database to measure")

    figures: dict[str, dict[str, Any]] = {}
    for database, result in results.items():
        figures.update(_figures(database, result))
    extra = {
        database: {
            key: round(value, 4) if isinstance(value, float) else value
            for key, value in result.items()
            if key not in ("misses", "database")
        }
        for database, result in results.items()
    }
    print(
        "; ".join(
            f"{db}: p95 {r['p95_ms']:.1f} ms, recall {r['recall_top5']:.3f}, "
            f"{r['speedup_vs_icontains']:.0f}x icontains, index {r['index_build_s']:.1f} s"
            for db, r in results.items()
        )
    )
    print_result("search", customers, figures, queries=queries, **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
