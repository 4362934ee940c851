"""The staff's agenda: today's and this week's occasions of the location's customers,
calls to make with a "done" form that records once, and cards waiting; each location
sees only its own."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regulars.customers.models import CustomOccasion, HouseholdMember, Pet
from regulars.outreach.agenda import build_agenda
from regulars.outreach.calls import record_call
from regulars.outreach.models import Channel, Message, MessageStatus, PrintBatch
from tests.conftest import World
from tests.factories import CustomerFactory, PhoneFactory
from tests.outreach._staff_helpers import make_message, make_play, today_at


@pytest.fixture
def today(world: World) -> date:
    return today_at(world.bologna)


@pytest.fixture
def bologna_people(world: World, today: date) -> dict[str, Any]:
    soon = today + timedelta(days=3)
    later = today + timedelta(days=10)  # beyond the week
    giulia = CustomerFactory(
        given_name="Giulia",
        family_name="Rossi",
        home_location=world.bologna,
        birth_month=today.month,
        birth_day=today.day,
        birth_year=today.year - 40,
    )
    luca = CustomerFactory(
        given_name="Luca",
        family_name="Verdi",
        home_location=world.bologna,
        nameday_month=soon.month,
        nameday_day=soon.day,
        first_met_on=today.replace(year=today.year - 4),  # 4: valid on 29 February too
    )
    anna = CustomerFactory(
        given_name="Anna",
        family_name="Neri",
        home_location=world.bologna,
        birth_month=later.month,
        birth_day=later.day,
    )
    HouseholdMember.objects.create(
        customer=anna,
        name="Marco",
        relation="child",
        birth_month=soon.month,
        birth_day=soon.day,
    )
    Pet.objects.create(
        customer=anna, name="Bella", kind="dog", birth_month=today.month, birth_day=today.day
    )
    CustomOccasion.objects.create(
        customer=luca,
        label="Wedding anniversary",
        month=soon.month,
        day=soon.day,
        year=soon.year - 25,
    )
    return {"giulia": giulia, "luca": luca, "anna": anna}


@pytest.fixture
def copenhagen_person(world: World, today: date) -> Any:
    return CustomerFactory(
        given_name="Freja",
        family_name="Hansen",
        language="da",
        home_location=world.copenhagen,
        birth_month=today.month,
        birth_day=today.day,
    )


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    end = html.index("</section>", start)
    return html[start:end]


def test_the_agenda_shows_todays_and_this_weeks_occasions_of_the_location(
    world: World, bologna_people: dict[str, Any], copenhagen_person: Any
) -> None:
    agenda = build_agenda(world.bologna, user=world.users["staff"])
    today = {(line.customer_name, line.what) for line in agenda.today_lines}
    week = {(line.customer_name, line.what) for line in agenda.week_lines}
    assert today == {
        ("Giulia Rossi", "Birthday: turns 40"),
        ("Luca Verdi", "4 years since their first visit"),
        ("Anna Neri", "Birthday of Bella (dog)"),
    }
    assert week == {
        ("Luca Verdi", "Name day"),
        ("Luca Verdi", "Wedding anniversary (25 years)"),
        ("Anna Neri", "Birthday of Marco (child)"),
    }
    assert all(line.days_away == 3 for line in agenda.week_lines)


def test_the_agenda_page_links_each_occasion_to_the_profile(
    world: World, bologna_people: dict[str, Any]
) -> None:
    response = world.client("staff").get(reverse("outreach:agenda"))
    html = response.content.decode()
    assert response.status_code == 200
    today = _section(html, "agenda-today")
    giulia = bologna_people["giulia"]
    assert reverse("customers:detail", args=[giulia.public_id]) in today
    assert "Birthday: turns 40" in today
    week = _section(html, "agenda-week")
    assert "Birthday of Marco (child)" in week
    assert "Giulia" not in week


def test_staff_of_bologna_do_not_see_copenhagens_customers(
    world: World, bologna_people: dict[str, Any], copenhagen_person: Any
) -> None:
    client = world.client("staff")
    html = client.get(reverse("outreach:agenda")).content.decode()
    assert "Freja" not in html
    asked = client.get(reverse("outreach:agenda"), {"location": world.copenhagen.pk})
    assert asked.status_code == 403


def test_an_owner_of_two_locations_picks_one(
    world: World, bologna_people: dict[str, Any], copenhagen_person: Any
) -> None:
    client = world.client("owner")
    html = client.get(reverse("outreach:agenda"), {"location": world.copenhagen.pk}).content
    page = html.decode()
    assert 'data-testid="agenda-location"' in page
    assert "Freja Hansen" in _section(page, "agenda-today")
    assert "Giulia" not in page
    # Remembered for the next visit to the page.
    assert "Freja Hansen" in client.get(reverse("outreach:agenda")).content.decode()


@pytest.mark.parametrize(("persona", "status"), [("outsider", 403), ("anonymous", 302)])
def test_outsiders_are_refused_and_strangers_sent_to_sign_in(
    world: World, persona: str, status: int
) -> None:
    response = world.client(persona).get(reverse("outreach:agenda"))
    assert response.status_code == status
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]


# --- Calls ----------------------------------------------------------------------------


@pytest.fixture
def call(world: World, bologna_people: dict[str, Any], today: date) -> Message:
    giulia = bologna_people["giulia"]
    PhoneFactory(customer=giulia, number="+393331234567")
    return make_message(giulia, world.bologna, play=make_play("Birthday call"), occasion_on=today)


def test_calls_due_are_listed_with_why_and_the_phone(world: World, call: Message) -> None:
    make_message(  # not due yet: later today, after quiet hours
        call.customer, world.bologna, send_after=timezone.now() + timedelta(hours=3)
    )
    make_message(call.customer, world.bologna, channel=Channel.EMAIL)  # not a call
    agenda = build_agenda(world.bologna, user=world.users["staff"])
    assert [c.public_id for c in agenda.calls] == [call.public_id]
    assert agenda.calls[0].phones == ("+393331234567",)
    assert "Birthday call" in agenda.calls[0].why
    html = _section(
        world.client("staff").get(reverse("outreach:agenda")).content.decode(), "agenda-calls"
    )
    assert "Giulia Rossi" in html
    assert 'href="tel:+393331234567"' in html


def test_copenhagens_calls_are_not_on_bolognas_agenda(
    world: World, call: Message, copenhagen_person: Any
) -> None:
    other = make_message(copenhagen_person, world.copenhagen)
    agenda = build_agenda(world.bologna, user=world.users["staff"])
    assert other.public_id not in [c.public_id for c in agenda.calls]


def test_a_call_marked_done_records_the_outcome_once(world: World, call: Message) -> None:
    client = world.client("staff")
    url = reverse("outreach:call_done")
    first = client.post(url, {"message": call.public_id, "outcome": "Happy, comes Friday"})
    assert first.status_code == 302
    second = client.post(url, {"message": call.public_id, "outcome": "Pressed twice"})
    assert second.status_code == 302
    done = Message.objects.get(pk=call.pk)
    assert done.status == MessageStatus.SENT
    assert done.outcome == "Happy, comes Friday"
    assert done.done_by == world.users["staff"]
    assert done.sent_at is not None
    assert build_agenda(world.bologna, user=world.users["staff"]).calls == ()
    page = client.get(reverse("outreach:agenda")).content.decode()
    assert "already recorded" in page


def test_record_call_says_whether_it_recorded(world: World, call: Message) -> None:
    assert record_call(call, world.users["manager"], "  Left   a message ") is True
    stale = Message.objects.get(pk=call.pk)
    stale.status = MessageStatus.QUEUED  # an old copy of the message
    assert record_call(stale, world.users["staff"], "again") is False
    kept = Message.objects.get(pk=call.pk)
    assert (kept.outcome, kept.done_by) == ("Left a message", world.users["manager"])


def test_staff_cannot_record_another_locations_call(world: World, copenhagen_person: Any) -> None:
    other = make_message(copenhagen_person, world.copenhagen)
    response = world.client("staff").post(
        reverse("outreach:call_done"), {"message": other.public_id, "outcome": "x"}
    )
    assert response.status_code == 403
    assert Message.objects.get(pk=other.pk).status == MessageStatus.QUEUED


def test_the_done_form_is_post_only(world: World, call: Message) -> None:
    assert world.client("staff").get(reverse("outreach:call_done")).status_code == 405


# --- Cards ----------------------------------------------------------------------------


def test_cards_waiting_to_be_printed_are_counted(
    world: World, bologna_people: dict[str, Any], copenhagen_person: Any
) -> None:
    for person in bologna_people.values():
        make_message(person, world.bologna, channel=Channel.CARD)
    make_message(copenhagen_person, world.copenhagen, channel=Channel.CARD)
    make_message(
        bologna_people["giulia"], world.bologna, channel=Channel.CARD, status=MessageStatus.SENT
    )
    agenda = build_agenda(world.bologna, user=world.users["staff"])
    assert agenda.cards_waiting == 3
    html = world.client("staff").get(reverse("outreach:agenda")).content.decode()
    assert 'data-cards-waiting="3"' in html


def _queries_of_agenda(world: World) -> int:
    with CaptureQueriesContext(connection) as captured:
        build_agenda(world.bologna, user=world.users["staff"])
    return len(captured)


def _another_customer_to_call(world: World, today: date) -> None:
    # Their own name day, so the calendar (customers.occasions' business) is not asked.
    extra = CustomerFactory(
        home_location=world.bologna,
        birth_month=today.month,
        birth_day=today.day,
        nameday_month=today.month,
        nameday_day=today.day,
    )
    PhoneFactory(customer=extra)
    make_message(extra, world.bologna)


def test_the_agenda_costs_the_same_queries_however_many_lines_it_has(
    world: World, bologna_people: dict[str, Any], call: Message, today: date
) -> None:
    _another_customer_to_call(world, today)
    _queries_of_agenda(world)  # the user's roles are read once, then kept on the user
    few = _queries_of_agenda(world)
    for _ in range(10):
        _another_customer_to_call(world, today)
    assert _queries_of_agenda(world) == few
    assert len(build_agenda(world.bologna, user=world.users["staff"]).calls) == 12


def test_print_batches_made_this_week_are_listed_for_their_location(
    world: World, bologna_people: dict[str, Any]
) -> None:
    here = PrintBatch.objects.create(location=world.bologna, cards=3)
    there = PrintBatch.objects.create(location=world.copenhagen, cards=2)
    old = PrintBatch.objects.create(
        location=world.bologna, cards=4, created_at=timezone.now() - timedelta(days=30)
    )
    agenda = build_agenda(world.bologna, user=world.users["staff"])
    assert [batch.pk for batch in agenda.batches] == [here.pk]
    html = world.client("staff").get(reverse("outreach:agenda")).content.decode()
    assert f'data-batch="{here.public_id}"' in html
    assert there.public_id not in html
    assert old.public_id not in html
