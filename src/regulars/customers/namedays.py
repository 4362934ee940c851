"""Customers' name days: which day, and where the answer comes from.

A customer's name day is, in order:

1. their own choice (``Customer.nameday_month`` / ``nameday_day``), source "own";
2. the business's own calendar, imported from a CSV (``NameDayEntry``), source
   "imported";
3. the shipped calendars (``regulars.text.namedays``), source "calendar".

2 and 3 go by the customer's given name (else their preferred name) and the countries
``countries_for(customer.language, country)`` names, where the country is the customer's
home location's, else the first location's. For each country in that order the imported
entries are asked before the shipped calendar; the first country that knows the name
wins. Of several imported days for one name in one country, the first imported wins.

``name_day_for`` answers one customer (the profile, the counter card).
``NameDayResolver`` answers a million (the outreach planner): built once, it reads the
imported entries once and remembers every (name, language, country) it has answered.

``import_calendar`` reads a business's own calendar from a CSV file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core import audit
from regulars.core.models import AuditAction
from regulars.core.occasions import validate_month_day
from regulars.customers.models import Customer, CustomerKind, NameDayEntry
from regulars.text.namedays import countries_for, country_code, find_name_day, fold_name

__all__ = [
    "ImportReport",
    "NameDayAnswer",
    "NameDayResolver",
    "NameDaySource",
    "RowProblem",
    "default_country",
    "import_calendar",
    "imported_index",
    "name_day_for",
    "own_choice",
]

Extra = dict[str, dict[str, tuple[int, int]]]


class NameDaySource(StrEnum):
    OWN = "own"  # the customer's own choice
    IMPORTED = "imported"  # the business's imported calendar
    CALENDAR = "calendar"  # a shipped calendar


@dataclass(frozen=True, slots=True)
class NameDayAnswer:
    """A customer's name day and where it comes from. ``country`` is the calendar's
    (lower-case ISO code), ``""`` for the customer's own choice."""

    month: int
    day: int
    source: NameDaySource
    country: str = ""

    @property
    def month_day(self) -> tuple[int, int]:
        return (self.month, self.day)


def default_country() -> str:
    """The country of the business's first location (lower case), ``""`` when none."""
    code = Location.objects.order_by("id").values_list("country", flat=True).first()
    return country_code(code or "")


def imported_index(countries: tuple[str, ...] | None = None) -> Extra:
    """The imported entries as country → folded name → (month, day), the first imported
    of a name's days kept. ``countries``: only those (all when None)."""
    rows = NameDayEntry.objects.order_by("id")
    if countries is not None:
        rows = rows.filter(country__in=countries)
    index: Extra = {}
    for country, key, month, day in rows.values_list("country", "key", "month", "day"):
        index.setdefault(country, {}).setdefault(key, (month, day))
    return index


def _name_of(customer: Customer) -> str:
    if customer.kind == CustomerKind.ORGANISATION:
        return ""
    return customer.given_name.strip() or customer.preferred_name.strip()


def _answer(
    given_name: str, countries: tuple[str, ...], extra: Mapping[str, Mapping[str, tuple[int, int]]]
) -> NameDayAnswer | None:
    found = find_name_day(given_name, countries, extra)
    if found is None:
        return None
    source = NameDaySource.IMPORTED if found.imported else NameDaySource.CALENDAR
    return NameDayAnswer(found.month, found.day, source, found.country)


def own_choice(customer: Customer) -> NameDayAnswer | None:
    """The name day the customer chose themselves, if any."""
    if customer.nameday_month and customer.nameday_day:
        return NameDayAnswer(customer.nameday_month, customer.nameday_day, NameDaySource.OWN)
    return None


def name_day_for(
    customer: Customer, *, resolver: NameDayResolver | None = None
) -> NameDayAnswer | None:
    """The customer's name day (see the module docstring), or None.

    Without a ``resolver``: one query for the imported entries of the customer's
    countries (and one for the location, unless ``home_location`` is loaded or the
    customer chose their own day)."""
    own = own_choice(customer)
    if own is not None:
        return own
    name = _name_of(customer)
    if not name:
        return None
    location = customer.home_location if customer.home_location_id else None
    if resolver is not None:
        return resolver.answer(name, customer.language, location.country if location else "")
    country = location.country if location else default_country()
    countries = countries_for(customer.language, country)
    if not countries:
        return None
    return _answer(name, countries, imported_index(countries))


