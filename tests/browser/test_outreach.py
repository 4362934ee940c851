"""Outreach in a real browser: a manager looks at who a birthday play would reach,
approves it, and the day's plan queues the greeting; at the counter, staff redeem a
customer's voucher with one click and it cannot be redeemed twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from regulars.core.localtime import local_today
from regulars.customers.models import Consent, Customer
from regulars.outreach import plays
from regulars.outreach.models import (
    Message,
    MessageStatus,
    OccasionKind,
    PlayKind,
    PlayStatus,
    Voucher,
    VoucherKind,
)
from regulars.outreach.planning import plan_day
from tests.browser.conftest import SignIn

pytestmark = pytest.mark.browser


def test_a_manager_approves_a_play_after_seeing_who_it_would_reach(
    sign_in: SignIn, world: Any
) -> None:
    today = local_today(world.bologna.timezone)
    giulia = Customer.objects.create(
        given_name="Giulia",
        family_name="Neri",
        email="giulia.neri@example.com",
        home_location=world.bologna,
        birth_month=today.month,
        birth_day=today.day,
        language="it",
    )
    Consent.objects.create(customer=giulia, channel="email", granted=True, method="form")
    play = plays.create_play(
        actor=None,
        spec=plays.PlaySpec(
            name="Birthday wishes",
            kind=PlayKind.OCCASION,
            occasion=OccasionKind.BIRTHDAY,
            location=world.bologna,
        ),
        arms=[plays.ArmSpec()],
    )

    page = sign_in("manager")
    page.goto(f"/outreach/plays/{play.public_id}/")
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "draft")
    preview = page.get_by_test_id("play-preview")
    expect(preview.locator(f'[data-customer="{giulia.public_id}"]')).to_contain_text("Giulia Neri")

    page.locator('[data-action="approve"]').click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "approved")
    expect(page.locator("[data-approved]")).to_be_visible()
    play.refresh_from_db()
    assert play.status == PlayStatus.APPROVED
    assert play.approved_by == world.users["manager"]

    plan_day(today)
    message = Message.objects.get(play=play, customer=giulia)
    assert message.status == MessageStatus.QUEUED
    assert message.channel == "email"


def test_staff_redeem_a_voucher_once_from_the_counter_card(sign_in: SignIn, world: Any) -> None:
    marco = Customer.objects.create(
        given_name="Marco", family_name="Ferri", home_location=world.bologna
    )
    voucher = Voucher.objects.create(
        code="K43JVAGS",
        customer=marco,
        kind=VoucherKind.ITEM,
        text="a coffee on us",
        expires_on=local_today(world.bologna.timezone) + timedelta(days=10),
    )

    page = sign_in("staff")
    page.goto(f"/counter/customer/{marco.public_id}/")
    card = page.get_by_test_id("card-outreach")
    expect(card.locator('[data-voucher="K43JVAGS"]')).to_contain_text("K43J-VAGS")
    card.locator('[data-voucher="K43JVAGS"] button').click()
    expect(page.get_by_role("status").first).to_contain_text("K43J-VAGS")
    voucher.refresh_from_db()
    assert voucher.redeemed_at is not None
    assert voucher.redeemed_at <= timezone.now()
    assert voucher.redeemed_by == world.users["staff"]
    # Redeemed, it is no longer offered on the card.
    page.goto(f"/counter/customer/{marco.public_id}/")
    expect(page.locator('[data-voucher="K43JVAGS"]')).to_have_count(0)
