"""``bench.snapshot``'s baseline: the nightly snapshot written the straightforward way,
one customer at a time over the ORM.

For each customer: their visits as model instances (``Visit.objects.filter(customer=…)``
in time order), whether they have an open complaint or an unrecovered detractor answer
(two ``exists()`` queries), then in Python: each visit's local day in its location's
zone, the visit days, frequency / recency / T in days, the median gap between visit
days, the mean spend, the location they visit most and a stage by plain rules (new,
developing, regular, at risk, lapsed, dissatisfied); the standing is written with
``bulk_create`` in batches of ``WRITE_BATCH`` into a run of its own (marked failed, so no
page shows it, and deleted afterwards). No model is fitted: that part of the snapshot
has no per-customer equivalent, so the baseline does less than the snapshot does.

``differences`` checks what both compute the same way (visits, visit days, first and
last visit, median gap) against the snapshot's standings for the same customers.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

WRITE_BATCH = 500
DAY_S = 86_400.0
COMPARED = ("visits", "visit_days", "first_visit_at", "last_visit_at")


@dataclass(frozen=True)
class NaiveStanding:
    customer: int
    location: int | None
    visits: int
    visit_days: int
    first_at: datetime
    last_at: datetime
    frequency: int
    recency: int
    T: int
    gap_median: float | None
    mean_spend: Decimal | None
    days_since_last: float
    stage: int


def _stage(visit_days: int, gap: float | None, days_since_last: float, unhappy: bool) -> int:
    from regulars.loyalty.models import Stage

    if unhappy:
        return int(Stage.DISSATISFIED)
    if visit_days == 1:
        return int(Stage.NEW if days_since_last <= 60 else Stage.LAPSED)
    usual = gap if gap is not None else 30.0
    if days_since_last > max(3 * usual, 90.0):
        return int(Stage.LAPSED)
    if days_since_last > max(1.5 * usual, usual + 2):
        return int(Stage.AT_RISK)
    return int(Stage.DEVELOPING if visit_days < 5 else Stage.REGULAR)


def naive_standing(
    customer_id: int, now: datetime, today: date, zones: dict[int, ZoneInfo], currency: str
) -> NaiveStanding | None:
    """One customer's standing from their visits; None when they have none up to now."""
    from regulars.feedback.models import RECOVERY_OPEN, Recovery
    from regulars.service.flow import ACTIVE, TicketKind
    from regulars.service.models import Ticket, Visit

    every = Visit.objects.filter(customer_id=customer_id).order_by("at")
    visits = [v for v in every if v.at <= now]
    if not visits:
        return None
    unhappy = (
        Ticket.objects.filter(
            customer_id=customer_id, kind=TicketKind.COMPLAINT, status__in=ACTIVE
        ).exists()
        or Recovery.objects.filter(customer_id=customer_id, status__in=RECOVERY_OPEN).exists()
    )
    days = sorted({v.at.astimezone(zones[v.location_id]).date() for v in visits})
    gaps = [(b - a).days for a, b in pairwise(days)]
    paid = [
        v.amount for v in visits if v.amount is not None and v.currency == currency and v.amount > 0
    ]
    days_since_last = (now - visits[-1].at).total_seconds() / DAY_S
    gap = float(statistics.median(gaps)) if gaps else None
    return NaiveStanding(
        customer=customer_id,
        location=Counter(v.location_id for v in visits).most_common(1)[0][0],
        visits=len(visits),
        visit_days=len(days),
        first_at=visits[0].at,
        last_at=visits[-1].at,
        frequency=len(days) - 1,
        recency=(days[-1] - days[0]).days,
        T=(today - days[0]).days,
        gap_median=gap,
        mean_spend=sum(paid, Decimal(0)) / len(paid) if paid else None,
        days_since_last=days_since_last,
        stage=_stage(len(days), gap, days_since_last, unhappy),
    )


def naive_snapshot(customer_ids: list[int], now: datetime) -> list[NaiveStanding]:
    """Every standing of ``customer_ids``, written to a run of its own, then removed."""
    from regulars.accounts.models import Location
    from regulars.loyalty.models import RunStatus, Snapshot, Standing
    from regulars.loyalty.services import business_zone
    from regulars.loyalty.visits import main_currency

    zones = {pk: ZoneInfo(tz) for pk, tz in Location.objects.values_list("pk", "timezone")}
    today = now.astimezone(ZoneInfo(business_zone())).date()
    currency = main_currency()
    run = Snapshot.objects.create(
        day=today + timedelta(days=1000), as_of=now, status=RunStatus.FAILED
    )
    standings: list[NaiveStanding] = []
    pending: list[Any] = []
    try:
        for customer_id in customer_ids:
            s = naive_standing(customer_id, now, today, zones, currency)
            if s is None:
                continue
            standings.append(s)
            pending.append(
                Standing(
                    snapshot=run,
                    customer_id=s.customer,
                    location_id=s.location,
                    stage=s.stage,
                    stage_since=now,
                    visits=s.visits,
                    visit_days=s.visit_days,
                    first_visit_at=s.first_at,
                    last_visit_at=s.last_at,
                    gap_median=s.gap_median,
                    overdue_ratio=s.days_since_last / s.gap_median if s.gap_median else 0.0,
                    expected_spend=None if s.mean_spend is None else round(s.mean_spend, 2),
                )
            )
            if len(pending) == WRITE_BATCH:
                Standing.objects.bulk_create(pending)
                pending = []
        Standing.objects.bulk_create(pending)
    finally:
        Standing.objects.filter(snapshot=run).delete()
        run.delete()
    return standings


def differences(naive: list[NaiveStanding], snapshot_id: int) -> list[str]:
    """Where the snapshot's standings disagree with the naive ones on what both compute
    alike (visits, visit days, first and last visit, median gap)."""
    from regulars.loyalty.models import Standing

    rows = Standing.objects.filter(
        snapshot_id=snapshot_id, customer_id__in=[s.customer for s in naive]
    ).values_list("customer_id", *COMPARED, "gap_median")
    fast = {row[0]: row[1:] for row in rows}
    found: list[str] = []
    for s in naive:
        row = fast.get(s.customer)
        if row is None:
            found.append(f"customer {s.customer}: no standing in the snapshot")
            continue
        expected = (s.visits, s.visit_days, s.first_at, s.last_at)
        for name, got, value in zip(COMPARED, row[:4], expected, strict=True):
            if got != value:
                found.append(f"customer {s.customer}: {name} {got} != naive {value}")
        gap = row[4]
        if (gap is None) != (s.gap_median is None) or (
            gap is not None and s.gap_median is not None and abs(gap - s.gap_median) > 1e-9
        ):
            found.append(f"customer {s.customer}: gap_median {gap} != naive {s.gap_median}")
    return found


def customers_without_standing(
    customer_ids: list[int], naive: list[NaiveStanding], snapshot_id: int
) -> list[int]:
    """Sampled customers the naive found no visit for but the snapshot has a standing."""
    from regulars.loyalty.models import Standing

    seen = {s.customer for s in naive}
    missing = [c for c in customer_ids if c not in seen]
    return list(
        Standing.objects.filter(snapshot_id=snapshot_id, customer_id__in=missing).values_list(
            "customer_id", flat=True
        )
    )
