"""The loyalty section of a customer's profile: stage, rhythm and history for everyone
who may see the customer; the models' figures for managers; money only for those who
may see money."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from regulars.core.permissions import POLICY, Capability, Role
from regulars.customers.models import Customer
from regulars.loyalty.models import Snapshot, Stage
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.loyalty.helpers import AS_OF, MONDAY_TO_FRIDAY, make_snapshot, make_standing


@pytest.fixture
def giulia(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


@pytest.fixture
def standing(world: World, giulia: Customer) -> Snapshot:
    run = make_snapshot()
    make_standing(
        run,
        giulia,
        stage=Stage.AT_RISK,
        location=world.bologna,
        since_days=10,
        weekdays=MONDAY_TO_FRIDAY,
        part_of_day=0,
        gap_low=2.0,
        gap_high=3.0,
        p_alive=0.62,
        expected_visits=4.25,
        p_return=0.81,
        expected_spend=Decimal("6.40"),
        value=Decimal("512.30"),
        value_at_risk=Decimal("190.00"),
    )
    return run


def section(html: str) -> str:
    found = re.search(r'<section id="section-loyalty".*?</section>', html, flags=re.DOTALL)
    assert found is not None, "no loyalty section"
    return found.group(0)


def profile(world: World, persona: str, customer: Customer, **extra: str) -> str:
    response = world.client(persona).get(f"/customers/{customer.public_id}/", **extra)
    assert response.status_code == 200
    return section(response.content.decode())


def test_staff_see_the_stage_and_the_rhythm_but_no_predictions(
    world: World, giulia: Customer, standing: Snapshot
) -> None:
    html = profile(world, "staff", giulia)
    assert 'data-loyalty-stage="at_risk"' in html
    assert "<strong>At risk</strong>" in html
    assert "since 10 Nov 2026" in html
    assert "Usually weekday mornings, every 2–3 days" in html
    assert "data-p-alive" not in html
    assert "data-expected-visits" not in html
    assert "€" not in html


def test_managers_see_the_predictions_and_the_value(
    world: World, giulia: Customer, standing: Snapshot
) -> None:
    html = profile(world, "manager", giulia)
    assert re.search(r"data-p-alive>62%<", html)
    assert "Expected visits in the next 90 days" in html
    assert re.search(r"data-expected-visits>4.2<", html)  # to a tenth, half to even
    assert re.search(r"data-p-return>81%<", html)
    assert re.search(r"data-expected-spend>€6.40<", html)
    assert re.search(r"data-value>€512.30<", html)
    assert re.search(r"data-value-at-risk>€190.00<", html)


def test_managers_without_the_right_to_see_money_see_no_amount(
    world: World, giulia: Customer, standing: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(POLICY, Capability.VIEW_MONEY, Role.OWNER)
    html = profile(world, "manager", giulia)
    assert re.search(r"data-p-alive>62%<", html)
    assert "data-expected-spend" not in html
    assert "data-value" not in html
    assert "€" not in html


def test_a_customer_of_another_location_shows_no_predictions_to_a_manager_elsewhere(
    world: World, giulia: Customer
) -> None:
    run = make_snapshot()
    make_standing(run, giulia, stage=Stage.REGULAR, location=world.copenhagen)
    html = profile(world, "manager", giulia)
    assert "<strong>Regular</strong>" in html
    assert "data-p-alive" not in html
    assert "data-p-alive" in profile(world, "owner", giulia)


def test_a_customer_not_yet_in_a_snapshot_says_so(world: World, giulia: Customer) -> None:
    assert "Not yet in a snapshot." in profile(world, "staff", giulia)
    make_snapshot()  # a snapshot without her
    assert "Not yet in a snapshot." in profile(world, "manager", giulia)


def test_the_stage_history_collapses_repeats(world: World, giulia: Customer) -> None:
    steps = [
        (AS_OF - timedelta(days=240), Stage.NEW, 0),
        (AS_OF - timedelta(days=230), Stage.NEW, 10),
        (AS_OF - timedelta(days=180), Stage.REGULAR, 0),
        (AS_OF - timedelta(days=100), Stage.REGULAR, 80),
        (AS_OF, Stage.AT_RISK, 0),
    ]
    for as_of, stage, since in steps:
        make_standing(make_snapshot(as_of=as_of), giulia, stage=stage, since_days=since)
    html = profile(world, "staff", giulia)
    history = re.search(r"data-history>(.*?)</p>", html, flags=re.DOTALL)
    assert history is not None
    text = re.sub(r"<[^>]+>", "", history.group(1))
    assert (
        text.split(":", 1)[1].strip() == "New (Mar 2026) → Regular (May 2026) → At risk (Nov 2026)"
    )


def test_an_overdue_customer_is_marked_on_the_profile(world: World, giulia: Customer) -> None:
    run = make_snapshot()
    make_standing(
        run,
        giulia,
        stage=Stage.AT_RISK,
        location=world.bologna,
        overdue=True,
        gap_low=5.0,
        gap_high=7.0,
        last_days=19,
    )
    html = profile(world, "staff", giulia)
    assert "Overdue: usually every 5–7 days, last here" in html


def test_the_profile_in_russian(world: World, giulia: Customer, standing: Snapshot) -> None:
    html = profile(world, "manager", giulia, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Обычно по будним дням утром, каждые 2–3 дня" in html
    assert "В зоне риска" in html


def test_on_simple_rules_managers_are_told_there_are_no_predictions(
    world: World, giulia: Customer
) -> None:
    run = make_snapshot(method="rules")
    make_standing(run, giulia, location=world.bologna, p_alive=None, expected_visits=None)
    html = profile(world, "manager", giulia)
    assert "None yet: too little data for the models." in html
    assert "data-p-alive" not in html
