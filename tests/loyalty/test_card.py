"""The rhythm line on the counter's greeting card."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from regulars.customers.greeting import build_greeting_card
from regulars.customers.models import Customer
from regulars.loyalty.card import rhythm_part
from regulars.loyalty.models import Stage
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.loyalty.helpers import AS_OF, MONDAY_TO_FRIDAY, SATURDAY, make_snapshot, make_standing

NOW = AS_OF + timedelta(hours=8)  # the morning after the snapshot


@pytest.fixture
def giulia(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


def line(world: World, customer: Customer) -> str | None:
    customer.refresh_from_db()
    part = rhythm_part(customer, world.bologna, NOW)
    return None if part is None else part.items[0].text


def test_the_card_says_when_a_regular_usually_comes(world: World, giulia: Customer) -> None:
    make_standing(
        make_snapshot(), giulia, weekdays=MONDAY_TO_FRIDAY, part_of_day=0, gap_low=2, gap_high=3
    )
    assert line(world, giulia) == "Usually weekday mornings, every 2–3 days"


def test_the_card_says_an_overdue_customer_is_overdue(world: World, giulia: Customer) -> None:
    run = make_snapshot()
    make_standing(
        run, giulia, stage=Stage.AT_RISK, overdue=True, gap_low=5, gap_high=7, last_days=19
    )
    Customer.objects.filter(pk=giulia.pk).update(last_visit_at=AS_OF - timedelta(days=19))
    assert line(world, giulia) == "Overdue: usually every 5–7 days, last here 19 days ago"


def test_a_customer_back_since_the_snapshot_is_not_overdue_any_more(
    world: World, giulia: Customer
) -> None:
    run = make_snapshot()
    make_standing(run, giulia, overdue=True, weekdays=SATURDAY, gap_low=7, gap_high=7)
    Customer.objects.filter(pk=giulia.pk).update(last_visit_at=AS_OF + timedelta(hours=1))
    assert line(world, giulia) == "Usually Saturdays, about every week"


def test_no_line_without_a_rhythm_or_a_snapshot(world: World, giulia: Customer) -> None:
    assert line(world, giulia) is None
    make_standing(make_snapshot(), giulia, weekdays=0, gap_low=None, gap_high=None)
    assert line(world, giulia) is None


def test_the_card_reads_the_latest_done_snapshot(world: World, giulia: Customer) -> None:
    make_standing(make_snapshot(as_of=AS_OF - timedelta(days=1)), giulia, weekdays=SATURDAY)
    make_standing(make_snapshot(), giulia, weekdays=MONDAY_TO_FRIDAY, gap_low=None, gap_high=None)
    failed = make_snapshot(as_of=AS_OF + timedelta(hours=1), status="failed")
    make_standing(failed, giulia, weekdays=SATURDAY | 1)
    assert line(world, giulia) == "Usually weekdays"


def test_the_line_is_one_query(
    world: World, giulia: Customer, django_assert_num_queries: Any
) -> None:
    make_standing(make_snapshot(), giulia, weekdays=SATURDAY)
    with django_assert_num_queries(1):
        part = rhythm_part(giulia, world.bologna, NOW)
    assert part is not None


def test_the_card_shows_the_line_in_the_staffs_language(world: World, giulia: Customer) -> None:
    make_standing(make_snapshot(), giulia, weekdays=SATURDAY, gap_low=7, gap_high=7)
    with translation.override("it"):
        card = build_greeting_card(giulia, location=world.bologna, now=NOW)
    parts = {p.key: p for p in card.parts}
    assert parts["rhythm"].items[0].text == "Di solito il sabato, circa ogni settimana"


def test_the_counter_shows_the_line(world: World, giulia: Customer) -> None:
    make_standing(make_snapshot(), giulia, weekdays=SATURDAY, gap_low=7, gap_high=7)
    html = (
        world.client("staff")
        .get(f"/counter/customer/{giulia.public_id}/", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'data-part="rhythm"' in html
    assert "Usually Saturdays, about every week" in html
