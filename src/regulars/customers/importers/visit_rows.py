"""Visit rows: from the cells of one CSV record to a checked ``VisitRecord``."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core.localtime import zone
from regulars.customers.importers.base import RowError, extra_cells_error
from regulars.customers.importers.columns import ColumnMap
from regulars.customers.importers.context import ImportContext
from regulars.customers.importers.values import (
    CONTROL,
    CellError,
    clean_email,
    clean_line,
    clean_multiline,
    clean_phone,
    control_reason,
    parse_moment,
    parse_money,
    parse_wait,
)


class VisitRecord:
    """One good visit row. ``customer_keys`` are ("ref" | "phone" | "email", value)
    in priority order; empty for an anonymous walk-in."""

    __slots__ = (
        "_columns",
        "amount",
        "at",
        "currency",
        "customer_id",
        "customer_keys",
        "had",
        "import_key",
        "line",
        "location_id",
        "note",
        "raw",
        "staff_id",
        "wait_seconds",
    )

    def __init__(self, line: int, raw: list[str], columns: str) -> None:
        self.line = line
        self.raw = raw
        self._columns = columns
        self.customer_keys: list[tuple[str, str]] = []
        self.customer_id: int | None = None
        self.at: datetime | None = None
        self.amount: Decimal | None = None
        self.currency = ""
        self.had = ""
        self.note = ""
        self.location_id = 0
        self.staff_id: int | None = None
        self.wait_seconds: int | None = None
        self.import_key = ""

    def no_customer_error(self) -> RowError:
        shown = ", ".join(value for _kind, value in self.customer_keys)
        return RowError(
            self.line,
            self._columns,
            _("No customer has %(keys)s; import the customers first.") % {"keys": shown[:100]},
        )


class VisitParser:
    def __init__(self, columns: ColumnMap, ctx: ImportContext) -> None:
        self.columns = columns
        self.ctx = ctx
        self.width = len(columns.header)
        customer_columns = [
            columns.column_name(name)
            for name in ("external_ref", "phone", "mobile", "email")
            if name in columns.columns
        ]
        self.customer_columns = ", ".join(customer_columns)
        self._zones: dict[int, ZoneInfo] = {}

    def _zone(self, location: Location) -> ZoneInfo:
        tz = self._zones.get(location.pk)
        if tz is None:
            tz = self._zones[location.pk] = zone(location.timezone)
        return tz

    def _cell(self, fields: list[str], name: str) -> tuple[str, str]:
        index = self.columns.columns.get(name)
        if index is None or index >= len(fields):
            return "", ""
        return fields[index].strip(), self.columns.header[index]

    def parse(self, line: int, fields: list[str]) -> VisitRecord | list[RowError]:
        too_wide = extra_cells_error(line, fields, self.width)
        if too_wide is not None:
            return too_wide
        errors: list[RowError] = []
        if CONTROL.search("".join(fields)):
            for index, text in enumerate(fields):
                if CONTROL.search(text):
                    column = self.columns.header[index] if index < self.width else ""
                    errors.append(RowError(line, column, control_reason(text)))
            return errors
        ctx = self.ctx
        record = VisitRecord(line, fields, self.customer_columns)

        location = ctx.location
        text, column = self._cell(fields, "location")
        if text:
            found = ctx.locations.get(" ".join(text.split()).casefold())
            if found is None:
                errors.append(
                    RowError(line, column, _("No location is called “%(name)s”.") % {"name": text})
                )
            else:
                location = found
        record.location_id = location.pk

        ref, column = self._cell(fields, "external_ref")
        if ref:
            record.customer_keys.append(("ref", ref))
        for name in ("phone", "mobile"):
            text, column = self._cell(fields, name)
            if text:
                try:
                    record.customer_keys.append(("phone", clean_phone(text, location.country)))
                except CellError as exc:
                    errors.append(RowError(line, column, str(exc)))
        text, column = self._cell(fields, "email")
        if text:
            try:
                record.customer_keys.append(("email", clean_email(text)))
            except CellError as exc:
                errors.append(RowError(line, column, str(exc)))

        day, column = self._cell(fields, "date")
        clock, _time_column = self._cell(fields, "time")
        if not day:
            errors.append(RowError(line, column, _("The date of the visit is missing.")))
        else:
            try:
                record.at = parse_moment(day, self._zone(location), clock, now=ctx.now)
            except CellError as exc:
                errors.append(RowError(line, column, str(exc)))

        text, column = self._cell(fields, "amount")
        if text:
            try:
                record.amount = parse_money(text, location.currency)
                record.currency = location.currency
            except CellError as exc:
                errors.append(RowError(line, column, str(exc)))

        for name, seconds in (("wait_seconds", True), ("wait_minutes", False)):
            text, column = self._cell(fields, name)
            if text and record.wait_seconds is None:
                try:
                    record.wait_seconds = parse_wait(text, seconds=seconds)
                except CellError as exc:
                    errors.append(RowError(line, column, str(exc)))

        notes: list[str] = []
        text, column = self._cell(fields, "staff")
        if text:
            staff_id = ctx.staff.get(" ".join(text.split()).casefold())
            if staff_id is None:
                # Staff of the old system who have no account here: keep the name.
                notes.append(_("Served by: %(name)s") % {"name": " ".join(text.split())})
            record.staff_id = staff_id
        for name, target in (("items", "had"), ("note", "note")):
            text, column = self._cell(fields, name)
            if text:
                try:
                    value = clean_multiline(text)
                except CellError as exc:
                    errors.append(RowError(line, column, str(exc)))
                    continue
                if target == "had":
                    record.had = value
                else:
                    notes.append(value)
        record.note = "\n".join(notes)
        if errors:
            return errors

        receipt, _column = self._cell(fields, "receipt")
        if receipt:
            # The point of sale's own id: the same receipt is the same visit, whatever
            # else changed in a later export.
            basis = f"receipt\x1f{location.pk}\x1f{clean_line(receipt, 200)}"
        else:
            basis = "\x1f".join(
                (
                    "row",
                    str(location.pk),
                    record.at.isoformat() if record.at else "",
                    ",".join(f"{k}={v}" for k, v in record.customer_keys),
                    str(record.amount),
                    record.had,
                    record.note,
                    str(record.wait_seconds),
                    str(record.staff_id),
                )
            )
        record.import_key = hashlib.sha1(basis.encode(), usedforsecurity=False).hexdigest()
        return record
