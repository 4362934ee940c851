"""Planning a day's outreach at scale, and sending it: ``python -m bench.outreach
[--quick] [--database sqlite|postgres|both]``.

Targets (the issue): planning one day's outreach for 1,000,000 customers in ≤ 30 s,
against a per-customer Python loop over the ORM in the same run (the ratio); sending to
a local SMTP sink at ≥ 200 messages/s.

1. The business (``bench._outreach_sim``, loaded by ``bench._outreach_data``):
   1,000,000 customers at three locations with birthdays, name days (their own, or the
   calendar's for their given name), household members, pets, custom dates, phones,
   e-mails, consents, bounces, a done loyalty snapshot with stages, 30 days of messages,
   survey e-mails and follow-up calls, open complaints and recoveries, and 11 approved
   plays (six occasions, welcome, check-in, win-back, recovery, thank-you). Built once
   and kept: SQLite under ``var/bench/outreach/``, PostgreSQL (when it answers at
   127.0.0.1:5432) as the database ``regulars_bench_outreach``, keyed by the sizes, the
   seed and the generator's code; ``--rebuild`` builds again. ``--quick``: 20,000
   customers, SQLite, built fresh in a temporary directory.
2. Timed: ``regulars.outreach.planning.plan_day`` for the bench's day, each run in a
   child process of its own on a fresh copy of the business (a file copy; PostgreSQL's
   ``CREATE DATABASE … TEMPLATE``), which reports its wall time, its peak resident
   memory and its phases. 3 runs (``--runs``); the figure is the median.
3. Baseline, in the same run: ``bench._outreach_naive``, the same day planned one
   customer at a time over the ORM, timed on 2,000 customers drawn at random
   (``--quick``: 300) and extrapolated linearly; its decisions must equal the plan's
   for those customers (the check fails the benchmark otherwise).
4. Sending: ``bench._outreach_send.measure_send_rate(n)`` with 2,000 messages
   (``--quick``: 200), in a process of its own, against one ``send_mail`` per message.

Figures: ``plan_{db}_s`` (target 30 s), ``ratio_vs_orm_loop_{db}`` (no number in the
issue: target 1, faster than the loop), ``peak_rss_mib_{db}`` and ``peak_anon_mib_{db}``
(reported, no target: on SQLite the plan memory-maps the database file, whose pages
count in the resident peak but are the system's file cache; the anonymous peak is the
plan's own memory), ``send_rate_per_s`` (target 200).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import _places as places
from bench._outreach_data import build_key
from bench._outreach_send import measure_send_rate
from bench._outreach_sim import FULL, QUICK, Sizes
from bench._snapshot_data import progress
from bench.common import ROOT, figure, median, print_result, temp_dir

CACHE = ROOT / "var" / "bench" / "outreach"
DATABASES = ("sqlite", "postgres")
PG_FULL, PG_QUICK, PG_RUN = (
    "regulars_bench_outreach",
    "regulars_bench_outreach_quick",
    "regulars_bench_outreach_run",
)
FULL_RUNS, QUICK_RUNS = 3, 3
NAIVE_SAMPLE, QUICK_NAIVE_SAMPLE = 2_000, 300
SEND_N, QUICK_SEND_N = 2_000, 200
PLAN_TARGET_S = 30.0
RATIO_TARGET = 1.0
SEND_TARGET = 200.0


class Place(places.Place):
    """The business of one database, and fresh copies of it for each run."""

    def __init__(self, database: str, sizes: Sizes, args: argparse.Namespace) -> None:
        super().__init__(
            module="bench.outreach",
            database=database,
            sizes=sizes,
            args=args,
            pg_database=PG_QUICK if args.quick else PG_FULL,
            build_key=build_key,
        )

    @contextmanager
    def fresh_copy(self) -> Iterator[tuple[Path, str]]:
        """A copy of the business for one run: (data directory, PostgreSQL database)."""
        if self.database == "postgres":
            from psycopg import sql

            places.pg_recreate(PG_RUN, create=False)
            with places.pg("postgres") as admin:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(PG_RUN), sql.Identifier(self.pg_database)
                    )
                )
            try:
                yield self.data, PG_RUN
            finally:
                places.pg_recreate(PG_RUN, create=False)
            return
        copy = temp_dir("outreach-run")
        try:
            for name in ("regulars.sqlite3", "regulars.sqlite3-wal"):
                if (self.data / name).exists():
                    shutil.copyfile(self.data / name, copy / name)
            os.sync()  # the copy's writing-back is not the plan's to wait for
            yield copy, self.pg_database
        finally:
            shutil.rmtree(copy, ignore_errors=True)


def measure(database: str, args: argparse.Namespace) -> dict[str, Any] | None:
    if database == "postgres" and not places.pg_reachable():
        return None
    sizes = QUICK if args.quick else FULL
    place = Place(database, sizes, args)
    runs: list[dict[str, Any]] = []
    try:
        built = place.ensure_built()
        for n in range(args.runs):
            with place.fresh_copy() as (data, pg_database):
                result = place.child("measure", data=data, pg_database=pg_database)
            runs.append(result)
            phases = ", ".join(f"{k} {v:.1f}" for k, v in result["phases_s"].items() if v >= 0.3)
            progress(
                f"{database} run {n + 1}: {result['wall_s']:.1f} s (cpu {result['cpu_s']:.1f} s), peak "
                f"{result['peak_rss_mib']:.0f} MiB ({result['peak_anon_mib']:.0f} MiB anonymous) "
                f"(load {result['load_avg'][0]:.1f}); {phases}"
            )
        with place.fresh_copy() as (data, pg_database):
            naive = place.child(
                "naive",
                "--naive-sample",
                str(args.naive_sample),
                data=data,
                pg_database=pg_database,
            )
    finally:
        place.close()
    progress(
        f"{database}: baseline {naive['naive_sample_s']:.1f} s for {naive['sample']} customers "
        f"(decisions equal to the plan's), extrapolated {naive['naive_extrapolated_s']:.0f} s "
        f"for {naive['customers']:,}"
    )
    return {
        "sizes": asdict(sizes),
        "median_s": round(median(r["wall_s"] for r in runs), 3),
        "runs_s": [round(r["wall_s"], 3) for r in runs],
        "cpu_s": [round(r["cpu_s"], 3) for r in runs],
        "peak_rss_mib": [round(r["peak_rss_mib"], 1) for r in runs],
        "peak_anon_mib": [round(r["peak_anon_mib"], 1) for r in runs],
        "load_avg_1min": [r["load_avg"][0] for r in runs],
        "phases_median_s": {
            name: round(median(r["phases_s"].get(name, 0.0) for r in runs), 3)
            for name in sorted({n for r in runs for n in r["phases_s"]})
        },
        "counts": runs[-1]["counts"],
        "messages_before": runs[-1]["messages_before"],
        "naive": naive,
        "built": built,
    }


def send_rate(args: argparse.Namespace) -> dict[str, Any]:
    """The sender's rate (``bench._outreach_send``, in a process of its own)."""
    result = measure_send_rate(args.send_n)
    progress(
        f"sending: {result['messages_per_s']:.0f} messages/s, one send_mail per message "
        f"{result['baseline_messages_per_s']:.0f}/s"
    )
    return result


