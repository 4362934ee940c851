"""The customer pages through the HTTP layer: access per persona, the list, the profile
and its inline editors (htmx and plain POST)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regulars.core.models import AuditAction, AuditEntry, Source
from regulars.customers import services
from regulars.customers.models import (
    Consent,
    Customer,
    CustomerKind,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    Preference,
)
from tests.conftest import World
from tests.factories import CustomerFactory, PhoneFactory, PreferenceFactory, VisitFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(world: World) -> Customer:
    return services.create_customer(
        actor=world.users["staff"],
        given_name="Giulia",
        family_name="Rossi",
        home_location=world.bologna,
        phones=[("333 123 4567", "mobile")],
        region="IT",
    )


def _status_for(persona: str, allowed: set[str]) -> int:
    if persona == "anonymous":
        return 302
    return 200 if persona in allowed else 403


EVERYONE = {"owner", "manager", "staff"}

PAGES: list[tuple[str, bool, set[str]]] = [
    ("customers:list", False, EVERYONE),
    ("customers:new", False, EVERYONE),
    ("customers:detail", True, EVERYONE),
    ("customers:edit", True, EVERYONE),
    ("customers:visits", True, EVERYONE),
    ("customers:delete", True, {"owner"}),
]


@pytest.mark.parametrize("persona", ["owner", "manager", "staff", "outsider", "anonymous"])
@pytest.mark.parametrize(("name", "needs_customer", "allowed"), PAGES)
def test_each_page_answers_each_persona_as_the_policy_says(
    world: World,
    customer: Customer,
    persona: str,
    name: str,
    needs_customer: bool,
    allowed: set[str],
) -> None:
    url = reverse(name, args=[customer.public_id] if needs_customer else [])
    response = world.client(persona).get(url)
    assert response.status_code == _status_for(persona, allowed)
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_profile_is_addressed_by_public_id_and_the_numeric_pk_does_not_resolve(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    assert client.get(f"/customers/{customer.public_id}/").status_code == 200
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    list_page = client.get(reverse("customers:list")).content.decode()
    assert f"/customers/{customer.public_id}/" in list_page


def test_the_list_shows_names_phones_tags_allergies_and_visit_counts(world: World) -> None:
    anna = services.create_customer(
        actor=world.users["owner"],
        given_name="Anna",
        family_name="Bianchi",
        preferred_name="Annina",
        phones=[("+39 333 765 4321", "mobile")],
        tags=["VIP"],
    )
    services.add_fact(
        Preference, actor=world.users["owner"], customer=anna, kind="allergy", text="Peanuts"
    )
    Customer.objects.filter(pk=anna.pk).update(visit_count=7)

    html = world.client("staff").get(reverse("customers:list")).content.decode()

    assert "Anna Bianchi" in html
    assert "Annina" in html
    assert "+39 333 765 4321" in html
    assert "VIP" in html
    assert '<span class="badge badge-allergy">Peanuts</span>' in html
    assert '<td class="num">7</td>' in html


def test_the_list_filters_by_tag_text_location_and_last_visit(world: World) -> None:
    now = timezone.now()
    recent = CustomerFactory(given_name="Recent", family_name="One", last_visit_at=now)
    lapsed = CustomerFactory(
        given_name="Lapsed", family_name="Two", last_visit_at=now - timedelta(days=200)
    )
    dane = CustomerFactory(given_name="Dane", family_name="Three", home_location=world.copenhagen)
    services.set_tags(actor=None, customer=recent, names=["Regular"])
    client = world.client("manager")

    def names(**params: str) -> set[str]:
        response = client.get(reverse("customers:list"), params)
        return {c.given_name for c in response.context["page"].object_list}

    assert names() == {"Recent", "Lapsed", "Dane"}
    assert names(tag="Regular") == {"Recent"}
    assert names(q="laps") == {"Lapsed"}
    assert names(location=str(world.copenhagen.pk)) == {"Dane"}
    assert names(seen="30") == {"Recent"}
    assert names(seen="lapsed") == {"Lapsed", "Dane"}
    assert [
        c.pk
        for c in client.get(reverse("customers:list"), {"order": "name"})
        .context["page"]
        .object_list
    ] == [recent.pk, dane.pk, lapsed.pk]


def test_the_list_is_paginated_by_fifty(world: World) -> None:
    CustomerFactory.create_batch(51)
    client = world.client("staff")
    first = client.get(reverse("customers:list"))
    second = client.get(reverse("customers:list"), {"page": "2"})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1


def _busy_customers(world: World, count: int) -> None:
    for n in range(count):
        person = CustomerFactory(home_location=world.bologna, visit_count=n)
        PhoneFactory(customer=person)
        PreferenceFactory(customer=person, kind="allergy", text=f"allergen {n}")
        services.set_tags(actor=None, customer=person, names=["VIP", f"group {n % 3}"])


def test_the_list_issues_the_same_number_of_queries_for_3_and_for_30_customers(
    world: World, django_assert_num_queries: Any
) -> None:
    client = world.client("staff")
    url = reverse("customers:list")
    _busy_customers(world, 3)
    client.get(url)  # warm caches that are not per-request (content types, ...)
    with CaptureQueriesContext(connection) as with_three:
        client.get(url)

    _busy_customers(world, 27)
    with django_assert_num_queries(len(with_three.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 30


def test_the_profile_shows_the_customer_memory_with_provenance(
    world: World, customer: Customer
) -> None:
    owner = world.users["owner"]
    services.update_customer(
        actor=owner,
        customer=customer,
        changes={"email": "giulia@example.com", "birth_month": 3, "birth_day": 14},
        source=Source.OFFERED,
    )
    services.add_fact(
        HouseholdMember, actor=owner, customer=customer, name="Marco", relation="partner"
    )
    services.add_fact(Pet, actor=owner, customer=customer, name="Fido", kind="dog")
    services.add_fact(Preference, actor=owner, customer=customer, kind="like", text="Ristretto")
    services.add_fact(Preference, actor=owner, customer=customer, kind="allergy", text="Lactose")
    services.record_consent(
        actor=owner, customer=customer, channel="email", granted=True, method="asked at the till"
    )

    html = world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    text = html.content.decode()

    assert "giulia@example.com" in text
    assert "14 March" in text
    assert "Marco" in text
    assert "Fido" in text
    assert "Ristretto" in text
    assert '<span class="badge badge-allergy">Lactose</span>' in text
    # The allergy banner comes before everything else about the customer.
    assert text.index("badge-allergy") < text.index("giulia@example.com")
    assert "+39 333 123 4567" in text
    assert "Offered by the customer" in text
    assert "by owner" in text
    assert "asked at the till" in text


def test_showing_the_profile_records_a_view_in_the_audit_log(
    world: World, customer: Customer
) -> None:
    world.client("manager").get(reverse("customers:detail", args=[customer.public_id]))
    entry = AuditEntry.objects.filter(action=AuditAction.VIEW).get()
    assert entry.customer_ref == customer.public_id
    assert entry.actor == world.users["manager"]


def test_staff_do_not_see_amounts_on_the_profile_and_managers_do(
    world: World, customer: Customer
) -> None:
    VisitFactory(customer=customer, location=world.bologna, amount=Decimal("12.34"), currency="EUR")
    url = reverse("customers:detail", args=[customer.public_id])
    staff_page = world.client("staff").get(url).content.decode()
    manager_page = world.client("manager").get(url).content.decode()
    assert "12.34" not in staff_page
    assert "12.34" in manager_page


def test_the_profile_shows_the_last_twenty_visits_and_links_to_the_rest(
    world: World, customer: Customer
) -> None:
    now = timezone.now()
    for n in range(21):
        VisitFactory(customer=customer, location=world.bologna, at=now - timedelta(days=n))
    url = reverse("customers:detail", args=[customer.public_id])
    response = world.client("staff").get(url)
    assert len(response.context["profile"].visits) == 20
    assert reverse("customers:visits", args=[customer.public_id]) in response.content.decode()
    history = world.client("staff").get(reverse("customers:visits", args=[customer.public_id]))
    assert len(history.context["page"].object_list) == 21


def test_an_organisation_shows_its_people_and_a_person_the_organisations_they_act_for(
    world: World,
) -> None:
    owner = world.users["owner"]
    org = services.create_customer(actor=owner, kind="organisation", organisation_name="ACME Srl")
    person = services.create_customer(actor=owner, given_name="Paolo", family_name="Verdi")
    services.link_contact(actor=owner, organisation=org, person=person, role="buyer")
    client = world.client("staff")

    org_page = client.get(reverse("customers:detail", args=[org.public_id])).content.decode()
    person_page = client.get(reverse("customers:detail", args=[person.public_id])).content.decode()

    assert "Paolo Verdi" in org_page
    assert "Buyer" in org_page
    assert "ACME Srl" in person_page
    assert "Buyer" in person_page


# --- Inline editing ------------------------------------------------------------------


def test_adding_an_allergy_with_htmx_returns_the_section_and_the_banner(
    world: World, customer: Customer
) -> None:
    url = reverse("customers:preferences_add", args=[customer.public_id])
    response = world.client("staff").post(
        url,
        {
            "preferences-kind": "allergy",
            "preferences-text": "Shellfish",
            "preferences-source": "offered",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="section-preferences"' in html
    assert 'id="allergy-banner" hx-swap-oob="true"' in html
    assert '<span class="badge badge-allergy">Shellfish</span>' in html
    saved = Preference.objects.get(customer=customer)
    assert (saved.kind, saved.text, saved.source) == ("allergy", "Shellfish", "offered")
    assert saved.entered_by == world.users["staff"]


def test_adding_a_fact_without_javascript_redirects_back_to_the_profile(
    world: World, customer: Customer
) -> None:
    url = reverse("customers:household_add", args=[customer.public_id])
    response = world.client("staff").post(
        url,
        {
            "household-name": "Лена",
            "household-relation": "child",
            "household-birth_month": "2",
            "household-birth_day": "29",
            "household-source": "staff",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customers:detail", args=[customer.public_id]))
    member = HouseholdMember.objects.get(customer=customer)
    assert (member.name, member.birth_month, member.birth_day) == ("Лена", 2, 29)


def test_an_invalid_inline_form_shows_its_errors_and_saves_nothing(
    world: World, customer: Customer
) -> None:
    response = world.client("staff").post(
        reverse("customers:pets_add", args=[customer.public_id]),
        {
            "pets-name": "Fido",
            "pets-birth_month": "2",
            "pets-birth_day": "31",
            "pets-source": "staff",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "February has no day 31." in response.content.decode()
    assert Pet.objects.count() == 0


def test_a_bad_phone_number_is_refused_next_to_the_field(world: World, customer: Customer) -> None:
    response = world.client("staff").post(
        reverse("customers:phones_add", args=[customer.public_id]),
        {"phones-number": "12", "phones-label": "home", "phones-source": "staff"},
    )
    assert response.status_code == 200
    assert response.context["forms"]["phones"].errors["number"] == [
        "“12” does not look like a complete phone number."
    ]
    assert list(customer.phones.values_list("number", flat=True)) == ["+393331234567"]


def test_a_phone_is_normalised_with_the_home_location_country(world: World) -> None:
    dane = CustomerFactory(home_location=world.copenhagen)
    world.client("staff").post(
        reverse("customers:phones_add", args=[dane.public_id]),
        {"phones-number": "20 12 34 56", "phones-label": "mobile", "phones-source": "staff"},
    )
    assert list(dane.phones.values_list("number", flat=True)) == ["+4520123456"]


def test_removing_a_fact_deletes_it_and_records_the_deletion(
    world: World, customer: Customer
) -> None:
    phone = customer.phones.get()
    url = reverse("customers:phones_remove", args=[customer.public_id, phone.pk])
    response = world.client("staff").post(url, **HTMX)
    assert response.status_code == 200
    assert not Phone.objects.filter(pk=phone.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, subject="phone").count() == 1


def test_a_fact_of_another_customer_cannot_be_removed_through_this_profile(
    world: World, customer: Customer
) -> None:
    other = CustomerFactory()
    phone = PhoneFactory(customer=other)
    url = reverse("customers:phones_remove", args=[customer.public_id, phone.pk])
    assert world.client("staff").post(url).status_code == 404
    assert Phone.objects.filter(pk=phone.pk).exists()


def test_removing_needs_a_post(world: World, customer: Customer) -> None:
    phone = customer.phones.get()
    url = reverse("customers:phones_remove", args=[customer.public_id, phone.pk])
    assert world.client("staff").get(url).status_code == 405
    assert Phone.objects.filter(pk=phone.pk).exists()


def test_setting_tags_replaces_them(world: World, customer: Customer) -> None:
    services.set_tags(actor=None, customer=customer, names=["Old"])
    world.client("staff").post(
        reverse("customers:tags_add", args=[customer.public_id]),
        {"tags-tags": "VIP, Вечер, ☕ lover"},
        **HTMX,
    )
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "Вечер", "☕ lover"]


def test_recording_consent_puts_the_latest_decision_in_force(
    world: World, customer: Customer
) -> None:
    url = reverse("customers:consent_add", args=[customer.public_id])
    client = world.client("staff")
    client.post(
        url,
        {
            "consent-channel": "sms",
            "consent-decision": "granted",
            "consent-method": "signed the form",
            "consent-source": "offered",
        },
    )
    response = client.post(
        url,
        {
            "consent-channel": "sms",
            "consent-decision": "withdrawn",
            "consent-method": "phoned to say stop",
            "consent-source": "offered",
        },
        **HTMX,
    )
    assert Consent.objects.filter(customer=customer).count() == 2
    in_force = response.context["profile"].consent["sms"]
    assert (in_force.granted, in_force.method) == (False, "phoned to say stop")
    assert "Withdrawn" in response.content.decode()


def test_an_organisation_links_a_person_found_by_name(world: World) -> None:
    org = CustomerFactory(kind=CustomerKind.ORGANISATION, organisation_name="Bar Sport")
    person = CustomerFactory(given_name="Ottavio", family_name="Neri")
    world.client("staff").post(
        reverse("customers:contacts_add", args=[org.public_id]),
        {
            "contacts-person": "Ottavio",
            "contacts-role": "decision_maker",
            "contacts-source": "staff",
        },
    )
    link = OrganisationContact.objects.get()
    assert (link.organisation, link.person, link.role) == (org, person, "decision_maker")


def test_linking_an_ambiguous_person_asks_for_more_and_links_nobody(world: World) -> None:
    org = CustomerFactory(kind=CustomerKind.ORGANISATION, organisation_name="Bar Sport")
    CustomerFactory(given_name="Marta", family_name="Neri")
    CustomerFactory(given_name="Marta", family_name="Gialli")
    response = world.client("staff").post(
        reverse("customers:contacts_add", args=[org.public_id]),
        {"contacts-person": "Marta", "contacts-role": "buyer", "contacts-source": "staff"},
        **HTMX,
    )
    assert "Several people match" in response.content.decode()
    assert OrganisationContact.objects.count() == 0


def test_an_outsider_cannot_edit_inline(world: World, customer: Customer) -> None:
    response = world.client("outsider").post(
        reverse("customers:preferences_add", args=[customer.public_id]),
        {"preferences-kind": "like", "preferences-text": "Tea", "preferences-source": "staff"},
    )
    assert response.status_code == 403
    assert Preference.objects.count() == 0


# --- Delete --------------------------------------------------------------------------


def test_the_owner_deletes_a_customer_after_confirming(world: World, customer: Customer) -> None:
    visit = VisitFactory(customer=customer, location=world.bologna)
    url = reverse("customers:delete", args=[customer.public_id])
    client = world.client("owner")
    assert "Delete for good" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    visit.refresh_from_db()
    assert visit.customer_id is None
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, subject="customer").count() == 1


@pytest.mark.parametrize("persona", ["manager", "staff"])
def test_only_owners_may_delete_a_customer(world: World, customer: Customer, persona: str) -> None:
    response = world.client(persona).post(reverse("customers:delete", args=[customer.public_id]))
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_delete_button_shows_only_for_owners(world: World, customer: Customer) -> None:
    url = reverse("customers:detail", args=[customer.public_id])
    delete_url = reverse("customers:delete", args=[customer.public_id])
    assert delete_url in world.client("owner").get(url).content.decode()
    assert delete_url not in world.client("manager").get(url).content.decode()


def test_an_organisation_has_contacts_instead_of_household_and_pets(world: World) -> None:
    office = CustomerFactory(
        kind="organisation", organisation_name="Nordlys ApS", given_name="", family_name=""
    )
    person = CustomerFactory(given_name="Ellen", family_name="Olsen")
    org_page = world.client("staff").get(reverse("customers:detail", args=[office.public_id]))
    person_page = world.client("staff").get(reverse("customers:detail", args=[person.public_id]))
    assert 'id="section-contacts"' in org_page.content.decode()
    assert 'id="section-household"' not in org_page.content.decode()
    assert 'id="section-pets"' not in org_page.content.decode()
    assert 'id="section-household"' in person_page.content.decode()
