"""``regulars backup`` and ``regulars restore``, run as the operator runs them: the real
command in a child process against a database of its own (a SQLite file; also a fresh
PostgreSQL database when REGULARS_DATABASE_URL points at a PostgreSQL server, as in
CI's second run). The PostgreSQL cases exist only then: they are not skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from regulars.core.dburl import parse_database_url
from tests.child_databases import (
    BACKENDS,
    ROOT,
    SERVER_URL,
    child_env,
    own_copy,
    postgres_database,
)

_databases = itertools.count(1)

# The child's side: seed the database, change it, or report what it holds (JSON).
CHILD = """
import json, sys
import django
django.setup()
from decimal import Decimal
from regulars.accounts.models import Location
from regulars.customers.models import Customer
from regulars.service.models import Visit

mode = sys.argv[1]
if mode == "seed":
    bologna = Location.objects.create(
        name="Bologna", country="IT", timezone="Europe/Rome", currency="EUR"
    )
    for n, name in enumerate(["Giulia", "Marco", "Sofia"], start=1):
        customer = Customer.objects.create(
            given_name=name, family_name="Rossi", email=f"{name.lower()}@example.com",
            home_location=bologna,
        )
        for k in range(n):
            Visit.objects.create(
                customer=customer, location=bologna, amount=Decimal("4.50") * (k + 1),
                currency="EUR", had=f"espresso {k}",
            )
elif mode == "change":
    Customer.objects.filter(given_name="Sofia").delete()
    Customer.objects.filter(given_name="Giulia").update(family_name="Bianchi")
    copenhagen = Location.objects.create(
        name="Copenhagen", country="DK", timezone="Europe/Copenhagen", currency="DKK"
    )
    Visit.objects.create(location=copenhagen, amount=Decimal("99.00"), currency="DKK")
print(json.dumps({
    "locations": list(Location.objects.order_by("id").values_list("name", "currency")),
    "customers": [
        [c.public_id, c.given_name, c.family_name, c.email, c.home_location.name]
        for c in Customer.objects.select_related("home_location").order_by("id")
    ],
    "visits": [
        [v.public_id, v.customer.public_id if v.customer else None, str(v.amount), v.had]
        for v in Visit.objects.select_related("customer").order_by("id")
    ],
}))
"""


def _child(env: dict[str, str], mode: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD, mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    state: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return state


def regulars(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "regulars.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,  # as under cron or CI: no terminal
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _backup(env: dict[str, str], *args: str) -> Path:
    done = regulars(env, "backup", *args)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("Backup written to "), line
    path = Path(line.removeprefix("Backup written to ").rsplit(" (", 1)[0])
    assert f"({path.stat().st_size:,} bytes)" in line
    return path


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated, seeded database per backend, copied by each test (migrating costs
    seconds): {"sqlite": the file, "postgresql": the template database's name}."""
    folder = tmp_path_factory.mktemp("migrated")
    regulars(child_env(folder), "migrate", "--verbosity", "0").check_returncode()
    _child(child_env(folder), "seed")
    templates = {"sqlite": str(folder / "regulars.sqlite3")}
    if "postgresql" not in BACKENDS:
        yield templates
        return
    name = f"regulars_backup_test_{os.getpid()}_tmpl"
    with postgres_database(name) as url:
        env = child_env(folder, url)
        regulars(env, "migrate", "--verbosity", "0").check_returncode()
        _child(env, "seed")
        templates["postgresql"] = name
        yield templates


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, migrated: dict[str, str]
) -> Iterator[dict[str, str]]:
    """The environment of a live, seeded database of the test's own: a copy of the
    SQLite file, or a fresh PostgreSQL database made from the template (dropped after)."""
    name = f"regulars_backup_test_{os.getpid()}_{next(_databases)}"
    with own_copy(tmp_path, request.param, migrated, name) as env:
        yield env


def _is_postgres(env: dict[str, str]) -> bool:
    return "REGULARS_DATABASE_URL" in env


def _pg_params(env: dict[str, str]) -> dict[str, str]:
    config = parse_database_url(env["REGULARS_DATABASE_URL"])
    params = {
        "host": config["HOST"],
        "port": config["PORT"],
        "user": config["USER"],
        "password": config["PASSWORD"],
        "dbname": config["NAME"],
    }
    return {k: v for k, v in params.items() if v}


def _sqlite_file(env: dict[str, str]) -> Path:
    return Path(env["REGULARS_DATA_DIR"]) / "regulars.sqlite3"


@contextlib.contextmanager
def _uncommitted_change(env: dict[str, str]) -> Iterator[None]:
    """Another connection in the middle of a write transaction (a request being
    served), rolled back at the end."""
    statement = "UPDATE customers_customer SET family_name = 'Uncommitted'"
    if _is_postgres(env):
        with psycopg.connect(**_pg_params(env)) as pg:
            pg.execute(statement)
            yield
            pg.rollback()
        return
    live = sqlite3.connect(_sqlite_file(env), timeout=20)
    try:
        live.execute("BEGIN IMMEDIATE")
        live.execute(statement)
        yield
        live.rollback()
    finally:
        live.close()


def _tables(env: dict[str, str], create: str | None = None) -> set[str]:
    """The database's tables, after running ``create`` if given."""
    if _is_postgres(env):
        with psycopg.connect(autocommit=True, **_pg_params(env)) as pg:
            if create:
                pg.execute(create)
            rows = pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {row[0] for row in rows}
    with contextlib.closing(sqlite3.connect(_sqlite_file(env), timeout=20)) as live:
        if create:
            live.execute(create)
            live.commit()
        rows = live.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}


