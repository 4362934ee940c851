"""Every write to visits, keeping the customer's visit counters in step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from regulars.accounts.access import check
from regulars.accounts.models import Location
from regulars.core import audit
from regulars.core.models import AuditAction
from regulars.core.money import quantize
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.search import index_customers
from regulars.service import events, waiting
from regulars.service.models import Channel, Visit, VisitLine


@transaction.atomic
def log_visit(
    *,
    actor: Any,
    location: Location,
    customer: Customer | None = None,
    contact_person: Customer | None = None,
    at: datetime | None = None,
    channel: Channel | str = Channel.IN_PERSON,
    amount: Decimal | None = None,
    had: str = "",
    lines: Iterable[tuple[str, Decimal, Decimal | None]] = (),
    wait_seconds: int | None = None,
    note: str = "",
) -> Visit:
    """Log one visit at ``location`` (the actor must hold LOG_VISITS there).

    ``amount`` is in the location's currency. ``at`` defaults to now and must be aware.
    ``lines`` are (description, quantity, line total or None); quantities are positive.
    Without an ``amount``, a visit whose every line has an amount costs their sum.
    """
    check(actor, Capability.LOG_VISITS, location.pk)
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("visit time must be timezone-aware")
    if wait_seconds is not None and not 0 <= wait_seconds <= 86400:
        raise ValueError("a queue wait is between 0 seconds and a day")
    if amount is not None and amount < 0:
        raise ValueError("an amount cannot be negative")
    if contact_person is not None and (customer is None or not customer.is_organisation):
        raise ValueError("a contact person is named only for an organisation's visit")
    items = [(d, q, None if a is None else quantize(a, location.currency)) for d, q, a in lines]
    if any(q <= 0 or (a is not None and a < 0) for _, q, a in items):
        raise ValueError("an item line needs a positive quantity and no negative amount")
    if amount is None and items and all(a is not None for _, _, a in items):
        amount = sum((a for _, _, a in items if a is not None), Decimal(0))
    visit = Visit.objects.create(
        customer=customer,
        contact_person=contact_person,
        location=location,
        staff=actor,
        at=moment,
        channel=channel,
        amount=None if amount is None else quantize(amount, location.currency),
        currency=location.currency if amount is not None else "",
        had=had,
        wait_seconds=wait_seconds,
        note=note,
    )
    VisitLine.objects.bulk_create(
        VisitLine(visit=visit, description=d, quantity=q, amount=a) for d, q, a in items
    )
    waiting.attach_to_visit(visit)
    if customer is not None:
        Customer.objects.filter(pk=customer.pk).update(
            visit_count=F("visit_count") + 1,
            first_visit_at=Least(Coalesce("first_visit_at", moment), moment),
            last_visit_at=Greatest(Coalesce("last_visit_at", moment), moment),
        )
        index_customers([customer.pk])
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            subject="visit",
            customer_ref=customer.public_id,
            fields=["visit"],
        )
    events.after_visit_logged(visit)
    return visit


@transaction.atomic
def refresh_visit_stats(customer_ids: Iterable[int]) -> int:
    """Recompute visit_count / first / last visit for these customers from their visits.

    Used after bulk writes (imports, the demo). One UPDATE per call; returns rows updated.
    """
    ids = list(customer_ids)
    if not ids:
        return 0
    visits = Visit.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    updated = Customer.objects.filter(pk__in=ids).update(
        visit_count=Coalesce(Subquery(visits.annotate(n=Count("id")).values("n")), 0),
        first_visit_at=Subquery(visits.annotate(m=Min("at")).values("m")),
        last_visit_at=Subquery(visits.annotate(m=Max("at")).values("m")),
    )
    # The index orders by when customers were last seen.
    index_customers(ids)
    return updated
