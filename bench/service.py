"""The service desk at scale: ``python -m bench.service [--quick] [--database
sqlite|postgres|both]`` (issue 4).

Target: with 1,000,000 tickets and 3,000,000 timeline entries, a location's queue page
in p95 ≤ 50 ms and the service figures for a year in ≤ 1 s, on SQLite and PostgreSQL,
each against a naive per-row Python computation in the same run.

1. The business (``bench._service_rows``, loaded by ``bench._service_data``): 20
   locations in 10 time zones, 60 staff, 200,000 customers, 1,000,000 tickets over
   three years with 3,000,000 timeline entries, returns for about 5 % of the tickets,
   about 100,000 promises and 150,000 follow-ups, 2,000,000 visits (80 % with a queue
   wait); ``--quick``: 5 locations and 10,000 tickets, the rest in proportion. Built
   once and kept (``var/bench-cache/service/`` for SQLite, the database
   ``regulars_bench_service`` on PostgreSQL), keyed by sizes, seed, the generator's
   source and the project's migrations; ``--rebuild`` builds again. ``--quick`` builds
   a fresh one every run (a temporary directory; the database
   ``regulars_bench_service_quick``, dropped afterwards). Times in the data are
   relative to the build's hour (``now``), which the measurements use as "now".
2. Queue page: the queries the queue view runs for its first page (the location's
   handlers, the paginator's count, 50 tickets with customer and assignee, each
   person's load: ``bench._service_naive.queue_page``), 200 calls (``--quick``: 60)
   over every location after one unmeasured call per location: 70 % with the default
   filter, the rest one of status, kind, priority, nobody's, someone's, overdue.
   p50/p95/p99. Baseline: ``naive_queue_page`` (every ticket of the location fetched
   and filtered, sorted and counted in Python) on a sample of 20 of the same calls
   (every filter at least once), once each; ``queue_speedup_vs_naive`` is its median
   over the page's median on the same calls.
3. Figures: ``service_figures`` for the last 365 days before ``now`` over every
   location (median of 5 runs; ``--quick`` 3), and for the busiest location and one
   staff member (extra fields). Baseline: ``naive_figures`` (each row of the year
   iterated in Python), once over every location at full size (it takes tens of
   seconds; ``--quick`` 3 times) and 3 times for the busiest location;
   ``figures_speedup_vs_naive`` is the ratio of the medians over every location.
4. Checks, which fail the benchmark (exit status 1) instead of reporting: every sampled
   queue page equals the naive one (count, the same tickets in the same order, the same
   load); the figures equal the naive ones for every location, the busiest one and the
   staff member (floats within a relative 1e-9); and the data are not empty where a
   check would prove nothing.

Figures per database: ``sqlite_queue_p95_ms`` (target 50), ``sqlite_figures_year_s``
(target 1), ``sqlite_queue_speedup_vs_naive`` and ``sqlite_figures_speedup_vs_naive``
(the issue names no number: target 1, i.e. faster than the naive loop), and the same
with ``postgres_``. PostgreSQL is skipped with a note when it does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import _places as places
from bench._service_data import FULL, QUICK, Sizes, build, build_key, build_now, read_meta
from bench._service_naive import (
    differences,
    naive_figures,
    naive_queue_page,
    queue_filters,
    queue_page,
)
from bench.common import ROOT, figure, print_result, run_child, setup_django, temp_dir

PG_SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
PG_DATABASE = "regulars_bench_service"
PG_QUICK_DATABASE = "regulars_bench_service_quick"
DATABASES = ("sqlite", "postgres")
CACHE = ROOT / "var" / "bench-cache" / "service"

FULL_CALLS, QUICK_CALLS = 200, 60
NAIVE_CALLS = 20
FULL_REPEAT, QUICK_REPEAT = 5, 3
FULL_NAIVE_REPEAT, QUICK_NAIVE_REPEAT = 1, 3
LOCATION_NAIVE_REPEAT = 3
DEFAULT_SHARE = 0.7  # of queue calls with the default filter

QUEUE_P95_TARGET_MS = 50
FIGURES_TARGET_S = 1
SPEEDUP_TARGET = 1


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class CheckFailed(Exception):
    """The fast path's answer differs from the naive one: the figures mean nothing."""


