"""Customer rows: from the cells of one CSV record to a checked ``CustomerRecord``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

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
    parse_birthday,
    parse_date,
    parse_language,
    split_list,
)
from regulars.customers.models import Customer, CustomerKind, PhoneLabel, Tag


def _max_length(name: str) -> int:
    return int(getattr(Customer._meta.get_field(name), "max_length", 0) or 0)


# Single-line text fields copied as they are (after cleaning), with their size.
_LINE_FIELDS: dict[str, int] = {
    name: _max_length(name)
    for name in (
        "given_name",
        "family_name",
        "patronymic",
        "preferred_name",
        "organisation_name",
        "title",
        "external_ref",
    )
}
_TAG_LENGTH = int(getattr(Tag._meta.get_field("name"), "max_length", 40) or 40)
_NAME_FIELDS = ("given_name", "family_name", "organisation_name", "preferred_name")
_ADDRESS_PARTS = ("address", "address2", "postcode", "city", "country")
# Plain strings, not enum members: records travel between processes in bulk.
_MOBILE = str(PhoneLabel.MOBILE.value)
_ORGANISATION = str(CustomerKind.ORGANISATION.value)
# Fields that need other fields first: names split from a full name only fill blanks.
_LATE = {"full_name": 1, "full_name_fio": 1}


class CustomerRecord(NamedTuple):
    """One good row. ``values`` holds only the Customer fields the row gives (attribute
    names, e.g. ``home_location_id``); ``phones`` are (E.164, label) pairs; ``keys``
    the dedupe keys in priority order: point-of-sale id, phones, email, and only when
    there is none of these, the content hash ``import_key``. A plain tuple: batches
    of them travel between processes."""

    line: int
    values: dict[str, Any]
    phones: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    import_key: str | None
    keys: tuple[tuple[str, str], ...]
    row: list[Any] | None = None  # the INSERT row, when built while reading


# (values, import key) -> the INSERT row of a new customer (services.CustomerRows.build).
RowBuilder = Callable[[dict[str, Any], "str | None"], list[Any]]


class _Draft:
    """A row being checked: the cell handlers fill it."""

    __slots__ = ("phones", "tags", "values")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.phones: list[tuple[str, str]] = []
        self.tags: list[str] = []


def _record(line: int, draft: _Draft, build_row: RowBuilder | None) -> CustomerRecord:
    values = draft.values
    keys: list[tuple[str, str]] = []
    ref = values.get("external_ref")
    if ref:
        keys.append(("ref", str(ref)))
    for number, _label in draft.phones:
        keys.append(("phone", number))
    email = values.get("email")
    if email:
        keys.append(("email", str(email)))
    import_key = None
    if not keys:
        import_key = _content_hash(values, draft.tags)
        keys.append(("key", import_key))
    row = build_row(values, import_key) if build_row is not None else None
    return CustomerRecord(
        line, values, tuple(draft.phones), tuple(draft.tags), import_key, tuple(keys), row
    )


Step = tuple[int, str, str]  # column index, field, column name
# A cell handler: (record, cell text, column name, pending parts) -> None.
Handler = Callable[[_Draft, str, str, "Pending"], None]


class Pending:
    """Cells finished after the loop: phones need the row's country, the address joins
    its parts."""

    __slots__ = ("address", "phones")

    def __init__(self) -> None:
        self.phones: list[tuple[str, str]] = []  # (column, text)
        self.address: dict[str, str] = {}


class CustomerParser:
    """Turns records into CustomerRecords or RowErrors. Built once per file."""

    def __init__(
        self, columns: ColumnMap, ctx: ImportContext, build_row: RowBuilder | None = None
    ) -> None:
        self.build_row = build_row
        self.width = len(columns.header)
        self.region = ctx.region
        self.location_id = ctx.location.pk
        self.today = ctx.now.astimezone(ctx.tz).date()
        steps = [(index, name, columns.header[index]) for name, index in columns.columns.items()]
        steps.sort(key=lambda step: _LATE.get(step[1], 0))
        self.steps: list[Step] = steps
        self.handlers: dict[str, Handler] = {
            **{name: _line_handler(name, size) for name, size in _LINE_FIELDS.items()},
            "full_name": self._full_name,
            "full_name_fio": self._full_name_fio,
            "email": self._email,
            "phone": self._phone,
            "mobile": self._phone,
            "birthday": self._birthday,
            "tags": self._tags,
            "notes": self._notes,
            "language": self._language,
            "first_met_on": self._first_met_on,
            **{name: _address_handler(name) for name in _ADDRESS_PARTS},
        }

    def parse(self, line: int, fields: list[str]) -> CustomerRecord | list[RowError]:
        too_wide = extra_cells_error(line, fields, self.width)
        if too_wide is not None:
            return too_wide
        record = _Draft()
        errors: list[RowError] = []
        pending = Pending()
        handlers = self.handlers
        has_control = CONTROL.search("".join(fields)) is not None
        for index, name, column in self.steps:
            if index >= len(fields):
                continue
            text = fields[index]
            if not text or text.isspace():
                continue
            if has_control and CONTROL.search(text):
                errors.append(RowError(line, column, control_reason(text)))
                continue
            try:
                handlers[name](record, text, column, pending)
            except CellError as exc:
                errors.append(RowError(line, column, str(exc)))
        if pending.phones or pending.address:
            self._finish(record, pending, errors, line)
        if errors:
            return errors
        values = record.values
        if not any(values.get(name) for name in _NAME_FIELDS):
            return [RowError(line, "", _("This row has no name."))]
        if values.get("organisation_name") and not (
            values.get("given_name") or values.get("family_name")
        ):
            values["kind"] = _ORGANISATION
        values["home_location_id"] = self.location_id
        return _record(line, record, self.build_row)

    # --- cell handlers -------------------------------------------------------------

    def _full_name(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        name = clean_line(text, 200)
        if "," in name:
            family, _sep, given = name.partition(",")
        else:
            given, _sep, family = name.rpartition(" ")
            if not given:
                given, family = family, ""
        self._fill_names(record, given.strip(), family.strip(), "")

    def _full_name_fio(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        parts = clean_line(text, 300).split(" ")
        family = parts[0]
        given = parts[1] if len(parts) > 1 else ""
        patronymic = " ".join(parts[2:])
        self._fill_names(record, given, family, patronymic)

    def _fill_names(self, record: _Draft, given: str, family: str, patronymic: str) -> None:
        values = record.values
        for name, value in (
            ("given_name", given),
            ("family_name", family),
            ("patronymic", patronymic),
        ):
            if value and not values.get(name):
                if len(value) > _LINE_FIELDS[name]:
                    raise CellError(
                        _("This is %(length)d characters long; at most %(max)d fit.")
                        % {"length": len(value), "max": _LINE_FIELDS[name]}
                    )
                values[name] = value

    def _email(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        record.values["email"] = clean_email(text)

    def _phone(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        pending.phones.append((column, text))

    def _birthday(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        month, day, year = parse_birthday(text, today=self.today)
        record.values["birth_month"] = month
        record.values["birth_day"] = day
        if year is not None:
            record.values["birth_year"] = year

    def _tags(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        for name in split_list(text):
            if len(name) > _TAG_LENGTH:
                raise CellError(
                    _("The tag “%(tag)s…” is too long; at most %(max)d characters fit.")
                    % {"tag": name[:20], "max": _TAG_LENGTH}
                )
            if name.casefold() not in {t.casefold() for t in record.tags}:
                record.tags.append(clean_line(name, _TAG_LENGTH))

    def _notes(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        record.values["notes"] = clean_multiline(text)

    def _language(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        record.values["language"] = parse_language(text)

    def _first_met_on(self, record: _Draft, text: str, column: str, pending: Pending) -> None:
        day = parse_date(text)
        if day > self.today:
            raise CellError(_("%(value)s is in the future.") % {"value": text.strip()[:40]})
        record.values["first_met_on"] = day

    def _finish(self, record: _Draft, pending: Pending, errors: list[RowError], line: int) -> None:
        parts = pending.address
        address = [parts[p] for p in ("address", "address2") if p in parts]
        town = " ".join(parts[p] for p in ("postcode", "city") if p in parts)
        if town:
            address.append(town)
        country = parts.get("country", "")
        if country:
            address.append(country)
        if address:
            record.values["postal_address"] = "\n".join(address)
        # A two-letter country of the row beats the location's for numbers without prefix.
        region = country.upper() if len(country) == 2 and country.isalpha() else self.region
        seen: set[str] = set()
        for column, text in pending.phones:
            for part in split_list(text):
                try:
                    number = clean_phone(part, region)
                except CellError as exc:
                    errors.append(RowError(line, column, str(exc)))
                    continue
                if number not in seen:
                    seen.add(number)
                    record.phones.append((number, _MOBILE))


def _line_handler(name: str, size: int) -> Handler:
    def handler(record: _Draft, text: str, column: str, pending: Pending) -> None:
        record.values[name] = clean_line(text, size)

    return handler


def _address_handler(name: str) -> Handler:
    def handler(record: _Draft, text: str, column: str, pending: Pending) -> None:
        pending.address[name] = clean_line(text, 500)

    return handler


def _content_hash(values: dict[str, object], tags: list[str]) -> str:
    """A stable key for a row with no phone, email or point-of-sale id: its content."""
    parts = [f"{k}={v}" for k, v in sorted(values.items()) if k != "home_location_id"]
    parts.extend(f"tag={t.casefold()}" for t in sorted(tags))
    return hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()
