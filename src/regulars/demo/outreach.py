"""The demo's outreach: a play for each occasion and stage of the customer's life, one of
them with a finished experiment (a win-back with a control group and two gestures,
three months ago, with its returns), a few recent thank-you vouchers still open at the
counter, and today's plan (messages queued, held with their reasons, calls to make,
cards to print).

Today's plan comes after the loyalty snapshots, since the check-in, win-back and
recovery plays read today's stages.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Max, Min

from regulars.accounts.models import Location
from regulars.customers.models import Customer, CustomerKind
from regulars.outreach import plays
from regulars.outreach.models import (
    ArmChannel,
    Message,
    MessageStatus,
    OccasionKind,
    Play,
    PlayKind,
    Voucher,
    VoucherKind,
)
from regulars.outreach.planning import plan_day
from regulars.outreach.vouchers import new_code
from regulars.service.models import Visit

# The win-back experiment three months ago: who it reached and how they answered.
EXPERIMENT_DAYS_AGO = (75, 120)  # its messages went out on days in this range
EXPERIMENT_QUIET_DAYS = 45  # a customer is in it when they had not come for this long
EXPERIMENT_SIZE = 240


@dataclass
class OutreachSummary:
    plays: int = 0
    approved: int = 0
    experiment: int = 0  # customers in the finished experiment
    open_vouchers: int = 0
    queued: int = 0
    held: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        held = sum(self.held.values())
        reasons = ", ".join(
            f"{n} {code}" for code, n in sorted(self.held.items(), key=lambda kv: -kv[1])
        )
        return (
            f"Outreach: {self.plays} plays ({self.approved} approved), a finished win-back "
            f"experiment with {self.experiment} customers, {self.open_vouchers} vouchers "
            f"open at the counter; today {self.queued} messages planned, {held} held back "
            f"by the policy ({reasons or 'none'})."
        )


def _spec(name: str, kind: str, **values: Any) -> plays.PlaySpec:
    return plays.PlaySpec(name=name, kind=kind, **values)


def _arm(channel: str = ArmChannel.AUTO, **values: Any) -> plays.ArmSpec:
    return plays.ArmSpec(channel=channel, **values)


def _treat(what: str) -> plays.ArmSpec:
    """A free item by e-mail or text, valid for 30 days."""
    return plays.ArmSpec(voucher_kind=VoucherKind.ITEM, voucher_text=what, voucher_days=30)


def _plays(first: Location) -> list[tuple[plays.PlaySpec, list[plays.ArmSpec], bool]]:
    """(play, its arms, approved?) — names in English: the manager renames them. The
    draft is the first location's own, so its manager can look at it and approve it."""
    return [
        (
            _spec(
                "Birthday wishes", PlayKind.OCCASION, occasion=OccasionKind.BIRTHDAY, lead_days=3
            ),
            [_arm(ArmChannel.CARD), _treat("a slice of cake on us")],
            True,
        ),
        (
            _spec("Name day greetings", PlayKind.OCCASION, occasion=OccasionKind.NAME_DAY),
            [_arm()],
            True,
        ),
        (
            _spec("A year with us", PlayKind.OCCASION, occasion=OccasionKind.FIRST_VISIT),
            [_arm()],
            True,
        ),
        (
            _spec(
                "Pets' birthdays",
                PlayKind.OCCASION,
                occasion=OccasionKind.PET_BIRTHDAY,
                location=first,
            ),
            [_arm()],
            False,  # a draft: the manager has not approved it yet
        ),
        (_spec("Welcome", PlayKind.WELCOME, params={"after_days": 2}), [_arm()], True),
        (_spec("How are you?", PlayKind.CHECK_IN), [_arm(ArmChannel.CALL)], True),
        (
            _spec("We miss you", PlayKind.WIN_BACK, holdout_percent=20),
            [
                _arm(),
                _arm(voucher_kind=VoucherKind.PERCENT, voucher_value=Decimal(10), voucher_days=30),
            ],
            True,
        ),
        (_spec("Making it right", PlayKind.RECOVERY), [_arm(ArmChannel.CALL)], True),
        (
            _spec("Thank you", PlayKind.THANK_YOU, params={"milestones": [10, 25, 50, 100]}),
            [_treat("a coffee on us")],
            True,
        ),
    ]


def write_plays(summary: OutreachSummary) -> dict[str, Play]:
    made: dict[str, Play] = {}
    for spec, arms, approved in _plays(Location.objects.order_by("pk")[0]):
        play = plays.create_play(actor=None, spec=spec, arms=arms)
        if approved:
            play = plays.approve(play, None)
            summary.approved += 1
        made[play.kind if play.kind != PlayKind.OCCASION else play.occasion] = play
        summary.plays += 1
    return made


def _quiet_customers(day: date, tz: ZoneInfo) -> list[tuple[int, int]]:
    """(customer, location) of people who had come before but not in the
    ``EXPERIMENT_QUIET_DAYS`` before ``day``: the win-back's audience that day."""
    start = datetime.combine(day, time(0), tz)
    quiet_since = start - timedelta(days=EXPERIMENT_QUIET_DAYS)
    seen = (
        Visit.objects.filter(customer__isnull=False, at__lt=start)
        .filter(customer__kind=CustomerKind.PERSON)
        .values("customer")
        .annotate(last=Max("at"), where=Min("location"))
        .filter(last__lt=quiet_since)
        .values_list("customer", "where")
    )
    return sorted(seen)


