"""Online backups of the database and restoring them (``regulars backup`` / ``restore``).

SQLite: SQLite's backup API copies the live database (WAL mode, so the server keeps
writing) in one step, which reads one consistent snapshot; the copy is checked with
``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom`` (a consistent
snapshot by itself) and ``pg_restore`` in a single transaction.

A backup is written under a temporary name in the target's folder and renamed when
complete, so a crash or a full disk never leaves half a backup under the final name.
Every failure is a ``BackupError`` whose message is one line for the operator.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# One line of ``pg_restore --list`` for the table every Django database has.
_PG_MIGRATIONS_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE \S+ django_migrations\b", re.MULTILINE)
_PG_TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+)", re.MULTILINE)


class BackupError(Exception):
    """A backup or restore that could not be done; the message is one line."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes


def vendor(alias: str = "default") -> str:
    """``"sqlite"`` or ``"postgresql"``; BackupError for any other backend."""
    engine = str(settings.DATABASES[alias]["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if engine.endswith("postgresql"):
        return "postgresql"
    raise BackupError(f"backups are not supported for the database engine {engine}")


def describe_database(alias: str = "default") -> str:
    """The live database in words, for the confirmation question."""
    config = settings.DATABASES[alias]
    if vendor(alias) == "sqlite":
        return f"the SQLite database {config['NAME']}"
    host = config.get("HOST") or "localhost"
    return f"the PostgreSQL database {config['NAME']} on {host}"


def default_backup_path(alias: str = "default") -> Path:
    """``$REGULARS_DATA_DIR/backups/regulars-<UTC timestamp>.<sqlite3|dump>``; a second
    backup within the same second gets a counter rather than replacing the first."""
    suffix = ".sqlite3" if vendor(alias) == "sqlite" else ".dump"
    folder = Path(settings.DATA_DIR) / "backups"
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"regulars-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"regulars-{stamp}-{n}{suffix}"
    return path


def backup_database(*, to: Path | None = None, alias: str = "default") -> BackupResult:
    """Write a consistent snapshot of the live database to ``to`` (a file, or a folder
    to put the default name in; default: ``default_backup_path``). An existing file of
    that name is replaced only once the new backup is complete."""
    kind = vendor(alias)
    target = default_backup_path(alias) if to is None else to
    if target.is_dir():
        target = target / default_backup_path(alias).name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _temporary_beside(target) as temporary:
            if kind == "sqlite":
                _sqlite_backup(Path(settings.DATABASES[alias]["NAME"]), temporary)
            else:
                _pg_dump(settings.DATABASES[alias], temporary)
            _fsync(temporary)
            os.replace(temporary, target)
        _fsync(target.parent)
        return BackupResult(path=target, size=target.stat().st_size)
    except OSError as exc:
        raise BackupError(f"cannot write the backup to {target}: {_os_reason(exc)}") from exc


def check_backup(path: Path, *, alias: str = "default") -> None:
    """Refuse (BackupError) a file that is not a sound backup for this database's
    backend: not readable, not a database or dump, damaged, or not a Regulars one."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {_os_reason(exc)}") from exc
    if vendor(alias) == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{path} is not a SQLite database")
        _check_sqlite_backup(path)
    else:
        if not head.startswith(PG_CUSTOM_MAGIC):
            raise BackupError(f"{path} is not a pg_dump custom-format archive")
        listing = _run(
            [_tool("pg_restore"), "--list", str(path)], env=None, what=f"pg_restore --list {path}"
        )
        if not _PG_MIGRATIONS_ENTRY.search(listing):
            raise BackupError(f"{path} is not a Regulars backup (no django_migrations table)")


def restore_database(*, source: Path, alias: str = "default") -> None:
    """Replace the live database's content with the backup ``source`` (checked first:
    a refused file changes nothing). The caller runs the migrations afterwards, so an
    older backup is upgraded."""
    check_backup(source, alias=alias)
    # This process's own connection would hold a stale view of the replaced database.
    connections[alias].close()
    if vendor(alias) == "sqlite":
        _sqlite_restore(source, Path(settings.DATABASES[alias]["NAME"]))
    else:
        _pg_restore(source, alias)


# SQLite ------------------------------------------------------------------------------


def _sqlite_connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    timeout = 60.0
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    return sqlite3.connect(path, timeout=timeout)


def _sqlite_backup(live: Path, temporary: Path) -> None:
    if not live.is_file():
        raise BackupError(f"the database {live} does not exist")
    try:
        with (
            contextlib.closing(_sqlite_connect(live)) as source,
            contextlib.closing(_sqlite_connect(temporary)) as copy,
        ):
            # One step (pages=-1): a single read transaction, one consistent snapshot;
            # in WAL mode the server's writers are not held up by it.
            source.backup(copy, pages=-1)
            # The copy is one self-contained file, not a WAL database with sidecars.
            copy.execute("PRAGMA journal_mode=DELETE")
            _require_integrity(copy, temporary)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc


def _require_integrity(conn: sqlite3.Connection, path: Path) -> None:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        first = str(rows[0][0]) if rows else "no answer"
        raise BackupError(f"{path} fails SQLite's integrity check: {first}")


def _check_sqlite_backup(path: Path) -> None:
    try:
        with contextlib.closing(_sqlite_connect(path, read_only=True)) as conn:
            _require_integrity(conn, path)
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
            ).fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a sound SQLite database: {exc}") from exc
    if found is None:
        raise BackupError(f"{path} is not a Regulars backup (no django_migrations table)")


def _sqlite_restore(source: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            contextlib.closing(_sqlite_connect(source, read_only=True)) as backup,
            contextlib.closing(_sqlite_connect(live)) as target,
        ):
            # The backup API writes the target in one transaction through its WAL, so
            # a running server sees either the old or the new database.
            backup.backup(target, pages=-1)
            _require_integrity(target, live)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore failed, the database is unchanged: {exc}") from exc


# PostgreSQL --------------------------------------------------------------------------


def _pg_conninfo(config: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``--dbname`` (no password: that goes in the
    environment, never on a command line other users can read) and the environment."""
    from psycopg import pq
    from psycopg.conninfo import make_conninfo

    known = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
    params: dict[str, Any] = {
        k: v for k, v in (config.get("OPTIONS") or {}).items() if k in known and k != "password"
    }
    for key, setting in (("dbname", "NAME"), ("user", "USER"), ("host", "HOST"), ("port", "PORT")):
        if config.get(setting):
            params[key] = str(config[setting])
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return make_conninfo(**params), env


def _pg_dump(config: dict[str, Any], temporary: Path) -> None:
    conninfo, env = _pg_conninfo(config)
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-password",
            f"--file={temporary}",
            f"--dbname={conninfo}",
        ],
        env=env,
        what="pg_dump",
    )


