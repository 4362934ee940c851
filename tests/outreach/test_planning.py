"""Planning a business day: audiences, one message a day by priority, quiet hours in
the customer's zone, gifts, holdout and arms, and a plan that never doubles, even
after a failure half-way."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from regulars.accounts.models import Location
from regulars.customers.models import Consent, Customer
from regulars.loyalty.models import Stage
from regulars.outreach import planning
from regulars.outreach.models import Message, PlanRun, Play, PlayKind
from regulars.service.models import Visit
from tests.conftest import World
from tests.factories import LocationFactory
from tests.outreach._planning_helpers import (
    DAY,
    NOW,
    birthday_today,
    complaint,
    detractor,
    make_play,
    person,
    sent_before,
    stages,
    surveyed,
)

pytestmark = pytest.mark.django_db
TOMORROW = DAY + timedelta(days=1)


def _plan(day: Any = DAY, now: datetime = NOW) -> PlanRun:
    run = planning.plan_day(day, now=now)
    assert run.error == ""
    return run


def _messages(**filters: Any) -> list[Message]:
    return list(Message.objects.filter(**filters).select_related("play", "arm").order_by("key"))


def _spell(customer: Customer, stage: int, days: int = 20) -> tuple[int, datetime]:
    return stage, NOW - timedelta(days=days)


# --- What is planned ---------------------------------------------------------------------------


def test_a_birthday_greeting_is_planned_with_its_key_and_send_time(world: World) -> None:
    customer = birthday_today(person(world.bologna, language="ru"))
    play = make_play(PlayKind.OCCASION, occasion="birthday", send_hour=11)
    run = _plan()
    (message,) = _messages()
    assert message.key == f"o:{play.public_id}:{customer.pk}:birthday:0:2026-03-02"
    assert (message.status, message.channel, message.language) == ("queued", "email", "ru")
    assert (message.occasion, message.occasion_on, message.day) == ("birthday", DAY, DAY)
    assert message.send_after == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 11:00 in Bologna
    assert message.arm is not None
    assert message.arm.label == "A"
    assert run.counts["queued"] == 1


def test_an_occasion_days_ahead_is_planned_lead_days_before(world: World) -> None:
    customer = person(world.bologna)
    birthday_today(customer, DAY + timedelta(days=3))
    make_play(PlayKind.OCCASION, occasion="birthday", lead_days=3)
    _plan()
    (message,) = _messages()
    assert (message.day, message.occasion_on) == (DAY, DAY + timedelta(days=3))


def test_welcome_goes_the_chosen_number_of_days_after_the_first_visit(world: World) -> None:
    first = datetime(2026, 2, 27, 23, 30, tzinfo=UTC)  # 28 February 00:30 in Bologna
    new = person(world.bologna, first_visit_at=first, visit_count=1)
    person(world.bologna, first_visit_at=first - timedelta(hours=1), visit_count=1)  # 27th
    make_play(PlayKind.WELCOME, params={"after_days": 2})
    _plan()
    assert [m.customer_id for m in _messages()] == [new.pk]


def test_thank_you_follows_a_milestone_crossed_since_yesterday(world: World) -> None:
    crossed = person(world.bologna, visit_count=10, last_visit_at=NOW - timedelta(hours=20))
    Visit.objects.create(customer=crossed, location=world.bologna, at=NOW - timedelta(hours=20))
    earlier = person(world.bologna, visit_count=11, last_visit_at=NOW - timedelta(hours=20))
    Visit.objects.create(customer=earlier, location=world.bologna, at=NOW - timedelta(hours=20))
    play = make_play(PlayKind.THANK_YOU, params={"milestones": [10, 25]})
    _plan()
    assert [m.key for m in _messages()] == [f"t:{play.public_id}:{crossed.pk}:10"]


def test_check_in_and_win_back_speak_to_their_stage_once_per_spell(world: World) -> None:
    at_risk, lapsed, regular = (person(world.bologna) for _ in range(3))
    stages({at_risk: _spell(at_risk, Stage.AT_RISK), lapsed: _spell(lapsed, Stage.LAPSED)})
    stages({regular: _spell(regular, Stage.REGULAR)}, as_of=NOW - timedelta(days=1))
    make_play(PlayKind.CHECK_IN)
    make_play(PlayKind.WIN_BACK)
    _plan()
    assert sorted((m.play.kind, m.customer_id) for m in _messages()) == [
        ("checkin", at_risk.pk),
        ("winback", lapsed.pk),
    ]
    _plan(TOMORROW, NOW + timedelta(days=1))  # the same spells: nothing new
    assert Message.objects.count() == 2
    stages({lapsed: _spell(lapsed, Stage.LAPSED, days=0)}, as_of=NOW + timedelta(days=40))
    _plan(DAY + timedelta(days=40), NOW + timedelta(days=40))  # a new spell
    assert Message.objects.filter(customer=lapsed).count() == 2


def test_a_play_for_one_location_speaks_to_its_customers_only(world: World) -> None:
    here = birthday_today(person(world.copenhagen))
    birthday_today(person(world.bologna))
    birthday_today(person(None))
    make_play(PlayKind.OCCASION, occasion="birthday", location=world.copenhagen)
    _plan()
    assert [m.customer_id for m in _messages()] == [here.pk]


def test_only_approved_plays_are_planned(world: World) -> None:
    birthday_today(person(world.bologna))
    make_play(PlayKind.OCCASION, occasion="birthday", status="draft")
    make_play(PlayKind.OCCASION, occasion="birthday", status="paused")
    assert _plan().counts["queued"] == 0
    assert not Message.objects.exists()


# --- The policy, through the plan ---------------------------------------------------------------


def test_held_messages_are_written_with_their_reason(world: World) -> None:
    withdrawn = birthday_today(person(world.bologna))
    Consent.objects.create(
        customer=withdrawn, channel="email", granted=False, at=NOW, method="unsubscribe link"
    )
    bounced = birthday_today(person(world.bologna, email="old@example.com"))
    bounced.bounces.create(channel="email", address="old@example.com")
    make_play(PlayKind.OCCASION, occasion="birthday")
    run = _plan()
    held = {m.customer_id: (m.status, m.reason, m.reason_params) for m in _messages()}
    assert held == {
        withdrawn.pk: ("held", "consent", {"channel": "email"}),
        bounced.pk: ("held", "bounced", {"channel": "email"}),
    }
    assert run.counts["held"] == {"consent": 1, "bounced": 1}


def test_one_message_a_day_the_birthday_before_the_win_back(world: World) -> None:
    customer = birthday_today(person(world.bologna))
    stages({customer: _spell(customer, Stage.LAPSED)})
    birthday = make_play(PlayKind.OCCASION, occasion="birthday", name="Happy birthday")
    make_play(PlayKind.WIN_BACK, name="We miss you")
    run = _plan()
    by_play = {m.play.name: m for m in _messages()}
    assert by_play["Happy birthday"].status == "queued"
    assert (by_play["We miss you"].status, by_play["We miss you"].reason) == (
        "held",
        "another_first",
    )
    assert by_play["We miss you"].reason_params == {"play": birthday.name}
    assert run.counts["held"] == {"another_first": 1}


def test_the_recovery_goes_first_and_despite_an_open_complaint(world: World) -> None:
    customer = birthday_today(person(world.bologna))
    complaint(customer)
    stages({customer: _spell(customer, Stage.DISSATISFIED, days=2)})
    make_play(PlayKind.OCCASION, occasion="birthday")
    recovery = make_play(PlayKind.RECOVERY)
    _plan()
    by_kind = {m.play.kind: m for m in _messages()}
    assert by_kind["recovery"].status == "queued"
    assert by_kind["recovery"].play == recovery
    assert (by_kind["occasion"].status, by_kind["occasion"].reason) == ("held", "complaint")


def test_the_recovery_play_follows_an_open_recovery(world: World) -> None:
    customer = person(world.bologna)
    opened = detractor(customer)
    play = make_play(PlayKind.RECOVERY)
    _plan()
    (message,) = _messages()
    assert (message.key, message.status) == (
        f"r:{play.public_id}:{customer.pk}:r{opened.pk}",
        "queued",
    )


def test_priority_orders_recovery_occasions_thank_you_welcome_check_in_win_back() -> None:
    order = [
        Play(kind=PlayKind.RECOVERY),
        Play(kind=PlayKind.OCCASION, occasion="birthday"),
        Play(kind=PlayKind.OCCASION, occasion="name_day"),
        Play(kind=PlayKind.OCCASION, occasion="household_birthday"),
        Play(kind=PlayKind.OCCASION, occasion="pet_birthday"),
        Play(kind=PlayKind.OCCASION, occasion="custom"),
        Play(kind=PlayKind.OCCASION, occasion="first_visit"),
        Play(kind=PlayKind.THANK_YOU),
        Play(kind=PlayKind.WELCOME),
        Play(kind=PlayKind.CHECK_IN),
        Play(kind=PlayKind.WIN_BACK),
    ]
    ranks = [planning.priority(p) for p in order]
    assert ranks == sorted(set(ranks))


def test_a_spell_message_held_one_day_goes_once_the_policy_allows(world: World) -> None:
    customer = person(world.bologna)
    stages({customer: _spell(customer, Stage.LAPSED)})
    play = make_play(PlayKind.WIN_BACK)
    surveyed(customer, NOW - timedelta(hours=1))  # touched this morning
    _plan()
    (held,) = _messages()
    assert (held.status, held.reason) == ("held", "today")
    _plan(TOMORROW, NOW + timedelta(days=1))
    (sent,) = _messages()
    assert (sent.pk, sent.key, sent.public_id) == (held.pk, held.key, held.public_id)
    assert (sent.status, sent.reason, sent.day) == ("queued", "", TOMORROW)
    assert sent.send_after is not None
    assert sent.arm == play.arms.get()


def test_budget_already_used_holds_the_plan(world: World) -> None:
    customer = birthday_today(person(world.bologna))
    sent_before(customer, 2)
    sent_before(customer, 12)
    make_play(PlayKind.OCCASION, occasion="birthday")
    _plan()
    (message,) = _messages(play__kind="occasion")
    assert (message.reason, message.reason_params) == ("budget", {"count": 2, "limit": 2})


# --- Quiet hours in the customer's zone ------------------------------------------------------


def test_quiet_hours_across_midnight_are_kept_in_each_customer_s_zone(world: World) -> None:
    new_york = LocationFactory(
        name="New York", country="US", timezone="America/New_York", currency="USD"
    )
    rome = birthday_today(person(world.bologna))
    copenhagen = birthday_today(person(world.copenhagen))
    far = birthday_today(person(new_york))
    nowhere = birthday_today(person(None))
    make_play(PlayKind.OCCASION, occasion="birthday", send_hour=22)  # in quiet hours
    _plan()
    sends = {m.customer_id: m.send_after for m in _messages()}
    assert sends == {
        rome.pk: datetime(2026, 3, 2, 8, 0, tzinfo=UTC),  # 09:00 in Rome, when they end
        copenhagen.pk: datetime(2026, 3, 2, 8, 0, tzinfo=UTC),  # 09:00 in Copenhagen too
        far.pk: datetime(2026, 3, 2, 14, 0, tzinfo=UTC),  # 09:00 in New York
        nowhere.pk: datetime(2026, 3, 2, 8, 0, tzinfo=UTC),  # the first location's zone
    }


# --- Gifts ---------------------------------------------------------------------------------------


def test_gift_preferences_strip_vouchers_and_turn_a_card_into_words(world: World) -> None:
    welcome = birthday_today(person(world.bologna, channels=("email", "card")))
    no_gifts = birthday_today(person(world.bologna, channels=("email", "card"), gifts="no_gifts"))
    words = birthday_today(person(world.bologna, channels=("email",), gifts="words"))
    make_play(
        PlayKind.OCCASION,
        occasion="birthday",
        arms=[{"channel": "card", "voucher_kind": "percent", "voucher_value": 10}],
    )
    _plan()
    got = {m.customer_id: (m.status, m.channel, m.with_voucher) for m in _messages()}
    assert got == {
        welcome.pk: ("queued", "card", True),
        no_gifts.pk: ("queued", "card", False),
        words.pk: ("queued", "email", False),
    }


# --- Holdout and arms ----------------------------------------------------------------------------


def _crowd(location: Location, n: int) -> list[int]:
    """``n`` customers who first came two days ago, reachable by e-mail."""
    first = NOW - timedelta(days=2)
    people = Customer.objects.bulk_create(
        Customer(
            given_name=f"Guest {i}",
            email=f"guest{i}@example.com",
            home_location=location,
            first_visit_at=first,
            visit_count=1,
        )
        for i in range(n)
    )
    Consent.objects.bulk_create(
        Consent(customer=c, channel="email", granted=True, at=first, method="form") for c in people
    )
    return [c.pk for c in people]


def _within(count: int, n: int, p: float) -> bool:
    """``count`` successes of ``n`` within four standard deviations of ``n p``."""
    return abs(count - n * p) <= 4 * math.sqrt(n * p * (1 - p))


def test_holdout_and_arms_are_drawn_deterministically_and_in_proportion(world: World) -> None:
    ids = _crowd(world.bologna, 2_000)
    play = make_play(
        PlayKind.WELCOME,
        holdout_percent=20,
        arms=[{"weight": 3}, {"weight": 1, "voucher_kind": "item", "voucher_text": "a coffee"}],
    )
    preview = planning.preview_play(play, DAY)
    run = _plan()
    rows = _messages()
    holdout = sum(m.status == "holdout" for m in rows)
    arm_b = sum(m.arm is not None and m.arm.label == "B" for m in rows)
    assert len(rows) == 2_000
    assert _within(holdout, 2_000, 0.2)
    assert _within(arm_b, 2_000 - holdout, 0.25)
    assert all(m.with_voucher == (m.arm is not None and m.arm.label == "B") for m in rows)
    assert (preview.holdout, preview.arms) == (holdout, {"A": 2_000 - holdout - arm_b, "B": arm_b})
    assert run.counts["holdout"] == holdout
    # A customer's draw depends on the play and on them alone, not on the others.
    draws = planning.draws(play.public_id, "holdout", np.array(ids, dtype=np.int64))
    alone = planning.draws(play.public_id, "holdout", np.array(ids[7:9], dtype=np.int64))
    assert np.array_equal(draws[7:9], alone)
    other = planning.draws("another-play", "holdout", np.array(ids, dtype=np.int64))
    assert not np.array_equal(draws, other)
    kept = {m.customer_id for m in rows if m.status == "holdout"}
    assert kept == {c for c, u in zip(ids, draws.tolist(), strict=True) if u * 100 < 20}


def test_held_customers_are_not_in_the_experiment(world: World) -> None:
    card_only = birthday_today(person(world.bologna, channels=("card",)))
    make_play(
        PlayKind.OCCASION,
        occasion="birthday",
        holdout_percent=50,
        arms=[{"channel": "card"}, {"channel": "email"}],
    )
    _plan()
    (message,) = _messages()
    assert (message.customer_id, message.status, message.arm) == (card_only.pk, "held", None)
    assert message.reason_params == {"channel": "email"}


# --- Never twice ----------------------------------------------------------------------------------


def _everything(world: World) -> None:
    for location in (world.bologna, world.copenhagen):
        for _ in range(4):
            birthday_today(person(location))
    lapsed = [person(world.bologna) for _ in range(5)]
    stages({c: _spell(c, Stage.LAPSED) for c in lapsed})
    sent_before(lapsed[0], 3)
    sent_before(lapsed[0], 4)
    make_play(PlayKind.OCCASION, occasion="birthday", holdout_percent=30)
    make_play(PlayKind.WIN_BACK, arms=[{}, {"voucher_kind": "percent", "voucher_value": 5}])


def _snapshot_of_messages() -> set[tuple[Any, ...]]:
    """The day's messages as planned (not the two earlier ones)."""
    return {
        (m.key, m.status, m.reason, m.arm.label if m.arm else "", m.channel, m.with_voucher)
        for m in _messages(day=DAY)
    }


