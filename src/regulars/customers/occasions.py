"""Every customer occasion that falls within a range of dates: birthdays, name days, the
anniversary of the first visit, household members' and pets' birthdays, custom dates.

``occasions_between`` serves the outreach planner (one day, every customer) and the staff
agenda (a week, one location); ``occasions_of`` answers the same question for one
customer whose related rows are already loaded (the counter card). Both go through the
same rules (``_dated``, ``first_visit_day``, ``own_name``):

- 29 February falls on 28 February in common years (``core.occasions.MonthDay``).
- With a year, nothing falls before it; a birthday in its own year is the birth, not a
  birthday, so it is left out; a custom date in its own year is the day itself (a
  wedding noted in advance) and counts, with ``years`` 0.
- The first visit is the earlier of ``first_met_on`` and the local date of
  ``first_visit_at`` (in the customer's home location's zone, else the first
  location's); its anniversary counts from the first whole year on.
- A name day is the customer's own choice, else the calendar's for their given name,
  language and country (``customers.namedays``).
- Organisations have no birthday and no name day. ``occasions_between`` leaves out
  customers without any name (an anonymised row has nothing to greet).

The kinds are the values of ``outreach.models.OccasionKind`` (that app sits above this
one, so the strings are repeated here, not imported).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import CharField, DateTimeField, Func, Q

from regulars.accounts.models import Location
from regulars.core.localtime import zone
from regulars.customers.models import (
    Customer,
    CustomerKind,
    CustomOccasion,
    HouseholdMember,
    Pet,
    Relation,
)
from regulars.customers.namedays import NameDayResolver

BIRTHDAY = "birthday"
NAME_DAY = "name_day"
FIRST_VISIT = "first_visit"
HOUSEHOLD_BIRTHDAY = "household_birthday"
PET_BIRTHDAY = "pet_birthday"
CUSTOM = "custom"
KINDS: tuple[str, ...] = (
    BIRTHDAY,
    NAME_DAY,
    FIRST_VISIT,
    HOUSEHOLD_BIRTHDAY,
    PET_BIRTHDAY,
    CUSTOM,
)

CHUNK = 10_000  # rows per fetch when streaming customers for their name days
MAX_IDS_IN_SQL = 5_000  # above this, customer_ids filter in Python, not in an IN list


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occasion on one date.

    ``name`` is whose occasion it is (the customer's own name, the household member's,
    the pet's) or, for a custom date, its label. ``detail`` is the household member's
    relation as stored (``Relation`` value, "" for "other"; ``detail_label`` translates
    it), the pet's kind as typed, or "". ``years`` is the age, the years since the first
    visit or since a custom date's year, when known. ``source_id`` is the household
    member's, pet's or custom occasion's id (None for the customer's own occasions), so
    together with kind, customer and date it makes an idempotency key.
    """

    customer_id: int
    kind: str
    on: date
    name: str
    detail: str
    years: int | None
    source_id: int | None


