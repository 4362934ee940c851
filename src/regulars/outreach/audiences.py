"""Who each play speaks to on a business day, with the idempotency key of each message.

Every audience is read with a few set queries whatever the number of customers:

- occasion: the play's occasion falls on the day + ``lead_days``
  (``customers.occasions.occasions_between``, once per date and location for every
  occasion play); key ``o:<play>:<customer>:<kind>:<source id or 0>:<date>``;
- welcome: the first visit was ``params.after_days`` (default 2) days before the day,
  in the customer's zone; key ``w:<play>:<customer>``;
- check-in: "a regular overdue by their own rhythm", the latest done snapshot's
  ``AT_RISK`` stage; win-back: its ``LAPSED`` stage (``params.min_days``: not seen for
  at least that many days); one message per spell in the stage, key
  ``c|b:<play>:<customer>:<stage since>``;
- recovery: an open service recovery (key per recovery, ``r:<play>:<customer>:r<id>``)
  or the ``DISSATISFIED`` stage (per spell, ``...:s<since>``);
- thank-you: the visits since the last planning crossed one of ``params.milestones``
  (default 10, 25, 50, 100); key per milestone ``t:<play>:<customer>:<milestone>``.

A play for one location speaks to the customers whose home location it is. Spell
audiences are ``renewable``: a message held on one day is decided again on the next
while the spell lasts (the planner turns it into a real one once the policy allows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Concat

from regulars.customers.models import Customer
from regulars.customers.occasions import occasions_between
from regulars.loyalty.models import RunStatus, Snapshot, Stage, Standing
from regulars.outreach.models import (
    Message,
    MessageStatus,
    OccasionKind,
    PlanRun,
    Play,
    PlayKind,
)
from regulars.outreach.policy import IN_CHUNK, Zones, ids_in, open_recoveries, texts_in
from regulars.service.models import Visit

DEFAULT_AFTER_DAYS = 2
DEFAULT_MILESTONES = (10, 25, 50, 100)
MILESTONE_LOOKBACK_DAYS = 7  # at most this far back when planning was not run for days

# One message a day: the first of these wins (lower is first).
PRIORITY: dict[str, int] = {
    PlayKind.RECOVERY: 0,
    OccasionKind.BIRTHDAY: 1,
    OccasionKind.NAME_DAY: 2,
    OccasionKind.HOUSEHOLD_BIRTHDAY: 3,
    OccasionKind.PET_BIRTHDAY: 4,
    OccasionKind.CUSTOM: 5,
    OccasionKind.FIRST_VISIT: 6,
    PlayKind.THANK_YOU: 7,
    PlayKind.WELCOME: 8,
    PlayKind.CHECK_IN: 9,
    PlayKind.WIN_BACK: 10,
}
SPELLS: dict[str, int] = {PlayKind.CHECK_IN: Stage.AT_RISK, PlayKind.WIN_BACK: Stage.LAPSED}
PREFIX: dict[str, str] = {
    PlayKind.OCCASION: "o",
    PlayKind.WELCOME: "w",
    PlayKind.CHECK_IN: "c",
    PlayKind.WIN_BACK: "b",
    PlayKind.RECOVERY: "r",
    PlayKind.THANK_YOU: "t",
}


def priority(play: Play) -> int:
    return PRIORITY.get(play.occasion if play.kind == PlayKind.OCCASION else play.kind, 99)


@dataclass(frozen=True)
class Context:
    """The business day being planned and what every audience shares."""

    day: date
    now: datetime
    zones: Zones
    snapshot_id: int | None  # the latest done loyalty snapshot
    # Messages planned for a day before this one are decided already (the planner
    # decides the day's own again, identically; a preview counts them as done).
    before: date

    @classmethod
    def build(cls, day: date, now: datetime, *, keep_today: bool = True) -> Context:
        latest = (
            Snapshot.objects.filter(status=RunStatus.DONE)
            .order_by("-as_of", "-id")
            .values_list("pk", flat=True)
            .first()
        )
        before = day if keep_today else day + timedelta(days=1)
        return cls(day=day, now=now, zones=Zones.load(), snapshot_id=latest, before=before)


@dataclass
class Audience:
    """One play's candidates for the day: one row per message to decide."""

    play: Play
    customer: np.ndarray  # int64
    keys: list[str]
    renewable: bool = False
    occasion_on: list[date | None] = field(default_factory=list)
    occasion_name: list[str] = field(default_factory=list)
    # Set when the audience's query left out what was planned already: the held
    # messages to decide again, by row (see ``planned``).
    checked: bool = False
    replace: dict[int, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.customer.size)

    def take(self, keep: np.ndarray) -> Audience:
        """The rows where ``keep`` is true."""
        rows = np.flatnonzero(keep).tolist()
        return Audience(
            play=self.play,
            customer=self.customer[keep],
            keys=[self.keys[i] for i in rows],
            renewable=self.renewable,
            occasion_on=[self.occasion_on[i] for i in rows] if self.occasion_on else [],
            occasion_name=[self.occasion_name[i] for i in rows] if self.occasion_name else [],
        )