def test_planning_the_day_again_creates_nothing_twice(world: World) -> None:
    _everything(world)
    first = _plan()
    before = _snapshot_of_messages()
    again = _plan()
    assert _snapshot_of_messages() == before
    assert Message.objects.filter(day=DAY).count() == len(before) == 13
    assert again.counts == first.counts
    assert PlanRun.objects.count() == 1


def test_a_failure_half_way_then_a_rerun_gives_exactly_the_full_set(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _everything(world)
    monkeypatch.setattr(planning.write, "WRITE_BATCH", 5)
    write = planning.write._write_batch
    calls = {"n": 0}

    def failing(rows: Any, redecided: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        write(rows, redecided)

    monkeypatch.setattr(planning.write, "_write_batch", failing)
    failed = planning.plan_day(DAY, now=NOW)
    assert failed.error == "OSError: disk full"
    assert Message.objects.filter(day=DAY).count() == 5  # the first batch, whole
    monkeypatch.setattr(planning.write, "_write_batch", write)
    rerun = _plan()
    after_rerun = _snapshot_of_messages()
    Message.objects.filter(day=DAY).delete()
    PlanRun.objects.all().delete()
    clean = _plan()
    assert after_rerun == _snapshot_of_messages()
    assert rerun.counts == clean.counts


# --- When, and the preview ------------------------------------------------------------------------


def test_plan_if_due_plans_once_a_day_after_the_plan_hour(world: World) -> None:
    birthday_today(person(world.bologna))
    make_play(PlayKind.OCCASION, occasion="birthday")
    assert planning.plan_if_due(datetime(2026, 3, 2, 4, 30, tzinfo=UTC)) is None  # 05:30
    run = planning.plan_if_due(NOW)
    assert run is not None
    assert (run.day, run.counts["queued"]) == (DAY, 1)
    assert planning.plan_if_due(NOW + timedelta(hours=3)) is None


def test_a_failed_plan_is_tried_again_after_a_while(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    birthday_today(person(world.bologna))
    make_play(PlayKind.OCCASION, occasion="birthday")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(planning.write, "write_plan", broken)
    failed = planning.plan_if_due(NOW)
    assert failed is not None
    assert failed.error == "RuntimeError: database gone"
    monkeypatch.undo()
    assert planning.plan_if_due(NOW + timedelta(minutes=5)) is None
    retried = planning.plan_if_due(NOW + timedelta(minutes=20))
    assert retried is not None
    assert (retried.error, retried.counts["queued"]) == ("", 1)


def test_the_preview_shows_who_would_receive_it_without_writing(world: World) -> None:
    reached = birthday_today(person(world.bologna, given_name="Giulia", family_name="Verdi"))
    birthday_today(person(world.bologna, channels=()))
    play = make_play(PlayKind.OCCASION, occasion="birthday", status="draft")
    preview = planning.preview_play(play, DAY)
    assert not Message.objects.exists()
    assert not PlanRun.objects.exists()
    assert (preview.audience, preview.queued, preview.holdout) == (2, 1, 0)
    assert preview.held == {"consent": 1}
    assert preview.held_reasons() == [("consent", 1, "No consent")]
    (recipient,) = preview.recipients
    assert (recipient.public_id, recipient.name, recipient.channel, recipient.arm) == (
        reached.public_id,
        "Giulia Verdi",
        "email",
        "A",
    )
