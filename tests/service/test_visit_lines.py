"""A visit's item lines: reading them as typed, logging them, showing them in the history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regulars.accounts.models import Profile
from regulars.customers.models import Customer
from regulars.service import services
from regulars.service.items import ItemLine, ItemLineError, parse_item_lines
from regulars.service.models import Visit, VisitLine
from tests.conftest import World
from tests.factories import CustomerFactory

# --- Reading the lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2 x cappuccino 3,00", ItemLine("cappuccino", Decimal(2), Decimal("3.00"))),
        ("2x cappuccino", ItemLine("cappuccino", Decimal(2), None)),
        ("2× cornetto", ItemLine("cornetto", Decimal(2), None)),
        ("3×cornetto", ItemLine("cornetto", Decimal(3), None)),
        ("4 * brioche 6", ItemLine("brioche", Decimal(4), Decimal(6))),
        ("tagliere misto 12.50", ItemLine("tagliere misto", Decimal(1), Decimal("12.50"))),
        ("1 pane", ItemLine("pane", Decimal(1), None)),
        ("1,5 kg parmigiano € 21,00", ItemLine("kg parmigiano", Decimal("1.5"), Decimal(21))),
        ("smørrebrød 85 kr.", ItemLine("smørrebrød", Decimal(1), Decimal(85))),
        ("2 х кофе 300 ₽", ItemLine("кофе", Decimal(2), Decimal(300))),
        ("- 2 x caffè", ItemLine("caffè", Decimal(2), None)),
        ("7up", ItemLine("7up", Decimal(1), None)),
        ("2xl t-shirt", ItemLine("2xl t-shirt", Decimal(1), None)),
    ],
)
def test_it_reads_an_optional_quantity_a_description_and_an_optional_amount(
    typed: str, expected: ItemLine
) -> None:
    assert parse_item_lines(typed) == [expected]


def test_it_skips_blank_lines_and_keeps_the_order() -> None:
    text = "2 x cappuccino 3,00\n\n   \n  cornetto 1,20  \r\n"
    assert parse_item_lines(text) == [
        ItemLine("cappuccino", Decimal(2), Decimal("3.00")),
        ItemLine("cornetto", Decimal(1), Decimal("1.20")),
    ]


def test_nothing_typed_is_no_lines() -> None:
    assert parse_item_lines("  \n\n") == []


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("12,50", "no_description"),
        ("2 x 3,00", "no_description"),
        ("0 x caffè", "quantity_range"),
        ("10000 x caffè", "quantity_range"),
        ("1,2345 x caffè", "bad_quantity"),
        ("caffè -1,00", "negative_amount"),
        ("caffè 99999999999", "bad_amount"),
        ("x" * 201, "too_long"),
    ],
)
def test_it_rejects_a_line_it_cannot_read_naming_the_line_and_the_problem(
    typed: str, problem: str
) -> None:
    with pytest.raises(ItemLineError) as caught:
        parse_item_lines(f"caffè\n\n{typed}\ncornetto")
    assert (caught.value.line, caught.value.problem, caught.value.text) == (3, problem, typed)


def test_an_item_line_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_item_lines("0 x caffè")


def test_it_rejects_more_than_a_hundred_items() -> None:
    with pytest.raises(ItemLineError) as caught:
        parse_item_lines("\n".join(f"item {n}" for n in range(101)))
    assert (caught.value.line, caught.value.problem) == (101, "too_many")


# --- The service ----------------------------------------------------------------------


def test_the_service_sums_the_line_amounts_when_no_amount_is_given(world: World) -> None:
    visit = services.log_visit(
        actor=world.users["staff"],
        location=world.bologna,
        lines=[("cappuccino", Decimal(2), Decimal("3.004")), ("cornetto", Decimal(1), Decimal(1))],
    )
    visit.refresh_from_db()
    assert (visit.amount, visit.currency) == (Decimal("4.00"), "EUR")
    assert list(visit.lines.values_list("description", "quantity", "amount")) == [
        ("cappuccino", Decimal(2), Decimal("3.00")),
        ("cornetto", Decimal(1), Decimal("1.00")),
    ]


def test_the_service_refuses_a_line_without_a_positive_quantity(world: World) -> None:
    with pytest.raises(ValueError, match="positive quantity"):
        services.log_visit(
            actor=world.users["staff"],
            location=world.bologna,
            lines=[("caffè", Decimal(0), None)],
        )
    assert Visit.objects.count() == 0


# --- Logging through the form ---------------------------------------------------------


@pytest.fixture
def customer(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def _visit(world: World, **overrides: Any) -> dict[str, Any]:
    data = {"location": str(world.bologna.pk), "channel": "in_person", "had": "", "note": ""}
    data.update(overrides)
    return data


def _log(world: World, customer: Customer, persona: str = "staff", **fields: Any) -> Any:
    return world.client(persona).post(
        reverse("service:log", args=[customer.public_id]), _visit(world, **fields)
    )


def test_logging_items_stores_the_lines_the_total_and_what_they_had(
    world: World, customer: Customer
) -> None:
    response = _log(world, customer, items="2 x cappuccino 3,00\n1 cornetto 1,20")
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert list(visit.lines.values_list("description", "quantity", "amount")) == [
        ("cappuccino", Decimal(2), Decimal("3.00")),
        ("cornetto", Decimal(1), Decimal("1.20")),
    ]
    assert (visit.amount, visit.currency) == (Decimal("4.20"), "EUR")
    assert visit.had == "cappuccino, cornetto"


def test_a_typed_amount_and_a_typed_what_they_had_win_over_the_lines(
    world: World, customer: Customer
) -> None:
    _log(world, customer, items="cappuccino 3,00\ncornetto 1,20", amount="4", had="colazione")
    visit = Visit.objects.get()
    assert (visit.amount, visit.had) == (Decimal("4.00"), "colazione")
    assert visit.lines.count() == 2


def test_without_an_amount_on_every_line_the_visit_has_no_amount(
    world: World, customer: Customer
) -> None:
    _log(world, customer, items="cappuccino 3,00\n2× cornetto")
    visit = Visit.objects.get()
    assert (visit.amount, visit.currency) == (None, "")
    assert list(visit.lines.values_list("quantity", "amount")) == [
        (Decimal(1), Decimal("3.00")),
        (Decimal(2), None),
    ]


def test_a_walk_in_can_have_item_lines(world: World) -> None:
    response = world.client("staff").post(
        reverse("service:walk_in"), _visit(world, items="tagliere misto 12.50")
    )
    assert response.status_code == 302
    line = VisitLine.objects.get()
    assert (line.visit.customer, line.description, line.amount) == (
        None,
        "tagliere misto",
        Decimal("12.50"),
    )
    assert line.visit.amount == Decimal("12.50")


def test_a_bad_line_is_refused_with_its_number_and_nothing_is_stored(
    world: World, customer: Customer
) -> None:
    response = _log(world, customer, items="cappuccino 3,00\n0 x cornetto")
    assert response.status_code == 200
    assert response.context["form"].errors["items"] == [
        "Line 2: the quantity of “0 x cornetto” must be more than 0 and at most 9999."
    ]
    assert "Line 2" in response.content.decode()
    assert (Visit.objects.count(), VisitLine.objects.count()) == (0, 0)
    customer.refresh_from_db()
    assert customer.visit_count == 0


def test_the_line_error_comes_in_the_users_language(world: World, customer: Customer) -> None:
    Profile.objects.update_or_create(user=world.users["staff"], defaults={"language": "it"})
    response = _log(world, customer, items="2 x 3,00")
    (message,) = response.context["form"].errors["items"]
    assert message.startswith("Riga 1")
    assert "2 x 3,00" in message


# --- The history ----------------------------------------------------------------------


def _breakfast(world: World, customer: Customer) -> Visit:
    return services.log_visit(
        actor=world.users["manager"],
        location=world.bologna,
        customer=customer,
        had="colazione al banco",
        lines=[("cappuccino", Decimal(2), Decimal("3.40")), ("cornetto", Decimal("1.5"), None)],
        amount=Decimal("5.10"),
    )


@pytest.mark.parametrize("page", ["customers:detail", "customers:visits"])
def test_staff_see_the_lines_without_amounts_and_managers_with(
    world: World, customer: Customer, page: str
) -> None:
    _breakfast(world, customer)
    url = reverse(page, args=[customer.public_id])
    staff_page = world.client("staff").get(url).content.decode()
    manager_page = world.client("manager").get(url).content.decode()
    for html in (staff_page, manager_page):
        assert "colazione al banco" in html
        assert "2 × cappuccino" in html
        assert "1.5 × cornetto" in html
    assert "3.40" not in staff_page
    assert "5.10" not in staff_page
    assert "3.40" in manager_page
    assert "5.10" in manager_page


def test_what_they_had_taken_from_the_lines_is_not_repeated_above_them(
    world: World, customer: Customer
) -> None:
    _log(world, customer, items="2 x cappuccino\ncornetto")
    html = world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    text = html.content.decode()
    assert "cappuccino, cornetto" not in text
    assert "2 × cappuccino" in text
    assert "1 × cornetto" in text


@pytest.mark.parametrize("page", ["customers:detail", "customers:visits"])
def test_the_history_reads_the_lines_of_all_visits_in_one_query(
    world: World, customer: Customer, page: str, django_assert_num_queries: Any
) -> None:
    client = world.client("manager")
    url = reverse(page, args=[customer.public_id])
    _breakfast(world, customer)
    client.get(url)  # warm caches that are not per-request
    with CaptureQueriesContext(connection) as with_one:
        client.get(url)

    for _ in range(5):
        _breakfast(world, customer)
    with django_assert_num_queries(len(with_one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("2 × cappuccino") == 6