def _ints(values: Iterable[int]) -> np.ndarray:
    return np.fromiter(values, dtype=np.int64)


def _int_param(play: Play, name: str, default: int | None) -> int | None:
    value = play.params.get(name) if isinstance(play.params, dict) else None
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def _milestones(play: Play) -> list[int]:
    raw = play.params.get("milestones") if isinstance(play.params, dict) else None
    try:
        found = sorted({int(m) for m in raw if int(m) > 0}) if raw else []
    except (TypeError, ValueError):
        found = []
    return found or list(DEFAULT_MILESTONES)


def _at_home(play: Play, prefix: str = "") -> Q:
    return Q(**{f"{prefix}home_location_id": play.location_id}) if play.location_id else Q()


# --- Occasions -----------------------------------------------------------------------


def _occasions(plays: Sequence[Play], ctx: Context) -> list[Audience]:
    """Every occasion play, with one ``occasions_between`` call per (date, location)."""
    groups: dict[tuple[date, int | None], list[Play]] = defaultdict(list)
    for play in plays:
        groups[(ctx.day + timedelta(days=play.lead_days), play.location_id)].append(play)
    out: list[Audience] = []
    for (on, location_id), members in groups.items():
        kinds = sorted({p.occasion for p in members})
        found = occasions_between(
            on,
            on,
            location_ids=[location_id] if location_id else None,
            kinds=kinds,
        )
        for play in members:
            mine = [o for o in found if o.kind == play.occasion]
            out.append(
                Audience(
                    play=play,
                    customer=_ints(o.customer_id for o in mine),
                    keys=[
                        f"o:{play.public_id}:{o.customer_id}:{o.kind}:{o.source_id or 0}:"
                        f"{o.on.isoformat()}"
                        for o in mine
                    ],
                    occasion_on=[o.on for o in mine],
                    occasion_name=[o.name[:100] for o in mine],
                )
            )
    return out


# --- Welcome, stages, recovery, milestones ------------------------------------------------


def _welcome(play: Play, ctx: Context) -> Audience:
    first_day = ctx.day - timedelta(days=_int_param(play, "after_days", DEFAULT_AFTER_DAYS) or 0)
    starts = ctx.zones.midnights(first_day)
    ends = ctx.zones.midnights(first_day + timedelta(days=1))
    rows = list(
        Customer.objects.filter(
            _at_home(play),
            first_visit_at__gte=datetime.fromtimestamp(float(starts.min()), UTC),
            first_visit_at__lt=datetime.fromtimestamp(float(ends.max()), UTC),
        )
        .order_by()
        .values_list("pk", "home_location_id", "first_visit_at")
    )
    z = ctx.zones.index(_ints(r[1] or 0 for r in rows))
    when = np.array([r[2].timestamp() if r[2] else 0.0 for r in rows], dtype=np.float64)
    keep = (when >= starts[z]) & (when < ends[z])
    ids = _ints(r[0] for r in rows)[keep]
    return Audience(play=play, customer=ids, keys=[f"w:{play.public_id}:{c}" for c in ids.tolist()])