class DayRange:
    """The dates from ``first`` to ``last`` (both included), indexed by (month, day).

    29 February maps to 28 February of a common year inside the range.
    """

    __slots__ = ("by_month_day", "first", "last")

    def __init__(self, first: date, last: date) -> None:
        if last < first:
            raise ValueError("the range ends before it starts")
        self.first = first
        self.last = last
        found: dict[tuple[int, int], list[date]] = defaultdict(list)
        day = first
        while day <= last:
            found[(day.month, day.day)].append(day)
            if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
                found[(2, 29)].append(day)
            day += timedelta(days=1)
        self.by_month_day: dict[tuple[int, int], tuple[date, ...]] = {
            key: tuple(days) for key, days in found.items()
        }

    def dates_of(self, month: int | None, day: int | None) -> tuple[date, ...]:
        if month is None or day is None:
            return ()
        return self.by_month_day.get((month, day), ())

    def covers_every_day(self) -> bool:
        return len(self.by_month_day) == 366

    def q(self, month_field: str, day_field: str) -> Q:
        """Rows whose (month, day) falls in the range: one condition per month."""
        if self.covers_every_day():
            return Q(**{f"{month_field}__isnull": False, f"{day_field}__isnull": False})
        days_by_month: dict[int, set[int]] = defaultdict(set)
        for month, day in self.by_month_day:
            days_by_month[month].add(day)
        condition = Q()
        for month, days in sorted(days_by_month.items()):
            condition |= Q(**{month_field: month, f"{day_field}__in": sorted(days)})
        return condition

    def month_day_texts(self, *, slack_days: int = 0) -> list[str]:
        """The range's dates as "MM-DD", widened by ``slack_days`` on each side; "02-29"
        is included whenever 28 February or 1 March is."""
        texts: set[str] = set()
        day = self.first - timedelta(days=slack_days)
        end = self.last + timedelta(days=slack_days)
        while day <= end and len(texts) < 366:
            texts.add(f"{day.month:02d}-{day.day:02d}")
            day += timedelta(days=1)
        if texts & {"02-28", "03-01"}:
            texts.add("02-29")
        return sorted(texts)


