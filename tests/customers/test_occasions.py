"""Every customer occasion in a range of dates (``customers.occasions.occasions_between``):
each kind, 29 February, ranges across the new year, filters, years, organisations and
nameless customers, and the local date of the first visit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from regulars.accounts.models import Location
from regulars.customers import occasions
from regulars.customers.models import (
    Customer,
    CustomerKind,
    CustomOccasion,
    HouseholdMember,
    NameDayEntry,
    Pet,
)
from regulars.customers.occasions import Occurrence, occasions_between
from regulars.text.namedays import fold_name
from tests.conftest import World
from tests.factories import LocationFactory

# A day in August on which nobody below has a name day of their own choice.
ELSEWHERE = {"nameday_month": 8, "nameday_day": 1}


def person(world: World, given: str = "Giulia", **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "given_name": given,
        "family_name": "Rossi",
        "language": "it",
        "home_location": world.bologna,
        **ELSEWHERE,
    }
    values.update(fields)
    return Customer.objects.create(**values)


def summary(found: list[Occurrence]) -> list[tuple[str, date, str, str, int | None]]:
    return [(o.kind, o.on, o.name, o.detail, o.years) for o in found]


def test_the_kinds_are_the_outreach_occasion_kinds() -> None:
    from regulars.outreach.models import OccasionKind

    assert set(occasions.KINDS) == set(OccasionKind.values)


def test_every_kind_in_the_range_is_found_with_whose_it_is_and_its_years(world: World) -> None:
    giulia = person(
        world, birth_month=3, birth_day=14, birth_year=1990, nameday_month=3, nameday_day=15
    )
    Customer.objects.filter(pk=giulia.pk).update(
        first_visit_at=datetime(2022, 3, 16, 9, tzinfo=UTC)
    )
    marco = HouseholdMember.objects.create(
        customer=giulia, name="Marco", relation="partner", birth_month=3, birth_day=17
    )
    bella = Pet.objects.create(
        customer=giulia, name="Bella", kind="dog", birth_month=3, birth_day=18, birth_year=2020
    )
    wedding = CustomOccasion.objects.create(
        customer=giulia, label="Wedding anniversary", month=3, day=19, year=2015
    )

    found = occasions_between(date(2025, 3, 14), date(2025, 3, 20))

    assert summary(found) == [
        ("birthday", date(2025, 3, 14), "Giulia", "", 35),
        ("name_day", date(2025, 3, 15), "Giulia", "", None),
        ("first_visit", date(2025, 3, 16), "Giulia", "", 3),
        ("household_birthday", date(2025, 3, 17), "Marco", "partner", None),
        ("pet_birthday", date(2025, 3, 18), "Bella", "dog", 5),
        ("custom", date(2025, 3, 19), "Wedding anniversary", "", 10),
    ]
    assert {o.customer_id for o in found} == {giulia.pk}
    assert [o.source_id for o in found] == [None, None, None, marco.pk, bella.pk, wedding.pk]


def test_nothing_outside_the_range_is_found(world: World) -> None:
    person(world, birth_month=3, birth_day=13)
    person(world, "Anna", birth_month=3, birth_day=21)
    assert occasions_between(date(2025, 3, 14), date(2025, 3, 20)) == []


def test_a_birthday_on_29_february_falls_on_28_february_in_a_common_year(world: World) -> None:
    leap = person(world, birth_month=2, birth_day=29, birth_year=1988)
    common = occasions_between(date(2025, 2, 28), date(2025, 2, 28), kinds=["birthday"])
    assert [(o.customer_id, o.on, o.years) for o in common] == [(leap.pk, date(2025, 2, 28), 37)]
    assert occasions_between(date(2025, 3, 1), date(2025, 3, 1)) == []
    # In a leap year it keeps its own day, and 28 February is nobody's.
    assert occasions_between(date(2028, 2, 28), date(2028, 2, 28)) == []
    leap_year = occasions_between(date(2028, 2, 29), date(2028, 2, 29), kinds=["birthday"])
    assert [(o.on, o.years) for o in leap_year] == [(date(2028, 2, 29), 40)]


def test_29_february_dates_of_companions_and_custom_dates_move_too(world: World) -> None:
    giulia = person(world)
    HouseholdMember.objects.create(customer=giulia, name="Leo", birth_month=2, birth_day=29)
    CustomOccasion.objects.create(customer=giulia, label="Leap day", month=2, day=29)
    found = occasions_between(date(2026, 2, 28), date(2026, 2, 28))
    assert summary(found) == [
        ("household_birthday", date(2026, 2, 28), "Leo", "", None),
        ("custom", date(2026, 2, 28), "Leap day", "", None),
    ]


def test_a_week_across_the_new_year_finds_both_years_with_their_ages(world: World) -> None:
    december = person(world, "Anna", birth_month=12, birth_day=30, birth_year=1990)
    january = person(world, "Bruno", birth_month=1, birth_day=2, birth_year=1990)
    person(world, "Carla", birth_month=1, birth_day=4)
    person(world, "Dario", birth_month=12, birth_day=27)
    found = occasions_between(date(2025, 12, 28), date(2026, 1, 3), kinds=["birthday"])
    assert [(o.customer_id, o.on, o.years) for o in found] == [
        (december.pk, date(2025, 12, 30), 35),
        (january.pk, date(2026, 1, 2), 36),
    ]


def test_the_location_filter_keeps_the_customers_of_those_home_locations(world: World) -> None:
    here = person(world, "Anna", birth_month=5, birth_day=5)
    there = person(world, "Bo", birth_month=5, birth_day=5, home_location=world.copenhagen)
    nowhere = person(world, "Carla", birth_month=5, birth_day=5, home_location=None)
    HouseholdMember.objects.create(customer=there, name="Ida", birth_month=5, birth_day=5)
    day = date(2025, 5, 5)

    def ids(**filters: Any) -> list[int]:
        return sorted(o.customer_id for o in occasions_between(day, day, **filters))

    assert ids() == sorted([here.pk, there.pk, there.pk, nowhere.pk])
    assert ids(location_ids=[world.bologna.pk]) == [here.pk]
    assert ids(location_ids=[world.copenhagen.pk]) == [there.pk, there.pk]
    assert ids(location_ids=[]) == []


def test_the_customer_and_kind_filters_narrow_the_answer(world: World) -> None:
    anna = person(world, "Anna", birth_month=5, birth_day=5)
    person(world, "Bruno", birth_month=5, birth_day=5)
    CustomOccasion.objects.create(customer=anna, label="Shop opening", month=5, day=5)
    day = date(2025, 5, 5)
    mine = occasions_between(day, day, customer_ids={anna.pk})
    assert [(o.customer_id, o.kind) for o in mine] == [(anna.pk, "birthday"), (anna.pk, "custom")]
    only_custom = occasions_between(day, day, kinds=["custom"])
    assert [o.kind for o in only_custom] == ["custom"]
    with pytest.raises(ValueError, match="unknown occasion kinds"):
        occasions_between(day, day, kinds=["wedding"])


def test_a_range_that_ends_before_it_starts_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        occasions_between(date(2025, 5, 5), date(2025, 5, 4))


def test_years_are_known_only_with_a_year_and_nothing_falls_before_it(world: World) -> None:
    giulia = person(world, birth_month=6, birth_day=1)
    HouseholdMember.objects.create(
        customer=giulia, name="Baby", relation="child", birth_month=6, birth_day=1, birth_year=2025
    )
    CustomOccasion.objects.create(customer=giulia, label="Wedding", month=6, day=1, year=2025)
    CustomOccasion.objects.create(
        customer=giulia, label="Silver wedding", month=6, day=1, year=2030
    )
    found = occasions_between(date(2025, 6, 1), date(2025, 6, 1))
    # The child's birth is not a birthday yet; the wedding day itself counts (years 0);
    # a date in a later year has not happened.
    assert summary(found) == [
        ("birthday", date(2025, 6, 1), "Giulia", "", None),
        ("custom", date(2025, 6, 1), "Wedding", "", 0),
    ]
    next_year = occasions_between(date(2026, 6, 1), date(2026, 6, 1), kinds=["household_birthday"])
    assert [(o.name, o.detail, o.years) for o in next_year] == [("Baby", "child", 1)]


def test_an_organisation_has_no_birthday_or_name_day_but_keeps_its_dates(world: World) -> None:
    acme = Customer.objects.create(
        kind=CustomerKind.ORGANISATION,
        organisation_name="ACME",
        given_name="Giuseppe",  # a contact's name typed in by mistake
        birth_month=3,
        birth_day=19,
        nameday_month=3,
        nameday_day=19,
        home_location=world.bologna,
    )
    CustomOccasion.objects.create(customer=acme, label="Founded", month=3, day=19, year=1999)
    found = occasions_between(date(2025, 3, 19), date(2025, 3, 19))
    assert summary(found) == [("custom", date(2025, 3, 19), "Founded", "", 26)]


def test_a_customer_without_any_name_is_left_out(world: World) -> None:
    nameless = person(world, "", family_name="", birth_month=7, birth_day=7)
    CustomOccasion.objects.create(customer=nameless, label="Something", month=7, day=7)
    Customer.objects.filter(pk=nameless.pk).update(
        first_visit_at=datetime(2020, 7, 7, 10, tzinfo=UTC)
    )
    known = person(world, "", family_name="Bianchi", birth_month=7, birth_day=7)
    found = occasions_between(date(2025, 7, 7), date(2025, 7, 7))
    assert [(o.customer_id, o.kind, o.name) for o in found] == [(known.pk, "birthday", "Bianchi")]


# --- The first visit ------------------------------------------------------------------


def visited(customer: Customer, at: datetime) -> None:
    Customer.objects.filter(pk=customer.pk).update(first_visit_at=at)


def test_the_first_visit_anniversary_takes_the_local_date_across_midnight_utc(
    world: World,
) -> None:
    # 23:30 UTC on 13 March 2024 was 00:30 on 14 March in Bologna.
    giulia = person(world)
    visited(giulia, datetime(2024, 3, 13, 23, 30, tzinfo=UTC))
    # 02:30 UTC on 14 March 2024 was still the evening of 13 March in New York.
    new_york = LocationFactory(name="New York", country="US", timezone="America/New_York")
    jane = person(world, "Jane", language="en", home_location=new_york)
    visited(jane, datetime(2024, 3, 14, 2, 30, tzinfo=UTC))

    def on(day: date) -> list[tuple[int, int | None]]:
        return [(o.customer_id, o.years) for o in occasions_between(day, day)]

    assert on(date(2025, 3, 13)) == [(jane.pk, 1)]
    assert on(date(2025, 3, 14)) == [(giulia.pk, 1)]


def test_without_a_home_location_the_first_locations_zone_decides(world: World) -> None:
    first = Location.objects.order_by("pk").first()
    assert first == world.bologna
    wanderer = person(world, "Wanda", home_location=None)
    visited(wanderer, datetime(2023, 12, 31, 23, 15, tzinfo=UTC))  # 1 January in Bologna
    found = occasions_between(date(2025, 1, 1), date(2025, 1, 1))
    assert [(o.customer_id, o.kind, o.years) for o in found] == [(wanderer.pk, "first_visit", 1)]


def test_the_first_visit_counts_from_its_first_whole_year(world: World) -> None:
    giulia = person(world)
    visited(giulia, datetime(2025, 3, 10, 10, tzinfo=UTC))
    assert occasions_between(date(2025, 3, 10), date(2025, 3, 10)) == []
    assert [o.years for o in occasions_between(date(2026, 3, 10), date(2026, 3, 10))] == [1]


def test_the_day_staff_first_met_them_counts_when_it_is_earlier(world: World) -> None:
    giulia = person(world, first_met_on=date(2019, 5, 2))
    visited(giulia, datetime(2021, 6, 3, 10, tzinfo=UTC))
    assert occasions_between(date(2025, 6, 3), date(2025, 6, 3)) == []
    found = occasions_between(date(2025, 5, 2), date(2025, 5, 2))
    assert summary(found) == [("first_visit", date(2025, 5, 2), "Giulia", "", 6)]


def test_a_first_visit_on_29_february_is_remembered_on_28_february(world: World) -> None:
    giulia = person(world)
    visited(giulia, datetime(2024, 2, 29, 12, tzinfo=UTC))
    found = occasions_between(date(2025, 2, 28), date(2025, 2, 28))
    assert summary(found) == [("first_visit", date(2025, 2, 28), "Giulia", "", 1)]


# --- Name days ----------------------------------------------------------------------------


def test_a_name_day_comes_from_the_calendar_when_they_chose_none(world: World) -> None:
    giuseppe = person(world, "Giuseppe", nameday_month=None, nameday_day=None)
    found = occasions_between(date(2025, 3, 19), date(2025, 3, 19))
    assert [(o.customer_id, o.kind, o.name) for o in found] == [
        (giuseppe.pk, "name_day", "Giuseppe")
    ]


def test_their_own_choice_wins_over_the_calendar(world: World) -> None:
    person(world, "Giuseppe", nameday_month=3, nameday_day=20)
    assert occasions_between(date(2025, 3, 19), date(2025, 3, 19)) == []
    found = occasions_between(date(2025, 3, 20), date(2025, 3, 20))
    assert [(o.kind, o.on) for o in found] == [("name_day", date(2025, 3, 20))]


def test_the_business_imported_calendar_comes_before_the_shipped_one(world: World) -> None:
    NameDayEntry.objects.create(country="dk", month=6, day=9, name="Søren", key=fold_name("Søren"))
    soren = person(
        world,
        "Søren",
        language="da",
        home_location=world.copenhagen,
        nameday_month=None,
        nameday_day=None,
    )
    found = occasions_between(date(2025, 6, 9), date(2025, 6, 9), kinds=["name_day"])
    assert [(o.customer_id, o.name) for o in found] == [(soren.pk, "Søren")]
    assert occasions_between(date(2025, 10, 23), date(2025, 10, 23), kinds=["name_day"]) == []


def test_many_customers_with_the_same_name_all_get_their_name_day(world: World) -> None:
    names = ["Giuseppe", "Giuseppe", "giuseppe", "Marco"]
    people = [person(world, n, nameday_month=None, nameday_day=None) for n in names]
    found = occasions_between(date(2025, 3, 19), date(2025, 3, 19), kinds=["name_day"])
    assert sorted(o.customer_id for o in found) == sorted(p.pk for p in people[:3])
