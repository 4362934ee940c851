"""Business-local time: "today" and day boundaries in a location's IANA timezone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import timezone


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def is_valid_zone(name: str) -> bool:
    return name in _zones()


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES  # computed once: the list is large
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """Today's date at a location."""
    moment = now or timezone.now()
    return moment.astimezone(zone(tz_name)).date()


def day_bounds_utc(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts (DST-safe)."""
    tz = zone(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def local_midnight_utc(day: date, tz_name: str) -> datetime:
    return day_bounds_utc(day, tz_name)[0]
