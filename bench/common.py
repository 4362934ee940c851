"""Helpers every benchmark shares: medians, peak memory, fresh databases, child
processes, and the one JSON line a benchmark ends with (STYLE.md, "Benchmarks")."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """(result, seconds) of one call, on the monotonic clock."""
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def repeat_timed(fn: Callable[[], Any], times: int) -> list[float]:
    """Seconds of ``times`` calls (report the median, not the best)."""
    return [timed(fn)[1] for _ in range(times)]


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def figure(value: float, unit: str, target: float, better: str) -> dict[str, Any]:
    """One figure of the result line; ``met`` is computed from ``better``."""
    if better not in ("lower", "higher"):
        raise ValueError("better is 'lower' or 'higher'")
    met = value >= target if better == "higher" else value <= target
    return {
        "value": round(value, 3) if isinstance(value, float) else value,
        "unit": unit,
        "target": target,
        "better": better,
        "met": bool(met),
    }


def print_result(bench: str, n: int, figures: dict[str, dict[str, Any]], **extra: Any) -> None:
    """Print the last line of a benchmark: exactly one JSON object."""
    sys.stdout.flush()
    print(json.dumps({"bench": bench, "n": n, "figures": figures, **extra}), flush=True)


def quick_flag(argv: Sequence[str] | None = None) -> bool:
    return "--quick" in (sys.argv[1:] if argv is None else argv)


def temp_dir(prefix: str) -> Path:
    """A fresh temporary directory (the caller removes it, e.g. with shutil.rmtree)."""
    return Path(tempfile.mkdtemp(prefix=f"regulars-bench-{prefix}-"))


def setup_django(data_dir: Path, *, migrate: bool = True) -> None:
    """Django on a fresh SQLite file database under ``data_dir``.

    Must run before anything imports Django settings: REGULARS_DATA_DIR is read once.
    """
    os.environ["REGULARS_DATA_DIR"] = str(data_dir)
    os.environ.pop("REGULARS_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
    os.environ.setdefault("REGULARS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        data_dir.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)


def run_child(module: str, args: Sequence[str], *, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m module args`` and return the JSON object on its last output line.

    A child process gives a measurement its own fresh interpreter and database, and its
    own peak memory figure.
    """
    command = [sys.executable, "-m", module, *args]
    proc = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command)} failed with status {proc.returncode}")
    return json.loads(lines[-1])


C = TypeVar("C")
W = TypeVar("W")


def run_clients_at_once(
    clients: Sequence[C], work: Sequence[Sequence[W]], each: Callable[[C, W], None]
) -> float:
    """Every client works through its own list (``each(client, item)``) in a thread of
    its own, all released at once by a barrier; returns the seconds until the last one
    finished (load benchmarks: ``bench.counter``, ``bench.feedback``)."""
    start = threading.Barrier(len(clients) + 1)

    def run(client: C, items: Sequence[W]) -> None:
        start.wait()
        for item in items:
            each(client, item)

    threads = [
        threading.Thread(target=run, args=(client, items), daemon=True)
        for client, items in zip(clients, work, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
