"""Loading ``bench._snapshot_sim``'s business into SQLite or PostgreSQL, fast, and
keeping it between runs.

Locations, and an open complaint for ``Sizes.complaints`` customers
(``service.tickets.open_ticket_by_rule``), through the ORM (a few hundred rows); customers
and visits straight into the migrated tables: SQLite with ``executemany`` on its own
connection (journal off, ``synchronous=OFF``, a 512 MB page cache, foreign keys not
checked: the generator's ids are consistent by construction), PostgreSQL with ``COPY``
of text rows. The loaded tables' secondary indexes (and on PostgreSQL their foreign keys
and unique constraints) are dropped while loading and built again at the end; then
``ANALYZE`` (SQLite, back to WAL) or ``VACUUM (ANALYZE)`` (PostgreSQL). The meta table
``bench_snapshot_meta`` (the build's key, ``now`` and counts) is written last: a
half-built database has none and is built again.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench._snapshot_sim import CURRENCY, LOCATIONS, NO_AMOUNT, IntArray, Simulated, Sizes, simulate

VERSION = 1  # of how the data are loaded; the generator's source is part of the key too
META_TABLE = "bench_snapshot_meta"
ROWS_PER_BATCH = 200_000  # rows per insert transaction / COPY


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def code_digest(source: str) -> bytes:
    """A module's code without its docstrings (comments are not in the syntax tree):
    rewording a docstring does not rebuild twenty million rows, changing code does."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def build_key(sizes: Sizes, seed: int) -> str:
    """What a kept database was built from: sizes, seed and the code of the simulation
    and of the loading (changed code builds again)."""
    digest = hashlib.sha256(f"{VERSION}|{sorted(asdict(sizes).items())}|{seed}".encode())
    here = Path(__file__).parent
    for name in ("_snapshot_sim.py", "_snapshot_data.py"):
        digest.update(code_digest((here / name).read_text("utf-8")))
    return digest.hexdigest()[:16]


# --- loading ---------------------------------------------------------------------------------


_ALPHABET = np.frombuffer(b"0123456789abcdefghjkmnpqrstvwxyz", dtype=np.uint8)


def public_ids(numbers: IntArray, prefix: str) -> list[str]:
    """12-character public ids in the app's alphabet, ordered like ``numbers`` (fixed
    width, so inserting in id order appends to the unique index)."""
    width = 12 - len(prefix)
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64) * 5
    digits = _ALPHABET[(numbers[:, None] >> shifts) & 31]
    text = np.ascontiguousarray(digits).view(f"S{width}").ravel().astype(f"U{width}")
    ids: list[str] = np.char.add(prefix, text).tolist()
    return ids


