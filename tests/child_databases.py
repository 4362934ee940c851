"""Databases of their own for tests that run the real program in child processes (the
outreach crash tests, backup and restore): the children's environment, and PostgreSQL
databases made and dropped on the test server. A migrated template per backend is
copied by each test, since migrating costs seconds."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from regulars.core.dburl import parse_database_url

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get("REGULARS_DATABASE_URL", "")
# PostgreSQL is tested too when the suite runs there (CI's second run).
BACKENDS = ["sqlite"] + (
    ["postgresql"] if SERVER_URL.startswith(("postgres:", "postgresql:")) else []
)


def child_env(data_dir: Path, url: str | None = None) -> dict[str, str]:
    """The environment of a child: ours without any REGULARS_ setting, its own data
    directory, and its database (SQLite under ``data_dir`` when ``url`` is None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGULARS_")}
    env.update(REGULARS_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="regulars.settings")
    if url:
        env["REGULARS_DATABASE_URL"] = url
    return env


@contextlib.contextmanager
def _server() -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the test server's maintenance database."""
    config = parse_database_url(SERVER_URL)
    params = {
        "host": config["HOST"],
        "port": config["PORT"],
        "user": config["USER"],
        "password": config["PASSWORD"],
        "dbname": "postgres",
    }
    with psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v}) as conn:
        yield conn


def _drop(conn: psycopg.Connection[Any], name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def postgres_database(name: str, *, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database ``name`` on the test server (empty, or a copy of
    ``template``) for the block; its URL. Dropped afterwards."""
    with _server() as conn:
        _drop(conn, name)
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(create)
        try:
            yield urlsplit(SERVER_URL)._replace(path=f"/{name}").geturl()
        finally:
            _drop(conn, name)


@contextlib.contextmanager
def own_copy(
    tmp_path: Path, backend: str, migrated: dict[str, str], name: str
) -> Iterator[dict[str, str]]:
    """The environment of a database of the test's own: a copy of the migrated SQLite
    file (``migrated["sqlite"]``), or PostgreSQL database ``name`` made from the
    template ``migrated["postgresql"]`` (dropped afterwards)."""
    if backend == "sqlite":
        shutil.copyfile(migrated["sqlite"], tmp_path / "regulars.sqlite3")
        yield child_env(tmp_path)
        return
    with postgres_database(name, template=migrated["postgresql"]) as url:
        yield child_env(tmp_path, url)
