"""The service figures: every figure against a small data set computed by hand, local
days and hours across a daylight-saving change, one staff member's figures, the page.

Bologna is Europe/Rome: +01:00 until Sunday 30 March 2025 01:00 UTC, +02:00 after.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db.models import F
from django.urls import reverse

from regulars.accounts.models import Location
from regulars.service.figures import (
    Rate,
    percentiles,
    service_figures,
    utc_offsets,
)
from regulars.service.flow import PromiseStatus, TicketStatus
from regulars.service.models import FollowUp, Promise, Return, Ticket, Visit
from tests.conftest import World
from tests.factories import LocationFactory, MembershipFactory, ProfileFactory, UserFactory

START, END = date(2025, 3, 24), date(2025, 4, 6)
NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
URL = "/service/figures/"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ticket(location: Location, created: datetime, **fields: Any) -> Ticket:
    fields.setdefault("kind", "complaint")
    fields.setdefault("status", TicketStatus.OPEN)
    return Ticket.objects.create(location=location, subject="x", created_at=created, **fields)


def resolved(location: Location, created: datetime, hours: float, **fields: Any) -> Ticket:
    fields.setdefault("status", TicketStatus.RESOLVED)
    return ticket(location, created, resolved_at=created + timedelta(hours=hours), **fields)


def figures(world: World, **options: Any) -> Any:
    values: dict[str, Any] = {
        "start": START,
        "end": END,
        "locations": [world.bologna],
        "now": NOW,
    }
    values.update(options)
    return service_figures(**values)


# --- tickets ------------------------------------------------------------------------------


def test_it_computes_first_contact_resolution_among_resolved_tickets(world: World) -> None:
    b = world.bologna
    resolved(b, at(2025, 3, 25, 9), 1, first_contact=True)
    resolved(b, at(2025, 3, 25, 9), 1, first_contact=True)
    resolved(b, at(2025, 3, 25, 9), 1, status=TicketStatus.CLOSED, closed_at=NOW)
    ticket(b, at(2025, 3, 26, 9))  # open: not judged
    result = figures(world)
    assert result.tickets == 4
    assert result.first_contact == Rate(2, 3)
    assert result.first_contact.share == pytest.approx(2 / 3)


def test_resolve_times_interpolate_between_ranks_per_kind(world: World) -> None:
    b = world.bologna
    for hours in (10, 1, 3, 2):
        resolved(b, at(2025, 3, 25, 9), hours, kind="complaint")
    resolved(b, at(2025, 3, 26, 9), 4, kind="request")
    resolved(b, at(2025, 3, 27, 9), 0.5, kind="return")
    resolved(b, at(2025, 3, 27, 9), 1.5, kind="return")
    rows = {r.kind: r for r in figures(world).resolve_times}
    assert list(rows) == ["request", "complaint", "return"]  # TicketKind order
    # 1, 2, 3, 10: median halfway between 2 and 3; p90 at rank 2.7: 3 + 0.7 × 7.
    assert (rows["complaint"].count, rows["complaint"].median_hours) == (4, pytest.approx(2.5))
    assert rows["complaint"].p90_hours == pytest.approx(7.9)
    assert (rows["request"].median_hours, rows["request"].p90_hours) == (4.0, 4.0)
    # 0.5 h and 1.5 h: median 1 h, p90 at rank 0.9: 0.5 + 0.9 × 1.
    assert rows["return"].median_hours == pytest.approx(1.0)
    assert rows["return"].p90_hours == pytest.approx(1.4)


def test_the_service_level_counts_resolved_tickets_with_a_due_time(world: World) -> None:
    b = world.bologna
    created = at(2025, 3, 25, 9)
    resolved(b, created, 1, due_at=created + timedelta(hours=2))  # early
    resolved(b, created, 4, due_at=created + timedelta(hours=4))  # exactly on time
    resolved(b, created, 10, due_at=created + timedelta(hours=5))  # late
    resolved(b, created, 10)  # no service level: not judged
    ticket(b, created, due_at=at(2025, 4, 1, 9))  # open, overdue now
    ticket(b, created, status=TicketStatus.WAITING, due_at=at(2025, 4, 1, 9))  # overdue
    ticket(b, created, status=TicketStatus.IN_PROGRESS, due_at=at(2025, 4, 20, 9))  # not yet
    resolved(b, created, 200, due_at=at(2025, 4, 1, 9))  # resolved late, not overdue now
    result = figures(world)
    assert result.service_level == Rate(2, 4)
    assert result.overdue_now == 2


def test_tickets_count_by_the_local_day_they_were_created(world: World) -> None:
    b = world.bologna
    ticket(b, at(2025, 3, 23, 22, 59))  # 23:59 on the 23rd in Rome: before the period
    ticket(b, at(2025, 3, 23, 23, 0))  # 00:00 on the 24th: in
    ticket(b, at(2025, 4, 6, 21, 59))  # 23:59 on the 6th (+02:00 by then): in
    ticket(b, at(2025, 4, 6, 22, 0))  # 00:00 on the 7th: after
    ticket(world.copenhagen, at(2025, 3, 25, 9))  # another location
    assert figures(world).tickets == 2
    assert figures(world, locations=[world.bologna, world.copenhagen]).tickets == 3


def test_each_location_is_bounded_by_its_own_time_zone(world: World) -> None:
    moscow = LocationFactory(name="Moscow", timezone="Europe/Moscow", currency="RUB")
    # Moscow is at +03:00 all year, Rome at +01:00 and then +02:00.
    ticket(world.bologna, at(2025, 4, 6, 21, 30))  # 23:30 in Rome: in
    ticket(moscow, at(2025, 4, 6, 21, 30))  # 00:30 on the 7th in Moscow: out
    ticket(moscow, at(2025, 3, 23, 21, 30))  # 00:30 on the 24th in Moscow: in
    ticket(world.bologna, at(2025, 3, 23, 21, 30))  # 22:30 on the 23rd in Rome: out
    assert figures(world, locations=[world.bologna, moscow]).tickets == 2


# --- promises and follow-ups -------------------------------------------------------------------


def promise(location: Location, due: datetime, status: str, **fields: Any) -> Promise:
    return Promise.objects.create(location=location, text="x", due_at=due, status=status, **fields)


def test_promises_kept_among_those_due_and_closed(world: World) -> None:
    b = world.bologna
    promise(b, at(2025, 3, 25, 9), PromiseStatus.KEPT)
    promise(b, at(2025, 3, 26, 9), PromiseStatus.KEPT)
    promise(b, at(2025, 3, 27, 9), PromiseStatus.BROKEN)
    promise(b, at(2025, 3, 28, 9), PromiseStatus.OPEN)  # due before now: overdue
    promise(b, at(2025, 4, 6, 10), PromiseStatus.OPEN)  # due after now: not yet
    promise(b, at(2025, 4, 7, 10), PromiseStatus.BROKEN)  # due after the period
    promise(b, at(2025, 3, 23, 22, 30), PromiseStatus.BROKEN)  # 23:30 on the 23rd
    result = figures(world)
    assert result.promises_kept == Rate(2, 3)
    assert result.promises_overdue == 1


def follow_up(location: Location, due_on: date, done_at: datetime | None, **kw: Any) -> FollowUp:
    source = ticket(location, at(2025, 1, 10, 9))  # created long before the period
    return FollowUp.objects.create(
        ticket=source, location=location, due_on=due_on, done_at=done_at, **kw
    )


def test_follow_ups_are_on_time_until_the_end_of_their_local_day(world: World) -> None:
    b = world.bologna
    follow_up(b, date(2025, 3, 25), at(2025, 3, 24, 9))  # early: on time
    follow_up(b, date(2025, 3, 29), at(2025, 3, 29, 22, 59))  # 23:59 (+01:00): on time
    follow_up(b, date(2025, 3, 29), at(2025, 3, 29, 23, 0))  # 00:00 on the 30th: late
    # The 30th has 23 hours: it ends at 22:00 UTC, not 23:00.
    follow_up(b, date(2025, 3, 30), at(2025, 3, 30, 21, 59))  # 23:59 (+02:00): on time
    follow_up(b, date(2025, 3, 30), at(2025, 3, 30, 22, 30))  # 00:30 on the 31st: late
    follow_up(b, date(2025, 4, 1), None)  # not done
    follow_up(b, date(2025, 4, 7), at(2025, 4, 7, 9))  # due after the period
    follow_up(b, date(2025, 3, 23), None)  # due before it
    result = figures(world)
    assert result.follow_ups_on_time == Rate(3, 6)
    assert result.follow_ups_not_done == 1


def test_a_follow_up_done_long_after_the_period_is_late(world: World) -> None:
    follow_up(world.bologna, date(2025, 4, 6), at(2025, 11, 20, 9))  # after the autumn change
    follow_up(world.bologna, date(2025, 3, 24), at(2024, 12, 1, 9))  # long before: on time
    assert figures(world).follow_ups_on_time == Rate(1, 2)


# --- returns ----------------------------------------------------------------------------------


def a_return(location: Location, created: datetime, reason: str, **fields: Any) -> Return:
    source = ticket(location, created, kind="return", **fields)
    return Return.objects.create(
        ticket=source, reason=reason, remedy="refund", amount=Decimal("5.00"), currency="EUR"
    )


def test_returns_are_counted_by_reason_with_their_share(world: World) -> None:
    b = world.bologna
    for _n in range(3):
        a_return(b, at(2025, 3, 25, 9), "defect")
    a_return(b, at(2025, 3, 26, 9), "pushed")
    a_return(b, at(2025, 3, 10, 9), "pushed")  # a ticket of before the period
    result = figures(world)
    counts = {r.reason: (r.count, r.share, r.pushed) for r in result.returns}
    assert result.returns_total == 4
    assert list(counts) == ["changed_mind", "defect", "wrong_size", "pushed", "other"]
    assert counts["defect"] == (3, 0.75, False)
    assert counts["pushed"] == (1, 0.25, True)
    assert counts["other"] == (0, 0.0, False)


# --- waits ------------------------------------------------------------------------------------


def visit(location: Location, moment: datetime, wait: int | None, **fields: Any) -> Visit:
    return Visit.objects.create(location=location, at=moment, wait_seconds=wait, **fields)


def test_waits_are_grouped_by_local_hour_across_the_spring_change(world: World) -> None:
    b = world.bologna
    # 10:xx in Rome: 09:xx UTC in winter time, 08:xx in summer time.
    visit(b, at(2025, 3, 25, 9, 5), 60)
    visit(b, at(2025, 3, 26, 9, 55), 600)
    visit(b, at(2025, 4, 1, 8, 10), 180)
    visit(b, at(2025, 4, 2, 8, 59), 120)
    visit(b, at(2025, 4, 2, 9, 0), 999)  # 11:00 in summer time
    visit(b, at(2025, 4, 2, 9, 30), None)  # no wait marked
    # The night of the change: 00:30 UTC is 01:30 (+01:00), 02:30 UTC is 04:30 (+02:00).
    visit(b, at(2025, 3, 30, 0, 30), 30)
    visit(b, at(2025, 3, 30, 2, 30), 45)
    waits = {w.hour: w for w in figures(world).waits}
    assert sorted(waits) == [1, 4, 10, 11]
    ten = waits[10]
    # 60, 120, 180, 600: median 150; p90 at rank 2.7: 180 + 0.7 × 420 = 474.
    assert (ten.count, ten.median_seconds, ten.p90_seconds) == (4, 150.0, pytest.approx(474.0))
    assert (waits[11].count, waits[11].median_seconds) == (1, 999.0)
    assert (waits[1].median_seconds, waits[4].median_seconds) == (30.0, 45.0)


def test_waits_of_locations_in_different_zones_share_the_local_hour(world: World) -> None:
    moscow = LocationFactory(name="Moscow", timezone="Europe/Moscow", currency="RUB")
    visit(world.bologna, at(2025, 3, 25, 9, 15), 100)  # 10:15 in Rome
    visit(moscow, at(2025, 3, 25, 7, 15), 300)  # 10:15 in Moscow (+03:00)
    visit(moscow, at(2025, 3, 25, 9, 15), 50)  # 12:15 in Moscow
    waits = {w.hour: w for w in figures(world, locations=[world.bologna, moscow]).waits}
    assert sorted(waits) == [10, 12]
    assert (waits[10].count, waits[10].median_seconds) == (2, 200.0)


def test_the_offsets_of_a_zone_change_at_the_exact_second() -> None:
    segments = utc_offsets("Europe/Rome", at(2025, 3, 24, 0), at(2025, 11, 1, 0))
    assert segments == [(None, 3600), (at(2025, 3, 30, 1), 7200), (at(2025, 10, 26, 1), 3600)]
    assert utc_offsets("Europe/Moscow", at(2025, 1, 1), at(2026, 1, 1)) == [(None, 10800)]


# --- one staff member, nothing at all ------------------------------------------------------


def test_one_staff_members_figures_are_theirs_alone(world: World) -> None:
    b = world.bologna
    staff, manager = world.users["staff"], world.users["manager"]
    created = at(2025, 3, 25, 9)
    resolved(b, created, 2, assignee=staff, first_contact=True, due_at=created + timedelta(3))
    resolved(b, created, 6, assignee=staff)
    resolved(b, created, 9, assignee=manager, due_at=created)
    ticket(b, created, assignee=manager, due_at=at(2025, 4, 1, 9))
    promise(b, at(2025, 3, 26, 9), PromiseStatus.KEPT, owner=staff)
    promise(b, at(2025, 3, 26, 9), PromiseStatus.BROKEN, owner=manager)
    follow_up(b, date(2025, 3, 27), None, owner=staff)
    follow_up(b, date(2025, 3, 27), at(2025, 3, 27, 9), owner=manager)
    a_return(b, created, "defect", assignee=staff)
    a_return(b, created, "pushed", assignee=manager)
    visit(b, at(2025, 3, 25, 9, 5), 60, staff=staff)
    visit(b, at(2025, 3, 25, 9, 6), 90, staff=manager)

    mine = figures(world, staff=staff)
    assert (mine.tickets, mine.first_contact, mine.service_level) == (3, Rate(1, 2), Rate(1, 1))
    assert mine.overdue_now == 0
    assert [(r.kind, r.median_hours) for r in mine.resolve_times] == [("complaint", 4.0)]
    assert (mine.promises_kept, mine.follow_ups_on_time) == (Rate(1, 1), Rate(0, 1))
    assert mine.returns_total == 1
    assert [(w.hour, w.median_seconds) for w in mine.waits] == [(10, 60.0)]

    everyone = figures(world)
    assert (everyone.tickets, everyone.first_contact, everyone.overdue_now) == (6, Rate(1, 3), 1)
    assert everyone.waits[0].median_seconds == 75.0


def test_an_empty_period_has_no_figures(world: World) -> None:
    resolved(world.bologna, at(2025, 5, 2, 9), 1, first_contact=True)
    result = figures(world)
    assert result.tickets == 0
    for rate in (
        result.first_contact,
        result.service_level,
        result.promises_kept,
        result.follow_ups_on_time,
    ):
        assert (rate.total, rate.share) == (0, None)
    assert (result.resolve_times, result.waits, result.returns_total) == ((), (), 0)
    assert all(r.share is None for r in result.returns)
    assert figures(world, locations=[]).tickets == 0


def test_the_end_may_not_come_before_the_start(world: World) -> None:
    with pytest.raises(ValueError, match="before start"):
        figures(world, start=END, end=START)


def test_percentiles_handle_repeated_values_and_the_extremes(world: World) -> None:
    b, c = world.bologna, world.copenhagen
    for wait in (60, 600, 60, 60):
        visit(b, at(2025, 3, 25, 9), wait)
    visit(c, at(2025, 3, 25, 9), 7)
    rows = Visit.objects.annotate(grp=F("location_id"), val=F("wait_seconds"))
    fractions = [Fraction(0), Fraction(1, 2), Fraction(9, 10), Fraction(1)]
    got = percentiles(rows, fractions)
    # 60, 60, 60, 600: ranks 1 and 2 are both 60; p90 at rank 2.7: 60 + 0.7 × 540.
    assert got[b.pk] == (4, (60.0, 60.0, pytest.approx(438.0), 600.0))
    assert got[c.pk] == (1, (7.0, 7.0, 7.0, 7.0))


def test_percentiles_need_fractions_between_zero_and_one(world: World) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentiles(
            Visit.objects.annotate(grp=F("location_id"), val=F("wait_seconds")), [Fraction(3, 2)]
        )


def test_the_figures_take_a_fixed_number_of_queries(
    world: World, django_assert_num_queries: Any
) -> None:
    moscow = LocationFactory(name="Moscow", timezone="Europe/Moscow", currency="RUB")
    for day in range(3):
        resolved(world.bologna, at(2025, 3, 25 + day, 9), 1 + day)
        visit(moscow, at(2025, 3, 25 + day, 9), 60 * day)
    with django_assert_num_queries(6):
        figures(world, locations=[world.bologna, moscow], staff=world.users["staff"])
    with django_assert_num_queries(6):
        figures(world, locations=[world.bologna, moscow])


# --- the page -------------------------------------------------------------------------------


def card(html: str, key: str) -> str:
    """The headline card of one figure."""
    found = re.search(rf'data-figure="{key}".*?</article>', html, re.DOTALL)
    assert found is not None, key
    return found.group(0)


@pytest.fixture
def data(world: World) -> None:
    b = world.bologna
    today = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    resolved(b, today, 2, first_contact=True, due_at=today + timedelta(hours=4))
    resolved(b, today, 5, kind="request", due_at=today + timedelta(hours=4))
    resolved(b, today, 3, kind="request")
    a_return(b, today, "pushed")
    promise(b, today, PromiseStatus.KEPT)
    visit(b, today, 240)


def test_managers_see_the_figures_of_their_locations(world: World, data: None) -> None:
    response = world.client("manager").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "33.3%" in card(html, "first_contact")
    assert "n = 3" in card(html, "first_contact")
    assert "50%" in card(html, "service_level")
    assert "0 open tickets overdue now" in card(html, "service_level")
    assert "No data" in card(html, "follow_ups")
    assert html.count('class="chart-figure"') == 4
    assert "data-flagged" in html  # the pushed sale
    assert reverse("figures:page") == URL


def test_the_page_speaks_the_users_language(world: World, data: None) -> None:
    ProfileFactory(user=world.users["manager"], language="da")
    client = world.client("manager")
    assert "33,3\xa0%" in client.get(URL).content.decode()
    assert "Indtast en gyldig dato." in client.get(URL, {"end": "31/02"}).content.decode()


def test_staff_may_not_see_the_figures(world: World) -> None:
    assert world.client("owner").get(URL).status_code == 200
    assert world.client("staff").get(URL).status_code == 403
    assert world.client("outsider").get(URL).status_code == 403
    anonymous = world.client("anonymous").get(URL)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]


def test_the_owner_can_pick_one_location_and_one_person(world: World, data: None) -> None:
    client = world.client("owner")
    html = client.get(URL, {"location": world.copenhagen.pk}).content.decode()
    assert "No data" in card(html, "first_contact")
    assert "n = 0" in card(html, "first_contact")
    staff = world.users["staff"]
    html = client.get(URL, {"staff": staff.pk}).content.decode()
    assert "n = 0" in card(html, "first_contact")


def test_a_manager_cannot_pick_a_location_of_someone_else(world: World) -> None:
    response = world.client("manager").get(URL, {"location": world.copenhagen.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-04-06", "end": "2025-03-24"}, "The end date is before the start date."),
        ({"start": "2020-01-01", "end": "2025-03-24"}, "Choose a period of at most three years."),
        ({"start": "yesterday"}, "Enter a valid date."),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(
    world: World, query: dict[str, str], message: str
) -> None:
    response = world.client("manager").get(URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'data-figure="first_contact"' not in html


def test_three_years_exactly_is_allowed(world: World) -> None:
    client = world.client("manager")
    # 25 March 2022 to 24 March 2025: 1,096 days, 29 February 2024 included.
    allowed = client.get(URL, {"start": "2022-03-25", "end": "2025-03-24"}).content.decode()
    assert 'data-figure="first_contact"' in allowed
    one_more = client.get(URL, {"start": "2022-03-24", "end": "2025-03-24"}).content.decode()
    assert "Choose a period of at most three years." in one_more


def test_the_page_takes_a_bounded_number_of_queries(
    world: World, data: None, django_assert_max_num_queries: Any
) -> None:
    client = world.client("owner")
    client.get(URL)  # warm up: sessions, content types
    with django_assert_max_num_queries(13):
        client.get(URL, {"staff": world.users["staff"].pk})


def test_a_manager_somewhere_and_staff_elsewhere_sees_only_their_managed_location(
    world: World, data: None
) -> None:
    mixed = UserFactory(username="mixed")
    MembershipFactory(user=mixed, location=world.bologna, role="manager")
    MembershipFactory(user=mixed, location=world.copenhagen, role="staff")
    client = world.client("owner")
    client.force_login(mixed)
    html = client.get(URL).content.decode()
    assert "Bologna" in html
    assert "Copenhagen" not in html
