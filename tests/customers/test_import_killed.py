"""An import killed with SIGKILL half-way, then run again, ends where one clean run ends.

Runs the real `regulars import` command in a child process against its own SQLite file
(never the test database), kills it once some batches are committed, runs it again and
compares customer memory with a clean import of the same file into a fresh database.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROWS = 12_000
BATCH = 500
SNAPSHOT_SQL = """
SELECT c.external_ref, c.given_name, c.family_name, c.email, c.birth_month, c.birth_day,
       (SELECT group_concat(number, ' ') FROM (SELECT number FROM customers_phone p
         WHERE p.customer_id = c.id ORDER BY number))
FROM customers_customer c ORDER BY c.external_ref, c.given_name, c.family_name, c.email
"""


def _write_file(path: Path) -> None:
    rng = random.Random(11)
    given = ["Mario", "Giulia", "Søren", "Mette", "José", "Lucía", "Анна", "Сергей", "Emma"]
    family = ["Rossi", "Bianchi", "Nielsen", "Jensen", "García", "López", "Иванова", "Смирнов"]
    lines = ["Customer ID,First Name,Last Name,Email,Phone,Birthday"]
    for i in range(ROWS):
        ref = f"P{i:06d}" if i % 3 else ""  # a third of the rows have no point-of-sale id
        email = f"c{i}@example.com" if i % 2 else ""
        phone = f"+39 3{rng.randrange(10**8, 10**9)}" if i % 5 else ""
        if i % 97 == 0:
            phone = "12"  # a bad row
        day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"
        lines.append(f"{ref},{rng.choice(given)},{rng.choice(family)},{email},{phone},{day}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGULARS_")}
    env.update(
        REGULARS_DATA_DIR=str(data_dir),
        REGULARS_IMPORT_BATCH_SIZE=str(BATCH),
        DJANGO_SETTINGS_MODULE="regulars.settings",
    )
    return env


def _regulars(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "regulars.cli", *args],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _prepare(data_dir: Path) -> Path:
    data_dir.mkdir()
    assert _regulars(data_dir, "migrate", "--verbosity", "0").wait(timeout=120) == 0
    env = _env(data_dir) | {"REGULARS_OWNER_PASSWORD": "a long password"}
    done = subprocess.run(
        [sys.executable, "-m", "regulars.cli", "createowner", "boss"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return data_dir / "regulars.sqlite3"


def _count(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as con:
        return int(con.execute("SELECT count(*) FROM customers_customer").fetchone()[0])


def _snapshot(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db, timeout=30) as con:
        return con.execute(SNAPSHOT_SQL).fetchall()


def test_an_import_killed_mid_way_and_run_again_ends_like_a_clean_run(tmp_path: Path) -> None:
    csv_path = tmp_path / "clients.csv"
    _write_file(csv_path)

    clean_db = _prepare(tmp_path / "clean")
    assert (
        _regulars(
            clean_db.parent,
            "import",
            "customers",
            str(csv_path),
            "--quiet",
            "--report",
            str(tmp_path / "clean.errors.csv"),
        ).wait(timeout=300)
        == 1
    )
    expected = _snapshot(clean_db)

    killed_db = _prepare(tmp_path / "killed")
    report = str(tmp_path / "killed.errors.csv")
    child = _regulars(
        killed_db.parent, "import", "customers", str(csv_path), "--quiet", "--report", report
    )
    deadline = time.monotonic() + 120
    while _count(killed_db) < 2 * BATCH and child.poll() is None:
        assert time.monotonic() < deadline, "the import never committed a batch"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    half_way = _count(killed_db)

    assert (
        _regulars(
            killed_db.parent, "import", "customers", str(csv_path), "--quiet", "--report", report
        ).wait(timeout=300)
        == 1
    )
    assert 0 < half_way < len(expected)
    assert _snapshot(killed_db) == expected
    with sqlite3.connect(killed_db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