class NameDayResolver:
    """Name days in bulk: build once per planning run, ask ``resolve`` per customer.

    Reads the imported entries and the first location's country once (two queries); each
    answer is remembered per (given name, language, country) as typed, and per (folded
    name, language, country), so a repeated name costs one dict lookup. Not thread-safe
    to share while being filled; build one per run (cheap).
    """

    def __init__(self, *, extra: Extra | None = None, fallback_country: str | None = None):
        self._extra: Extra = imported_index() if extra is None else extra
        self._fallback = (
            default_country() if fallback_country is None else country_code(fallback_country)
        )
        self._typed: dict[tuple[str, str, str], NameDayAnswer | None] = {}
        self._folded: dict[tuple[str, str, str], NameDayAnswer | None] = {}

    def answer(self, given_name: str, language: str, country: str) -> NameDayAnswer | None:
        """Like ``resolve``, with the source and country of the answer."""
        typed = (given_name, language, country)
        try:
            return self._typed[typed]
        except KeyError:
            pass
        folded = (fold_name(given_name), language, country)
        if folded in self._folded:
            found = self._folded[folded]
        else:
            countries = countries_for(language, country or self._fallback)
            found = _answer(given_name, countries, self._extra) if folded[0] else None
            self._folded[folded] = found
        self._typed[typed] = found
        return found

    def resolve(self, given_name: str, language: str, country: str) -> tuple[int, int] | None:
        """(month, day) of the name day of a customer called ``given_name`` speaking
        ``language`` at a location in ``country`` (ISO code, any case; ``""`` means the
        first location's country), or None. Does not know the customer's own choice:
        check ``nameday_month``/``nameday_day`` first (``for_customer`` does)."""
        found = self.answer(given_name, language, country)
        return None if found is None else (found.month, found.day)

    def for_customer(self, customer: Customer) -> NameDayAnswer | None:
        """``name_day_for(customer)`` through this resolver (no query unless the
        customer's home location is not loaded)."""
        return name_day_for(customer, resolver=self)


# --- importing a business's own calendar -----------------------------------------------

MAX_IMPORT_BYTES = 2 << 20  # a calendar of every name in Europe is a few hundred KB
MAX_IMPORT_ROWS = 20_000
MAX_NAME = NameDayEntry._meta.get_field("name").max_length or 100
_KEY_MAX = NameDayEntry._meta.get_field("key").max_length or 100

