"""Every write of the importers: one function per batch kind, each one transaction.

Batches are written with raw ``executemany`` through Django's connection (the ORM's
per-object overhead would dominate an import of a million rows). Dedupe lookups cost
one query per key kind per batch (in a command-line import into empty tables, only
for the few keys an earlier row may have had: ``WrittenKeys``). A batch either commits whole or not at all, and the
dedupe makes a re-run of the same file find every row it already wrote, so an import
killed between batches completes with the same end state when run again.
"""

from __future__ import annotations

import base64
import enum
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from regulars.core import audit
from regulars.core.models import AuditAction, AuditEntry, Source
from regulars.customers.importers.base import (
    BatchResult,
    ImportKind,
    ImportSummary,
)
from regulars.customers.importers.context import ImportContext
from regulars.customers.importers.customer_rows import CustomerRecord
from regulars.customers.importers.visit_rows import VisitRecord
from regulars.customers.models import Customer, Phone
from regulars.customers.search import index_customers
from regulars.customers.services import get_or_create_tag

# Placeholders per statement stay under every backend's limit (SQLite's is 32766,
# Django assumes 999 for old builds).
_IN_CHUNK = 900

# Customer fields an import may fill (attribute names).
IMPORT_FIELDS: tuple[str, ...] = (
    "kind",
    "given_name",
    "family_name",
    "patronymic",
    "preferred_name",
    "organisation_name",
    "title",
    "language",
    "email",
    "postal_address",
    "birth_month",
    "birth_day",
    "birth_year",
    "first_met_on",
    "home_location_id",
    "notes",
    "external_ref",
)
_BIRTHDAY = ("birth_month", "birth_day", "birth_year")
_NOT_MERGED = frozenset({"kind", *_BIRTHDAY})


# --- raw SQL helpers ------------------------------------------------------------------


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(
    model: type[models.Model], key: str, value: str, keys: Iterable[Any]
) -> list[tuple[Any, Any]]:
    """(key, value) column pairs of ``model`` rows whose ``key`` column is in ``keys``,
    in chunks of bound parameters."""
    unique = list(dict.fromkeys(keys))
    rows: list[tuple[Any, Any]] = []
    if not unique:
        return rows
    qn = connection.ops.quote_name
    # Identifiers come from model metadata; every value is a bound parameter.
    table, key_column, value_column = qn(model._meta.db_table), qn(key), qn(value)
    sql = f"SELECT {key_column}, {value_column} FROM {table} WHERE {key_column} IN "  # noqa: S608
    with connection.cursor() as cursor:
        for chunk in _chunks(unique):
            cursor.execute(sql + "(" + ", ".join(["%s"] * len(chunk)) + ")", list(chunk))
            rows.extend(cursor.fetchall())
    return rows


class _Insert:
    """An INSERT of every concrete column of a model but the primary key, with the
    defaults of the model computed once per batch."""

    def __init__(self, model: type[models.Model], *, ignore_conflicts: bool = False) -> None:
        qn = connection.ops.quote_name
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
        # Identifiers come from model metadata; every value is a bound parameter.
        self.sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608
            qn(str(model._meta.db_table)),
            ", ".join(qn(str(f.column)) for f in self.fields),
            ", ".join(["%s"] * len(self.fields)),
            " ON CONFLICT DO NOTHING" if ignore_conflicts else "",
        )

    def template(self) -> list[Any]:
        return [_plain(f.get_db_prep_save(f.get_default(), connection)) for f in self.fields]

    def run(self, rows: list[list[Any]]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)


def _plain(value: Any) -> Any:
    """A choices member as its plain value: the database driver binds a plain ``str``
    directly, but tries adapters (and raises and catches an AttributeError) for every
    ``str`` subclass, for every row."""
    return value.value if isinstance(value, enum.Enum) else value


# While an import runs on SQLite, its connection keeps a bigger page cache (the indexes
# of a large customer table stay in memory instead of being read again every batch)
# and lets the write-ahead log grow longer before copying it back. The indexes whose
# keys arrive in random order (public id, email, name, phone number) take about 110 MB
# at a million customers: once the cache holds them, each batch rewrites each page it
# touches once at commit, and with the command line's 20,000-row batches
# (``runner.BULK_BATCH_ROWS``) most rows share their pages with others of the batch.
# Measured on a million customers (2 cores, writing process): 64 MB and 2,000-row
# batches 12,500 rows/s; 64 MB and 20,000 rows 10,800 (the cache spills); 192 MB and
# 20,000 rows about 22,500 at a peak of about 325 MB; 256 MB went past 400 MB; 30,000
# rows or 40,000 log pages gained nothing more. The web process (small batches, a
# process shared with requests) keeps the smaller cache.
SQLITE_IMPORT_CACHE_KIB = 64 * 1024
SQLITE_BULK_CACHE_KIB = 192 * 1024
SQLITE_IMPORT_WAL_PAGES = 10_000


