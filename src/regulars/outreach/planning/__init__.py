"""Planning a business day's outreach: every approved play's audience, decided by the
contact-pressure policy, split into holdout and arms, one message per customer a day,
written once per idempotency key.

``plan_day`` plans one business day; ``plan_if_due`` (the worker, every few minutes)
plans today once it is past ``OutreachPolicy.plan_hour`` in the business's zone (its
first location's, like the loyalty snapshot). ``preview_play`` runs the same audience,
policy and assignment for one play without writing (the manager's "who would receive
it" before approving).

How a day is planned:

1. each approved play's audience (``audiences``); keys planned on an earlier day are
   left out, except a spell play's held message, which is decided again (a customer
   held back by the budget gets their win-back once the budget allows);
2. the policy's rules for every candidate at once (``policy.load_facts`` +
   ``policy.decide``): a customer must be reachable by every arm's channel, so each arm
   of an experiment is offered the same people; held customers are not in it;
3. among those let through, a deterministic draw from (play, customer) keeps
   ``holdout_percent`` as the control group, then picks an arm by weight (``draws``:
   the same customer lands in the same group on every run);
4. one message per customer a day: recovery first, then occasions (birthday, name day,
   household, pet, custom, first visit), thank-you, welcome, check-in, win-back; a
   holdout takes its day as the message would have; the others are held
   ("another message goes first today");
5. the messages are written in batches (``bulk_create(ignore_conflicts=True)`` on the
   unique key, each batch its own transaction): a re-run the same day creates nothing
   twice, and a run that failed half-way leaves whole batches that the next run
   completes. A held message decided again is updated in place (key and public id
   kept). While planning a day, the day's own messages are not counted as touches
   (they are this plan's decisions), so a re-run decides every row as the first did.

The ``PlanRun`` of the day holds the counts (``{"queued", "holdout", "held": {code: n},
"plays": {public id: {...}}}``) or the error of a failed run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, connection
from django.utils import timezone

from regulars.core.localtime import local_today, zone
from regulars.customers.models import Customer
from regulars.loyalty.services import business_zone
from regulars.outreach import policy, reasons
from regulars.outreach.audiences import Audience, Context, collect, planned, priority
from regulars.outreach.models import OutreachPolicy, PlanRun, Play, PlayStatus
from regulars.outreach.planning import write
from regulars.outreach.planning.decide import (
    CODE_NAMES,
    HELD,
    HOLDOUT,
    QUEUED,
    decide_play,
    draws,
    one_a_day,
)
from regulars.outreach.planning.write import Plan
from regulars.outreach.policy import CHANNELS

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)
"""A run unfinished after this long was interrupted; ``plan_if_due`` plans again."""
RETRY_AFTER = timedelta(minutes=15)
"""A failed run is tried again by ``plan_if_due`` after this long."""


# --- Deciding a day -------------------------------------------------------------------------------


def _fresh(audience: Audience, ctx: Context) -> tuple[Audience, dict[int, int]]:
    """The audience without keys planned for a day before ``ctx.before``; a renewable
    play's held message stays, with the pk it would replace (by row of the result)."""
    if audience.checked:
        return audience, audience.replace
    found = planned(audience.play, audience.keys, ctx.before)
    if not found:
        return audience, {}
    keep = np.ones(audience.size, dtype=bool)
    replace: dict[int, int] = {}
    for i, key in enumerate(audience.keys):
        earlier = found.get(key)
        if earlier is None:
            continue
        if audience.renewable and earlier.held:
            replace[i] = earlier.pk
        else:
            keep[i] = False
    kept = audience.take(keep)
    positions = np.cumsum(keep) - 1
    return kept, {int(positions[i]): pk for i, pk in replace.items()}


def _plays() -> list[Play]:
    plays = [
        p
        for p in Play.objects.filter(status=PlayStatus.APPROVED).prefetch_related("arms")
        if p.arms.all()
    ]
    return sorted(plays, key=lambda p: (priority(p), p.pk))


def _decide_day(plays: list[Play], ctx: Context, rules: OutreachPolicy, *, same_day: bool) -> Plan:
    audiences, replaces = [], []
    for audience in collect(plays, ctx):
        fresh, replace = _fresh(audience, ctx)
        audiences.append(fresh)
        replaces.append(replace)
    everyone = (
        np.concatenate([a.customer for a in audiences]) if audiences else np.zeros(0, np.int64)
    )
    facts = policy.load_facts(everyone.tolist(), day=ctx.day, zones=ctx.zones, same_day=same_day)
    decided = [decide_play(a, facts, rules.max_per_30_days) for a in audiences]
    for d, replace in zip(decided, replaces, strict=True):
        d.replace = replace
    return Plan(ctx=ctx, rules=rules, facts=facts, decided=decided)


