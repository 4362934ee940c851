"""The demo's loyalty history: monthly snapshots over the last half year and today's, so
the loyalty dashboard has stages that moved (flows, customers won back) and the profiles
a stage history. Each past snapshot sees only the visits up to its own moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from regulars.loyalty.models import RunStatus, Stage, Standing
from regulars.loyalty.services import take_snapshot

HISTORY_MONTHS = 6


@dataclass
class LoyaltySummary:
    """What ``write_loyalty`` made, for the demo's summary and the tests."""

    snapshots: int = 0
    method: str = ""
    stages: dict[str, int] = field(default_factory=dict)
    # (location, customer): the customer at risk with the most value at stake, per location.
    check_on: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        if not self.snapshots:
            return "Loyalty: no snapshot (no visits)."
        sizes = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in self.stages.items())
        text = f"Loyalty: {self.snapshots} nightly snapshots ({self.method}); today {sizes}."
        for location, name in self.check_on:
            text += f"\nWho to check on at {location}: {name} (at risk, the most value at stake)."
        return text


def write_loyalty(now: datetime) -> LoyaltySummary:
    """Take the half-year of monthly snapshots and today's (about a second each)."""
    summary = LoyaltySummary()
    for months in range(HISTORY_MONTHS, 0, -1):
        run = take_snapshot(now - timedelta(days=30 * months), history=True)
        summary.snapshots += run is not None and run.status == RunStatus.DONE
    today = take_snapshot(now)
    if today is None or today.status != RunStatus.DONE:
        return summary
    summary.snapshots += 1
    summary.method = today.method
    summary.stages = dict(today.figures.get("stages", {}))
    at_risk = (
        Standing.objects.filter(snapshot=today, stage=Stage.AT_RISK)
        .select_related("customer", "location")
        .order_by("location__name", "-value_at_risk", "customer_id")
    )
    seen: set[int] = set()
    for standing in at_risk:
        place = standing.location
        if place is None or place.pk in seen:
            continue
        seen.add(place.pk)
        summary.check_on.append((place.name, str(standing.customer)))
    return summary


__all__ = ["LoyaltySummary", "write_loyalty"]
