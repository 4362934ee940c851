"""Reads shared by views, the API and the CLI; the permission-checked getter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404

from regulars.accounts.access import check
from regulars.core.models import Fact, Source
from regulars.core.permissions import Capability
from regulars.customers.models import (
    AddressForm,
    Consent,
    ConsentChannel,
    Customer,
    CustomerKind,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    Preference,
    PreferenceKind,
    Tag,
)

FactT = TypeVar("FactT", bound=Fact)


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


# Never-seen customers go last on every database (PostgreSQL sorts NULL first in DESC).
ORDERS: dict[str, tuple[str | OrderBy, ...]] = {
    "recent": (F("last_visit_at").desc(nulls_last=True), "id"),
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


# --- The profile page ---------------------------------------------------------------


@dataclass(frozen=True)
class Provenance:
    """Where one fact came from, for the discreet line under it on the profile."""

    source: str  # a Source value
    source_label: str
    at: datetime | None
    by: str  # the username, "" when unknown


def _provenance(source: str, at: datetime | None, by: str) -> Provenance:
    label = Source(source).label if source in Source.values else source
    return Provenance(source=source, source_label=str(label), at=at, by=by)


def fact_provenance(fact: Fact) -> Provenance:
    """The provenance of a household member, pet, preference, phone or contact.

    Select ``entered_by`` with the fact, or this costs a query per fact.
    """
    user = fact.entered_by
    return _provenance(fact.source, fact.entered_at, user.get_username() if user else "")


def field_provenance(customer: Customer) -> dict[str, Provenance]:
    """Provenance of each scalar field that has one, usernames resolved in one query."""
    raw = customer.provenance if isinstance(customer.provenance, dict) else {}
    stamps = {name: s for name, s in raw.items() if isinstance(s, dict)}
    ids = {s["by"] for s in stamps.values() if isinstance(s.get("by"), int)}
    names: dict[int, str] = (
        dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
        if ids
        else {}
    )
    result: dict[str, Provenance] = {}
    for name, stamp in stamps.items():
        try:
            at = datetime.fromisoformat(stamp["at"]) if stamp.get("at") else None
        except (TypeError, ValueError):
            at = None
        by = stamp.get("by")
        username = names.get(by, "") if isinstance(by, int) else ""
        result[name] = _provenance(str(stamp.get("source", "")), at, username)
    return result


def address_as(customer: Customer) -> str:
    """How staff should address the customer, following their form of address."""
    given = customer.preferred_name or customer.given_name
    title_surname = " ".join(p for p in (customer.title, customer.family_name) if p)
    forms: dict[str, str] = {
        AddressForm.FIRST_NAME: given,
        AddressForm.INFORMAL: given,
        AddressForm.TITLE_SURNAME: title_surname,
        AddressForm.NAME_PATRONYMIC: " ".join(
            p for p in (customer.given_name, customer.patronymic) if p
        ),
        # Formal: "Dr Rossi" when there is a title, else the full name (a bare
        # surname reads as curt, not formal).
        AddressForm.FORMAL: title_surname
        if customer.title and customer.family_name
        else " ".join(p for p in (customer.given_name, customer.family_name) if p),
    }
    return forms.get(customer.address_form, "") or customer.display_name


@dataclass
class CustomerProfile:
    """Everything the profile page shows about one customer, read in a fixed number of
    queries. ``visits`` comes through the reverse relation so this module needs no
    import from the service app (which sits above customers)."""

    customer: Customer
    address_as: str
    provenance: dict[str, Provenance]
    phones: list[Phone]
    tags: list[Tag]
    household: list[HouseholdMember]
    pets: list[Pet]
    preferences: list[Preference]
    contacts: list[OrganisationContact]  # an organisation's people
    organisations: list[OrganisationContact]  # the organisations a person acts for
    consent: dict[str, Consent | None]
    consent_history: list[Consent]
    visits: list[Any]
    more_visits: bool

    @property
    def consent_rows(self) -> list[tuple[str, Consent | None]]:
        """(channel label, decision in force or None) for every channel."""
        return [(str(ConsentChannel(c).label), self.consent[c]) for c in ConsentChannel.values]

    @property
    def allergies(self) -> list[Preference]:
        return [p for p in self.preferences if p.kind == PreferenceKind.ALLERGY]

    @property
    def dietary(self) -> list[Preference]:
        return [p for p in self.preferences if p.kind == PreferenceKind.DIETARY]


PROFILE_VISITS = 20


def customer_profile(customer: Customer, *, visit_limit: int = PROFILE_VISITS) -> CustomerProfile:
    def with_provenance(items: Iterable[FactT]) -> list[FactT]:
        rows = list(items)
        for row in rows:
            row.provenance = fact_provenance(row)  # type: ignore[attr-defined]
        return rows

    visits = list(visit_history(customer)[: visit_limit + 1])
    return CustomerProfile(
        customer=customer,
        address_as=address_as(customer),
        provenance=field_provenance(customer),
        phones=with_provenance(customer.phones.select_related("entered_by")),
        tags=list(customer.tags.all()),
        household=with_provenance(customer.household.select_related("entered_by")),
        pets=with_provenance(customer.pets.select_related("entered_by")),
        preferences=with_provenance(customer.preferences.select_related("entered_by")),
        contacts=with_provenance(customer.contacts.select_related("person", "entered_by")),
        organisations=with_provenance(
            customer.organisations.select_related("organisation", "entered_by")
        ),
        consent=consent_in_force(customer),
        consent_history=list(customer.consents.select_related("recorded_by")),
        visits=visits[:visit_limit],
        more_visits=len(visits) > visit_limit,
    )


def visit_history(customer: Customer) -> QuerySet[Any]:
    """The customer's visits, newest first, with what a history row shows."""
    return (
        customer.visits.select_related("location", "staff", "contact_person")
        .prefetch_related("lines")
        .order_by("-at", "-id")
    )


def find_people(text: str, *, limit: int = 6) -> list[Customer]:
    """People (not organisations) matching a public id exactly or a name/email fragment:
    how an organisation's profile finds the person to link as a contact."""
    term = text.strip()
    if not term:
        return []
    people = Customer.objects.filter(kind=CustomerKind.PERSON)
    exact = list(people.filter(public_id=term.lower())[:1])
    if exact:
        return exact
    return list(
        customer_list(CustomerFilter(query=term, order="name")).filter(kind=CustomerKind.PERSON)[
            :limit
        ]
    )
