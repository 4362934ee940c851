"""The business ``bench.service`` measures: built once, loaded fast, kept between runs.

The rows come from ``bench._service_rows`` (seeded: the same sizes and seed give the
same rows on SQLite and PostgreSQL). Times are whole UTC seconds before ``now`` (the
build's hour, kept with the data in ``bench_service_meta``, which is written last: a
half-built database has none and is built again).

Loading: ``executemany`` in one transaction per batch on SQLite (``synchronous`` off and
a 256 MB page cache while loading), ``COPY`` per batch on PostgreSQL. The loaded tables'
secondary indexes (and on PostgreSQL their foreign keys and unique constraints) are
dropped while loading and built again at the end: one sort per index and one join per
foreign key, instead of keeping them up to date row by row (200,000 visits into
PostgreSQL: 9.0 s with the indexes, 0.6 s without). Then ``ANALYZE`` and ``PRAGMA
optimize`` (SQLite) or ``VACUUM (ANALYZE)`` (PostgreSQL): a database that has run for
years has its statistics and visibility map.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERSION = 1  # of how the data are loaded; the generator's source is part of the key
BATCH = 10_000  # tickets (with their events, returns, promises, follow-ups) per transaction
ROW_BATCH = 50_000  # rows per transaction for customers and visits
META_TABLE = "bench_service_meta"


@dataclass(frozen=True)
class Sizes:
    """How big the business is. Returns are 1 in 4 return or exchange tickets (about
    5 % of tickets); promises and follow-ups are drawn per ticket, so their counts come
    out near the sizes asked for, not exactly."""

    locations: int
    staff: int
    customers: int
    tickets: int
    events: int
    promises: int
    follow_ups: int
    visits: int

    def scaled(self, tickets: int) -> Sizes:
        """The same proportions for ``tickets`` tickets (at least one of everything)."""
        ratio = tickets / self.tickets
        return replace(
            self,
            customers=max(1, round(self.customers * ratio)),
            tickets=tickets,
            events=max(tickets, round(self.events * ratio)),
            promises=round(self.promises * ratio),
            follow_ups=round(self.follow_ups * ratio),
            visits=round(self.visits * ratio),
        )


FULL = Sizes(20, 60, 200_000, 1_000_000, 3_000_000, 100_000, 150_000, 2_000_000)
QUICK = Sizes(5, 15, 2_000, 10_000, 30_000, 1_000, 1_500, 20_000)


def build_key(sizes: Sizes, seed: int) -> str:
    """What a cached database was built from: sizes, seed, the generator's source and
    the project's migrations (a changed generator or a new migration rebuilds it)."""
    from bench.common import ROOT

    digest = hashlib.sha256(f"{VERSION}|{sorted(asdict(sizes).items())}|{seed}".encode())
    migrations = sorted((ROOT / "src" / "regulars").glob("*/migrations/*.py"))
    for path in [ROOT / "bench" / "_service_rows.py", *migrations]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- writing rows ----------------------------------------------------------------------------