def instants(seconds: IntArray, postgres: bool) -> list[str]:
    """UTC epoch seconds as the text Django stores (SQLite) or PostgreSQL reads."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    chars = text.view(np.uint32).reshape(seconds.size, -1)
    chars[:, 10] = ord(" ")
    out = chars.view(text.dtype).ravel()
    return np.char.add(out, "+00").tolist() if postgres else out.tolist()


@dataclass(frozen=True)
class Table:
    """A table written with ``columns`` (in row order) and, on every row, the given
    constants (the Django defaults of the other NOT NULL columns)."""

    name: str
    columns: tuple[str, ...]
    constants: tuple[tuple[str, str], ...]


CUSTOMER = Table(
    "customers_customer",
    (
        "id",
        "public_id",
        "given_name",
        "family_name",
        "language",
        "home_location_id",
        "created_at",
        "updated_at",
        "visit_count",
        "first_visit_at",
        "last_visit_at",
    ),
    (
        ("kind", "person"),
        ("patronymic", ""),
        ("preferred_name", ""),
        ("organisation_name", ""),
        ("title", ""),
        ("address_form", "formal"),
        ("email", ""),
        ("postal_address", ""),
        ("how_met", ""),
        ("notes", ""),
        ("gifts", ""),
        ("external_ref", ""),
        ("provenance", "{}"),
    ),
)
VISIT = Table(
    "service_visit",
    ("id", "public_id", "customer_id", "location_id", "at", "amount", "currency", "created_at"),
    (("channel", "in_person"), ("had", ""), ("note", "")),
)
GIVEN = ("Anna", "Luca", "Mette", "Giulia", "João", "Sofie", "Marco", "Inês", "Lars", "Chiara")
FAMILY = ("Rossi", "Jensen", "Silva", "Bianchi", "Nielsen", "Santos", "Ferrari", "Hansen")


def _customer_rows(
    sim: Simulated, location_ids: list[int], postgres: bool
) -> Iterator[list[tuple[Any, ...]]]:
    n = sim.created.size
    past = sim.at <= sim.now
    who = sim.customer[past] - 1
    visits = np.bincount(who, minlength=n)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, who, sim.at[past])
    np.maximum.at(last, who, sim.at[past])
    places = np.array(location_ids, dtype=np.int64)
    rng = np.random.default_rng(7)
    given = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)].tolist()
    family = np.array(FAMILY)[rng.integers(0, len(FAMILY), n)].tolist()
    language = np.array(["it", "da", "pt"])[sim.home].tolist()
    null = "\\N" if postgres else None  # COPY's text for NULL
    for lo in range(0, n, ROWS_PER_BATCH):
        hi = min(lo + ROWS_PER_BATCH, n)
        ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
        created = instants(sim.created[lo:hi], postgres)
        seen = (visits[lo:hi] > 0).tolist()
        firsts = instants(np.where(visits[lo:hi] > 0, first[lo:hi], 0), postgres)
        lasts = instants(np.maximum(last[lo:hi], 0), postgres)
        yield list(
            zip(
                ids.tolist(),
                public_ids(ids, "c"),
                given[lo:hi],
                family[lo:hi],
                language[lo:hi],
                places[sim.home[lo:hi]].tolist(),
                created,
                created,
                visits[lo:hi].tolist(),
                [f if s else null for f, s in zip(firsts, seen, strict=True)],
                [t if s else null for t, s in zip(lasts, seen, strict=True)],
                strict=True,
            )
        )


def _visit_rows(
    sim: Simulated, location_ids: list[int], postgres: bool
) -> Iterator[list[tuple[Any, ...]]]:
    places = np.array(location_ids, dtype=np.int64)
    n = sim.at.size
    for lo in range(0, n, ROWS_PER_BATCH):
        hi = min(lo + ROWS_PER_BATCH, n)
        ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
        at = instants(sim.at[lo:hi], postgres)
        cents = sim.cents[lo:hi]
        missing = cents == NO_AMOUNT
        amounts: list[Any] = (
            [f"{c / 100:.2f}" for c in cents.tolist()] if postgres else (cents / 100).tolist()
        )
        currency = [CURRENCY] * (hi - lo)
        null = "\\N" if postgres else None  # COPY's text for NULL
        for i in np.flatnonzero(missing).tolist():
            amounts[i] = null
            currency[i] = ""
        yield list(
            zip(
                ids.tolist(),
                public_ids(ids, "v"),
                sim.customer[lo:hi].tolist(),
                places[sim.location[lo:hi]].tolist(),
                at,
                amounts,
                currency,
                at,
                strict=True,
            )
        )


class SqliteLoader:
    """Rows into a SQLite file on a connection of its own (journal off while loading)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-524288",
            "threads=2",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.dropped: list[str] = []

    def drop_indexes(self, tables: tuple[str, ...]) -> None:
        marks = ", ".join("?" * len(tables))
        rows = self.db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
        for name, sql in rows:
            self.db.execute(f'DROP INDEX "{name}"')
            self.dropped.append(sql)

    def write(self, table: Table, batches: Iterator[list[tuple[Any, ...]]]) -> None:
        names = ", ".join([*table.columns, *(c for c, _v in table.constants)])
        values = ", ".join(["?"] * len(table.columns) + [f"'{v}'" for _c, v in table.constants])
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({values})"  # noqa: S608
        for rows in batches:
            self.db.execute("BEGIN")
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")

    def finish(self) -> None:
        for sql in self.dropped:
            self.db.execute(sql)
        self.db.execute("PRAGMA analysis_limit=2000")
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.close()


