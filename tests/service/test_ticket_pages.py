"""The service desk's pages through the HTTP layer: opening a ticket (once, however
often the form is sent), a location's queue and each person's load, "mine", a ticket's
timeline and actions (with someone else's change or a move the flow refuses), who may
see which ticket, and the managers' service levels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regulars.accounts.models import Profile
from regulars.customers.models import Customer
from regulars.service import queries, tickets
from regulars.service.models import FollowUpRule, ServiceLevel, Ticket, TicketEvent
from regulars.service.ticket_views import SESSION_LOCATION
from tests.conftest import World
from tests.factories import CustomerFactory, UserFactory, VisitFactory

# Bologna (Europe/Rome) opens Monday to Friday 09:00-13:00 and 15:00-19:00 here.
SPLIT_WEEKDAYS = {
    day: [["09:00", "13:00"], ["15:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}
# Friday 5 June 2026, 18:00 in Rome (+02:00).
FRIDAY_SIX_PM = datetime(2026, 6, 5, 16, tzinfo=UTC)
LONG_AGO = timezone.now() - timedelta(days=60)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def customer(world: World) -> Customer:
    world.bologna.opening_hours = SPLIT_WEEKDAYS
    world.bologna.save()
    world.copenhagen.opening_hours = {}
    world.copenhagen.save()
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def open_one(world: World, customer: Customer, **options: Any) -> Ticket:
    fields: dict[str, Any] = {
        "actor": world.users["staff"],
        "location": world.bologna,
        "customer": customer,
        "kind": "complaint",
        "subject": "Cold coffee",
        "text": "The cappuccino was cold.",
    }
    fields.update(options)
    return tickets.open_ticket(**fields)


def service_level(world: World, kind: str, priority: str, *, hours: float) -> None:
    tickets.set_service_level(
        actor=world.users["manager"],
        kind=kind,
        priority=priority,
        resolve_within=timedelta(hours=hours),
    )


def text_of(response: Any) -> str:
    return unescape(response.content.decode())


def plain(html: str) -> str:
    """The text of some HTML, tags dropped and white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def shown_tickets(response: Any) -> list[str]:
    """The public ids of the tickets listed, in order."""
    return re.findall(
        r'<tr class="ticket-row[^"]*" data-ticket="([^"]+)"', response.content.decode()
    )


def hidden(response: Any, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert found is not None, f"no hidden {name}"
    return found[1]


def detail_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.public_id])


def act(client: Client, ticket: Ticket, action: str, data: dict[str, Any]) -> Any:
    """POST an action on the ticket and follow back to its page."""
    url = reverse(f"tickets:{action}", args=[ticket.public_id])
    return client.post(url, data, follow=True, **ENGLISH)


# --- opening a ticket ---------------------------------------------------------------------


def test_a_ticket_opened_through_the_page_twice_with_the_same_key_is_opened_once(
    world: World, customer: Customer
) -> None:
    staff = world.client("staff")
    url = reverse("tickets:new", args=[customer.public_id])
    form = staff.get(url, **ENGLISH)
    assert form.status_code == 200
    data = {
        "kind": "complaint",
        "subject": "Cold coffee",
        "text": "The cappuccino was cold.",
        "priority": "high",
        "location": str(world.bologna.pk),
        "assignee": str(world.users["staff"].pk),
        "request_key": hidden(form, "request_key"),
    }
    first = staff.post(url, data)
    second = staff.post(url, data)  # a double click, or "send again" after a timeout

    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == detail_url(ticket)
    assert (ticket.kind, ticket.priority, ticket.location, ticket.assignee) == (
        "complaint",
        "high",
        world.bologna,
        world.users["staff"],
    )
    assert [(e.kind, e.text) for e in ticket.events.all()] == [
        ("created", "The cappuccino was cold.")
    ]
    # A fresh form brings a fresh key: the next ticket is a new one.
    assert hidden(staff.get(url), "request_key") != data["request_key"]