def figures_of(results: dict[str, dict[str, Any]], sent: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for database, r in results.items():
        out[f"plan_{database}_s"] = figure(r["median_s"], "s", PLAN_TARGET_S, "lower")
        out[f"ratio_vs_orm_loop_{database}"] = figure(
            r["naive"]["naive_extrapolated_s"] / r["median_s"], "x", RATIO_TARGET, "higher"
        )
        for name in ("peak_rss_mib", "peak_anon_mib"):  # reported: the issue sets no number
            out[f"{name}_{database}"] = {
                "value": max(r[name]),
                "unit": "MiB",
                "target": None,
                "better": "lower",
                "met": True,
            }
    out["send_rate_per_s"] = figure(sent["messages_per_s"], "messages/s", SEND_TARGET, "higher")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outreach")
    parser.add_argument("--quick", action="store_true", help="20k customers, SQLite, seconds")
    parser.add_argument("--runs", type=int, help="timed plans per database")
    parser.add_argument("--naive-sample", type=int, help="customers in the baseline")
    parser.add_argument("--send-n", type=int, help="messages sent for the send rate")
    places.add_place_arguments(
        parser, databases=DATABASES, cache=CACHE, children=["build", "measure", "naive"]
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (QUICK_RUNS if args.quick else FULL_RUNS)
    args.naive_sample = args.naive_sample or (QUICK_NAIVE_SAMPLE if args.quick else NAIVE_SAMPLE)
    args.send_n = args.send_n or (QUICK_SEND_N if args.quick else SEND_N)
    if args.child:
        from bench._outreach_measure import run_child_main

        sizes = Sizes(**json.loads(args.sizes)) if args.sizes else QUICK
        return run_child_main(args, sizes)

    chosen = args.database or ("sqlite" if args.quick else "both")
    databases = DATABASES if chosen == "both" else (chosen,)
    results: dict[str, dict[str, Any]] = {}
    try:
        for database in databases:
            measured = measure(database, args)
            if measured is not None:
                results[database] = measured
        sent = send_rate(args)
    except RuntimeError as exc:  # a child failed (its reason is on stderr)
        progress(f"bench.outreach: {exc}")
        return 1
    if not results:
        raise SystemExit("bench.outreach: no database to measure")
    sizes = QUICK if args.quick else FULL
    print(
        "; ".join(
            f"{db}: planned a day for {sizes.customers:,} customers in {r['median_s']:.1f} s "
            f"(median of {len(r['runs_s'])}), peak {max(r['peak_rss_mib']):.0f} MiB, "
            f"{r['naive']['naive_extrapolated_s'] / r['median_s']:.0f}x the ORM loop"
            for db, r in results.items()
        )
    )
    print_result("outreach", sizes.customers, figures_of(results, sent), send=sent, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
