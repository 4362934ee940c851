"""What ``bench.snapshot`` runs in its child processes: build a database, time one
``take_snapshot`` (with its phases and peak memory), run the per-customer baseline,
clear the snapshots. Each child prints one JSON object as its last line.

Phases are timed by wrapping, for the child's lifetime only, the functions
``regulars.loyalty.services`` and ``regulars.loyalty.compute`` call (module globals are
looked up at call time, so the wrappers see every call): reading the visits is the time
spent inside the ``visit_chunks`` generator, the per-chunk arithmetic is ``_chunk``, and
"fit, stages and figures" is the rest of ``compute``. A function the code no longer has
is simply not timed (its phase is missing from the result).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import random
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench._snapshot_data import build, build_key, build_now, progress, read_meta
from bench._snapshot_sim import Sizes

PG_SERVER = "postgres://postgres@127.0.0.1:5432"


class CheckFailed(Exception):
    """The snapshot's outcome is wrong: its timing means nothing."""


def setup(database: str, data_dir: Path, pg_database: str) -> None:
    """Django on the bench database (created empty by the parent), migrated."""
    os.environ["REGULARS_DATA_DIR"] = str(data_dir)
    if database == "postgres":
        os.environ["REGULARS_DATABASE_URL"] = f"{PG_SERVER}/{pg_database}"
    else:
        os.environ.pop("REGULARS_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
    os.environ.setdefault("REGULARS_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    data_dir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def _rss_mib() -> float:
    """Resident memory now, MiB (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_build(sizes: Sizes, seed: int, database: str, data_dir: Path) -> dict[str, Any]:
    key = build_key(sizes, seed)
    sqlite_path = data_dir / "regulars.sqlite3" if database == "sqlite" else None
    started = time.perf_counter()
    built = build(sizes, seed, key=key, now=build_now(), sqlite_path=sqlite_path)
    return {
        "build_s": time.perf_counter() - started,
        "steps_s": built.seconds,
        "counts": built.counts,
        "now": built.now.isoformat(),
    }


# --- the snapshot, timed ---------------------------------------------------------------------


class Phases:
    """Seconds spent in wrapped functions, and the peak memory when each phase ended."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.peak_after: dict[str, float] = {}

    def _add(self, label: str, took: float) -> None:
        self.seconds[label] += took
        self.calls[label] += 1
        self.peak_after[label] = _peak_mib()

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._add(label, time.perf_counter() - started)

        setattr(module, name, timed)

    def wrap_generator(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items = original(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    self._add(label, time.perf_counter() - started)
                    return
                self._add(label, time.perf_counter() - started)
                yield item

        setattr(module, name, timed)


def _instrument() -> Phases:
    from regulars.loyalty import compute as c
    from regulars.loyalty import fits as f
    from regulars.loyalty import services as s

    phases = Phases()
    for module, name, label in (
        (s, "main_currency", "main_currency"),
        (s, "currencies", "currencies"),
        (s, "_previous", "previous_stages"),
        (s, "_dissatisfied_ids", "dissatisfied"),
        (s, "compute", "compute"),
        (s, "_write", "write"),
        (s, "_rows", "write_rows_python"),
        (s, "_insert", "write_insert"),
        (s, "_thin_history", "thin_history"),
        (c, "gather", "chunk_arithmetic"),
        (c, "fit_visits", "fit_bgnbd"),
        (f, "fit_gammagamma", "fit_gammagamma"),
        (f, "customer_lifetime_value", "clv"),
        (c, "holdout", "holdout_check"),
        (c, "lifecycle_stages", "stages"),
        (c, "rfm_scores", "rfm"),
    ):
        phases.wrap(module, name, label)
    phases.wrap_generator(s, "visit_chunks", "read_visits")
    return phases


def _write_profile(profiler: cProfile.Profile, path: Path, title: str) -> None:
    out = io.StringIO()
    out.write(f"{title}\n\n")
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), "utf-8")
    progress(f"profile written to {path}")


def clear_snapshots() -> None:
    """Every snapshot and standing gone (raw deletes; not timed)."""
    from django.db import connection, transaction

    from regulars.loyalty.models import Snapshot, Standing

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Standing._meta.db_table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {Snapshot._meta.db_table}")  # noqa: S608
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {Standing._meta.db_table}")
            cursor.execute(f"VACUUM (ANALYZE) {Snapshot._meta.db_table}")


def child_measure(mode: str, profile: Path | None = None) -> dict[str, Any]:
    """One ``take_snapshot``: ``first`` with no snapshot before it (the "clear" child
    ran just before), as of the build's ``now``; ``nightly`` a day later, the first
    one's as the previous. ``profile``: run it under cProfile and write the report
    there (the times then include the profiler's overhead: a diagnosis, not a
    measurement)."""
    from regulars.loyalty import services
    from regulars.loyalty.models import RunStatus, Snapshot, Standing

    meta = read_meta()
    now = datetime.fromisoformat(meta["now"])
    counts = json.loads(meta["counts"])
    if mode == "first":
        # Cleared by a child of its own just before (bench.snapshot), so that this
        # process's memory is the snapshot's alone.
        left = Snapshot.objects.count()
        if left:
            raise CheckFailed(f"a first run needs no snapshot before it, found {left}")
        moment = now
    else:
        done = list(Snapshot.objects.filter(status=RunStatus.DONE).values_list("as_of", flat=True))
        if done != [now]:
            raise CheckFailed(f"nightly run needs the first run's snapshot alone, found {done}")
        Snapshot.objects.exclude(status=RunStatus.DONE).delete()
        moment = now + timedelta(days=1)
    phases = _instrument()
    rss_before = _rss_mib()
    peak_before = _peak_mib()
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    run = services.take_snapshot(moment)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - started
    if profiler is not None and profile is not None:
        _write_profile(profiler, profile, f"take_snapshot ({mode}) {wall:.1f} s")
    peak = _peak_mib()
    if run is None or run.status != RunStatus.DONE:
        raise CheckFailed(f"the snapshot did not finish: {run and run.status}: {run and run.error}")
    written = Standing.objects.filter(snapshot=run).count()
    expected_visits = counts["visits"] - counts["future_visits"] - counts["duplicate_visits"]
    problems = []
    if written != counts["customers_with_visits"] or run.customers != written:
        problems.append(
            f"{written} standings written ({run.customers} reported), "
            f"{counts['customers_with_visits']} customers have a visit"
        )
    # A future visit dated within the day between the two runs is a past one by then.
    if mode == "first" and run.visits != expected_visits:
        problems.append(f"{run.visits} visits counted, {expected_visits} expected")
    if problems:
        raise CheckFailed("; ".join(problems))
    seconds = dict(phases.seconds)
    inside = seconds.get("read_visits", 0.0) + seconds.get("chunk_arithmetic", 0.0)
    if "compute" in seconds:
        seconds["fit_stages_figures"] = seconds["compute"] - inside
    return {
        "mode": mode,
        "as_of": moment.isoformat(),
        "wall_s": wall,
        "peak_rss_mib": peak,
        "peak_rss_before_mib": peak_before,
        "rss_before_mib": rss_before,
        "phases_s": seconds,
        "phase_calls": dict(phases.calls),
        "peak_rss_after_phase_mib": phases.peak_after,
        "standings": written,
        "visits_counted": run.visits,
        "method": run.method,
        "warnings": sorted({w.get("code", "?") for w in run.warnings}),
        "stages": (run.figures or {}).get("stages"),
        "load_avg": os.getloadavg(),
    }


# --- the baseline ----------------------------------------------------------------------------


def child_naive(sample: int, seed: int) -> dict[str, Any]:
    """The per-customer ORM snapshot on ``sample`` customers drawn at random from all of
    them, timed, and checked against the latest done snapshot; then every snapshot is
    cleared."""
    from bench._snapshot_naive import customers_without_standing, differences, naive_snapshot
    from regulars.customers.models import Customer
    from regulars.loyalty.models import RunStatus, Snapshot

    latest = Snapshot.objects.filter(status=RunStatus.DONE).order_by("-as_of").first()
    if latest is None:
        raise CheckFailed("no snapshot to compare the baseline with")
    total = Customer.objects.count()
    ids = sorted(random.Random(seed).sample(range(1, total + 1), min(sample, total)))
    started = time.perf_counter()
    naive = naive_snapshot(ids, latest.as_of)
    took = time.perf_counter() - started
    wrong = differences(naive, latest.pk)
    extra = customers_without_standing(ids, naive, latest.pk)
    if extra:
        wrong.append(f"customers {extra[:5]} have a standing but no visit")
    clear_snapshots()
    if wrong:
        raise CheckFailed("baseline and snapshot disagree: " + "; ".join(wrong[:8]))
    return {
        "sample": len(ids),
        "with_visits": len(naive),
        "naive_sample_s": took,
        "customers": total,
        "naive_extrapolated_s": took * total / len(ids),
        "compared_with": latest.as_of.isoformat(),
        "load_avg": os.getloadavg(),
    }


def _clear() -> dict[str, Any]:
    clear_snapshots()
    return {}


def run_child_main(args: Any, sizes: Sizes) -> int:
    setup(args.child_db, args.data, args.pg_database)
    work: dict[str, Callable[[], dict[str, Any]]] = {
        "build": lambda: child_build(sizes, args.seed, args.child_db, args.data),
        "measure": lambda: child_measure(args.mode, args.profile_to),
        "naive": lambda: child_naive(args.naive_sample, args.seed),
        "clear": _clear,
    }
    try:
        result = work[args.child]()
    except CheckFailed as exc:
        progress(f"bench.snapshot: CHECK FAILED on {args.child_db}: {exc}")
        return 1
    print(json.dumps(result), flush=True)
    return 0


__all__ = ["PG_SERVER", "CheckFailed", "run_child_main", "setup"]
