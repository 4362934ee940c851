"""The reference for ``bench.clv``: the ``lifetimes`` package in a venv of its own.

``lifetimes`` (0.11.3, which imports ``pkg_resources`` and so needs setuptools < 81) is
never installed into the project's venv or lock file: the benchmark builds
``var/bench-venvs/lifetimes`` with ``python -m venv`` and pip (PyPI must be reachable),
reuses it while its marker names the same requirements, and runs the reference as a
child process of that venv's interpreter (``bench/_clv_lifetimes.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT

REQUIREMENTS = ("setuptools<81", "lifetimes==0.11.3")
VENV = ROOT / "var" / "bench-venvs" / "lifetimes"
SCRIPT = ROOT / "bench" / "_clv_lifetimes.py"
_MARKER = ".regulars-bench-requirements"
_INSTALL_TIMEOUT_S = 900


@dataclass(frozen=True)
class Reference:
    """The reference interpreter, or None with the reason it is missing."""

    python: Path | None
    problem: str = ""


def _usable(python: Path) -> bool:
    if not python.exists():
        return False
    check = subprocess.run(
        [str(python), "-c", "import lifetimes, pandas"],
        capture_output=True,
        check=False,
        timeout=120,
    )
    return check.returncode == 0


def prepare(*, build: bool, venv: Path = VENV) -> Reference:
    """The ``lifetimes`` venv, built if missing and ``build`` is set; never raises: a
    venv that cannot be built is reported as missing, with pip's last words."""
    python = venv / "bin" / "python"
    marker = venv / _MARKER
    wanted = "\n".join(REQUIREMENTS)
    if marker.exists() and marker.read_text("utf-8") == wanted and _usable(python):
        return Reference(python)
    if not build:
        return Reference(None, f"no lifetimes venv at {venv} (a full run builds it)")
    print(f"building the reference venv {venv} ({', '.join(REQUIREMENTS)})", file=sys.stderr)
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            capture_output=True,
            check=True,
            timeout=300,
        )
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *REQUIREMENTS,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=_INSTALL_TIMEOUT_S,
        )
    except subprocess.CalledProcessError as error:
        said = (error.stderr or "").strip().splitlines()
        last = said[-1] if said else f"exit status {error.returncode}"
        return Reference(None, f"could not build the lifetimes venv: {last}")
    except (OSError, subprocess.TimeoutExpired) as error:
        return Reference(None, f"could not build the lifetimes venv: {error}")
    if not _usable(python):
        return Reference(None, "the lifetimes venv was built but cannot import lifetimes")
    marker.write_text(wanted, "utf-8")
    return Reference(python)


def run(
    reference: Reference, model: str, data: Path, repeat: int, out: Path, ours: Path
) -> tuple[dict[str, Any] | None, str]:
    """Run the reference child; (its JSON result, "") or (None, why it failed)."""
    if reference.python is None:
        return None, reference.problem
    proc = subprocess.run(
        [str(reference.python), str(SCRIPT), model, str(data), str(repeat), str(out), str(ours)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        said = proc.stderr.strip().splitlines()
        return None, f"lifetimes failed: {said[-1] if said else f'exit status {proc.returncode}'}"
    return json.loads(lines[-1]), ""
