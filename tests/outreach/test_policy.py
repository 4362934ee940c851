"""The contact-pressure policy: every hold has its code and its sentence, every touch
counts against the budget, quiet hours move the send time, and the survey e-mails of
the feedback app obey the same budget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pytest

from regulars.core import contact
from regulars.core.localtime import zone
from regulars.customers.models import Customer, Phone
from regulars.feedback.invitations import Skip, invite_after
from regulars.feedback.models import ChannelRule, Invitation, InviteChannel, Survey, Trigger
from regulars.outreach import policy, reasons
from regulars.outreach.models import (
    Bounce,
    Message,
    MessageStatus,
    OutreachPolicy,
    PlayKind,
)
from regulars.service.flow import TicketStatus
from regulars.service.models import Visit
from tests.conftest import World
from tests.outreach._planning_helpers import (
    DAY,
    NOW,
    called,
    complaint,
    consent,
    detractor,
    make_play,
    person,
    sent_before,
    surveyed,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _guard_installed() -> None:
    """``OutreachConfig.ready`` installs it; installing again changes nothing."""
    policy.install_guard()


def _held(customer: Customer, channel: str = "email", **kwargs: Any) -> policy.Held | None:
    return policy.channel_allowed(customer, channel, now=NOW, **kwargs)


# --- Each hold, with its sentence ----------------------------------------------------------


def _unsubscribed(world: World) -> Customer:
    customer = person(world.bologna, channels=())
    for channel in ("email", "sms", "card", "call"):
        consent(customer, channel, granted=False)
    return customer


def _withdrawn(world: World) -> Customer:
    customer = person(world.bologna, channels=("email", "sms"))
    consent(customer, "email", granted=False, at=NOW - timedelta(days=1))
    return customer


def _no_number(world: World) -> Customer:
    return person(world.bologna, channels=("email", "sms"), phone="")


def _bounced(world: World) -> Customer:
    customer = person(world.bologna, email="gone@example.com")
    Bounce.objects.create(customer=customer, channel="email", address="Gone@Example.com")
    return customer


def _complaining(world: World) -> Customer:
    customer = person(world.bologna)
    complaint(customer)
    return customer


def _unhappy(world: World) -> Customer:
    customer = person(world.bologna)
    detractor(customer)
    return customer


def _two_this_month(world: World) -> Customer:
    customer = person(world.bologna)
    sent_before(customer, 3)
    sent_before(customer, 20, status=MessageStatus.QUEUED)
    return customer


def _surveyed_this_morning(world: World) -> Customer:
    customer = person(world.bologna)
    surveyed(customer, NOW - timedelta(hours=1))  # 05:30 in Bologna: the same day
    return customer


HOLDS: list[tuple[Callable[[World], Customer], str, str]] = [
    (_unsubscribed, reasons.UNSUBSCRIBED, "Held: unsubscribed from everything"),
    (_withdrawn, reasons.CONSENT, "Held: no consent for e-mail"),
    (_no_number, reasons.NO_ADDRESS, "Held: no address or number for this channel"),
    (_bounced, reasons.BOUNCED, "Held: the e-mail address bounced"),
    (_complaining, reasons.COMPLAINT, "Held: a complaint of theirs is open"),
    (_unhappy, reasons.DETRACTOR, "Held: a detractor not yet recovered"),
    (_two_this_month, reasons.BUDGET, "Held: 2 messages in the last 30 days"),
    (_surveyed_this_morning, reasons.TODAY, "Held: already contacted today"),
]


@pytest.mark.parametrize(("make", "code", "sentence"), HOLDS, ids=[c for _m, c, _s in HOLDS])
def test_each_hold_says_why_in_a_sentence(
    world: World, make: Callable[[World], Customer], code: str, sentence: str
) -> None:
    channel = "sms" if make is _no_number else "email"
    held = _held(make(world), channel)
    assert held is not None
    assert held.code == code
    assert held.text == sentence


def test_a_customer_with_consent_and_an_address_may_be_reached(world: World) -> None:
    customer = person(world.bologna, channels=("email", "sms", "card", "call"))
    assert [_held(customer, c) for c in ("email", "sms", "card", "call")] == [None] * 4


def test_each_channel_needs_its_own_consent(world: World) -> None:
    customer = person(world.bologna, channels=("email",))
    held = {c: _held(customer, c) for c in ("sms", "card", "call")}
    assert {c: (h.code, h.text) for c, h in held.items() if h} == {
        "sms": ("consent", "Held: no consent for text messages"),
        "card": ("consent", "Held: no consent for post"),
        "call": ("consent", "Held: no consent for phone calls"),
    }


def test_a_card_needs_a_postal_address_and_a_text_a_mobile(world: World) -> None:
    customer = person(world.bologna, channels=("card", "sms", "call"), post="", phone="")
    Phone.objects.create(customer=customer, number="+39051123456", label="home")
    assert _held(customer, "card") == policy.Held("no_address", {"channel": "card"})
    assert _held(customer, "sms") == policy.Held("no_address", {"channel": "sms"})
    assert _held(customer, "call") is None  # a landline takes a call


def test_a_new_address_after_a_bounce_is_tried_again(world: World) -> None:
    customer = _bounced(world)
    customer.email = "new@example.com"
    customer.save(update_fields=["email"])
    assert _held(customer) is None


def test_a_bounced_mobile_is_passed_over_for_another(world: World) -> None:
    customer = person(world.bologna, channels=("sms",), phone="+393330000001")
    Bounce.objects.create(customer=customer, channel="sms", address="+393330000001")
    assert _held(customer, "sms") == policy.Held("bounced", {"channel": "sms"})
    Phone.objects.create(customer=customer, number="+393330000002", label="mobile")
    assert _held(customer, "sms") is None
    assert policy.address_for(customer, "sms") == "+393330000002"


def test_a_resolved_complaint_no_longer_holds(world: World) -> None:
    customer = person(world.bologna)
    complaint(customer, status=TicketStatus.RESOLVED)
    assert _held(customer) is None


# --- The budget counts every touch -------------------------------------------------------------


def test_the_budget_counts_survey_emails_and_follow_up_calls(world: World) -> None:
    customer = person(world.bologna)
    surveyed(customer, NOW - timedelta(days=10))
    called(customer, NOW - timedelta(days=4))
    assert _held(customer) == policy.Held("budget", {"count": 2, "limit": 2})


def test_touches_that_reached_nobody_do_not_count(world: World) -> None:
    customer = person(world.bologna)
    surveyed(customer, NOW - timedelta(days=10), status="failed")
    surveyed(customer, NOW - timedelta(days=9), channel=InviteChannel.RECEIPT)
    called(customer, NOW - timedelta(days=4), outcome="")  # not made yet
    sent_before(customer, 5, status=MessageStatus.HELD)
    sent_before(customer, 6, status=MessageStatus.BOUNCED)
    assert _held(customer) is None


def test_the_window_is_thirty_days_with_the_day_itself(world: World) -> None:
    customer = person(world.bologna)
    sent_before(customer, 30)  # 31 days ago counting today: out
    sent_before(customer, 29)
    assert _held(customer) is None
    sent_before(customer, 29, status=MessageStatus.QUEUED)
    assert _held(customer) == policy.Held("budget", {"count": 2, "limit": 2})


def test_the_limit_follows_the_policy(world: World) -> None:
    customer = _two_this_month(world)
    OutreachPolicy.objects.update_or_create(pk=policy.current().pk, defaults={"max_per_30_days": 3})
    assert _held(customer) is None


def test_a_holdout_takes_its_day_but_not_the_budget(world: World) -> None:
    customer = person(world.bologna)
    sent_before(customer, 1, status=MessageStatus.HOLDOUT)
    sent_before(customer, 2, status=MessageStatus.HOLDOUT)
    sent_before(customer, 3, status=MessageStatus.HOLDOUT)
    assert _held(customer) is None
    sent_before(customer, 0, status=MessageStatus.HOLDOUT)
    assert _held(customer) == policy.Held("today", {})


def test_the_message_being_sent_does_not_count_against_itself(world: World) -> None:
    customer = person(world.bologna)
    today = sent_before(customer, 0, status=MessageStatus.SENDING)
    assert _held(customer) == policy.Held("today", {})
    assert _held(customer, message=today) is None


def test_the_recovery_play_is_not_suppressed_by_an_open_complaint(world: World) -> None:
    customer = _complaining(world)
    detractor(customer)
    assert _held(customer).code == "complaint"  # type: ignore[union-attr]
    assert _held(customer, exempt=True) is None
    apology = Message.objects.create(
        key="recovery:1",
        play=make_play(PlayKind.RECOVERY),
        customer=customer,
        location=world.bologna,
        day=DAY,
        channel="email",
        status=MessageStatus.SENDING,
    )
    assert _held(customer, message=apology) is None


def test_the_day_is_the_customer_s_local_day(world: World) -> None:
    customer = person(world.bologna)
    surveyed(customer, datetime(2026, 3, 1, 22, 30, tzinfo=UTC))  # 23:30 in Bologna
    assert _held(customer) is None  # yesterday there
    surveyed(customer, datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 00:30: today
    assert _held(customer) == policy.Held("budget", {"count": 2, "limit": 2})


def test_one_customer_and_many_at_once_are_decided_alike(world: World) -> None:
    """The planner's path (every customer at once) and the sender's (one customer)
    read the same facts and apply the same rules."""
    makers = [m for m, _code, _sentence in HOLDS]
    customers = [m(world) for m in makers] + [person(world.copenhagen, channels=("sms",))]
    customers.append(person(None, channels=("email", "card")))
    zones = policy.Zones.load()
    facts = policy.load_facts([c.pk for c in customers], day=DAY, zones=zones, same_day=True)
    rows = facts.rows(np.array([c.pk for c in customers]))
    for column, channel in enumerate(policy.CHANNELS):
        ask = policy.Ask(
            rows=rows,
            channel=np.full(rows.size, column, dtype=np.int8),
            exempt=np.zeros(rows.size, dtype=bool),
            limit=2,
        )
        many = [policy.CODES[c] if c >= 0 else None for c in policy.decide(facts, ask)]
        one = [getattr(_held(c, channel), "code", None) for c in customers]
        assert many == one, channel


# --- Quiet hours ---------------------------------------------------------------------------------


def _rules(start: time = time(20), end: time = time(9)) -> OutreachPolicy:
    return OutreachPolicy(quiet_start=start, quiet_end=end)


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(10, time(10)), (7, time(9)), (22, time(9)), (0, time(9)), (19, time(19))],
)
def test_quiet_hours_across_midnight_move_the_send_time_to_their_end_that_day(
    hour: int, expected: time
) -> None:
    sent = policy.send_time(DAY, hour, "Europe/Rome", _rules(), NOW)
    local = sent.astimezone(zone("Europe/Rome"))
    assert (local.date(), local.time()) == (DAY, expected)


def test_quiet_hours_within_a_day_end_the_same_afternoon() -> None:
    sent = policy.send_time(DAY, 13, "Europe/Rome", _rules(time(12), time(15)), NOW)
    assert sent.astimezone(zone("Europe/Rome")).time() == time(15)


def test_a_plan_made_late_sends_now_or_when_quiet_hours_end() -> None:
    noon = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert policy.send_time(DAY, 10, "Europe/Rome", _rules(), noon) == noon
    evening = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)  # 21:30 in Bologna
    sent = policy.send_time(DAY, 10, "Europe/Rome", _rules(), evening)
    assert sent == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 09:00 the next morning


def test_quiet_hours_follow_the_zone_across_a_clock_change() -> None:
    spring = date(2026, 3, 29)  # clocks go forward in Europe
    sent = policy.send_time(spring, 7, "Europe/Rome", _rules(), NOW)
    assert sent == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST


# --- Reasons ------------------------------------------------------------------------------------


def test_an_unknown_reason_still_reads_as_a_sentence() -> None:
    assert reasons.describe("something_new", None) == "Held by the contact policy"
    assert (
        reasons.describe(reasons.BUDGET, {"count": "x"}) == "Held: 0 messages in the last 30 days"
    )
    assert reasons.describe(reasons.BUDGET, {"count": 1}) == "Held: 1 message in the last 30 days"
    assert (
        reasons.describe(reasons.ANOTHER_FIRST, {"play": "Birthday"})
        == "Held: another message goes first today (Birthday)"
    )
    assert [reasons.label(c) for c in reasons.ORDER][-1] == "Another message first"


# --- Survey e-mails obey the budget (core.contact) --------------------------------------------


def _visit_invitation(world: World, customer: Customer, survey_channel: str) -> Invitation | Skip:
    Survey.objects.create(name="After a visit", trigger=Trigger.VISIT, channel=survey_channel)
    visit = Visit.objects.create(customer=customer, location=world.bologna, at=NOW)
    return invite_after(
        trigger=Trigger.VISIT,
        location=world.bologna,
        customer=customer,
        staff=world.users["staff"],
        visit=visit,
        now=NOW,
        draw=False,
    )


def test_no_survey_email_once_the_month_s_budget_is_used(world: World) -> None:
    result = _visit_invitation(world, _two_this_month(world), ChannelRule.EMAIL)
    assert result == Skip("Held: 2 messages in the last 30 days")
    assert not Invitation.objects.exists()


def test_a_receipt_code_is_still_offered_when_the_budget_is_used(world: World) -> None:
    result = _visit_invitation(world, _two_this_month(world), ChannelRule.EMAIL_OR_RECEIPT)
    assert isinstance(result, Invitation)
    assert result.channel == InviteChannel.RECEIPT


def test_a_survey_email_goes_within_the_budget(world: World) -> None:
    customer = person(world.bologna)
    sent_before(customer, 3)
    result = _visit_invitation(world, customer, ChannelRule.EMAIL)
    assert isinstance(result, Invitation)
    assert result.channel == InviteChannel.EMAIL


def test_without_a_guard_every_contact_is_allowed(world: World) -> None:
    customer = _two_this_month(world)
    saved = contact.guards()
    for guard in saved:
        contact.unregister_guard(guard)
    try:
        assert contact.contact_refusal(customer, now=NOW, purpose="survey") is None
    finally:
        for guard in saved:
            contact.register_guard(guard)
    assert contact.contact_refusal(customer, now=NOW, purpose="survey") == (
        "Held: 2 messages in the last 30 days"
    )
