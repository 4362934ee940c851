"""Keeping the recognition index in step with customer memory.

``index_customers`` is called inside the transaction of every write that changes what
the index holds (the services of customers and service, the importers, the demo), so
the index never shows what was rolled back and never misses what was committed.
``rebuild_index`` recomputes everything (``regulars reindex``) in one transaction: a
crash leaves the old index; until it commits, readers see the old index on SQLite and
wait on PostgreSQL.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, NamedTuple, TypeVar

from django.db import connection, transaction
from django.db.models.signals import pre_delete

from regulars.customers.models import Customer
from regulars.customers.search.backends import Row, backend
from regulars.customers.search.documents import (
    INDEX_FORMAT,
    Entry,
    Source,
    build_entries,
    entries_of,
    read_source,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Customers per batch: a few queries each, and every statement stays under the
# parameter limits of both backends.
BATCH = 900
REBUILD_BATCH = 5_000
# From this many customers a rebuild turns the rows it reads into entries in a second
# process, while this one reads and writes the database: the two take about as long.
PARALLEL_MIN_CUSTOMERS = 50_000


def _chunks(values: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _stored(ids: Sequence[int]) -> dict[int, tuple[int, str, str, int | None, int]]:
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, key, doc, terms, home_location_id, visits "  # noqa: S608 - only placeholders and fixed names are interpolated
            f"FROM customers_searchdoc WHERE customer_id IN ({placeholders})",
            list(ids),
        )
        return {row[0]: (row[1], row[2], row[3], row[4], row[5]) for row in cursor.fetchall()}


def _row(entry: Entry) -> Row:
    return (
        entry.key,
        entry.customer_id,
        entry.doc,
        " ".join(entry.terms),
        entry.home_location_id,
        entry.visits,
    )


def _write_entries(entries: Sequence[Entry]) -> None:
    if not entries:
        return
    # In key order: on SQLite, FTS5 writes out what it holds in memory (a new segment
    # to merge later) whenever a rowid is lower than the one before.
    backend().insert([_row(e) for e in sorted(entries, key=lambda e: e.key)])
    with connection.cursor() as cursor:
        # The first entries of a new index record the format they are written in; an
        # index from an older format keeps its record until it is rebuilt.
        cursor.execute(
            "INSERT INTO customers_searchindexformat (id, format) SELECT 1, %s "
            "WHERE NOT EXISTS (SELECT 1 FROM customers_searchindexformat)",
            [INDEX_FORMAT],
        )


def _count_terms(delta: Counter[str]) -> None:
    """Add ``delta`` to the vocabulary's entry counts; words reaching 0 leave it."""
    grown = sorted((term, n) for term, n in delta.items() if n > 0)
    shrunk = sorted((term, -n) for term, n in delta.items() if n < 0)
    with connection.cursor() as cursor:
        if grown:
            cursor.executemany(
                "INSERT INTO customers_searchterm (term, entries) VALUES (%s, %s) "
                "ON CONFLICT (term) DO UPDATE "
                "SET entries = customers_searchterm.entries + excluded.entries",
                grown,
            )
        if shrunk:
            cursor.executemany(
                "UPDATE customers_searchterm SET entries = CASE WHEN entries > %s "
                "THEN entries - %s ELSE 0 END WHERE term = %s",
                [(n, n, term) for term, n in shrunk],
            )
            for chunk in _chunks([term for term, _n in shrunk], BATCH):
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    "DELETE FROM customers_searchterm "  # noqa: S608 - only placeholders and fixed names are interpolated
                    f"WHERE entries = 0 AND term IN ({placeholders})",
                    list(chunk),
                )


@transaction.atomic
def index_customers(customer_ids: Iterable[int]) -> int:
    """Bring these customers' entries up to date (deleted customers leave the index).

    Returns how many entries changed. Runs in the caller's transaction when there is one.
    """
    ids = sorted(set(customer_ids))
    changed = 0
    for chunk in _chunks(ids, BATCH):
        stored = _stored(chunk)
        entries = {e.customer_id: e for e in build_entries(chunk)}
        stale: list[int] = []
        fresh: list[Entry] = []
        delta: Counter[str] = Counter()
        for customer_id in chunk:
            old = stored.get(customer_id)
            new = entries.get(customer_id)
            if new is not None and old == (
                new.key,
                new.doc,
                " ".join(new.terms),
                new.home_location_id,
                new.visits,
            ):
                continue
            if old is not None:
                stale.append(customer_id)
                delta.subtract(old[2].split())
            if new is not None:
                fresh.append(new)
                delta.update(new.terms)
        if stale:
            placeholders = ", ".join(["%s"] * len(stale))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM customers_searchdoc WHERE customer_id IN ({placeholders})",  # noqa: S608 - only placeholders and fixed names are interpolated
                    stale,
                )
        _write_entries(fresh)
        _count_terms(_nonzero(delta))
        changed += len(set(stale) | {e.customer_id for e in fresh})
    return changed


def _nonzero(delta: Counter[str]) -> Counter[str]:
    return Counter({term: n for term, n in delta.items() if n})


