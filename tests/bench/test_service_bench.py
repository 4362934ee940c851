"""``bench.service``'s ground truth: its generated business is consistent, the naive
per-row computations agree with the database's answers on it (so the benchmark's
checks can pass), and a wrong answer is caught. A small business in the test database
(SQLite or PostgreSQL, whichever the suite runs on); nothing is timed here."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from bench._service_data import Sizes, build, build_key, read_meta
from bench._service_naive import (
    differences,
    naive_figures,
    naive_queue_page,
    percentile,
    queue_filters,
    queue_page,
)

from regulars.accounts.models import Location
from regulars.service.figures import service_figures
from regulars.service.flow import ACTIVE
from regulars.service.models import Ticket, TicketEvent
from regulars.service.queries import ticket_handlers

# Eight locations: Europe with and without daylight saving, New York, Sydney.
TINY = Sizes(
    locations=8,
    staff=16,
    customers=200,
    tickets=1_200,
    events=3_600,
    promises=120,
    follow_ups=180,
    visits=2_500,
)
NOW = datetime(2025, 4, 5, 12, tzinfo=UTC)  # a week after Europe's clocks went forward


@pytest.fixture
def business(db: Any) -> list[Location]:
    build(TINY, seed=1, key="test", now=NOW, bulk=False)
    return list(Location.objects.order_by("pk"))


def year() -> dict[str, Any]:
    end = NOW.date() - timedelta(days=1)
    return {"start": end - timedelta(days=364), "end": end, "now": NOW}


def test_the_business_is_built_with_its_sizes_and_recorded(business: list[Location]) -> None:
    meta = read_meta()
    assert meta["key"] == "test"
    assert datetime.fromisoformat(meta["now"]) == NOW
    assert len(business) == TINY.locations
    assert Ticket.objects.count() == TINY.tickets
    assert abs(TicketEvent.objects.count() - TINY.events) <= TINY.events // 50


def test_every_ticket_has_a_life_that_fits_its_status(business: list[Location]) -> None:
    tickets = list(Ticket.objects.all())
    active = [t for t in tickets if t.status in ACTIVE]
    assert 0.01 < len(active) / len(tickets) < 0.06
    for t in tickets:
        assert t.created_at < NOW
        if t.status in ACTIVE:
            assert (t.resolved_at, t.closed_at, t.first_contact) == (None, None, False)
        else:
            assert t.resolved_at is not None
            assert t.created_at <= t.resolved_at < NOW
        if t.status == "closed":
            assert t.closed_at is not None
            assert t.resolved_at is not None
            assert t.closed_at > t.resolved_at
        if t.first_contact:
            assert t.reopened == 0
    events = Counter(TicketEvent.objects.values_list("ticket_id", flat=True))
    created = set(TicketEvent.objects.filter(kind="created").values_list("ticket_id", flat=True))
    assert all(events[t.pk] == t.version for t in tickets)
    assert created == {t.pk for t in tickets}


def test_the_queue_page_is_the_naive_one_for_every_filter(business: list[Location]) -> None:
    shown = 0
    for location in business[:4]:
        for name, flt in queue_filters(ticket_handlers(location)).items():
            fast = queue_page(location, flt, now=NOW)
            assert differences(fast, naive_queue_page(location, flt, now=NOW)) == [], name
            shown += len(fast.rows)
    assert shown > 0


@pytest.mark.parametrize("scope", ["every location", "one location", "one staff member"])
def test_the_figures_are_the_naive_ones(business: list[Location], scope: str) -> None:
    options: dict[str, Any] = {**year(), "locations": business}
    if scope == "one location":
        options["locations"] = business[:1]
    if scope == "one staff member":
        ticket = Ticket.objects.filter(assignee__isnull=False).select_related("assignee")[0]
        options["staff"] = ticket.assignee
    fast = service_figures(**options)
    assert fast.tickets > 0
    assert fast.waits
    assert fast.resolve_times
    assert differences(fast, naive_figures(**options)) == []


def test_a_wrong_figure_or_queue_order_is_caught(business: list[Location]) -> None:
    fast = service_figures(**year(), locations=business)
    assert differences(fast, dataclasses.replace(fast, tickets=fast.tickets + 1)) == [
        f".tickets: {fast.tickets} != {fast.tickets + 1}"
    ]
    wait = fast.waits[0]
    nudged = dataclasses.replace(wait, median_seconds=wait.median_seconds + 0.5)
    assert differences(fast, dataclasses.replace(fast, waits=(nudged, *fast.waits[1:])))
    page = queue_page(business[0], queue_filters([])["default"], now=NOW)
    assert len(page.rows) > 1
    swapped = dataclasses.replace(page, rows=(page.rows[1], page.rows[0], *page.rows[2:]))
    assert differences(page, swapped)


def test_floats_equal_within_rounding_are_the_same_answer() -> None:
    assert differences((1.0, 2), (1.0 + 1e-13, 2)) == []
    assert differences((1.0,), (1.001,)) == ["[0]: 1.0 != 1.001"]
    assert differences((None,), (0.0,)) == ["[0]: None != 0.0"]


def test_percentiles_interpolate_between_the_nearest_ranks() -> None:
    hours = [1, 2, 3, 10]
    assert percentile(hours, Fraction(1, 2)) == 2.5
    assert percentile(hours, Fraction(9, 10)) == pytest.approx(7.9)
    assert percentile([4], Fraction(9, 10)) == 4


def test_the_cache_key_changes_with_the_sizes_and_the_seed() -> None:
    assert build_key(TINY, 1) == build_key(TINY, 1)
    assert build_key(TINY, 1) != build_key(TINY, 2)
    assert build_key(TINY, 1) != build_key(TINY.scaled(3_000), 1)
