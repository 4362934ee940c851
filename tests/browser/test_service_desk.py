"""The service desk in a real browser: a return from the counter in three steps, a
promise shown on the card, a ticket opened and worked through on its page, and a
customer marked waiting and served."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from regulars.customers.models import Customer
from regulars.customers.services import create_customer
from regulars.service.models import Return, Ticket, Visit, Wait
from regulars.service.services import log_visit
from tests.browser.conftest import SignIn

pytestmark = pytest.mark.browser


def customer_with_a_purchase(world: Any) -> Customer:
    giulia = create_customer(
        actor=world.users["owner"],
        home_location=world.bologna,
        given_name="Giulia",
        family_name="Bianchi",
    )
    log_visit(
        actor=world.users["staff"],
        location=world.bologna,
        customer=giulia,
        at=timezone.now() - timedelta(days=2),
        lines=[("Wool scarf", Decimal(1), Decimal("40.00")), ("Gloves", Decimal(1), Decimal(15))],
    )
    return giulia


def test_a_return_from_the_counter_takes_three_steps_and_lands_back_on_the_card(
    sign_in: SignIn, world: Any
) -> None:
    giulia = customer_with_a_purchase(world)
    page = sign_in("staff")
    page.goto(f"/counter/?customer={giulia.public_id}")
    clicks = 0
    page.get_by_test_id("counter-return").click()  # 1: start
    clicks += 1
    page.get_by_test_id("return-visits").get_by_role("link").first.click()  # 2: the visit
    clicks += 1
    form = page.get_by_test_id("return-form")
    form.get_by_label("Wool scarf").fill("1")
    form.get_by_label("Pushed into buying").check()
    form.get_by_label("Store credit").check()
    page.get_by_test_id("return-submit").click()  # 3: done
    clicks += 1
    assert clicks <= 3
    expect(page.get_by_role("status").first).to_contain_text(
        "Return of Giulia Bianchi recorded: Wool scarf."
    )
    expect(page.get_by_test_id("counter-card")).to_be_visible()
    details = Return.objects.get()
    assert (details.reason, details.remedy, details.amount) == ("pushed", "credit", Decimal(40))
    assert details.ticket.status == "resolved"


def test_a_ticket_is_opened_from_the_profile_and_moved_on_its_page(
    sign_in: SignIn, world: Any
) -> None:
    giulia = customer_with_a_purchase(world)
    page = sign_in("staff")
    page.goto(f"/customers/{giulia.public_id}/")
    page.get_by_role("link", name="Open a ticket").first.click()
    page.get_by_label("Subject").fill("Cold coffee")
    page.get_by_label("Kind").select_option("complaint")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cold coffee")
    page.get_by_role("button", name="Start working on it").click()
    expect(page.get_by_role("status").first).to_contain_text("The ticket is now “In progress”.")
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.status, ticket.customer_id) == (
        "complaint",
        "in_progress",
        giulia.pk,
    )


def test_a_customer_marked_waiting_is_served_and_the_wait_goes_onto_the_visit(
    sign_in: SignIn, world: Any
) -> None:
    giulia = customer_with_a_purchase(world)
    page = sign_in("staff")
    page.goto(f"/counter/?customer={giulia.public_id}")
    page.get_by_test_id("counter-wait").click()
    waiting = page.get_by_test_id("counter-waiting")
    expect(waiting).to_contain_text("Giulia Bianchi")
    wait = Wait.objects.get()
    Wait.objects.filter(pk=wait.pk).update(started_at=timezone.now() - timedelta(minutes=6))
    page.reload()
    page.get_by_test_id("wait-served").click()
    expect(page.get_by_test_id("counter-waiting")).to_contain_text("Nobody is waiting.")
    page.get_by_test_id("counter-log-visit").click()
    expect(page.get_by_test_id("counter-notice")).to_have_text("Visit of Giulia Bianchi logged.")
    newest = Visit.objects.filter(customer=giulia).order_by("-at").first()
    assert newest is not None
    assert newest.wait_seconds is not None
    assert 355 <= newest.wait_seconds <= 420
