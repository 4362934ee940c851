"""Creating and editing customers through the forms: any script in, control characters
out, phones normalised, occasions validated, provenance and audit recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from regulars.core.models import AuditAction, AuditEntry
from regulars.customers.forms import CustomerForm, HouseholdForm
from regulars.customers.models import Customer, CustomerKind
from tests.conftest import World
from tests.factories import CustomerFactory


def _form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "person",
        "given_name": "Giulia",
        "family_name": "Rossi",
        "address_form": "formal",
        "phone_label": "mobile",
        "source": "staff",
    }
    data.update(overrides)
    return data


def _create(world: World, persona: str = "staff", **overrides: Any) -> Any:
    return world.client(persona).post(reverse("customers:new"), _form_data(**overrides))


@pytest.mark.parametrize(
    ("given", "family"),
    [("Анна", "Петрова"), ("Ελένη", "Παπαδοπούλου"), ("Zoë 🌸", "O’Brien-Ågård")],
)
def test_names_in_any_script_or_with_emoji_are_saved_and_shown(
    world: World, given: str, family: str
) -> None:
    response = _create(world, given_name=given, family_name=family)
    customer = Customer.objects.get()
    assert (customer.given_name, customer.family_name) == (given, family)
    assert response["Location"] == reverse("customers:detail", args=[customer.public_id])
    page = world.client("staff").get(response["Location"]).content.decode()
    assert f"{given} {family}" in page


@pytest.mark.parametrize("bad", ["An\x07na", "Anna\x1b[31m", "An\u2028na"])
def test_control_characters_are_refused_with_a_clear_message_and_nothing_is_saved(
    world: World, bad: str
) -> None:
    response = _create(world, given_name=bad)
    assert response.status_code == 200
    errors = response.context["form"].errors["given_name"]
    assert len(errors) == 1
    assert errors[0].startswith("This text contains an invisible control character (U+")
    assert Customer.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_null_character_is_refused_too(world: World) -> None:
    response = _create(world, family_name="Rossi\x00")
    assert response.context["form"].errors["family_name"] == ["Null characters are not allowed."]
    assert Customer.objects.count() == 0


def test_a_control_character_in_the_notes_is_refused_but_newlines_are_fine(world: World) -> None:
    refused = _create(world, notes="first line\x0bsecond")
    assert "notes" in refused.context["form"].errors
    _create(world, notes="first line\nsecond line")
    assert Customer.objects.get().notes == "first line\nsecond line"


def test_a_bad_phone_shows_an_error_next_to_the_field_and_saves_nothing(world: World) -> None:
    response = _create(world, phone="12")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "“12” does not look like a complete phone number."
    ]
    assert "“12” does not look like a complete phone number." in response.content.decode()
    assert Customer.objects.count() == 0


def test_the_phone_is_normalised_with_the_home_location_country(world: World) -> None:
    _create(world, phone="20 12 34 56", home_location=str(world.copenhagen.pk))
    assert list(Customer.objects.get().phones.values_list("number", flat=True)) == ["+4520123456"]


def test_without_a_home_location_the_phone_uses_the_users_location_country(
    world: World,
) -> None:
    _create(world, phone="333 123 4567")
    assert list(Customer.objects.get().phones.values_list("number", flat=True)) == ["+393331234567"]


@pytest.mark.parametrize(
    ("month", "day", "year", "error"),
    [
        ("2", "31", "", "February has no day 31."),
        ("4", "31", "1980", "April 1980 has no day 31."),
        ("2", "29", "2023", "February 2023 has no day 29."),
    ],
)
def test_impossible_birthdays_are_refused(
    world: World, month: str, day: str, year: str, error: str
) -> None:
    response = _create(world, birth_month=month, birth_day=day, birth_year=year)
    assert response.context["form"].errors["birth_day"] == [error]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("year", "stored"), [("", None), ("2024", 2024)])
def test_the_29th_of_february_is_accepted_without_a_year_or_in_a_leap_year(
    world: World, year: str, stored: int | None
) -> None:
    _create(world, birth_month="2", birth_day="29", birth_year=year)
    customer = Customer.objects.get()
    assert (customer.birth_month, customer.birth_day, customer.birth_year) == (2, 29, stored)


def test_a_month_without_a_day_is_refused() -> None:
    form = CustomerForm(_form_data(birth_month="5"))
    assert form.errors["birth_day"] == ["Give both the month and the day, or neither."]


def test_a_birth_year_alone_is_refused() -> None:
    form = CustomerForm(_form_data(birth_year="1980"))
    assert form.errors["birth_year"] == ["A year needs a month and a day."]


def test_a_name_day_is_validated_like_a_birthday() -> None:
    form = CustomerForm(_form_data(nameday_month="6", nameday_day="31"))
    assert form.errors["nameday_day"] == ["June has no day 31."]


def test_a_household_member_with_an_impossible_birthday_is_refused() -> None:
    form = HouseholdForm(
        {
            "name": "Marco",
            "relation": "child",
            "birth_month": "11",
            "birth_day": "31",
            "source": "staff",
        },
        customer=CustomerFactory.build(),
    )
    assert form.errors["birth_day"] == ["November has no day 31."]


def test_a_person_needs_a_name_and_an_organisation_its_name(world: World) -> None:
    person = CustomerForm(_form_data(given_name="", family_name=""))
    organisation = CustomerForm(_form_data(kind="organisation", given_name="", family_name=""))
    assert person.errors["given_name"] == ["Give at least a given name or a family name."]
    assert organisation.errors["organisation_name"] == ["An organisation needs its name."]


def test_an_organisation_is_created_with_its_name(world: World) -> None:
    _create(world, kind="organisation", given_name="", family_name="", organisation_name="ACME")
    customer = Customer.objects.get()
    assert (customer.kind, customer.display_name) == (CustomerKind.ORGANISATION, "ACME")


def test_creating_records_provenance_from_the_source_choice_and_an_audit_entry(
    world: World,
) -> None:
    _create(world, source="offered", email="Giulia@Example.com", tags="VIP, caffè")
    customer = Customer.objects.get()
    assert customer.email == "giulia@example.com"
    assert customer.provenance["email"]["source"] == "offered"
    assert customer.provenance["email"]["by"] == world.users["staff"].pk
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "caffè"]
    entry = AuditEntry.objects.get(action=AuditAction.CREATE)
    assert entry.customer_ref == customer.public_id
    assert "email" in entry.fields


def test_editing_changes_only_what_changed_and_records_it(world: World) -> None:
    customer = CustomerFactory(given_name="Giulia", family_name="Rossi", language="it")
    response = world.client("manager").post(
        reverse("customers:edit", args=[customer.public_id]),
        _form_data(language="it", given_name="Giulia", preferred_name="Giuli", source="offered"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.preferred_name == "Giuli"
    entry = AuditEntry.objects.get(action=AuditAction.CHANGE)
    assert entry.fields == ["preferred_name"]
    assert entry.actor == world.users["manager"]
    assert customer.provenance["preferred_name"]["source"] == "offered"
    assert "given_name" not in customer.provenance


def test_the_edit_form_shows_the_stored_values(world: World) -> None:
    customer = CustomerFactory(given_name="Ιωάννης", birth_month=3, birth_day=14)
    page = world.client("staff").get(reverse("customers:edit", args=[customer.public_id]))
    form = page.context["form"]
    assert form["given_name"].value() == "Ιωάννης"
    assert (form["birth_month"].value(), form["birth_day"].value()) == (3, 14)
    assert "phone" not in form.fields


def test_an_invalid_edit_changes_nothing(world: World) -> None:
    customer = CustomerFactory(given_name="Giulia", family_name="Rossi")
    world.client("staff").post(
        reverse("customers:edit", args=[customer.public_id]),
        _form_data(given_name="Giulia\x00", family_name="Bianchi"),
    )
    customer.refresh_from_db()
    assert (customer.given_name, customer.family_name) == ("Giulia", "Rossi")
    assert AuditEntry.objects.filter(action=AuditAction.CHANGE).count() == 0
