"""``bench.outreach``'s baseline: the day planned the straightforward way, one customer
at a time over the ORM.

For each customer: the customer, their household, pets, custom dates and name day,
their current standing, open recoveries and yesterday's visits, each read with its own
query; every approved play's audience decided in Python (``occasions_of`` for the
occasions); the key looked up (``Message.objects.filter(key=…)``); the policy asked per
candidate and channel through ``policy.channel_allowed`` (which reads that customer's
consents, phones, bounces, complaints, recoveries and touches); holdout and arm drawn
with ``planning.draws``; the first play by priority kept; each message written with
``get_or_create`` on its key. Everything runs in one transaction that is rolled back.

``plan_naively`` returns each customer's decisions as ``{key: (status, reason,
channel)}``, which ``bench._outreach_measure`` checks against what ``plan_day`` writes
for the same customers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

Decision = tuple[str, str, str]  # status, reason, channel


class _Rollback(Exception):
    pass


def _occasion_keys(play: Any, customer: Any, ctx: dict[str, Any]) -> list[tuple[str, Any]]:
    from regulars.customers.occasions import DayRange, occasions_of

    target = ctx["day"] + timedelta(days=play.lead_days)
    found = occasions_of(
        customer,
        household=ctx["household"],
        pets=ctx["pets"],
        custom=ctx["custom"],
        name_day=ctx["name_day"],
        days=DayRange(target, target),
        tz_name=ctx["tz"],
    )
    return [
        (f"o:{play.public_id}:{customer.pk}:{o.kind}:{o.source_id or 0}:{o.on.isoformat()}", o)
        for o in found
        if o.kind == play.occasion
    ]


def _keys(play: Any, customer: Any, ctx: dict[str, Any]) -> list[tuple[str, Any]]:
    """The play's keys for this customer on the day (none: not in the audience)."""
    from regulars.loyalty.models import Stage
    from regulars.outreach import audiences
    from regulars.outreach.models import PlayKind

    standing = ctx["standing"]
    params = play.params if isinstance(play.params, dict) else {}
    if play.kind == PlayKind.OCCASION:
        return _occasion_keys(play, customer, ctx)
    if play.kind == PlayKind.WELCOME:
        first = customer.first_visit_at
        after = int(params.get("after_days", audiences.DEFAULT_AFTER_DAYS))
        if first and first.astimezone(ctx["zone"]).date() == ctx["day"] - timedelta(days=after):
            return [(f"w:{play.public_id}:{customer.pk}", None)]
        return []
    if play.kind in (PlayKind.CHECK_IN, PlayKind.WIN_BACK):
        stage = Stage.AT_RISK if play.kind == PlayKind.CHECK_IN else Stage.LAPSED
        if standing is None or standing.stage != stage:
            return []
        days = params.get("min_days") if play.kind == PlayKind.WIN_BACK else None
        if days and not (
            standing.last_visit_at and standing.last_visit_at <= ctx["now"] - timedelta(days=days)
        ):
            return []
        return [(audiences.spell_key(play, customer.pk, standing.stage_since), None)]
    if play.kind == PlayKind.RECOVERY:
        if ctx["recovery"] is not None:
            return [(f"r:{play.public_id}:{customer.pk}:r{ctx['recovery']}", None)]
        if standing is not None and standing.stage == Stage.DISSATISFIED:
            return [(audiences.spell_key(play, customer.pk, standing.stage_since, "s"), None)]
        return []
    if play.kind == PlayKind.THANK_YOU:
        milestones = sorted(int(m) for m in params.get("milestones", audiences.DEFAULT_MILESTONES))
        before = customer.visit_count - ctx["recent_visits"]
        crossed = [m for m in milestones if before < m <= customer.visit_count]
        if customer.last_visit_at and customer.last_visit_at >= ctx["since"] and crossed:
            return [(f"t:{play.public_id}:{customer.pk}:{crossed[-1]}", None)]
    return []


def _reachable(customer: Any, channel: str, now: datetime, exempt: bool) -> tuple[bool, Any]:
    from regulars.outreach import policy

    held = policy.channel_allowed(customer, channel, now=now, exempt=exempt)
    by_person = held is not None and held.code not in {r.code for r in policy.PER_CHANNEL}
    return held is None or by_person, held


