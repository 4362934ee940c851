"""Tickets: the flow of statuses, the timeline, handovers, service levels counted in
opening hours, and two people changing one ticket at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from regulars import cli
from regulars.core.models import AuditEntry
from regulars.customers.models import Customer
from regulars.service import services as visit_services
from regulars.service import tickets
from regulars.service.flow import IllegalMove, TicketStatus
from regulars.service.models import Ticket, TicketEventKind
from tests.conftest import World
from tests.factories import CustomerFactory, UserFactory

# Bologna (Europe/Rome) opens Monday to Friday 09:00-13:00 and 15:00-19:00 in these tests.
SPLIT_WEEKDAYS = {
    day: [["09:00", "13:00"], ["15:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}
# Friday 5 June 2026, 18:00 in Rome (+02:00).
FRIDAY_SIX_PM = datetime(2026, 6, 5, 16, tzinfo=UTC)


@pytest.fixture
def customer(world: World) -> Customer:
    world.bologna.opening_hours = SPLIT_WEEKDAYS
    world.bologna.save()
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def open_one(world: World, customer: Customer, **options: object) -> Ticket:
    fields: dict[str, object] = {
        "actor": world.users["staff"],
        "location": world.bologna,
        "customer": customer,
        "kind": "complaint",
        "subject": "Cold coffee",
        "text": "The cappuccino was cold.",
        "at": FRIDAY_SIX_PM,
    }
    fields.update(options)
    return tickets.open_ticket(**fields)  # type: ignore[arg-type]


def service_level(world: World, kind: str, priority: str, *, hours: int) -> None:
    tickets.set_service_level(
        actor=world.users["manager"],
        kind=kind,
        priority=priority,
        resolve_within=timedelta(hours=hours),
    )


def timeline(ticket: Ticket) -> list[tuple[str, str, str, str]]:
    return [
        (e.kind, e.from_status, e.to_status, e.actor.username if e.actor else "")
        for e in ticket.events.select_related("actor")
    ]


def test_a_ticket_goes_through_the_flow_and_keeps_who_did_what(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    staff, manager = world.users["staff"], world.users["manager"]
    for actor, status in (
        (staff, TicketStatus.IN_PROGRESS),
        (manager, TicketStatus.WAITING),
        (staff, TicketStatus.RESOLVED),
        (manager, TicketStatus.CLOSED),
        (staff, TicketStatus.OPEN),  # reopened
    ):
        tickets.move_ticket(
            actor=actor, ticket=ticket, status=status, expected_version=ticket.version
        )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.reopened, stored.version) == ("open", 1, 6)
    assert (stored.resolved_at, stored.closed_at) == (None, None)
    assert timeline(stored) == [
        ("created", "", "open", "staff"),
        ("status", "open", "in_progress", "staff"),
        ("status", "in_progress", "waiting", "manager"),
        ("status", "waiting", "resolved", "staff"),
        ("status", "resolved", "closed", "manager"),
        ("status", "closed", "open", "staff"),
    ]
    assert stored.events.first().text == "The cappuccino was cold."  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(subject="ticket", customer_ref=customer.public_id).exists()


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ([], "closed"),  # an open ticket is resolved before it is closed
        (["in_progress"], "open"),
        (["resolved"], "waiting"),
        (["resolved", "closed"], "resolved"),
        ([], "open"),
        ([], "lost"),
    ],
)
def test_illegal_moves_are_refused_with_what_may_come_next_and_nothing_changes(
    world: World, customer: Customer, path: list[str], wanted: str
) -> None:
    ticket = open_one(world, customer)
    for status in path:
        tickets.move_ticket(
            actor=world.users["staff"],
            ticket=ticket,
            status=status,
            expected_version=ticket.version,
        )
    before = (ticket.status, ticket.version, ticket.events.count())
    with pytest.raises(IllegalMove) as refused:
        tickets.move_ticket(
            actor=world.users["staff"],
            ticket=ticket,
            status=wanted,
            expected_version=ticket.version,
        )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.version, stored.events.count()) == before
    message = str(refused.value)
    if wanted == "lost":
        assert message == "“lost” is not a ticket status."
    elif wanted == ticket.status:
        assert message == "The ticket is already “Open”."
    else:
        assert "cannot become" in message
        assert "it can become:" in message


def test_an_open_ticket_refused_closing_is_told_it_can_be_resolved(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    with pytest.raises(IllegalMove) as refused:
        tickets.move_ticket(
            actor=world.users["staff"], ticket=ticket, status="closed", expected_version=1
        )
    assert str(refused.value) == (
        "A ticket that is “Open” cannot become “Closed”; it can become: "
        "“In progress”, “Waiting on the customer”, “Resolved”."
    )


def test_the_second_of_two_simultaneous_changes_is_told_and_nothing_is_overwritten(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    # Two people opened the ticket at version 1; the first one's change lands.
    seen_by_manager = Ticket.objects.get(pk=ticket.pk)
    tickets.move_ticket(
        actor=world.users["staff"], ticket=ticket, status="in_progress", expected_version=1
    )
    with pytest.raises(tickets.StaleTicket, match="Someone else changed this ticket"):
        tickets.set_priority(
            actor=world.users["manager"],
            ticket=seen_by_manager,
            priority="high",
            expected_version=seen_by_manager.version,
        )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.priority, stored.version) == ("in_progress", "normal", 2)
    assert [e.kind for e in stored.events.all()] == ["created", "status"]


def test_the_due_time_counts_opening_hours_only(world: World, customer: Customer) -> None:
    service_level(world, "complaint", "normal", hours=4)
    ticket = open_one(world, customer)
    # Friday 18:00: one hour left that day; Monday 8 June 09:00-12:00 gives the other
    # three: 12:00 in Rome, 10:00 UTC.
    assert ticket.due_at == datetime(2026, 6, 8, 10, tzinfo=UTC)
    # High priority resolves within one hour: Friday 19:00 in Rome, 17:00 UTC.
    service_level(world, "complaint", "high", hours=1)
    tickets.set_priority(
        actor=world.users["staff"], ticket=ticket, priority="high", expected_version=1
    )
    assert Ticket.objects.get(pk=ticket.pk).due_at == datetime(2026, 6, 5, 17, tzinfo=UTC)
    # A kind without a service level has no due time.
    assert open_one(world, customer, kind="question").due_at is None


def test_only_managers_set_service_levels(world: World) -> None:
    with pytest.raises(PermissionDenied):
        tickets.set_service_level(
            actor=world.users["staff"],
            kind="complaint",
            priority="normal",
            resolve_within=timedelta(hours=4),
        )
    with pytest.raises(ValueError, match="some time"):
        tickets.set_service_level(
            actor=world.users["manager"],
            kind="complaint",
            priority="normal",
            resolve_within=timedelta(0),
        )


def test_a_handover_goes_to_a_colleague_with_a_note(world: World, customer: Customer) -> None:
    staff, manager = world.users["staff"], world.users["manager"]
    ticket = open_one(world, customer, assignee=staff)
    tickets.hand_over(
        actor=staff,
        ticket=ticket,
        to=manager,
        expected_version=1,
        note="He is upset about the third cold coffee; please call him.",
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.assignee == manager
    handoff = stored.events.last()
    assert handoff is not None
    assert (handoff.kind, handoff.assignee, handoff.actor) == (
        TicketEventKind.HANDOFF,
        manager,
        staff,
    )
    # Only to someone who handles tickets at the location.
    with pytest.raises(ValueError, match="does not handle tickets"):
        tickets.hand_over(
            actor=manager, ticket=stored, to=world.users["outsider"], expected_version=2
        )
    assert Ticket.objects.get(pk=ticket.pk).assignee == manager


def test_notes_are_kept_apart_from_what_was_said_to_the_customer(
    world: World, customer: Customer
) -> None:
    ticket = open_one(world, customer)
    tickets.add_note(actor=world.users["staff"], ticket=ticket, text="Machine 2 runs cold.")
    tickets.add_note(
        actor=world.users["staff"],
        ticket=ticket,
        text="We are sorry; the next one is on us.",
        to_customer=True,
    )
    assert [(e.kind, e.text) for e in ticket.events.all()][1:] == [
        ("note", "Machine 2 runs cold."),
        ("reply", "We are sorry; the next one is on us."),
    ]
    assert Ticket.objects.get(pk=ticket.pk).version == 1  # notes do not change the ticket


def test_a_ticket_about_a_visit_must_be_about_one_of_the_customers_visits(
    world: World, customer: Customer
) -> None:
    other = CustomerFactory(given_name="Ugo", family_name="Neri")
    theirs = visit_services.log_visit(
        actor=world.users["staff"], location=world.bologna, customer=other
    )
    with pytest.raises(ValueError, match="not one of this customer's visits"):
        open_one(world, customer, visit=theirs)
    mine = visit_services.log_visit(
        actor=world.users["staff"], location=world.bologna, customer=customer
    )
    assert open_one(world, customer, visit=mine).visit == mine


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"subject": "  "}, "needs a subject"),
        ({"kind": "refund"}, "is not a kind of ticket"),
        ({"priority": "asap"}, "is not a priority"),
        ({"at": datetime(2026, 6, 5, 18)}, "timezone-aware"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    world: World, customer: Customer, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        open_one(world, customer, **options)
    assert Ticket.objects.count() == 0


def test_people_without_a_role_at_the_location_cannot_touch_its_tickets(
    world: World, customer: Customer
) -> None:
    with pytest.raises(PermissionDenied):
        open_one(world, customer, actor=world.users["outsider"])
    ticket = open_one(world, customer)
    stranger = UserFactory(username="stranger")
    for action in (
        lambda: tickets.move_ticket(
            actor=stranger, ticket=ticket, status="resolved", expected_version=1
        ),
        lambda: tickets.add_note(actor=stranger, ticket=ticket, text="hi"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_refusals_speak_the_users_language(world: World, customer: Customer) -> None:
    ticket = open_one(world, customer)
    with translation.override("it"), pytest.raises(IllegalMove) as refused:
        tickets.move_ticket(
            actor=world.users["staff"], ticket=ticket, status="closed", expected_version=1
        )
    assert str(refused.value) == (
        "Una pratica “Aperta” non può diventare “Chiusa”; può diventare: "
        "“In lavorazione”, “In attesa del cliente”, “Risolta”."
    )
    with translation.override("da"), pytest.raises(tickets.StaleTicket) as stale:
        tickets.set_priority(
            actor=world.users["staff"], ticket=ticket, priority="high", expected_version=7
        )
    assert str(stale.value).startswith("En anden har ændret sagen")


def test_overdue_tickets_escalate_to_the_location_manager_once(
    world: World, customer: Customer, capsys: pytest.CaptureFixture[str]
) -> None:
    service_level(world, "complaint", "normal", hours=1)
    late = open_one(world, customer)  # due Friday 19:00 in Rome, 17:00 UTC
    on_time = open_one(world, customer, at=FRIDAY_SIX_PM + timedelta(minutes=30))
    resolved = open_one(world, customer)
    tickets.move_ticket(
        actor=world.users["staff"], ticket=resolved, status="resolved", expected_version=1
    )
    # Copenhagen has an owner and no manager: its overdue ticket goes to the owner.
    world.copenhagen.opening_hours = {}
    world.copenhagen.save()
    elsewhere = open_one(world, customer, actor=world.users["owner"], location=world.copenhagen)

    at_seven = datetime(2026, 6, 5, 17, 10, tzinfo=UTC)
    assert tickets.escalate_overdue(at_seven) == 2
    assert tickets.escalate_overdue(at_seven + timedelta(hours=1)) == 0  # never twice
    escalated = {
        t.pk: (t.escalated_at, [(e.kind, e.assignee) for e in t.events.all()][-1])
        for t in Ticket.objects.all()
    }
    assert escalated[late.pk] == (at_seven, ("escalated", world.users["manager"]))
    assert escalated[elsewhere.pk] == (at_seven, ("escalated", world.users["owner"]))
    assert escalated[on_time.pk][0] is None  # due Monday 8 June, 09:30 in Rome
    assert escalated[resolved.pk][0] is None

    # The command does the same for what is due at the time it runs.
    cli.main(["run-due"])
    # (The nightly loyalty snapshot may report after these lines, depending on the hour.)
    assert capsys.readouterr().out.startswith(
        "Escalated 1 overdue tickets.\nReminded the owners of 0 promises.\n"
    )
    assert Ticket.objects.get(pk=on_time.pk).escalated_at is not None


# --- on the counter's greeting card -------------------------------------------------------


def test_open_tickets_are_on_the_counter_card_with_what_is_pending(
    world: World, customer: Customer
) -> None:
    service_level(world, "repair", "normal", hours=1)
    complaint = open_one(world, customer)
    tickets.move_ticket(
        actor=world.users["staff"], ticket=complaint, status="waiting", expected_version=1
    )
    open_one(world, customer, kind="question", subject="Gluten-free bread?")
    open_one(world, customer, kind="repair", subject="Grinder")  # due Friday 19:00
    done = open_one(world, customer, kind="return", subject="Mug")
    tickets.move_ticket(
        actor=world.users["staff"], ticket=done, status="resolved", expected_version=1
    )
    world.copenhagen.opening_hours = {}
    world.copenhagen.save()
    open_one(
        world,
        customer,
        actor=world.users["owner"],
        location=world.copenhagen,
        kind="exchange",
        subject="Wrong size",
    )

    staff = world.client("staff")
    with translation.override("en"):
        page = staff.get(reverse("counter:card", args=[customer.public_id]), HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    part = re.search(r'data-part="tickets">(.*?)</div>', page.content.decode(), re.DOTALL)
    assert part is not None
    hints = [
        (level, unescape(re.sub(r"<[^>]+>", "", text)))
        for level, text in re.findall(
            r'class="hint hint-(\w+)" data-kind="ticket">(.*?)</li>', part[1]
        )
    ]
    # Oldest first; the repair's hour passed long ago (the test runs after June 2026).
    assert hints == [
        ("ask", "Complaint “Cold coffee”, waiting on the customer"),
        ("info", "Question “Gluten-free bread?”, open"),
        ("warning", "Repair or maintenance “Grinder”, open (overdue)"),
        ("info", "Exchange “Wrong size” at Copenhagen, open"),
    ]


def test_a_customer_without_open_tickets_has_no_tickets_section(
    world: World, customer: Customer
) -> None:
    done = open_one(world, customer)
    tickets.move_ticket(
        actor=world.users["staff"], ticket=done, status="resolved", expected_version=1
    )
    page = world.client("staff").get(
        reverse("counter:card", args=[customer.public_id]), HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    assert 'data-part="tickets"' not in page.content.decode()