def _pg_restore(source: Path, alias: str) -> None:
    conninfo, env = _pg_conninfo(settings.DATABASES[alias])
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={conninfo}",
            str(source),
        ],
        env=env,
        what="pg_restore (the database is unchanged)",
    )
    _drop_tables_missing_from(source, alias)


def _drop_tables_missing_from(source: Path, alias: str) -> None:
    """Tables the backup does not know (made by migrations newer than the backup) would
    stop ``migrate`` from making them again: they go, with rows the restore discards
    anyway."""
    listing = _run([_tool("pg_restore"), "--list", str(source)], env=None, what="pg_restore")
    in_backup = set(_PG_TABLE_ENTRY.findall(listing))
    from psycopg import sql

    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        extra = [row for row in cursor.fetchall() if (row[0], row[1]) not in in_backup]
        for schema, table in extra:
            cursor.execute(
                sql.SQL("DROP TABLE IF EXISTS {}.{} CASCADE")
                .format(sql.Identifier(schema), sql.Identifier(table))
                .as_string(cursor.connection)
            )


# Shared ------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools (postgresql-client) "
            "of the server's major version"
        )
    return found


def _run(command: list[str], *, env: dict[str, str] | None, what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - our own arguments, no shell
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BackupError(f"{what} could not start: {_os_reason(exc)}") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {reason}")
    return done.stdout


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A new, private (0600: backups hold personal data) file next to ``target``,
    removed unless it was renamed into place."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        for leftover in (temporary, *(Path(f"{name}{s}") for s in ("-journal", "-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