def spell_key(play: Play, customer_id: int, since: datetime | int, tag: str = "") -> str:
    """The key of a play's one message per spell of a customer in a stage, by when the
    spell began (an instant or its epoch seconds; ``tag`` "s" for the recovery play's
    stage spells)."""
    seconds = since if isinstance(since, int) else int(since.timestamp())
    return f"{PREFIX[play.kind]}:{play.public_id}:{customer_id}:{tag}{seconds}"


class Epoch(Func):
    """Whole seconds since 1970 of a datetime column, computed by the database (a
    converter per row costs seconds over a million rows)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # "%%%%s": one "%" is eaten by the template, one by the backend's placeholders.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _in_stage(play: Play, ctx: Context, stage: int) -> QuerySet[Standing] | None:
    if ctx.snapshot_id is None:
        return None
    rows = Standing.objects.filter(
        _at_home(play, "customer__"), snapshot_id=ctx.snapshot_id, stage=stage
    )
    min_days = _int_param(play, "min_days", None) if play.kind == PlayKind.WIN_BACK else None
    if min_days:
        rows = rows.filter(last_visit_at__lte=ctx.now - timedelta(days=min_days))
    return rows.order_by("customer_id")


def _spell(play: Play, ctx: Context) -> Audience:
    """Customers in the play's stage whose spell has no message yet (or a held one).
    The key (``spell_key``'s) is built by the database and looked up there: most of a
    stage's customers have theirs already, and sending them to Python only to drop
    them costs seconds at a million."""
    rows = _in_stage(play, ctx, SPELLS[play.kind])
    if rows is None:
        return Audience(play=play, customer=_ints(()), keys=[], renewable=True, checked=True)
    key = Concat(
        Value(f"{PREFIX[play.kind]}:{play.public_id}:"),
        Cast("customer_id", CharField()),
        Value(":"),
        Cast(Epoch("stage_since"), CharField()),
        output_field=CharField(),
    )
    earlier = Message.objects.filter(key=OuterRef("spell_key"), day__lt=ctx.before)
    found = list(
        rows.annotate(spell_key=key)
        .annotate(
            done=Exists(earlier.exclude(status=MessageStatus.HELD)),
            held=Subquery(earlier.filter(status=MessageStatus.HELD).values("pk")[:1]),
        )
        .filter(done=False)
        .values_list("customer_id", "spell_key", "held")
    )
    return Audience(
        play=play,
        customer=_ints(c for c, _key, _held in found),
        keys=[k for _c, k, _held in found],
        renewable=True,
        checked=True,
        replace={i: held for i, (_c, _k, held) in enumerate(found) if held is not None},
    )


def _recovery(play: Play, ctx: Context) -> Audience:
    latest: dict[int, int] = {}
    for customer_id, recovery_id in (
        open_recoveries().filter(_at_home(play, "customer__")).values_list("customer_id", "pk")
    ):
        latest[customer_id] = max(recovery_id, latest.get(customer_id, 0))
    keys = {c: f"r:{play.public_id}:{c}:r{r}" for c, r in latest.items()}
    unhappy = _in_stage(play, ctx, Stage.DISSATISFIED)
    if unhappy is not None:
        for customer_id, since in unhappy.annotate(since=Epoch("stage_since")).values_list(
            "customer_id", "since"
        ):
            keys.setdefault(customer_id, spell_key(play, customer_id, since, "s"))
    ids = sorted(keys)
    return Audience(play=play, customer=_ints(ids), keys=[keys[c] for c in ids], renewable=True)


def _milestones_since(ctx: Context) -> datetime:
    """Visits from the start of the last planned day (or yesterday) count as new."""
    floor = ctx.day - timedelta(days=MILESTONE_LOOKBACK_DAYS)
    last = (
        PlanRun.objects.filter(day__lt=ctx.day, day__gte=floor, finished_at__isnull=False, error="")
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    since = last or ctx.day - timedelta(days=1)
    return datetime.fromtimestamp(float(ctx.zones.midnights(since).min()), UTC)


def _thank_you(play: Play, ctx: Context) -> Audience:
    milestones = _milestones(play)
    since = _milestones_since(ctx)
    counts = dict(
        Customer.objects.filter(
            _at_home(play), last_visit_at__gte=since, visit_count__gte=milestones[0]
        )
        .order_by()
        .values_list("pk", "visit_count")
    )
    ids = sorted(counts)
    recent: dict[int, int] = {}
    for lo in range(0, len(ids), IN_CHUNK):
        recent.update(
            Visit.objects.filter(ids_in("customer_id", ids[lo : lo + IN_CHUNK]), at__gte=since)
            .order_by()
            .values("customer_id")
            .annotate(n=Count("pk"))
            .values_list("customer_id", "n")
        )
    chosen: list[tuple[int, int]] = []
    for customer_id in ids:
        now_count = counts[customer_id]
        before = now_count - recent.get(customer_id, 0)
        crossed = [m for m in milestones if before < m <= now_count]
        if crossed:
            chosen.append((customer_id, crossed[-1]))
    return Audience(
        play=play,
        customer=_ints(c for c, _m in chosen),
        keys=[f"t:{play.public_id}:{c}:{m}" for c, m in chosen],
    )


_BUILDERS: dict[str, Any] = {
    PlayKind.WELCOME: _welcome,
    PlayKind.CHECK_IN: _spell,
    PlayKind.WIN_BACK: _spell,
    PlayKind.RECOVERY: _recovery,
    PlayKind.THANK_YOU: _thank_you,
}


def collect(plays: Sequence[Play], ctx: Context) -> list[Audience]:
    """The audience of each play (an occasion play without its occasion: none), in the
    order of ``plays``."""
    occasion_plays = [p for p in plays if p.kind == PlayKind.OCCASION and p.occasion]
    by_play = {id(a.play): a for a in _occasions(occasion_plays, ctx)} if occasion_plays else {}
    out: list[Audience] = []
    for play in plays:
        if play.kind == PlayKind.OCCASION:
            found = by_play.get(id(play))
            out.append(found or Audience(play=play, customer=_ints(()), keys=[]))
        elif play.kind in _BUILDERS:
            out.append(_BUILDERS[play.kind](play, ctx))
    return out


# --- Keys already planned ----------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    held: bool
    pk: int


KEY_CHUNK = 50_000


def planned(play: Play, keys: Sequence[str], before: date) -> dict[str, Planned]:
    """The messages of ``play`` planned for a day before ``before`` under any of
    ``keys``: whether each is held (and its pk then)."""
    if not keys:
        return {}
    mine = Message.objects.filter(play=play).order_by()
    # Three reads the indexes answer: the play's held messages and its messages of
    # ``before`` on (message_play), and which keys exist at all (the key's own unique
    # index, without reading a row).
    held = dict(mine.filter(status=MessageStatus.HELD, day__lt=before).values_list("key", "pk"))
    later = set(mine.filter(day__gte=before).values_list("key", flat=True))
    found: dict[str, Planned] = {}
    for lo in range(0, len(keys), KEY_CHUNK):
        chunk = keys[lo : lo + KEY_CHUNK]
        for key in Message.objects.filter(texts_in("key", chunk)).values_list("key", flat=True):
            if key not in later:
                pk = held.get(key)
                found[key] = Planned(pk is not None, pk or 0)
    return found


__all__ = ["Audience", "Context", "Planned", "collect", "planned", "priority", "spell_key"]
