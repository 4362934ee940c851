"""Logging visits from a customer's profile and anonymous walk-ins."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from regulars.core.models import AuditAction, AuditEntry
from regulars.customers import services as customer_services
from regulars.customers.models import Customer, CustomerKind
from regulars.service import services
from regulars.service.models import Visit
from tests.conftest import World
from tests.factories import CustomerFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def _visit(world: World, **overrides: Any) -> dict[str, Any]:
    data = {"location": str(world.bologna.pk), "channel": "in_person", "had": "", "note": ""}
    data.update(overrides)
    return data


def _status_for(persona: str) -> int:
    return {"anonymous": 302, "outsider": 403}.get(persona, 200)


@pytest.mark.parametrize("persona", ["owner", "manager", "staff", "outsider", "anonymous"])
def test_the_log_pages_answer_each_persona_as_the_policy_says(
    world: World, customer: Customer, persona: str
) -> None:
    client = world.client(persona)
    for url in (reverse("service:log", args=[customer.public_id]), reverse("service:walk_in")):
        response = client.get(url)
        assert response.status_code == _status_for(persona), url
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("accounts:login"))


def test_an_outsider_cannot_log_a_visit(world: World, customer: Customer) -> None:
    response = world.client("outsider").post(
        reverse("service:log", args=[customer.public_id]), _visit(world)
    )
    assert response.status_code == 403
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("typed", ["12,50", "12.50", "€ 12,50"])
def test_logging_a_visit_counts_it_and_keeps_the_amount(
    world: World, customer: Customer, typed: str
) -> None:
    response = world.client("staff").post(
        reverse("service:log", args=[customer.public_id]),
        _visit(world, amount=typed, had="cappuccino e cornetto", wait_seconds="90"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.public_id])
    visit = Visit.objects.get()
    assert (visit.amount, visit.currency) == (Decimal("12.50"), "EUR")
    assert (visit.customer, visit.location, visit.staff) == (
        customer,
        world.bologna,
        world.users["staff"],
    )
    assert (visit.had, visit.wait_seconds) == ("cappuccino e cornetto", 90)
    customer.refresh_from_db()
    assert customer.visit_count == 1
    assert customer.last_visit_at == visit.at


def test_after_logging_the_profile_shows_the_visit_and_the_new_count(
    world: World, customer: Customer
) -> None:
    client = world.client("manager")
    for what in ("espresso", "ginseng"):
        client.post(reverse("service:log", args=[customer.public_id]), _visit(world, had=what))
    response = client.get(reverse("customers:detail", args=[customer.public_id]))
    html = response.content.decode()
    assert "espresso" in html
    assert "ginseng" in html
    assert [v.had for v in response.context["profile"].visits] == ["ginseng", "espresso"]
    assert response.context["customer"].visit_count == 2
    assert "<strong>2</strong>" in html


def test_a_visit_without_an_amount_has_no_currency(world: World, customer: Customer) -> None:
    world.client("staff").post(reverse("service:log", args=[customer.public_id]), _visit(world))
    visit = Visit.objects.get()
    assert (visit.amount, visit.currency) == (None, "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "twelve", "“twelve” is not an amount. Write it like 12,50 or 12.50."),
        ("amount", "-3", "An amount cannot be negative."),
        ("wait_seconds", "-1", "Ensure this value is greater than or equal to 0."),
        ("wait_seconds", "90000", "Ensure this value is less than or equal to 86400."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_logs_nothing(
    world: World, customer: Customer, field: str, value: str, message: str
) -> None:
    response = world.client("staff").post(
        reverse("service:log", args=[customer.public_id]), _visit(world, **{field: value})
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Visit.objects.count() == 0
    customer.refresh_from_db()
    assert customer.visit_count == 0


def test_staff_cannot_log_at_a_location_where_they_have_no_role(
    world: World, customer: Customer
) -> None:
    response = world.client("staff").post(
        reverse("service:log", args=[customer.public_id]),
        _visit(world, location=str(world.copenhagen.pk)),
    )
    assert "location" in response.context["form"].errors
    assert Visit.objects.count() == 0


def test_the_service_refuses_a_location_where_the_actor_has_no_role(
    world: World, customer: Customer
) -> None:
    with pytest.raises(PermissionDenied):
        services.log_visit(actor=world.users["staff"], location=world.copenhagen, customer=customer)


def test_the_location_defaults_to_the_customers_home_among_the_users_locations(
    world: World,
) -> None:
    dane = CustomerFactory(home_location=world.copenhagen)
    owner_form = world.client("owner").get(reverse("service:log", args=[dane.public_id]))
    staff_form = world.client("staff").get(reverse("service:log", args=[dane.public_id]))
    assert owner_form.context["form"]["location"].value() == world.copenhagen.pk
    assert staff_form.context["form"]["location"].value() == world.bologna.pk


def test_the_owner_logs_in_the_other_locations_currency(world: World) -> None:
    dane = CustomerFactory(home_location=world.copenhagen)
    world.client("owner").post(
        reverse("service:log", args=[dane.public_id]),
        _visit(world, location=str(world.copenhagen.pk), amount="45"),
    )
    visit = Visit.objects.get()
    assert (visit.location, visit.amount, visit.currency) == (
        world.copenhagen,
        Decimal("45.00"),
        "DKK",
    )


def test_an_anonymous_walk_in_is_logged_without_a_customer(world: World) -> None:
    response = world.client("staff").post(
        reverse("service:walk_in"), _visit(world, amount="3,20", had="caffè")
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.customer, visit.amount, visit.had) == (None, Decimal("3.20"), "caffè")
    assert AuditEntry.objects.count() == 0


def test_logging_a_customers_visit_is_audited(world: World, customer: Customer) -> None:
    world.client("staff").post(reverse("service:log", args=[customer.public_id]), _visit(world))
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, subject="visit")
    assert (entry.customer_ref, entry.actor) == (customer.public_id, world.users["staff"])


def test_with_htmx_the_log_form_comes_as_a_fragment_for_the_profile(
    world: World, customer: Customer
) -> None:
    response = world.client("staff").get(reverse("service:log", args=[customer.public_id]), **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'class="card stack visit-form"' in html


def test_an_organisations_visit_names_the_person_who_came(world: World) -> None:
    owner = world.users["owner"]
    org = CustomerFactory(kind=CustomerKind.ORGANISATION, organisation_name="ACME")
    person = CustomerFactory(given_name="Paolo")
    customer_services.link_contact(actor=owner, organisation=org, person=person, role="buyer")
    world.client("staff").post(
        reverse("service:log", args=[org.public_id]),
        _visit(world, contact_person=person.public_id),
    )
    visit = Visit.objects.get()
    assert (visit.customer, visit.contact_person) == (org, person)
