"""Customers as the loyalty pages show them: a row of "who to check on" (and of every
stage list), and the loyalty section of a customer's profile. Personal figures are
shown only to those allowed: the stage and the rhythm to anyone who may see the
customer, P(alive) and expected visits to those who may see loyalty at the location the
customer comes to most, money only to those who may also see money there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.utils import timezone

from regulars.accounts.access import Access
from regulars.core.numbers import format_number, format_share
from regulars.core.permissions import Capability
from regulars.loyalty import queries
from regulars.loyalty.display import Reader, day, horizon_days, money, month, zone_of
from regulars.loyalty.models import Stage, Standing
from regulars.loyalty.rhythm_text import (
    days_phrase_count,
    local_days_between,
    overdue_line,
    overdue_ratio_phrase,
    usual_line,
)


def rhythm_of(standing: Standing) -> str:
    return usual_line(
        weekdays=standing.weekdays,
        part_of_day=standing.part_of_day,
        gap_low=standing.gap_low,
        gap_high=standing.gap_high,
    )


def came_back_since(standing: Standing, last_visit_at: datetime | None) -> datetime | None:
    """The customer's last visit when it is newer than the snapshot (they came back)."""
    if last_visit_at is not None and last_visit_at > standing.snapshot.as_of:
        return last_visit_at
    return None


@dataclass(frozen=True)
class CustomerRow:
    """One customer in a stage list."""

    name: str
    public_id: str
    location: str
    rhythm: str
    away: str
    last_visit: str
    overdue: str
    p_alive: str
    value_at_risk: str | None  # None: not shown to this reader
    back_on: str  # the day they came back after the snapshot, or ""


def customer_rows(standings: Iterable[Standing], reader: Reader) -> list[CustomerRow]:
    """Rows of standings read with their customer, location and snapshot."""
    now = timezone.now()
    rows = []
    for s in standings:
        tz_name = s.location.timezone if s.location else reader.tz_name
        last = s.last_visit_at
        back = came_back_since(s, s.customer.last_visit_at)
        rows.append(
            CustomerRow(
                name=s.customer.display_name,
                public_id=s.customer.public_id,
                location=s.location.name if s.location else "",
                rhythm=rhythm_of(s),
                away=days_phrase_count(local_days_between(last, now, tz_name)) if last else "",
                last_visit=day(last.astimezone(zone_of(tz_name)).date()) if last else "",
                overdue=overdue_ratio_phrase(s.overdue_ratio) if s.overdue else "",
                p_alive=format_share(s.p_alive),
                value_at_risk=(
                    # Blank currency: nothing is known of their spend (an empty cell).
                    (money(s.value_at_risk, s.currency) if s.currency else "")
                    if reader.money_for(s.location_id)
                    else None
                ),
                back_on=day(back.astimezone(zone_of(tz_name)).date()) if back else "",
            )
        )
    return rows


# --- the profile ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileLoyalty:
    """The loyalty section of a profile. ``standing`` None: not in a snapshot yet."""

    standing: Standing | None
    stage: str = ""
    stage_key: str = ""
    since: str = ""
    rhythm: str = ""
    overdue: str = ""
    back_on: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)  # (stage, month)
    as_of: str = ""
    # Shown to those who may see loyalty (else ""): the models' figures.
    figures: bool = False
    rules: bool = False
    p_alive: str = ""
    expected_visits: str = ""
    p_return: str = ""
    horizon_days: str = ""
    # Shown to those who may also see money (None: not shown).
    expected_spend: str | None = None
    value: str | None = None
    value_at_risk: str | None = None
    clv_days: str = ""


def stage_history(standings: list[Standing]) -> list[tuple[str, str]]:
    """Oldest first, repeats collapsed: [("New", "Mar 2025"), ("Regular", "May 2025")];
    each stage with the month it began."""
    out: list[tuple[str, str]] = []
    last: int | None = None
    for s in reversed(standings):
        if s.stage == last:
            continue
        last = s.stage
        out.append((str(Stage(s.stage).label), month(s.stage_since.date())))
    return out


def profile_loyalty(customer: Any, access: Access, tz_name: str) -> ProfileLoyalty:
    """Two queries: the latest done snapshot and the customer's standings in done
    snapshots (the current one among them when they are in it)."""
    latest = queries.latest_done()
    history = queries.standing_history(customer.pk) if latest is not None else []
    current = (
        history[0] if history and history[0].snapshot_id == getattr(latest, "pk", None) else None
    )
    if current is None:
        return ProfileLoyalty(standing=None)
    s = current
    where = s.location_id
    tz = s.location.timezone if s.location else tz_name
    # At the location they come to most; anywhere for one without a location.
    figures = access.can(Capability.VIEW_LOYALTY, where)
    sees_money = figures and access.can(Capability.VIEW_MONEY, where)
    back = came_back_since(s, customer.last_visit_at)
    overdue = ""
    if s.overdue and back is None and s.last_visit_at is not None:
        overdue = overdue_line(
            gap_low=s.gap_low,
            gap_high=s.gap_high,
            days_away=local_days_between(s.last_visit_at, timezone.now(), tz),
        )
    snapshot = s.snapshot
    currency = s.currency or snapshot.currency
    stages = stage_history(history)
    extra = snapshot.figures if isinstance(snapshot.figures, dict) else {}
    clv_days = extra.get("clv_days")
    result = ProfileLoyalty(
        standing=s,
        stage=str(Stage(s.stage).label),
        stage_key=Stage(s.stage).name.lower(),
        since=day(s.stage_since.astimezone(zone_of(tz)).date()),
        rhythm=rhythm_of(s),
        overdue=overdue,
        back_on=day(back.astimezone(zone_of(tz)).date()) if back else "",
        history=stages if len(stages) > 1 else [],
        as_of=day(snapshot.as_of.astimezone(zone_of(tz)).date()),
    )
    if not figures:
        return result
    return replace(
        result,
        figures=True,
        rules=s.p_alive is None,
        p_alive=format_share(s.p_alive),
        expected_visits=format_number(s.expected_visits, 1),
        p_return=format_share(s.p_return),
        horizon_days=format_number(horizon_days(snapshot), 0),
        expected_spend=money(s.expected_spend, currency) if sees_money else None,
        value=money(s.value, currency) if sees_money else None,
        value_at_risk=(
            money(s.value_at_risk, currency) if sees_money and s.value_at_risk else None
        ),
        clv_days=format_number(clv_days if isinstance(clv_days, int | float) else 365, 0),
    )
