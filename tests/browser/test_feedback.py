"""Feedback in a real browser: a customer answers on a phone with the keyboard only and
JavaScript off; an unhappy answer reaches the counter card and the manager, who moves
the recovery on."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from regulars.feedback.models import Recovery, Response
from tests.browser.conftest import TIMEOUT_MS, SignIn
from tests.feedback.helpers import emailable_customer, invitation, make_survey, token_of

pytestmark = pytest.mark.browser


def test_a_customer_answers_on_a_phone_with_the_keyboard_and_no_javascript(
    browser: Browser, live_server: Any, world: Any
) -> None:
    customer = emailable_customer(world.bologna, language="en", given_name="Ada")
    invited = invitation(make_survey(instruments=("csat", "nps")), world.bologna, customer)
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"/s/{token_of(invited)}/")
        expect(page.get_by_text("Step 1 of 3")).to_be_visible()
        # Nothing wider than the phone: no sideways scrolling.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        # Keyboard only: Tab into the scale, arrows move the choice, Enter submits.
        page.keyboard.press("Tab")
        for _ in range(12):
            focused = page.evaluate("document.activeElement.name || ''")
            if focused == "csat":
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.name") == "csat"
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        assert page.evaluate("document.querySelector('input[name=csat]:checked').value") == "4"
        page.keyboard.press("Enter")
        expect(page.get_by_text("Step 2 of 3")).to_be_visible()
        # NPS: the label of each choice is enough to pick it.
        page.get_by_label("9", exact=True).check()
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Step 3 of 3")).to_be_visible()
        page.get_by_role("textbox").first.fill("Lovely as always, the staff remembered my order.")
        page.get_by_role("button", name="Send my answers").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Thank")
        response = Response.objects.get(invitation=invited)
        assert (response.csat, response.nps, response.sentiment) == (4, 9, "positive")
        # The same link again: already answered, nothing changes.
        page.goto(f"/s/{token_of(invited)}/")
        expect(page.locator("body")).to_contain_text("already")
        assert Response.objects.count() == 1
    finally:
        context.close()


def test_an_unhappy_answer_reaches_the_counter_card_and_the_manager(
    sign_in: SignIn, world: Any
) -> None:
    from regulars.feedback.responses import submit_response

    customer = emailable_customer(
        world.bologna, language="en", given_name="Bruno", family_name="Serra"
    )
    invited = invitation(make_survey(), world.bologna, customer, staff=world.users["staff"])
    submit_response(invited, {"csat": "2", "nps": "4", "why": "Nobody answered my question"})
    recovery = Recovery.objects.get(customer=customer)

    page = sign_in("staff")
    page.goto(f"/counter/?customer={customer.public_id}")
    card = page.locator("body")
    expect(card).to_contain_text("Make it right")
    expect(card).to_contain_text("Nobody answered my question")

    page.context.clear_cookies()
    page = sign_in("manager")
    page.goto("/feedback/recoveries/")
    page.locator(f'[data-recovery="{recovery.public_id}"] a').click()
    form = page.get_by_test_id("recovery-form")
    form.get_by_label("Remedy given").check()
    form.get_by_label("What was given to make it right").fill("A free repair check")
    form.get_by_role("button", name="Save the step").click()
    expect(page.get_by_test_id("recovery-status")).to_have_text("Remedy given")
    recovery.refresh_from_db()
    assert (recovery.status, recovery.remedy) == ("remedy", "A free repair check")
