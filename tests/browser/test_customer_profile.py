"""A customer's profile in a real browser: allergies stand out, a visit is logged inline."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from regulars.customers.models import Customer
from regulars.service.models import Visit
from tests.browser.conftest import SignIn
from tests.factories import CustomerFactory, PreferenceFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def giulia(world: Any) -> Customer:
    customer = CustomerFactory(
        given_name="Giulia", family_name="Bianchi", home_location=world.bologna
    )
    PreferenceFactory(customer=customer, kind="allergy", text="peanuts")
    PreferenceFactory(customer=customer, kind="like", text="cappuccino")
    return customer


def test_an_allergy_stands_out_on_the_profile_and_in_the_list(
    sign_in: SignIn, giulia: Customer
) -> None:
    page = sign_in("staff")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    row = page.get_by_role("row").filter(has_text="Bianchi")
    expect(row.locator(".badge-allergy")).to_have_text("peanuts")

    row.get_by_role("link", name=re.compile("Bianchi")).click()

    expect(page).to_have_url(re.compile(f"/customers/{giulia.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Giulia")
    # Above everything else, in the alert banner, not only in the preferences section.
    banner_badge = page.get_by_role("alert").locator(".badge-allergy")
    expect(banner_badge).to_have_text("peanuts")
    expect(banner_badge).to_be_in_viewport()


def test_a_staff_member_logs_a_visit_from_the_profile(
    sign_in: SignIn, giulia: Customer, world: Any
) -> None:
    page = sign_in("staff")
    page.goto(f"/customers/{giulia.public_id}/")

    page.get_by_role("link", name="Log a visit").click()
    # htmx brings the form into the profile rather than opening another page.
    form = page.locator("#log-visit form")
    expect(form).to_be_visible()
    expect(page).to_have_url(re.compile(f"/customers/{giulia.public_id}/$"))
    form.get_by_label("What they had").fill("cappuccino and a cornetto")
    form.get_by_label("Amount").fill("4,50")
    form.get_by_role("button", name="Log the visit").click()

    expect(page.get_by_role("status")).to_contain_text("Visit of Giulia Bianchi logged.")
    expect(page).to_have_url(re.compile(f"/customers/{giulia.public_id}/$"))
    visits = list(Visit.objects.filter(customer=giulia))
    assert len(visits) == 1
    assert visits[0].had == "cappuccino and a cornetto"
    assert (visits[0].amount, visits[0].currency) == (Decimal("4.50"), "EUR")
    assert visits[0].location == world.bologna
    assert visits[0].staff == world.users["staff"]
    giulia.refresh_from_db()
    assert giulia.visit_count == 1
