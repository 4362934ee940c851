"""The counter in a real browser: recognise a customer from a few keystrokes (typos and
either script), read the greeting card, log the visit, quick-add a newcomer, on a
desktop and on a tablet, and survive whatever is pasted into the box."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from regulars.customers.models import Customer, Preference
from regulars.customers.services import add_fact, create_customer
from regulars.service.models import Visit
from regulars.service.services import log_visit
from tests.browser.conftest import TIMEOUT_MS, SignIn

pytestmark = pytest.mark.browser

COUNTER = "/counter/"
SEARCH_PATH = "/counter/search/"


def new_customer(world: Any, **fields: Any) -> Customer:
    """A customer of Bologna created through the service, so the recognition index
    holds them exactly as it would after staff added them."""
    return create_customer(actor=world.users["owner"], home_location=world.bologna, **fields)


def open_counter(sign_in: SignIn) -> Page:
    page = sign_in("staff")
    page.goto(COUNTER)
    expect(page.get_by_test_id("counter-input")).to_be_visible()
    return page


def search(page: Page, text: str, *, typed: bool = False) -> None:
    """Type into the box key by key the way staff do (``typed``) or paste it, and wait
    until the results of the whole text, not of a prefix, are on the page."""
    box = page.get_by_test_id("counter-input")
    with page.expect_response(
        lambda response: (
            response.url.split("?")[0].endswith(SEARCH_PATH) and _query_of(response.url) == text
        )
    ):
        if typed:
            page.keyboard.type(text)
        else:
            box.fill(text)
    # htmx swaps the results in before it takes this class off the box: once it is
    # gone no earlier answer can replace the list (and reset the selection) later.
    expect(box).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def _query_of(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("q", [""])[0]


def result(page: Page, customer: Customer) -> Locator:
    return page.get_by_test_id("counter-results").locator(
        f"[role=option][data-customer='{customer.public_id}']"
    )


def test_staff_find_a_customer_despite_a_typo_and_open_the_card_with_the_keyboard(
    sign_in: SignIn, world: Any
) -> None:
    verdi = new_customer(world, given_name="Giuseppe", family_name="Verdi")
    # A second Giuseppe, seen at this counter, so the keyboard has somewhere to move.
    rossi = new_customer(world, given_name="Giuseppe", family_name="Rossi")
    log_visit(actor=world.users["staff"], location=world.bologna, customer=rossi)
    page = open_counter(sign_in)

    # autofocus: staff start typing without touching the page.
    page.wait_for_function(
        "document.activeElement && document.activeElement.dataset.testid === 'counter-input'"
    )
    search(page, "Guiseppe", typed=True)
    expect(result(page, verdi)).to_be_visible()
    expect(result(page, rossi)).to_be_visible()

    shown = page.get_by_test_id("counter-results").locator("[role=option]")
    order = shown.evaluate_all("options => options.map(o => o.dataset.customer)")
    for _ in range(order.index(verdi.public_id)):
        page.keyboard.press("ArrowDown")
    expect(result(page, verdi)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("counter-input")).to_have_attribute(
        "aria-activedescendant", f"counter-hit-{verdi.public_id}"
    )
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("counter-card")).to_have_attribute("data-customer", verdi.public_id)
    expect(page.get_by_test_id("greeting-salutation")).to_contain_text("Giuseppe")
    # The card came in place: Enter did not submit the search form as a page load.
    expect(page).to_have_url(re.compile(r"/counter/$"))


def test_a_query_in_one_script_finds_a_name_written_in_the_other(
    sign_in: SignIn, world: Any
) -> None:
    maria = new_customer(world, given_name="Maria", family_name="Rossi")
    olga = new_customer(world, given_name="Ольга", family_name="Петрова", language="ru")
    page = open_counter(sign_in)

    search(page, "Мария")
    expect(result(page, maria)).to_contain_text("Maria Rossi")
    expect(result(page, olga)).to_have_count(0)

    search(page, "olga")
    expect(result(page, olga)).to_contain_text("Ольга Петрова")
    expect(result(page, maria)).to_have_count(0)


def test_the_greeting_card_shows_a_dislike_an_allergy_and_the_name_to_use(
    sign_in: SignIn, world: Any
) -> None:
    beppe = new_customer(
        world,
        given_name="Giuseppe",
        family_name="Verdi",
        preferred_name="Beppe",
        address_form="informal",
        language="it",
    )
    owner = world.users["owner"]
    add_fact(Preference, actor=owner, customer=beppe, kind="dislike", text="cinnamon")
    add_fact(Preference, actor=owner, customer=beppe, kind="allergy", text="hazelnuts")
    page = open_counter(sign_in)

    search(page, "beppe")
    result(page, beppe).click()

    card = page.get_by_test_id("counter-card")
    expect(card).to_have_attribute("data-customer", beppe.public_id)
    expect(card.get_by_test_id("greeting-dislikes")).to_have_text("cinnamon")
    expect(card.get_by_test_id("greeting-allergies")).to_have_text("hazelnuts")
    # Informal and with a preferred name: staff say "Beppe", not "Giuseppe Verdi".
    salutation = card.get_by_test_id("greeting-salutation")
    expect(salutation).to_contain_text("Beppe")
    expect(salutation).not_to_contain_text("Giuseppe")
    expect(salutation).not_to_contain_text("Verdi")


def test_staff_log_a_visit_from_the_card_in_one_click_and_are_back_in_the_search_box(
    sign_in: SignIn, world: Any
) -> None:
    giulia = new_customer(world, given_name="Giulia", family_name="Bianchi")
    staff = world.users["staff"]
    log_visit(
        actor=staff,
        location=world.bologna,
        customer=giulia,
        at=timezone.now() - timedelta(days=3),
    )
    page = open_counter(sign_in)
    search(page, "giulia")
    result(page, giulia).click()
    form = page.get_by_test_id("counter-visit-form")
    expect(form).to_be_visible()

    form.get_by_label("What they had").fill("cappuccino and a cornetto")
    page.get_by_test_id("counter-log-visit").click()

    expect(page.get_by_test_id("counter-notice")).to_have_text("Visit of Giulia Bianchi logged.")
    visits = Visit.objects.filter(customer=giulia, location=world.bologna).order_by("at")
    assert visits.count() == 2
    newest = visits.last()
    assert newest is not None
    assert (newest.had, newest.staff) == ("cappuccino and a cornetto", staff)
    expect(page.get_by_test_id("counter-input")).to_be_focused()


def test_staff_quick_add_a_newcomer_from_what_they_typed_and_find_them_by_phone(
    sign_in: SignIn, world: Any
) -> None:
    page = open_counter(sign_in)
    search(page, "ottavia lanzi")
    expect(page.get_by_test_id("counter-no-results")).to_be_visible()

    page.get_by_test_id("counter-new").click()
    form = page.get_by_test_id("counter-quick-add")
    expect(form.get_by_label("Given name")).to_have_value("Ottavia")
    expect(form.get_by_label("Family name")).to_have_value("Lanzi")
    form.get_by_label("Phone").fill("333 765 4321")
    page.get_by_test_id("counter-add").click()

    card = page.get_by_test_id("counter-card")
    expect(page.get_by_test_id("counter-notice")).to_have_text("Ottavia Lanzi added.")
    added = Customer.objects.get(phones__number="+393337654321")
    assert (added.given_name, added.family_name) == ("Ottavia", "Lanzi")
    assert added.home_location == world.bologna
    expect(card).to_have_attribute("data-customer", added.public_id)

    search(page, "4321")
    expect(result(page, added)).to_be_visible()


class TestOnATablet:
    @pytest.fixture
    def page(self, browser: Browser, live_server: Any) -> Iterator[Page]:
        """The conftest's page, but an iPad-sized touch screen (the sign-in helper and
        the screenshot on failure use this one)."""
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-US",
            timezone_id="Europe/Rome",
            viewport={"width": 768, "height": 1024},
            has_touch=True,
            is_mobile=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        tablet = context.new_page()
        yield tablet
        context.close()

    def test_staff_tap_the_box_type_and_tap_a_result_to_see_the_card(
        self, sign_in: SignIn, world: Any
    ) -> None:
        giulia = new_customer(world, given_name="Giulia", family_name="Bianchi")
        page = open_counter(sign_in)

        page.get_by_test_id("counter-input").tap()
        search(page, "giu", typed=True)
        result(page, giulia).tap()

        card = page.get_by_test_id("counter-card")
        expect(card).to_have_attribute("data-customer", giulia.public_id)
        expect(card).to_be_in_viewport()
        expect(card.get_by_test_id("greeting-salutation")).to_contain_text("Giulia")


@pytest.mark.parametrize(
    "pasted",
    [
        pytest.param(("Giuseppe Verdi 333-12 " * 500)[:10_000], id="10000-characters"),
        pytest.param("\"NEAR*'--%_", id="fts-and-sql-syntax"),
        pytest.param('" OR 1=1; DROP TABLE customers_searchdoc; -- NEAR(a b) *', id="injection"),
        pytest.param("☕🥐 Giu 👩‍👩‍👧", id="emoji"),
        pytest.param("Giu\tсеп\x07pe\u200b\x1b", id="control-characters-and-scripts"),
    ],
)
def test_bad_input_in_the_box_gives_results_or_none_never_an_error(
    sign_in: SignIn, world: Any, pasted: str
) -> None:
    new_customer(
        world,
        given_name="Giuseppe",
        family_name="Verdi",
        phones=[("333 123 4567", "mobile")],
        region="IT",
    )
    page = open_counter(sign_in)
    box = page.get_by_test_id("counter-input")

    with page.expect_response(
        lambda response: response.url.split("?")[0].endswith(SEARCH_PATH)
    ) as answer:
        box.fill(pasted)

    assert answer.value.status == 200
    region = page.locator("#counter-results")
    expect(
        region.get_by_test_id("counter-no-results").or_(region.get_by_test_id("counter-results"))
    ).to_be_visible()
    # Without JavaScript the same text comes back as a whole page.
    reply = page.goto(f"{COUNTER}?{urlencode({'q': pasted})}")
    assert reply is not None
    assert reply.status == 200
    expect(page.get_by_test_id("counter-input")).to_be_visible()
