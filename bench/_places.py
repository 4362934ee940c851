"""Where a benchmark's business lives between runs: PostgreSQL housekeeping (in the
parent process) and ``Place``, a SQLite directory or a PostgreSQL database built once by
a child process and kept, keyed by what built it.

``bench.snapshot`` and ``bench.outreach`` share it; ``bench.service`` uses the
PostgreSQL helpers with its own meta table.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench._snapshot_data import progress, sqlite_meta
from bench.common import run_child, temp_dir


def pg(dbname: str) -> Any:
    import psycopg

    return psycopg.connect(
        host="127.0.0.1",
        port=5432,
        user="postgres",
        dbname=dbname,
        autocommit=True,
        connect_timeout=3,
    )


def pg_reachable() -> bool:
    import psycopg

    try:
        pg("postgres").close()
    except psycopg.Error as exc:
        progress(f"PostgreSQL is not reachable ({str(exc).strip()}): skipping it")
        return False
    return True


def pg_key(dbname: str, meta_table: str = "bench_snapshot_meta") -> str | None:
    """The key the kept PostgreSQL database was built with, if its build finished."""
    import psycopg
    from psycopg import sql

    query = sql.SQL("SELECT value FROM {} WHERE name = 'key'").format(sql.Identifier(meta_table))
    try:
        with pg(dbname) as db:
            row = db.execute(query).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def pg_recreate(dbname: str, *, create: bool = True) -> None:
    from psycopg import sql

    with pg("postgres") as admin:
        name = sql.Identifier(dbname)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if create:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


def add_place_arguments(
    parser: argparse.ArgumentParser,
    *,
    databases: tuple[str, ...],
    cache: Path,
    children: list[str],
) -> None:
    """The options every kept-business benchmark takes: which database, where SQLite's
    copy is kept, the seed, and the hidden ones its child processes are called with."""
    parser.add_argument("--database", choices=[*databases, "both"])
    parser.add_argument("--rebuild", action="store_true", help="ignore the kept databases")
    parser.add_argument("--cache", type=Path, default=cache, help="where SQLite's are kept")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=children, help=argparse.SUPPRESS)
    parser.add_argument("--child-db", choices=databases, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pg-database", help=argparse.SUPPRESS)


class Place:
    """One business of one size on one database. ``--quick`` builds it fresh in a
    temporary directory (and a quick PostgreSQL database) and drops it at ``close``;
    full size keeps it under ``args.cache`` and reuses it while ``build_key`` agrees."""

    def __init__(
        self,
        *,
        module: str,
        database: str,
        sizes: Any,
        args: argparse.Namespace,
        pg_database: str,
        build_key: Callable[[Any, int], str],
    ) -> None:
        self.module, self.database, self.sizes, self.args = module, database, sizes, args
        self.pg_database, self.build_key = pg_database, build_key
        self.scratch = temp_dir(module.rpartition(".")[2]) if args.quick else None
        base = self.scratch if self.scratch is not None else args.cache
        self.data: Path = base / f"{sizes.label}-seed{args.seed}" / database

    def child(
        self, kind: str, *extra: str, data: Path | None = None, pg_database: str | None = None
    ) -> dict[str, Any]:
        """Run ``kind`` in a child process on this place (or on a copy of it)."""
        command = [
            "--child",
            kind,
            "--child-db",
            self.database,
            "--sizes",
            json.dumps(asdict(self.sizes)),
            "--seed",
            str(self.args.seed),
            "--data",
            str(data or self.data),
            "--pg-database",
            pg_database or self.pg_database,
            *extra,
        ]
        result: dict[str, Any] = run_child(self.module, command)
        return result

    def ensure_built(self) -> dict[str, Any] | None:
        """Build the business unless the kept one has the same key; the build's report."""
        key = self.build_key(self.sizes, self.args.seed)
        if self.database == "postgres":
            if not self.args.quick and not self.args.rebuild and pg_key(self.pg_database) == key:
                progress(f"postgres: reusing {self.pg_database} ({self.sizes.label}, key {key})")
                return None
            pg_recreate(self.pg_database)
        else:
            path = self.data / "regulars.sqlite3"
            if not self.args.rebuild and sqlite_meta(path).get("key") == key:
                progress(f"sqlite: reusing {path} ({self.sizes.label}, key {key})")
                return None
            shutil.rmtree(self.data, ignore_errors=True)
        progress(f"{self.database}: building {self.sizes} (key {key})")
        built = self.child("build")
        progress(f"{self.database}: built in {built['build_s']:.0f} s: {built['counts']}")
        return built

    def close(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            if self.database == "postgres":
                pg_recreate(self.pg_database, create=False)
