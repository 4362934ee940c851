"""Loyalty in a real browser: a manager finds the customer who is overdue on the
dashboard, opens their profile and sees their stage and rhythm; staff see the rhythm on
the profile but cannot open the dashboard."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from regulars.customers.models import Customer
from regulars.loyalty.services import take_snapshot
from regulars.service.models import Visit
from tests.browser.conftest import SignIn

pytestmark = pytest.mark.browser


def weekly(world: Any, given: str, family: str, *, last_days: int) -> Customer:
    """Ten visits a week apart, the last ``last_days`` days ago, at 09:00 in Bologna."""
    customer = Customer.objects.create(given_name=given, family_name=family)
    end = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0)
    end -= timedelta(days=last_days)
    Visit.objects.bulk_create(
        Visit(
            customer=customer,
            location=world.bologna,
            at=end - timedelta(days=7 * k),
            amount=Decimal("9.50"),
            currency="EUR",
        )
        for k in range(10)
    )
    return customer


def test_a_manager_finds_who_to_check_on_and_opens_their_profile(
    sign_in: SignIn, world: Any
) -> None:
    weekly(world, "Sara", "Conti", last_days=2)
    weekly(world, "Marco", "Ferri", last_days=30)
    run = take_snapshot()
    assert run is not None
    assert run.status == "done"

    page = sign_in("manager")
    page.goto("/loyalty/")
    check_on = page.locator('[data-section="check-on"]')
    expect(check_on.get_by_role("link", name="Marco Ferri")).to_be_visible()
    expect(check_on.get_by_role("link", name="Sara Conti")).to_have_count(0)

    page.locator('[data-stage="regular"] a').click()
    expect(page.get_by_role("link", name="Sara Conti")).to_be_visible()
    expect(page.get_by_role("link", name="Marco Ferri")).to_have_count(0)

    page.goto("/loyalty/")
    check_on.get_by_role("link", name="Marco Ferri").click()
    section = page.locator("#section-loyalty")
    expect(section).to_have_attribute("data-loyalty-stage", "at_risk")
    expect(section.locator("[data-overdue]")).to_be_visible()
    expect(section.locator("[data-rhythm]")).to_contain_text("every week")


def test_staff_see_the_rhythm_but_not_the_dashboard(sign_in: SignIn, world: Any) -> None:
    sara = weekly(world, "Sara", "Conti", last_days=2)
    assert take_snapshot() is not None
    page = sign_in("staff")
    response = page.goto("/loyalty/")
    assert response is not None
    assert response.status == 403
    page.goto(f"/customers/{sara.public_id}/")
    section = page.locator("#section-loyalty")
    expect(section).to_have_attribute("data-loyalty-stage", "regular")
    expect(section.locator("[data-rhythm]")).to_contain_text("every week")
    expect(section).not_to_contain_text("%")  # no P(alive) for staff
