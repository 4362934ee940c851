"""Reads shared by views, the API and the CLI; the permission-checked getter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from regulars.accounts.access import check
from regulars.core.permissions import Capability
from regulars.customers.models import Consent, ConsentChannel, Customer, Preference, PreferenceKind


def get_customer_for(
    user: Any, public_id: str, capability: Capability = Capability.VIEW_CUSTOMERS
) -> Customer:
    """The one way a view finds a customer: 403 without the capability, 404 if absent."""
    check(user, capability)
    try:
        return Customer.objects.select_related("home_location").get(public_id=public_id)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class CustomerFilter:
    tag: str = ""
    location_id: int | None = None
    seen_since: datetime | None = None
    not_seen_since: datetime | None = None
    query: str = ""
    order: str = "recent"  # "recent" | "name" | "visits"


ORDERS: dict[str, tuple[str, ...]] = {
    "recent": ("-last_visit_at", "id"),
    "name": ("family_name", "given_name", "id"),
    "visits": ("-visit_count", "id"),
}


def customer_list(flt: CustomerFilter) -> QuerySet[Customer]:
    """Customers for the list page: everything a row shows, in a fixed number of queries."""
    qs = Customer.objects.select_related("home_location").prefetch_related(
        "tags",
        "phones",
        Prefetch(
            "preferences",
            queryset=Preference.objects.filter(kind=PreferenceKind.ALLERGY),
            to_attr="allergies",
        ),
    )
    if flt.tag:
        qs = qs.filter(tags__name__iexact=flt.tag)
    if flt.location_id is not None:
        qs = qs.filter(home_location_id=flt.location_id)
    if flt.seen_since is not None:
        qs = qs.filter(last_visit_at__gte=flt.seen_since)
    if flt.not_seen_since is not None:
        qs = qs.filter(Q(last_visit_at__lt=flt.not_seen_since) | Q(last_visit_at__isnull=True))
    if flt.query:
        term = flt.query.strip()
        qs = qs.filter(
            Q(given_name__icontains=term)
            | Q(family_name__icontains=term)
            | Q(preferred_name__icontains=term)
            | Q(organisation_name__icontains=term)
            | Q(email__icontains=term.lower())
        )
    return qs.order_by(*ORDERS.get(flt.order, ORDERS["recent"]))


def consent_in_force(customer: Customer) -> dict[str, Consent | None]:
    """The latest consent decision per channel (None where nothing was ever recorded)."""
    state: dict[str, Consent | None] = dict.fromkeys(ConsentChannel.values)
    for consent in customer.consents.order_by("channel", "-at", "-id"):
        if state[consent.channel] is None:
            state[consent.channel] = consent
    return state