def test_a_form_sent_twice_at_the_same_moment_still_opens_one_ticket(
    world: World, customer: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = tickets.open_ticket

    def losing_the_race(**fields: Any) -> Ticket:
        real_open(**fields)  # the other request, a moment earlier
        raise IntegrityError("UNIQUE constraint failed: service_ticket.request_key")

    monkeypatch.setattr(tickets, "open_ticket", losing_the_race)
    staff = world.client("staff")
    url = reverse("tickets:new", args=[customer.public_id])
    response = staff.post(
        url,
        {
            "kind": "question",
            "subject": "Opening hours at Easter?",
            "priority": "normal",
            "location": str(world.bologna.pk),
            "request_key": hidden(staff.get(url), "request_key"),
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == detail_url(ticket)


def test_the_form_defaults_to_the_customers_home_location_and_to_me(
    world: World, customer: Customer
) -> None:
    form = world.client("owner").get(reverse("tickets:new", args=[customer.public_id]))
    html = form.content.decode()
    assert re.search(rf'<option value="{world.bologna.pk}" selected>Bologna</option>', html)
    assert re.search(rf'<option value="{world.users["owner"].pk}" selected>', html)


def test_a_ticket_about_a_visit_keeps_the_visit(world: World, customer: Customer) -> None:
    visit = VisitFactory(customer=customer, location=world.bologna)
    staff = world.client("staff")
    url = reverse("tickets:new", args=[customer.public_id]) + f"?visit={visit.public_id}"
    form = staff.get(url, **ENGLISH)
    assert "About the visit of" in text_of(form)
    staff.post(
        url,
        {
            "kind": "return",
            "subject": "Chipped mug",
            "priority": "normal",
            "location": str(world.bologna.pk),
            "request_key": hidden(form, "request_key"),
        },
    )
    assert Ticket.objects.get().visit == visit


def test_a_visit_of_another_customer_is_refused_with_a_clear_error(
    world: World, customer: Customer
) -> None:
    someone_else = VisitFactory(customer=CustomerFactory(), location=world.bologna)
    staff = world.client("staff")
    url = reverse("tickets:new", args=[customer.public_id]) + f"?visit={someone_else.public_id}"
    page = staff.get(url, **ENGLISH)
    assert f"The visit “{someone_else.public_id}” is not one of Giulia Rossi’s visits" in (
        text_of(page)
    )
    staff.post(
        url,
        {
            "kind": "return",
            "subject": "Chipped mug",
            "priority": "normal",
            "location": str(world.bologna.pk),
            "request_key": hidden(page, "request_key"),
        },
    )
    assert Ticket.objects.count() == 0


def test_a_ticket_cannot_go_to_someone_who_does_not_handle_tickets_there(
    world: World, customer: Customer
) -> None:
    owner = world.client("owner")
    url = reverse("tickets:new", args=[customer.public_id])
    form = owner.get(url)
    page = owner.post(
        url,
        {
            "kind": "request",
            "subject": "Gift wrapping",
            "priority": "normal",
            "location": str(world.copenhagen.pk),  # staff has no role in Copenhagen
            "assignee": str(world.users["staff"].pk),
            "request_key": hidden(form, "request_key"),
        },
        **ENGLISH,
    )
    assert page.status_code == 200
    assert "This person does not handle tickets at the location chosen" in text_of(page)
    assert Ticket.objects.count() == 0


def test_a_ticket_needs_a_subject(world: World, customer: Customer) -> None:
    staff = world.client("staff")
    url = reverse("tickets:new", args=[customer.public_id])
    page = staff.post(
        url,
        {"kind": "question", "subject": "  ", "priority": "normal", "request_key": "x"},
        **ENGLISH,
    )
    assert page.status_code == 200
    assert "This field is required." in text_of(page)
    assert Ticket.objects.count() == 0


def test_the_profile_lists_the_customers_tickets_and_offers_to_open_one(
    world: World, customer: Customer
) -> None:
    visit = VisitFactory(customer=customer, location=world.bologna)
    here = open_one(world, customer)
    elsewhere = open_one(
        world, customer, actor=world.users["owner"], location=world.copenhagen, subject="Scarf"
    )
    page = text_of(
        world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    )
    new_url = reverse("tickets:new", args=[customer.public_id])
    assert f'href="{new_url}"' in page
    assert f'href="{new_url}?visit={visit.public_id}"' in page
    # Both are listed; only the one the staff member may work on is a link.
    assert re.findall(r'<li data-ticket="([^"]+)">', page) == [elsewhere.public_id, here.public_id]
    assert f'href="{detail_url(here)}"' in page
    assert f'href="{detail_url(elsewhere)}"' not in page


def test_the_counter_card_offers_to_open_a_ticket_at_the_counters_location(
    world: World, customer: Customer
) -> None:
    card = world.client("staff").get(
        reverse("counter:card", args=[customer.public_id]), HTTP_HX_REQUEST="true"
    )
    new_url = reverse("tickets:new", args=[customer.public_id])
    assert f'href="{new_url}?location={world.bologna.pk}"' in card.content.decode()


# --- the queue and each person's load -------------------------------------------------------


def test_the_queue_shows_the_chosen_locations_active_tickets_soonest_due_first(
    world: World, customer: Customer
) -> None:
    service_level(world, "complaint", "urgent", hours=1)
    service_level(world, "complaint", "normal", hours=4)
    without_due = open_one(world, customer, kind="question", at=FRIDAY_SIX_PM - timedelta(days=1))
    normal = open_one(world, customer, at=FRIDAY_SIX_PM)
    urgent = open_one(world, customer, priority="urgent", at=FRIDAY_SIX_PM + timedelta(minutes=1))
    later_without_due = open_one(
        world, customer, kind="request", at=FRIDAY_SIX_PM + timedelta(days=1)
    )
    done = open_one(world, customer)
    tickets.move_ticket(
        actor=world.users["staff"], ticket=done, status="resolved", expected_version=1
    )
    in_copenhagen = open_one(world, customer, actor=world.users["owner"], location=world.copenhagen)

    owner = world.client("owner")
    bologna = owner.get(reverse("tickets:queue"), **ENGLISH)
    assert shown_tickets(bologna) == [
        urgent.public_id,
        normal.public_id,
        without_due.public_id,
        later_without_due.public_id,
    ]
    assert "4 active tickets" in text_of(bologna)

    copenhagen = owner.get(reverse("tickets:queue"), {"location": world.copenhagen.pk})
    assert shown_tickets(copenhagen) == [in_copenhagen.public_id]
    # The choice is remembered, as at the counter.
    assert owner.session[SESSION_LOCATION] == str(world.copenhagen.pk)
    assert shown_tickets(owner.get(reverse("tickets:queue"))) == [in_copenhagen.public_id]


def test_the_queue_refuses_a_location_where_the_user_handles_no_tickets(
    world: World, customer: Customer
) -> None:
    page = world.client("staff").get(reverse("tickets:queue"), {"location": world.copenhagen.pk})
    assert page.status_code == 403


def test_overdue_tickets_are_marked_and_times_are_in_the_locations_zone(
    world: World, customer: Customer
) -> None:
    service_level(world, "complaint", "normal", hours=1)
    late = open_one(world, customer, at=FRIDAY_SIX_PM)  # due Friday 19:00 in Rome
    page = world.client("staff").get(reverse("tickets:queue"), **ENGLISH)
    row = re.search(rf'data-ticket="{late.public_id}">(.*?)</tr>', text_of(page), re.DOTALL)
    assert row is not None
    assert plain(row[1]).startswith("June 5, 2026 19:00 Overdue Cold coffee")
    assert 'class="badge badge-overdue">Overdue<' in row[1]
    detail = text_of(world.client("staff").get(detail_url(late), **ENGLISH))
    assert "Due June 5, 2026 19:00 (Europe/Rome)" in plain(detail)
    assert 'data-testid="ticket-overdue">Overdue<' in detail


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "waiting"}, ["waiting"]),
        ({"kind": "question"}, ["question"]),
        ({"priority": "urgent"}, ["urgent"]),
        ({"assignee": "nobody"}, ["nobody's"]),
        ({"overdue": "on"}, ["late"]),
        ({"status": "nonsense"}, ["late", "waiting", "question", "urgent", "nobody's"]),
    ],
)
def test_the_queue_filters_by_status_kind_priority_assignee_and_overdue(
    world: World, customer: Customer, params: dict[str, str], expected: list[str]
) -> None:
    service_level(world, "complaint", "high", hours=1)
    made = {
        "late": open_one(world, customer, priority="high", at=LONG_AGO),
        "waiting": open_one(world, customer, subject="Waiting", at=LONG_AGO + timedelta(hours=1)),
        "question": open_one(world, customer, kind="question", at=LONG_AGO + timedelta(hours=2)),
        "urgent": open_one(world, customer, priority="urgent", at=LONG_AGO + timedelta(hours=3)),
        "nobody's": open_one(
            world, customer, actor=world.users["manager"], at=LONG_AGO + timedelta(hours=4)
        ),
    }
    for name, ticket in made.items():
        if name != "nobody's":
            tickets.hand_over(
                actor=world.users["staff"],
                ticket=ticket,
                to=world.users["staff"],
                expected_version=ticket.version,
            )
    tickets.move_ticket(
        actor=world.users["staff"],
        ticket=made["waiting"],
        status="waiting",
        expected_version=made["waiting"].version,
    )
    page = world.client("staff").get(reverse("tickets:queue"), params)
    by_id = {ticket.public_id: name for name, ticket in made.items()}
    assert [by_id[public_id] for public_id in shown_tickets(page)] == expected


