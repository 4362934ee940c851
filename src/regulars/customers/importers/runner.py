"""One import run: read the file, check each row, write in batches, report bad rows.

Shared by the command line and the web page. Memory stays constant: one batch of
rows is held at a time and bad rows go straight to the report file.
"""

from __future__ import annotations

import csv
import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TextIO

from django.conf import settings
from django.db import IntegrityError
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.customers.importers import services
from regulars.customers.importers.base import (
    BatchResult,
    ImportFailure,
    ImportKind,
    ImportSummary,
    RowError,
)
from regulars.customers.importers.columns import AUTO, ColumnMap, resolve_columns
from regulars.customers.importers.context import ImportContext
from regulars.customers.importers.customer_rows import CustomerParser
from regulars.customers.importers.source import CsvSource
from regulars.customers.importers.visit_rows import VisitParser

logger = logging.getLogger(__name__)

# progress(bytes read, file size, summary so far); may raise to stop the run between
# batches (what was written stays written, and a re-run completes it).
Progress = Callable[[int, int, ImportSummary], None]


class _Parser(Protocol):
    def parse(self, line: int, fields: list[str]) -> Any: ...


def default_report_path(path: Path) -> Path:
    """``customers.csv`` → ``customers.errors.csv`` next to it."""
    return path.with_name(f"{path.stem}.errors.csv")


