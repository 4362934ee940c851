"""A customer's rhythm in words, in the reader's language: the one place the counter
card, the profile and the loyalty pages phrase it.

"Usually weekday mornings, every 2–3 days", "Usually Saturdays, about every week",
"Overdue: usually every 5–7 days, last here 19 days ago".

- Usual days (bitmask, bit 0 = Monday): Monday–Friday are "weekdays", Saturday and
  Sunday "weekends", one day is named ("Saturdays"), two or three are listed; any other
  set says nothing (someone who comes on four scattered days has no usual day).
- Usual part of day: code 0–3 of ``analytics.rhythm.PARTS_OF_DAY``, ``None`` for none.
- Usual gap: the range ``gap_low``–``gap_high`` in days (the customer's q25–q75), said
  in days up to ``WEEKS_AFTER_DAYS``, in weeks up to ``MONTHS_AFTER_DAYS``, in months
  beyond; both ends round half up to whole units, at least one. A range that rounds to
  one value is "about every …"; 1–1 day is "every day".

Every function returns "" when it has nothing to say (never raises on odd input such as
a negative gap or an unknown part of day), so a caller only checks for an empty string.
"""

from __future__ import annotations

import math
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from regulars.core.localtime import zone
from regulars.core.numbers import format_number

MONDAY_TO_FRIDAY = 0b0011111
SATURDAY_AND_SUNDAY = 0b1100000
MAX_LISTED_DAYS = 3

WEEKS_AFTER_DAYS = 13.0
"""A usual gap longer than this (its upper end, in days) is said in weeks."""

MONTHS_AFTER_DAYS = 60.0
"""A usual gap longer than this is said in months."""

DAYS_PER_MONTH = 30.4375

# The days someone comes on, as said after "usually" ("usually Saturdays"); bit 0 =
# Monday. Each language says it its own way: "il sabato", "om lørdagen", "по субботам".
ON_DAYS: tuple[Promise, ...] = (
    pgettext_lazy("usually comes on", "Mondays"),
    pgettext_lazy("usually comes on", "Tuesdays"),
    pgettext_lazy("usually comes on", "Wednesdays"),
    pgettext_lazy("usually comes on", "Thursdays"),
    pgettext_lazy("usually comes on", "Fridays"),
    pgettext_lazy("usually comes on", "Saturdays"),
    pgettext_lazy("usually comes on", "Sundays"),
)

# Part-of-day codes 0–3 (morning, midday, afternoon, evening) alone ...
IN_PART: tuple[Promise, ...] = (
    pgettext_lazy("usually comes", "in the morning"),
    pgettext_lazy("usually comes", "at midday"),
    pgettext_lazy("usually comes", "in the afternoon"),
    pgettext_lazy("usually comes", "in the evening"),
)
# ... and with weekdays or weekends, where English says it in two words.
WEEKDAY_PARTS: tuple[Promise, ...] = (
    pgettext_lazy("usually comes on", "weekday mornings"),
    pgettext_lazy("usually comes on", "weekday lunchtimes"),
    pgettext_lazy("usually comes on", "weekday afternoons"),
    pgettext_lazy("usually comes on", "weekday evenings"),
)
WEEKEND_PARTS: tuple[Promise, ...] = (
    pgettext_lazy("usually comes on", "weekend mornings"),
    pgettext_lazy("usually comes on", "weekend lunchtimes"),
    pgettext_lazy("usually comes on", "weekend afternoons"),
    pgettext_lazy("usually comes on", "weekend evenings"),
)


def _part(part_of_day: int | None) -> int | None:
    return part_of_day if part_of_day is not None and 0 <= part_of_day < len(IN_PART) else None


def days_phrase(weekdays: int) -> str:
    """The usual days: "weekdays", "weekends", "Saturdays", "Mondays and Thursdays",
    "Mondays, Wednesdays and Fridays"; "" for none or more than three scattered days."""
    mask = weekdays & 0b1111111
    if mask == MONDAY_TO_FRIDAY:
        return pgettext("usually comes on", "weekdays")
    if mask == SATURDAY_AND_SUNDAY:
        return pgettext("usually comes on", "weekends")
    days = [str(ON_DAYS[bit]) for bit in range(7) if mask & (1 << bit)]
    if not days or len(days) > MAX_LISTED_DAYS:
        return ""
    if len(days) == 1:
        return days[0]
    return pgettext("list of days", "%(days)s and %(last)s") % {
        "days": ", ".join(days[:-1]),
        "last": days[-1],
    }


