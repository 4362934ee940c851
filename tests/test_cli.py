"""The `regulars` command as a user meets it: clear one-line errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGULARS_")}
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "regulars.cli", *args],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_bad_setting_stops_it_with_one_line_naming_the_variable() -> None:
    done = run("check", REGULARS_DEBUG="maybe")
    assert done.returncode == 2
    assert "REGULARS_DEBUG='maybe' is not a boolean" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_without_a_secret_key_refuses_to_start() -> None:
    done = run("check", REGULARS_ENV="production")
    assert done.returncode == 2
    assert "REGULARS_SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_weak_production_secret_fails_the_deploy_check_without_a_traceback() -> None:
    done = run(
        "check",
        "--deploy",
        REGULARS_ENV="production",
        REGULARS_SECRET_KEY="x" * 60,
        REGULARS_ALLOWED_HOSTS="regulars.example.com",
    )
    assert done.returncode == 1
    assert "security.W009" in done.stderr
    assert "Traceback" not in done.stderr
