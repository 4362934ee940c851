"""What the loyalty pages share to show a snapshot: who reads (:class:`Reader`), the
snapshot's JSON figures read defensively (any key may be missing or of the wrong type
in an older snapshot), and dates, money and stage names in the reader's language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from django.urls import reverse
from django.utils import translation

from regulars.accounts.models import Location
from regulars.core.localtime import zone
from regulars.core.money import format_money
from regulars.core.numbers import active_locale, format_number
from regulars.loyalty.models import Snapshot, Stage

# The identifier of each stage in URLs and in ``Snapshot.figures``: "at_risk", ...
STAGE_KEYS: dict[Stage, str] = {stage: stage.name.lower() for stage in Stage}
STAGE_OF_KEY: dict[str, Stage] = {key: stage for stage, key in STAGE_KEYS.items()}


@dataclass(frozen=True)
class Reader:
    """Who reads and what they look at.

    ``scope``: location ids, or None for the whole business (the reader looks at every
    location and may see loyalty at each); ``money_at``: the ids where they may see
    money; ``tz_name``: the zone dates are shown in."""

    locations: list[Location]
    scope: list[int] | None
    money_at: frozenset[int]
    tz_name: str

    @property
    def whole_business(self) -> bool:
        return self.scope is None

    @property
    def money(self) -> bool:
        """Money for everything in view (every location looked at)."""
        return bool(self.locations) and all(loc.pk in self.money_at for loc in self.locations)

    def money_for(self, location_id: int | None) -> bool:
        """Money of a customer who comes most to ``location_id`` (None: no location)."""
        if location_id is None:
            return self.whole_business and self.money
        return location_id in self.money_at


# --- reading the figures defensively ------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def as_int(value: Any) -> int:
    number = as_number(value)
    return int(number) if number is not None else 0


# --- formatting ---------------------------------------------------------------------------


def when(moment: datetime, tz_name: str) -> str:
    """A moment in the reader's zone, to the minute: "3 Nov 2026, 02:10"."""
    local = moment.astimezone(zone_of(tz_name))
    locale = active_locale()
    return "{}, {}".format(
        format_date(local.date(), format="medium", locale=locale),
        format_time(local, format="short", locale=locale),
    )


def day(on: date) -> str:
    return str(format_date(on, format="medium", locale=active_locale()))


def month(on: date) -> str:
    """ "Mar 2025"."""
    return str(format_date(on, format="MMM y", locale=active_locale()))


def zone_of(tz_name: str) -> Any:
    """The zone of a name, UTC for a bad one (a page never fails on a location's zone)."""
    try:
        return zone(tz_name)
    except ValueError:
        return zone("UTC")


def money(amount: Decimal | float | None, currency: str) -> str:
    if amount is None or not currency:
        return ""
    value = amount if isinstance(amount, Decimal) else Decimal(str(round(amount, 2)))
    try:
        return format_money(value, currency, translation.get_language() or "en")
    except (ValueError, KeyError):
        return f"{format_number(float(value), 2)} {currency}"


def stage_label(stage: Stage) -> str:
    return str(stage.label)


def stage_link(stage: Stage, location: str = "") -> str:
    url = reverse("loyalty:stage", kwargs={"kind": STAGE_KEYS[stage]})
    return f"{url}?location={location}" if location else url


def horizon_days(snapshot: Snapshot | None) -> int:
    """The days of the expected visits and P(return) (90 when not recorded)."""
    days = as_number(as_dict(snapshot.figures).get("horizon_days")) if snapshot else None
    return int(days) if days else 90