def _returns(customer_ids: Collection[int]) -> dict[int, list[tuple[datetime, int, int]]]:
    """(when, visit id, location) of every visit of these customers, oldest first."""
    found: dict[int, list[tuple[datetime, int, int]]] = {}
    rows = (
        Visit.objects.filter(customer_id__in=list(customer_ids))
        .order_by("at")
        .values_list("customer_id", "at", "pk", "location_id")
    )
    for customer_id, at, pk, location_id in rows:
        found.setdefault(customer_id, []).append((at, pk, location_id))
    return found


def write_experiment_history(
    rng: random.Random, played: dict[str, Play], *, today: date, now: datetime, staff: Any
) -> int:
    """The win-back's messages of three months ago: 20 % kept as the control group, the
    rest split between a plain e-mail and one with a 10 % voucher. Who came back is what
    the demo's visits say (nothing is added, so the report shows whatever difference
    chance made); half of the voucher arm's returners used their voucher on the first
    visit back within its 30 days."""
    play = played[PlayKind.WIN_BACK]
    arms = {arm.label: arm for arm in play.arms.all()}
    locations = {loc.pk: loc for loc in Location.objects.all()}
    tz = ZoneInfo(next(iter(locations.values())).timezone)
    picked: dict[int, tuple[date, int]] = {}
    for days_ago in range(EXPERIMENT_DAYS_AGO[1], EXPERIMENT_DAYS_AGO[0] - 1, -15):
        day = today - timedelta(days=days_ago)
        for customer_id, location_id in _quiet_customers(day, tz):
            picked.setdefault(customer_id, (day, location_id))
    chosen = sorted(picked.items())
    rng.shuffle(chosen)
    chosen = chosen[:EXPERIMENT_SIZE]
    visits = _returns([customer_id for customer_id, _ in chosen])
    messages: list[Message] = []
    vouchers: list[Voucher] = []
    for customer_id, (day, location_id) in chosen:
        draw = rng.random()
        group = "holdout" if draw < 0.2 else ("A" if draw < 0.6 else "B")
        arm = arms.get(group)
        sent_at = datetime.combine(day, time(10), tz)
        messages.append(
            Message(
                key=f"demo:{play.public_id}:{customer_id}:{day.isoformat()}",
                play=play,
                arm=arm,
                customer_id=customer_id,
                location_id=location_id,
                day=day,
                channel="email" if arm is not None else "",
                with_voucher=group == "B",
                status=MessageStatus.SENT if arm is not None else MessageStatus.HOLDOUT,
                send_after=sent_at,
                sent_at=sent_at if arm is not None else None,
                created_at=sent_at - timedelta(hours=4),
            )
        )
        if group != "B":
            continue
        expires_on = day + timedelta(days=30)
        back = [
            v for v in visits.get(customer_id, []) if sent_at < v[0] and v[0].date() <= expires_on
        ]
        used = back[0] if back and rng.random() < 0.5 else None
        vouchers.append(
            Voucher(
                code=new_code(),
                customer_id=customer_id,
                play=play,
                kind=VoucherKind.PERCENT,
                value=Decimal(10),
                issued_at=sent_at,
                expires_on=expires_on,
                redeemed_at=used[0] if used else None,
                redeemed_visit_id=used[1] if used else None,
                redeemed_location_id=used[2] if used else None,
                redeemed_by=staff if used else None,
            )
        )
    Message.objects.bulk_create(messages)
    by_customer = {m.customer_id: m for m in Message.objects.filter(play=play)}
    for voucher in vouchers:
        voucher.message = by_customer[voucher.customer_id]
    Voucher.objects.bulk_create(vouchers)
    return len(messages)


def write_open_vouchers(
    rng: random.Random, played: dict[str, Play], *, today: date, now: datetime
) -> int:
    """Thank-you vouchers sent in the last fortnight and not used yet: the counter card
    offers to redeem them."""
    play = played[PlayKind.THANK_YOU]
    arm = play.arms.first()
    zones = {loc.pk: ZoneInfo(loc.timezone) for loc in Location.objects.all()}
    regulars = list(
        Customer.objects.filter(kind=CustomerKind.PERSON, visit_count__gte=25)
        .exclude(home_location=None)
        .order_by("-visit_count", "pk")
        .values_list("pk", "home_location")[:6]
    )
    made = 0
    for customer_id, location_id in regulars:
        day = today - timedelta(days=rng.randint(1, 12))
        sent_at = datetime.combine(day, time(10), zones[location_id])
        message = Message.objects.create(
            key=f"demo:{play.public_id}:{customer_id}:{day.isoformat()}",
            play=play,
            arm=arm,
            customer_id=customer_id,
            location_id=location_id,
            day=day,
            channel="email",
            with_voucher=True,
            status=MessageStatus.SENT,
            send_after=sent_at,
            sent_at=sent_at,
            created_at=sent_at,
        )
        Voucher.objects.create(
            code=new_code(),
            customer_id=customer_id,
            message=message,
            play=play,
            kind=VoucherKind.ITEM,
            text="a coffee on us",
            issued_at=min(sent_at, now),
            expires_on=day + timedelta(days=30),
        )
        made += 1
    return made


def write_outreach_history(
    rng: random.Random, *, today: date, now: datetime, staff: Any
) -> tuple[OutreachSummary, dict[str, Play]]:
    """The plays and their past."""
    summary = OutreachSummary()
    played = write_plays(summary)
    summary.experiment = write_experiment_history(rng, played, today=today, now=now, staff=staff)
    summary.open_vouchers = write_open_vouchers(rng, played, today=today, now=now)
    return summary, played


def plan_today(summary: OutreachSummary, *, today: date, now: datetime) -> None:
    """Today's plan, as the worker makes it every morning."""
    run = plan_day(today, now=now)
    summary.queued = int(run.counts.get("queued", 0))
    summary.held = dict(run.counts.get("held", {}))


__all__ = ["OutreachSummary", "plan_today", "write_outreach_history"]
