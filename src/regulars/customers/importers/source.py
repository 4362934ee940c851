"""Reading CSV files of any origin: encoding detection, delimiter, and a record stream
that never stops on a bad line.

The file is read in binary and decoded line by line, so a line with bytes that are not
text in the file's encoding marks only its own record as bad. Memory stays constant:
at most one record (and one physical line of at most ``MAX_LINE_BYTES``) is held.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO, Self

from django.utils.translation import gettext as _

from regulars.customers.importers.base import ImportFailure

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
AUTO = "auto"
MAX_LINE_BYTES = 4 << 20
_CHUNK = 1 << 20

# A complete multi-byte UTF-8 sequence.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HIGH_BYTES = bytes(range(128, 256))
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "xlsx"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"%PDF", "pdf"),
)

Record = tuple[int, list[str] | None, str, str]
"""(first line, fields or None when unreadable, raw text when unreadable, problem)."""


def detect_encoding(path: Path) -> str:
    """utf-8-sig (BOM), utf-8 (all valid), else cp1252 — unless the file is mostly UTF-8
    with a few broken bytes, in which case utf-8 (the broken lines are reported).

    Raises ImportFailure for files that are not CSV text at all.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
        _refuse_non_text(head)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(partial(fh.read, _CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8"
        fh.seek(0)
        in_sequences = high = 0
        for chunk in iter(partial(fh.read, _CHUNK), b""):
            high += len(chunk) - len(chunk.translate(None, _HIGH_BYTES))
            in_sequences += sum(len(m) for m in _UTF8_SEQUENCE.findall(chunk))
    return "utf-8" if in_sequences > high - in_sequences else "cp1252"


def _refuse_non_text(head: bytes) -> None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise ImportFailure(
                _(
                    "This is a %(kind)s file, not CSV text. Open it in your spreadsheet and "
                    "save it as “CSV UTF-8”."
                )
                % {"kind": kind.upper()}
            )
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if head and not utf16 and head.count(b"\x00") > len(head) // 4:
        raise ImportFailure(
            _(
                "This file is not CSV text (it is full of zero bytes). Save it from your "
                "spreadsheet as “CSV UTF-8”."
            )
        )


def _sniff_delimiter(header_line: str) -> str:
    """The most frequent of , ; tab | outside quotes in the header line (comma on a tie)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


class CsvSource:
    """The records of one CSV file, header first.

    Use as a context manager; iterate ``records()`` after reading ``header``.
    ``position()`` is the number of bytes read so far (for progress).
    """

    def __init__(self, path: Path, encoding: str = AUTO) -> None:
        self.path = path
        self.size = path.stat().st_size
        if self.size == 0:
            raise ImportFailure(_("The file is empty."))
        self.encoding = detect_encoding(path) if encoding in ("", AUTO) else encoding
        if self.encoding not in (*ENCODINGS, "utf-16"):
            raise ImportFailure(_("Unknown encoding “%(name)s”.") % {"name": encoding[:20]})
        self._fh: BinaryIO = path.open("rb")
        self._bad_lines: set[int] = set()
        self._pending: list[str] = []
        self._lines = self._decoded_lines()
        self.header, self.delimiter = self._read_header()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def position(self) -> int:
        try:
            return self._fh.tell()
        except (OSError, ValueError):
            return self.size

    def _decoded_lines(self) -> Iterator[str]:
        bad = self._bad_lines
        pending = self._pending
        if self.encoding == "utf-16":
            text = io.TextIOWrapper(self._fh, encoding="utf-16", errors="replace", newline="")
            for line in text:
                pending.append(line)
                yield line
            return
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        read = partial(self._fh.readline, MAX_LINE_BYTES)
        for number, raw in enumerate(iter(read, b""), start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                line = raw.decode(encoding, "replace")
                bad.add(number)
            pending.append(line)
            yield line

    def _read_header(self) -> tuple[list[str], str]:
        first = ""
        skipped = 0  # blank lines before the header
        for line in self._lines:
            first = line.lstrip("\ufeff")
            if first.strip():
                break
            skipped += 1
        if not first.strip():
            raise ImportFailure(_("The file is empty."))
        delimiter = _sniff_delimiter(first)
        # The header may itself span lines (a quoted name with a newline): parse it
        # with the same reader as the rest of the file.
        self._pending.clear()
        self._offset = skipped
        self._reader = csv.reader(self._chain_first(first), delimiter=delimiter)
        try:
            header = next(self._reader)
        except (csv.Error, StopIteration) as exc:
            raise ImportFailure(_("The first line of the file cannot be read as CSV.")) from exc
        if self._bad_lines & set(range(1, skipped + self._reader.line_num + 1)):
            raise ImportFailure(self._undecodable_message())
        return [h.strip() for h in header], delimiter

    def _chain_first(self, first: str) -> Iterator[str]:
        self._pending.append(first)
        yield first
        yield from self._lines

    def _undecodable_message(self) -> str:
        return _(
            "The first line contains bytes that are not %(encoding)s text. Choose the file's "
            "encoding, or save it as “CSV UTF-8”."
        ) % {"encoding": self.encoding}

    def records(self) -> Iterator[Record]:
        """(first line, fields, "", "") per record; (first line, None, raw text, reason)
        for a record that cannot be read. Blank lines yield empty field lists. Line
        numbers are physical lines of the file, 1-based, the header being line 1."""
        reader = self._reader
        pending = self._pending
        bad = self._bad_lines
        offset = self._offset
        previous = reader.line_num + offset  # last physical line consumed
        pending.clear()
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = previous + 1
                previous = reader.line_num + offset
                raw = "".join(pending)
                pending.clear()
                yield start, None, raw, self._csv_reason(exc)
                continue
            start = previous + 1
            previous = reader.line_num + offset
            if bad and not bad.isdisjoint(range(start, previous + 1)):
                raw = "".join(pending)
                pending.clear()
                yield start, None, raw, self._bad_bytes_reason()
                continue
            pending.clear()
            yield start, fields, "", ""

    def _csv_reason(self, exc: csv.Error) -> str:
        if "field larger than field limit" in str(exc):
            return _(
                "A cell of this row is longer than %(limit)d characters (is a quote mark missing?)."
            ) % {"limit": csv.field_size_limit()}
        return _("This row cannot be read as CSV (%(error)s).") % {"error": str(exc)[:100]}

    def _bad_bytes_reason(self) -> str:
        return _("This row contains bytes that are not %(encoding)s text; it was left out.") % {
            "encoding": self.encoding
        }