def test_the_queue_filters_by_a_person(world: World, customer: Customer) -> None:
    mine = open_one(world, customer, assignee=world.users["staff"])
    open_one(world, customer, assignee=world.users["manager"])
    page = world.client("staff").get(
        reverse("tickets:queue"), {"assignee": world.users["staff"].pk}
    )
    assert shown_tickets(page) == [mine.public_id]


def load_rows(response: Any) -> dict[str, tuple[int, ...]]:
    """Person (username; "" for nobody) -> (active, complaints, overdue)."""
    rows = re.findall(r'<tr data-person="([^"]*)">(.*?)</tr>', response.content.decode(), re.DOTALL)
    result = {}
    for person, cells in rows:
        numbers = re.findall(r">\s*(\d+)\s*<", cells)
        result[person] = tuple(int(n) for n in numbers[-3:])
    return result


def test_each_persons_load_counts_their_active_tickets_complaints_and_overdue_ones(
    world: World, customer: Customer
) -> None:
    service_level(world, "complaint", "normal", hours=1)
    staff, owner = world.users["staff"], world.users["owner"]
    open_one(world, customer, assignee=staff, at=LONG_AGO)  # a complaint, overdue
    open_one(world, customer, kind="question", assignee=staff)
    open_one(world, customer, kind="request", assignee=owner)
    open_one(world, customer, kind="request")  # nobody's yet
    done = open_one(world, customer, kind="question", assignee=staff)
    tickets.move_ticket(actor=staff, ticket=done, status="resolved", expected_version=1)
    open_one(world, customer, actor=owner, location=world.copenhagen, assignee=owner)

    page = world.client("manager").get(reverse("tickets:queue"), **ENGLISH)
    assert load_rows(page) == {
        "manager": (0, 0, 0),  # handles tickets here, holds none
        "owner": (1, 0, 0),
        "staff": (2, 1, 1),
        "": (1, 0, 0),  # nobody yet
    }


