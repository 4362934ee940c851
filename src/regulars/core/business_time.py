"""Business time: durations counted only while a location is open (service-level clocks).

Opening hours are local wall-clock spans per weekday, ``{"mon": [["09:00", "13:00"],
["15:00", "19:00"]], ...}`` (validated by ``accounts.hours``). Each local day's spans are
turned into UTC instants through the location's IANA zone, day by day, so a clock
counts the hours the doors were really open across daylight-saving changes: a span of
09:00-17:00 is eight hours on the day clocks go forward, and a location open round the
clock is open 23 hours that day and 25 on the day they go back.

A wall time that does not exist (inside the hour skipped in spring) is read with the
offset before the change, and one that happens twice (the hour repeated in autumn) as
its first occurrence. A location without any opening hours counts calendar time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from regulars.core.localtime import zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Hours = Mapping[str, Sequence[Sequence[str]]]
Span = tuple[datetime, datetime]


def _wall(day: date, hhmm: str, tz_name: str) -> datetime:
    """The UTC instant of a local wall time on ``day`` ("24:00" is the next midnight)."""
    if hhmm == "24:00":
        day, clock = day + timedelta(days=1), time.min
    else:
        hours, minutes = hhmm.split(":")
        clock = time(int(hours), int(minutes))
    return datetime.combine(day, clock, tzinfo=zone(tz_name)).astimezone(UTC)


def open_spans(day: date, hours: Hours, tz_name: str) -> list[Span]:
    """The UTC intervals, in order, in which the location is open on its local ``day``."""
    spans = []
    for start, end in hours.get(WEEKDAYS[day.weekday()], ()):
        opened, closed = _wall(day, start, tz_name), _wall(day, end, tz_name)
        if closed > opened:  # a span inside a skipped hour is no time at all
            spans.append((opened, closed))
    return sorted(spans)


def _has_hours(hours: Hours) -> bool:
    return any(hours.get(day) for day in WEEKDAYS)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs timezone-aware instants")
    return moment.astimezone(UTC)


def add_business_time(start: datetime, duration: timedelta, hours: Hours, tz_name: str) -> datetime:
    """The instant (UTC) at which ``duration`` of open time has passed since ``start``.

    A clock started while closed begins counting at the next opening; a zero duration
    ends at ``start`` itself.
    """
    moment = _aware(start)
    if duration < timedelta(0):
        raise ValueError("a business-time duration cannot be negative")
    if not _has_hours(hours) or not duration:
        return moment + duration
    left = duration
    day = moment.astimezone(zone(tz_name)).date()
    while True:  # ends: some weekday has open time, so every week consumes some
        for opened, closed in open_spans(day, hours, tz_name):
            if closed <= moment:
                continue
            begin = max(opened, moment)
            if begin + left <= closed:
                return begin + left
            left -= closed - begin
        day += timedelta(days=1)


def business_time_between(start: datetime, end: datetime, hours: Hours, tz_name: str) -> timedelta:
    """How much open time lies between ``start`` and ``end`` (zero when end ≤ start)."""
    first, last = _aware(start), _aware(end)
    if last <= first:
        return timedelta(0)
    if not _has_hours(hours):
        return last - first
    total = timedelta(0)
    local = zone(tz_name)
    day, final = first.astimezone(local).date(), last.astimezone(local).date()
    while day <= final:
        for opened, closed in open_spans(day, hours, tz_name):
            begin, stop = max(opened, first), min(closed, last)
            if stop > begin:
                total += stop - begin
        day += timedelta(days=1)
    return total