class Writer:
    """Bulk writes for one Django connection: column lists from the models, constant
    defaults for the columns not given, and the vendor's datetime text."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.suffix = "+00" if self.postgres else ""
        self.tables: dict[str, tuple[str, tuple[Any, ...]]] = {}

    def ts(self, unix: int | None) -> str | None:
        """A UTC instant in the text Django stores (SQLite) or PostgreSQL reads."""
        if unix is None:
            return None
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix)) + self.suffix

    def prepare(self, model: Any, attributes: str) -> str:
        """Register ``model`` written with ``attributes`` (names separated by spaces, in
        row order); every other column gets its field's default, once (so it must not
        be unique)."""
        given = attributes.split()
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in given if name not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no {unknown}")
        rest = [f for name, f in fields.items() if name not in given]
        for f in rest:
            if f.unique and not f.null:
                raise ValueError(f"{model.__name__}.{f.name} is unique: give it")
        columns = [fields[name].column for name in given] + [f.column for f in rest]
        constants = tuple(f.get_db_prep_save(f.get_default(), self.connection) for f in rest)
        table = model._meta.db_table
        quote = self.connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        if self.postgres:
            sql = f"COPY {quote(table)} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
        self.tables[table] = (sql, constants)
        return table

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write ``rows`` (inside the caller's transaction)."""
        if not rows:
            return
        sql, constants = self.tables[table]
        raw = self.connection.connection
        if self.postgres:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row + constants)
        else:
            raw.executemany(sql, [row + constants for row in rows])

    def next_id(self, model: Any) -> int:
        """The first free id of ``model``'s table (rows already there are kept)."""
        from django.db.models import Max

        return int(model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def flush(writer: Writer, batches: dict[str, list[tuple[Any, ...]]]) -> None:
    """Write each table's rows, in order, in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        for table, rows in batches.items():
            writer.write(table, rows)


# --- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    key: str
    now: datetime
    counts: dict[str, int]
    seconds: dict[str, float]


def build(sizes: Sizes, seed: int, *, key: str, now: datetime, bulk: bool = True) -> Built:
    """Generate the business into the configured (migrated) database and record ``key``
    and ``now`` in the meta table. ``bulk`` False (inside a test's transaction) writes
    the same rows without the loading settings, dropped foreign keys and statistics."""
    from django.core.management.color import no_style
    from django.db import connection

    from bench._service_rows import TicketMaker, customers, setup_business, visits
    from regulars.customers.models import Customer
    from regulars.service.models import (
        FollowUp,
        Promise,
        Return,
        ReturnItem,
        Ticket,
        TicketEvent,
        Visit,
    )

    models = [Customer, Ticket, TicketEvent, Return, ReturnItem, Promise, FollowUp, Visit]
    writer = Writer()
    moment = int(now.timestamp())
    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        seconds[name] = round(time.perf_counter() - started, 1)
        progress(f"  {name}: {seconds[name]} s")
        return result

    dropped: Dropped = []
    if bulk:
        dropped = _drop_secondary([m._meta.db_table for m in models])
        with connection.cursor() as cursor:
            if writer.postgres:
                cursor.execute("SET synchronous_commit = off")
            else:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-262144")  # 256 MB while loading
    business = step("business", lambda: setup_business(sizes, seed))
    step("customers", lambda: customers(writer, business, sizes.customers, moment, seed))
    step("tickets", lambda: TicketMaker(writer, business, sizes, moment, seed).run())
    step("visits", lambda: visits(writer, business, sizes.visits, moment, seed))
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
    if dropped:
        step("indexes and constraints", lambda: _restore_secondary(dropped))
    if bulk:
        step("analyze", _analyze)
        if not writer.postgres:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")
    counts = {model.__name__: model.objects.count() for model in models}
    _write_meta(key=key, now=now, counts=counts)
    return Built(key=key, now=now, counts=counts, seconds=seconds)


# What ``_drop_secondary`` removed: (table, name, kind, definition), kind being
# "index" (an SQL statement) or "constraint" (a definition to add back).
Dropped = list[tuple[str, str, str, str]]


def _drop_secondary(tables: Sequence[str]) -> Dropped:
    """Drop the indexes of ``tables`` other than their primary keys, and on PostgreSQL
    also their foreign keys and unique constraints: filling tables without them and
    building them once at the end (a sort each) is several times faster than keeping
    them up to date row by row. SQLite's unnamed indexes of inline UNIQUE columns stay."""
    from django.db import connection

    quote = connection.ops.quote_name
    dropped: Dropped = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, 'constraint', "
                "pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s) "
                "ORDER BY contype",  # foreign keys before the unique constraints
                [list(tables)],
            )
            dropped += cursor.fetchall()
            cursor.execute(
                "SELECT i.indrelid::regclass::text, c.relname, 'index', "
                "pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
                "AND k.contype IN ('p', 'u', 'x'))",
                [list(tables)],
            )
            dropped += cursor.fetchall()
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT tbl_name, name, 'index', sql FROM sqlite_master "  # noqa: S608
                f"WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
                list(tables),
            )
            dropped += cursor.fetchall()
        for table, name, kind, _definition in dropped:
            if kind == "constraint":
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            else:
                cursor.execute(f"DROP INDEX {quote(name)}")
    return dropped


def _restore_secondary(dropped: Dropped) -> None:
    """Build what ``_drop_secondary`` dropped: indexes first, then the constraints
    (unique ones before the foreign keys), each checked over every row."""
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '256MB'")
        for _table, _name, kind, definition in dropped:
            if kind == "index":
                cursor.execute(definition)
        for table, name, kind, definition in reversed(dropped):
            if kind == "constraint":
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA optimize")


def _write_meta(*, key: str, now: datetime, counts: dict[str, int]) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name VARCHAR(20) PRIMARY KEY, value TEXT)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE}")  # noqa: S608 - our own table name
        values = {"key": key, "now": now.isoformat(), "counts": json.dumps(counts)}
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
    """The meta table of a SQLite file, read before Django is set up."""
    import sqlite3
    from contextlib import closing

    if not path.exists():
        return {}
    query = f"SELECT name, value FROM {META_TABLE}"  # noqa: S608 - our own table name
    try:
        with closing(sqlite3.connect(path)) as db:
            return dict(db.execute(query).fetchall())
    except sqlite3.Error:
        return {}


def build_now() -> datetime:
    """The build's ``now``: this hour, in UTC."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
