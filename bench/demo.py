"""``make demo`` from an empty database to serving: ``python -m bench.demo [--quick]``.

Each run gets a fresh temporary data directory (SQLite, as ``make demo`` uses) and a
fresh interpreter:

- ``demo_to_serving_s``: start ``regulars demo --bind 127.0.0.1:PORT`` and poll until
  ``/accounts/login/`` answers 200 (migrations, the demo business and server start-up,
  everything a user waits for). Target: under 30 s.
- ``demo_setup_s``: ``regulars demo --no-serve`` (migrate + generate), the same work
  without the server. Target: under 30 s.
- ``migrate_only_s``: the baseline, ``regulars migrate`` on an empty database.

Three runs each (one with ``--quick``); the medians are reported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from bench.common import ROOT, figure, free_port, median, print_result, quick_flag, temp_dir

SERVE_TIMEOUT_S = 180
DEMO_TARGET_S = 30
MIGRATE_TARGET_S = 10


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("REGULARS_DATABASE_URL", None)  # the demo's own SQLite file, as `make demo`
    env["REGULARS_DATA_DIR"] = str(data_dir)
    env.setdefault("REGULARS_LOG_LEVEL", "WARNING")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _regulars(*args: str) -> list[str]:
    return [sys.executable, "-m", "regulars.cli", *args]


def _timed_command(name: str, *args: str) -> float:
    """Seconds for one ``regulars`` command on a fresh data directory."""
    data_dir = temp_dir(name)
    try:
        started = time.perf_counter()
        subprocess.run(
            _regulars(*args),
            cwd=ROOT,
            env=_env(data_dir),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        return time.perf_counter() - started
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our localhost
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_until_serving(
    url: str, proc: subprocess.Popen[Any], log: IO[str], timeout_s: float
) -> None:
    """Poll ``url`` until it answers 200; fail with the server's log if it exits first
    or ``timeout_s`` passes."""
    started = time.perf_counter()
    while not _answers(url):
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited early:\n{log.read()[-2000:]}")
        if time.perf_counter() - started > timeout_s:
            raise RuntimeError(f"no answer from {url} after {timeout_s} s")
        time.sleep(0.1)


def _time_to_serving() -> float:
    """Seconds from starting ``regulars demo`` until the login page answers 200."""
    data_dir = temp_dir("serve")
    port = free_port()
    url = f"http://127.0.0.1:{port}/accounts/login/"
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            _regulars("demo", "--bind", f"127.0.0.1:{port}"),
            cwd=ROOT,
            env=_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(url, proc, log, SERVE_TIMEOUT_S)
            return time.perf_counter() - started
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    runs = 1 if quick_flag() else 3
    migrate, setup, serving = [], [], []
    for run in range(1, runs + 1):
        migrate.append(_timed_command("migrate", "migrate", "--verbosity", "0"))
        setup.append(_timed_command("setup", "demo", "--no-serve"))
        serving.append(_time_to_serving())
        print(
            f"run {run}/{runs}: migrate {migrate[-1]:.1f} s, demo set-up {setup[-1]:.1f} s, "
            f"demo to serving {serving[-1]:.1f} s",
            flush=True,
        )
    print_result(
        "demo",
        runs,
        {
            "demo_to_serving_s": figure(median(serving), "s", DEMO_TARGET_S, "lower"),
            "demo_setup_s": figure(median(setup), "s", DEMO_TARGET_S, "lower"),
            "migrate_only_s": figure(median(migrate), "s", MIGRATE_TARGET_S, "lower"),
        },
    )


if __name__ == "__main__":
    main()
