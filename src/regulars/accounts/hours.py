"""Opening hours: per weekday a list of [open, close] "HH:MM" pairs in local time."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from regulars.core.business_time import WEEKDAYS

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate_hours(value: Any) -> dict[str, list[list[str]]]:
    """Return the hours in canonical form or raise ValueError (TypeError for a wrong
    shape) saying what is wrong."""
    if not isinstance(value, dict):
        raise TypeError(_("opening hours must map weekdays to lists of [open, close]"))
    result: dict[str, list[list[str]]] = {}
    for day, spans in value.items():
        if day not in WEEKDAYS:
            raise ValueError(
                _("unknown weekday “%(day)s”; use mon, tue, wed, thu, fri, sat, sun") % {"day": day}
            )
        if not isinstance(spans, list):
            raise TypeError(_("%(day)s: expected a list of [open, close] pairs") % {"day": day})
        clean: list[list[str]] = []
        for span in spans:
            if not (isinstance(span, list | tuple) and len(span) == 2):
                raise ValueError(_("%(day)s: each span is [open, close]") % {"day": day})
            start, end = span
            if not (isinstance(start, str) and _HHMM.match(start)):
                raise ValueError(
                    _("%(day)s: “%(time)s” is not HH:MM") % {"day": day, "time": start}
                )
            if not (isinstance(end, str) and (_HHMM.match(end) or end == "24:00")):
                raise ValueError(_("%(day)s: “%(time)s” is not HH:MM") % {"day": day, "time": end})
            if end <= start:
                raise ValueError(
                    _("%(day)s: closing at %(end)s is not after opening at %(start)s")
                    % {"day": day, "end": end, "start": start}
                )
            clean.append([start, end])
        clean.sort()
        for (_start, prev_end), (next_start, _end) in pairwise(clean):
            if next_start < prev_end:
                raise ValueError(_("%(day)s: the opening times overlap") % {"day": day})
        result[day] = clean
    return result


def parse_hours_text(text: str) -> dict[str, list[list[str]]]:
    """Parse one line per weekday, e.g. "mon 08:00-12:30, 15:00-19:00"; empty = closed."""
    hours: dict[str, list[list[str]]] = {}
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continue
        day, _sep, rest = line.partition(" ")
        spans = []
        for part in rest.split(","):
            part = part.strip()
            if not part:
                continue
            start, sep, end = part.partition("-")
            if not sep:
                raise ValueError(
                    _("%(day)s: “%(part)s” is not HH:MM-HH:MM") % {"day": day, "part": part}
                )
            spans.append([start.strip(), end.strip()])
        hours[day.lower()[:3]] = spans
    return validate_hours(hours)


def hours_as_text(hours: dict[str, list[list[str]]]) -> str:
    return "\n".join(
        f"{day} " + ", ".join(f"{a}-{b}" for a, b in hours.get(day, []))
        for day in WEEKDAYS
        if day in hours
    )
