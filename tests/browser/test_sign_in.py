"""Signing in and out in a real browser, and what an outsider is shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SignIn
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

LOGIN_PATH = re.compile(r"/accounts/login/")


def test_a_staff_member_signs_in_and_lands_on_the_home_page(sign_in: SignIn) -> None:
    page = sign_in("staff")

    expect(page).to_have_url(re.compile(r"://[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today at a glance")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Customers")).to_be_visible()
    expect(nav.get_by_text("staff", exact=True)).to_be_visible()


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(sign_in: SignIn) -> None:
    page = sign_in("staff", password="not the password")

    expect(page).to_have_url(LOGIN_PATH)
    expect(
        page.get_by_text(re.compile("Please enter a correct username and password"))
    ).to_be_visible()
    expect(page.locator("#id_username")).to_have_value("staff")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_outsider_gets_the_forbidden_page_on_the_customers_list(sign_in: SignIn) -> None:
    page = sign_in("outsider")

    response = page.goto("/customers/")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")
    expect(page.get_by_text("Your account has no role at any location yet")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers")
    ).to_have_count(0)


def test_signing_out_ends_the_session(sign_in: SignIn) -> None:
    page = sign_in("manager")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today at a glance")

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator("#id_username")).to_be_visible()
    page.goto("/customers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/customers/"))


def test_an_anonymous_visitor_is_sent_to_sign_in_and_then_back(page: Page, world: object) -> None:
    page.goto("/customers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/customers/"))

    page.locator("#id_username").fill("staff")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form:has(#id_password) [type=submit]").click()

    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