class PostgresLoader:
    """Rows into PostgreSQL with COPY, on Django's connection."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.dropped: list[tuple[str, str, str, str]] = []
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")

    def drop_indexes(self, tables: tuple[str, ...]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, 'constraint', "
                "pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s) "
                "ORDER BY contype",
                [list(tables)],
            )
            self.dropped += cursor.fetchall()
            cursor.execute(
                "SELECT i.indrelid::regclass::text, c.relname, 'index', "
                "pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
                "AND k.contype IN ('p', 'u', 'x'))",
                [list(tables)],
            )
            self.dropped += cursor.fetchall()
            for table, name, kind, _definition in self.dropped:
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                else:
                    cursor.execute(f'DROP INDEX "{name}"')

    def write(self, table: Table, batches: Iterator[list[tuple[Any, ...]]]) -> None:
        from django.db import transaction

        names = ", ".join([*table.columns, *(c for c, _v in table.constants)])
        line = "\t".join(["%s"] * len(table.columns) + [v for _c, v in table.constants]) + "\n"
        sql = f"COPY {table.name} ({names}) FROM STDIN"
        for rows in batches:  # NULLs come as COPY's \N already
            text = "".join(map(line.__mod__, rows))
            with (
                transaction.atomic(),
                self.connection.cursor() as cursor,
                cursor.cursor.copy(sql) as copy,
            ):
                copy.write(text)

    def finish(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _table, _name, kind, definition in self.dropped:
                if kind == "index":
                    cursor.execute(definition)
            for table, name, kind, definition in reversed(self.dropped):
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("VACUUM (ANALYZE)")


# --- building --------------------------------------------------------------------------------


def _locations() -> list[int]:
    from regulars.accounts.models import Location
    from regulars.accounts.services import create_location

    ids = []
    for name, tz, country, _share in LOCATIONS:
        found = Location.objects.filter(name=name).first()
        found = found or create_location(
            name=name, timezone_name=tz, currency=CURRENCY, country=country
        )
        ids.append(found.pk)
    return ids


def _complaints(sim: Simulated, location_ids: list[int], count: int, seed: int) -> None:
    """``count`` customers with a visit get an open complaint at their home location."""
    from datetime import timedelta

    from regulars.accounts.models import Location
    from regulars.customers.models import Customer
    from regulars.service.tickets import open_ticket_by_rule

    rng = np.random.default_rng([seed, 9])
    seen = np.unique(sim.customer[sim.at <= sim.now])
    chosen = np.sort(rng.choice(seen, size=min(count, seen.size), replace=False)).tolist()
    places = {loc.pk: loc for loc in Location.objects.filter(pk__in=location_ids)}
    now = datetime.fromtimestamp(sim.now, UTC)
    for customer in Customer.objects.filter(pk__in=chosen).order_by("pk"):
        open_ticket_by_rule(
            location=places[location_ids[int(sim.home[customer.pk - 1])]],
            customer=customer,
            kind="complaint",
            subject="Waited 40 minutes",
            at=now - timedelta(days=int(rng.integers(0, 20)), hours=int(rng.integers(1, 12))),
        )


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from regulars.customers.models import Customer
    from regulars.service.models import Visit

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Customer, Visit]):
            cursor.execute(statement)


@dataclass(frozen=True)
class Built:
    now: datetime
    counts: dict[str, int]
    seconds: dict[str, float]


def build(sizes: Sizes, seed: int, *, key: str, now: datetime, sqlite_path: Path | None) -> Built:
    """Simulate the business into the configured, migrated, empty database (Django set
    up); ``sqlite_path`` is its file when it is SQLite."""
    from django.db import connection

    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        seconds[name] = round(time.perf_counter() - started, 1)
        progress(f"  {name}: {seconds[name]} s")
        return result

    postgres = connection.vendor == "postgresql"
    moment = int(now.timestamp())
    sim: Simulated = step("simulate", lambda: simulate(sizes, seed, moment))
    location_ids = _locations()
    loader: SqliteLoader | PostgresLoader
    if postgres:
        loader = PostgresLoader()
    else:
        if sqlite_path is None:
            raise ValueError("a SQLite build needs the database file's path")
        connection.close()
        loader = SqliteLoader(sqlite_path)
    loader.drop_indexes((CUSTOMER.name, VISIT.name))
    step("customers", lambda: loader.write(CUSTOMER, _customer_rows(sim, location_ids, postgres)))
    step("visits", lambda: loader.write(VISIT, _visit_rows(sim, location_ids, postgres)))
    step("indexes and statistics", loader.finish)
    _reset_sequences()
    step("complaints", lambda: _complaints(sim, location_ids, sizes.complaints, seed))
    counts = {
        "customers": int(sim.created.size),
        "visits": int(sim.at.size),
        "future_visits": sim.future,
        "copied_rows": sim.duplicates,
        "duplicate_visits": sim.repeated_instants(),
        "customers_with_visits": sim.customers_with_past_visits(),
        "missing_amounts": int((sim.cents == NO_AMOUNT).sum()),
        "single_visit_customers": int((np.bincount(sim.customer[sim.at <= sim.now]) == 1).sum()),
        "complaints": sizes.complaints,
    }
    write_meta(key=key, now=now, counts=counts, seconds=seconds)
    return Built(now=now, counts=counts, seconds=seconds)


def write_meta(
    *, key: str, now: datetime, counts: dict[str, int], seconds: dict[str, float]
) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name VARCHAR(20) PRIMARY KEY, value TEXT)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE}")  # noqa: S608 - our own table name
        values = {
            "key": key,
            "now": now.isoformat(),
            "counts": json.dumps(counts),
            "build_s": json.dumps(seconds),
        }
        for name, value in values.items():
            cursor.execute(
                f"INSERT INTO {META_TABLE} (name, value) VALUES (%s, %s)",  # noqa: S608
                [name, value],
            )


def read_meta() -> dict[str, str]:
    """The meta table of the configured database; empty when there is none."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT name, value FROM {META_TABLE}")  # noqa: S608
            return {name: value for name, value in cursor.fetchall()}
    except DatabaseError:
        return {}


def sqlite_meta(path: Path) -> dict[str, str]:
    """The meta table of a SQLite file, read without Django."""
    if not path.exists():
        return {}
    try:
        with closing(sqlite3.connect(path)) as db:
            return dict(db.execute(f"SELECT name, value FROM {META_TABLE}").fetchall())  # noqa: S608
    except sqlite3.Error:
        return {}


def build_now() -> datetime:
    """The build's ``now``: this hour, in UTC."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
