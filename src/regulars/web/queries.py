"""Reads for the home page and the audit log, all computed in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from regulars.accounts.access import Access
from regulars.accounts.models import Location
from regulars.core.localtime import day_bounds_utc, local_today, zone
from regulars.core.models import AuditEntry
from regulars.core.permissions import Capability
from regulars.feedback.models import RECOVERY_OPEN, Recovery
from regulars.loyalty.queries import check_on_counts
from regulars.service.models import Visit


@dataclass(frozen=True)
class Takings:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class LocationToday:
    """Today at one location, "today" being the location's own calendar day."""

    location: Location
    day: date
    visits: int
    customers: int
    newcomers: int
    # None when the user may not see money at this location; [] when nothing was taken.
    takings: list[Takings] | None = field(default=None)
    # Unhappy customers whose service recovery is under way (None: not the user's job).
    to_win_back: int | None = None
    # Customers at risk in the latest loyalty snapshot (None: not the user's job).
    to_check_on: int | None = None


def today_at_a_glance(access: Access, *, now: datetime) -> list[LocationToday]:
    """Visits, distinct customers and newcomers today at each of the user's locations,
    plus takings per currency where the user may see money, the service recoveries
    under way where they handle them and the customers at risk where they see loyalty.
    Four queries in all."""
    locations = access.locations()
    if not locations:
        return []
    bounds = {loc.pk: _today_bounds(loc, now) for loc in locations}

    def in_day(prefix: str, loc_id: int) -> Q:
        start, end = bounds[loc_id][1:]
        return Q(**{f"{prefix}__gte": start, f"{prefix}__lt": end})

    todays = reduce(or_, (Q(location_id=pk) & in_day("at", pk) for pk in bounds))
    newcomer = reduce(
        or_,
        (Q(location_id=pk) & in_day("customer__first_visit_at", pk) for pk in bounds),
    )
    counts: dict[int, tuple[int, int, int]] = {
        row["location_id"]: (row["visits"], row["customers"], row["newcomers"])
        for row in Visit.objects.filter(todays)
        .order_by()
        .values("location_id")
        .annotate(
            visits=Count("id"),
            customers=Count("customer", distinct=True),
            newcomers=Count("customer", distinct=True, filter=newcomer),
        )
    }

    money_ids = [loc.pk for loc in locations if access.can(Capability.VIEW_MONEY, loc.pk)]
    takings: dict[int, list[Takings]] = defaultdict(list)
    if money_ids:
        rows = (
            Visit.objects.filter(todays, location_id__in=money_ids, amount__isnull=False)
            .order_by()
            .values("location_id", "currency")
            .annotate(total=Sum("amount"))
            .order_by("location_id", "currency")
        )
        for total in rows:
            takings[total["location_id"]].append(Takings(total["currency"], total["total"]))

    recovery_ids = [loc.pk for loc in locations if access.can(Capability.HANDLE_RECOVERY, loc.pk)]
    under_way: dict[int, int] = {}
    if recovery_ids:
        under_way = dict(
            Recovery.objects.filter(location_id__in=recovery_ids, status__in=RECOVERY_OPEN)
            .order_by()
            .values_list("location_id")
            .annotate(n=Count("id"))
            .values_list("location_id", "n")
        )

    loyalty_ids = [loc.pk for loc in locations if access.can(Capability.VIEW_LOYALTY, loc.pk)]
    at_risk = check_on_counts(loyalty_ids)

    result = []
    for loc in locations:
        visits, customers, newcomers = counts.get(loc.pk, (0, 0, 0))
        result.append(
            LocationToday(
                location=loc,
                day=bounds[loc.pk][0],
                visits=visits,
                customers=customers,
                newcomers=newcomers,
                takings=takings.get(loc.pk, []) if loc.pk in money_ids else None,
                to_win_back=under_way.get(loc.pk, 0) if loc.pk in recovery_ids else None,
                to_check_on=at_risk.get(loc.pk, 0) if loc.pk in loyalty_ids else None,
            )
        )
    return result


@dataclass(frozen=True)
class DailyCounts:
    days: list[date]
    counts: list[int]


def visits_per_day(locations: list[Location], *, now: datetime, days: int = 14) -> DailyCounts:
    """Visits per local calendar day over the last ``days`` days (today included), summed
    over ``locations``, each counted in its own timezone. One query per timezone."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if not locations:
        return DailyCounts(days=[], counts=[])
    last = max(local_today(loc.timezone, now) for loc in locations)
    span = [last - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    by_zone: dict[str, list[int]] = defaultdict(list)
    for loc in locations:
        by_zone[loc.timezone].append(loc.pk)
    totals: dict[date, int] = dict.fromkeys(span, 0)
    for tz_name, loc_ids in by_zone.items():
        start = day_bounds_utc(span[0], tz_name)[0]
        end = day_bounds_utc(span[-1], tz_name)[1]
        rows = (
            Visit.objects.filter(location_id__in=loc_ids, at__gte=start, at__lt=end)
            .annotate(day=TruncDate("at", tzinfo=zone(tz_name)))
            .order_by()
            .values("day")
            .annotate(n=Count("id"))
        )
        for row in rows:
            if row["day"] in totals:
                totals[row["day"]] += row["n"]
    return DailyCounts(days=span, counts=[totals[d] for d in span])


def _today_bounds(location: Location, now: datetime) -> tuple[date, datetime, datetime]:
    day = local_today(location.timezone, now)
    start, end = day_bounds_utc(day, location.timezone)
    return day, start, end


# --- audit log ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    customer_ref: str = ""
    actor_id: int | None = None
    action: str = ""


def audit_entries(flt: AuditFilter) -> QuerySet[AuditEntry]:
    """Audit entries newest first, filtered; the actor comes in the same query."""
    qs = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    if flt.customer_ref:
        qs = qs.filter(customer_ref=flt.customer_ref)
    if flt.actor_id is not None:
        qs = qs.filter(actor_id=flt.actor_id)
    if flt.action:
        qs = qs.filter(action=flt.action)
    return qs


def audit_actors(access: Access) -> QuerySet[Any]:
    """People an owner can pick in the audit filter: everyone at their locations."""
    return (
        get_user_model()
        .objects.filter(memberships__location_id__in=access.location_ids)
        .distinct()
        .order_by("username")
    )