def test_the_load_shows_someone_who_left_but_still_holds_tickets(
    world: World, customer: Customer
) -> None:
    leaver = UserFactory(username="leaver")
    world.bologna.memberships.create(user=leaver, role="staff")
    open_one(world, customer, assignee=leaver)
    world.bologna.memberships.filter(user=leaver).delete()
    loads = queries.location_load(world.bologna)
    assert [(load.name, load.active, load.member) for load in loads if load.active] == [
        ("leaver", 1, False)
    ]


def test_the_queue_page_reads_a_fixed_number_of_queries(
    world: World, customer: Customer, django_assert_max_num_queries: Any
) -> None:
    client = world.client("owner")
    url = reverse("tickets:queue")

    def add(count: int) -> None:
        for n in range(count):
            someone = CustomerFactory(home_location=world.bologna)
            open_one(world, someone, assignee=world.users["staff" if n % 2 else "manager"])

    add(3)
    client.get(url)  # warm caches that are not per request (content types, ...)
    with CaptureQueriesContext(connection) as with_three:
        client.get(url)
    add(27)
    with django_assert_max_num_queries(len(with_three.captured_queries)):
        page = client.get(url)
    assert len(shown_tickets(page)) == 30
    assert len(with_three.captured_queries) <= 12


def test_the_queue_is_paginated_by_fifty(world: World, customer: Customer) -> None:
    for n in range(51):
        open_one(world, customer, subject=f"Ticket {n}", at=LONG_AGO + timedelta(minutes=n))
    client = world.client("staff")
    assert len(shown_tickets(client.get(reverse("tickets:queue")))) == 50
    assert len(shown_tickets(client.get(reverse("tickets:queue"), {"page": 2}))) == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_queue_query_uses_the_ticket_queue_index(world: World, customer: Customer) -> None:
    open_one(world, customer)
    plan = queries.location_queue(world.bologna).explain()
    assert "ticket_queue" in plan


