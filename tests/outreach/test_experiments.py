"""The experiment report of a play: counts and rates against hand counts, the window
and maturity boundaries in the location's zone, the currency, and the pages' access.

The play below (Bologna, Europe/Rome) keeps a 20 % holdout and has two arms. Day D is
1 March 2026; "now" is 15 June 2026, so D + 60 (30 April) is well over; 1 May + 60
(30 June) is not. Hand counts, mature customers only:

- holdout h1..h4: h1 came back (€20); h2 only on D itself and before D; h3 on D + 61;
  h4 never. 1 of 4, spend 20 / 4 = €5.
- arm A a1..a5: a1 on D + 60 at 23:30 (€10), a3 twice (€15 and 5 DKK), a4 at 00:05 on
  D + 1 (no amount); a2 at 00:10 on D + 61 (22:10 UTC on D + 60: outside); a5 never.
  3 of 5, spend 25 / 5 = €5. a1 has a second message in May (one customer, two
  messages). Sent: a1 (twice), a2, a4; a3 failed, a5 queued.
- arm B b1..b4 on D (b1 €30, b2 no amount; b3, b4 never) and b5 on 1 May (pending).
  2 of 4, spend 30 / 4 = €7.5. Vouchers: b1 redeemed, b2 not.
- a held message (policy) of a customer who came back counts nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from regulars.accounts.models import Location
from regulars.analytics.uplift import Verdict, rate, rate_difference
from regulars.core.localtime import local_today
from regulars.core.permissions import POLICY, Capability, Role
from regulars.customers.models import Customer
from regulars.outreach.experiments import HOLDOUT, experiment_plays, play_report
from regulars.outreach.models import (
    Arm,
    ArmChannel,
    Message,
    MessageStatus,
    Play,
    PlayKind,
    Voucher,
    VoucherKind,
)
from regulars.service.models import Visit
from tests.conftest import World
from tests.factories import CustomerFactory

ROME = ZoneInfo("Europe/Rome")
D = date(2026, 3, 1)
LATER = date(2026, 5, 1)
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)

_keys = iter(range(1_000_000))


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = ROME) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def make_play(location: Location | None, *, holdout: int = 20, arms: str = "AB") -> Play:
    play = Play.objects.create(
        name="Win them back", kind=PlayKind.WIN_BACK, location=location, holdout_percent=holdout
    )
    for label in arms:
        Arm.objects.create(
            play=play,
            label=label,
            channel=ArmChannel.CARD if label == "A" else ArmChannel.EMAIL,
            voucher_kind=VoucherKind.PERCENT if label == "B" else VoucherKind.NONE,
            voucher_value=Decimal(10) if label == "B" else None,
        )
    return play


def message(
    play: Play,
    customer: Customer,
    *,
    arm: str | None,
    day: date = D,
    status: str = MessageStatus.SENT,
    location: Location | None = None,
) -> Message:
    arm_row = play.arms.get(label=arm) if arm else None
    return Message.objects.create(
        key=f"test:{next(_keys)}",
        play=play,
        arm=arm_row,
        customer=customer,
        location=location or play.location,
        day=day,
        status=MessageStatus.HOLDOUT if arm is None and status == MessageStatus.SENT else status,
        sent_at=timezone.now() if status == MessageStatus.SENT and arm else None,
    )


def visit(
    customer: Customer,
    when: datetime,
    location: Location,
    amount: str | None = None,
    currency: str = "EUR",
) -> Visit:
    return Visit.objects.create(
        customer=customer,
        location=location,
        at=when,
        amount=Decimal(amount) if amount is not None else None,
        currency=currency if amount is not None else "",
    )


@dataclass
class Scene:
    play: Play
    people: dict[str, Customer]


@pytest.fixture
def scene(world: World) -> Scene:
    bologna, copenhagen = world.bologna, world.copenhagen
    play = make_play(bologna)
    names = [
        "h1",
        "h2",
        "h3",
        "h4",
        "a1",
        "a2",
        "a3",
        "a4",
        "a5",
        "b1",
        "b2",
        "b3",
        "b4",
        "b5",
        "held",
    ]
    p = {name: CustomerFactory(home_location=bologna) for name in names}
    for name in ("h1", "h2", "h3", "h4"):
        message(play, p[name], arm=None)
    for name, status in [
        ("a1", MessageStatus.SENT),
        ("a2", MessageStatus.SENT),
        ("a3", MessageStatus.FAILED),
        ("a4", MessageStatus.SENT),
        ("a5", MessageStatus.QUEUED),
    ]:
        message(play, p[name], arm="A", status=status)
    message(play, p["a1"], arm="A", day=LATER)  # the same customer again
    for name in ("b1", "b2", "b3", "b4"):
        message(play, p[name], arm="B")
    message(play, p["b5"], arm="B", day=LATER)
    message(play, p["held"], arm="A", status=MessageStatus.HELD)

    visit(p["h1"], at(D + timedelta(days=10), 11), bologna, "20.00")
    visit(p["h2"], at(D, 18), bologna, "50.00")  # the message's own day
    visit(p["h2"], at(D - timedelta(days=5), 9), bologna, "40.00")  # before it
    visit(p["h3"], at(D + timedelta(days=61), 9), bologna, "12.00")  # after the window
    visit(p["a1"], at(D + timedelta(days=60), 23, 30), bologna, "10.00")
    visit(p["a2"], at(D + timedelta(days=61), 0, 10), bologna, "99.00")
    visit(p["a3"], at(D + timedelta(days=3), 12), bologna, "15.00")
    visit(p["a3"], at(D + timedelta(days=20), 12), copenhagen, "5.00", "DKK")
    visit(p["a4"], at(D + timedelta(days=1), 0, 5), bologna)
    visit(p["b1"], at(D + timedelta(days=30), 12), bologna, "30.00")
    visit(p["b2"], at(D + timedelta(days=2), 12), bologna)
    visit(p["b5"], at(LATER + timedelta(days=3), 12), bologna, "70.00")
    visit(p["held"], at(D + timedelta(days=4), 12), bologna, "25.00")

    b1 = Message.objects.get(play=play, customer=p["b1"])
    b2 = Message.objects.get(play=play, customer=p["b2"])
    for msg, redeemed in ((b1, True), (b2, False)):
        Voucher.objects.create(
            code=f"CODE{msg.pk:04d}",
            customer=msg.customer,
            message=msg,
            play=play,
            kind=VoucherKind.PERCENT,
            value=Decimal(10),
            expires_on=D + timedelta(days=30),
            redeemed_at=at(D + timedelta(days=30), 12) if redeemed else None,
        )
    return Scene(play=play, people=p)


# --- the report's figures ----------------------------------------------------------------------


def test_each_group_counts_its_customers_messages_and_returns_by_hand(scene: Scene) -> None:
    report = play_report(scene.play, now=NOW)
    groups = {g.key: g for g in report.groups}
    assert list(groups) == [HOLDOUT, "A", "B"]
    counted = {
        key: (g.customers, g.messages, g.sent, g.mature, g.returned) for key, g in groups.items()
    }
    assert counted == {
        HOLDOUT: (4, 4, 0, 4, 1),
        "A": (5, 6, 4, 5, 3),
        "B": (5, 5, 5, 4, 2),
    }
    assert report.reference == HOLDOUT
    assert (report.customers, report.mature, report.pending) == (14, 13, 1)
    assert (report.first_day, report.last_day) == (D, LATER)
    assert report.today == date(2026, 6, 15)


def test_the_rates_and_uplift_are_those_of_the_hand_counts(scene: Scene) -> None:
    groups = {g.key: g for g in play_report(scene.play, now=NOW).groups}
    assert groups[HOLDOUT].rate == rate(1, 4)
    assert groups["A"].rate == rate(3, 5)
    assert groups["A"].versus is not None
    assert groups["A"].versus.rate == rate_difference(rate(3, 5), rate(1, 4))
    assert groups["B"].versus is not None
    assert groups["B"].versus.rate.difference == pytest.approx(0.5 - 0.25)
    assert groups[HOLDOUT].versus is None
    # Four and five customers decide nothing.
    assert groups["A"].versus.decision.verdict == Verdict.NOT_ENOUGH_DATA


def test_spend_is_per_customer_in_euros_with_zeros_and_other_currencies_left_out(
    scene: Scene,
) -> None:
    report = play_report(scene.play, now=NOW)
    groups = {g.key: g for g in report.groups}
    assert report.currency == "EUR"
    spends = {key: (g.spend_total, g.spend.mean if g.spend else None) for key, g in groups.items()}
    assert spends == {
        HOLDOUT: (Decimal("20.00"), pytest.approx(5.0)),
        "A": (Decimal("25.00"), pytest.approx(5.0)),
        "B": (Decimal("30.00"), pytest.approx(7.5)),
    }
    assert report.other_currency_visits == 1
    a = groups["A"].versus
    assert a is not None
    assert a.spend is not None
    assert a.spend.difference == pytest.approx(0.0)


def test_vouchers_are_counted_for_the_arm_that_gave_them(scene: Scene) -> None:
    groups = {g.key: g for g in play_report(scene.play, now=NOW).groups}
    assert (groups["B"].vouchers_issued, groups["B"].vouchers_redeemed) == (2, 1)
    assert (groups["A"].vouchers_issued, groups["A"].vouchers_redeemed) == (0, 0)


def test_a_customer_counts_only_once_their_sixty_days_are_over(world: World) -> None:
    play = make_play(world.bologna)
    customer = CustomerFactory()
    message(play, customer, arm="A")
    visit(customer, at(D + timedelta(days=60), 9), world.bologna, "8.00")
    # The window's last day (D + 60 = 30 April) is today in Rome: not over yet.
    on_the_last_day = at(D + timedelta(days=60), 23, 0)
    report = play_report(play, now=on_the_last_day)
    assert [(g.key, g.customers, g.mature) for g in report.groups][1] == ("A", 1, 0)
    assert report.pending == 1
    # One minute after midnight in Rome (still 30 April in UTC) it is over.
    next_day = at(D + timedelta(days=61), 0, 1)
    assert next_day.date() == D + timedelta(days=60)  # UTC
    report = play_report(play, now=next_day)
    arm = report.groups[1]
    assert (arm.mature, arm.returned) == (1, 1)
    assert report.pending == 0


def test_a_shorter_window_counts_fewer_returns(scene: Scene) -> None:
    groups = {g.key: g for g in play_report(scene.play, now=NOW, window_days=5).groups}
    # With 5-day windows the May messages are over too, and b5 counts. Within 5 days:
    # a3 (D + 3) and a4 (D + 1) in A; b2 (D + 2) and b5 (1 May + 3) in B; nobody in the
    # holdout (h1 came on D + 10).
    assert (groups[HOLDOUT].returned, groups["A"].returned, groups["B"].returned) == (0, 2, 2)
    assert groups["B"].mature == 5


def test_messages_of_an_arm_deleted_since_count_nowhere(world: World) -> None:
    play = make_play(world.bologna)
    kept, dropped = CustomerFactory(), CustomerFactory()
    message(play, kept, arm="A")
    message(play, dropped, arm="B")
    play.arms.get(label="B").delete()  # its messages keep arm = NULL
    report = play_report(play, now=NOW)
    assert [(g.key, g.customers) for g in report.groups] == [(HOLDOUT, 0), ("A", 1)]


def test_a_play_split_without_a_holdout_compares_with_its_first_arm(world: World) -> None:
    play = make_play(world.bologna, holdout=0, arms="AB")
    first, second = CustomerFactory(), CustomerFactory()
    message(play, first, arm="A")
    message(play, second, arm="B")
    visit(second, at(D + timedelta(days=1), 12), world.bologna)
    report = play_report(play, now=NOW)
    assert report.reference == "A"
    assert [g.key for g in report.groups] == ["A", "B"]
    b = report.groups[1]
    assert b.versus is not None
    assert b.versus.rate.difference == pytest.approx(1.0)


def test_a_play_of_every_location_counts_spend_in_the_currency_most_reached(
    world: World,
) -> None:
    play = make_play(None)
    danes = [CustomerFactory() for _ in range(2)]
    italian = CustomerFactory()
    for dane in danes:
        message(play, dane, arm="A", location=world.copenhagen)
    message(play, italian, arm=None, location=world.bologna)
    cph = ZoneInfo("Europe/Copenhagen")
    visit(danes[0], at(D + timedelta(days=2), 12, tz=cph), world.copenhagen, "100.00", "DKK")
    visit(italian, at(D + timedelta(days=2), 12), world.bologna, "9.00", "EUR")
    report = play_report(play, now=NOW)
    groups = {g.key: g for g in report.groups}
    assert report.currency == "DKK"
    assert groups["A"].spend_total == Decimal("100.00")
    assert groups[HOLDOUT].spend_total == Decimal("0.00")
    assert groups[HOLDOUT].returned == 1
    assert report.other_currency_visits == 1


def test_a_play_nobody_was_reached_by_reports_empty_groups(world: World) -> None:
    report = play_report(make_play(world.bologna), now=NOW)
    assert [(g.key, g.customers, g.mature, g.rate.rate) for g in report.groups] == [
        (HOLDOUT, 0, 0, None),
        ("A", 0, 0, None),
        ("B", 0, 0, None),
    ]
    assert report.first_day is None
    assert report.too_early is True


def test_the_report_reads_a_fixed_number_of_queries_however_many_customers(
    world: World, django_assert_max_num_queries: Any
) -> None:
    play = make_play(world.bologna)
    for i in range(40):
        customer = CustomerFactory()
        message(play, customer, arm=(None, "A", "B")[i % 3])
        visit(customer, at(D + timedelta(days=1 + i % 50), 12), world.bologna, "3.00")
    with django_assert_max_num_queries(6):
        report = play_report(play, now=NOW)
    assert report.mature == 40
    assert sum(g.returned for g in report.groups) == 40


def test_the_list_holds_plays_with_a_holdout_or_several_arms_only(world: World) -> None:
    with_holdout = make_play(world.bologna, holdout=10, arms="A")
    split = make_play(world.bologna, holdout=0, arms="AB")
    plain = make_play(world.bologna, holdout=0, arms="A")
    elsewhere = make_play(world.copenhagen, holdout=10, arms="A")
    seen = set(experiment_plays(world.users["manager"]))
    assert seen == {with_holdout, split}
    assert plain not in seen
    assert elsewhere in set(experiment_plays(world.users["owner"]))


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def recent(world: World) -> Play:
    """A play whose customers are reached 100 days before today: all mature."""
    today = local_today("Europe/Rome")
    day = today - timedelta(days=100)
    play = make_play(world.bologna)
    for i in range(6):
        customer = CustomerFactory()
        message(play, customer, arm=(None, "A", "B")[i % 3], day=day)
        if i % 2:
            visit(customer, at(day + timedelta(days=5), 12), world.bologna, "12.50")
    return play


def page(world: World, persona: str, play: Play) -> Any:
    return world.client(persona).get(f"/outreach/experiments/{play.public_id}/")


def test_a_manager_reads_the_figures_and_the_verdict(world: World, recent: Play) -> None:
    response = page(world, "manager", recent)
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr data-group="A".*?</tr>', html, re.DOTALL)
    assert row is not None
    assert re.search(r"data-customers>2<", row.group(0))
    assert re.search(r"data-mature>2<", row.group(0))
    assert re.search(r"data-returned>1<", row.group(0))
    assert re.search(r"data-rate>50%<", row.group(0))
    assert "data-spend>€6.25<" in row.group(0)  # 12.50 / 2
    assert 'data-verdict-kind="not_enough_data"' in html
    assert "Not enough data yet" in html
    assert "Too early to judge" in html
    assert "picked at random and sent nothing" in html


def test_money_is_hidden_from_those_who_may_not_see_it(
    world: World, recent: Play, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(POLICY, Capability.VIEW_MONEY, Role.OWNER)
    html = page(world, "manager", recent).content.decode()
    assert "data-rate>" in html
    assert "data-spend" not in html
    assert "€" not in html
    assert "data-spend>€" in page(world, "owner", recent).content.decode()


@pytest.mark.parametrize(("persona", "status"), [("staff", 403), ("outsider", 403)])
def test_only_managers_see_experiments(
    world: World, recent: Play, persona: str, status: int
) -> None:
    assert page(world, persona, recent).status_code == status
    assert world.client(persona).get("/outreach/experiments/").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(world: World, recent: Play) -> None:
    for url in (f"/outreach/experiments/{recent.public_id}/", "/outreach/experiments/"):
        response = world.client("anonymous").get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_play_of_a_location_one_does_not_manage_is_not_found(world: World) -> None:
    play = make_play(world.copenhagen)
    assert page(world, "manager", play).status_code == 404
    assert page(world, "owner", play).status_code == 200


def test_the_list_shows_each_experiment_with_its_headline(world: World, recent: Play) -> None:
    make_play(world.bologna, holdout=0, arms="A")
    response = world.client("manager").get("/outreach/experiments/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<tr data-play="') == 1
    assert f'data-play="{recent.public_id}"' in html
    assert re.search(r'data-arm="A" data-verdict-kind="not_enough_data"', html)
    assert "€" not in html


def test_a_clear_result_is_said_in_words(world: World) -> None:
    today = local_today("Europe/Rome")
    day = today - timedelta(days=90)
    play = make_play(world.bologna, holdout=50, arms="A")
    for i in range(80):
        customer = CustomerFactory()
        in_arm = i % 2 == 0
        message(play, customer, arm="A" if in_arm else None, day=day)
        if in_arm or i % 20 == 1:  # every arm customer came back, 4 of 40 in the holdout
            visit(customer, at(day + timedelta(days=7), 12), world.bologna, "10.00")
    html = page(world, "manager", play).content.decode()
    assert 'data-verdict-kind="better"' in html
    assert "Arm A brings more customers back within 60 days than the holdout" in html
    assert "+90 percentage points" in html  # 100 % against 10 %
    assert re.search(r'<tr data-group="holdout".*?data-rate>10%<', html, re.DOTALL)
    assert "Too early to judge" not in html
