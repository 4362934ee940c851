"""The pages for returns, promises, follow-ups and queue waits, as staff use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.service import services as visit_services
from regulars.service import tickets
from regulars.service.models import FollowUp, Promise, Return, Ticket, Visit, Wait
from tests.conftest import World
from tests.factories import CustomerFactory


@pytest.fixture
def customer(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def bought(world: World, customer: Customer) -> Visit:
    return visit_services.log_visit(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        at=timezone.now() - timedelta(days=2),
        lines=[("Scarf", Decimal(2), Decimal("50.00")), ("Gloves", Decimal(1), None)],
    )


def test_a_return_takes_three_steps_and_the_refund_defaults_to_what_was_paid(
    world: World, customer: Customer
) -> None:
    visit = bought(world, customer)
    client = world.client("staff")
    url = reverse("care:return_new", kwargs={"public_id": customer.public_id})
    # Step 1: which visit.
    step1 = unescape(client.get(url).content.decode())
    assert f"?visit={visit.public_id}" in step1
    assert "2 × Scarf" in step1
    # Step 2: what, why, how.
    step2 = client.get(url, {"visit": visit.public_id})
    form = step2.context["form"]
    scarf = visit.lines.get(description="Scarf")
    key = form.initial["request_key"]
    data = {
        "location": world.bologna.pk,
        f"line_{scarf.pk}": "1",
        f"line_{visit.lines.get(description='Gloves').pk}": "0",
        "reason": "pushed",
        "remedy": "refund",
        "amount": "",
        "note": "Felt talked into it.",
        "request_key": key,
    }
    # Step 3: done, back on the profile.
    done = client.post(url + f"?visit={visit.public_id}", data)
    assert done.status_code == 302
    assert done["Location"] == reverse("customers:detail", kwargs={"public_id": customer.public_id})
    details = Return.objects.get()
    assert (details.reason, details.remedy, details.amount) == (
        "pushed",
        "refund",
        Decimal("25.00"),
    )
    assert [(i.description, i.quantity) for i in details.items.all()] == [("Scarf", Decimal(1))]
    # The same form sent again records nothing more.
    client.post(url + f"?visit={visit.public_id}", data)
    assert (Return.objects.count(), Ticket.objects.count()) == (1, 1)


def test_a_return_in_the_wrong_currency_or_of_nothing_is_refused_and_nothing_saved(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    url = reverse("care:return_new", kwargs={"public_id": customer.public_id})
    base = {
        "location": world.bologna.pk,
        "description": "Umbrella",
        "quantity": "1",
        "reason": "defect",
        "remedy": "refund",
        "request_key": "k-1",
    }
    wrong = client.post(url + "?visit=none", base | {"amount": "20 kr"})
    assert wrong.status_code == 200
    assert "Amounts at Bologna are in EUR, not DKK." in unescape(wrong.content.decode())
    nothing = client.post(url + "?visit=none", base | {"description": "", "amount": "5"})
    assert "Choose at least one thing that is brought back." in unescape(nothing.content.decode())
    unreadable = client.post(url + "?visit=none", base | {"amount": "five"})
    assert "“five” is not an amount." in unescape(unreadable.content.decode())
    assert (Return.objects.count(), Ticket.objects.count()) == (0, 0)


def test_another_customers_visit_is_not_found(world: World, customer: Customer) -> None:
    other = CustomerFactory(home_location=world.bologna)
    visit = bought(world, other)
    response = world.client("staff").get(
        reverse("care:return_new", kwargs={"public_id": customer.public_id}),
        {"visit": visit.public_id},
    )
    assert response.status_code == 404


def test_a_promise_is_made_on_the_locations_clock_and_refused_in_the_past(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    url = reverse("care:promise_new", kwargs={"public_id": customer.public_id})
    key = client.get(url).context["form"].initial["request_key"]
    tomorrow = timezone.now().astimezone(UTC).date() + timedelta(days=2)
    data = {
        "location": world.bologna.pk,
        "text": "Call back about the part",
        "due_date": tomorrow.isoformat(),
        "due_time": "10:00",
        "owner": world.users["manager"].pk,
        "request_key": key,
    }
    assert client.post(url, data).status_code == 302
    client.post(url, data)  # sent twice
    promise = Promise.objects.get()
    local = promise.due_at.astimezone(ZoneInfo("Europe/Rome"))
    assert (local.date(), local.hour, local.minute) == (tomorrow, 10, 0)
    assert promise.owner == world.users["manager"]
    past = client.post(url, data | {"due_date": "2020-01-01", "request_key": "other"})
    assert "A promise must be due in the future." in unescape(past.content.decode())
    assert Promise.objects.count() == 1


def test_closing_a_promise_twice_or_from_a_stale_page_changes_nothing(
    world: World, customer: Customer
) -> None:
    from regulars.service import promises

    promise = promises.make_promise(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        text="Order the blue one",
        due_at=timezone.now() + timedelta(days=1),
    )
    url = reverse("care:promise_close", kwargs={"promise_id": promise.public_id})
    staff, manager = world.client("staff"), world.client("manager")
    staff.post(url, {"kept": "1", "version": "1"})
    response = manager.post(url, {"kept": "0", "version": "1"}, follow=True)
    assert "already been closed" in unescape(response.content.decode())
    promise.refresh_from_db()
    assert (promise.status, promise.closed_by) == ("kept", world.users["staff"])
    assert world.client("outsider").post(url, {"kept": "0", "version": "2"}).status_code == 403


def test_a_follow_up_is_recorded_once_from_its_page(world: World, customer: Customer) -> None:
    ticket = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="complaint",
        subject="Cold coffee",
    )
    tickets.move_ticket(
        actor=world.users["staff"], ticket=ticket, status="resolved", expected_version=1
    )
    item = FollowUp.objects.get()
    url = reverse("care:follow_up", kwargs={"follow_up_id": item.pk})
    client = world.client("staff")
    page = unescape(client.get(url).content.decode())
    assert "Complaint “Cold coffee”" in page
    client.post(url, {"outcome": "all_right", "note": "Happy again."})
    again = client.post(url, {"outcome": "unhappy"}, follow=True)
    assert "already been recorded" in unescape(again.content.decode())
    item.refresh_from_db()
    assert (item.outcome, item.note) == ("all_right", "Happy again.")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


def test_the_counter_marks_waits_and_lists_who_is_waiting_and_follow_ups_due(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    start = reverse("counter:wait_start")
    client.post(start, {"location": world.bologna.pk, "customer": customer.public_id})
    client.post(start, {"location": world.bologna.pk})  # an anonymous walk-in
    page = unescape(client.get(reverse("counter:page")).content.decode())
    assert "Giulia Rossi" in page.split("Waiting now")[1]
    waits = list(Wait.objects.order_by("id"))
    assert [w.customer_id for w in waits] == [customer.pk, None]
    client.post(reverse("counter:wait_served", kwargs={"wait_id": waits[1].pk}))
    walk_in = Visit.objects.get(customer=None)
    assert walk_in.wait_seconds is not None
    client.post(reverse("counter:wait_cancel", kwargs={"wait_id": waits[0].pk}))
    assert list(Wait.objects.values_list("customer_id", flat=True)) == [None]
    # Staff elsewhere cannot mark waits here.
    other = world.client("outsider")
    assert other.post(start, {"location": world.bologna.pk}).status_code == 403


def test_follow_ups_due_today_are_on_the_counter(world: World, customer: Customer) -> None:
    ticket = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="repair",
        subject="Coffee machine",
        at=datetime.now(UTC) - timedelta(days=10),
    )
    tickets.move_ticket(
        actor=world.users["staff"],
        ticket=ticket,
        status="resolved",
        expected_version=1,
        at=datetime.now(UTC) - timedelta(days=8),
    )
    page = unescape(world.client("staff").get(reverse("counter:page")).content.decode())
    due = page.split("Follow-ups due today")[1]
    assert "Giulia Rossi" in due
    assert "Repair or maintenance “Coffee machine”" in due


def test_mine_lists_my_open_promises_and_my_follow_ups_due(
    world: World, customer: Customer
) -> None:
    from regulars.service import promises

    staff, manager = world.users["staff"], world.users["manager"]
    for owner, text in ((staff, "Order the blue one"), (manager, "Call the supplier")):
        promises.make_promise(
            actor=staff,
            location=world.bologna,
            customer=customer,
            text=text,
            due_at=timezone.now() + timedelta(hours=5),
            owner=owner,
        )
    ticket = tickets.open_ticket(
        actor=staff,
        location=world.bologna,
        customer=customer,
        kind="complaint",
        subject="Cold coffee",
        assignee=staff,
        at=datetime.now(UTC) - timedelta(days=5),
    )
    tickets.move_ticket(
        actor=staff,
        ticket=ticket,
        status="resolved",
        expected_version=ticket.version,
        at=datetime.now(UTC) - timedelta(days=4),
    )
    page = unescape(world.client("staff").get(reverse("tickets:mine")).content.decode())
    mine_promises = page.split('data-testid="mine-promises"')[1].split("</section>")[0]
    assert "Order the blue one" in mine_promises
    assert "Call the supplier" not in mine_promises
    mine_follow_ups = page.split('data-testid="mine-follow-ups"')[1].split("</section>")[0]
    assert "Complaint “Cold coffee”" in mine_follow_ups
    other = unescape(world.client("manager").get(reverse("tickets:mine")).content.decode())
    assert "No follow-ups due." in other
    assert "Call the supplier" in other