def test_a_restored_backup_brings_back_exactly_the_backed_up_data(
    database: dict[str, str],
) -> None:
    backed_up = _child(database, "state")
    assert len(backed_up["customers"]) == 3
    assert len(backed_up["visits"]) == 6

    backup = _backup(database)

    assert backup.parent == Path(database["REGULARS_DATA_DIR"]) / "backups"
    assert backup.suffix == (".dump" if _is_postgres(database) else ".sqlite3")
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no temporary left
    assert backup.stat().st_mode & 0o077 == 0  # personal data: the owner's eyes only
    tables = _tables(database)
    # As a migration newer than the backup would: restore and migrate must cope.
    assert "added_after_the_backup" in _tables(
        database, "CREATE TABLE added_after_the_backup (id integer PRIMARY KEY)"
    )
    changed = _child(database, "change")
    assert len(changed["customers"]) == 2
    assert changed["locations"] == [["Bologna", "EUR"], ["Copenhagen", "DKK"]]

    done = regulars(database, "restore", str(backup), "--yes")

    assert done.returncode == 0, done.stderr
    assert f"Restored {backup}" in done.stdout
    restored = _child(database, "state")
    assert restored == backed_up
    assert _tables(database) == tables
    assert restored["locations"] == [["Bologna", "EUR"]]
    assert [c[1:3] for c in restored["customers"]] == [
        ["Giulia", "Rossi"],
        ["Marco", "Rossi"],
        ["Sofia", "Rossi"],
    ]
    assert sorted(v[2] for v in restored["visits"]) == [
        "13.50",
        "4.50",
        "4.50",
        "4.50",
        "9.00",
        "9.00",
    ]


def test_a_backup_taken_during_a_write_is_a_consistent_snapshot_without_it(
    database: dict[str, str],
) -> None:
    before = _child(database, "state")
    with _uncommitted_change(database):
        backup = _backup(database)  # the app keeps its transaction open meanwhile
    _child(database, "change")

    regulars(database, "restore", str(backup), "--yes").check_returncode()

    assert _child(database, "state") == before


def test_a_backup_can_go_to_a_chosen_file_and_replaces_it_only_when_complete(
    database: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "offsite" / "latest.bak"

    first = _backup(database, "--to", str(target))
    _child(database, "change")
    second = _backup(database, "--to", str(target))

    assert first == second == target
    assert [p.name for p in target.parent.iterdir()] == ["latest.bak"]
    regulars(database, "restore", str(target), "--yes").check_returncode()
    assert len(_child(database, "state")["customers"]) == 2


def test_a_backup_that_cannot_be_written_fails_with_one_line_and_leaves_nothing(
    database: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")

    done = regulars(database, "backup", "--to", str(blocker / "backup"))

    assert done.returncode == 1
    assert done.stderr.startswith("regulars backup: cannot write the backup to ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert blocker.read_text() == "a file where the backup folder should be"


def _not_a_database(folder: Path, postgres: bool) -> tuple[Path, str]:
    path = folder / "holiday-photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not a database at all" * 100)
    kind = "pg_dump custom-format archive" if postgres else "SQLite database"
    return path, f"is not a {kind}"


def _truncated(folder: Path, backup: Path) -> tuple[Path, str]:
    path = folder / "truncated.bak"
    data = backup.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, ""


def _without_migrations(folder: Path) -> Path:
    path = folder / "other-app.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        other.commit()
    return path


@pytest.mark.parametrize("bad", ["not a database", "truncated", "another app's database"])
def test_a_file_that_is_not_a_sound_backup_is_refused_and_nothing_changes(
    database: dict[str, str], tmp_path: Path, bad: str
) -> None:
    postgres = _is_postgres(database)
    folder = tmp_path / "bad"
    folder.mkdir()
    if bad == "not a database":
        path, message = _not_a_database(folder, postgres)
    elif bad == "truncated":
        path, message = _truncated(folder, _backup(database))
    elif postgres:
        # The maintenance database dumped: a sound archive, but no Regulars in it.
        path = folder / "postgres.dump"
        params = _pg_params(database)
        env = dict(os.environ, PGPASSWORD=params.pop("password", ""))
        conninfo = make_conninfo(**{**params, "dbname": "postgres"})
        subprocess.run(  # noqa: S603 - fixed arguments
            [shutil.which("pg_dump") or "pg_dump", "-Fc", "-f", str(path), "-d", conninfo],
            env=env,
            check=True,
        )
        message = "is not a Regulars backup (no django_migrations table)"
    else:
        path = _without_migrations(folder)
        message = "is not a Regulars backup (no django_migrations table)"
    _child(database, "change")
    before = _child(database, "state")

    done = regulars(database, "restore", str(path), "--yes")

    assert done.returncode == 1
    assert done.stderr.startswith(f"regulars restore: {path}") or "pg_restore" in done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _child(database, "state") == before


def test_restore_without_yes_and_without_a_terminal_is_refused(
    database: dict[str, str],
) -> None:
    backup = _backup(database)
    changed = _child(database, "change")

    done = regulars(database, "restore", str(backup))

    assert done.returncode == 2
    assert "Refused: pass --yes (no terminal to ask)." in done.stderr
    assert _child(database, "state") == changed


if "postgresql" in BACKENDS:  # collected only then: never a skip counted as a pass

    def test_a_postgresql_backup_without_pg_dump_says_so_in_one_line(tmp_path: Path) -> None:
        env = child_env(tmp_path, SERVER_URL)
        env["PATH"] = str(tmp_path)  # no PostgreSQL client tools here

        done = regulars(env, "backup")

        assert done.returncode == 1
        assert done.stderr.startswith("regulars backup: pg_dump not found: install the ")
        assert len(done.stderr.strip().splitlines()) == 1
        assert not any((tmp_path / "backups").glob("*"))