# --- measuring (in the child process) ----------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _plan_calls(locations: list[Any], calls: int, seed: int) -> list[tuple[Any, str, Any]]:
    """(location, variant name, filter) for each measured call, seeded."""
    from regulars.service.queries import ticket_handlers

    rng = random.Random(seed)
    variants = {loc.pk: queue_filters(ticket_handlers(loc)) for loc in locations}
    names = [name for name in variants[locations[0].pk] if name != "default"]
    planned = []
    for n in range(calls):
        location = locations[n % len(locations)]
        name = "default" if rng.random() < DEFAULT_SHARE else rng.choice(names)
        planned.append((location, name, variants[location.pk][name]))
    return planned


def _naive_sample(planned: list[tuple[Any, str, Any]], size: int, seed: int) -> list[int]:
    """Indexes of ``size`` calls: the first of each filter, then drawn at random."""
    chosen: dict[str, int] = {}
    for index, (_loc, name, _flt) in enumerate(planned):
        chosen.setdefault(name, index)
    picked = set(chosen.values())
    rest = [i for i in range(len(planned)) if i not in picked]
    random.Random(seed).shuffle(rest)
    picked.update(rest[: max(0, size - len(picked))])
    return sorted(picked)


def _timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def measure_queue(now: datetime, calls: int, naive_calls: int, seed: int) -> dict[str, Any]:
    from regulars.accounts.models import Location

    locations = list(Location.objects.order_by("pk"))
    planned = _plan_calls(locations, calls, seed)
    for location in locations:  # unmeasured: connections, caches, the first plans
        queue_page(location, queue_filters([])["default"], now=now)
    pages, seconds = [], []
    for location, _name, flt in planned:
        page, took = _timed(lambda location=location, flt=flt: queue_page(location, flt, now=now))
        pages.append(page)
        seconds.append(took)
    default_pages = [
        p for p, (_l, name, _f) in zip(pages, planned, strict=True) if name == "default"
    ]
    if not any(page.rows for page in default_pages):
        raise CheckFailed("every default queue page is empty: the data prove nothing")

    sample = _naive_sample(planned, naive_calls, seed)
    naive_seconds = []
    for index in sample:
        location, name, flt = planned[index]
        naive, took = _timed(
            lambda location=location, flt=flt: naive_queue_page(location, flt, now=now)
        )
        naive_seconds.append(took)
        found = differences(pages[index], naive)
        if found:
            raise CheckFailed(
                f"queue page of location {location.pk} ({name}) differs from the naive "
                f"one: {'; '.join(found[:5])}"
            )
    fast_on_sample = statistics.median(seconds[i] for i in sample)
    ms = [s * 1000 for s in seconds]
    return {
        "queue_calls": len(planned),
        "queue_p50_ms": _percentile(ms, 0.50),
        "queue_p95_ms": _percentile(ms, 0.95),
        "queue_p99_ms": _percentile(ms, 0.99),
        "queue_max_ms": max(ms),
        "queue_matching_mean": statistics.mean(page.total for page in pages),
        "queue_naive_calls": len(sample),
        "queue_naive_median_ms": statistics.median(naive_seconds) * 1000,
        "queue_median_ms_on_sample": fast_on_sample * 1000,
        "queue_speedup_vs_naive": statistics.median(naive_seconds) / fast_on_sample,
    }


def _check_figures(fast: Any, naive: Any, what: str) -> None:
    found = differences(fast, naive)
    if found:
        raise CheckFailed(f"figures for {what} differ from the naive ones: {'; '.join(found[:8])}")


