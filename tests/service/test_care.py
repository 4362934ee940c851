"""Returns and exchanges, promises, follow-ups and waiting: what the service desk keeps
beyond the ticket itself, and that a retry or a second person never doubles it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from regulars.accounts.models import Profile
from regulars.customers.greeting import build_greeting_card
from regulars.customers.models import Customer
from regulars.service import followups, promises, returns, tickets, waiting
from regulars.service import services as visit_services
from regulars.service.flow import FollowUpOutcome, PromiseStatus, TicketStatus
from regulars.service.models import FollowUp, Promise, Return, Ticket, Visit, Wait
from regulars.service.returns import ReturnedItem
from tests.conftest import World
from tests.factories import CustomerFactory

# Tuesday 10 March 2026, 10:00 in Rome (+01:00).
TUESDAY = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture
def customer(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def bought(world: World, customer: Customer, *lines: tuple[str, str, str]) -> Visit:
    return visit_services.log_visit(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        at=TUESDAY - timedelta(days=2),
        lines=[(d, Decimal(q), Decimal(a)) for d, q, a in lines],
    )


def bring_back(world: World, customer: Customer, **options: Any) -> Return:
    fields: dict[str, Any] = {
        "actor": world.users["staff"],
        "location": world.bologna,
        "customer": customer,
        "items": [ReturnedItem("Scarf")],
        "reason": "changed_mind",
        "remedy": "refund",
        "amount": Decimal(25),
        "at": TUESDAY,
    }
    fields.update(options)
    return returns.record_return(**fields)


# --- Returns and exchanges ---------------------------------------------------------------


def test_a_return_is_one_step_resolved_on_the_spot_with_its_reason_and_a_follow_up(
    world: World, customer: Customer
) -> None:
    visit = bought(world, customer, ("Scarf", "2", "50.00"), ("Gloves", "1", "20.00"))
    scarf = visit.lines.get(description="Scarf")
    details = bring_back(
        world,
        customer,
        visit=visit,
        items=[ReturnedItem("", Decimal(1), scarf.pk)],
        reason="pushed",
        amount=Decimal("25.004"),
        currency="eur",
    )
    ticket = Ticket.objects.get(pk=details.ticket_id)
    assert (ticket.kind, ticket.status, ticket.first_contact) == ("return", "resolved", True)
    assert (ticket.subject, ticket.visit_id, ticket.resolved_at) == ("Scarf", visit.pk, TUESDAY)
    assert (details.reason, details.remedy, details.amount, details.currency) == (
        "pushed",
        "refund",
        Decimal("25.00"),
        "EUR",
    )
    assert [(i.description, i.quantity, i.visit_line_id) for i in details.items.all()] == [
        ("Scarf", Decimal("1.000"), scarf.pk)
    ]
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert (follow_up.due_on, follow_up.owner, follow_up.customer) == (
        date(2026, 3, 17),
        world.users["staff"],
        customer,
    )
    # Not a lost customer: the visit history is untouched.
    customer.refresh_from_db()
    assert customer.visit_count == 1


def test_an_exchange_is_its_own_kind_and_needs_no_amount(world: World, customer: Customer) -> None:
    details = bring_back(world, customer, remedy="exchange", reason="wrong_size", amount=None)
    assert (details.ticket.kind, details.amount, details.currency) == ("exchange", None, "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"currency": "DKK"}, "Amounts at Bologna are in EUR, not DKK."),
        ({"amount": None}, "Give the amount refunded or credited."),
        ({"amount": Decimal(-1)}, "An amount cannot be negative."),
        ({"items": []}, "Choose at least one thing that is brought back."),
        ({"items": [ReturnedItem("  ")]}, "Say what is brought back."),
        ({"items": [ReturnedItem("Scarf", Decimal(0))]}, "more than zero"),
        ({"reason": "bored"}, "is not a reason for a return"),
        ({"remedy": "cash"}, "is not a remedy"),
    ],
)
def test_bad_returns_are_refused_and_leave_nothing_behind(
    world: World, customer: Customer, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bring_back(world, customer, **options)
    assert (Ticket.objects.count(), Return.objects.count(), FollowUp.objects.count()) == (0, 0, 0)


def test_no_more_comes_back_than_was_bought_over_several_returns(
    world: World, customer: Customer
) -> None:
    visit = bought(world, customer, ("Scarf", "2", "50.00"))
    other = bought(world, customer, ("Hat", "1", "30.00"))
    scarf = visit.lines.get()
    bring_back(world, customer, visit=visit, items=[ReturnedItem("", Decimal(1), scarf.pk)])
    with pytest.raises(ValueError, match="More of “Scarf” would come back than was bought"):
        bring_back(world, customer, visit=visit, items=[ReturnedItem("", Decimal(2), scarf.pk)])
    with pytest.raises(ValueError, match="not from this visit"):
        bring_back(
            world, customer, visit=visit, items=[ReturnedItem("", Decimal(1), other.lines.get().pk)]
        )
    assert Return.objects.count() == 1
    bring_back(world, customer, visit=visit, items=[ReturnedItem("", Decimal(1), scarf.pk)])
    assert Return.objects.count() == 2


def test_a_return_sent_twice_is_recorded_once(world: World, customer: Customer) -> None:
    first = bring_back(world, customer, request_key="5f0c2f9e-1")
    again = bring_back(world, customer, request_key="5f0c2f9e-1")
    assert again.pk == first.pk
    assert (Return.objects.count(), Ticket.objects.count(), FollowUp.objects.count()) == (1, 1, 1)


# --- First-contact resolution -------------------------------------------------------------


def test_only_a_ticket_resolved_straight_from_open_counts_as_first_contact(
    world: World, customer: Customer
) -> None:
    staff = world.users["staff"]

    def opened() -> Ticket:
        return tickets.open_ticket(
            actor=staff, location=world.bologna, customer=customer, kind="question", subject="?"
        )

    def move(ticket: Ticket, status: str) -> Ticket:
        return tickets.move_ticket(
            actor=staff, ticket=ticket, status=status, expected_version=ticket.version
        )

    on_the_spot = move(opened(), "resolved")
    worked_on = move(move(opened(), "in_progress"), "resolved")
    reopened = move(move(move(opened(), "resolved"), "open"), "resolved")
    firsts = dict(Ticket.objects.values_list("pk", "first_contact"))
    assert firsts == {on_the_spot.pk: True, worked_on.pk: False, reopened.pk: False}


# --- Follow-ups ------------------------------------------------------------------------------


def complaint(world: World, customer: Customer, *, at: datetime = TUESDAY) -> Ticket:
    return tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="complaint",
        subject="Cold coffee",
        assignee=world.users["manager"],
        at=at,
    )


def resolve(world: World, ticket: Ticket, at: datetime) -> Ticket:
    return tickets.move_ticket(
        actor=world.users["staff"],
        ticket=ticket,
        status="resolved",
        expected_version=ticket.version,
        at=at,
    )


def test_resolving_a_complaint_schedules_a_follow_up_on_the_locations_calendar(
    world: World, customer: Customer
) -> None:
    # Resolved at 23:30 UTC on Tuesday, already 00:30 on Wednesday in Rome: the local
    # day counts.
    ticket = complaint(world, customer)
    resolve(world, ticket, datetime(2026, 3, 10, 23, 30, tzinfo=UTC))  # 00:30 Wed in Rome
    follow_up = FollowUp.objects.get(ticket=ticket)
    assert (follow_up.due_on, follow_up.owner, follow_up.round) == (
        date(2026, 3, 14),  # Wednesday 11 + 3 days
        world.users["manager"],  # whoever the ticket was with
        0,
    )
    # A retry of the scheduling (or a second resolution call) adds none.
    assert followups.schedule_follow_up(ticket, TUESDAY) == follow_up
    assert FollowUp.objects.count() == 1


def test_questions_get_no_follow_up_and_managers_set_the_days(
    world: World, customer: Customer
) -> None:
    question = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="question",
        subject="Opening hours?",
    )
    resolve(world, question, TUESDAY)
    followups.set_follow_up_days(actor=world.users["manager"], kind="complaint", days=10)
    resolve(world, complaint(world, customer), TUESDAY)
    followups.set_follow_up_days(actor=world.users["manager"], kind="complaint", days=None)
    resolve(world, complaint(world, customer), TUESDAY)
    assert list(FollowUp.objects.values_list("ticket__kind", "due_on")) == [
        ("complaint", date(2026, 3, 20))
    ]
    with pytest.raises(ValueError, match="between 1 and 365 days"):
        followups.set_follow_up_days(actor=world.users["manager"], kind="complaint", days=0)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        followups.set_follow_up_days(actor=world.users["staff"], kind="complaint", days=2)


def test_still_not_happy_reopens_the_ticket_and_the_next_resolution_asks_again(
    world: World, customer: Customer
) -> None:
    ticket = resolve(world, complaint(world, customer), TUESDAY)
    first = FollowUp.objects.get(ticket=ticket)
    followups.record_follow_up(
        actor=world.users["staff"],
        follow_up=first,
        outcome=FollowUpOutcome.STILL_UNHAPPY,
        note="Still cold on Friday.",
        at=TUESDAY + timedelta(days=3),
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened) == (TicketStatus.OPEN, 1)
    assert ticket.events.last().text == "Follow-up: still not happy. Still cold on Friday."
    with pytest.raises(ValueError, match="already been recorded"):
        followups.record_follow_up(
            actor=world.users["manager"], follow_up=first, outcome=FollowUpOutcome.ALL_RIGHT
        )
    first.refresh_from_db()
    assert (first.outcome, first.done_by) == (FollowUpOutcome.STILL_UNHAPPY, world.users["staff"])
    resolve(world, ticket, TUESDAY + timedelta(days=4))
    assert list(FollowUp.objects.order_by("round").values_list("round", "done_at")) == [
        (0, TUESDAY + timedelta(days=3)),
        (1, None),
    ]


def test_each_persons_due_list_holds_what_is_due_by_today(world: World, customer: Customer) -> None:
    resolve(world, complaint(world, customer), TUESDAY)  # due Friday 13 March
    later = complaint(world, customer)
    resolve(world, later, TUESDAY + timedelta(days=2))  # due Sunday 15 March
    ids = [world.bologna.pk]
    on_friday = followups.due_follow_ups(
        today=date(2026, 3, 13), location_ids=ids, owner=world.users["manager"]
    )
    assert [f.due_on for f in on_friday] == [date(2026, 3, 13)]
    assert (
        list(
            followups.due_follow_ups(
                today=date(2026, 3, 13), location_ids=ids, owner=world.users["staff"]
            )
        )
        == []
    )
    assert len(followups.due_follow_ups(today=date(2026, 3, 16), location_ids=ids)) == 2
    assert list(followups.due_follow_ups(today=date(2026, 3, 16), location_ids=[])) == []


# --- Promises -----------------------------------------------------------------------------


def promise(world: World, customer: Customer, **options: Any) -> Promise:
    fields: dict[str, Any] = {
        "actor": world.users["staff"],
        "location": world.bologna,
        "customer": customer,
        "text": "Call back about the part",
        "due_at": TUESDAY + timedelta(days=3),
        "at": TUESDAY,
    }
    fields.update(options)
    return promises.make_promise(**fields)


def test_a_promise_is_owned_due_and_reminded_a_day_before_or_halfway(
    world: World, customer: Customer
) -> None:
    later = promise(world, customer, owner=world.users["manager"])
    soon = promise(world, customer, due_at=TUESDAY + timedelta(hours=6))
    assert (later.owner, later.remind_at) == (world.users["manager"], TUESDAY + timedelta(days=2))
    assert (soon.owner, soon.remind_at) == (world.users["staff"], TUESDAY + timedelta(hours=3))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"due_at": TUESDAY - timedelta(minutes=1)}, "must be due in the future"),
        ({"due_at": TUESDAY}, "must be due in the future"),
        ({"text": "   "}, "Say what was promised"),
    ],
)
def test_bad_promises_are_refused(
    world: World, customer: Customer, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        promise(world, customer, **options)
    assert Promise.objects.count() == 0


def test_a_promise_can_only_be_owned_by_someone_working_there(
    world: World, customer: Customer
) -> None:
    with pytest.raises(ValueError, match="does not work at this location"):
        promise(world, customer, owner=world.users["outsider"])
    assert Promise.objects.count() == 0


def test_a_promise_is_closed_once_as_kept_or_broken(world: World, customer: Customer) -> None:
    made = promise(world, customer)
    seen = Promise.objects.get(pk=made.pk)  # what a second person has on screen
    promises.close_promise(
        actor=world.users["staff"], promise=made, kept=True, expected_version=made.version
    )
    with pytest.raises(ValueError, match="already been closed"):
        promises.close_promise(
            actor=world.users["staff"], promise=made, kept=False, expected_version=made.version
        )
    with pytest.raises(promises.StalePromise):
        promises.close_promise(
            actor=world.users["manager"], promise=seen, kept=False, expected_version=seen.version
        )
    made.refresh_from_db()
    assert (made.status, made.closed_by) == (PromiseStatus.KEPT, world.users["staff"])


def test_reminders_go_once_to_the_owner_in_their_language(
    world: World, customer: Customer, django_capture_on_commit_callbacks: Any
) -> None:
    manager = world.users["manager"]
    manager.email = "manager@example.com"
    manager.save()
    Profile.objects.create(user=manager, language="it")
    due = promise(world, customer, owner=manager)  # reminder at TUESDAY + 2 days
    promise(world, customer, owner=world.users["staff"])  # no email address: no mail
    with django_capture_on_commit_callbacks(execute=True):
        assert promises.send_reminders(TUESDAY + timedelta(days=1)) == 0
        assert promises.send_reminders(TUESDAY + timedelta(days=2)) == 2
        assert promises.send_reminders(TUESDAY + timedelta(days=2, hours=1)) == 0
    assert [m.to for m in mail.outbox] == [["manager@example.com"]]
    # Due Friday 13 March at 10:00 in Rome, said in Italian.
    assert "venerdì 13 marzo 10:00" in mail.outbox[0].subject
    assert "Giulia Rossi" in mail.outbox[0].body
    assert Promise.objects.get(pk=due.pk).reminded_at == TUESDAY + timedelta(days=2)


# --- Waiting ------------------------------------------------------------------------------


def test_a_wait_goes_onto_the_visit_logged_after_it(world: World, customer: Customer) -> None:
    staff = world.users["staff"]
    wait = waiting.start_waiting(actor=staff, location=world.bologna, customer=customer, at=TUESDAY)
    again = waiting.start_waiting(
        actor=staff, location=world.bologna, customer=customer, at=TUESDAY + timedelta(minutes=1)
    )
    assert again.pk == wait.pk
    assert list(waiting.waiting_now(world.bologna)) == [wait]
    waiting.serve(actor=staff, wait=wait, at=TUESDAY + timedelta(minutes=7, seconds=30))
    assert list(waiting.waiting_now(world.bologna)) == []
    visit = visit_services.log_visit(
        actor=staff, location=world.bologna, customer=customer, at=TUESDAY + timedelta(minutes=9)
    )
    assert Visit.objects.get(pk=visit.pk).wait_seconds == 450
    assert Wait.objects.get(pk=wait.pk).visit_id == visit.pk
    with pytest.raises(ValueError, match="already been marked as served"):
        waiting.serve(actor=staff, wait=wait)


def test_a_wait_joins_a_visit_logged_before_serving_and_walk_ins_get_one(
    world: World, customer: Customer
) -> None:
    staff = world.users["staff"]
    wait = waiting.start_waiting(actor=staff, location=world.bologna, customer=customer, at=TUESDAY)
    visit = visit_services.log_visit(
        actor=staff, location=world.bologna, customer=customer, at=TUESDAY + timedelta(minutes=2)
    )
    waiting.serve(actor=staff, wait=wait, at=TUESDAY + timedelta(minutes=4))
    assert Visit.objects.get(pk=visit.pk).wait_seconds == 240

    anonymous = waiting.start_waiting(actor=staff, location=world.bologna, at=TUESDAY)
    waiting.serve(actor=staff, wait=anonymous, at=TUESDAY + timedelta(minutes=1))
    walk_in = Visit.objects.get(wait__pk=anonymous.pk)
    assert (walk_in.customer_id, walk_in.wait_seconds, walk_in.at) == (
        None,
        60,
        TUESDAY + timedelta(minutes=1),
    )


def test_a_wait_cannot_end_before_it_began_nor_join_another_days_visit(
    world: World, customer: Customer
) -> None:
    staff = world.users["staff"]
    wait = waiting.start_waiting(actor=staff, location=world.bologna, customer=customer, at=TUESDAY)
    with pytest.raises(ValueError, match="before they started waiting"):
        waiting.serve(actor=staff, wait=wait, at=TUESDAY - timedelta(seconds=1))
    waiting.serve(actor=staff, wait=wait, at=TUESDAY + timedelta(minutes=5))
    tomorrow = visit_services.log_visit(
        actor=staff, location=world.bologna, customer=customer, at=TUESDAY + timedelta(days=1)
    )
    assert Visit.objects.get(pk=tomorrow.pk).wait_seconds is None


# --- On the counter's greeting card ----------------------------------------------------------


def test_the_card_shows_open_promises_and_follow_ups_due(world: World, customer: Customer) -> None:
    promise(world, customer, due_at=TUESDAY + timedelta(hours=2), owner=world.users["manager"])
    promise(world, customer, text="Order the blue one", due_at=TUESDAY + timedelta(hours=1))
    resolve(world, complaint(world, customer), TUESDAY - timedelta(days=3))  # due today
    card = build_greeting_card(
        customer, location=world.bologna, now=TUESDAY + timedelta(hours=1, minutes=5)
    )
    parts = {part.key: part for part in card.parts}
    assert [(h.text, h.level) for h in parts["promises"].items] == [
        ("“Order the blue one”, due Tuesday 10 March 11:00 (staff) (overdue)", "warning"),
        ("“Call back about the part”, due Tuesday 10 March 12:00 (manager)", "info"),
    ]
    assert [(h.text, h.level) for h in parts["follow_ups"].items] == [
        ("Is everything all right now after: Complaint “Cold coffee”?", "ask")
    ]
