"""The counter card's occasions from the name-day calendars and the custom dates, and that
the card and ``occasions_between`` (agenda, planner) agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from regulars.accounts.models import Location
from regulars.customers.greeting import GreetingCard, build_greeting_card
from regulars.customers.models import Customer, CustomerKind, CustomOccasion, HouseholdMember
from regulars.customers.occasions import occasions_between
from tests.conftest import World

ROME = ZoneInfo("Europe/Rome")
THURSDAY = datetime(2025, 3, 13, 10, 30, tzinfo=ROME)  # Thursday 13 March 2025 in Bologna


@pytest.fixture(autouse=True)
def _staff_speak_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def giuseppe(world: World) -> Customer:
    """An Italian customer who never told us his name day."""
    return Customer.objects.create(
        given_name="Giuseppe", family_name="Verdi", language="it", home_location=world.bologna
    )


def card_for(customer: Customer, location: Location, now: datetime = THURSDAY) -> GreetingCard:
    fresh = Customer.objects.select_related("home_location").get(pk=customer.pk)
    return build_greeting_card(fresh, location=location, now=now)


def occasion_hints(card: GreetingCard) -> list[str]:
    return [h.text for h in card.hints if h.kind == "occasion"]


def test_the_card_shows_the_calendar_name_day_of_a_customer_who_chose_none(
    world: World, giuseppe: Customer
) -> None:
    card = card_for(giuseppe, world.bologna)
    assert [(o.kind, o.label, o.name, o.on, o.days_away) for o in card.occasions] == [
        ("name_day", "Name day", "Giuseppe", date(2025, 3, 19), 6)
    ]
    assert occasion_hints(card) == ["Name day on Wednesday 19 March: wish them well"]


def test_on_the_day_itself_the_card_says_so(world: World, giuseppe: Customer) -> None:
    card = card_for(giuseppe, world.bologna, datetime(2025, 3, 19, 9, tzinfo=ROME))
    assert occasion_hints(card) == ["It is their name day today: wish them a happy name day"]


def test_their_own_choice_wins_over_the_calendar(world: World, giuseppe: Customer) -> None:
    Customer.objects.filter(pk=giuseppe.pk).update(nameday_month=3, nameday_day=16)
    card = card_for(giuseppe, world.bologna)
    assert [(o.kind, o.on) for o in card.occasions] == [("name_day", date(2025, 3, 16))]
    assert occasion_hints(card) == ["Name day on Sunday 16 March: wish them well"]


def test_an_own_choice_outside_the_window_hides_the_calendar_day(
    world: World, giuseppe: Customer
) -> None:
    Customer.objects.filter(pk=giuseppe.pk).update(nameday_month=8, nameday_day=1)
    assert card_for(giuseppe, world.bologna).occasions == ()


def test_the_card_shows_a_custom_date_with_its_label_and_a_hint(
    world: World, giuseppe: Customer
) -> None:
    Customer.objects.filter(pk=giuseppe.pk).update(nameday_month=8, nameday_day=1)
    CustomOccasion.objects.create(
        customer=giuseppe, label="Wedding anniversary", month=3, day=15, year=2015
    )
    CustomOccasion.objects.create(customer=giuseppe, label="Opened his shop", month=3, day=13)
    CustomOccasion.objects.create(customer=giuseppe, label="Far away", month=4, day=30)
    card = card_for(giuseppe, world.bologna)
    assert [(o.kind, o.label, o.name, o.days_away, o.years) for o in card.occasions] == [
        ("custom", "Opened his shop", "Giuseppe", 0, None),
        ("custom", "Wedding anniversary", "Giuseppe", 2, 10),
    ]
    assert occasion_hints(card) == [
        "Today: Opened his shop. Remember it with them",
        "Wedding anniversary on Saturday 15 March: remember it with them",
    ]


def test_the_card_partial_lists_the_custom_date_by_its_label(
    world: World, giuseppe: Customer
) -> None:
    CustomOccasion.objects.create(customer=giuseppe, label="Wedding anniversary", month=3, day=15)
    html = render_to_string(
        "customers/_greeting_card.html", {"card": card_for(giuseppe, world.bologna)}
    )
    assert "Wedding anniversary · Giuseppe" in html
    assert "Name day · Giuseppe" in html


def test_an_organisation_has_no_birthday_or_name_day_on_the_card(world: World) -> None:
    acme = Customer.objects.create(
        kind=CustomerKind.ORGANISATION,
        organisation_name="ACME",
        given_name="Giuseppe",
        birth_month=3,
        birth_day=14,
        home_location=world.bologna,
    )
    CustomOccasion.objects.create(customer=acme, label="Founded", month=3, day=14, year=1999)
    card = card_for(acme, world.bologna)
    assert [(o.kind, o.label, o.name, o.years) for o in card.occasions] == [
        ("custom", "Founded", "ACME", 26)
    ]


def test_the_card_and_the_agenda_find_the_same_occasions(world: World, giuseppe: Customer) -> None:
    Customer.objects.filter(pk=giuseppe.pk).update(
        birth_month=2, birth_day=29, birth_year=1980, first_met_on=date(2020, 3, 17)
    )
    HouseholdMember.objects.create(
        customer=giuseppe, name="Anna", relation="child", birth_month=3, birth_day=18
    )
    CustomOccasion.objects.create(customer=giuseppe, label="Wedding", month=3, day=20, year=2010)
    now = datetime(2027, 2, 26, 12, tzinfo=ROME)  # a common year: 29 February is the 28th
    today = now.date()
    card = card_for(giuseppe, world.bologna, now)
    agenda = occasions_between(today, today + timedelta(days=7), customer_ids=[giuseppe.pk])
    assert [(o.kind, o.on, o.years) for o in card.occasions] == [
        (o.kind, o.on, o.years) for o in agenda
    ]
    assert [(o.kind, o.on) for o in agenda] == [("birthday", date(2027, 2, 28))]
    later = datetime(2027, 3, 14, 12, tzinfo=ROME)
    card = card_for(giuseppe, world.bologna, later)
    agenda = occasions_between(
        later.date(), later.date() + timedelta(days=7), customer_ids=[giuseppe.pk]
    )
    assert [(o.kind, o.on, o.years) for o in card.occasions] == [
        (o.kind, o.on, o.years) for o in agenda
    ]
    assert [o.kind for o in agenda] == [
        "first_visit",
        "household_birthday",
        "name_day",
        "custom",
    ]
