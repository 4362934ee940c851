"""customers.services (every write) and the profile reads in customers.queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from regulars.core.models import AuditAction, AuditEntry, Source
from regulars.customers import queries, services
from regulars.customers.models import (
    Customer,
    CustomerKind,
    HouseholdMember,
    Phone,
    Preference,
    Tag,
)
from regulars.customers.phones import PhoneError
from tests.conftest import World
from tests.factories import CustomerFactory


def test_create_customer_records_provenance_phones_tags_and_an_audit_entry(
    world: World,
) -> None:
    staff = world.users["staff"]
    customer = services.create_customer(
        actor=staff,
        source=Source.OFFERED,
        given_name="Анна",
        email=" Anna@Example.COM ",
        phones=[("333 123 4567", "mobile"), ("+39 333 123 4567", "home")],
        tags=["VIP", "vip", "Regular"],
        region="IT",
    )
    assert customer.email == "anna@example.com"
    assert customer.provenance["given_name"]["source"] == "offered"
    assert customer.provenance["given_name"]["by"] == staff.pk
    assert list(customer.phones.values_list("number", flat=True)) == ["+393331234567"]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["Regular", "VIP"]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.customer_ref) == (AuditAction.CREATE, customer.public_id)


def test_create_customer_with_a_bad_phone_writes_nothing(world: World) -> None:
    with pytest.raises(PhoneError):
        services.create_customer(
            actor=world.users["staff"], given_name="Anna", phones=[("12", "mobile")], region="IT"
        )
    assert Customer.objects.count() == 0


def test_update_customer_returns_and_audits_only_real_changes(world: World) -> None:
    customer = CustomerFactory(given_name="Anna", family_name="Rossi")
    changed = services.update_customer(
        actor=world.users["staff"],
        customer=customer,
        changes={"given_name": "Anna", "family_name": "Bianchi"},
    )
    assert changed == ["family_name"]
    assert (
        services.update_customer(
            actor=world.users["staff"], customer=customer, changes={"family_name": "Bianchi"}
        )
        == []
    )
    assert AuditEntry.objects.get().fields == ["family_name"]


def test_update_customer_refuses_an_impossible_birthday(world: World) -> None:
    customer = CustomerFactory()
    with pytest.raises(ValueError, match="no such day"):
        services.update_customer(
            actor=None, customer=customer, changes={"birth_month": 2, "birth_day": 30}
        )


def test_set_tags_reuses_existing_tags_case_insensitively(world: World) -> None:
    Tag.objects.create(name="VIP")
    customer = CustomerFactory()
    assert services.set_tags(actor=None, customer=customer, names=["vip", " Nuovo  cliente "]) == [
        "VIP",
        "Nuovo cliente",
    ]
    assert Tag.objects.count() == 2


def test_add_phone_twice_keeps_one_number(world: World) -> None:
    customer = CustomerFactory()
    services.add_phone(actor=None, customer=customer, raw="333 123 4567", region="IT")
    services.add_phone(actor=None, customer=customer, raw="+393331234567", region="DK")
    assert Phone.objects.filter(customer=customer).count() == 1


def test_remove_fact_deletes_and_audits(world: World) -> None:
    customer = CustomerFactory()
    member = services.add_fact(
        HouseholdMember, actor=world.users["staff"], customer=customer, name="Marco"
    )
    services.remove_fact(actor=world.users["staff"], fact=member)
    assert HouseholdMember.objects.count() == 0
    assert list(AuditEntry.objects.values_list("action", "subject").order_by("id")) == [
        ("create", "household"),
        ("delete", "household"),
    ]


def test_link_contact_needs_an_organisation_and_a_person(world: World) -> None:
    person = CustomerFactory()
    other = CustomerFactory()
    with pytest.raises(ValueError, match="organisation"):
        services.link_contact(actor=None, organisation=person, person=other, role="buyer")


def test_the_latest_consent_per_channel_is_in_force(world: World) -> None:
    customer = CustomerFactory()
    services.record_consent(
        actor=None, customer=customer, channel="email", granted=True, method="form"
    )
    services.record_consent(
        actor=None, customer=customer, channel="email", granted=False, method="phone call"
    )
    in_force = queries.consent_in_force(customer)
    assert in_force["email"] is not None
    assert (in_force["email"].granted, in_force["email"].method) == (False, "phone call")
    assert in_force["sms"] is None


# --- queries -------------------------------------------------------------------------


def test_get_customer_for_refuses_outsiders_and_404s_unknown_ids(world: World) -> None:
    customer = CustomerFactory()
    with pytest.raises(PermissionDenied):
        queries.get_customer_for(world.users["outsider"], customer.public_id)
    with pytest.raises(Http404):
        queries.get_customer_for(world.users["staff"], str(customer.pk))
    assert queries.get_customer_for(world.users["staff"], customer.public_id) == customer


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"address_form": "first_name", "given_name": "Giulia", "preferred_name": "Giuli"},
            "Giuli",
        ),
        (
            {"address_form": "title_surname", "title": "Dott.ssa", "family_name": "Rossi"},
            "Dott.ssa Rossi",
        ),
        (
            {"address_form": "name_patronymic", "given_name": "Анна", "patronymic": "Петровна"},
            "Анна Петровна",
        ),
        (
            {"address_form": "formal", "given_name": "Giulia", "family_name": "Rossi"},
            "Giulia Rossi",
        ),
    ],
)
def test_address_as_follows_the_form_of_address(fields: dict[str, str], expected: str) -> None:
    defaults = {"given_name": "", "family_name": "", "title": "", "preferred_name": ""}
    assert queries.address_as(Customer(**(defaults | fields))) == expected


def test_the_profile_resolves_who_entered_each_fact(world: World) -> None:
    staff = world.users["staff"]
    customer = services.create_customer(actor=staff, source=Source.OFFERED, given_name="Anna")
    services.add_fact(Preference, actor=staff, customer=customer, kind="allergy", text="nuts")
    services.add_fact(Preference, actor=staff, customer=customer, kind="like", text="tea")

    profile = queries.customer_profile(customer)

    assert profile.provenance["given_name"].by == "staff"
    assert profile.provenance["given_name"].source == "offered"
    assert [p.text for p in profile.allergies] == ["nuts"]
    assert profile.preferences[0].provenance.by == "staff"
    assert profile.visits == []
    assert profile.more_visits is False


def test_find_people_matches_names_and_ids_but_not_organisations(world: World) -> None:
    anna = CustomerFactory(given_name="Anna", family_name="Neri")
    CustomerFactory(kind=CustomerKind.ORGANISATION, organisation_name="Anna's Bar")
    assert queries.find_people("anna") == [anna]
    assert queries.find_people(anna.public_id) == [anna]
    assert queries.find_people("   ") == []
