"""Snapshots and standings made directly, as the snapshot job would leave them, for the
loyalty pages' tests (the job itself is tested on its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from regulars.accounts.models import Location
from regulars.customers.models import Customer
from regulars.loyalty.models import RunStatus, Snapshot, Stage, Standing

AS_OF = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # the night the snapshot was taken

MONDAY_TO_FRIDAY = 0b0011111
SATURDAY = 0b0100000


def make_snapshot(
    *,
    as_of: datetime = AS_OF,
    status: str = RunStatus.DONE,
    method: str = "model",
    figures: dict[str, Any] | None = None,
    warnings: list[dict[str, Any]] | None = None,
    error: str = "",
    currency: str = "EUR",
    total_value: Decimal | None = None,
    customers: int = 0,
    visits: int = 0,
) -> Snapshot:
    return Snapshot.objects.create(
        day=as_of.date(),
        as_of=as_of,
        started_at=as_of,
        finished_at=as_of + timedelta(minutes=3) if status != RunStatus.RUNNING else None,
        status=status,
        method=method if status == RunStatus.DONE else "",
        figures=figures if figures is not None else {"horizon_days": 90, "clv_days": 365},
        warnings=warnings or [],
        error=error,
        currency=currency,
        total_value=total_value,
        customers=customers,
        visits=visits,
    )


def make_standing(
    snapshot: Snapshot,
    customer: Customer,
    *,
    stage: Stage = Stage.REGULAR,
    location: Location | None = None,
    since_days: float = 30,
    last_days: float | None = 3,
    **fields: Any,
) -> Standing:
    """A standing with a plausible rhythm; ``last_days``: days before the snapshot of the
    last visit (None: never)."""
    last = snapshot.as_of - timedelta(days=last_days) if last_days is not None else None
    values: dict[str, Any] = {
        "visits": 12,
        "visit_days": 12,
        "first_visit_at": snapshot.as_of - timedelta(days=200),
        "last_visit_at": last,
        "gap_median": 7.0,
        "gap_low": 6.0,
        "gap_high": 8.0,
        "weekdays": 0,
        "part_of_day": None,
        "p_alive": 0.9,
        "expected_visits": 8.5,
        "p_return": 0.95,
        "expected_spend": Decimal("7.50"),
        "value": Decimal("420.00"),
        "value_at_risk": Decimal(0),
        "rfm": 444,
        "currency": snapshot.currency,
        **fields,
    }
    # Ranked by what is at stake: within one currency the amount itself will do (a test
    # mixing currencies passes its own risk_score).
    values.setdefault("risk_score", float(values["value_at_risk"]) / 100)
    return Standing.objects.create(
        snapshot=snapshot,
        customer=customer,
        location=location,
        stage=stage,
        stage_since=snapshot.as_of - timedelta(days=since_days),
        **values,
    )
