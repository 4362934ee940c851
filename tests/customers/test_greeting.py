"""The greeting card at the counter: the salutation (register, time of day, language),
upcoming occasions, the hints that say what to say, the registry of parts from higher
apps, the query bound and the template partial."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import pgettext

from regulars.accounts.models import Location
from regulars.customers import greeting
from regulars.customers.greeting import (
    CardPart,
    GreetingCard,
    Hint,
    build_greeting_card,
    register_card_part,
    unregister_card_part,
)
from regulars.customers.models import Customer, HouseholdMember, Pet, Preference
from regulars.service.services import log_visit
from tests.conftest import World
from tests.factories import CustomerFactory

ROME = ZoneInfo("Europe/Rome")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# Thursday 13 March 2025, 10:30 in Bologna.
THURSDAY = datetime(2025, 3, 13, 10, 30, tzinfo=ROME)


@pytest.fixture(autouse=True)
def _staff_speak_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def giulia(world: World) -> Customer:
    return CustomerFactory(
        given_name="Giulia", family_name="Rossi", language="en", home_location=world.bologna
    )


def card_for(customer: Customer, location: Location, now: datetime = THURSDAY) -> GreetingCard:
    # A fresh row, as the counter view would load it: no caches from the test's setup.
    fresh = Customer.objects.get(pk=customer.pk)
    return build_greeting_card(fresh, location=location, now=now)


def hints_of(card: GreetingCard, kind: str) -> list[tuple[str, str]]:
    return [(h.text, h.level) for h in card.hints if h.kind == kind]


def visit(
    world: World,
    customer: Customer,
    at: datetime,
    *,
    had: str = "",
    lines: tuple[str, ...] = (),
    location: Location | None = None,
) -> None:
    log_visit(
        actor=world.users["owner"],
        location=location or world.bologna,
        customer=customer,
        at=at,
        had=had,
        lines=[(item, Decimal(1), None) for item in lines],
    )


# --- Salutation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        ((8, 0), "Good morning, Giulia Rossi!"),
        ((11, 59), "Good morning, Giulia Rossi!"),
        ((12, 0), "Good afternoon, Giulia Rossi!"),
        ((17, 59), "Good afternoon, Giulia Rossi!"),
        ((18, 0), "Good evening, Giulia Rossi!"),
        ((22, 30), "Good evening, Giulia Rossi!"),
    ],
)
def test_it_greets_a_formal_customer_by_the_time_of_day_in_rome(
    world: World, giulia: Customer, local_time: tuple[int, int], expected: str
) -> None:
    now = datetime(2025, 3, 13, *local_time, tzinfo=ROME)
    card = card_for(giulia, world.bologna, now.astimezone(UTC))
    assert card.salutation == expected
    assert card.register == "formal"


@pytest.mark.parametrize(
    ("local_hour", "expected"),
    [(9, "Morning, Søren!"), (14, "Hi Søren!"), (19, "Evening, Søren!")],
)
def test_it_greets_an_informal_customer_by_the_time_of_day_in_copenhagen(
    world: World, local_hour: int, expected: str
) -> None:
    soren = CustomerFactory(
        given_name="Søren", family_name="Kierkegaard", address_form="informal", language="en"
    )
    now = datetime(2025, 7, 10, local_hour, 15, tzinfo=COPENHAGEN)
    card = card_for(soren, world.copenhagen, now.astimezone(UTC))
    assert card.salutation == expected
    assert card.register == "informal"


def test_it_reads_the_time_of_day_in_the_location_zone_not_in_utc(world: World) -> None:
    # 16:30 UTC on a July day is 18:30 in Copenhagen (summer time): evening there,
    # afternoon in UTC and even in Copenhagen's winter offset.
    soren = CustomerFactory(given_name="Søren", address_form="first_name", language="en")
    card = card_for(soren, world.copenhagen, datetime(2025, 7, 10, 16, 30, tzinfo=UTC))
    assert card.salutation == "Evening, Søren!"


def test_it_uses_the_preferred_name_for_an_informal_customer(world: World) -> None:
    olga = CustomerFactory(
        given_name="Ольга", preferred_name="Оля", address_form="informal", language="en"
    )
    assert card_for(olga, world.bologna).salutation == "Morning, Оля!"


def test_it_uses_name_and_patronymic_formally(world: World) -> None:
    olga = CustomerFactory(
        given_name="Ольга",
        patronymic="Петровна",
        family_name="Смирнова",
        address_form="name_patronymic",
        language="en",
    )
    card = card_for(olga, world.bologna)
    assert card.salutation == "Good morning, Ольга Петровна!"
    assert card.address_as == "Ольга Петровна"
    assert card.register == "formal"


def test_it_uses_the_title_and_surname_when_there_is_a_title(world: World) -> None:
    rossi = CustomerFactory(
        given_name="Mario", family_name="Rossi", title="Dr", address_form="formal", language="en"
    )
    assert card_for(rossi, world.bologna).salutation == "Good morning, Dr Rossi!"


def test_it_greets_without_a_name_when_none_is_known(world: World) -> None:
    anonymous = CustomerFactory(given_name="", family_name="", language="en")
    assert card_for(anonymous, world.bologna).salutation == "Good morning!"


def test_it_greets_in_the_customers_language_whatever_the_staff_speak(world: World) -> None:
    ivan = CustomerFactory(given_name="Иван", family_name="Петров", language="ru")
    with translation.override("it"):
        card = card_for(ivan, world.bologna)
    with translation.override("ru"):
        expected = pgettext("greeting", "Good morning, %(name)s!") % {"name": "Иван Петров"}
    assert card.salutation_language == "ru"
    assert card.salutation == expected


def test_it_falls_back_to_the_locations_default_language(world: World) -> None:
    lars = CustomerFactory(given_name="Lars", family_name="Holm", language="")
    card = card_for(lars, world.copenhagen)
    with translation.override("da"):
        expected = pgettext("greeting", "Good morning, %(name)s!") % {"name": "Lars Holm"}
    assert card.salutation_language == "da"
    assert card.salutation == expected


def test_the_hints_stay_in_the_staff_language(world: World) -> None:
    marco = CustomerFactory(given_name="Marco", language="it")
    Preference.objects.create(customer=marco, kind="allergy", text="nuts")
    card = card_for(marco, world.bologna)
    assert card.salutation_language == "it"
    assert hints_of(card, "allergy") == [("Allergic to nuts: check before serving", "warning")]


def test_it_refuses_a_naive_now(world: World, giulia: Customer) -> None:
    with pytest.raises(ValueError, match="aware"):
        build_greeting_card(giulia, location=world.bologna, now=datetime(2025, 3, 13, 10))  # noqa: DTZ001


# --- Occasions ----------------------------------------------------------------------------


def test_a_birthday_today_is_an_occasion_to_wish_them_well(world: World, giulia: Customer) -> None:
    Customer.objects.filter(pk=giulia.pk).update(birth_month=3, birth_day=13, birth_year=1990)
    card = card_for(giulia, world.bologna)
    [occasion] = card.occasions
    assert (occasion.kind, occasion.on, occasion.days_away, occasion.years) == (
        "birthday",
        date(2025, 3, 13),
        0,
        35,
    )
    assert hints_of(card, "occasion") == [
        ("It is their birthday today: wish them a happy birthday", "ask")
    ]


def test_today_follows_the_location_zone_at_midnight(world: World, giulia: Customer) -> None:
    # 23:30 UTC on 12 March is already 13 March in Bologna.
    Customer.objects.filter(pk=giulia.pk).update(birth_month=3, birth_day=13)
    card = card_for(giulia, world.bologna, datetime(2025, 3, 12, 23, 30, tzinfo=UTC))
    assert [o.days_away for o in card.occasions] == [0]


def test_a_birthday_seven_days_away_is_named_by_weekday_and_date(
    world: World, giulia: Customer
) -> None:
    Customer.objects.filter(pk=giulia.pk).update(birth_month=3, birth_day=20)
    card = card_for(giulia, world.bologna)
    assert [(o.on, o.days_away, o.years) for o in card.occasions] == [(date(2025, 3, 20), 7, None)]
    assert hints_of(card, "occasion") == [("Birthday on Thursday 20 March: wish them well", "ask")]


def test_an_occasion_eight_days_away_is_left_off(world: World, giulia: Customer) -> None:
    Customer.objects.filter(pk=giulia.pk).update(
        birth_month=3, birth_day=21, nameday_month=3, nameday_day=12
    )
    card = card_for(giulia, world.bologna)
    assert card.occasions == ()
    assert hints_of(card, "occasion") == []


def test_a_birthday_on_29_february_falls_on_28_february_in_a_common_year(
    world: World, giulia: Customer
) -> None:
    Customer.objects.filter(pk=giulia.pk).update(birth_month=2, birth_day=29, birth_year=1988)
    card = card_for(giulia, world.bologna, datetime(2025, 2, 25, 9, tzinfo=ROME))
    assert [(o.on, o.days_away, o.years) for o in card.occasions] == [(date(2025, 2, 28), 3, 37)]
    assert hints_of(card, "occasion") == [("Birthday on Friday 28 February: wish them well", "ask")]


def test_an_occasion_early_next_year_is_seen_at_the_end_of_this_one(
    world: World, giulia: Customer
) -> None:
    Customer.objects.filter(pk=giulia.pk).update(nameday_month=1, nameday_day=2)
    card = card_for(giulia, world.bologna, datetime(2025, 12, 28, 9, tzinfo=ROME))
    assert [(o.kind, o.on, o.days_away) for o in card.occasions] == [
        ("name_day", date(2026, 1, 2), 5)
    ]
    assert hints_of(card, "occasion") == [("Name day on Friday 2 January: wish them well", "ask")]


def test_household_pet_and_first_visit_occasions_come_soonest_first(
    world: World, giulia: Customer
) -> None:
    HouseholdMember.objects.create(
        customer=giulia, name="Marco", relation="partner", birth_month=3, birth_day=15
    )
    Pet.objects.create(customer=giulia, name="Bella", kind="dog", birth_month=3, birth_day=13)
    Customer.objects.filter(pk=giulia.pk).update(first_met_on=date(2022, 3, 16))
    card = card_for(giulia, world.bologna)
    assert [(o.kind, o.name, o.detail, o.days_away, o.years) for o in card.occasions] == [
        ("pet_birthday", "Bella", "dog", 0, None),
        ("household_birthday", "Marco", "partner", 2, None),
        ("first_visit", "Giulia", "", 3, 3),
    ]
    assert hints_of(card, "occasion") == [
        ("Bella (dog) has a birthday today: ask after them", "ask"),
        (
            (
                "Marco (partner) has a birthday on Saturday 15 March: "
                "ask them to pass on your best wishes"
            ),
            "ask",
        ),
        (
            "3 years since their first visit on Sunday 16 March: a good moment to thank them",
            "ask",
        ),
    ]


def test_the_first_visit_anniversary_comes_from_the_first_logged_visit(
    world: World, giulia: Customer
) -> None:
    # 23:30 UTC on 13 March 2024 was 00:30 on 14 March in Bologna: the local date counts.
    visit(world, giulia, datetime(2024, 3, 13, 23, 30, tzinfo=UTC), had="espresso")
    card = card_for(giulia, world.bologna)
    assert [(o.kind, o.on, o.years) for o in card.occasions] == [
        ("first_visit", date(2025, 3, 14), 1)
    ]
    assert hints_of(card, "occasion") == [
        ("1 year since their first visit on Friday 14 March: a good moment to thank them", "ask")
    ]


# --- Hints --------------------------------------------------------------------------------


def test_every_allergy_and_dietary_need_is_a_warning(world: World, giulia: Customer) -> None:
    Preference.objects.create(customer=giulia, kind="allergy", text="nuts")
    Preference.objects.create(customer=giulia, kind="allergy", text="shellfish")
    Preference.objects.create(customer=giulia, kind="dietary", text="vegetarian")
    card = card_for(giulia, world.bologna)
    assert card.allergies == ("nuts", "shellfish")
    assert card.dietary == ("vegetarian",)
    assert hints_of(card, "allergy") == [
        ("Allergic to nuts: check before serving", "warning"),
        ("Allergic to shellfish: check before serving", "warning"),
    ]
    assert hints_of(card, "dietary") == [
        ("Dietary need (vegetarian): check what you serve", "warning")
    ]


def test_dislikes_and_likes_are_remembered(world: World, giulia: Customer) -> None:
    Preference.objects.create(customer=giulia, kind="dislike", text="cinnamon")
    Preference.objects.create(customer=giulia, kind="like", text="oat milk")
    Preference.objects.create(customer=giulia, kind="like", text="jazz")
    card = card_for(giulia, world.bologna)
    assert card.dislikes == ("cinnamon",)
    assert card.likes == ("oat milk", "jazz")
    assert hints_of(card, "dislike") == [("Dislikes cinnamon: avoid offering it", "info")]
    assert hints_of(card, "like") == [("Likes oat milk, jazz", "info")]


def test_an_item_in_each_of_the_last_three_visits_is_the_usual(
    world: World, giulia: Customer
) -> None:
    start = THURSDAY - timedelta(days=10)
    visit(world, giulia, start, lines=("Cappuccino", "cornetto"))
    visit(world, giulia, start + timedelta(days=3), had="cappuccino, water")
    visit(world, giulia, start + timedelta(days=6), lines=("cappuccino", "Cornetto"))
    card = card_for(giulia, world.bologna)
    # Cornetto is missing from the middle visit; the spelling is the latest one's.
    assert hints_of(card, "usual") == [("Offer the usual: cappuccino?", "ask")]


def test_two_visits_are_not_yet_a_usual(world: World, giulia: Customer) -> None:
    visit(world, giulia, THURSDAY - timedelta(days=5), lines=("cappuccino",))
    visit(world, giulia, THURSDAY - timedelta(days=2), lines=("cappuccino",))
    assert hints_of(card_for(giulia, world.bologna), "usual") == []


def test_a_usual_needs_the_item_in_every_one_of_the_last_three(
    world: World, giulia: Customer
) -> None:
    # An old cappuccino habit, broken by the latest visit.
    for days in (9, 7, 5):
        visit(world, giulia, THURSDAY - timedelta(days=days), lines=("cappuccino",))
    visit(world, giulia, THURSDAY - timedelta(days=1), lines=("tea",))
    assert hints_of(card_for(giulia, world.bologna), "usual") == []


def test_the_last_visit_is_recapped_with_what_they_had(world: World, giulia: Customer) -> None:
    at = THURSDAY - timedelta(days=3)
    visit(world, giulia, at, lines=("cappuccino", "cornetto"))
    card = card_for(giulia, world.bologna)
    assert card.last_visit is not None
    assert (card.last_visit.at, card.last_visit.location_name) == (at, "Bologna")
    assert card.last_visit.items == ("cappuccino", "cornetto")
    assert card.last_visit.days_ago == 3
    assert hints_of(card, "last_visit") == [("Last here 3 days ago: cappuccino, cornetto", "info")]


def test_a_last_visit_elsewhere_names_the_place(world: World, giulia: Customer) -> None:
    visit(world, giulia, THURSDAY - timedelta(days=1), had="smørrebrød", location=world.copenhagen)
    card = card_for(giulia, world.bologna)
    assert hints_of(card, "last_visit") == [
        ("Last seen yesterday at Copenhagen: smørrebrød", "info")
    ]


def test_a_visit_earlier_today_is_recapped_as_today(world: World, giulia: Customer) -> None:
    visit(world, giulia, THURSDAY - timedelta(hours=2))
    card = card_for(giulia, world.bologna)
    assert hints_of(card, "last_visit") == [("Last here today", "info")]


def test_a_customer_without_visits_is_welcomed(world: World, giulia: Customer) -> None:
    card = card_for(giulia, world.bologna)
    assert card.last_visit is None
    assert hints_of(card, "welcome") == [
        ("New customer: welcome them warmly and check how they spell their name", "info")
    ]
    assert hints_of(card, "last_visit") == []


def test_a_long_absence_is_met_with_a_welcome_back(world: World, giulia: Customer) -> None:
    visit(world, giulia, THURSDAY - timedelta(days=75), had="espresso")
    card = card_for(giulia, world.bologna)
    assert hints_of(card, "welcome_back") == [
        ("First visit in 2 months: say you are glad to see them again", "ask")
    ]
    assert hints_of(card, "welcome") == []


def test_a_short_absence_needs_no_welcome_back(world: World, giulia: Customer) -> None:
    visit(world, giulia, THURSDAY - timedelta(days=60), had="espresso")
    assert hints_of(card_for(giulia, world.bologna), "welcome_back") == []


def test_it_asks_after_at_most_two_of_the_household_and_pets(
    world: World, giulia: Customer
) -> None:
    HouseholdMember.objects.create(customer=giulia, name="Marco", relation="partner")
    Pet.objects.create(customer=giulia, name="Bella", kind="dog")
    Pet.objects.create(customer=giulia, name="Micio", kind="cat")
    card = card_for(giulia, world.bologna)
    assert [(m.name, m.relation) for m in card.household] == [("Marco", "partner")]
    assert [(p.name, p.kind) for p in card.pets] == [("Bella", "dog"), ("Micio", "cat")]
    asks = [(h.kind, h.text) for h in card.hints if h.kind in ("household", "pet")]
    assert asks == [("household", "Ask how Marco (partner) is"), ("pet", "Ask how Bella (dog) is")]


def test_a_companion_with_a_birthday_is_not_asked_after_twice(
    world: World, giulia: Customer
) -> None:
    HouseholdMember.objects.create(
        customer=giulia, name="Marco", relation="other", birth_month=3, birth_day=13
    )
    Pet.objects.create(customer=giulia, name="Bella", kind="dog")
    card = card_for(giulia, world.bologna)
    assert [h.text for h in card.hints if h.kind in ("household", "pet", "occasion")] == [
        "Marco has a birthday today: ask them to pass on your best wishes",
        "Ask how Bella (dog) is",
    ]


def test_warnings_come_first_then_asks_then_information(world: World, giulia: Customer) -> None:
    Preference.objects.create(customer=giulia, kind="dislike", text="cinnamon")
    Preference.objects.create(customer=giulia, kind="allergy", text="nuts")
    Pet.objects.create(customer=giulia, name="Bella", kind="dog")
    Preference.objects.create(customer=giulia, kind="dietary", text="vegan")
    card = card_for(giulia, world.bologna)
    assert [(h.level, h.kind) for h in card.hints] == [
        ("warning", "allergy"),
        ("warning", "dietary"),
        ("ask", "pet"),
        ("info", "welcome"),
        ("info", "dislike"),
    ]


# --- Registry of parts --------------------------------------------------------------------


@pytest.fixture
def registry() -> Iterator[list[str]]:
    """Keys registered by a test; they are removed afterwards."""
    keys: list[str] = []
    yield keys
    for key in keys:
        unregister_card_part(key)


def _part(key: str, order: int, text: str) -> greeting.CardBuilder:
    def build(customer: Customer, location: Location, now: datetime) -> CardPart:
        return CardPart(
            key=key,
            title=f"{key} for {customer.given_name} at {location.name}",
            items=(Hint(kind=key, text=f"{text} {now:%Y-%m-%d}", level="ask"),),
            order=order,
        )

    return build


def test_registered_parts_come_on_the_card_by_order_then_key(
    world: World, giulia: Customer, registry: list[str]
) -> None:
    # Keys of their own: unregistering afterwards must not remove the real parts.
    registry += ["calls", "requests", "feedback"]
    register_card_part("calls", _part("calls", 20, "Promised a call"))
    register_card_part("requests", _part("requests", 10, "Asked for oat milk"))
    register_card_part("feedback", _part("feedback", 10, "Unhappy last time"))
    card = card_for(giulia, world.bologna)
    assert [(p.key, p.title) for p in card.parts] == [
        ("feedback", "feedback for Giulia at Bologna"),
        ("requests", "requests for Giulia at Bologna"),
        ("calls", "calls for Giulia at Bologna"),
    ]
    assert card.parts[0].items == (
        Hint(kind="feedback", text="Unhappy last time 2025-03-13", level="ask"),
    )


def test_registering_a_key_again_replaces_the_builder(
    world: World, giulia: Customer, registry: list[str]
) -> None:
    registry.append("requests")
    register_card_part("requests", _part("requests", 10, "old"))
    register_card_part("requests", _part("requests", 10, "new"))
    card = card_for(giulia, world.bologna)
    assert [[h.text for h in p.items] for p in card.parts] == [["new 2025-03-13"]]


def test_a_builder_with_nothing_to_say_adds_no_part(
    world: World, giulia: Customer, registry: list[str]
) -> None:
    registry += ["silent", "requests"]
    register_card_part("silent", lambda customer, location, now: None)
    register_card_part("requests", _part("requests", 10, "Asked for oat milk"))
    assert [p.key for p in card_for(giulia, world.bologna).parts] == ["requests"]


def test_nothing_is_registered_by_default(world: World, giulia: Customer) -> None:
    assert card_for(giulia, world.bologna).parts == ()


# --- Queries and rendering ----------------------------------------------------------------


def _full_customer(world: World, giulia: Customer) -> Customer:
    for kind, text in [("allergy", "nuts"), ("dislike", "cinnamon"), ("like", "jazz")]:
        Preference.objects.create(customer=giulia, kind=kind, text=text)
    for name in ("Marco", "Anna"):
        HouseholdMember.objects.create(customer=giulia, name=name, relation="child")
    for name in ("Bella", "Micio"):
        Pet.objects.create(customer=giulia, name=name, kind="dog")
    for days in range(1, 8):
        visit(world, giulia, THURSDAY - timedelta(days=days), lines=("cappuccino", "cornetto"))
    return Customer.objects.get(pk=giulia.pk)


def test_the_card_costs_a_bounded_number_of_queries(
    world: World, giulia: Customer, django_assert_max_num_queries: Any
) -> None:
    customer = _full_customer(world, giulia)
    # Six for what customer memory holds (preferences, household, pets, custom dates,
    # visits and their lines), one for the business's imported name-day calendar, one
    # each for the service desk's open tickets, open promises and follow-ups due, one
    # for a service recovery under way, one for the loyalty rhythm line, one for
    # outreach's open vouchers and planned calls.
    with django_assert_max_num_queries(13):
        card = build_greeting_card(customer, location=world.bologna, now=THURSDAY)
    assert len(card.household) == 2
    assert card.last_visit is not None


def _element(html: str, testid: str) -> tuple[str, str]:
    """(the opening tag, the inner HTML) of the element carrying this data-testid."""
    match = re.search(
        rf'(<(?P<tag>\w+)[^>]*data-testid="{testid}"[^>]*>)(?P<inner>.*?)</(?P=tag)>',
        html,
        re.DOTALL,
    )
    assert match is not None, f"no element with data-testid={testid}"
    return match.group(1), match.group("inner")


def _texts(inner: str) -> list[str]:
    """The text of each list item, tags stripped and spaces collapsed."""
    items = re.findall(r"<li[^>]*>(.*?)</li>", inner, re.DOTALL)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def test_the_partial_shows_the_salutation_allergies_dislikes_and_hints(
    world: World, giulia: Customer
) -> None:
    customer = _full_customer(world, giulia)
    Customer.objects.filter(pk=customer.pk).update(language="it")
    card = card_for(customer, world.bologna)
    html = render_to_string("customers/_greeting_card.html", {"card": card})

    tag, inner = _element(html, "greeting-salutation")
    assert 'lang="it"' in tag
    assert unescape(inner).strip() == card.salutation
    assert _texts(_element(html, "greeting-allergies")[1]) == ["nuts"]
    assert _texts(_element(html, "greeting-dislikes")[1]) == ["cinnamon"]
    hints = _texts(_element(html, "greeting-hints")[1])
    assert hints[0] == "Allergic to nuts: check before serving"
    assert "Dislikes cinnamon: avoid offering it" in hints
    assert "Offer the usual: cappuccino, cornetto?" in hints
    # The salutation comes first, before any warning.
    assert html.index("greeting-salutation") < html.index("greeting-allergies")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Wednesday 18 March"),
        ("it", "mercoledì 18 marzo"),
        ("da", "onsdag den 18. marts"),
        ("ru", "среда, 18 марта"),  # the month in the genitive, as in a sentence
        ("es", "miércoles, 18 de marzo"),
    ],
)
def test_an_occasion_day_reads_as_it_would_in_a_sentence(language: str, expected: str) -> None:
    with translation.override(language):
        assert greeting.occasion_day(date(2026, 3, 18)) == expected
