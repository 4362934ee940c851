"""Waiting: staff mark when a customer started waiting and when they were served; the
wait goes onto the visit (``Visit.wait_seconds``), from which the wait figures come.

A known customer's wait joins the visit logged for them at that location on the same
local day, whichever is recorded first (``serve`` finds a visit already logged since the
wait began; ``attach_to_visit``, called when a visit is logged, finds a wait served
before it). An anonymous walk-in's visit is logged when they are served.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.access import check
from regulars.accounts.models import Location
from regulars.core.localtime import day_bounds_utc, local_today
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.service.models import Visit, Wait

MAX_WAIT_SECONDS = 86400  # Visit.wait_seconds is at most a day


def _moment(at: datetime | None) -> datetime:
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("wait times must be timezone-aware")
    return moment


@transaction.atomic
def start_waiting(
    *, actor: Any, location: Location, customer: Customer | None = None, at: datetime | None = None
) -> Wait:
    """Mark that ``customer`` (None: an anonymous walk-in) started waiting now. A
    customer already waiting there keeps their first mark (a double click adds none)."""
    check(actor, Capability.LOG_VISITS, location.pk)
    moment = _moment(at)
    if customer is not None:
        waiting = Wait.objects.filter(
            location=location, customer=customer, served_at__isnull=True
        ).first()
        if waiting is not None:
            return waiting
    return Wait.objects.create(
        location=location, customer=customer, started_at=moment, started_by=actor
    )


def _wait_seconds(wait: Wait) -> int:
    seconds = wait.seconds or 0
    return min(seconds, MAX_WAIT_SECONDS)


@transaction.atomic
def serve(*, actor: Any, wait: Wait, at: datetime | None = None) -> Wait:
    """Mark that the waiting customer is being served. Their wait joins today's visit
    already logged for them (if any); an anonymous walk-in's visit is logged now."""
    from regulars.service.services import log_visit  # services imports this module

    check(actor, Capability.LOG_VISITS, wait.location_id)
    moment = _moment(at)
    if moment < wait.started_at:
        raise ValueError(_("Someone cannot be served before they started waiting."))
    written = Wait.objects.filter(pk=wait.pk, served_at__isnull=True).update(
        served_at=moment, served_by=actor
    )
    if not written:
        raise ValueError(_("This customer has already been marked as served."))
    wait.served_at, wait.served_by = moment, actor
    if wait.customer_id is None:
        walk_in = log_visit(
            actor=actor, location=wait.location, at=moment, wait_seconds=_wait_seconds(wait)
        )
        _link(wait, walk_in)
        return wait
    visit = (
        Visit.objects.filter(
            customer_id=wait.customer_id,
            location_id=wait.location_id,
            at__gte=wait.started_at,
            at__lt=day_bounds_utc(
                local_today(wait.location.timezone, wait.started_at), wait.location.timezone
            )[1],
            wait__isnull=True,
        )
        .order_by("at", "id")
        .first()
    )
    if visit is not None:
        _link(wait, visit)
    return wait


def _link(wait: Wait, visit: Visit) -> None:
    seconds = _wait_seconds(wait)
    Visit.objects.filter(pk=visit.pk).update(wait_seconds=seconds)
    Wait.objects.filter(pk=wait.pk).update(visit=visit)
    visit.wait_seconds, wait.visit = seconds, visit


def attach_to_visit(visit: Visit) -> Wait | None:
    """Give a just-logged visit the wait of its customer served there earlier the same
    local day and not yet on a visit. Called by ``services.log_visit``."""
    if visit.customer_id is None or visit.wait_seconds is not None:
        return None
    day_start, _day_end = day_bounds_utc(
        local_today(visit.location.timezone, visit.at), visit.location.timezone
    )
    wait = (
        Wait.objects.filter(
            customer_id=visit.customer_id,
            location_id=visit.location_id,
            served_at__isnull=False,
            served_at__lte=visit.at,
            started_at__gte=day_start,
            visit__isnull=True,
        )
        .order_by("-served_at", "-id")
        .first()
    )
    if wait is not None:
        _link(wait, visit)
    return wait


@transaction.atomic
def cancel_waiting(*, actor: Any, wait: Wait) -> None:
    """Remove a mark made by mistake (or a customer who left unserved)."""
    check(actor, Capability.LOG_VISITS, wait.location_id)
    if wait.served_at is not None:
        raise ValueError(_("This customer has already been marked as served."))
    Wait.objects.filter(pk=wait.pk, served_at__isnull=True).delete()


def waiting_now(location: Location) -> QuerySet[Wait]:
    """Who is waiting at ``location`` now, longest first."""
    return (
        Wait.objects.filter(location=location, served_at__isnull=True)
        .select_related("customer")
        .order_by("started_at", "id")
    )
