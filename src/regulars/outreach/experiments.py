"""The report of an outreach experiment: each arm of a play against its holdout.

Who is in the experiment. The planner gives each customer the play would reach either
the holdout (a ``holdout`` message: nothing sent) or an arm (a message with that
``arm``). Messages the policy held back are not part of it (they were never assigned),
nor are arm messages whose arm has since been deleted. Everyone assigned counts, sent
or not (intention to treat): a message that failed, bounced or was cancelled still
belongs to its arm, because the holdout's customers who would have failed cannot be
told apart either. How many were actually sent is shown beside it.

One customer, one observation. A play may reach the same customer again (an occasion
next year, a second check-in); the customer counts once, in the group and on the day
of their first message of the play. Their later messages still count as messages.

Returned. A customer returned when they have a visit, at any location, on one of the
``window_days`` business days after the message's day: a visit at an instant in
``[start of day + 1, start of day + window_days + 1)``, days in the zone of the
message's location. The message's own day is left out for every group alike: an arm's
message goes out during that day, and a visit before it cannot be its effect.

Mature. Only customers whose window is over count for the rates and spends: day +
``window_days`` < today at the message's location (the window's last day has ended).
The others are "pending" and come in as their windows close.

Spend. The customer's spend in the window, 0 when nothing, in one currency: the play's
location's, or for a play of every location the currency of the locations most of its
customers were reached at. Visits paid in another currency are not converted (there is
no rate to trust) and not added: they are counted in ``other_currency_visits`` and
the page says so. Amounts are summed as floats for the statistics (means, intervals)
and shown as ``Decimal`` rounded to the currency's minor unit.

Compared with what. The holdout, when the play keeps one (or kept one: holdout
messages exist); otherwise, for a play split A/B without a holdout, the first arm.

Cost: at most six queries whatever the size (the play's arms, whether it kept a holdout, the
locations, then its messages, the visits of its mature customers within the windows'
span, and its vouchers per arm), then numpy over the rows; the two large reads skip
Django's per-value conversion. 100,000 messages and 300,000 visits: about 2.5 s on
SQLite and on PostgreSQL, nearly all of it the database reading the visits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from regulars.accounts.access import access_for
from regulars.accounts.models import Location
from regulars.analytics.stats import MeanEstimate, is_small_sample
from regulars.analytics.uplift import DEFAULT_MDE, Comparison, Rate, compare, rate, spend
from regulars.core.localtime import day_bounds_utc, local_today
from regulars.core.money import quantize
from regulars.core.permissions import Capability
from regulars.outreach.models import Arm, Message, MessageStatus, Play, Voucher
from regulars.outreach.plays import plays_for
from regulars.service.models import Visit

WINDOW_DAYS = 60
HOLDOUT = "holdout"  # the key of the holdout group (arms are keyed by their label)
_HOLDOUT, _SENT = 2, 1  # message statuses as the messages query codes them

IntArray = npt.NDArray[np.int64]

# The messages that make up the experiment (see the module docstring).
IN_EXPERIMENT = Q(status=MessageStatus.HOLDOUT) | (
    Q(arm__isnull=False) & ~Q(status__in=[MessageStatus.HELD, MessageStatus.HOLDOUT])
)


class DayNumber(Func):
    """A date as its proleptic Gregorian ordinal (``date.toordinal()``: 1 January of
    year 1 is 1), computed by the database."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday('0001-01-01') is 1721425.5.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 1721424.5 AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(%(expressions)s - DATE '0001-01-01' + 1)",
            **extra,
        )