def measure_figures(now: datetime, repeat: int, naive_repeat: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from regulars.accounts.models import Location
    from regulars.service.figures import service_figures
    from regulars.service.models import Ticket

    locations = list(Location.objects.order_by("pk"))
    busiest_id = (
        Ticket.objects.values("location_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["location_id"]
    )
    busiest = next(loc for loc in locations if loc.pk == busiest_id)
    staff_id = (
        Ticket.objects.filter(location_id=busiest_id, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["assignee_id"]
    )
    staff = get_user_model().objects.get(pk=staff_id)
    end = now.date() - timedelta(days=1)
    period = {"start": end - timedelta(days=364), "end": end, "now": now}

    def fast(**options: Any) -> tuple[Any, list[float]]:
        results = [_timed(lambda: service_figures(**period, **options)) for _ in range(repeat)]
        return results[-1][0], [took for _r, took in results]

    every, every_s = fast(locations=locations)
    one, one_s = fast(locations=[busiest])
    mine, mine_s = fast(locations=locations, staff=staff)
    if not (every.tickets and every.waits and every.returns_total and every.promises_kept.total):
        raise CheckFailed(
            f"the year's figures are empty somewhere: the data prove nothing: {every}"
        )
    if not every.follow_ups_on_time.total or not every.resolve_times:
        raise CheckFailed(f"the year has no follow-ups or resolved tickets: {every}")

    naive_every_s, naive_one_s = [], []
    for _ in range(naive_repeat):
        naive, took = _timed(lambda: naive_figures(**period, locations=locations))
        naive_every_s.append(took)
        _check_figures(every, naive, "every location")
    for _ in range(LOCATION_NAIVE_REPEAT):
        naive, took = _timed(lambda: naive_figures(**period, locations=[busiest]))
        naive_one_s.append(took)
        _check_figures(one, naive, busiest.name)
    _check_figures(
        mine, naive_figures(**period, locations=locations, staff=staff), "one staff member"
    )

    median_every = statistics.median(every_s)
    return {
        "figures_start": period["start"].isoformat(),
        "figures_end": end.isoformat(),
        "figures_tickets": every.tickets,
        "figures_year_s": median_every,
        "figures_year_runs_s": every_s,
        "figures_year_location_s": statistics.median(one_s),
        "figures_location": busiest.name,
        "figures_location_tickets": one.tickets,
        "figures_year_staff_s": statistics.median(mine_s),
        "figures_naive_s": statistics.median(naive_every_s),
        "figures_naive_runs": len(naive_every_s),
        "figures_naive_location_s": statistics.median(naive_one_s),
        "figures_speedup_vs_naive": statistics.median(naive_every_s) / median_every,
        "figures_location_speedup_vs_naive": statistics.median(naive_one_s)
        / statistics.median(one_s),
    }


def _setup_postgres(data_dir: Path, database_name: str) -> None:
    os.environ["REGULARS_DATA_DIR"] = str(data_dir)
    os.environ["REGULARS_DATABASE_URL"] = (
        f"postgres://{PG_SERVER['user']}@{PG_SERVER['host']}:{PG_SERVER['port']}/{database_name}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
    os.environ.setdefault("REGULARS_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    data_dir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def _child(args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes(**json.loads(args.sizes))
    key = build_key(sizes, args.seed)
    if args.child == "postgres":
        _setup_postgres(args.data, args.pg_database)
    else:
        setup_django(args.data)
    meta = read_meta()
    built: dict[str, Any] = {}
    if meta.get("key") != key:
        _progress(f"{args.child}: building {sizes} (key {key})")
        started = time.perf_counter()
        result = build(sizes, args.seed, key=key, now=build_now())
        built = {"build_s": time.perf_counter() - started, "build_steps_s": result.seconds}
        _progress(f"{args.child}: built in {built['build_s']:.1f} s: {result.counts}")
        meta = read_meta()
    else:
        _progress(f"{args.child}: reusing the database built for {meta['now']} (key {key})")
    now = datetime.fromisoformat(meta["now"])
    queue = measure_queue(now, args.calls, args.naive_calls, args.seed)
    _progress(
        f"{args.child}: queue p50 {queue['queue_p50_ms']:.1f} ms, p95 "
        f"{queue['queue_p95_ms']:.1f} ms; naive {queue['queue_naive_median_ms']:.0f} ms "
        f"= {queue['queue_speedup_vs_naive']:.0f}x"
    )
    figures = measure_figures(now, args.repeat, args.naive_repeat)
    _progress(
        f"{args.child}: figures for a year {figures['figures_year_s']:.3f} s "
        f"(one location {figures['figures_year_location_s']:.3f} s); naive "
        f"{figures['figures_naive_s']:.1f} s = {figures['figures_speedup_vs_naive']:.0f}x"
    )
    return {
        "database": args.child,
        "now": meta["now"],
        "counts": json.loads(meta["counts"]),
        "reused": not built,
        **built,
        **queue,
        **figures,
    }


# --- databases (in the parent) --------------------------------------------------------------


def _pg_key(dbname: str) -> str | None:
    """The key the cached PostgreSQL database was built with, if it is complete."""
    return places.pg_key(dbname, "bench_service_meta")


def _sqlite_key(data_dir: Path) -> str | None:
    from bench._service_data import sqlite_meta

    return sqlite_meta(data_dir / "regulars.sqlite3").get("key")


def _run(database: str, args: argparse.Namespace, sizes: Sizes) -> dict[str, Any] | None:
    key = build_key(sizes, args.seed)
    child = [
        "--child",
        database,
        "--sizes",
        json.dumps(asdict(sizes)),
        "--seed",
        str(args.seed),
        "--calls",
        str(args.calls),
        "--naive-calls",
        str(args.naive_calls),
        "--repeat",
        str(args.repeat),
        "--naive-repeat",
        str(args.naive_repeat),
    ]
    scratch = temp_dir("service") if args.quick else None
    data_dir = scratch / database if scratch else args.cache / database
    dbname = PG_QUICK_DATABASE if args.quick else PG_DATABASE
    if database == "postgres":
        if not places.pg_reachable():
            return None
        if args.quick or args.rebuild or _pg_key(dbname) != key:
            places.pg_recreate(dbname)
        child += ["--pg-database", dbname]
    elif not args.quick and (args.rebuild or _sqlite_key(data_dir) != key):
        shutil.rmtree(data_dir, ignore_errors=True)
    try:
        result: dict[str, Any] = run_child("bench.service", [*child, "--data", str(data_dir)])
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
            if database == "postgres":
                places.pg_recreate(dbname, create=False)
    return result


def _figures(database: str, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{database}_queue_p95_ms": figure(
            result["queue_p95_ms"], "ms", QUEUE_P95_TARGET_MS, "lower"
        ),
        f"{database}_queue_speedup_vs_naive": figure(
            result["queue_speedup_vs_naive"], "x", SPEEDUP_TARGET, "higher"
        ),
        f"{database}_figures_year_s": figure(
            result["figures_year_s"], "s", FIGURES_TARGET_S, "lower"
        ),
        f"{database}_figures_speedup_vs_naive": figure(
            result["figures_speedup_vs_naive"], "x", SPEEDUP_TARGET, "higher"
        ),
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.service")
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--tickets", type=int, help="tickets (everything else in proportion)")
    parser.add_argument("--calls", type=int, help="queue pages measured")
    parser.add_argument("--naive-calls", type=int, default=NAIVE_CALLS)
    parser.add_argument("--repeat", type=int, help="runs of each figures measurement")
    parser.add_argument("--naive-repeat", type=int, help="runs of the naive figures")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached databases")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where SQLite's is kept")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--child", choices=DATABASES, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pg-database", default=PG_DATABASE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.calls = args.calls or (QUICK_CALLS if args.quick else FULL_CALLS)
    args.repeat = args.repeat or (QUICK_REPEAT if args.quick else FULL_REPEAT)
    args.naive_repeat = args.naive_repeat or (
        QUICK_NAIVE_REPEAT if args.quick else FULL_NAIVE_REPEAT
    )
    if args.child:
        try:
            result = _child(args)
        except CheckFailed as exc:
            _progress(f"bench.service: CHECK FAILED on {args.child}: {exc}")
            return 1
        print(json.dumps(_rounded(result)))
        return 0

    base = QUICK if args.quick else FULL
    sizes = base.scaled(args.tickets) if args.tickets else base
    databases = DATABASES if args.database == "both" else (args.database,)
    results: dict[str, dict[str, Any]] = {}
    for database in databases:
        measured = _run(database, args, sizes)
        if measured is not None:
            results[database] = measured
    if not results:
        raise SystemExit("bench.service: no database to measure")

    figures: dict[str, dict[str, Any]] = {}
    for database, result in results.items():
        figures.update(_figures(database, result))
    print(
        "; ".join(
            f"{db}: queue p95 {r['queue_p95_ms']:.1f} ms ({r['queue_speedup_vs_naive']:.0f}x "
            f"naive), figures for a year {r['figures_year_s']:.3f} s "
            f"({r['figures_speedup_vs_naive']:.0f}x naive)"
            for db, r in results.items()
        )
    )
    print_result(
        "service",
        sizes.tickets,
        figures,
        sizes=asdict(sizes),
        **{db: {k: v for k, v in r.items() if k != "database"} for db, r in results.items()},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
