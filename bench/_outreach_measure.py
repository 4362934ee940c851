"""What ``bench.outreach`` runs in its child processes: build the business, time one
``plan_day`` (with its phases and peak memory), run the per-customer baseline, measure
the send rate. Each child prints one JSON object as its last line.

Phases are timed by wrapping, for the child's lifetime, the functions the planner calls
through module globals (``bench._snapshot_measure.Phases``): the occasion queries, the
other audiences, the keys planned earlier, the policy's facts, the decisions, and the
writing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Self

from bench._outreach_data import build, build_key
from bench._outreach_sim import DAY, NOW, Sizes
from bench._snapshot_data import progress
from bench._snapshot_measure import Phases, setup


class CheckFailed(Exception):
    """The plan's outcome is wrong: its timing means nothing."""


def _peak_mib() -> float:
    """This process's own high-water mark of resident memory (VmHWM), MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class AnonSampler:
    """The peak of this process's anonymous memory (RssAnon), sampled every 20 ms while
    it runs: on SQLite the plan memory-maps the database, and the mapped pages (the
    operating system's file cache, shared, given back at will) count in VmHWM."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                    return

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._sample()

    def __enter__(self) -> Self:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def _instrument() -> Phases:
    from regulars.outreach import audiences, planning
    from regulars.outreach.planning import write
    from regulars.outreach.policy import facts

    phases = Phases()
    for module, name, label in (
        (audiences, "occasions_between", "occasions"),
        (audiences, "_welcome", "welcome"),
        (audiences, "_spell", "checkin_winback"),
        (audiences, "_recovery", "recovery"),
        (audiences, "_thank_you", "thank_you"),
        (planning, "_fresh", "planned_keys"),
        (facts, "_read_customers", "facts_customers"),
        (facts, "_read_phones", "facts_phones"),
        (facts, "_read_consents", "facts_consents"),
        (facts, "_read_touches", "facts_touches"),
        (planning, "decide_play", "decide"),
        (planning, "one_a_day", "one_a_day"),
        (write, "write_plan", "write"),
        (write, "_write_batch", "write_sql"),
    ):
        phases.wrap(module, name, label)
    return phases


def child_build(sizes: Sizes, seed: int, database: str, data_dir: Path) -> dict[str, Any]:
    key = build_key(sizes, seed)
    started = time.perf_counter()
    sqlite_path = data_dir / "regulars.sqlite3" if database == "sqlite" else None
    built = build(sizes, seed, key=key, sqlite_path=sqlite_path)
    return {"build_s": time.perf_counter() - started, **built}


def child_measure() -> dict[str, Any]:
    """``plan_day`` for the bench's day, on a fresh copy of the business."""
    from regulars.outreach.models import Message, MessageStatus
    from regulars.outreach.planning import plan_day

    phases = _instrument()
    before = Message.objects.count()
    load = os.getloadavg()
    cpu = time.process_time()
    with AnonSampler() as anon:
        started = time.perf_counter()
        run = plan_day(DAY, now=NOW)
        wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if run.error:
        raise CheckFailed(f"the plan failed: {run.error}")
    counts = run.counts
    today = Message.objects.filter(day=DAY)
    written = today.count()
    queued = today.filter(status=MessageStatus.QUEUED).count()
    if queued != counts["queued"] or not queued:
        raise CheckFailed(f"{queued} queued messages written, the run counted {counts['queued']}")
    doubled = today.values("customer_id").exclude(status=MessageStatus.HELD)
    if doubled.count() != doubled.distinct().count():
        raise CheckFailed("a customer got more than one message on the day")
    return {
        "wall_s": wall,
        "cpu_s": cpu,  # this process's (on PostgreSQL the server's work is not in it)
        "peak_rss_mib": _peak_mib(),
        "peak_anon_mib": anon.peak_mib,
        "load_avg": [round(x, 2) for x in load],
        "phases_s": {k: round(v, 3) for k, v in phases.seconds.items()},
        "counts": counts,
        "messages_before": before,
        "written_today": written,
    }


def child_naive(sample: int, seed: int) -> dict[str, Any]:
    """The per-customer ORM loop on ``sample`` customers drawn at random, timed (its
    writes rolled back); then ``plan_day`` on the same business (untimed), and the
    loop's decisions checked against the plan's messages for those customers."""
    import random

    from bench._outreach_naive import plan_naively
    from regulars.customers.models import Customer
    from regulars.outreach.models import Message
    from regulars.outreach.planning import plan_day

    total = Customer.objects.count()
    ids = sorted(random.Random(seed).sample(range(1, total + 1), min(sample, total)))
    load = os.getloadavg()
    started = time.perf_counter()
    naive = plan_naively(ids, DAY, NOW)
    took = time.perf_counter() - started
    run = plan_day(DAY, now=NOW)
    if run.error:
        raise CheckFailed(f"the plan failed: {run.error}")
    planned: dict[int, dict[str, tuple[str, str, str]]] = {pk: {} for pk in ids}
    for customer_id, key, status, reason, channel in Message.objects.filter(
        day=DAY, customer_id__in=ids
    ).values_list("customer_id", "key", "status", "reason", "channel"):
        planned[customer_id][key] = (status, reason, channel)
    wrong = [
        f"customer {pk}: loop {naive.get(pk)} plan {planned[pk]}"
        for pk in ids
        if naive.get(pk, {}) != planned[pk]
    ]
    if wrong:
        raise CheckFailed("the loop and the plan disagree: " + "; ".join(wrong[:5]))
    return {
        "sample": len(ids),
        "customers": total,
        "naive_sample_s": took,
        "naive_extrapolated_s": took * total / len(ids),
        "messages_compared": sum(len(m) for m in planned.values()),
        "load_avg": [round(x, 2) for x in load],
    }


def run_child_main(args: Any, sizes: Sizes) -> int:
    setup(args.child_db, args.data, args.pg_database)
    if args.child == "build":
        result = child_build(sizes, args.seed, args.child_db, args.data)
    elif args.child == "measure":
        result = child_measure()
    else:
        result = child_naive(args.naive_sample, args.seed)
    print(json.dumps(result, default=str), flush=True)
    return 0


__all__ = ["CheckFailed", "progress", "run_child_main"]
