"""Occasions: a month and day with an optional year (birthdays, name days, anniversaries)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class MonthDay:
    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        validate_month_day(self.month, self.day, self.year)

    def in_year(self, year: int) -> date:
        """The date this occasion falls on in ``year``; 29 February → 28 February."""
        if self.month == 2 and self.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return date(year, self.month, self.day)

    def next_on_or_after(self, today: date) -> date:
        this_year = self.in_year(today.year)
        return this_year if this_year >= today else self.in_year(today.year + 1)


def validate_month_day(month: int, day: int, year: int | None = None) -> None:
    """Raise ValueError unless month/day (and year, when given) form a real date."""
    if not 1 <= month <= 12:
        raise ValueError("month must be between 1 and 12")
    leap_ok = 2000  # a leap year, so 29 February is accepted without a year
    last = calendar.monthrange(year if year is not None else leap_ok, month)[1]
    if not 1 <= day <= last:
        raise ValueError("no such day in that month")
    if year is not None and not 1850 <= year <= 2200:
        raise ValueError("year out of range")