def _failure(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


PLAN_CACHE_KIB = 262_144
PLAN_MMAP_BYTES = 2**31 - 2**16  # SQLite's default upper bound for a memory map


@contextmanager
def _sqlite_for_a_batch() -> Iterator[None]:
    """On SQLite, a larger page cache and a memory-mapped file while a plan reads
    most of the database once (the pages are the operating system's cache either way;
    this spares a copy and a system call per page). Put back afterwards: the worker's
    connection lives on."""
    if connection.vendor != "sqlite":
        yield
        return
    wanted = {"cache_size": -PLAN_CACHE_KIB, "mmap_size": PLAN_MMAP_BYTES}
    before: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, value in wanted.items():
            cursor.execute(f"PRAGMA {name}")
            row = cursor.fetchone()  # none for mmap_size of an in-memory database
            if row is not None:
                before[name] = int(row[0])
                cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")


def plan_day(day: date | None = None, *, now: datetime | None = None) -> PlanRun:
    """Plan every approved play for business ``day`` (today in the business's zone by
    default) as of ``now``. Returns the day's run: its counts, or its error when it
    failed (what was written stays; planning the day again completes it)."""
    moment = now or timezone.now()
    the_day = day or local_today(business_zone(), moment)
    try:
        run, _created = PlanRun.objects.get_or_create(day=the_day)
    except IntegrityError:  # another worker created it at the same moment
        run = PlanRun.objects.get(day=the_day)
    # The run's times are in the frame of ``now`` (a real run: the clock), so that
    # ``plan_if_due`` compares like with like.
    started = time.monotonic()

    def at_end() -> datetime:
        return moment + timedelta(seconds=time.monotonic() - started)

    PlanRun.objects.filter(pk=run.pk).update(started_at=moment, finished_at=None, error="")
    try:
        ctx = Context.build(the_day, moment)
        if ctx.zones.first_location is None:
            counts: dict[str, Any] = {"queued": 0, "holdout": 0, "held": {}, "plays": {}}
        else:
            with _sqlite_for_a_batch():
                plan = _decide_day(_plays(), ctx, policy.current(), same_day=False)
                one_a_day(plan.decided)
                counts = write.write_plan(plan)
    except Exception as exc:  # the run records why; the worker carries on
        log.exception("planning outreach for %s failed", the_day)
        PlanRun.objects.filter(pk=run.pk).update(error=_failure(exc), finished_at=at_end())
    else:
        PlanRun.objects.filter(pk=run.pk).update(counts=counts, finished_at=at_end())
    run.refresh_from_db()
    return run


def plan_if_due(now: datetime | None = None) -> PlanRun | None:
    """Plan today if it is past the plan hour in the business's zone and today was not
    planned yet (or its run failed a while ago, or was interrupted). The run, or None."""
    moment = now or timezone.now()
    local = moment.astimezone(zone(business_zone()))
    if local.hour < policy.current().plan_hour:
        return None
    run = PlanRun.objects.filter(day=local.date()).first()
    if run is not None:
        if run.finished_at is None and run.started_at > moment - STALE_AFTER:
            return None  # under way
        if run.finished_at is not None and (
            not run.error or run.finished_at > moment - RETRY_AFTER
        ):
            return None
    return plan_day(local.date(), now=moment)


# --- Preview ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    public_id: str
    name: str
    channel: str  # a Channel value
    arm: str  # the arm's label
    with_voucher: bool


@dataclass(frozen=True)
class PlayPreview:
    """Who a play would reach on ``day``: the audience's size, how many would get a
    message, be kept as the control group or be held (per reason code), per arm, and
    the first ``limit`` recipients."""

    day: date
    audience: int
    queued: int
    holdout: int
    held: dict[str, int]
    arms: dict[str, int]
    recipients: list[Recipient]

    @property
    def held_total(self) -> int:
        return sum(self.held.values())

    def held_reasons(self) -> list[tuple[str, int, str]]:
        """(code, count, short label) in the rules' order."""
        return [(code, n, reasons.label(code)) for code, n in self.held.items()]


def preview_play(play: Play, day: date | None = None, *, limit: int = 200) -> PlayPreview:
    """What ``play`` would do on ``day`` (today by default) on its own, without writing:
    the same audience, policy, holdout and arms as planning (other plays that might
    take a customer's day first are not considered). Customers it already wrote to
    are not in it."""
    moment = timezone.now()
    the_day = day or local_today(business_zone(), moment)
    ctx = Context.build(the_day, moment, keep_today=False)
    empty = PlayPreview(the_day, 0, 0, 0, {}, {}, [])
    arms = list(play.arms.all())
    if not arms or ctx.zones.first_location is None:
        return empty
    plan = _decide_day([play], ctx, policy.current(), same_day=True)
    d = plan.decided[0] if plan.decided else None
    if d is None:
        return empty
    chosen = np.flatnonzero(d.status == QUEUED)
    people = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=d.audience.customer[chosen[:limit]].tolist()).only(
            "public_id", "kind", "given_name", "family_name", "preferred_name", "organisation_name"
        )
    }
    recipients = [
        Recipient(
            customer_id=int(d.audience.customer[i]),
            public_id=people[int(d.audience.customer[i])].public_id,
            name=people[int(d.audience.customer[i])].display_name,
            channel=CHANNELS[int(d.channel[i])],
            arm=arms[int(d.arm[i])].label,
            with_voucher=bool(d.voucher[i]),
        )
        for i in chosen[:limit].tolist()
        if int(d.audience.customer[i]) in people
    ]
    held = Counter(CODE_NAMES[int(c)] for c in d.code[d.status == HELD].tolist())
    per_arm = Counter(arms[int(a)].label for a in d.arm[d.status == QUEUED].tolist())
    return PlayPreview(
        day=the_day,
        audience=d.audience.size,
        queued=int(chosen.size),
        holdout=int((d.status == HOLDOUT).sum()),
        held={code: held[code] for code in CODE_NAMES if held[code]},
        arms={a.label: per_arm[a.label] for a in arms},
        recipients=recipients,
    )


__all__ = [
    "PlayPreview",
    "Recipient",
    "draws",
    "plan_day",
    "plan_if_due",
    "preview_play",
    "priority",
]
