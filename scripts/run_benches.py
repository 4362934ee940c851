"""Run every benchmark in bench/ and check the line each must end with.

Usage: python scripts/run_benches.py [--quick] [NAME ...]

Each ``bench/NAME.py`` with a ``__main__`` block runs as ``python -m bench.NAME``. Its
last line of output must be one JSON object ``{"bench": NAME, "n": ..., "figures":
{FIGURE: {"value", "unit", "target", "better", "met"}}}`` (STYLE.md). In ``--quick``
mode (CI) the point is that no benchmark rots: a crash or a malformed result line
fails, a missed target does not (targets are set for full size).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURE_KEYS = {"value", "unit", "target", "better", "met"}


def is_benchmark(path: Path) -> bool:
    """A runnable module; shared helpers (``bench/common.py``) have no ``__main__`` block."""
    if path.stem.startswith("_"):
        return False
    main_block = re.compile(r"^if __name__ == .__main__.:", re.MULTILINE)
    return main_block.search(path.read_text("utf-8")) is not None


def discover(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if is_benchmark(p))
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"run_benches: no such benchmark: {', '.join(unknown)}")
    return names or found


def check_result(name: str, stdout: str) -> tuple[dict[str, object] | None, str]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None, "printed nothing"
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None, f"last line is not JSON: {lines[-1][:120]!r}"
    if not isinstance(result, dict) or result.get("bench") != name:
        return None, f'last line must be an object with "bench": "{name}"'
    figures = result.get("figures")
    if "n" not in result or not isinstance(figures, dict) or not figures:
        return None, 'last line needs "n" and a non-empty "figures" object'
    for figure, spec in figures.items():
        if not isinstance(spec, dict) or not spec.keys() >= FIGURE_KEYS:
            return None, f"figure {figure!r} needs {', '.join(sorted(FIGURE_KEYS))}"
        if spec["better"] not in ("lower", "higher") or not isinstance(spec["met"], bool):
            return None, f'figure {figure!r}: "better" is lower|higher and "met" a boolean'
    return result, ""


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    names = discover([a for a in argv if a != "--quick"])
    if not names:
        print("run_benches: bench/ holds no benchmark", file=sys.stderr)
        return 1
    failed: list[str] = []
    summary: list[str] = []
    for name in names:
        command = [sys.executable, "-m", f"bench.{name}"] + (["--quick"] if quick else [])
        print(f"== {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(  # noqa: S603 - our own interpreter and module
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
        )
        elapsed = time.monotonic() - started
        sys.stdout.write(proc.stdout)
        result, problem = (None, f"exit status {proc.returncode}")
        if proc.returncode == 0:
            result, problem = check_result(name, proc.stdout)
        if result is None:
            failed.append(name)
            summary.append(f"  {name:<16} FAILED ({problem}) in {elapsed:.1f} s")
            continue
        figures = result["figures"] if isinstance(result["figures"], dict) else {}
        met = sum(1 for spec in figures.values() if spec["met"])
        summary.append(
            f"  {name:<16} ok in {elapsed:.1f} s, {met}/{len(figures)} targets met"
            + (" (quick sizes: targets are for full size)" if quick else "")
        )
    print("benchmarks:" + ("" if not quick else " (--quick)"))
    print("\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