def _decide(play: Any, customer: Any, now: datetime) -> tuple[Decision, Any, bool]:
    """(status, reason, channel), the arm, whether a voucher goes."""
    from regulars.outreach import planning
    from regulars.outreach.models import ArmChannel, PlayKind, VoucherKind

    exempt = play.kind == PlayKind.RECOVERY
    arms = list(play.arms.all())
    channels = []
    for arm in arms:
        channel = arm.channel
        if channel == ArmChannel.AUTO or (
            customer.gifts == "words" and channel in (ArmChannel.CARD, ArmChannel.CALL)
        ):
            email_ok, _held = _reachable(customer, "email", now, exempt)
            sms_ok, _held = _reachable(customer, "sms", now, exempt)
            channel = "sms" if not email_ok and sms_ok else "email"
        ok, held = _reachable(customer, channel, now, exempt)
        channels.append(channel)
        if not ok:
            return ("held", held.code, channel), None, False
    _ok, held = _reachable(customer, channels[0], now, exempt)
    if held is not None:
        return ("held", held.code, channels[0]), None, False
    ids = np.array([customer.pk], dtype=np.int64)
    if planning.draws(play.public_id, "holdout", ids)[0] * 100 < play.holdout_percent:
        return ("holdout", "", channels[0]), None, False
    weights = [max(a.weight, 0) for a in arms]
    total = sum(weights) or len(arms)
    drawn = planning.draws(play.public_id, "arm", ids)[0] * total
    index, running = len(arms) - 1, 0.0
    for i, w in enumerate(weights if sum(weights) else [1] * len(arms)):
        running += w
        if drawn < running:
            index = i
            break
    arm = arms[index]
    voucher = arm.voucher_kind != VoucherKind.NONE and customer.gifts == ""
    return ("queued", "", channels[index]), arm, voucher


def plan_naively(ids: list[int], day: date, now: datetime) -> dict[int, dict[str, Decision]]:
    from django.db import transaction

    from regulars.core.localtime import zone
    from regulars.customers.models import Customer
    from regulars.customers.namedays import name_day_for
    from regulars.loyalty.queries import current_standing
    from regulars.outreach import audiences, policy
    from regulars.outreach.models import Message, Play, PlayStatus
    from regulars.service.models import Visit

    plays = sorted(
        Play.objects.filter(status=PlayStatus.APPROVED).prefetch_related("arms"),
        key=lambda p: (audiences.priority(p), p.pk),
    )
    zones = policy.Zones.load()
    since = datetime.fromtimestamp(float(zones.midnights(day - timedelta(days=1)).min()), UTC)
    decided: dict[int, dict[str, Decision]] = {}
    try:
        with transaction.atomic():
            for pk in ids:
                customer = Customer.objects.select_related("home_location").get(pk=pk)
                location = customer.home_location_id or zones.first_location
                tz = zones.names[zones.of_location[location]]
                answer = name_day_for(customer)
                ctx = {
                    "day": day,
                    "now": now,
                    "tz": tz,
                    "zone": zone(tz),
                    "since": since,
                    "household": list(customer.household.all()),
                    "pets": list(customer.pets.all()),
                    "custom": list(customer.occasions.all()),
                    "name_day": (answer.month, answer.day) if answer else None,
                    "standing": current_standing(pk),
                    "recovery": policy.open_recoveries()
                    .filter(customer_id=pk)
                    .order_by("-pk")
                    .values_list("pk", flat=True)
                    .first(),
                    "recent_visits": Visit.objects.filter(customer_id=pk, at__gte=since).count(),
                }
                mine: dict[str, Decision] = {}
                taken = False
                for play in plays:
                    if play.location_id and play.location_id != customer.home_location_id:
                        continue
                    for key, occasion in _keys(play, customer, ctx):
                        earlier = Message.objects.filter(key=key).first()
                        if earlier is not None and not (
                            play.kind in audiences.SPELLS or play.kind == "recovery"
                        ):
                            continue
                        if earlier is not None and earlier.status != "held":
                            continue
                        decision, arm, voucher = _decide(play, customer, now)
                        if decision[0] != "held" and taken:
                            decision, arm, voucher = (
                                ("held", "another_first", decision[2]),
                                None,
                                False,
                            )
                        taken = taken or decision[0] != "held"
                        if earlier is not None and decision[0] == "held":
                            continue
                        mine[key] = decision
                        if earlier is not None:
                            earlier.delete()
                        Message.objects.get_or_create(
                            key=key,
                            defaults={
                                "play": play,
                                "arm": arm,
                                "customer": customer,
                                "location_id": location,
                                "day": day,
                                "occasion": play.occasion,
                                "occasion_on": occasion.on if occasion else None,
                                "channel": decision[2],
                                "with_voucher": voucher,
                                "status": decision[0],
                                "reason": decision[1],
                            },
                        )
                decided[pk] = mine
            raise _Rollback
    except _Rollback:
        pass
    return decided