# Column names recognised (folded with fold_name), in the five languages and a few more.
_COLUMNS: dict[str, frozenset[str]] = {
    "month": frozenset(
        {"month", "mese", "maned", "mnd", "mesyats", "mesiats", "mes", "monat", "mois", "m"}
    ),
    "day": frozenset({"day", "giorno", "dag", "den", "dia", "tag", "jour", "d"}),
    "name": frozenset(
        {
            "name",
            "names",
            "nome",
            "nomi",
            "navn",
            "navne",
            "imya",
            "imia",
            "nombre",
            "vorname",
            "prenom",
            "onomastico",
            "santo",
        }
    ),
    "country": frozenset({"country", "paese", "nazione", "land", "strana", "pais", "cc"}),
}
_NAME_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A line of the file that was not imported, and why (in the importer's language)."""

    line: int
    reason: str
    text: str  # the line's cells as read, shortened


@dataclass(slots=True)
class ImportReport:
    """What an import did. ``error`` is set (and nothing written) when the file as a whole
    could not be read; otherwise every good row is kept and each bad one is listed."""

    added: int = 0
    unchanged: int = 0  # rows already imported before (a re-import adds nothing)
    removed: int = 0  # replace=True: earlier entries of the same countries not in the file
    problems: list[RowProblem] = field(default_factory=list)
    countries: tuple[str, ...] = ()
    error: str = ""
    truncated: bool = False  # more than MAX_IMPORT_ROWS rows: the rest was not read

    @property
    def ok(self) -> bool:
        return not self.error


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" in the ANSI code page.
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _columns(header: list[str]) -> dict[str, int] | None:
    """Column positions from a header row, or None if the row is data (month, day,
    name in that order, as the shipped calendars are written)."""
    found: dict[str, int] = {}
    for position, cell in enumerate(header):
        key = fold_name(cell)
        for column, names in _COLUMNS.items():
            if key in names and column not in found:
                found[column] = position
    if not found and len(header) >= 3 and all(c.strip().isdigit() for c in header[:2]):
        return None
    return found


def _int(text: str) -> int | None:
    text = text.strip().rstrip(".")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None


def _cell(row: list[str], position: int | None) -> str:
    return row[position].strip() if position is not None and position < len(row) else ""


@dataclass(frozen=True, slots=True)
class _Good:
    line: int
    country: str
    key: str
    month: int
    day: int
    name: str


def _check_row(
    row: list[str], line: int, columns: dict[str, int], country: str
) -> tuple[list[_Good], str]:
    """The entries of one row, or ("", reason) for a bad one."""
    if "country" in columns and _cell(row, columns["country"]):
        raw = _cell(row, columns["country"])
        country = country_code(raw)
        if not country:
            return [], _("Unknown country code “%(code)s”: use two letters, such as IT or DK.") % {
                "code": raw[:20]
            }
    month, day = _int(_cell(row, columns["month"])), _int(_cell(row, columns["day"]))
    if month is None or not 1 <= month <= 12:
        return [], _("The month must be a number from 1 to 12.")
    if day is None:
        return [], _("The day must be a number from 1 to 31.")
    try:
        validate_month_day(month, day)
    except ValueError:
        return [], _("There is no day %(day)d in month %(month)d.") % {"day": day, "month": month}
    cell = _cell(row, columns["name"])
    names = [n.strip() for n in _NAME_SEPARATORS.split(cell) if n.strip()]
    if not names:
        return [], _("The name is empty.")
    good: list[_Good] = []
    for name in names:
        key = fold_name(name)
        if len(name) > MAX_NAME or len(key) > _KEY_MAX:
            return [], _("The name is longer than %(max)d characters.") % {"max": MAX_NAME}
        if not key:
            return [], _("“%(name)s” has no letters.") % {"name": name[:40]}
        good.append(_Good(line, country, key, month, day, name))
    return good, ""


def _read_rows(text: str, country: str, report: ImportReport) -> list[_Good]:
    """Every good entry of the file, in order; problems go into ``report``."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        report.error = _("The file is empty.")
        return []
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    columns: dict[str, int] | None = None
    good: list[_Good] = []
    seen: dict[tuple[str, str, int, int], int] = {}
    previous_end = 0
    rows = 0
    for row in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if columns is None:
            columns = _columns(row)
            if columns is None:
                columns = {"month": 0, "day": 1, "name": 2}
            else:
                missing = {"month", "day", "name"} - set(columns)
                if missing:
                    report.error = _(
                        "The first line must name the columns month, day and name "
                        "(a country column is optional)."
                    )
                    return []
                continue
        rows += 1
        if rows > MAX_IMPORT_ROWS:
            report.truncated = True
            break
        entries, reason = _check_row(row, line, columns, country)
        for entry in entries:
            once = (entry.country, entry.key, entry.month, entry.day)
            if once in seen:
                reason = _("The same name and day as line %(line)d.") % {"line": seen[once]}
                break
        if reason:
            shown = ", ".join(cell.strip() for cell in row)
            report.problems.append(RowProblem(line, reason, shown[:120]))
            continue
        for entry in entries:
            seen[(entry.country, entry.key, entry.month, entry.day)] = line
            good.append(entry)
    return good


def import_calendar(
    data: bytes | str, *, country: str, replace: bool, user: object
) -> ImportReport:
    """Import a business's own name-day calendar from CSV text.

    Columns ``month``, ``day`` and ``name`` in any order (also in Italian, Danish,
    Russian and Spanish), optionally ``country`` (else every row is ``country``); or no
    header at all and month, day, name in that order. Commas, semicolons or tabs;
    UTF-8 (with or without BOM), else Windows-1252. A name cell may hold several names
    separated by commas or semicolons.

    Every good row is kept and each bad one reported with its line number and reason.
    Importing the same file twice adds nothing. ``replace=True`` also removes the
    earlier imported entries of ``country`` (and of every country the file names) that
    the file no longer holds, in the same transaction.
    """
    report = ImportReport()
    default = country_code(country)
    if not default:
        report.error = _("Choose the country this calendar is for.")
        return report
    if len(data) > MAX_IMPORT_BYTES:
        report.error = _("The file is too large (more than %(size)s MB).") % {
            "size": MAX_IMPORT_BYTES >> 20
        }
        return report
    good = _read_rows(_decode(data), default, report)
    if report.error:
        return report
    touched = tuple(sorted({default} | {entry.country for entry in good}))
    report.countries = touched
    with transaction.atomic():
        existing: dict[tuple[str, str, int, int], int] = {
            (c, k, m, d): pk
            for pk, c, k, m, d in NameDayEntry.objects.filter(country__in=touched)
            .select_for_update()
            .values_list("id", "country", "key", "month", "day")
        }
        wanted = {(e.country, e.key, e.month, e.day): e for e in good}
        new = [
            NameDayEntry(country=e.country, key=e.key, month=e.month, day=e.day, name=e.name)
            for once, e in wanted.items()
            if once not in existing
        ]
        report.unchanged = len(wanted) - len(new)
        if replace:
            stale = [pk for once, pk in existing.items() if once not in wanted]
            for start in range(0, len(stale), 500):
                NameDayEntry.objects.filter(id__in=stale[start : start + 500]).delete()
            report.removed = len(stale)
        # ignore_conflicts: an import running at the same time may have added a row.
        NameDayEntry.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        report.added = len(new)
        audit.record(
            actor=user,
            action=AuditAction.IMPORT,
            subject="name_day",
            detail=(
                f"name-day calendar {','.join(touched)}: {report.added} added, "
                f"{report.unchanged} unchanged, {report.removed} removed, "
                f"{len(report.problems)} rejected{' (replace)' if replace else ''}"
            ),
        )
    return report
