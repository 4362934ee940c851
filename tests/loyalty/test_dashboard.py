"""The loyalty dashboard and the stage lists through the HTTP layer: who may see them,
what they say about the snapshot runs, who to check on and in which order, the stage
sizes, moves, cohorts, value and the models' check, each chart with its table."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from regulars.core.permissions import POLICY, Capability, Role
from regulars.customers.models import Customer
from regulars.loyalty.models import RunStatus, Snapshot, Stage
from tests.conftest import World
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.loyalty.helpers import AS_OF, MONDAY_TO_FRIDAY, SATURDAY, make_snapshot, make_standing

EUR_VALUES: dict[str, Any] = {
    "total": 3210.5,
    "currency": "EUR",
    "edges": [0, 100, 500, 1000],
    "counts": [2, 3, 1],
    "top_decile_share": 0.42,
}
DKK_VALUES: dict[str, Any] = {
    "total": 3100.0,
    "currency": "DKK",
    "edges": [0, 1000, 5000, 10000],
    "counts": [0, 1, 0],
    "top_decile_share": 1.0,
}

FIGURES: dict[str, Any] = {
    "horizon_days": 90,
    "clv_days": 365,
    "discount": 0.10,
    "stages": {
        "new": 1,
        "developing": 0,
        "regular": 1,
        "at_risk": 3,
        "lapsed": 1,
        "dissatisfied": 0,
        "won_back": 0,
    },
    "flows": {
        "from": [
            "new",
            "developing",
            "regular",
            "at_risk",
            "lapsed",
            "dissatisfied",
            "won_back",
            "none",
        ],
        "to": ["new", "developing", "regular", "at_risk", "lapsed", "dissatisfied", "won_back"],
        "counts": [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 4, 2, 0, 0, 0],
            [0, 0, 1, 5, 1, 0, 0],
            [0, 0, 0, 0, 9, 0, 3],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
            [6, 0, 0, 0, 0, 0, 0],
        ],
    },
    "previous_as_of": (AS_OF - timedelta(days=1)).isoformat(),
    "cohorts": {
        "period": "month",
        "labels": ["2026-08", "2026-09", "2026-10"],
        "sizes": [40, 30, 20],
        "retention": [[1.0, 0.5, 0.4, 0.0], [1.0, 0.6, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]],
        "observable": [
            [True, True, True, False],
            [True, True, False, False],
            [True, False, False, False],
        ],
    },
    "value": EUR_VALUES,
    "values": [EUR_VALUES, DKK_VALUES],
    "holdout": {
        "split": "2026-08-22",
        "end": "2026-11-20",
        "days": 90,
        "groups": [
            {"frequency": "0", "customers": 50, "predicted": 0.4, "actual": 0.3},
            {"frequency": "1", "customers": 20, "predicted": 1.2, "actual": 1.1},
            {"frequency": "7+", "customers": 5, "predicted": 9.5, "actual": 10.0},
        ],
        "total_predicted": 76.5,
        "total_actual": 72.0,
        "alive": [
            {"lo": 0.0, "hi": 0.5, "predicted": 0.31, "actual": 0.27, "customers": 40},
            {"lo": 0.5, "hi": 1.0, "predicted": 0.83, "actual": 0.8, "customers": 35},
        ],
    },
    "inputs": {"future_visits": 0, "duplicate_visits": 0},
    "horizons": {"risk_days": 45.0, "lapse_days": 120.0},
}


def customer(name: str, world: World) -> Customer:
    given, family = name.split()
    return CustomerFactory(given_name=given, family_name=family, home_location=world.bologna)


@pytest.fixture
def snapshot(world: World) -> Snapshot:
    """Six customers: three at risk in Bologna (different values at risk, in euros), one
    at risk in Copenhagen (in kroner: the largest amount, but less at stake than
    Bruno's), one regular and one lapsed in Bologna."""
    run = make_snapshot(figures=FIGURES, total_value=Decimal("3210.50"), customers=6, visits=80)
    b = world.bologna
    make_standing(
        run,
        customer("Anna Bianchi", world),
        stage=Stage.AT_RISK,
        location=b,
        value_at_risk=Decimal("120.00"),
        weekdays=MONDAY_TO_FRIDAY,
        part_of_day=0,
        gap_low=2.0,
        gap_high=3.0,
        overdue=True,
        overdue_ratio=4.2,
        last_days=11,
        p_alive=0.41,
    )
    make_standing(
        run,
        customer("Bruno Verdi", world),
        stage=Stage.AT_RISK,
        location=b,
        value_at_risk=Decimal("860.00"),
        weekdays=SATURDAY,
        gap_low=7.0,
        gap_high=7.0,
        overdue=True,
        overdue_ratio=3.0,
        last_days=21,
        p_alive=0.35,
    )
    make_standing(
        run,
        customer("Carla Neri", world),
        stage=Stage.AT_RISK,
        location=b,
        value_at_risk=Decimal("45.50"),
        last_days=30,
    )
    make_standing(
        run,
        customer("Dagmar Holm", world),
        stage=Stage.AT_RISK,
        location=world.copenhagen,
        currency="DKK",
        value=Decimal("3100.00"),
        value_at_risk=Decimal("2500.00"),
        risk_score=2.0,  # Bruno: 8.6, Anna: 1.2, Carla: 0.455
    )
    make_standing(run, customer("Elena Russo", world), stage=Stage.REGULAR, location=b)
    make_standing(run, customer("Franco Galli", world), stage=Stage.LAPSED, location=b)
    return run


def names_in(html: str) -> list[str]:
    table = re.search(r'data-table="customers">(.*?)</table>', html, flags=re.DOTALL)
    assert table is not None, "no customer table"
    return re.findall(r'<th scope="row"><a href="/customers/[^"]+/">([^<]+)</a>', table.group(1))


# --- who may see it ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/loyalty/", "/loyalty/stage/at_risk/"])
def test_anonymous_visitors_are_sent_to_sign_in(world: World, path: str) -> None:
    response = world.client("anonymous").get(path)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("path", ["/loyalty/", "/loyalty/stage/at_risk/"])
def test_staff_and_outsiders_are_refused(world: World, snapshot: Snapshot, path: str) -> None:
    assert world.client("staff").get(path).status_code == 403
    assert world.client("outsider").get(path).status_code == 403


@pytest.mark.parametrize("path", ["/loyalty/", "/loyalty/stage/at_risk/"])
def test_managers_and_owners_may_see_it(world: World, snapshot: Snapshot, path: str) -> None:
    assert world.client("manager").get(path).status_code == 200
    assert world.client("owner").get(path).status_code == 200


def test_the_navigation_links_the_dashboard_for_managers_only(world: World) -> None:
    assert 'href="/loyalty/"' in world.client("manager").get("/").content.decode()
    assert 'href="/loyalty/"' not in world.client("staff").get("/").content.decode()


def test_an_unknown_stage_is_not_found(world: World, snapshot: Snapshot) -> None:
    assert world.client("manager").get("/loyalty/stage/royalty/").status_code == 404


def test_a_manager_cannot_ask_for_a_location_of_someone_else(
    world: World, snapshot: Snapshot
) -> None:
    html = (
        world.client("manager").get("/loyalty/", {"location": world.copenhagen.pk}).content.decode()
    )
    assert "Dagmar" not in html
    assert "data-snapshot" not in html  # the form refuses the choice: no figures at all


# --- the runs --------------------------------------------------------------------------------


def test_without_a_snapshot_the_page_says_how_to_take_one(world: World) -> None:
    html = world.client("manager").get("/loyalty/").content.decode()
    assert "data-no-snapshot" in html
    assert "<code>regulars snapshot</code>" in html
    html = world.client("manager").get("/loyalty/stage/at_risk/").content.decode()
    assert "<code>regulars snapshot</code>" in html


def test_a_failed_newest_run_is_reported_and_the_previous_snapshot_shown(
    world: World, snapshot: Snapshot
) -> None:
    make_snapshot(
        as_of=AS_OF + timedelta(days=1),
        status=RunStatus.FAILED,
        error="ValueError: the visit model did not converge",
    )
    html = world.client("manager").get("/loyalty/").content.decode()
    failed = re.search(r'data-run="failed">(.*?)</div>', html, flags=re.DOTALL)
    assert failed is not None
    assert "ValueError: the visit model did not converge" in failed.group(1)
    assert "The previous snapshot is shown below." in failed.group(1)
    assert "data-snapshot" in html
    assert names_in(html)[:1] == ["Bruno Verdi"]


def test_a_failed_first_run_says_there_is_nothing_earlier(world: World) -> None:
    make_snapshot(status=RunStatus.FAILED, error="RuntimeError: out of memory")
    html = world.client("manager").get("/loyalty/").content.decode()
    assert "RuntimeError: out of memory" in html
    assert "There is no earlier snapshot to show." in html
    assert "data-snapshot" not in html


def test_a_run_under_way_is_announced(world: World, snapshot: Snapshot) -> None:
    make_snapshot(as_of=AS_OF + timedelta(days=1), status=RunStatus.RUNNING)
    html = world.client("manager").get("/loyalty/").content.decode()
    assert 'data-run="running"' in html
    assert "The previous one is shown until it is done." in html


def test_the_snapshot_says_when_and_how_it_was_taken_and_its_warnings(world: World) -> None:
    make_snapshot(
        method="rules",
        customers=1234,
        warnings=[
            {
                "code": "thin_data",
                "reasons": ["too_few_customers", "history_too_short"],
                "customers": 1234,
                "repeat_customers": 12,
            },
            {"code": "future_visits", "count": 3},
            {"code": "duplicate_visits", "count": 1},
            {"code": "fit_not_converged", "model": "bgnbd"},
            {"code": "no_standard_errors", "model": "bgnbd"},
            {"code": "fit_failed", "model": "bgnbd", "reason": "BG/NBD could not be fitted"},
            {"code": "something_new_from_the_job", "value": 7},
            "not even a dict",
        ],
    )
    html = world.client("manager").get("/loyalty/").content.decode()
    state = re.search(r"data-snapshot>(.*?)</section>", html, flags=re.DOTALL)
    assert state is not None
    text = state.group(1)
    assert "20 Nov 2026" in text
    assert "1,234 customers" in text
    assert 'data-method="rules"' in text
    assert "Simple rules" in text
    assert "There is little data yet (few customers (1,234), a short history of visits)" in text
    assert "3 visits dated in the future were left out." in text
    assert "1 visit logged twice was counted once." in text
    assert "The BG/NBD model did not settle on a fit" in text
    assert "The BG/NBD model gave no margins of error" in text
    assert "The BG/NBD model could not be fitted, so simple rules place the customers." in text
    assert "The snapshot noted something unusual (something_new_from_the_job)." in text


def test_too_few_returning_customers_in_one_currency_is_said_with_its_currency(
    world: World,
) -> None:
    make_snapshot(
        warnings=[
            {
                "code": "thin_data",
                "reasons": ["too_few_spend_customers"],
                "currency": "DKK",
                "customers": 180,
                "repeat_customers": 40,
            }
        ]
    )
    html = world.client("owner").get("/loyalty/").content.decode()
    warnings = re.search(r"data-warnings>(.*?)</div>", html, flags=re.DOTALL)
    assert warnings is not None
    expected = (
        "Too few customers paying in DKK came back to estimate their value, so none is "
        "shown for them."
    )
    assert re.findall(r"<li>([^<]*)</li>", warnings.group(1)) == [expected]


def test_an_old_snapshot_without_figures_still_renders(world: World) -> None:
    run = make_snapshot(figures={})
    make_standing(run, CustomerFactory(), stage=Stage.AT_RISK, location=world.bologna)
    response = world.client("owner").get("/loyalty/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No cohorts in this snapshot." in html
    assert 'data-stage="at_risk"' in html


# --- who to check on --------------------------------------------------------------------------


def test_who_to_check_on_lists_the_customers_at_risk_by_value_at_risk(
    world: World, snapshot: Snapshot
) -> None:
    html = world.client("manager").get("/loyalty/").content.decode()
    assert names_in(html) == ["Bruno Verdi", "Anna Bianchi", "Carla Neri"]
    assert "Elena" not in html  # a regular
    assert "Dagmar" not in html  # at risk, but in Copenhagen


def test_who_to_check_on_says_the_rhythm_absence_and_figures(
    world: World, snapshot: Snapshot
) -> None:
    html = world.client("manager").get("/loyalty/").content.decode()
    row = re.search(
        r'<tr data-customer="[^"]+">\s*<th scope="row"><a[^>]*>Anna Bianchi.*?</tr>',
        html,
        flags=re.DOTALL,
    )
    assert row is not None
    anna = row.group(0)
    assert "Usually weekday mornings, every 2–3 days" in anna
    assert "4.2 × their usual gap" in anna
    assert "41%" in anna
    assert "€120.00" in anna
    bruno = re.search(r"Bruno Verdi.*?</tr>", html, flags=re.DOTALL)
    assert bruno is not None
    assert "Usually Saturdays, about every week" in bruno.group(0)


def test_the_owner_filters_who_to_check_on_by_location(world: World, snapshot: Snapshot) -> None:
    client = world.client("owner")
    assert "Dagmar Holm" in names_in(client.get("/loyalty/").content.decode())
    html = client.get("/loyalty/", {"location": world.copenhagen.pk}).content.decode()
    assert names_in(html) == ["Dagmar Holm"]


def test_who_to_check_on_ranks_by_what_is_at_stake_across_currencies(
    world: World, snapshot: Snapshot
) -> None:
    # Dagmar's DKK 2,500 is the largest amount, but two typical years of a customer in
    # kroner: less at stake than Bruno's €860 (8.6 typical years in euros).
    client = world.client("owner")
    expected = ["Bruno Verdi", "Dagmar Holm", "Anna Bianchi", "Carla Neri"]
    assert names_in(client.get("/loyalty/").content.decode()) == expected
    assert names_in(client.get("/loyalty/stage/at_risk/").content.decode()) == expected


def value_at_risk_by_name(html: str) -> dict[str, str]:
    table = re.search(r'data-table="customers">(.*?)</table>', html, flags=re.DOTALL)
    assert table is not None, "no customer table"
    return dict(
        re.findall(
            r'<th scope="row"><a[^>]*>([^<]+)</a>.*?data-value-at-risk>([^<]*)<',
            table.group(1),
            flags=re.DOTALL,
        )
    )


@pytest.mark.parametrize("path", ["/loyalty/", "/loyalty/stage/at_risk/"])
def test_money_in_the_lists_is_in_each_customers_own_currency(
    world: World, snapshot: Snapshot, path: str
) -> None:
    html = world.client("owner").get(path).content.decode()
    assert value_at_risk_by_name(html) == {
        "Bruno Verdi": "€860.00",
        "Dagmar Holm": "DKK2,500.00",
        "Anna Bianchi": "€120.00",
        "Carla Neri": "€45.50",
    }
    danish = world.client("owner").get(path, HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert value_at_risk_by_name(danish)["Dagmar Holm"] == "2.500,00\xa0kr."


def test_each_stage_links_to_the_list_of_its_customers(world: World, snapshot: Snapshot) -> None:
    client = world.client("manager")
    html = client.get("/loyalty/").content.decode()
    assert 'href="/loyalty/stage/lapsed/?location=' not in html  # no location chosen
    assert 'href="/loyalty/stage/lapsed/"' in html
    lapsed = client.get("/loyalty/stage/lapsed/").content.decode()
    assert names_in(lapsed) == ["Franco Galli"]
    at_risk = client.get("/loyalty/stage/at_risk/").content.decode()
    assert names_in(at_risk) == ["Bruno Verdi", "Anna Bianchi", "Carla Neri"]
    assert "3 customers" in at_risk


def test_the_stage_sizes_are_those_of_the_readers_locations(
    world: World, snapshot: Snapshot
) -> None:
    def count(html: str, stage: str) -> str:
        found = re.search(rf'data-stage="{stage}">.*?data-count>([^<]*)<', html, flags=re.DOTALL)
        assert found is not None
        return found.group(1)

    manager = world.client("manager").get("/loyalty/").content.decode()
    assert count(manager, "at_risk") == "3"  # Bologna only
    owner = world.client("owner").get("/loyalty/").content.decode()
    assert count(owner, "at_risk") == "3"  # the whole business: the stored sizes
    assert count(owner, "new") == "1"


def test_the_lists_are_paginated(world: World) -> None:
    run = make_snapshot()
    for i in range(55):
        make_standing(
            run,
            CustomerFactory(given_name=f"C{i:02d}", family_name="Rossi"),
            stage=Stage.AT_RISK,
            location=world.bologna,
            value_at_risk=Decimal(1000 - i),
        )
    client = world.client("manager")
    first = names_in(client.get("/loyalty/").content.decode())
    assert len(first) == 50
    assert first[0] == "C00 Rossi"
    second = client.get("/loyalty/", {"page": 2}).content.decode()
    assert names_in(second) == [f"C{i} Rossi" for i in range(50, 55)]
    assert "Page 2 of 2" in second


# --- the figures -------------------------------------------------------------------------------


def test_the_charts_come_with_their_accessible_tables(world: World, snapshot: Snapshot) -> None:
    html = world.client("owner").get("/loyalty/").content.decode()
    for caption in (
        "Customers in each stage",
        "Share of each month&#x27;s new customers still coming, month by month",
        "Customers by their value over the coming year, in EUR",
        "Customers by their value over the coming year, in DKK",
        "A visit in those days: predicted against what happened",
        "Repeat visits in the held-out period: predicted against actual",
    ):
        assert f'<table class="visually-hidden"><caption>{caption}</caption>' in html, caption
    assert html.count('role="img"') == 6


def test_the_moves_that_matter_are_highlighted(world: World, snapshot: Snapshot) -> None:
    html = world.client("owner").get("/loyalty/").content.decode()
    table = re.search(r'data-table="flows">(.*?)</table>', html, flags=re.DOTALL)
    assert table is not None
    rows = re.findall(
        r'data-flow="([a-z_]*)">\s*<td>([^<]+)</td><td>→ ([^<]+)</td><td class="num">(\d+)</td>',
        table.group(1),
    )
    assert rows == [
        ("slipping", "Regular", "At risk", "2"),
        ("slipping", "At risk", "Lapsed", "1"),
        ("won_back", "Lapsed", "Won back", "3"),
        ("", "Not seen before", "New", "6"),
        ("", "At risk", "Regular", "1"),
    ]
    assert "18 stayed in the same stage." in html


def test_the_managers_moves_are_counted_at_their_locations(
    world: World, snapshot: Snapshot
) -> None:
    before = make_snapshot(as_of=AS_OF - timedelta(days=1), figures={})
    anna = Customer.objects.get(given_name="Anna")
    dagmar = Customer.objects.get(given_name="Dagmar")
    make_standing(before, anna, stage=Stage.REGULAR, location=world.bologna)
    make_standing(before, dagmar, stage=Stage.REGULAR, location=world.copenhagen)
    html = world.client("manager").get("/loyalty/").content.decode()
    table = re.search(r'data-table="flows">(.*?)</table>', html, flags=re.DOTALL)
    assert table is not None
    rows = re.findall(
        r"<td>([^<]+)</td><td>→ ([^<]+)</td><td class=\"num\">(\d+)</td>", table.group(1)
    )
    assert ("Regular", "At risk", "1") in rows  # Anna; Dagmar is in Copenhagen
    assert ("Not seen before", "At risk", "2") in rows


def test_cohort_curves_leave_the_months_still_to_come_empty(
    world: World, snapshot: Snapshot
) -> None:
    html = world.client("owner").get("/loyalty/").content.decode()
    chart = re.search(
        r"<caption>Share of each month&#x27;s new customers.*?<thead>(.*?)</thead><tbody>(.*?)</tbody>",
        html,
        flags=re.DOTALL,
    )
    assert chart is not None
    # August and September; October, seen only in its first month, is left out.
    assert re.findall(r'<th scope="col">([^<]+)</th>', chart.group(1)) == [
        "Months since the first visit",
        "Aug 2026 (40)",
        "Sept 2026 (30)",
    ]
    rows = re.findall(r"<tr>(.*?)</tr>", chart.group(2))
    assert rows == [
        '<th scope="row">0</th><td>100</td><td>100</td>',
        '<th scope="row">1</th><td>50</td><td>60</td>',
        '<th scope="row">2</th><td>40</td><td>–</td>',  # September's third month is to come
    ]
    table = re.search(r'data-table="cohorts">(.*?)</table>', html, flags=re.DOTALL)
    assert table is not None
    assert "Oct 2026" in table.group(1)


def value_blocks(html: str) -> dict[str, dict[str, Any]]:
    """Each currency's block of the value section: its total, top-tenth share and bands."""
    section = re.search(r'data-section="value">(.*?)</section>', html, flags=re.DOTALL)
    assert section is not None, "no value section"
    blocks = {}
    parts = re.split(r'data-value-currency="([A-Z]{3})"', section.group(1))
    for currency, part in zip(parts[1::2], parts[2::2], strict=True):
        total = re.search(r"data-total-value>([^<]*)<", part)
        top = re.search(r"data-top-decile>([^<]*)<", part)
        bands = re.search(r'data-table="value">(.*?)</table>', part, flags=re.DOTALL)
        blocks[currency] = {
            "total": total.group(1) if total else None,
            "top": top.group(1) if top else None,
            "bands": re.findall(
                r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', bands.group(1)
            )
            if bands
            else None,
        }
    return blocks


def test_the_value_of_the_customer_base_is_shown_in_each_currency(
    world: World, snapshot: Snapshot
) -> None:
    html = world.client("owner").get("/loyalty/").content.decode()
    blocks = value_blocks(html)
    assert list(blocks) == ["EUR", "DKK"]  # the main currency first
    assert blocks["EUR"] == {
        "total": "€3,210.50",
        "top": "42%",
        "bands": [("€0.00 – €100.00", "2"), ("€100.00 – €500.00", "3"), ("€500.00 or more", "1")],
    }
    assert blocks["DKK"] == {
        "total": "DKK3,100.00",
        "top": "100%",
        "bands": [
            ("DKK0.00 – DKK1,000.00", "0"),
            ("DKK1,000.00 – DKK5,000.00", "1"),
            ("DKK5,000.00 or more", "0"),
        ],
    }
    assert '<h3 id="value-EUR-heading">Euro (EUR)</h3>' in html
    assert '<h3 id="value-DKK-heading">Danish Krone (DKK)</h3>' in html
    assert "amounts in different currencies are never added up" in html
    assert "6,310.50" not in html  # euros and kroner are never added up


def test_a_manager_sees_the_value_of_their_locations_customers_in_their_currency(
    world: World, snapshot: Snapshot
) -> None:
    blocks = value_blocks(world.client("manager").get("/loyalty/").content.decode())
    # Bologna only: the values of Bologna's customers (5 × €420), counted from them;
    # nobody there pays in kroner, so no block in kroner.
    assert blocks == {
        "EUR": {
            "total": "€2,100.00",
            "top": None,  # the business's top tenth, not shown for one location
            "bands": [
                ("€0.00 – €100.00", "0"),
                ("€100.00 – €500.00", "5"),
                ("€500.00 or more", "0"),
            ],
        }
    }


def test_a_manager_of_copenhagen_sees_only_the_value_in_kroner(
    world: World, snapshot: Snapshot
) -> None:
    dane = UserFactory(username="dane")
    MembershipFactory(user=dane, location=world.copenhagen, role="manager")
    client = Client()
    client.force_login(dane)
    html = client.get("/loyalty/").content.decode()
    assert value_blocks(html) == {
        "DKK": {
            "total": "DKK3,100.00",
            "top": None,
            "bands": [
                ("DKK0.00 – DKK1,000.00", "0"),
                ("DKK1,000.00 – DKK5,000.00", "1"),
                ("DKK5,000.00 or more", "0"),
            ],
        }
    }
    assert "€" not in html
    # Headed by its currency (the business has two), with nothing to tell apart.
    assert '<h3 id="value-DKK-heading">Danish Krone (DKK)</h3>' in html
    assert "never added up" not in html


def test_a_location_with_customers_paying_in_two_currencies_gets_a_block_for_each(
    world: World, snapshot: Snapshot
) -> None:
    # A Danish regular of Bologna who pays in kroner: valued in kroner, never in euros.
    make_standing(
        snapshot,
        customer("Søren Lund", world),
        location=world.bologna,
        currency="DKK",
        value=Decimal("600.00"),
    )
    blocks = value_blocks(world.client("manager").get("/loyalty/").content.decode())
    assert list(blocks) == ["EUR", "DKK"]
    assert blocks["EUR"]["total"] == "€2,100.00"
    assert blocks["DKK"]["total"] == "DKK600.00"
    assert blocks["DKK"]["bands"] == [
        ("DKK0.00 – DKK1,000.00", "1"),
        ("DKK1,000.00 – DKK5,000.00", "0"),
        ("DKK5,000.00 or more", "0"),
    ]


def test_an_older_snapshot_with_one_currency_still_shows_its_value(world: World) -> None:
    # Taken before customers had a currency of their own: one "value", blank currencies.
    run = make_snapshot(figures={"clv_days": 365, "value": EUR_VALUES})
    for name in ("Anna Bianchi", "Bruno Verdi"):
        make_standing(run, customer(name, world), location=world.bologna, currency="")
    blocks = value_blocks(world.client("manager").get("/loyalty/").content.decode())
    assert blocks["EUR"]["total"] == "€840.00"
    assert blocks["EUR"]["bands"] == [
        ("€0.00 – €100.00", "0"),
        ("€100.00 – €500.00", "2"),
        ("€500.00 or more", "0"),
    ]


def test_without_values_the_section_says_why(world: World) -> None:
    run = make_snapshot(figures={"clv_days": 365, "value": None, "values": []})
    make_standing(run, customer("Anna Bianchi", world), location=world.bologna, value=None)
    html = world.client("owner").get("/loyalty/").content.decode()
    assert "No values in this snapshot" in html
    assert "data-value-currency" not in html


def test_without_the_right_to_see_money_no_amount_is_shown(
    world: World, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(POLICY, Capability.VIEW_MONEY, Role.OWNER)
    html = world.client("manager").get("/loyalty/").content.decode()
    assert names_in(html) == ["Bruno Verdi", "Anna Bianchi", "Carla Neri"]
    assert "data-total-value" not in html
    assert 'data-section="value"' not in html
    assert "€" not in html
    assert "Value at risk" not in html


def test_the_check_on_held_out_visits_is_a_table_too(world: World, snapshot: Snapshot) -> None:
    html = world.client("owner").get("/loyalty/").content.decode()
    calibration = re.search(r'data-table="calibration">(.*?)</table>', html, flags=re.DOTALL)
    assert calibration is not None
    assert re.findall(r"<td class=\"num\">([^<]*)</td>", calibration.group(1)) == [
        "40",
        "31%",
        "27%",
        "35",
        "83%",
        "80%",
    ]
    assert "data-total-predicted>76.5<" in html
    assert "data-total-actual>72<" in html


def test_numbers_and_money_follow_the_readers_language(world: World, snapshot: Snapshot) -> None:
    html = world.client("owner").get("/loyalty/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert re.search(r"data-total-value>3\.210,50\s€<", html)
    assert "4,2 × " in html


def test_the_dashboard_costs_a_bounded_number_of_queries(
    world: World, snapshot: Snapshot, django_assert_max_num_queries: Any
) -> None:
    client = world.client("manager")
    client.get("/loyalty/")
    with django_assert_max_num_queries(16):
        response = client.get("/loyalty/")
    assert response.status_code == 200


# --- the home page -------------------------------------------------------------------------------


def test_the_home_page_counts_who_to_check_on_for_managers(
    world: World, snapshot: Snapshot
) -> None:
    html = world.client("manager").get("/").content.decode()
    kpi = re.search(r'data-kpi="to-check-on">(.*?)</dd>', html, flags=re.DOTALL)
    assert kpi is not None
    assert f'href="/loyalty/?location={world.bologna.pk}">3<' in kpi.group(1)
    assert 'data-kpi="to-check-on"' not in world.client("staff").get("/").content.decode()


def test_on_simple_rules_the_lists_leave_out_the_chance_of_still_being_a_customer(
    world: World,
) -> None:
    run = make_snapshot(method="rules", figures={})
    make_standing(
        run,
        customer("Anna Bianchi", world),
        stage=Stage.AT_RISK,
        location=world.bologna,
        p_alive=None,
        expected_visits=None,
        value=None,
    )
    html = world.client("manager").get("/loyalty/").content.decode()
    assert names_in(html) == ["Anna Bianchi"]
    assert "data-rules" in html
    assert "Still a customer" not in html
    assert 'data-section="holdout"' not in html


def test_with_many_cohorts_every_second_one_gets_a_line(world: World) -> None:
    labels = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]
    n = len(labels)
    cohorts = {
        "labels": labels,
        "sizes": [10] * n,
        "retention": [[1.0] + [0.5] * (n - i - 1) + [0.0] * i for i in range(n)],
        "observable": [[True] * (n - i) + [False] * i for i in range(n)],
    }
    make_snapshot(figures={"cohorts": cohorts})
    html = world.client("owner").get("/loyalty/").content.decode()
    chart = re.search(r"<caption>Share of each month.*?<thead>(.*?)</thead>", html, re.DOTALL)
    assert chart is not None
    names = re.findall(r'<th scope="col">([^<]+) \(10\)</th>', chart.group(1))
    # March 2026 is seen only in its first month; from February back, every second.
    assert names == ["Apr 2025", "Jun 2025", "Aug 2025", "Oct 2025", "Dec 2025", "Feb 2026"]


def test_the_check_without_its_dates_says_how_far_off_the_models_were(world: World) -> None:
    holdout = {
        "days": 90.0,
        "groups": [{"frequency": "0", "customers": 4, "predicted": 1.0, "actual": 1.5}],
        "total_predicted": 10958.7,
        "total_actual": 10994.0,
        "relative_error": -0.0032,
        "calibration_error": 0.0351,
        "alive": [],
    }
    make_snapshot(figures={"holdout": holdout})
    html = world.client("owner").get("/loyalty/").content.decode()
    section = re.search(r'data-section="holdout">(.*?)</section>', html, flags=re.DOTALL)
    assert section is not None
    text = re.sub(r"\s+", " ", section.group(1))
    assert "fitted again without the last 90 days of visits" in text
    assert "In all, 10,958.7 repeat visits were predicted and 10,994 happened." in text
    assert "(off by −0.3%)" in text
    assert "off by 3.5 percentage points on average" in text
    assert 'data-table="calibration"' not in text  # no bins, no table
