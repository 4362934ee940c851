"""Keeping the recognition index in step with customer memory.

``index_customers`` is called inside the transaction of every write that changes what
the index holds (the services of customers and service, the importers, the demo), so
the index never shows what was rolled back and never misses what was committed.
``rebuild_index`` recomputes everything (``regulars reindex``) in one transaction:
readers keep the old index until it commits, and a crash leaves the old one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.db import connection, transaction
from django.db.models.signals import pre_delete

from regulars.customers.models import Customer
from regulars.customers.search.backends import backend
from regulars.customers.search.documents import Entry, build_entries

T = TypeVar("T")

# Customers per batch: a few queries each, and every statement stays under the
# parameter limits of both backends.
BATCH = 900
REBUILD_BATCH = 5_000


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


def _write_entries(entries: Sequence[Entry]) -> None:
    if not entries:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO customers_searchdoc "
            "(key, customer_id, doc, terms, home_location_id, visits) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (e.key, e.customer_id, e.doc, " ".join(e.terms), e.home_location_id, e.visits)
                for e in entries
            ],
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

    ``progress`` is called with the running count after each batch.
    """
    engine = backend()
    engine.disable_sync()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_searchdoc")
        cursor.execute("DELETE FROM customers_searchterm")
    terms: Counter[str] = Counter()
    done = 0
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(ids, REBUILD_BATCH):
        entries = build_entries(chunk)
        _write_entries(entries)
        for entry in entries:
            terms.update(entry.terms)
        done += len(entries)
        if progress is not None:
            progress(done)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO customers_searchterm (term, entries) VALUES (%s, %s)",
            sorted(terms.items()),
        )
    engine.rebuild()
    return done


def index_is_missing() -> bool:
    """True when customers exist but the index holds none of them (a database from
    before the index existed, or restored without it): ``regulars reindex`` is due."""
    with connection.cursor() as cursor:
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
