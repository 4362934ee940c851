"""Planning two years of visits: each customer's rhythm, anonymous walk-ins, and today.

In-person visits fall inside the location's opening hours in its own time zone; what
people have comes from the location's menu, priced in its currency. Orders by email,
phone or the web may come at any hour.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from regulars.core.business_time import WEEKDAYS
from regulars.demo.catalogue import (
    LOCATIONS,
    SLOTS,
    STAFF,
    VISIT_NOTES,
    WEB_ORDER,
    Item,
    LocationSpec,
    say,
)
from regulars.demo.people import CustomerPlan, Rhythm

# When anonymous walk-ins come, by slot.
_WALK_IN_SLOT_NAMES = ("morning", "lunch", "afternoon", "evening")
_WALK_IN_WEIGHTS = tuple(accumulate((0.45, 0.3, 0.17, 0.08)))
# Minutes before closing after which nobody is served any more.
_LAST_ORDERS = 5


class VisitRow(NamedTuple):
    customer: int | None  # CustomerPlan.index; None for an anonymous walk-in
    location: int  # index into catalogue.LOCATIONS
    at: datetime  # aware, UTC
    channel: str
    amount: Decimal | None
    had: str
    staff: str  # username
    wait_seconds: int | None
    note: str
    contact: int | None  # the organisation's contact person (CustomerPlan.index)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass
class Place:
    """A location's facts the visit planner needs, precomputed."""

    index: int
    spec: LocationSpec
    tz: ZoneInfo
    spans: list[list[tuple[int, int]]]  # per weekday (0 = Monday), minutes
    staff: list[str]
    staff_weights: list[float]  # cumulative
    managers: list[str]
    fitting: dict[str, list[Item]]  # menu items by slot
    _windows: dict[tuple[int, str], list[tuple[int, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, index: int) -> Place:
        spec = LOCATIONS[index]
        people = STAFF["all"] + STAFF[spec.name]
        return cls(
            index=index,
            spec=spec,
            tz=ZoneInfo(spec.timezone),
            spans=[
                [(_minutes(a), _minutes(b)) for a, b in spec.hours.get(day, [])] for day in WEEKDAYS
            ],
            staff=[s.username for s in people],
            staff_weights=list(accumulate(s.serves for s in people)),
            managers=[s.username for s in people if s.role in ("manager", "owner")],
            fitting={
                slot: [i for i in spec.menu if slot in i.slots] or list(spec.menu) for slot in SLOTS
            },
        )

    def is_open(self, day: date) -> bool:
        return bool(self.spans[day.weekday()])

    def next_open(self, day: date) -> date:
        for _ in range(7):
            if self.is_open(day):
                return day
            day += timedelta(days=1)
        raise ValueError("this location never opens")

    def windows(self, weekday: int, slot: str) -> list[tuple[int, int]]:
        """The open stretches of a weekday within ``slot`` (any open time when none)."""
        key = (weekday, slot)
        if key not in self._windows:
            spans = self.spans[weekday]
            low, high = SLOTS[slot]
            fitting = [(max(a, low), min(b - _LAST_ORDERS, high)) for a, b in spans]
            fitting = [(a, b) for a, b in fitting if a < b]
            self._windows[key] = fitting or [(a, b - _LAST_ORDERS) for a, b in spans]
        return self._windows[key]

    def instant(self, day: date, minute: int, second: int) -> datetime:
        local = datetime.combine(day, time(minute // 60, minute % 60, second), tzinfo=self.tz)
        return local.astimezone(UTC)


class VisitPlanner:
    def __init__(
        self, rng: random.Random, *, window_start: date, today: date, now: datetime
    ) -> None:
        self.rng = rng
        self.window_start = window_start
        self.today = today
        self.now = now
        self.places = [Place.of(i) for i in range(len(LOCATIONS))]

    # -- time of day ------------------------------------------------------------------

    def minute(self, place: Place, day: date, slot: str, habit: int | None, spread: int) -> int:
        """A minute of ``day`` inside opening hours, near ``habit`` or anywhere in ``slot``."""
        rng = self.rng
        windows = place.windows(day.weekday(), slot)
        if habit is not None:
            wanted = round(rng.gauss(habit, spread))
            for start, end in windows:
                if start <= wanted < end:
                    return wanted
        # No habit, or it falls outside today's hours (a short Sunday): any time in the slot.
        start, end = rng.choice(windows)
        return rng.randint(start, end - 1)

    def wait(self, minute: int) -> int | None:
        rng = self.rng
        rush = 450 <= minute <= 570 or 735 <= minute <= 825
        if rng.random() < (0.45 if rush else 0.1):
            return min(1800, 10 + int(rng.gammavariate(2.0, 70.0 if rush else 30.0)))
        return None

    def basket(self, place: Place, slot: str, usual: tuple[Item, ...], loyal: float) -> list[Item]:
        rng = self.rng
        if usual and rng.random() < loyal:
            return list(usual)
        fitting = place.fitting[slot]
        return rng.sample(fitting, k=min(len(fitting), rng.choice((1, 1, 2, 2, 3))))

    def serve(self, place: Place) -> str:
        return self.rng.choices(place.staff, cum_weights=place.staff_weights)[0]

    # -- customers --------------------------------------------------------------------

    def dates(self, plan: CustomerPlan, place: Place) -> list[date]:
        """The days this customer comes, from the rhythm of their kind."""
        rng = self.rng
        start = max(plan.met, self.window_start)
        end = plan.active_until or self.today
        rhythm = plan.rhythm
        if rhythm == Rhythm.LAPSED:
            rhythm = Rhythm.WEEKLY if rng.random() < 0.6 else Rhythm.MONTHLY
        if rhythm == Rhythm.DAILY:
            return self._daily(place, start, end)
        if rhythm == Rhythm.WEEKLY:
            return self._weekly(plan, place, start, end)
        if rhythm in (Rhythm.MONTHLY, Rhythm.OCCASIONAL, Rhythm.NEWCOMER, Rhythm.ORGANISATION):
            return self._gapped(rhythm, place, start, end)
        return []

    def _daily(self, place: Place, start: date, end: date) -> list[date]:
        rng = self.rng
        # Two weeks' holiday a year, when they do not come at all.
        holidays = {
            date(year, 1, 1) + timedelta(days=rng.randint(0, 350) + k)
            for year in range(start.year, end.year + 1)
            for k in range(14)
        }
        days = []
        for day in _days(start, end):
            weekday = day.weekday()
            chance = 0.85 if weekday < 5 else 0.15
            if place.is_open(day) and day not in holidays and rng.random() < chance:
                days.append(day)
        return days

    def _weekly(self, plan: CustomerPlan, place: Place, start: date, end: date) -> list[date]:
        rng = self.rng
        days: set[date] = set()
        monday = start - timedelta(days=start.weekday())
        while monday <= end:
            if rng.random() < 0.8:
                day = monday + timedelta(days=plan.weekday)
                if rng.random() < 0.15:
                    day += timedelta(days=rng.choice((-1, 1)))
                days.add(place.next_open(day))
            if rng.random() < 0.1:
                days.add(place.next_open(monday + timedelta(days=rng.randint(0, 6))))
            monday += timedelta(weeks=1)
        return sorted(d for d in days if start <= d <= end)

    def _gapped(self, rhythm: Rhythm, place: Place, start: date, end: date) -> list[date]:
        rng = self.rng
        days: list[date] = []
        day = start if rhythm == Rhythm.NEWCOMER else start + timedelta(days=rng.randint(0, 25))
        while day <= end:
            if rhythm == Rhythm.ORGANISATION and day.weekday() >= 5:
                day += timedelta(days=7 - day.weekday())
            visit_day = day if rhythm == Rhythm.ORGANISATION else place.next_open(day)
            if visit_day > end:
                break
            days.append(visit_day)
            if rhythm == Rhythm.MONTHLY:
                gap = max(12, round(rng.gauss(30, 6)))
            elif rhythm == Rhythm.OCCASIONAL:
                gap = max(20, round(rng.expovariate(1 / 80)))
            elif rhythm == Rhythm.NEWCOMER:
                gap = rng.randint(2, 7)
            else:
                gap = rng.randint(7, 21)
            day = visit_day + timedelta(days=gap)
        return days

    def customer_visits(self, plan: CustomerPlan) -> Iterator[VisitRow]:
        rng = self.rng
        place = self.places[plan.home]
        loyal = {Rhythm.DAILY: 0.85, Rhythm.WEEKLY: 0.7, Rhythm.MONTHLY: 0.45}.get(
            plan.rhythm, 0.25
        )
        spread = 12 if plan.rhythm == Rhythm.DAILY else 35
        for day in self.dates(plan, place):
            if plan.rhythm == Rhythm.ORGANISATION:
                row = self._order(plan, place, day)
                if row is not None:
                    yield row
                continue
            minute = self.minute(place, day, plan.slot, plan.habit_minute, spread)
            at = place.instant(day, minute, rng.randint(0, 59))
            if at > self.now:
                continue
            items = self.basket(place, plan.slot, plan.usual, loyal)
            if plan.vip and rng.random() < 0.5:
                items.append(rng.choice(place.spec.menu))
            note = ""
            if rng.random() < 0.02:
                language = place.spec.language if rng.random() < 0.8 else "en"
                note = say(rng.choice(VISIT_NOTES), language)
            yield VisitRow(
                customer=plan.index,
                location=place.index,
                at=at,
                channel="in_person",
                amount=sum((i.price for i in items), Decimal(0)),
                had=", ".join(i.name for i in items),
                staff=self.serve(place),
                wait_seconds=self.wait(minute),
                note=note,
                contact=None,
            )

    def _order(self, plan: CustomerPlan, place: Place, day: date) -> VisitRow | None:
        """A catering order placed by an organisation, usually by email or phone."""
        rng = self.rng
        channel = rng.choices(("email", "phone", "in_person"), (0.5, 0.3, 0.2))[0]
        if channel == "in_person" and not place.is_open(day):
            channel = "email"
        minute = rng.randint(9 * 60, 12 * 60)
        at = place.instant(day, minute, rng.randint(0, 59))
        if at > self.now:
            return None
        low, high = plan.order_amount
        amount = Decimal(rng.randint(low, high)) + Decimal(rng.choice((0, 0, 50))) / 100
        contact = rng.choice(plan.contacts)[0] if plan.contacts else None
        return VisitRow(
            customer=plan.index,
            location=place.index,
            at=at,
            channel=channel,
            amount=amount,
            had=plan.order,
            staff=rng.choice(place.managers),
            wait_seconds=None,
            note="",
            contact=contact,
        )

    # -- anonymous walk-ins -----------------------------------------------------------

    def walk_ins(self, place: Place, per_day: float) -> Iterator[VisitRow]:
        rng = self.rng
        spec = place.spec
        span = max(1, (self.today - self.window_start).days)
        quiet_month, quiet_share = spec.quiet_month
        for offset, day in enumerate(_days(self.window_start, self.today)):
            if not place.is_open(day):
                continue
            growth = 0.85 + 0.3 * offset / span  # the business grew over the two years
            season = quiet_share if day.month == quiet_month else 1.0
            mean = per_day * spec.weekday_traffic[day.weekday()] * season * growth
            count = max(0, round(rng.gauss(mean, mean * 0.2)))
            for slot in rng.choices(_WALK_IN_SLOT_NAMES, cum_weights=_WALK_IN_WEIGHTS, k=count):
                minute = self.minute(place, day, slot, None, 0)
                at = place.instant(day, minute, rng.randint(0, 59))
                if at > self.now:
                    continue
                items = self.basket(place, slot, (), 0.0)
                yield VisitRow(
                    customer=None,
                    location=place.index,
                    at=at,
                    channel="in_person",
                    amount=sum((i.price for i in items), Decimal(0)),
                    had=", ".join(i.name for i in items),
                    staff=self.serve(place),
                    wait_seconds=self.wait(minute),
                    note="",
                    contact=None,
                )

    # -- today ------------------------------------------------------------------------

    def web_orders_today(self, place: Place, customers: list[CustomerPlan]) -> list[VisitRow]:
        """A few online pre-orders placed today, for when the shop has not opened yet.

        The home page should show some life whenever the demo is created, also at dawn
        or on a closing day; pre-orders may come at any hour.
        """
        rng = self.rng
        regulars = [
            c for c in customers if c.home == place.index and c.rhythm == Rhythm.WEEKLY
        ] or [c for c in customers if c.home == place.index and c.rhythm != Rhythm.LAPSED]
        midnight = datetime.combine(self.today, time.min, tzinfo=place.tz).astimezone(UTC)
        earliest = max(midnight, self.now - timedelta(hours=6))
        seconds = max(1, int((self.now - earliest).total_seconds()))
        rows = []
        for who in rng.sample(regulars, k=min(len(regulars), rng.randint(2, 3))):
            at = earliest + timedelta(seconds=rng.randint(0, seconds - 1))
            items = self.basket(place, who.slot, who.usual, 1.0)
            rows.append(
                VisitRow(
                    customer=who.index,
                    location=place.index,
                    at=at,
                    channel="web",
                    amount=sum((i.price for i in items), Decimal(0)),
                    had=", ".join(i.name for i in items),
                    staff=rng.choice(place.managers),
                    wait_seconds=None,
                    note=say(WEB_ORDER, place.spec.language),
                    contact=None,
                )
            )
        return rows


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