class _MonthDayText(Func):
    """ "MM-DD" of a date column, or of a datetime column in UTC, computed by the
    database itself (Django's Extract* run a Python function per row on SQLite, which
    costs seconds over a million customers). SQLite stores both as ISO text."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 6, 5)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        source = self.source_expressions[0].output_field
        if isinstance(source, DateTimeField):
            template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'MM-DD')"
        else:
            template = "to_char(%(expressions)s, 'MM-DD')"
        return self.as_sql(compiler, connection, template=template, **extra)


# --- The shared rules -------------------------------------------------------------


def own_name(
    kind: str, given: str, family: str, preferred: str, organisation: str, public_id: str = ""
) -> str:
    """How an occasion of the customer themselves names them: the preferred name, else
    the given name, else the display name (``Customer.display_name``'s rules)."""
    if kind == CustomerKind.ORGANISATION and organisation:
        return organisation
    if preferred or given:
        return preferred or given
    full = " ".join(p for p in (given, family) if p)
    return full or organisation or preferred or public_id


def own_name_of(customer: Customer) -> str:
    return own_name(
        customer.kind,
        customer.given_name,
        customer.family_name,
        customer.preferred_name,
        customer.organisation_name,
        customer.public_id,
    )


def relation_detail(relation: str) -> str:
    """The stored relation as an occurrence's detail: "" for "other" or unknown."""
    return relation if relation in Relation.values and relation != Relation.OTHER else ""


def detail_label(kind: str, detail: str) -> str:
    """An occurrence's detail for people to read, in the active language: a
    household member's relation in lower case ("partner"), the pet's kind as typed."""
    if kind == HOUSEHOLD_BIRTHDAY and detail in Relation.values:
        # Lower case reads naturally inside a sentence in every language we ship.
        return str(Relation(detail).label).lower()
    return detail


def first_visit_day(
    first_met_on: date | None, first_visit_at: datetime | None, tz_name: str
) -> date | None:
    """The day of the first visit: the earlier of the day staff noted they first met and
    the local date of the first logged visit."""
    days = [first_met_on] if first_met_on else []
    if first_visit_at is not None:
        days.append(first_visit_at.astimezone(zone(tz_name)).date())
    return min(days) if days else None


def _dated(
    days: DayRange,
    customer_id: int,
    kind: str,
    name: str,
    detail: str,
    month: int | None,
    day: int | None,
    year: int | None = None,
    source_id: int | None = None,
) -> Iterator[Occurrence]:
    """The occurrences of one (month, day, year) within ``days`` (see the module rules)."""
    year = _year(month, day, year)
    for on in days.dates_of(month, day):
        years = on.year - year if year is not None else None
        if years is not None and (years < 0 or (years == 0 and kind != CUSTOM)):
            continue
        yield Occurrence(customer_id, kind, on, name, detail, years, source_id)


def occasions_of(
    customer: Customer,
    *,
    household: Iterable[HouseholdMember],
    pets: Iterable[Pet],
    custom: Iterable[CustomOccasion],
    name_day: tuple[int, int] | None,
    days: DayRange,
    tz_name: str,
) -> list[Occurrence]:
    """One customer's occasions within ``days``, from rows the caller already holds.

    ``name_day`` is the customer's name day as ``customers.namedays.name_day_for``
    found it (own choice first), or None; ``tz_name`` the zone that decides the local
    date of the first visit. Unsorted.
    """
    pk = customer.pk
    me = own_name_of(customer)
    # (kind, name, detail, month, day, year, source id) of every date they have.
    dates: list[tuple[str, str, str, int | None, int | None, int | None, int | None]] = []
    if customer.kind != CustomerKind.ORGANISATION:
        c = customer
        dates.append((BIRTHDAY, me, "", c.birth_month, c.birth_day, c.birth_year, None))
        if name_day is not None:
            dates.append((NAME_DAY, me, "", *name_day, None, None))
    first = first_visit_day(customer.first_met_on, customer.first_visit_at, tz_name)
    if first is not None:
        dates.append((FIRST_VISIT, me, "", first.month, first.day, first.year, None))
    for m in household:
        relation = relation_detail(m.relation)
        born = (m.birth_month, m.birth_day, m.birth_year)
        dates.append((HOUSEHOLD_BIRTHDAY, m.name, relation, *born, m.pk))
    dates += [
        (PET_BIRTHDAY, p.name, p.kind, p.birth_month, p.birth_day, p.birth_year, p.pk) for p in pets
    ]
    dates += [(CUSTOM, o.label, "", o.month, o.day, o.year, o.pk) for o in custom]
    return [occurrence for row in dates for occurrence in _dated(days, pk, *row)]


def _year(month: int | None, day: int | None, year: int | None) -> int | None:
    """The year when it makes a real date with month and day; a bad year (29 February
    of a common year, typed before validation existed) should not hide the day."""
    if year is None or month is None or day is None:
        return None
    if month == 2 and day == 29 and not calendar.isleap(year):
        return None
    return year


def sort_key(occurrence: Occurrence) -> tuple[date, int, int, str]:
    return (occurrence.on, KINDS.index(occurrence.kind), occurrence.customer_id, occurrence.name)


# --- Every customer at once ---------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Which customers a query covers, as conditions on Customer (through ``prefix``)."""

    location_ids: frozenset[int] | None
    customer_ids: frozenset[int] | None

    def q(self, prefix: str = "") -> Q:
        condition = ~Q(
            **{
                f"{prefix}given_name": "",
                f"{prefix}family_name": "",
                f"{prefix}preferred_name": "",
                f"{prefix}organisation_name": "",
            }
        )
        if self.location_ids is not None:
            condition &= Q(**{f"{prefix}home_location_id__in": sorted(self.location_ids)})
        if self.customer_ids is not None and len(self.customer_ids) <= MAX_IDS_IN_SQL:
            pk = f"{prefix}id" if prefix else "pk"
            condition &= Q(**{f"{pk}__in": sorted(self.customer_ids)})
        return condition

    def keeps(self, customer_id: int) -> bool:
        return self.customer_ids is None or customer_id in self.customer_ids


class _Places:
    """Each location's zone and country, and the fallback for customers without a home
    location: the first location (the oldest row), else the settings' defaults."""

    def __init__(self) -> None:
        rows = list(Location.objects.order_by("pk").values_list("pk", "timezone", "country"))
        self.zone = {pk: tz for pk, tz, _country in rows}
        self.country = {pk: country.lower() for pk, _tz, country in rows}
        self.default_zone = rows[0][1] if rows else settings.TIME_ZONE
        self.default_country = rows[0][2].lower() if rows else settings.DEFAULT_REGION.lower()

    def zone_of(self, location_id: int | None) -> str:
        return self.zone.get(location_id, self.default_zone) if location_id else self.default_zone

    def country_of(self, location_id: int | None) -> str:
        if location_id is None:
            return self.default_country
        return self.country.get(location_id, self.default_country)


_NAME_FIELDS = ("kind", "given_name", "family_name", "preferred_name", "organisation_name")


def occasions_between(
    first: date,
    last: date,
    *,
    location_ids: Collection[int] | None = None,
    customer_ids: Collection[int] | None = None,
    kinds: Collection[str] | None = None,
) -> list[Occurrence]:
    """Every occasion from ``first`` to ``last`` (both included) of the customers whose
    home location is one of ``location_ids`` (None: every customer) and, when given,
    whose id is in ``customer_ids``; only ``kinds`` when given (unknown kinds raise
    ValueError). Sorted by date, kind (in ``KINDS`` order), customer and name.

    Birthdays and dates are matched in SQL by (month, day); first visits by their
    month and day (UTC, widened by a day) and then exactly in Python; name days from
    the calendar by streaming the customers without their own choice in chunks and
    resolving each distinct (name, language, country) once.
    """
    wanted = frozenset(KINDS if kinds is None else kinds)
    if unknown := wanted - set(KINDS):
        raise ValueError(f"unknown occasion kinds: {sorted(unknown)}")
    days = DayRange(first, last)
    scope = _Scope(
        frozenset(location_ids) if location_ids is not None else None,
        frozenset(customer_ids) if customer_ids is not None else None,
    )
    if scope.customer_ids == frozenset() or scope.location_ids == frozenset():
        return []
    found: list[Occurrence] = []
    if BIRTHDAY in wanted:
        found += _birthdays(days, scope)
    if NAME_DAY in wanted:
        found += _name_days(days, scope)
    if FIRST_VISIT in wanted:
        found += _first_visits(days, scope)
    if HOUSEHOLD_BIRTHDAY in wanted:
        found += _companions(HOUSEHOLD_BIRTHDAY, days, scope)
    if PET_BIRTHDAY in wanted:
        found += _companions(PET_BIRTHDAY, days, scope)
    if CUSTOM in wanted:
        found += _custom(days, scope)
    return sorted((o for o in found if scope.keeps(o.customer_id)), key=sort_key)


def _customers(scope: _Scope) -> Any:
    # No ordering: the default one (by name) would walk the name index and fetch every
    # row in its order, tens of times slower than a plain scan.
    return Customer.objects.filter(scope.q()).order_by()


def _people(scope: _Scope) -> Any:
    return _customers(scope).exclude(kind=CustomerKind.ORGANISATION)


def _own_dates(days: DayRange, scope: _Scope, kind: str, *fields: str) -> Iterator[Occurrence]:
    """A person's own birthday or chosen name day; ``fields`` name its month, day and
    (optionally) year columns."""
    rows = (
        _people(scope)
        .filter(days.q(fields[0], fields[1]))
        .values_list("pk", "public_id", *_NAME_FIELDS, *fields)
    )
    for pk, public_id, customer_kind, given, family, preferred, org, *when in rows:
        name = own_name(customer_kind, given, family, preferred, org, public_id)
        yield from _dated(days, pk, kind, name, "", *when)


def _birthdays(days: DayRange, scope: _Scope) -> Iterator[Occurrence]:
    return _own_dates(days, scope, BIRTHDAY, "birth_month", "birth_day", "birth_year")


def _name_days(days: DayRange, scope: _Scope) -> Iterator[Occurrence]:
    yield from _own_dates(days, scope, NAME_DAY, "nameday_month", "nameday_day")
    # Everyone else with a name: the calendar decides, by the given name (else the
    # preferred one), as ``customers.namedays.name_day_for`` does for one customer.
    # First each distinct (name, language, location) is resolved once, then only the
    # customers with a name whose day falls in the range are read.
    places = _Places()
    resolver = NameDayResolver()
    memo: dict[tuple[str, str, str], tuple[date, ...]] = {}

    def dates_for(given: str, preferred: str, language: str, location_id: int | None) -> Any:
        key = (given.strip() or preferred.strip(), language, places.country_of(location_id))
        on = memo.get(key)
        if on is None:
            resolved = resolver.resolve(*key) if key[0] else None
            on = memo[key] = days.dates_of(*resolved) if resolved else ()
        return on

    calendar_people = (
        _people(scope)
        .filter(Q(nameday_month__isnull=True) | Q(nameday_day__isnull=True))
        .exclude(given_name="", preferred_name="")
    )
    fields = ("given_name", "preferred_name", "language", "home_location_id")
    hit_given: set[str] = set()
    hit_preferred: set[str] = set()
    for given, preferred, language, location_id in (
        calendar_people.values_list(*fields).distinct().iterator(chunk_size=CHUNK)
    ):
        if dates_for(given, preferred, language, location_id):
            if given.strip():
                hit_given.add(given)
            else:
                hit_preferred.add(preferred)
    if not hit_given and not hit_preferred:
        return
    if len(hit_given) + len(hit_preferred) <= MAX_IDS_IN_SQL:
        calendar_people = calendar_people.filter(
            Q(given_name__in=sorted(hit_given)) | Q(preferred_name__in=sorted(hit_preferred))
        )
    rows = calendar_people.values_list("pk", *fields).iterator(chunk_size=CHUNK)
    for pk, given, preferred, language, location_id in rows:
        for day in dates_for(given, preferred, language, location_id):
            yield Occurrence(pk, NAME_DAY, day, preferred or given, "", None, None)


def _first_visits(days: DayRange, scope: _Scope) -> Iterator[Occurrence]:
    # The local date is at most a day away from the UTC date, so a day of slack on each
    # side finds every candidate; the exact local date is checked below.
    rows = (
        _customers(scope)
        .alias(visit_md=_MonthDayText("first_visit_at"), met_md=_MonthDayText("first_met_on"))
        .filter(
            Q(visit_md__in=days.month_day_texts(slack_days=1))
            | Q(met_md__in=days.month_day_texts())
        )
        .values_list(
            "pk", "public_id", *_NAME_FIELDS, "first_met_on", "first_visit_at", "home_location_id"
        )
    )
    places = _Places()
    for pk, public_id, kind, given, family, preferred, org, met, visited, location_id in rows:
        first = first_visit_day(met, visited, places.zone_of(location_id))
        if first is None:
            continue
        yield from _dated(
            days,
            pk,
            FIRST_VISIT,
            own_name(kind, given, family, preferred, org, public_id),
            "",
            first.month,
            first.day,
            first.year,
        )


def _companions(kind: str, days: DayRange, scope: _Scope) -> Iterator[Occurrence]:
    model: type[HouseholdMember | Pet] = HouseholdMember if kind == HOUSEHOLD_BIRTHDAY else Pet
    detail_field = "relation" if kind == HOUSEHOLD_BIRTHDAY else "kind"
    rows = (
        model.objects.filter(scope.q("customer__"), days.q("birth_month", "birth_day"))
        .values_list(
            "pk", "customer_id", "name", detail_field, "birth_month", "birth_day", "birth_year"
        )
        .order_by()
    )
    for pk, customer_id, name, detail, month, day, year in rows:
        yield from _dated(
            days,
            customer_id,
            kind,
            name,
            relation_detail(detail) if kind == HOUSEHOLD_BIRTHDAY else detail,
            month,
            day,
            year,
            pk,
        )


def _custom(days: DayRange, scope: _Scope) -> Iterator[Occurrence]:
    rows = (
        CustomOccasion.objects.filter(scope.q("customer__"), days.q("month", "day"))
        .values_list("pk", "customer_id", "label", "month", "day", "year")
        .order_by()
    )
    for pk, customer_id, label, month, day, year in rows:
        yield from _dated(days, customer_id, CUSTOM, label, "", month, day, year, pk)