class EpochSeconds(Func):
    """A timestamp as whole seconds since 1970 (UTC), computed by the database."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # strftime's "%s" reaches SQLite as written: "%%" survives the parameter style.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)",
            **extra,
        )


@dataclass(frozen=True)
class Group:
    """The holdout or one arm.

    ``customers``: customers whose first message of the play is in this group;
    ``messages``: all its messages; ``sent``: of which sent (0 for the holdout);
    ``mature``/``returned``: customers whose window is over / who came back in it;
    ``rate``: ``returned`` of ``mature``; ``spend``: mean spend of the mature customers
    (zeros included), ``None`` without a currency; ``spend_total``: their sum;
    ``versus``: against the reference group (``None`` for the reference itself)."""

    key: str
    arm: Arm | None
    customers: int
    messages: int
    sent: int
    mature: int
    returned: int
    rate: Rate
    spend: MeanEstimate | None
    spend_total: Decimal | None
    vouchers_issued: int
    vouchers_redeemed: int
    versus: Comparison | None

    @property
    def is_holdout(self) -> bool:
        return self.arm is None


@dataclass(frozen=True)
class PlayReport:
    play: Play
    today: date  # at the play's location (the first location reached, for every location)
    window_days: int
    mde: float
    currency: str  # "" when no spend can be reported
    groups: list[Group]
    reference: str | None  # the key of the group the others are compared with
    first_day: date | None
    last_day: date | None
    other_currency_visits: int

    @property
    def customers(self) -> int:
        return sum(g.customers for g in self.groups)

    @property
    def mature(self) -> int:
        return sum(g.mature for g in self.groups)

    @property
    def pending(self) -> int:
        """Customers whose window is not over yet."""
        return self.customers - self.mature

    @property
    def compared(self) -> list[Group]:
        return [g for g in self.groups if g.versus is not None]

    @property
    def too_early(self) -> bool:
        """A compared group or its reference has fewer than ``stats.SMALL_SAMPLE``
        mature customers: too few for the intervals to be trusted."""
        ref = self.reference_group
        return ref is None or any(is_small_sample(g.mature) for g in [ref, *self.compared])

    @property
    def reference_group(self) -> Group | None:
        return next((g for g in self.groups if g.key == self.reference), None)


def experiment_plays(user: Any) -> QuerySet[Play]:
    """The plays ``user`` may see (``plays.plays_for``: 403 without MANAGE_OUTREACH)
    that keep a holdout, are split into several arms, or kept a holdout once."""
    holdouts = Message.objects.filter(play=OuterRef("pk"), status=MessageStatus.HOLDOUT)
    return (
        plays_for(user)
        .annotate(arm_count=Count("arms", distinct=True))
        .filter(Q(holdout_percent__gt=0) | Q(arm_count__gt=1) | Exists(holdouts))
        .order_by("name", "id")
    )


def sees_money(user: Any, play: Play) -> bool:
    """VIEW_MONEY at the play's location; for a play of every location, at every
    location (its spend is the business's)."""
    access = access_for(user)
    if play.location_id is not None:
        return access.can(Capability.VIEW_MONEY, play.location_id)
    ids = list(Location.objects.values_list("pk", flat=True))
    return bool(ids) and all(access.can(Capability.VIEW_MONEY, pk) for pk in ids)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Exposures:
    """One row per customer: their first message of the play in the experiment."""

    customer: IntArray
    group: IntArray  # index into the groups
    day: IntArray  # date ordinals
    location: IntArray
    mature: npt.NDArray[np.bool_]
    messages: IntArray  # per group
    sent: IntArray  # per group


def _first_messages(
    play: Play, group_of_arm: dict[int | None, int], today: dict[int, int], window_days: int
) -> _Exposures:
    status = Case(
        When(status=MessageStatus.HOLDOUT, then=Value(_HOLDOUT)),
        When(status=MessageStatus.SENT, then=Value(_SENT)),
        default=Value(0),
        output_field=IntegerField(),
    )
    table = _fetch(
        Message.objects.filter(IN_EXPERIMENT, play=play)
        .annotate(code=status, arm_or_0=Coalesce("arm_id", Value(0)), n=DayNumber("day"))
        .values_list("customer_id", "arm_or_0", "code", "n", "location_id", "id")
        .order_by(),
        columns=6,
        dtype=np.int64,
    )
    n_groups = len(set(group_of_arm.values()))
    customer, arm, code, day, location, ident = (table[:, i] for i in range(6))
    # Group of each message: the holdout's (key None) for a holdout message, else its
    # arm's; -1 for an arm deleted since (arm_id null), which is left out.
    arm = np.where(code == _HOLDOUT, 0, arm)
    lookup = {0 if arm_id is None else arm_id: index for arm_id, index in group_of_arm.items()}
    group = _map(arm, lookup, missing=-1)
    known = group >= 0
    messages = np.bincount(group[known], minlength=n_groups).astype(np.int64)
    sent = np.bincount(group[known & (code == _SENT)], minlength=n_groups).astype(np.int64)
    order = np.lexsort((ident, day, customer))
    order = order[known[order]]
    sorted_customers = customer[order]
    first = order[np.flatnonzero(np.diff(sorted_customers, prepend=-1) != 0)]
    today_of = _map(location[first], today, missing=0)
    return _Exposures(
        customer=customer[first],
        group=group[first],
        day=day[first],
        location=location[first],
        mature=day[first] + window_days < today_of,
        messages=messages,
        sent=sent,
    )


def _map(keys: IntArray, values: dict[int, int], *, missing: int) -> IntArray:
    """``values[key]`` for each key (``missing`` for an unknown one), looked up once
    per distinct key."""
    if not keys.size:
        return np.zeros(0, dtype=np.int64)
    distinct, inverse = np.unique(keys, return_inverse=True)
    mapped = np.array([values.get(int(k), missing) for k in distinct.tolist()], dtype=np.int64)
    return mapped[inverse.ravel()]


def _fetch(qs: QuerySet[Any], *, columns: int, dtype: type[np.generic]) -> Any:
    """The rows of ``qs`` as an ``(n, columns)`` array, read straight from the driver:
    Django's per-value converters (a third of the time on 100,000 rows) are not needed
    for the integers and floats these queries select."""
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return np.zeros((0, columns), dtype=dtype)
    return np.array(rows, dtype=dtype).reshape(len(rows), columns)


def _windows(
    exposures: _Exposures, zones: dict[int, str], window_days: int
) -> tuple[IntArray, IntArray]:
    """Each exposure's window as UTC epoch seconds ``[start, end)``: from the start of
    the day after the message's to the start of the day after the window's last."""
    keys = exposures.location * 10_000_000 + exposures.day  # ordinals stay below 10⁷
    distinct, inverse = np.unique(keys, return_inverse=True)
    bounds = np.zeros((distinct.size, 2), dtype=np.int64)
    for i, key in enumerate(distinct.tolist()):
        location, ordinal = divmod(int(key), 10_000_000)
        tz = zones[location]
        start = day_bounds_utc(date.fromordinal(ordinal + 1), tz)[0]
        end = day_bounds_utc(date.fromordinal(ordinal + window_days + 1), tz)[0]
        bounds[i] = (int(start.timestamp()), int(end.timestamp()))
    return bounds[inverse.ravel(), 0], bounds[inverse.ravel(), 1]


def _visits(
    play: Play, lo: int, hi: int, last_day: date, currency: str
) -> tuple[IntArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(customer, epoch seconds, amount or NaN, paid in ``currency``) of the visits
    between ``lo`` and ``hi`` of the play's customers first reached by ``last_day``."""
    reached = Message.objects.filter(IN_EXPERIMENT, play=play, day__lte=last_day).values(
        "customer_id"
    )
    same = (
        Case(When(currency=currency, then=Value(1)), default=Value(0), output_field=IntegerField())
        if currency
        else Value(0, output_field=IntegerField())
    )
    qs = (
        Visit.objects.filter(
            customer_id__in=reached,
            at__gte=datetime.fromtimestamp(lo, tz=UTC),
            at__lt=datetime.fromtimestamp(hi, tz=UTC),
        )
        .annotate(t=EpochSeconds(F("at")), same=same, amt=Cast("amount", FloatField()))
        .values_list("customer_id", "t", "same", "amt")
        .order_by()
    )
    # As floats, so that a missing amount (NULL) reads as NaN; ids and epoch seconds
    # are exact in a float64 (below 2⁵³).
    table = _fetch(qs, columns=4, dtype=np.float64)
    whole = table[:, :3].astype(np.int64)
    return whole[:, 0], whole[:, 1], table[:, 3], whole[:, 2] == 1


def play_report(
    play: Play,
    *,
    now: datetime | None = None,
    window_days: int = WINDOW_DAYS,
    mde: float = DEFAULT_MDE,
) -> PlayReport:
    """The experiment's figures per group and each arm against the reference (see the
    module docstring for who counts, "returned", "mature" and the currency)."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    arms = list(Arm.objects.filter(play=play).order_by("label", "id"))
    has_holdout = (
        play.holdout_percent > 0
        or Message.objects.filter(play=play, status=MessageStatus.HOLDOUT).exists()
    )
    keys: list[tuple[str, Arm | None]] = ([(HOLDOUT, None)] if has_holdout else []) + [
        (arm.label, arm) for arm in arms
    ]
    group_of_arm: dict[int | None, int] = {}
    for index, (_key, arm) in enumerate(keys):
        group_of_arm[arm.pk if arm is not None else None] = index
    locations = {loc.pk: loc for loc in Location.objects.all()}
    zones = {pk: loc.timezone for pk, loc in locations.items()}
    today = {pk: local_today(tz, now).toordinal() for pk, tz in zones.items()}
    exposures = _first_messages(play, group_of_arm, today, window_days)
    currency = _currency(play, exposures.location, locations)

    mature_idx = np.flatnonzero(exposures.mature)
    mature_customers = exposures.customer[mature_idx]
    returned = np.zeros(mature_idx.size, dtype=bool)
    spent = np.zeros(mature_idx.size, dtype=np.float64)
    other_currency = 0
    if mature_idx.size:
        starts, ends = _windows(_subset(exposures, mature_idx), zones, window_days)
        last_day = date.fromordinal(int(exposures.day[mature_idx].max()))
        v_customer, v_at, v_amount, v_same = _visits(
            play, int(starts.min()), int(ends.max()), last_day, currency
        )
        order = np.argsort(mature_customers, kind="stable")
        sorted_customers = mature_customers[order]
        pos = np.searchsorted(sorted_customers, v_customer)
        pos = np.minimum(pos, max(sorted_customers.size - 1, 0))
        found = sorted_customers[pos] == v_customer
        idx = order[pos]
        inside = found & (v_at >= starts[idx]) & (v_at < ends[idx])
        returned[idx[inside]] = True
        with_amount = inside & ~np.isnan(v_amount)
        paid = with_amount & v_same
        spent = np.asarray(
            np.bincount(idx[paid], weights=v_amount[paid], minlength=mature_idx.size),
            dtype=np.float64,
        )
        other_currency = int(np.count_nonzero(with_amount & ~v_same))

    mature_group = exposures.group[mature_idx]
    vouchers = _vouchers(play)
    groups: list[Group] = []
    for index, (key, arm) in enumerate(keys):
        members = mature_group == index
        n = int(np.count_nonzero(members))
        back = int(np.count_nonzero(returned[members]))
        values = spent[members]
        issued, redeemed = vouchers.get(arm.pk, (0, 0)) if arm is not None else (0, 0)
        groups.append(
            Group(
                key=key,
                arm=arm,
                customers=int(np.count_nonzero(exposures.group == index)),
                messages=int(exposures.messages[index]),
                sent=int(exposures.sent[index]) if arm is not None else 0,
                mature=n,
                returned=back,
                rate=rate(back, n),
                spend=spend(values) if currency else None,
                spend_total=quantize(Decimal(repr(float(values.sum()))), currency)
                if currency
                else None,
                vouchers_issued=issued,
                vouchers_redeemed=redeemed,
                versus=None,
            )
        )
    reference = keys[0][0] if len(keys) > 1 else None
    if reference is not None:
        groups = _with_comparisons(play, groups, mde)
    days = exposures.day
    home = play.location_id or (int(exposures.location[0]) if exposures.location.size else None)
    return PlayReport(
        play=play,
        today=date.fromordinal(today[home]) if home in today else local_today("UTC", now),
        window_days=window_days,
        mde=mde,
        currency=currency,
        groups=groups,
        reference=reference,
        first_day=date.fromordinal(int(days.min())) if days.size else None,
        last_day=date.fromordinal(int(days.max())) if days.size else None,
        other_currency_visits=other_currency,
    )


def _subset(exposures: _Exposures, idx: IntArray) -> _Exposures:
    return _Exposures(
        customer=exposures.customer[idx],
        group=exposures.group[idx],
        day=exposures.day[idx],
        location=exposures.location[idx],
        mature=exposures.mature[idx],
        messages=exposures.messages,
        sent=exposures.sent,
    )


def _currency(play: Play, reached_at: IntArray, locations: dict[int, Location]) -> str:
    """The play's location's currency; for every location, that of the locations most
    of its customers were reached at (ties: alphabetical); "" without any."""
    if play.location_id is not None and play.location_id in locations:
        return locations[play.location_id].currency
    counts: dict[str, int] = {}
    ids, n = np.unique(reached_at, return_counts=True)
    for pk, count in zip(ids.tolist(), n.tolist(), strict=True):
        code = locations[int(pk)].currency
        counts[code] = counts.get(code, 0) + int(count)
    if not counts:
        return ""
    return min(counts, key=lambda code: (-counts[code], code))


def _vouchers(play: Play) -> dict[int, tuple[int, int]]:
    """Vouchers issued and redeemed per arm id, for the play's messages."""
    rows = (
        Voucher.objects.filter(message__play=play, message__arm__isnull=False)
        .values("message__arm_id")
        .annotate(issued=Count("id"), redeemed=Count("id", filter=Q(redeemed_at__isnull=False)))
        .order_by()
    )
    return {int(r["message__arm_id"]): (int(r["issued"]), int(r["redeemed"])) for r in rows}


def _with_comparisons(play: Play, groups: list[Group], mde: float) -> list[Group]:
    """Each group after the first against the first. The ratio of the groups' sizes
    for the sample sizes is the planned one (holdout percent and arm weights), which
    the groups tend to; the observed one while the plan gives none."""
    reference = groups[0]
    total_weight = sum(g.arm.weight for g in groups if g.arm is not None)
    out = [reference]
    for group in groups[1:]:
        ratio = _planned_ratio(play, reference, group, total_weight)
        versus = compare(
            group.rate,
            reference.rate,
            arm_spend=group.spend,
            control_spend=reference.spend,
            mde=mde,
            ratio=ratio,
        )
        out.append(replace(group, versus=versus))
    return out


def _planned_ratio(play: Play, reference: Group, group: Group, total_weight: int) -> float | None:
    if group.arm is None or group.arm.weight <= 0 or total_weight <= 0:
        return None
    arm_share = (100 - play.holdout_percent) / 100 * group.arm.weight / total_weight
    if reference.arm is None:
        reference_share = play.holdout_percent / 100
    else:
        reference_share = (100 - play.holdout_percent) / 100 * reference.arm.weight / total_weight
    if arm_share <= 0 or reference_share <= 0:
        return None
    return reference_share / arm_share
