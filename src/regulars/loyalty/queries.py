"""Reads of the loyalty snapshots that the dashboard, the profile, the counter card and
the home page share. Pages read only the latest snapshot marked ``done``.

A *scope* is the list of location ids a reader looks at, or ``None`` for the whole
business (every standing, those of customers without a location too). Every read is
a fixed number of queries, whatever the number of customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from regulars.loyalty.models import RunStatus, Snapshot, Stage, Standing

Scope = Sequence[int] | None

HISTORY_LIMIT = 400
"""Standings read for a customer's stage history (the kept history is far shorter)."""


def _latest_done_id() -> Any:
    """A subquery: the id of the newest done snapshot."""
    # Served by the snapshot_status_as_of index.
    return Snapshot.objects.filter(status=RunStatus.DONE).order_by("-as_of", "-id").values("id")[:1]


def latest_done() -> Snapshot | None:
    """The snapshot the pages show: the newest done one."""
    return Snapshot.objects.filter(status=RunStatus.DONE).order_by("-as_of", "-id").first()


def newest_run() -> Snapshot | None:
    """The newest run, whatever its status (a failed or running one is only reported)."""
    return Snapshot.objects.order_by("-as_of", "-id").first()


def previous_done(snapshot: Snapshot) -> Snapshot | None:
    """The done snapshot just before ``snapshot`` (the flows are measured against it)."""
    return (
        Snapshot.objects.filter(status=RunStatus.DONE, as_of__lt=snapshot.as_of)
        .order_by("-as_of", "-id")
        .first()
    )


def current_standing(customer_id: int) -> Standing | None:
    """The customer's standing in the latest done snapshot, with that snapshot; one
    query (the latest run by its index, then the one-per-run unique index)."""
    return (
        Standing.objects.filter(customer_id=customer_id, snapshot_id=Subquery(_latest_done_id()))
        .select_related("snapshot")
        .first()
    )


def standing_history(customer_id: int) -> list[Standing]:
    """The customer's standings in done snapshots, newest first (one query)."""
    return list(
        Standing.objects.filter(customer_id=customer_id, snapshot__status=RunStatus.DONE)
        .select_related("snapshot", "location")
        .order_by("-snapshot__as_of", "-snapshot_id")[:HISTORY_LIMIT]
    )


def _in_scope(rows: QuerySet[Standing], scope: Scope) -> QuerySet[Standing]:
    return rows if scope is None else rows.filter(location_id__in=list(scope))


def stage_counts(snapshot: Snapshot, scope: Scope) -> dict[int, int]:
    """Customers per stage code in the scope (stages nobody is in are 0)."""
    rows = _in_scope(Standing.objects.filter(snapshot=snapshot), scope)
    counts = dict(
        rows.order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    return {stage.value: int(counts.get(stage.value, 0)) for stage in Stage}


def in_stage(snapshot: Snapshot, stage: int, scope: Scope) -> QuerySet[Standing]:
    """A stage's customers in the scope, the most at stake first (``risk_score``, which
    ranks across currencies; the standing_stage_risk index), with their customer and
    location."""
    return (
        _in_scope(Standing.objects.filter(snapshot=snapshot, stage=stage), scope)
        .select_related("customer", "location", "snapshot")
        .order_by("-risk_score", "id")
    )


def _valued_in(snapshot: Snapshot, scope: Scope, currency: str) -> QuerySet[Standing]:
    """The scope's standings valued in ``currency``. A snapshot taken before each
    customer had a currency of their own left it blank, every amount in the snapshot's
    currency; in a newer one a blank currency means nothing is known of the customer's
    spend (no value), so counting blanks in the snapshot's currency adds nothing there."""
    rows = _in_scope(Standing.objects.filter(snapshot=snapshot), scope)
    if currency == snapshot.currency:
        return rows.filter(Q(currency=currency) | Q(currency=""))
    return rows.filter(currency=currency)


def total_value(snapshot: Snapshot, scope: Scope, *, currency: str) -> Decimal | None:
    """The summed value of the scope's customers valued in ``currency`` (amounts of
    different currencies are never added); None when none of them has a value. One
    query, none for the whole business in the snapshot's (main) currency."""
    if scope is None and currency == snapshot.currency and snapshot.total_value is not None:
        return snapshot.total_value
    rows = _valued_in(snapshot, scope, currency)
    total: Decimal | None = rows.order_by().aggregate(total=Sum("value"))["total"]
    return total


def value_counts(
    snapshot: Snapshot, edges: Sequence[float], scope: Scope, *, currency: str
) -> list[int]:
    """How many of the scope's customers valued in ``currency`` have a value in each
    band ``edges[i]`` ≤ v < ``edges[i + 1]`` (edges in that currency), the first band
    open below and the last open above (as the snapshot job counts the whole business,
    its top edge being a high quantile); one query. Customers without a value are not
    counted."""
    if len(edges) < 2:
        return []
    bounds = [Decimal(str(edge)) for edge in edges]
    bands = len(bounds) - 1
    aggregates = {}
    for i in range(bands):
        band = Q(value__isnull=False)
        if i > 0:
            band &= Q(value__gte=bounds[i])
        if i < bands - 1:
            band &= Q(value__lt=bounds[i + 1])
        aggregates[f"band{i}"] = Count("id", filter=band)
    counted = _valued_in(snapshot, scope, currency).order_by().aggregate(**aggregates)
    return [int(counted[f"band{i}"]) for i in range(bands)]


@dataclass(frozen=True)
class Flow:
    """Customers who were in stage ``before`` (None: not in the previous snapshot) and
    are in ``now``."""

    before: int | None
    now: int
    customers: int


def flows(snapshot: Snapshot, previous: Snapshot, scope: Scope) -> list[Flow]:
    """Moves between stages from ``previous`` to ``snapshot`` of the scope's customers
    (by where they come most now); one query (the previous stage by the one-per-run
    unique index)."""
    before = Standing.objects.filter(snapshot=previous, customer_id=OuterRef("customer_id"))
    rows = (
        _in_scope(Standing.objects.filter(snapshot=snapshot), scope)
        .order_by()
        .annotate(before=Subquery(before.values("stage")[:1]))
        .values_list("before", "stage")
        .annotate(n=Count("id"))
        .values_list("before", "stage", "n")
    )
    return [Flow(before=b, now=s, customers=int(n)) for b, s, n in rows]


def check_on_counts(location_ids: Sequence[int]) -> dict[int, int]:
    """Customers at risk in the latest done snapshot per location (for the home page);
    one query."""
    if not location_ids:
        return {}
    rows = (
        Standing.objects.filter(
            snapshot_id=Subquery(_latest_done_id()),
            stage=Stage.AT_RISK,
            location_id__in=list(location_ids),
        )
        .order_by()
        .values_list("location_id")
        .annotate(n=Count("id"))
        .values_list("location_id", "n")
    )
    return {int(loc): int(n) for loc, n in rows}
