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
4. 1,000 queries (``--quick``: 200), seeded, each with its intended customer, made by
   ``bench.common_queries`` (who walks in, where, and what staff type first: its docstring
   has the table of kinds — 3–4 letters of both names, a full name with a typo, phone
   fragments, e-mail local parts, names typed in the other script). Staff then keep
   typing while what they typed still names more than five customers, as far as there
   is more to type; ``bench.common_queries`` counts whom a query names by brute force over
   every customer's fields, independently of the search.

   Latency of ``search_customers(query, location=..., limit=5)`` in-process, each
   query as first typed, once, after 50 unmeasured warm-up queries: p50/p95/p99
   (target p95 ≤ 15 ms). ``recall_top5``: over the queries that name at most five
   customers once typed further (``identifying_queries`` of them), the share whose
   intended customer is among the 5 hits (target ≥ 0.98; per kind in
   ``recall_by_kind``). When a query names more than five customers equally well no
   ranking can know which of them walked in; those are still measured and reported:
   ``recall_top5_first_typed`` (every query as first typed, the figure earlier
   versions of this benchmark reported) and ``recall_top5_named_all`` (every query as
   typed further, identifying or not).
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench.common import figure, print_result, run_child, setup_django, temp_dir
from bench.common_queries import QUERY_MIX, Query, build_queries
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


# Per culture: syllables that make a long tail of plausible surnames beyond the demo's
# (onsets, vowels, consonants between syllables, endings; "ов/ова" is masculine/feminine).
TAIL_SYLLABLES: dict[str, tuple[str, str, str, str]] = {
    "it": (
        "b c d f g l m n p r s t v z br cr gr pr tr st sp fr",
        "a e i o u",
        "l n r s t ll nn rr ss tt cc gg m",
        "i o a etti ini elli ucci one ato esi ari eri ardi",
    ),
    "da": (
        "b d f g h k l m n p r s t v sk st br fr kr",
        "a e i o u y æ ø å",
        "l n r s t d g k ll nn rr ds",
        "sen gaard holm berg strup lund dahl bæk skov mark by rup",
    ),
    "ru": (
        "б в г д ж з к л м н п р с т ф х ш бр гр кр пр ст тр",
        "а е и о у",
        "л н р с т к д в ш ч м б",
        "ов/ова ев/ева ин/ина ский/ская енко цев/цева анов/анова ушкин/ушкина",
    ),
    "es": (
        "b c d f g l m n p r s t v br cr gr pr tr",
        "a e i o u",
        "l n r s t d rr ll ñ m",
        "ez ero illa ales ado ano edo ino ena aga",
    ),
    "en": (
        "b c d f g h l m n p r s t w br cr st sh th",
        "a e i o u ai ea oo",
        "l n r s t d ck ll m rt nd",
        "son ton ley field well wood ford by ham man er ing",
    ),
}
TAIL_SURNAMES = 30_000  # per culture, after the widened demo surnames
# Surname ranks are drawn with weight 1 / (rank + ZIPF_OFFSET): the commonest surname
# is about 1.3 % of a culture's customers (Rossi, García, Иванов, Smith are 0.5–3 %),
# and most surnames past the first thousand are rare, as in real populations, so a
# full name is shared by a few dozen customers at the head and by nobody at the tail.
ZIPF_OFFSET = 10


def _tail(code: str, taken: set[str], count: int) -> list[tuple[str, str]]:
    """``count`` made-up surnames of culture ``code`` (masculine, feminine), none in
    ``taken``, the same on every run."""
    onsets, vowels, middles, endings = (part.split() for part in TAIL_SYLLABLES[code])
    rng = random.Random(f"surnames-{code}")
    found: dict[str, str] = {}
    while len(found) < count:
        stem = rng.choice(onsets) + rng.choice(vowels) + rng.choice(middles)
        if rng.random() < 0.4:
            stem += rng.choice(vowels) + rng.choice(middles)
        male_end, _slash, female_end = rng.choice(endings).partition("/")
        masculine = (stem + male_end).capitalize()
        if masculine not in taken and masculine not in found:
            found[masculine] = (stem + (female_end or male_end)).capitalize()
    return list(found.items())


# Per culture: given names (name, female?) and surnames (masculine, feminine), the
# demo's widened ones first (the common ones), then the made-up tail.
GIVEN: dict[str, list[tuple[str, bool]]] = {
    code: [(name, True) for name, _s, _d in CULTURES[code].female]
    + [(name, False) for name, _s, _d in CULTURES[code].male]
    for code in ("it", "da", "ru", "es", "en")
}
SURNAMES: dict[str, list[tuple[str, str]]] = {}
for _code in GIVEN:
    _head = _surnames(_code)
    SURNAMES[_code] = _head + _tail(_code, {m for m, _f in _head}, TAIL_SURNAMES)
SURNAME_WEIGHTS: dict[str, list[float]] = {
    code: list(accumulate(1 / (rank + ZIPF_OFFSET) for rank in range(len(names))))
    for code, names in SURNAMES.items()
}


def _surname(locale: str, rng: random.Random) -> tuple[str, str]:
    return rng.choices(SURNAMES[locale], cum_weights=SURNAME_WEIGHTS[locale])[0]


def _person(locale: str, rng: random.Random) -> tuple[str, str]:
    given, female = rng.choice(GIVEN[locale])
    masculine, feminine = _surname(locale, rng)
    family = feminine if female else masculine
    if locale == "es":
        family = f"{family} {_surname(locale, rng)[0]}"
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


def _search_all(
    queries: Sequence[Query], locations: dict[int, Any], *, named: bool = False
) -> Outcome:
    """Each query's text as first typed, or (``named``) as typed until it named the
    walk-in; misses are recorded for identifying queries only when ``named``."""
    from regulars.customers.search import search_customers

    outcome = Outcome()
    for query in queries:
        text = query.named if named else query.text
        location = locations.get(query.location_id) if query.location_id else None
        started = time.perf_counter()
        hits = search_customers(text, location=location, limit=HITS)
        outcome.latency_ms.append((time.perf_counter() - started) * 1000)
        ids = [hit.customer_id for hit in hits]
        outcome.found.append(query.customer_id in ids)
        missed = query.customer_id not in ids and (query.identifying or not named)
        if missed and len(outcome.misses) < 15:
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

    named = _search_all(measured, by_id, named=True)
    identifying = [found for q, found in zip(measured, named.found, strict=True) if q.identifying]
    recall_by_kind = {
        kind: round(
            _share(
                [
                    found
                    for q, found in zip(measured, named.found, strict=True)
                    if q.kind == kind and q.identifying
                ]
            ),
            4,
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
        "recall_top5": _share(identifying),
        "identifying_queries": len(identifying),
        "recall_by_kind": recall_by_kind,
        "recall_top5_first_typed": _share(search.found),
        "recall_top5_named_all": _share(named.found),
        "named_p95_ms": percentile(named.latency_ms, 0.95),
        "baseline_sample": len(sample_at),
        "baseline_median_ms": baseline_ms,
        "search_median_ms_on_sample": search_sample_ms,
        "speedup_vs_icontains": baseline_ms / search_sample_ms,
        "baseline_recall_top5": _share(baseline.found),
        "misses": named.misses,
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