def remove_customers(customer_ids: Iterable[int]) -> int:
    """Take these customers out of the index (before they are deleted)."""
    ids = sorted(set(customer_ids))
    removed = 0
    for chunk in _chunks(ids, BATCH):
        stored = _stored(chunk)
        if not stored:
            continue
        delta: Counter[str] = Counter()
        for _key, _doc, terms, _home, _visits in stored.values():
            delta.subtract(terms.split())
        placeholders = ", ".join(["%s"] * len(stored))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM customers_searchdoc WHERE customer_id IN ({placeholders})",  # noqa: S608 - only placeholders and fixed names are interpolated
                list(stored),
            )
        _count_terms(delta)
        removed += len(stored)
    return removed


@transaction.atomic
def rebuild_index(*, progress: Callable[[int], None] | None = None) -> int:
    """Recompute the whole index from customer memory; returns the customers indexed.

    ``progress`` is called with the running count after each batch. With many
    customers (``PARALLEL_MIN_CUSTOMERS``) the entries are built in a forked process
    that only computes: every read and write stays in this process's transaction.
    """
    engine = backend()
    engine.disable_sync()
    engine.clear()
    terms: Counter[str] = Counter()
    done = 0
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    sources = (read_source(chunk) for chunk in _chunks(ids, REBUILD_BATCH))
    if len(ids) >= PARALLEL_MIN_CUSTOMERS and _can_fork():
        batches = _map_in_child(_rows_of, sources)
    else:
        batches = map(_rows_of, sources)
    for batch in batches:
        engine.insert(batch.rows)
        engine.add_entries([(row[0], row[2]) for row in batch.rows])
        terms.update(batch.terms)
        done += len(batch.rows)
        if progress is not None:
            progress(done)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO customers_searchterm (term, entries) VALUES (%s, %s)",
            sorted(terms.items()),
        )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_searchindexformat")
        cursor.execute(
            "INSERT INTO customers_searchindexformat (id, format) VALUES (1, %s)", [INDEX_FORMAT]
        )
    engine.rebuild()
    return done


class _Rows(NamedTuple):
    """A batch of entries as rows to insert, and how many of them hold each term."""

    rows: list[Row]
    terms: Counter[str]


def _rows_of(source: Source) -> _Rows:
    entries = sorted(entries_of(source), key=lambda e: e.key)  # see _write_entries
    terms: Counter[str] = Counter()
    for entry in entries:
        terms.update(entry.terms)
    return _Rows([_row(e) for e in entries], terms)


def _can_fork() -> bool:
    """A fork copies the locks other threads hold, so only a process without threads
    (the command line, a benchmark) forks; and only when a second core exists."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
    )


def _map_in_child(function: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``map(function, items)`` with ``function`` run by a forked child process.

    This process produces the next item and consumes the last result while the child
    computes: one item is in the child at a time, and one is sent only once the
    previous result is received, so neither side can block the other on a full pipe.
    The child never touches the database (its inherited connection stays this
    process's); a child that fails or dies makes this raise RuntimeError.
    """
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    child = context.Process(
        target=_serve, args=(function, there), name="regulars-reindex", daemon=True
    )
    child.start()
    there.close()
    try:
        started = False
        for item in items:  # read while the child computes the previous item
            if started:
                result: R = _receive(here)
            here.send(item)  # the child starts on it before the result is used
            if started:
                yield result
            started = True
        if started:
            yield _receive(here)
        here.send(None)
        child.join()
    finally:
        here.close()
        if child.is_alive():
            child.terminate()
            child.join()


def _receive(here: Connection) -> Any:
    try:
        error, result = here.recv()
    except EOFError:
        raise RuntimeError("the indexing process stopped unexpectedly") from None
    if error is not None:
        raise RuntimeError(f"the indexing process failed: {error}")
    return result


def _serve(function: Callable[[T], R], there: Connection) -> None:
    """The child's side of ``_map_in_child``."""
    # The collector would walk (and copy, page by page) all the inherited objects on
    # each full pass; none of them is freed here.
    gc.freeze()
    try:
        while (item := there.recv()) is not None:
            there.send((None, function(item)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped: nothing to tell it
    except Exception as exc:  # a bug: say what it was instead of dying silently
        logger.exception("building index entries failed")
        there.send((repr(exc)[:300], None))
    finally:
        there.close()


def index_is_stale() -> bool:
    """True when the index must be rebuilt (``regulars reindex``; ``regulars migrate``
    does it): customers exist but the index holds none of them (a database from before
    the index existed, or restored without it), or its entries were written in an
    older format than this code reads (``documents.INDEX_FORMAT``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT format FROM customers_searchindexformat")
        recorded = cursor.fetchone()
        if recorded is not None and recorded[0] != INDEX_FORMAT:
            return True
        cursor.execute("SELECT 1 FROM customers_searchdoc LIMIT 1")
        if cursor.fetchone() is not None:
            return False
    return Customer.objects.exists()


def _forget_deleted(sender: type[Customer], instance: Customer, **kwargs: object) -> None:
    """Every deletion of a customer, whatever its path, takes their words out of the
    vocabulary too (the entry itself goes by cascade)."""
    remove_customers([instance.pk])


def connect_signals() -> None:
    pre_delete.connect(_forget_deleted, sender=Customer, dispatch_uid="search_forget_deleted")
