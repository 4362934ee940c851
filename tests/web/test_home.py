"""The home page: today at a glance per location, in each location's own time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regulars.accounts.access import access_for
from regulars.service.services import refresh_visit_stats
from regulars.web import queries
from tests.conftest import World
from tests.factories import CustomerFactory, VisitFactory

# 22:00 in Bologna on Sunday 30 March 2025, the day clocks go forward: the local day
# runs from 2025-03-29 23:00 UTC to 2025-03-30 22:00 UTC (23 hours).
NOW = datetime(2025, 3, 30, 20, 0, tzinfo=UTC)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def day(world: World) -> dict[str, Any]:
    """A day of visits around the edges of Bologna's local day."""
    regular = CustomerFactory(given_name="Anna")
    newcomer = CustomerFactory(given_name="Bruno")
    yesterday_only = CustomerFactory(given_name="Carla")
    dane = CustomerFactory(given_name="Dorthe")
    bologna, copenhagen = world.bologna, world.copenhagen
    VisitFactory(customer=regular, location=bologna, at=at(2024, 1, 1, 10, 0))
    # 00:00 local on the 30th, still the 29th in UTC: today in Bologna.
    VisitFactory(
        customer=regular,
        location=bologna,
        at=at(2025, 3, 29, 23, 0),
        amount=Decimal("12.50"),
        currency="EUR",
    )
    VisitFactory(
        customer=regular,
        location=bologna,
        at=at(2025, 3, 30, 10, 0),
        amount=Decimal("3.00"),
        currency="EUR",
    )
    VisitFactory(
        customer=newcomer,
        location=bologna,
        at=at(2025, 3, 30, 9, 0),
        amount=Decimal("4.00"),
        currency="EUR",
    )
    VisitFactory(customer=None, location=bologna, at=at(2025, 3, 30, 12, 0))  # walk-in
    # 23:59 local on the 29th: yesterday in Bologna.
    VisitFactory(
        customer=yesterday_only,
        location=bologna,
        at=at(2025, 3, 29, 22, 59),
        amount=Decimal("100.00"),
        currency="EUR",
    )
    VisitFactory(
        customer=dane,
        location=copenhagen,
        at=at(2025, 3, 30, 10, 0),
        amount=Decimal("50.00"),
        currency="DKK",
    )
    refresh_visit_stats([c.pk for c in (regular, newcomer, yesterday_only, dane)])
    return {"regular": regular, "newcomer": newcomer}


def get_home(world: World, persona: str) -> Any:
    with patch("django.utils.timezone.now", return_value=NOW):
        return world.client(persona).get("/")


def by_name(items: list[queries.LocationToday]) -> dict[str, queries.LocationToday]:
    return {item.location.name: item for item in items}


def bar_values(html: str) -> list[float]:
    return [float(v) for v in re.findall(r'<rect class="bar"[^>]* data-value="([^"]+)"', html)]


# --- the numbers, read with "now" passed in --------------------------------------------


def test_today_counts_visits_customers_and_newcomers_in_bologna_time(
    world: World, day: dict[str, Any]
) -> None:
    today = by_name(queries.today_at_a_glance(access_for(world.users["staff"]), now=NOW))
    assert list(today) == ["Bologna"]
    bologna = today["Bologna"]
    assert bologna.day == date(2025, 3, 30)
    assert bologna.visits == 4
    assert bologna.customers == 2
    assert bologna.newcomers == 1


def test_staff_get_no_takings_and_managers_get_them_per_currency(
    world: World, day: dict[str, Any]
) -> None:
    staff_view = queries.today_at_a_glance(access_for(world.users["staff"]), now=NOW)
    manager_view = queries.today_at_a_glance(access_for(world.users["manager"]), now=NOW)
    assert staff_view[0].takings is None
    assert manager_view[0].takings == [queries.Takings("EUR", Decimal("19.50"))]


def test_an_owner_sees_each_location_with_its_own_day_and_currency(
    world: World, day: dict[str, Any]
) -> None:
    today = by_name(queries.today_at_a_glance(access_for(world.users["owner"]), now=NOW))
    assert sorted(today) == ["Bologna", "Copenhagen"]
    copenhagen = today["Copenhagen"]
    assert (copenhagen.visits, copenhagen.customers, copenhagen.newcomers) == (1, 1, 1)
    assert copenhagen.takings == [queries.Takings("DKK", Decimal("50.00"))]
    assert today["Bologna"].visits == 4


