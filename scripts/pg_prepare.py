"""Get PostgreSQL ready for a test run: wait for the server, drop a stale test database.

Usage: python scripts/pg_prepare.py postgres://postgres@127.0.0.1:5432/regulars_ci

pytest-django creates ``test_<name>`` for the run and destroys it afterwards, but a run
that was killed leaves it behind, sometimes with open connections that make the next
run's DROP fail. This drops it with FORCE first and fails with one clear line when the
server cannot be reached.
"""

from __future__ import annotations

import sys
import time

import psycopg
from psycopg import sql

from regulars.core.dburl import parse_database_url

WAIT_S = 30


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: pg_prepare.py POSTGRES_URL", file=sys.stderr)
        return 2
    config = parse_database_url(argv[0])
    if config["ENGINE"] != "django.db.backends.postgresql":
        print(f"pg_prepare: not a PostgreSQL URL: {argv[0]}", file=sys.stderr)
        return 2
    params = {
        "host": config["HOST"] or None,
        "port": config["PORT"] or None,
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
        "connect_timeout": 5,
    }
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            conn = psycopg.connect(autocommit=True, **{k: v for k, v in params.items() if v})
            break
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                print(f"pg_prepare: PostgreSQL is not reachable: {exc}".strip(), file=sys.stderr)
                return 1
            time.sleep(1)
    test_name = f"test_{config['NAME']}"
    with conn:
        version = conn.execute("SHOW server_version").fetchone()
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(test_name))
        )
    print(f"pg_prepare: PostgreSQL {version[0] if version else '?'} ready; {test_name} is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