class ReportWriter:
    """The bad-row report: line, column, reason, then the row's own cells under the
    file's own header, so the rows can be fixed in a spreadsheet and imported again."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self._fh: TextIO | None = None
        self._writer: Any = None
        self.rows = 0

    def write(self, raw: list[str], errors: list[RowError]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # utf-8-sig: spreadsheets open it with the right characters.
            self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._fh)
            self._writer.writerow([_("line"), _("column"), _("reason"), *self.header])
        for error in errors:
            self._writer.writerow([error.line, error.column, error.reason, *raw])
            self.rows += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def run_import(
    *,
    kind: ImportKind,
    path: Path,
    location: Location,
    actor: Any = None,
    encoding: str = AUTO,
    mapping: str = AUTO,
    dry_run: bool = False,
    report_path: Path | None = None,
    progress: Progress | None = None,
    allowed_location_ids: list[int] | None = None,
    batch_size: int | None = None,
    display_name: str = "",
    parallel: bool = False,
) -> ImportSummary:
    """Import ``path`` (customers or visits) at ``location``.

    Raises ImportFailure (translated message) when the file as a whole cannot be read:
    empty, no header, not text, a required column missing. Bad rows never raise: they
    are counted and written to the report (``report_path``, by default next to the
    file). A dry run checks every row the same way and writes nothing but the report.

    ``parallel`` reads and checks the rows in a forked child process while this one
    writes (two cores busy instead of one). Only for a process that has no other
    threads, such as the command line: never from the web process. Such a run also
    writes in batches of at least ``BULK_BATCH_ROWS`` rows (unless ``batch_size`` is
    given), with a bigger SQLite page cache and fewer garbage collector passes.
    """
    started = time.monotonic()
    size = batch_size or settings.IMPORT_BATCH_SIZE
    if parallel and batch_size is None:
        size = max(size, BULK_BATCH_ROWS)
    summary = ImportSummary(kind=kind, file_name=display_name or path.name, dry_run=dry_run)
    ctx = ImportContext(kind=kind, location=location, actor=actor, dry_run=dry_run)
    ctx.file_name = summary.file_name
    with CsvSource(path, encoding) as source:
        summary.encoding = source.encoding
        columns = resolve_columns(source.header, kind, mapping)
        header = list(source.header)
    summary.notes.extend(columns.notes)
    parser: _Parser
    if kind == ImportKind.CUSTOMERS:
        build_row = None
        if not dry_run:
            ctx.customer_rows = services.CustomerRows(ctx)
            build_row = ctx.customer_rows.build
        parser = CustomerParser(columns, ctx, build_row=build_row)
        write: Callable[..., BatchResult] = (
            _plan_customers if dry_run else services.write_customer_batch
        )
    else:
        ctx.load_visit_lookups(allowed_location_ids)
        parser = VisitParser(columns, ctx)
        write = _plan_visits if dry_run else services.write_visit_batch
    report_to = report_path or default_report_path(path)
    if report_to.resolve() == path.resolve():
        raise ImportFailure(_("The report cannot be written over the file being imported."))
    report = ReportWriter(report_to, header)
    entry = None
    if not dry_run:
        entry = services.start_import_audit(
            actor=actor, kind=kind, summary=summary, fields=_fields(columns)
        )
    forked = parallel and _can_fork()
    produce = _chunks_in_child if forked else _chunks
    try:
        cache = services.SQLITE_BULK_CACHE_KIB if parallel else services.SQLITE_IMPORT_CACHE_KIB
        if forked and kind == ImportKind.CUSTOMERS and not dry_run:
            ctx.written_keys = services.WrittenKeys.start()
        keys = KeyFilter() if ctx.written_keys is not None else None
        with (
            services.bulk_session(cache_kib=cache),
            _few_collections(parallel),
            closing(produce(path, summary.encoding, parser, size, keys)) as chunks,
        ):
            while (chunk := next(chunks, None)) is not None:
                _write_chunk(chunk, write, ctx, summary, report)
                if progress is not None:
                    progress(chunk.position, chunk.size, summary)
                del chunk  # one batch in memory at a time, not two
    finally:
        report.close()
        summary.seconds = time.monotonic() - started
        if report.rows:
            summary.report_path = str(report.path)
        if entry is not None:
            services.finish_import_audit(entry=entry, summary=summary)
    return summary


# Rows per batch of a command-line import of a big file (``parallel``). Bigger batches
# write each index page touched by a batch once per commit for more rows: with the
# random-order indexes of a large customer table (public id, email, name, phone),
# nearly every row of a small batch dirties its own page of every such index.
BULK_BATCH_ROWS = 20_000


@contextmanager
def _few_collections(enabled: bool) -> Iterator[None]:
    """Fewer garbage collector passes while a bulk import runs: the batches allocate
    millions of short-lived tuples, and every pass walks all of Django's objects too.
    Only for a process of its own (``parallel``): the thresholds are process-wide.
    Measured on a million customers: 48 s of CPU in the writing process with the
    default thresholds, 42 s with these (and no less with the collector off)."""
    if not enabled:
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()  # what is loaded now lives as long as the process
    gc.set_threshold(50_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _plan_customers(records: list[Any], *, ctx: ImportContext) -> BatchResult:
    return services.plan_customer_batch(records, ctx=ctx).result


def _plan_visits(records: list[Any], *, ctx: ImportContext) -> BatchResult:
    return services.plan_visit_batch(records, ctx=ctx).result


def _fields(columns: ColumnMap) -> list[str]:
    return sorted(columns.columns)


class Chunk(NamedTuple):
    """A batch of checked rows and the bad rows met while reading it."""

    records: list[Any]
    bad: list[tuple[int, list[str], list[RowError]]]  # (line, raw cells, problems)
    rows: int
    blank: int
    position: int  # bytes of the file read so far
    size: int
    # Dedupe keys of these records that an earlier record may have had (KeyFilter);
    # None when not tracked.
    maybe: list[tuple[str, str]] | None = None


class KeyFilter:
    """The dedupe keys of the rows read so far, as a Bloom filter (2 bits per key in
    8 MB): about 0.7 % false "maybe" at a million customers (3 million keys), a third
    at ten million, which then only costs lookups, never a wrong answer.

    Kept by the reading process, which has time to spare while the writing one works:
    each batch carries the few keys that some earlier row may have had, and a writer
    that knows its tables held nothing but this run's rows (``services.WrittenKeys``)
    looks up only those instead of every key (about 4 µs a row). No false "no": a key
    of an earlier row always answers "maybe". ``hash()`` differs between runs of
    Python but is the same within this process, the only one that uses the filter.
    """

    BITS = 1 << 26  # 8 MB
    _MASK = BITS - 1

    def __init__(self) -> None:
        self.bits = bytearray()  # allocated on first use: in the reading process

    def maybe_seen(self, records: list[Any]) -> list[tuple[str, str]]:
        """The keys of ``records`` that an earlier record (or an earlier one of these)
        may have had; remembers all of them."""
        if not self.bits:
            self.bits = bytearray(self.BITS // 8)
        bits, mask = self.bits, self._MASK
        maybe: list[tuple[str, str]] = []
        for record in records:
            for key in record.keys:
                h = hash(key)
                i = h & mask
                j = (h >> 32) & mask
                a, b = bits[i >> 3], bits[j >> 3]
                if a & (1 << (i & 7)) and b & (1 << (j & 7)):
                    maybe.append(key)
                else:
                    bits[i >> 3] = a | (1 << (i & 7))
                    bits[j >> 3] = bits[j >> 3] | (1 << (j & 7))
        return maybe


def _chunks(
    path: Path, encoding: str, parser: _Parser, size: int, keys: KeyFilter | None = None
) -> Generator[Chunk, None, None]:
    """Read and check the file, ``size`` good rows at a time (with the keys an earlier
    row may have had when ``keys`` is given)."""
    parse = parser.parse
    track = keys.maybe_seen if keys is not None else None
    with CsvSource(path, encoding) as source:
        records: list[Any] = []
        bad: list[tuple[int, list[str], list[RowError]]] = []
        rows = blank = 0
        for line, fields, raw_text, problem in source.records():
            if fields is None:
                rows += 1
                bad.append((line, [raw_text], [RowError(line, "", problem)]))
                continue
            if not fields or not "".join(fields).strip():
                blank += 1
                continue
            rows += 1
            result = parse(line, fields)
            if isinstance(result, list):
                bad.append((line, fields, result))
                continue
            records.append(result)
            if len(records) >= size:
                maybe = track(records) if track is not None else None
                yield Chunk(records, bad, rows, blank, source.position(), source.size, maybe)
                records, bad, rows, blank = [], [], 0, 0
        maybe = track(records) if track is not None else None
        yield Chunk(records, bad, rows, blank, source.size, source.size, maybe)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _produce_in_child(
    path: Path,
    encoding: str,
    parser: _Parser,
    size: int,
    keys: KeyFilter | None,
    pipe: Connection,
) -> None:
    """The child's side of ``_chunks_in_child``: it never touches the database."""
    try:
        for chunk in _chunks(path, encoding, parser, size, keys):
            pipe.send(chunk)
        pipe.send(None)
    except ImportFailure as exc:
        pipe.send(exc.message)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the writing process stopped: nothing to tell it
    except Exception as exc:  # a bug: say what it was instead of dying silently
        logger.exception("reading %s failed", path)
        pipe.send(_("Reading the file failed: %(error)s") % {"error": repr(exc)[:300]})
    finally:
        pipe.close()