def test_htmx_filtering_replaces_only_the_list(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    part = world.client("staff").get(
        reverse("tickets:queue"),
        {"kind": "complaint"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="ticket-queue",
    )
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="ticket-queue"')
    assert shown_tickets(part) == [ticket.public_id]
    assert "<html" not in html


# --- mine -----------------------------------------------------------------------------------


def test_mine_lists_my_active_tickets_at_every_location(world: World, customer: Customer) -> None:
    owner = world.users["owner"]
    service_level(world, "complaint", "urgent", hours=1)
    here = open_one(world, customer, actor=owner, assignee=owner)
    there = open_one(world, customer, actor=owner, location=world.copenhagen, assignee=owner)
    soon = open_one(world, customer, actor=owner, assignee=owner, priority="urgent")
    open_one(world, customer, assignee=world.users["staff"])  # someone else's
    done = open_one(world, customer, actor=owner, assignee=owner)
    tickets.move_ticket(actor=owner, ticket=done, status="resolved", expected_version=1)

    page = world.client("owner").get(reverse("tickets:mine"), **ENGLISH)
    assert shown_tickets(page) == [soon.public_id, here.public_id, there.public_id]
    assert 'id="mine-tickets"' in page.content.decode()


# --- a ticket and its actions ----------------------------------------------------------------


def test_the_ticket_page_shows_the_timeline_with_notes_kept_apart(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    tickets.add_note(actor=world.users["staff"], ticket=ticket, text="Check the machine.")
    tickets.add_note(
        actor=world.users["manager"],
        ticket=ticket,
        text="We will replace it.",
        to_customer=True,
    )
    page = text_of(world.client("staff").get(detail_url(ticket), **ENGLISH))
    events = re.findall(r'<li class="ticket-event ticket-event-(\w+)"', page)
    assert events == ["created", "note", "reply"]
    note = re.search(r'ticket-event-note".*?</li>', page, re.DOTALL)
    reply = re.search(r'ticket-event-reply".*?</li>', page, re.DOTALL)
    assert note is not None
    assert reply is not None
    assert plain(note[0]).split(" · ")[:2] == [
        'ticket-event-note" data-kind="note"> Internal note',
        "staff",
    ]
    assert plain(reply[0]).split(" · ")[:2] == [
        'ticket-event-reply" data-kind="reply"> Said to the customer',
        "manager",
    ]
    assert "Check the machine." in note[0]
    assert "We will replace it." in reply[0]
    assert "What the customer said" in page
    assert "The cappuccino was cold." in page
    assert f'href="{reverse("customers:detail", args=[customer.public_id])}"' in page


def test_only_the_moves_the_flow_allows_are_offered(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    client = world.client("staff")
    moves = re.findall(r'data-move="(\w+)"', client.get(detail_url(ticket)).content.decode())
    assert moves == ["in_progress", "waiting", "resolved"]
    tickets.move_ticket(
        actor=world.users["staff"], ticket=ticket, status="resolved", expected_version=1
    )
    moves = re.findall(r'data-move="(\w+)"', client.get(detail_url(ticket)).content.decode())
    assert moves == ["open", "closed"]


def test_moving_a_ticket_records_the_word_about_it(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    client = world.client("staff")
    version = hidden(client.get(detail_url(ticket)), "version")
    page = act(
        client,
        ticket,
        "move",
        {"version": version, "status": "waiting", "text": "Asked for the receipt."},
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.version) == ("waiting", 2)
    assert stored.events.last().text == "Asked for the receipt."  # type: ignore[union-attr]
    assert "The ticket is now “Waiting on the customer”." in text_of(page)


def test_a_change_on_a_stale_version_shows_the_message_and_changes_nothing(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    client = world.client("staff")
    version = hidden(client.get(detail_url(ticket)), "version")
    # Meanwhile a colleague takes the ticket in hand.
    tickets.move_ticket(
        actor=world.users["manager"], ticket=ticket, status="in_progress", expected_version=1
    )
    events = TicketEvent.objects.count()
    for action, data in (
        ("move", {"status": "resolved"}),
        ("priority", {"priority": "urgent"}),
        ("hand_over", {"to": str(world.users["manager"].pk)}),
    ):
        page = act(client, ticket, action, {"version": version, **data})
        assert "Someone else changed this ticket while you were looking at it." in text_of(page)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.priority, stored.assignee, stored.version) == (
        "in_progress",
        "normal",
        None,
        2,
    )
    assert TicketEvent.objects.count() == events


def test_the_stale_message_is_in_the_users_language(world: World, customer: Customer) -> None:
    Profile.objects.create(user=world.users["staff"], language="da")
    ticket = open_one(world, customer)
    page = act(world.client("staff"), ticket, "priority", {"version": "7", "priority": "high"})
    assert "En anden har ændret sagen" in text_of(page)
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"


def test_an_illegal_move_is_refused_with_the_message(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    page = act(world.client("staff"), ticket, "move", {"version": "1", "status": "closed"})
    assert (
        "A ticket that is “Open” cannot become “Closed”; it can become: "
        "“In progress”, “Waiting on the customer”, “Resolved”."
    ) in text_of(page)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.version, stored.events.count()) == ("open", 1, 1)


def test_a_form_without_its_version_is_refused(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    page = act(world.client("staff"), ticket, "move", {"status": "resolved"})
    assert "This form is out of date" in text_of(page)
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_a_ticket_is_handed_over_with_a_note(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer, assignee=world.users["staff"])
    client = world.client("staff")
    page = client.get(detail_url(ticket), **ENGLISH)
    # The colleagues who handle tickets here, not who already has it.
    select = re.search(r'<select name="to".*?</select>', page.content.decode(), re.DOTALL)
    assert select is not None
    choices = re.findall(r'<option value="(\d+)"', select[0])
    assert sorted(int(pk) for pk in choices) == sorted(
        [world.users["manager"].pk, world.users["owner"].pk]
    )
    done = act(
        client,
        ticket,
        "hand_over",
        {"version": "1", "to": str(world.users["manager"].pk), "note": "She asked for you."},
    )
    assert "The ticket is now with manager." in text_of(done)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.assignee == world.users["manager"]
    last = stored.events.last()
    assert last is not None
    assert (last.kind, last.assignee, last.text) == (
        "handoff",
        world.users["manager"],
        "She asked for you.",
    )
    assert "Handed over to manager" in text_of(done)


def test_notes_are_added_internal_or_as_said_to_the_customer(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    client = world.client("staff")
    act(client, ticket, "note", {"text": "Machine needs descaling.", "audience": "internal"})
    page = act(client, ticket, "note", {"text": "Offered a new one.", "audience": "customer"})
    assert "What was said to the customer is noted." in text_of(page)
    assert [(e.kind, e.text) for e in ticket.events.all()][1:] == [
        ("note", "Machine needs descaling."),
        ("reply", "Offered a new one."),
    ]
    empty = act(client, ticket, "note", {"text": "  ", "audience": "internal"})
    assert "A note needs some text." in text_of(empty)
    assert ticket.events.count() == 3
    assert Ticket.objects.get(pk=ticket.pk).version == 1  # notes change nothing


def test_the_priority_changes_and_the_due_time_follows(world: World, customer: Customer) -> None:
    service_level(world, "complaint", "urgent", hours=1)
    ticket = open_one(world, customer, at=FRIDAY_SIX_PM)
    page = act(world.client("staff"), ticket, "priority", {"version": "1", "priority": "urgent"})
    assert "The priority is now “Urgent”." in text_of(page)
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.priority, stored.due_at) == ("urgent", datetime(2026, 6, 5, 17, tzinfo=UTC))


def test_actions_are_post_only(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    response = world.client("staff").get(reverse("tickets:move", args=[ticket.public_id]))
    assert response.status_code == 405


def test_staff_of_one_location_cannot_see_or_touch_another_locations_ticket(
    world: World, customer: Customer
) -> None:
    elsewhere = open_one(world, customer, actor=world.users["owner"], location=world.copenhagen)
    staff = world.client("staff")
    assert staff.get(detail_url(elsewhere)).status_code == 404
    for action, data in (
        ("move", {"version": "1", "status": "resolved"}),
        ("note", {"text": "Hello", "audience": "internal"}),
        ("priority", {"version": "1", "priority": "urgent"}),
    ):
        url = reverse(f"tickets:{action}", args=[elsewhere.public_id])
        assert staff.post(url, data).status_code == 404
    stored = Ticket.objects.get(pk=elsewhere.pk)
    assert (stored.status, stored.priority, stored.events.count()) == ("open", "normal", 1)
    assert world.client("outsider").get(detail_url(elsewhere)).status_code == 403
    assert world.client("owner").get(detail_url(elsewhere)).status_code == 200


def test_an_unknown_ticket_is_not_found(world: World) -> None:
    assert world.client("staff").get("/tickets/nosuchticket/").status_code == 404


# --- service levels ---------------------------------------------------------------------------


def test_staff_cannot_set_service_levels(world: World) -> None:
    staff = world.client("staff")
    url = reverse("tickets:service_levels")
    assert staff.get(url).status_code == 403
    assert staff.post(url, {"level_complaint_normal": "8"}).status_code == 403
    assert ServiceLevel.objects.count() == 0


def levels_form(client: Client) -> dict[str, str]:
    """Every field of the service-levels page with the value it shows."""
    html = client.get(reverse("tickets:service_levels")).content.decode()
    fields = dict(re.findall(r'name="((?:level|days)_\w+)"(?: value="([^"]*)")?', html))
    return {name: value for name, value in fields.items()}


def test_managers_set_and_clear_service_levels_and_follow_up_days(world: World) -> None:
    manager = world.client("manager")
    url = reverse("tickets:service_levels")
    data = levels_form(manager)
    assert data["days_complaint"] == "3"  # the default until a manager sets one
    assert data["level_complaint_normal"] == ""
    data |= {"level_complaint_normal": "8", "level_repair_urgent": "1,5", "days_complaint": "5"}
    saved = manager.post(url, data, follow=True, **ENGLISH)
    assert "Service levels saved." in text_of(saved)
    assert {(lvl.kind, lvl.priority, lvl.resolve_within) for lvl in ServiceLevel.objects.all()} == {
        ("complaint", "normal", timedelta(hours=8)),
        ("repair", "urgent", timedelta(hours=1, minutes=30)),
    }
    assert list(FollowUpRule.objects.values_list("kind", "days")) == [("complaint", 5)]

    shown = levels_form(manager)
    assert (shown["level_complaint_normal"], shown["days_complaint"]) == ("8", "5")
    shown |= {"level_complaint_normal": "", "days_complaint": ""}
    manager.post(url, shown)
    assert list(ServiceLevel.objects.values_list("kind", "priority")) == [("repair", "urgent")]
    assert list(FollowUpRule.objects.values_list("kind", "days")) == [("complaint", None)]

    again = manager.post(url, levels_form(manager), follow=True, **ENGLISH)
    assert "Nothing was changed." in text_of(again)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("level_complaint_normal", "-3", "Give more than 0 hours"),
        ("level_complaint_normal", "0", "Give more than 0 hours"),
        ("level_complaint_normal", "eight", "“eight” is not a number of hours"),
        ("level_complaint_normal", "10001", "At most 10000 hours."),
        ("days_complaint", "-1", "At least 1 day"),
        ("days_complaint", "soon", "Write a whole number of days"),
        ("days_complaint", "400", "At most 365 days."),
    ],
)
def test_bad_service_level_input_is_refused_next_to_the_field_and_nothing_is_saved(
    world: World, field: str, value: str, error: str
) -> None:
    manager = world.client("manager")
    data = levels_form(manager) | {"level_question_low": "24", field: value}
    page = manager.post(reverse("tickets:service_levels"), data, **ENGLISH)
    assert page.status_code == 200
    html = text_of(page)
    # The error stands in the field's own cell, right after it.
    cell = re.search(rf'name="{field}".*?</td>', html, re.DOTALL)
    assert cell is not None
    assert error in cell[0]
    assert ServiceLevel.objects.count() == 0
    assert FollowUpRule.objects.count() == 0
