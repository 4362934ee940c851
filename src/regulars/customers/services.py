"""Every write to customer memory. Each call is one transaction, records provenance
for the facts it writes and an audit entry naming the fields it touched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from regulars.core import audit
from regulars.core.models import AuditAction, Fact, Source
from regulars.core.occasions import validate_month_day
from regulars.customers.models import (
    Consent,
    ConsentChannel,
    Customer,
    CustomerKind,
    CustomOccasion,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    PhoneLabel,
    Preference,
    Tag,
)
from regulars.customers.phones import normalize_phone
from regulars.customers.search import index_customers

F = TypeVar("F", bound=Fact)

# Scalar fields of Customer that hold personal data a user may edit.
EDITABLE_FIELDS: tuple[str, ...] = (
    "kind",
    "given_name",
    "family_name",
    "patronymic",
    "preferred_name",
    "organisation_name",
    "title",
    "address_form",
    "language",
    "email",
    "postal_address",
    "birth_month",
    "birth_day",
    "birth_year",
    "nameday_month",
    "nameday_day",
    "first_met_on",
    "how_met",
    "home_location",
    "notes",
    "gifts",
    "external_ref",
)

# What each fact kind is called in the audit log.
_SUBJECT: dict[type[models.Model], str] = {
    Phone: "phone",
    Preference: "preference",
    HouseholdMember: "household",
    Pet: "pet",
    CustomOccasion: "occasion",
    OrganisationContact: "contact",
}


def _validate_dates(values: Mapping[str, Any]) -> None:
    for prefix in ("birth", "nameday"):
        month, day = values.get(f"{prefix}_month"), values.get(f"{prefix}_day")
        if (month is None) != (day is None):
            raise ValueError(f"{prefix}: give both month and day, or neither")
        if month is not None and day is not None:
            validate_month_day(month, day, values.get(f"{prefix}_year"))


def _clean_email(value: str) -> str:
    return value.strip().lower()


@transaction.atomic
def create_customer(
    *,
    actor: Any,
    source: Source = Source.STAFF,
    phones: Iterable[tuple[str, str]] = (),
    tags: Iterable[str] = (),
    region: str = "",
    **fields: Any,
) -> Customer:
    """Create a customer from the fields given (names of Customer fields).

    ``phones`` are (raw number, label) pairs normalised with ``region``; a bad one
    raises PhoneError before anything is written.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not customer fields: {sorted(unknown)}")
    _validate_dates(fields)
    if "email" in fields:
        fields["email"] = _clean_email(fields["email"])
    normalized = [(normalize_phone(raw, region), label) for raw, label in phones]
    customer = Customer(**fields)
    given = [name for name, value in fields.items() if value not in ("", None)]
    customer.set_provenance(given, source=source, by=actor)
    customer.save()
    for number, label in dict(normalized).items():
        Phone.objects.create(
            customer=customer,
            number=number,
            label=label or PhoneLabel.MOBILE,
            source=source,
            entered_by=_user(actor),
        )
    if tags:
        _set_tags(customer, tags)
    index_customers([customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        subject="customer",
        customer_ref=customer.public_id,
        fields=given + (["phones"] if normalized else []) + (["tags"] if tags else []),
    )
    return customer


@transaction.atomic
def update_customer(
    *, actor: Any, customer: Customer, changes: Mapping[str, Any], source: Source = Source.STAFF
) -> list[str]:
    """Apply ``changes``; returns the names of the fields that really changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not customer fields: {sorted(unknown)}")
    merged = {name: getattr(customer, name) for name in EDITABLE_FIELDS} | dict(changes)
    _validate_dates(merged)
    changed: list[str] = []
    for name, value in changes.items():
        if name == "email":
            value = _clean_email(value)
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if not changed:
        return []
    customer.set_provenance(changed, source=source, by=actor)
    customer.updated_at = timezone.now()
    customer.save(update_fields=[*changed, "provenance", "updated_at"])
    index_customers([customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE,
        subject="customer",
        customer_ref=customer.public_id,
        fields=changed,
    )
    return changed


@transaction.atomic
def delete_customer(*, actor: Any, customer: Customer) -> None:
    """Delete a customer and every fact about them; visits stay, anonymous."""
    ref = customer.public_id
    customer.delete()
    audit.record(actor=actor, action=AuditAction.DELETE, subject="customer", customer_ref=ref)


def record_view(*, actor: Any, customer: Customer) -> None:
    audit.record(
        actor=actor, action=AuditAction.VIEW, subject="customer", customer_ref=customer.public_id
    )


@transaction.atomic
def add_fact(
    model: type[F], *, actor: Any, customer: Customer, source: Source = Source.STAFF, **values: Any
) -> F:
    """Add one household member, pet, custom occasion or preference."""
    if model in (HouseholdMember, Pet):
        _validate_dates(values)
    if model is CustomOccasion:
        validate_month_day(values["month"], values["day"], values.get("year"))
    if model is OrganisationContact:
        raise TypeError("use link_contact for organisation contacts")
    fact = model(customer=customer, source=source, entered_by=_user(actor), **values)
    fact.save()
    if model is HouseholdMember:
        index_customers([customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        subject=_SUBJECT[model],
        customer_ref=customer.public_id,
        fields=sorted(values),
    )
    return fact


@transaction.atomic
def remove_fact(*, actor: Any, fact: Fact) -> None:
    owner: Customer = fact.organisation if isinstance(fact, OrganisationContact) else fact.customer  # type: ignore[attr-defined]
    subject = _SUBJECT[type(fact)]
    fact.delete()
    if isinstance(fact, (Phone, HouseholdMember)):
        index_customers([owner.pk])
    audit.record(
        actor=actor, action=AuditAction.DELETE, subject=subject, customer_ref=owner.public_id
    )


@transaction.atomic
def add_phone(
    *,
    actor: Any,
    customer: Customer,
    raw: str,
    region: str,
    label: str = PhoneLabel.MOBILE,
    source: Source = Source.STAFF,
) -> Phone:
    """Add a phone (normalised to E.164); adding a number the customer has is a no-op."""
    number = normalize_phone(raw, region)
    phone, created = Phone.objects.get_or_create(
        customer=customer,
        number=number,
        defaults={"label": label, "source": source, "entered_by": _user(actor)},
    )
    if created:
        index_customers([customer.pk])
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            subject="phone",
            customer_ref=customer.public_id,
            fields=["number"],
        )
    return phone


@transaction.atomic
def link_contact(
    *,
    actor: Any,
    organisation: Customer,
    person: Customer,
    role: str,
    source: Source = Source.STAFF,
) -> OrganisationContact:
    if organisation.kind != CustomerKind.ORGANISATION:
        raise ValueError("contacts belong to an organisation")
    if person.kind != CustomerKind.PERSON or person.pk == organisation.pk:
        raise ValueError("a contact is a person")
    contact, _created = OrganisationContact.objects.update_or_create(
        organisation=organisation,
        person=person,
        defaults={"role": role, "source": source, "entered_by": _user(actor)},
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE,
        subject="contact",
        customer_ref=organisation.public_id,
        fields=["role"],
    )
    return contact


@transaction.atomic
def set_tags(*, actor: Any, customer: Customer, names: Iterable[str]) -> list[str]:
    result = _set_tags(customer, names)
    index_customers([customer.pk])
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE,
        subject="customer",
        customer_ref=customer.public_id,
        fields=["tags"],
    )
    return result


def _set_tags(customer: Customer, names: Iterable[str]) -> list[str]:
    wanted: dict[str, str] = {}
    for name in names:
        clean = " ".join(name.split())[:40]
        if clean:
            wanted.setdefault(clean.casefold(), clean)
    tags = [get_or_create_tag(name) for name in wanted.values()]
    customer.tags.set(tags)
    return [t.name for t in tags]


def get_or_create_tag(name: str) -> Tag:
    existing = Tag.objects.filter(name__iexact=name).first()
    return existing or Tag.objects.create(name=name)


@transaction.atomic
def record_consent(
    *,
    actor: Any,
    customer: Customer,
    channel: ConsentChannel | str,
    granted: bool,
    method: str,
    proof: str = "",
    source: Source = Source.OFFERED,
) -> Consent:
    """Append a consent decision; the latest per channel is the one in force."""
    if channel not in ConsentChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not method.strip():
        raise ValueError("say how consent was given or withdrawn")
    consent = Consent.objects.create(
        customer=customer,
        channel=channel,
        granted=granted,
        method=method.strip()[:100],
        proof=proof,
        source=source,
        recorded_by=_user(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE,
        subject="consent",
        customer_ref=customer.public_id,
        fields=[str(channel)],
    )
    return consent


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