@contextmanager
def bulk_session(*, cache_kib: int = SQLITE_IMPORT_CACHE_KIB) -> Iterator[None]:
    """Connection settings for a bulk import, put back afterwards (SQLite only)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint")
        pages = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-cache_kib:d}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_IMPORT_WAL_PAGES:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache:d}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {pages:d}")


_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghjkmnpqrstvwxyz")


def new_public_ids(count: int) -> list[str]:
    """``count`` ids like ``core.ids.new_public_id`` (12 Crockford base32 characters,
    60 random bits), made in one go: the per-character ``secrets.choice`` of the
    one-at-a-time version costs more than the insert of the row."""
    text = base64.b32encode(os.urandom(count * 15 // 2 + 5)).decode("ascii").translate(_CROCKFORD)
    return [text[i * 12 : i * 12 + 12] for i in range(count)]


# --- customers --------------------------------------------------------------------------


class _Target:
    """A customer a row lands on: an existing one (``customer_id``) or one this batch
    creates (``record``). ``values`` are its current importable fields."""

    __slots__ = (
        "changed",
        "customer_id",
        "import_key",
        "new_phones",
        "new_tags",
        "phones",
        "provenance",
        "tags",
        "values",
    )

    def __init__(self, customer_id: int | None, values: dict[str, Any]) -> None:
        self.customer_id = customer_id
        self.values = values
        self.phones: set[str] = set()
        self.tags: set[str] = set()
        self.new_phones: list[tuple[str, str]] = []
        self.new_tags: list[str] = []
        self.changed: list[str] = []
        self.provenance: dict[str, Any] = {}
        self.import_key: str | None = None

    @classmethod
    def create(cls, record: CustomerRecord) -> _Target:
        target = cls(None, dict(record.values))
        target.phones = {number for number, _label in record.phones}
        target.new_phones = list(record.phones)
        target.tags = {t.casefold() for t in record.tags}
        target.new_tags = list(record.tags)
        target.import_key = record.import_key
        return target

    def merge(self, record: CustomerRecord) -> list[tuple[str, str]]:
        """Fill this customer's blank fields from ``record``, add its new phones and
        tags. Never overwrites a value. Returns the keys the customer gained (empty
        list and nothing changed → the row was a plain duplicate); ``("", "")`` alone
        means something was added that is not a key."""
        current = self.values
        gained: list[tuple[str, str]] = []
        added = False
        for name, value in record.values.items():
            if name in _NOT_MERGED or current.get(name) not in ("", None):
                continue
            current[name] = value
            self.changed.append(name)
            added = True
            if name == "email":
                gained.append(("email", str(value)))
            elif name == "external_ref":
                gained.append(("ref", str(value)))
        given = record.values
        if "birth_month" in given:
            if current.get("birth_month") is None:
                names = [n for n in _BIRTHDAY if given.get(n) is not None]
                for name in names:
                    current[name] = given[name]
                self.changed.extend(names)
                added = True
            elif (
                (current.get("birth_month"), current.get("birth_day"))
                == (given["birth_month"], given["birth_day"])
                and current.get("birth_year") is None
                and given.get("birth_year") is not None
            ):
                current["birth_year"] = given["birth_year"]
                self.changed.append("birth_year")
                added = True
        for number, label in record.phones:
            if number not in self.phones:
                self.phones.add(number)
                self.new_phones.append((number, label))
                gained.append(("phone", number))
        for tag in record.tags:
            folded = tag.casefold()
            if folded not in self.tags:
                self.tags.add(folded)
                self.new_tags.append(tag)
                added = True
        if added and not gained:
            gained.append(("", ""))
        return gained


class CustomerPlan:
    """What a customer batch will write: computed by reads only (a dry run stops here).

    ``new`` are the rows that create a customer; a row later in the batch that lands on
    one of them turns it into a ``_Target`` (``merged_into``) carrying the merge.
    """

    def __init__(self) -> None:
        self.result = BatchResult()
        self.new: list[CustomerRecord] = []
        self.merged_into: dict[int, _Target] = {}  # id(record) -> target
        self.existing: dict[int, _Target] = {}


# Dedupe key kind -> (model, column holding the key, column holding the customer id).
_KEY_COLUMNS: dict[str, tuple[type[models.Model], str, str]] = {
    "ref": (Customer, "external_ref", "id"),
    "phone": (Phone, "number", "customer_id"),
    "email": (Customer, "email", "id"),
    "key": (Customer, "import_key", "id"),
}


class WrittenKeys:
    """Whether the dedupe lookups of a customer import may be cut down to the keys its
    reader says an earlier row may have had (``maybe``, see ``runner.KeyFilter``).

    Only for a run that started on empty customer and phone tables, and only while no
    other connection has committed anything since (``PRAGMA data_version`` unchanged:
    it does not change for this connection's own commits): then every row of those
    tables is one this run wrote from earlier rows of the file, so a key no earlier row
    had cannot be found. Once another connection has written, or the connection was
    replaced, ``usable`` turns false for the rest of the run and every key is looked up
    again, as always.
    """

    def __init__(self, data_version: int, driver_connection: Any) -> None:
        self.data_version = data_version
        # Held (not its id): data_version values of two connections do not compare.
        self.driver_connection = driver_connection
        self.active = True
        # Keys of the batch being written that an earlier row may have had (None:
        # unknown, look every key up).
        self.maybe: list[tuple[str, str]] | None = None

    @classmethod
    def start(cls) -> WrittenKeys | None:
        """For a run about to start, or None when the tables hold rows (a re-run after
        a stopped import, or any other database) or not on SQLite."""
        if connection.vendor != "sqlite":
            return None
        with connection.cursor() as cursor:
            # data_version first: a commit by anyone after this read is seen later.
            version = _data_version(cursor)
            for model in (Customer, Phone):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
                if cursor.fetchone()[0]:
                    return None
        return cls(version, connection.connection)

    def usable(self) -> bool:
        """True while every key in the database is one this run wrote."""
        if self.active and (
            connection.connection is not self.driver_connection
            or _data_version_now() != self.data_version
        ):
            self.active = False
        return self.active


def _data_version(cursor: Any) -> int:
    cursor.execute("PRAGMA data_version")
    return int(cursor.fetchone()[0])


def _data_version_now() -> int:
    with connection.cursor() as cursor:
        return _data_version(cursor)


def _oldest_holders(wanted: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    """(kind, value) -> id of the oldest customer holding that key, one query per kind."""
    found: dict[tuple[str, str], int] = {}
    for kind, values in wanted.items():
        model, column, id_column = _KEY_COLUMNS[kind]
        for value, customer_id in _lookup(model, column, id_column, values):
            key = (kind, value)
            if key not in found or customer_id < found[key]:
                found[key] = customer_id
    return found


def _existing_customers(
    records: Sequence[CustomerRecord], written: WrittenKeys | None = None
) -> dict[tuple[str, str], int]:
    """Key -> id of the oldest existing customer holding it, one query per key kind.
    With ``written`` usable, only the keys an earlier row may have had are looked up."""
    wanted: dict[str, list[str]] = {"ref": [], "phone": [], "email": [], "key": []}
    if written is not None and written.maybe is not None and written.usable():
        for kind, value in written.maybe:
            wanted[kind].append(value)
    else:
        for record in records:
            for kind, value in record.keys:
                wanted[kind].append(value)
    return _oldest_holders(wanted)


def _load_targets(ids: set[int]) -> dict[int, _Target]:
    targets: dict[int, _Target] = {}
    for chunk in _chunks(sorted(ids)):
        for row in Customer.objects.filter(id__in=chunk).values("id", "provenance", *IMPORT_FIELDS):
            customer_id = row.pop("id")
            target = targets[customer_id] = _Target(customer_id, row)
            target.provenance = row.pop("provenance") or {}
        for customer_id, number in Phone.objects.filter(customer_id__in=chunk).values_list(
            "customer_id", "number"
        ):
            targets[customer_id].phones.add(number)
        through = Customer.tags.through
        for customer_id, name in through.objects.filter(customer_id__in=chunk).values_list(
            "customer_id", "tag__name"
        ):
            targets[customer_id].tags.add(name.casefold())
    return targets


def plan_customer_batch(records: Sequence[CustomerRecord], *, ctx: ImportContext) -> CustomerPlan:
    """Match every record to an existing customer, an earlier row of the batch, or a
    new customer, in file order, as if the rows were written one by one. Reads only."""
    plan = CustomerPlan()
    result = plan.result
    written = None if ctx.dry_run else ctx.written_keys
    found = _existing_customers(records, written)
    plan.existing = existing = _load_targets(set(found.values()))
    # Key -> where a row with that key lands: an existing customer (_Target), or a row
    # of this batch that creates one (CustomerRecord, or its _Target once merged into).
    index: dict[tuple[str, str], _Target | CustomerRecord] = {
        key: existing[customer_id] for key, customer_id in found.items()
    }
    seen = ctx.seen if ctx.dry_run else None
    new = plan.new
    for record in records:
        keys = record.keys
        hit = None
        for key in keys:
            hit = index.get(key)
            if hit is not None:
                break
        if hit is None:
            if seen is not None and not seen.isdisjoint(hash(k) for k in keys):
                result.duplicates += 1  # an earlier batch of this dry run creates it
                continue
            new.append(record)
            for key in keys:
                index[key] = record
            continue
        if isinstance(hit, CustomerRecord):
            target = plan.merged_into[id(hit)] = _Target.create(hit)
            for key in hit.keys:
                index[key] = target
        else:
            target = hit
        gained = target.merge(record)
        if gained:
            result.merged += 1
            for key in gained:
                if key[0]:
                    index.setdefault(key, target)
        else:
            result.duplicates += 1
    result.created = len(new)
    if seen is not None:
        created = {id(r) for r in new} | {id(t) for t in plan.merged_into.values()}
        seen.update(hash(k) for k, v in index.items() if id(v) in created)
    return plan


def _stamp(ctx: ImportContext) -> dict[str, Any]:
    return {
        "source": Source.IMPORTED,
        "by": ctx.actor_id,
        "at": ctx.now.isoformat(timespec="seconds"),
    }


def _field_name(attname: str) -> str:
    return attname.removesuffix("_id") if attname == "home_location_id" else attname


def _adapt_json(value: Any) -> Any:
    if connection.vendor == "sqlite":
        # Compact: a million customers each carry a provenance stamp per field.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return connection.ops.adapt_json_value(value, None)


def _new_customer_ids(public_ids: list[str], sequence_before: int | None) -> list[int]:
    """The ids the rows just inserted got, in order.

    On SQLite the batch holds the write lock and ids come from an AUTOINCREMENT
    sequence, so the n rows got the n ids after the sequence value read before the
    insert; the first and last are checked, and anything unexpected falls back to
    looking every row up.
    """
    if sequence_before is not None:
        after = _sqlite_sequence(Customer)
        first, last = sequence_before + 1, sequence_before + len(public_ids)
        if after == last:
            ends = dict(_lookup(Customer, "id", "public_id", [first, last]))
            if ends.get(first) == public_ids[0] and ends.get(last) == public_ids[-1]:
                return list(range(first, last + 1))
    ids = dict(_lookup(Customer, "public_id", "id", public_ids))
    return [ids[public_id] for public_id in public_ids]


def _sqlite_sequence(model: type[models.Model]) -> int | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


class CustomerRows:
    """Builds the INSERT rows of new customers.

    Built once per run. The reading process calls ``build`` for every good row while it
    checks them (``CustomerParser(build_row=...)``), so the writing process, the slower
    of the two, only adds the provenance value and sends the rows.
    """

    def __init__(self, ctx: ImportContext) -> None:
        self.insert = _Insert(Customer)
        pos = self.position = self.insert.position
        template = self.insert.template()
        moment = connection.ops.adapt_datetimefield_value(ctx.now)
        template[pos["created_at"]] = template[pos["updated_at"]] = moment
        self.template = template
        self.stamp = _stamp(ctx)
        self.at_public_id = pos["public_id"]
        self.at_provenance = pos["provenance"]
        self.at_import_key = pos["import_key"]
        self._layouts: dict[tuple[str, ...], tuple[tuple[int, ...], int]] = {}
        self._provenance: dict[tuple[str, ...], Any] = {}
        self._ids: list[str] = []

    def build(self, values: dict[str, Any], import_key: str | None) -> list[Any]:
        names = tuple(values)
        layout = self._layouts.get(names)
        if layout is None:
            pos = self.position
            layout = self._layouts[names] = (
                tuple(pos[n] for n in names),
                pos["first_met_on"] if "first_met_on" in names else -1,
            )
        positions, date_at = layout
        row = self.template.copy()
        for at, value in zip(positions, values.values(), strict=True):
            row[at] = value
        if date_at >= 0:
            row[date_at] = connection.ops.adapt_datefield_value(values["first_met_on"])
        if not self._ids:
            self._ids = new_public_ids(4096)
        row[self.at_public_id] = self._ids.pop()
        row[self.at_import_key] = import_key
        row[self.at_provenance] = self.provenance(values)
        return row

    def provenance(self, values: dict[str, Any]) -> Any:
        """The provenance value of a new customer: every field given, imported now."""
        names = tuple(values)
        value = self._provenance.get(names)
        if value is None:
            stamp = self.stamp
            value = self._provenance[names] = _adapt_json({_field_name(n): stamp for n in names})
        return value


@transaction.atomic
def write_customer_batch(records: Sequence[CustomerRecord], *, ctx: ImportContext) -> BatchResult:
    """Import one batch of customer rows: create the new, fill blanks of the matched,
    add phones and tags. One transaction; returns the counts."""
    plan = plan_customer_batch(records, ctx=ctx)
    now = timezone.now()
    stamp = _stamp(ctx)
    phones: list[tuple[int, str, str]] = []
    tags: list[tuple[int, str]] = []

    if plan.new:
        builder = ctx.customer_rows
        if builder is None:
            builder = ctx.customer_rows = CustomerRows(ctx)
        at_public_id = builder.at_public_id
        merged_into = plan.merged_into
        build = builder.build
        # The rows built while reading (with their provenance); a row merged into by a
        # later one of the batch is built again from the merged values.
        rows: list[list[Any]] = [
            record.row
            if record.row is not None and id(record) not in merged_into
            else build(
                merged_into[id(record)].values if id(record) in merged_into else record.values,
                record.import_key,
            )
            for record in plan.new
        ]
        public_ids = [row[at_public_id] for row in rows]
        sequence = _sqlite_sequence(Customer)
        builder.insert.run(rows)
        del rows
        ids = _new_customer_ids(public_ids, sequence)
        add_phone, add_tag = phones.append, tags.append
        for record, customer_id in zip(plan.new, ids, strict=True):
            target = merged_into.get(id(record)) if merged_into else None
            for number, label in target.new_phones if target is not None else record.phones:
                add_phone((customer_id, number, label))
            for tag in target.new_tags if target is not None else record.tags:
                add_tag((customer_id, tag))

    for customer_id, target in plan.existing.items():
        phones.extend((customer_id, n, label) for n, label in target.new_phones)
        tags.extend((customer_id, t) for t in target.new_tags)
        if not target.changed:
            continue
        changes = {name: target.values[name] for name in dict.fromkeys(target.changed)}
        provenance = dict(target.provenance)
        provenance.update({_field_name(n): stamp for n in changes})
        Customer.objects.filter(id=customer_id).update(
            **changes, provenance=provenance, updated_at=now
        )
    _add_phones(phones, ctx)
    _add_tags(tags, ctx)
    touched = {customer_id for customer_id, _n, _l in phones}
    touched.update(customer_id for customer_id, _t in tags)
    touched.update(cid for cid, target in plan.existing.items() if target.changed)
    if plan.new:
        touched.update(ids)
    index_customers(touched)
    return plan.result


def _add_phones(phones: list[tuple[int, str, str]], ctx: ImportContext) -> None:
    """(customer id, E.164, label) rows; a number a customer already has is skipped."""
    if not phones:
        return
    insert = _Insert(Phone, ignore_conflicts=True)
    template = insert.template()
    pos = insert.position
    template[pos["source"]] = _plain(Source.IMPORTED)
    template[pos["entered_by_id"]] = ctx.actor_id
    template[pos["entered_at"]] = connection.ops.adapt_datetimefield_value(timezone.now())
    at_customer, at_number, at_label = pos["customer_id"], pos["number"], pos["label"]
    rows: list[list[Any]] = []
    for customer_id, number, label in phones:
        row = template.copy()
        row[at_customer] = customer_id
        row[at_number] = number
        row[at_label] = label
        rows.append(row)
    insert.run(rows)


def _add_tags(tags: list[tuple[int, str]], ctx: ImportContext) -> None:
    """(customer id, tag name) links; tags are found case-insensitively or created."""
    if not tags:
        return
    insert = _Insert(Customer.tags.through, ignore_conflicts=True)
    pos = insert.position
    rows: list[list[Any]] = []
    for customer_id, name in tags:
        folded = name.casefold()
        tag_id = ctx.tag_ids.get(folded)
        if tag_id is None:
            tag_id = ctx.tag_ids[folded] = get_or_create_tag(name).pk
        row: list[Any] = [None] * len(pos)
        row[pos["customer_id"]] = customer_id
        row[pos["tag_id"]] = tag_id
        rows.append(row)
    insert.run(rows)


# --- visits -------------------------------------------------------------------------------


class VisitPlan:
    def __init__(self) -> None:
        self.result = BatchResult()
        self.new: list[VisitRecord] = []


def plan_visit_batch(records: Sequence[VisitRecord], *, ctx: ImportContext) -> VisitPlan:
    """Find each visit's customer and drop visits already imported. Reads only."""
    from regulars.service.models import Visit

    plan = VisitPlan()
    result = plan.result
    wanted: dict[str, list[str]] = {"ref": [], "phone": [], "email": []}
    for record in records:
        for kind, value in record.customer_keys:
            wanted[kind].append(value)
    found = _oldest_holders(wanted)
    done = {key for key, _id in _lookup(Visit, "import_key", "id", [r.import_key for r in records])}
    seen = ctx.seen if ctx.dry_run else None
    for record in records:
        if record.import_key in done or (seen is not None and hash(record.import_key) in seen):
            result.duplicates += 1
            continue
        if record.customer_keys:
            customer_id = next(
                (found[k] for k in record.customer_keys if k in found),
                None,
            )
            if customer_id is None:
                result.bad += 1
                result.errors.append((record.raw, [record.no_customer_error()]))
                continue
            record.customer_id = customer_id
        done.add(record.import_key)
        if seen is not None:
            seen.add(hash(record.import_key))
        plan.new.append(record)
        result.created += 1
    return plan


@transaction.atomic
def write_visit_batch(records: Sequence[VisitRecord], *, ctx: ImportContext) -> BatchResult:
    """Import one batch of visit rows and bring the visit counters of their customers
    up to date. One transaction; returns the counts (rows whose customer is unknown
    come back in ``errors``)."""
    from regulars.service.models import Visit
    from regulars.service.services import refresh_visit_stats

    plan = plan_visit_batch(records, ctx=ctx)
    if not plan.new:
        return plan.result
    ops = connection.ops
    insert = _Insert(Visit)
    template = insert.template()
    pos = insert.position
    template[pos["created_at"]] = ops.adapt_datetimefield_value(timezone.now())
    rows: list[list[Any]] = []
    for record, public_id in zip(plan.new, new_public_ids(len(plan.new)), strict=True):
        row = template.copy()
        row[pos["public_id"]] = public_id
        row[pos["customer_id"]] = record.customer_id
        row[pos["location_id"]] = record.location_id
        row[pos["staff_id"]] = record.staff_id
        row[pos["at"]] = ops.adapt_datetimefield_value(record.at)
        if record.amount is not None:
            row[pos["amount"]] = ops.adapt_decimalfield_value(record.amount, 12, 2)
            row[pos["currency"]] = record.currency
        row[pos["had"]] = record.had
        row[pos["wait_seconds"]] = record.wait_seconds
        row[pos["note"]] = record.note
        row[pos["import_key"]] = record.import_key
        rows.append(row)
    insert.run(rows)
    refresh_visit_stats({r.customer_id for r in plan.new if r.customer_id is not None})
    return plan.result


# --- the audit entry of a run ------------------------------------------------------------


def _audit_detail(summary: ImportSummary, *, finished: bool) -> str:
    name = os.path.basename(summary.file_name)[:80]
    if not finished:
        return f"file={name} started"
    counts = " ".join(f"{k}={v}" for k, v in summary.counts().items())
    return f"file={name} {counts}"


@transaction.atomic
def start_import_audit(
    *, actor: Any, kind: ImportKind, summary: ImportSummary, fields: Iterable[str]
) -> AuditEntry:
    """The one audit entry of an import run, written before its first batch so that a
    run killed half-way is on record too; ``finish_import_audit`` adds the counts."""
    return audit.record(
        actor=actor,
        action=AuditAction.IMPORT,
        subject="customer" if kind == ImportKind.CUSTOMERS else "visit",
        fields=fields,
        detail=_audit_detail(summary, finished=False),
    )


def finish_import_audit(*, entry: AuditEntry, summary: ImportSummary) -> None:
    AuditEntry.objects.filter(pk=entry.pk).update(
        detail=_audit_detail(summary, finished=True)[:200]
    )
