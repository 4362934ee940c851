"""The plays services: creating, changing and approving a play and its arms (every
change to an approved play sends it back for approval), pausing, resuming and deleting,
who may do it, and the contact budget's bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from regulars.core.models import AuditEntry
from regulars.outreach import plays, policy
from regulars.outreach.models import (
    Arm,
    ArmChannel,
    MessageStatus,
    OutreachPolicy,
    Play,
    PlayStatus,
    VoucherKind,
)
from regulars.outreach.plays import ArmSpec, PlayError, PlaySpec
from tests.conftest import World
from tests.factories import CustomerFactory, LocationFactory, MembershipFactory, UserFactory
from tests.outreach._plays_helpers import (
    make_play,
    message,
    spec,
)

# --- the services: create, change, approve --------------------------------------------------


def test_a_new_play_is_a_draft_with_its_arms_labelled_in_order(world: World) -> None:
    play = plays.create_play(
        actor=world.users["manager"],
        spec=spec(location=world.bologna),
        arms=[ArmSpec(), ArmSpec(channel=ArmChannel.CARD, weight=2)],
    )
    assert play.status == PlayStatus.DRAFT
    assert play.approved_by is None
    assert play.approved_at is None
    assert [(a.label, a.channel, a.weight) for a in play.arms.all()] == [
        ("A", "auto", 1),
        ("B", "card", 2),
    ]
    entry = AuditEntry.objects.get(subject="play")
    assert entry.action == "create"
    assert play.public_id in entry.detail


def test_approving_records_who_and_when(world: World) -> None:
    play = make_play(world)
    before = timezone.now()
    plays.approve(play, world.users["manager"])
    play.refresh_from_db()
    assert play.status == PlayStatus.APPROVED
    assert play.approved_by == world.users["manager"]
    assert play.approved_at is not None
    assert play.approved_at >= before


def test_a_play_without_an_arm_cannot_be_approved(world: World) -> None:
    play = make_play(world, arms=0)
    with pytest.raises(PlayError, match="at least one arm"):
        plays.approve(play, world.users["manager"])
    play.refresh_from_db()
    assert play.status == PlayStatus.DRAFT
    assert play.approved_at is None


def test_changing_an_approved_play_sends_it_back_to_draft(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    plays.update_play(
        play, actor=world.users["manager"], spec=replace(PlaySpec.of(play), lead_days=3)
    )
    play.refresh_from_db()
    assert play.lead_days == 3
    assert play.status == PlayStatus.DRAFT
    assert play.approved_by is None
    assert play.approved_at is None


def test_saving_an_approved_play_unchanged_keeps_its_approval(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    plays.update_play(play, actor=world.users["manager"], spec=PlaySpec.of(play))
    plays.set_arms(play, [ArmSpec()], actor=world.users["manager"])
    play.refresh_from_db()
    assert play.status == PlayStatus.APPROVED
    assert play.approved_by == world.users["manager"]


def test_changing_the_arms_of_an_approved_play_sends_it_back_to_draft(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    plays.set_arms(
        play,
        [ArmSpec(), ArmSpec(voucher_kind=VoucherKind.PERCENT, voucher_value=Decimal(10))],
        actor=world.users["manager"],
    )
    play.refresh_from_db()
    assert play.status == PlayStatus.DRAFT
    assert play.approved_at is None
    assert [a.label for a in play.arms.all()] == ["A", "B"]


def test_a_paused_play_changed_needs_approval_again(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    plays.pause(play, world.users["manager"])
    plays.update_play(play, actor=world.users["manager"], spec=replace(PlaySpec.of(play), name="B"))
    play.refresh_from_db()
    assert play.status == PlayStatus.DRAFT
    with pytest.raises(PlayError):
        plays.resume(play, world.users["manager"])


def test_pause_and_resume_keep_the_approval(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["owner"])
    plays.pause(play, world.users["manager"])
    play.refresh_from_db()
    assert play.status == PlayStatus.PAUSED
    plays.resume(play, world.users["manager"])
    play.refresh_from_db()
    assert play.status == PlayStatus.APPROVED
    assert play.approved_by == world.users["owner"]


@pytest.mark.parametrize(
    ("status", "move"),
    [
        (PlayStatus.DRAFT, "pause"),
        (PlayStatus.DRAFT, "resume"),
        (PlayStatus.APPROVED, "approve"),
        (PlayStatus.APPROVED, "resume"),
        (PlayStatus.PAUSED, "pause"),
        (PlayStatus.PAUSED, "approve"),
    ],
)
def test_a_move_the_status_does_not_allow_is_refused(world: World, status: str, move: str) -> None:
    play = make_play(world)
    Play.objects.filter(pk=play.pk).update(status=status)
    with pytest.raises(PlayError, match="cannot be"):
        getattr(plays, move)(play, world.users["manager"])
    play.refresh_from_db()
    assert play.status == status


def test_a_draft_without_messages_can_be_deleted(world: World) -> None:
    play = make_play(world, arms=2)
    plays.delete(play, world.users["manager"])
    assert not Play.objects.exists()
    assert not Arm.objects.exists()


def test_a_draft_that_planned_messages_is_kept(world: World) -> None:
    play = make_play(world)
    message(play, CustomerFactory(), world.bologna, status=MessageStatus.HELD, reason="budget")
    with pytest.raises(PlayError, match="pause it instead"):
        plays.delete(play, world.users["manager"])
    assert Play.objects.filter(pk=play.pk).exists()


def test_an_approved_or_paused_play_cannot_be_deleted(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    with pytest.raises(PlayError, match="Only a draft"):
        plays.delete(play, world.users["manager"])
    plays.pause(play, world.users["manager"])
    with pytest.raises(PlayError, match="Only a draft"):
        plays.delete(play, world.users["manager"])
    assert Play.objects.filter(pk=play.pk).exists()


# --- the services: checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arm", "message_part"),
    [
        (ArmSpec(voucher_kind=VoucherKind.PERCENT), "percentage off is from 1 to 100"),
        (
            ArmSpec(voucher_kind=VoucherKind.PERCENT, voucher_value=Decimal(0)),
            "percentage off is from 1 to 100",
        ),
        (
            ArmSpec(voucher_kind=VoucherKind.PERCENT, voucher_value=Decimal(101)),
            "percentage off is from 1 to 100",
        ),
        (ArmSpec(voucher_kind=VoucherKind.AMOUNT), "amount off is more than zero"),
        (
            ArmSpec(voucher_kind=VoucherKind.AMOUNT, voucher_value=Decimal(-5)),
            "amount off is more than zero",
        ),
        (
            ArmSpec(voucher_kind=VoucherKind.AMOUNT, voucher_value=Decimal("1.005")),
            "two decimals",
        ),
        (ArmSpec(voucher_kind=VoucherKind.ITEM), "which item"),
        (ArmSpec(weight=0), "share is a whole number from 1"),
        (ArmSpec(channel="pigeon"), "how it is sent"),
        (ArmSpec(voucher_kind="free-lunch"), "a voucher, or none"),
        (ArmSpec(voucher_kind=VoucherKind.ITEM, voucher_text="Coffee", voucher_days=0), "valid 1"),
    ],
)
def test_an_arm_out_of_bounds_is_refused(world: World, arm: ArmSpec, message_part: str) -> None:
    play = make_play(world)
    with pytest.raises(PlayError, match=message_part) as refused:
        plays.set_arms(play, [ArmSpec(), arm], actor=world.users["manager"])
    assert "Arm B" in str(refused.value)
    assert [a.label for a in play.arms.all()] == ["A"]


def test_a_voucher_value_is_kept_only_for_percent_and_amount(world: World) -> None:
    play = make_play(world)
    arms = plays.set_arms(
        play,
        [
            ArmSpec(voucher_kind=VoucherKind.PERCENT, voucher_value=Decimal(15)),
            ArmSpec(voucher_kind=VoucherKind.AMOUNT, voucher_value=Decimal("4.5")),
            ArmSpec(voucher_kind=VoucherKind.ITEM, voucher_value=Decimal(3), voucher_text="Coffee"),
            ArmSpec(voucher_value=Decimal(3), voucher_text="ignored"),
        ],
        actor=world.users["manager"],
    )
    assert [(a.voucher_value, a.voucher_text) for a in arms] == [
        (Decimal("15.00"), ""),
        (Decimal("4.50"), ""),
        (None, "Coffee"),
        (None, ""),
    ]


def test_a_play_has_at_most_four_arms(world: World) -> None:
    play = make_play(world)
    with pytest.raises(PlayError, match="at most 4 arms"):
        plays.set_arms(play, [ArmSpec()] * 5, actor=world.users["manager"])


def test_an_arm_that_reached_customers_cannot_be_removed(world: World) -> None:
    play = make_play(world, arms=2)
    arm_b = play.arms.get(label="B")
    message(play, CustomerFactory(), world.bologna, arm=arm_b)
    with pytest.raises(PlayError, match="Arm B has already reached customers"):
        plays.set_arms(play, [ArmSpec()], actor=world.users["manager"])
    assert Arm.objects.filter(pk=arm_b.pk).exists()
    # Changing it keeps its row, so its messages stay with it.
    plays.set_arms(play, [ArmSpec(), ArmSpec(channel=ArmChannel.SMS)], actor=world.users["manager"])
    arm_b.refresh_from_db()
    assert arm_b.channel == ArmChannel.SMS
    assert arm_b.messages.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message_part"),
    [
        ({"name": "  "}, "name", "Give the play a name"),
        ({"name": "x" * 101}, "name", "at most 100"),
        ({"kind": "spam"}, "kind", "what kind of play"),
        ({"occasion": ""}, "occasion", "Choose the occasion"),
        ({"lead_days": 61}, "lead_days", "0 to 60 days"),
        ({"send_hour": 24}, "send_hour", "from 0 to 23"),
        ({"holdout_percent": 51}, "holdout_percent", "from 0 to 50"),
        ({"holdout_percent": -1}, "holdout_percent", "from 0 to 50"),
        ({"kind": "welcome", "params": {"after_days": 400}}, "after_days", "0 to 365 days"),
        ({"kind": "winback", "params": {"min_days": 5}}, "min_days", "14 to 3650 days"),
        ({"kind": "thankyou", "params": {"milestones": []}}, "milestones", "at least one"),
        ({"kind": "thankyou", "params": {"milestones": [0]}}, "milestones", "from 1 to"),
    ],
)
def test_a_play_out_of_bounds_is_refused(
    world: World, changes: dict[str, Any], field: str, message_part: str
) -> None:
    with pytest.raises(PlayError, match=message_part) as refused:
        plays.create_play(
            actor=world.users["manager"], spec=spec(location=world.bologna, **changes)
        )
    assert refused.value.field == field
    assert not Play.objects.exists()


def test_audience_settings_are_kept_by_kind_with_defaults(world: World) -> None:
    manager = world.users["manager"]
    welcome = plays.create_play(
        actor=manager, spec=spec(kind="welcome", location=world.bologna, lead_days=5)
    )
    thanks = plays.create_play(
        actor=manager,
        spec=spec(kind="thankyou", location=world.bologna, params={"milestones": [50, 10, 50]}),
    )
    checkin = plays.create_play(
        actor=manager, spec=spec(kind="checkin", location=world.bologna, params={"x": 1})
    )
    winback = plays.create_play(actor=manager, spec=spec(kind="winback", location=world.bologna))
    away = plays.create_play(
        actor=manager, spec=spec(kind="winback", location=world.bologna, params={"min_days": 60})
    )
    assert (welcome.params, welcome.occasion, welcome.lead_days) == ({"after_days": 2}, "", 0)
    assert thanks.params == {"milestones": [10, 50]}
    assert checkin.params == {}
    assert winback.params == {}  # everyone the snapshot counts as lapsed
    assert away.params == {"min_days": 60}


def test_a_play_for_every_location_needs_someone_who_manages_them_all(world: World) -> None:
    with pytest.raises(PlayError, match="every location") as refused:
        plays.create_play(actor=world.users["manager"], spec=spec(location=None))
    assert refused.value.field == "location"
    play = plays.create_play(actor=world.users["owner"], spec=spec(location=None), arms=[ArmSpec()])
    with pytest.raises(PlayError, match="every location"):
        plays.approve(play, world.users["manager"])


def test_a_manager_of_every_location_may_run_a_play_for_all_of_them(world: World) -> None:
    both = UserFactory(username="both")
    MembershipFactory(user=both, location=world.bologna, role="manager")
    MembershipFactory(user=both, location=world.copenhagen, role="manager")
    play = plays.create_play(actor=both, spec=spec(location=None), arms=[ArmSpec()])
    plays.approve(play, both)
    assert play.status == PlayStatus.APPROVED
    # A new location they do not manage: the play is no longer theirs to change.
    LocationFactory(name="Aarhus")
    with pytest.raises(PlayError, match="every location"):
        plays.pause(play, both)


def test_staff_and_managers_elsewhere_cannot_touch_a_play(world: World) -> None:
    play = make_play(world, location=world.copenhagen)
    with pytest.raises(PermissionDenied):
        plays.approve(play, world.users["manager"])  # manages Bologna only
    with pytest.raises(PermissionDenied):
        plays.create_play(actor=world.users["staff"], spec=spec(location=world.bologna))


# --- the contact budget ---------------------------------------------------------------------


def test_the_budget_is_saved_within_bounds(world: World) -> None:
    saved = plays.set_policy(
        actor=world.users["manager"],
        max_per_30_days=3,
        quiet_start=time(21, 30),
        quiet_end=time(8, 0),
        plan_hour=5,
    )
    stored = OutreachPolicy.objects.get(pk=saved.pk)
    assert (stored.max_per_30_days, stored.quiet_start, stored.quiet_end, stored.plan_hour) == (
        3,
        time(21, 30),
        time(8, 0),
        5,
    )
    assert OutreachPolicy.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_per_30_days": 0}, "max_per_30_days"),
        ({"max_per_30_days": 11}, "max_per_30_days"),
        ({"quiet_start": time(9, 0), "quiet_end": time(9, 0)}, "quiet_end"),
        ({"plan_hour": 24}, "plan_hour"),
    ],
)
def test_a_budget_out_of_bounds_is_refused(
    world: World, changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "max_per_30_days": 2,
        "quiet_start": time(20, 0),
        "quiet_end": time(9, 0),
        "plan_hour": 6,
    }
    values.update(changes)
    with pytest.raises(PlayError) as refused:
        plays.set_policy(actor=world.users["owner"], **values)
    assert refused.value.field == field
    stored = policy.current()
    assert (stored.max_per_30_days, stored.plan_hour) == (2, 6)
