"""Custom dates on the profile ("dates to remember"): adding and removing them through the
profile's endpoints (htmx and plain POST), their validation, and who may do it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from regulars.core.models import AuditAction, AuditEntry
from regulars.customers import services
from regulars.customers.models import Customer, CustomOccasion
from tests.conftest import World
from tests.factories import CustomerFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def customer(world: World) -> Customer:
    return services.create_customer(
        actor=world.users["staff"],
        given_name="Giulia",
        family_name="Rossi",
        home_location=world.bologna,
    )


def add_url(customer: Customer) -> str:
    return reverse("customers:occasions_add", args=[customer.public_id])


def data(**values: str) -> dict[str, str]:
    fields = {
        "label": "Wedding anniversary",
        "month": "6",
        "day": "14",
        "year": "",
        "source": "offered",
    }
    fields.update(values)
    return {f"occasions-{name}": value for name, value in fields.items()}


def test_staff_add_a_date_with_htmx_and_get_the_section_back(
    world: World, customer: Customer
) -> None:
    response = world.client("staff").post(add_url(customer), data(year="2015"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="section-occasions"' in html
    assert "Wedding anniversary" in html
    assert "June 14, 2015" in html or "14 June 2015" in html
    saved = CustomOccasion.objects.get(customer=customer)
    assert (saved.label, saved.month, saved.day, saved.year) == ("Wedding anniversary", 6, 14, 2015)
    assert (saved.source, saved.entered_by) == ("offered", world.users["staff"])
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, subject="occasion")
    assert entry.customer_ref == customer.public_id
    assert entry.actor == world.users["staff"]


def test_without_javascript_adding_redirects_to_the_section_on_the_profile(
    world: World, customer: Customer
) -> None:
    response = world.client("manager").post(add_url(customer), data(label="Opened the shop"))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("customers:detail", args=[customer.public_id]) + "#section-occasions"
    )
    page = world.client("manager").get(response["Location"]).content.decode()
    assert "Opened the shop" in page
    assert CustomOccasion.objects.get().year is None


def test_the_profile_lists_the_dates_with_a_remove_button_and_an_add_form(
    world: World, customer: Customer
) -> None:
    CustomOccasion.objects.create(customer=customer, label="First day at school", month=9, day=1)
    page = world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    html = page.content.decode()
    assert "First day at school" in html
    occasion = CustomOccasion.objects.get()
    assert reverse("customers:occasions_remove", args=[customer.public_id, occasion.pk]) in html
    assert 'name="occasions-label"' in html
    assert 'name="occasions-month"' in html


def test_29_february_is_accepted_without_a_year_or_in_a_leap_year(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    client.post(add_url(customer), data(label="Leap wedding", month="2", day="29"))
    client.post(add_url(customer), data(label="Leap birth", month="2", day="29", year="2024"))
    saved = CustomOccasion.objects.order_by("id").values_list("label", "month", "day", "year")
    assert list(saved) == [("Leap wedding", 2, 29, None), ("Leap birth", 2, 29, 2024)]


@pytest.mark.parametrize(
    ("values", "field", "error"),
    [
        ({"month": "2", "day": "29", "year": "2023"}, "day", "February 2023 has no day 29."),
        ({"month": "4", "day": "31"}, "day", "April has no day 31."),
        ({"month": "", "day": "3"}, "month", "This field is required."),
        ({"day": ""}, "day", "This field is required."),
        ({"label": ""}, "label", "This field is required."),
        ({"year": "1700"}, "year", "Ensure this value is greater than or equal to 1850."),
        (
            {"month": "13"},
            "month",
            "Select a valid choice. 13 is not one of the available choices.",
        ),
    ],
)
def test_an_impossible_or_incomplete_date_is_refused_next_to_its_field(
    world: World, customer: Customer, values: dict[str, str], field: str, error: str
) -> None:
    response = world.client("staff").post(add_url(customer), data(**values), **HTMX)
    assert response.status_code == 200
    assert response.context["forms"]["occasions"].errors[field] == [error]
    assert error in response.content.decode().replace("&#x27;", "'")
    assert CustomOccasion.objects.count() == 0


def test_the_service_refuses_an_impossible_date_too(world: World, customer: Customer) -> None:
    with pytest.raises(ValueError, match="no such day"):
        services.add_fact(
            CustomOccasion,
            actor=world.users["staff"],
            customer=customer,
            label="x",
            month=4,
            day=31,
        )
    assert CustomOccasion.objects.count() == 0


def test_staff_remove_a_date_and_the_removal_is_audited(world: World, customer: Customer) -> None:
    occasion = CustomOccasion.objects.create(customer=customer, label="Wedding", month=6, day=14)
    url = reverse("customers:occasions_remove", args=[customer.public_id, occasion.pk])
    response = world.client("staff").post(url, **HTMX)
    assert response.status_code == 200
    assert 'id="section-occasions"' in response.content.decode()
    assert not CustomOccasion.objects.exists()
    entry = AuditEntry.objects.get(action=AuditAction.DELETE, subject="occasion")
    assert entry.customer_ref == customer.public_id


def test_a_date_of_another_customer_cannot_be_removed_through_this_profile(
    world: World, customer: Customer
) -> None:
    other = CustomerFactory()
    occasion = CustomOccasion.objects.create(customer=other, label="Theirs", month=1, day=1)
    url = reverse("customers:occasions_remove", args=[customer.public_id, occasion.pk])
    assert world.client("staff").post(url).status_code == 404
    assert CustomOccasion.objects.filter(pk=occasion.pk).exists()


@pytest.mark.parametrize(("persona", "status"), [("outsider", 403), ("anonymous", 302)])
def test_an_outsider_or_anonymous_visitor_can_neither_add_nor_remove(
    world: World, customer: Customer, persona: str, status: int
) -> None:
    client = world.client(persona)
    assert client.post(add_url(customer), data()).status_code == status
    assert CustomOccasion.objects.count() == 0
    kept = CustomOccasion.objects.create(customer=customer, label="Wedding", month=6, day=14)
    url = reverse("customers:occasions_remove", args=[customer.public_id, kept.pk])
    assert client.post(url).status_code == status
    assert CustomOccasion.objects.filter(pk=kept.pk).exists()


def test_removing_needs_a_post(world: World, customer: Customer) -> None:
    kept = CustomOccasion.objects.create(customer=customer, label="Wedding", month=6, day=14)
    url = reverse("customers:occasions_remove", args=[customer.public_id, kept.pk])
    assert world.client("staff").get(url).status_code == 405
    assert CustomOccasion.objects.filter(pk=kept.pk).exists()


def test_an_organisation_keeps_dates_too(world: World) -> None:
    acme: Any = CustomerFactory(kind="organisation", organisation_name="ACME", given_name="")
    response = world.client("staff").post(add_url(acme), data(label="Founded", year="1999"))
    assert response.status_code == 302
    assert CustomOccasion.objects.get().customer_id == acme.pk