def test_a_quiet_day_counts_zero_and_takings_are_empty_not_hidden(world: World) -> None:
    today = queries.today_at_a_glance(access_for(world.users["manager"]), now=NOW)
    assert (today[0].visits, today[0].customers, today[0].newcomers) == (0, 0, 0)
    assert today[0].takings == []


def test_visits_per_day_covers_fourteen_local_days_ending_today(
    world: World, day: dict[str, Any]
) -> None:
    daily = queries.visits_per_day([world.bologna], now=NOW, days=14)
    assert daily.days[0] == date(2025, 3, 17)
    assert daily.days[-1] == date(2025, 3, 30)
    assert len(daily.counts) == 14
    assert daily.counts[-1] == 4  # today
    assert daily.counts[-2] == 1  # the visit at 23:59 local on the 29th
    assert sum(daily.counts) == 5  # the 2024 visit is out of range


def test_visits_per_day_adds_up_locations_in_different_zones(
    world: World, day: dict[str, Any]
) -> None:
    daily = queries.visits_per_day([world.bologna, world.copenhagen], now=NOW, days=14)
    assert daily.counts[-1] == 5


def test_the_home_queries_do_not_grow_with_the_number_of_visits(world: World) -> None:
    access = access_for(world.users["owner"])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.today_at_a_glance(access, now=NOW)
            queries.visits_per_day(access.locations(), now=NOW)
        return len(ctx.captured_queries)

    before = count_queries()
    for hour in range(1, 21):
        VisitFactory(location=world.bologna, at=at(2025, 3, 30, hour, 0))
        VisitFactory(location=world.copenhagen, at=at(2025, 3, 30, hour, 0))
    assert count_queries() == before


# --- the page -------------------------------------------------------------------------


def test_the_home_page_shows_todays_counts_for_staff(world: World, day: dict[str, Any]) -> None:
    response = get_home(world, "staff")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'data-kpi="visits">\s*4\s*<', html)
    assert re.search(r'data-kpi="customers">\s*2\s*<', html)
    assert re.search(r'data-kpi="newcomers">\s*1\s*<', html)


def test_staff_do_not_see_money_on_the_home_page(world: World, day: dict[str, Any]) -> None:
    html = get_home(world, "staff").content.decode()
    assert 'data-kpi="takings"' not in html
    assert "€" not in html
    assert "19.50" not in html


def test_managers_see_todays_takings_on_the_home_page(world: World, day: dict[str, Any]) -> None:
    html = get_home(world, "manager").content.decode()
    assert re.search(r'data-kpi="takings">\s*€19\.50\s*<', html)


def test_the_home_chart_has_fourteen_bars_with_today_the_tallest(
    world: World, day: dict[str, Any]
) -> None:
    html = get_home(world, "staff").content.decode()
    values = bar_values(html)
    assert len(values) == 14
    assert values[-1] == 4
    assert values[-2] == 1
    assert max(values) == values[-1]


def test_only_owners_get_the_audit_link(world: World) -> None:
    owner_html = get_home(world, "owner").content.decode()
    manager_html = get_home(world, "manager").content.decode()
    assert 'href="/audit/"' in owner_html
    assert 'href="/audit/"' not in manager_html


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = get_home(world, "anonymous")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_without_a_role_is_refused_the_home_page(world: World) -> None:
    response = get_home(world, "outsider")
    assert response.status_code == 403
    assert "no role at any location" in response.content.decode()


def test_managers_see_how_many_unhappy_customers_are_being_won_back(world: World) -> None:
    from regulars.feedback.responses import submit_response
    from tests.feedback.helpers import invitation, make_survey

    survey = make_survey()
    for key in ("a", "b"):
        invited = invitation(survey, world.bologna, CustomerFactory(), key=key)
        submit_response(invited, {"csat": "1", "nps": "2"})
    manager = get_home(world, "manager").content.decode()
    assert re.search(r'data-kpi="to-win-back"><a href="/feedback/recoveries/">2</a><', manager)
    assert 'data-kpi="to-win-back"' not in get_home(world, "staff").content.decode()