def when_phrase(weekdays: int, part_of_day: int | None) -> str:
    """The usual days and part of day together: "weekday mornings", "Saturdays in the
    evening", "in the afternoon", "Mondays and Thursdays"; "" when neither is known."""
    part = _part(part_of_day)
    mask = weekdays & 0b1111111
    if part is not None and mask == MONDAY_TO_FRIDAY:
        return str(WEEKDAY_PARTS[part])
    if part is not None and mask == SATURDAY_AND_SUNDAY:
        return str(WEEKEND_PARTS[part])
    days = days_phrase(mask)
    if part is None:
        return days
    if not days:
        return str(IN_PART[part])
    return pgettext("days and part of day", "%(days)s %(part)s") % {
        "days": days,
        "part": IN_PART[part],
    }


def _whole(value: float) -> int:
    """Half up, at least one (a gap of 0.4 days is still "every day")."""
    return max(1, math.floor(value + 0.5))


def gap_phrase(low: float | None, high: float | None) -> str:
    """The usual gap between visits: "every day", "every 2–3 days", "about every week",
    "every 2–3 weeks", "about every month"; "" when not known."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return ""
    low, high = sorted((max(0.0, low), max(0.0, high)))
    if high > MONTHS_AFTER_DAYS:
        lo, hi = _whole(low / DAYS_PER_MONTH), _whole(high / DAYS_PER_MONTH)
        if hi <= lo:
            if lo == 1:
                return _("about every month")
            return ngettext("about every %(count)d month", "about every %(count)d months", lo) % {
                "count": lo
            }
        return ngettext("every %(low)d–%(high)d month", "every %(low)d–%(high)d months", hi) % {
            "low": lo,
            "high": hi,
        }
    if high > WEEKS_AFTER_DAYS:
        lo, hi = _whole(low / 7), _whole(high / 7)
        if hi <= lo:
            if lo == 1:
                return _("about every week")
            return ngettext("about every %(count)d week", "about every %(count)d weeks", lo) % {
                "count": lo
            }
        return ngettext("every %(low)d–%(high)d week", "every %(low)d–%(high)d weeks", hi) % {
            "low": lo,
            "high": hi,
        }
    lo, hi = _whole(low), _whole(high)
    if hi <= lo:
        if lo == 1:
            return _("every day")
        if lo == 7:
            return _("about every week")
        return ngettext("about every %(count)d day", "about every %(count)d days", lo) % {
            "count": lo
        }
    return ngettext("every %(low)d–%(high)d day", "every %(low)d–%(high)d days", hi) % {
        "low": lo,
        "high": hi,
    }


def days_ago_phrase(days: int) -> str:
    """ "today", "yesterday", "19 days ago"."""
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}


def days_phrase_count(days: int) -> str:
    """A length of absence: "1 day", "19 days" (0 for today)."""
    count = max(0, days)
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def local_days_between(earlier: datetime, later: datetime, tz_name: str) -> int:
    """Whole local calendar days from ``earlier`` to ``later`` in ``tz_name`` (0 for the
    same day); a bad zone name counts in UTC."""
    try:
        tz = zone(tz_name)
    except ValueError:
        tz = zone("UTC")
    return (later.astimezone(tz).date() - earlier.astimezone(tz).date()).days


def usual_line(
    *,
    weekdays: int,
    part_of_day: int | None,
    gap_low: float | None,
    gap_high: float | None,
) -> str:
    """ "Usually weekday mornings, every 2–3 days", "Usually Saturdays", "Usually comes
    every 2–3 weeks"; "" when there is no rhythm to tell."""
    when = when_phrase(weekdays, part_of_day)
    gap = gap_phrase(gap_low, gap_high)
    if when and gap:
        return _("Usually %(when)s, %(gap)s") % {"when": when, "gap": gap}
    if when:
        return _("Usually %(when)s") % {"when": when}
    if gap:
        return _("Usually comes %(gap)s") % {"gap": gap}
    return ""


def overdue_line(*, gap_low: float | None, gap_high: float | None, days_away: int) -> str:
    """ "Overdue: usually every 5–7 days, last here 19 days ago"."""
    gap = gap_phrase(gap_low, gap_high)
    ago = days_ago_phrase(days_away)
    if gap:
        return _("Overdue: usually %(gap)s, last here %(ago)s") % {"gap": gap, "ago": ago}
    return _("Overdue: last here %(ago)s") % {"ago": ago}


def overdue_ratio_phrase(ratio: float | None) -> str:
    """How far past their usual gap: "2.5 × their usual gap" ("" without a gap)."""
    if ratio is None or not math.isfinite(ratio) or ratio <= 0:
        return ""
    return _("%(ratio)s × their usual gap") % {"ratio": format_number(ratio, 1)}