def _chunks_in_child(
    path: Path, encoding: str, parser: _Parser, size: int, keys: KeyFilter | None = None
) -> Generator[Chunk, None, None]:
    """``_chunks``, computed by a forked child process while this one writes."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce_in_child,
        args=(path, encoding, parser, size, keys, send),
        name="regulars-import-reader",
        daemon=True,
    )
    child.start()
    send.close()
    try:
        while True:
            try:
                item = receive.recv()
            except EOFError:
                raise ImportFailure(
                    _(
                        "Reading the file stopped unexpectedly; nothing after this point was imported."
                    )
                ) from None
            if item is None:
                return
            if isinstance(item, str):
                raise ImportFailure(item)
            yield item
            del item  # not kept alive while the next batch is received
    finally:
        receive.close()
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()


def _write_chunk(
    chunk: Chunk,
    write: Callable[..., BatchResult],
    ctx: ImportContext,
    summary: ImportSummary,
    report: ReportWriter,
) -> None:
    summary.rows += chunk.rows
    summary.blank += chunk.blank
    summary.bad += len(chunk.bad)
    bad = list(chunk.bad)
    if ctx.written_keys is not None:
        ctx.written_keys.maybe = chunk.maybe
    if chunk.records:
        try:
            result = write(chunk.records, ctx=ctx)
        except IntegrityError:
            # Someone else wrote some of these customers or visits since the batch was
            # planned (another import running at the same time): plan it again.
            result = write(chunk.records, ctx=ctx)
        summary.created += result.created
        summary.merged += result.merged
        summary.duplicates += result.duplicates
        summary.bad += result.bad
        # Rows refused while writing (a visit of an unknown customer) go into the
        # report in file order with the others.
        bad.extend((errors[0].line, raw, errors) for raw, errors in result.errors)
        bad.sort(key=lambda item: item[0])
    for _line, raw, errors in bad:
        report.write(raw, errors)


def describe(summary: ImportSummary) -> str:
    """One translated line: what the run did."""
    if summary.dry_run and summary.kind == ImportKind.VISITS:
        text = _(
            "Dry run of %(file)s: %(rows)d rows checked — %(created)d visits would be "
            "imported, %(duplicates)d duplicates skipped, %(bad)d bad. Nothing was written."
        )
    elif summary.dry_run:
        text = _(
            "Dry run of %(file)s: %(rows)d rows checked — %(created)d customers would be "
            "created, %(merged)d merged into existing customers, %(duplicates)d duplicates "
            "skipped, %(bad)d bad. Nothing was written."
        )
    elif summary.kind == ImportKind.VISITS:
        text = _(
            "%(file)s: %(rows)d rows — %(created)d visits imported, %(duplicates)d "
            "duplicates skipped, %(bad)d bad."
        )
    else:
        text = _(
            "%(file)s: %(rows)d rows — %(created)d customers created, %(merged)d merged "
            "into existing customers, %(duplicates)d duplicates skipped, %(bad)d bad."
        )
    return text % {"file": summary.file_name, **summary.counts()}


def check_header(*, kind: ImportKind, path: Path, encoding: str, mapping: str) -> ColumnMap:
    """Read only the header: raises ImportFailure at once for a file that cannot work."""
    with CsvSource(path, encoding) as source:
        return resolve_columns(source.header, kind, mapping)


__all__ = [
    "ImportFailure",
    "ReportWriter",
    "check_header",
    "default_report_path",
    "describe",
    "run_import",
]
