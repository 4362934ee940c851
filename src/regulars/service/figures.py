"""The service figures: how well tickets, promises, follow-ups and waits were handled.

``service_figures`` reads everything with aggregates and window functions in the
database (six queries, whatever the number of rows); Python only shapes the handful of
grouped rows into dataclasses. The same SQL runs on SQLite and PostgreSQL.

Definitions (the period is ``start``..``end`` inclusive, each day being a local
calendar day of each location, in that location's own time zone):

- Tickets of the period: created in it. A ticket is *resolved* when it has a
  ``resolved_at`` (resolved or closed; reopening clears it).
- First-contact resolution: resolved tickets with ``first_contact`` / resolved tickets.
- Time to resolve: ``resolved_at − created_at`` of resolved tickets, in whole seconds,
  reported in hours; median and 90th percentile per kind.
- Service level attainment: resolved tickets with a due time resolved at or before it
  / resolved tickets with a due time. *Overdue now*: tickets of the period still active
  (open, in progress, waiting) whose due time is before ``now``.
- Promises kept: promises due in the period that are kept / kept + broken (open ones
  are not judged yet). *Overdue*: promises due in the period, still open, due before
  ``now``.
- Follow-ups on time: follow-ups due in the period (``due_on``, already a local date)
  done before the local midnight that ends ``due_on`` / all of them. *Not done*: those
  without ``done_at``.
- Returns: returns of the period's tickets per reason, with their share of all of
  them; ``PUSHED`` ("pushed into buying") is flagged as a sign of pushy selling.
- Waits: ``Visit.wait_seconds`` of visits in the period, median and 90th percentile per
  local hour of day (0-23) of the visit.
- With ``staff``: only the tickets assigned to them (and those tickets' returns), the
  promises and follow-ups they own, and the visits they served.

Percentiles interpolate linearly between the two nearest ranks, as PostgreSQL's
``percentile_cont`` and numpy's default do: the median of 1, 2, 3 and 10 hours is 2.5
hours, their 90th percentile 7.9 hours. They are computed from a frequency table with
running counts (``SUM(...) OVER``, ``LEAD``; see ``percentiles``), not with
``percentile_cont``, so that both databases run the same arithmetic.

Local time in SQL: for each time zone, the UTC offset is piecewise constant between its
transitions, which are found in Python once per zone and period (a few per year); the
query adds ``CASE WHEN t < transition₁ THEN offset₀ WHEN … END`` seconds to the Unix
time of the timestamp. That is exact across daylight-saving changes on both databases
and needs no per-row Python function (Django's tz-aware ``Extract`` uses one on SQLite).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import reduce
from itertools import pairwise
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from regulars.accounts.models import Location
from regulars.core.localtime import day_bounds_utc, zone
from regulars.service.flow import ACTIVE, PromiseStatus, ReturnReason, TicketKind
from regulars.service.models import FollowUp, Promise, Return, Ticket, Visit

if TYPE_CHECKING:
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

P50 = Fraction(1, 2)
P90 = Fraction(9, 10)
DAY_SECONDS = 86_400
HOUR_SECONDS = 3_600


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """``hits`` out of ``total``; ``share`` is None when there is nothing to judge."""

    hits: int
    total: int

    @property
    def share(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class ResolveTime:
    kind: str  # a TicketKind value
    count: int
    median_hours: float
    p90_hours: float


@dataclass(frozen=True)
class ReturnsForReason:
    reason: str  # a ReturnReason value
    count: int
    share: float | None  # of all returns of the period; None when there were none
    pushed: bool  # "pushed into buying": a return after a pushed sale


@dataclass(frozen=True)
class WaitAtHour:
    hour: int  # local hour of day, 0-23
    count: int
    median_seconds: float
    p90_seconds: float


@dataclass(frozen=True)
class ServiceFigures:
    start: date
    end: date
    tickets: int  # created in the period
    first_contact: Rate  # first-contact resolutions / resolved tickets
    resolve_times: tuple[ResolveTime, ...]  # kinds with resolved tickets, in TicketKind order
    service_level: Rate  # resolved by the due time / resolved tickets that had one
    overdue_now: int
    promises_kept: Rate  # kept / kept + broken
    promises_overdue: int
    follow_ups_on_time: Rate  # done by the end of the due day / all due
    follow_ups_not_done: int
    returns: tuple[ReturnsForReason, ...]  # every reason, in ReturnReason order
    returns_total: int
    waits: tuple[WaitAtHour, ...]  # hours with at least one wait, in order


# --- the figures --------------------------------------------------------------------------


def service_figures(
    *,
    start: date,
    end: date,
    locations: list[Location],
    staff: Any | None = None,
    now: datetime | None = None,
) -> ServiceFigures:
    """The figures for ``locations`` over the local days ``start``..``end`` (see the
    module docstring), optionally for one staff member. ``now`` (default: the current
    time) decides what is overdue. ValueError when ``end`` is before ``start``."""
    if end < start:
        raise ValueError("end is before start")
    moment = now or timezone.now()
    spans = _zone_spans(locations, start, end)
    if not spans:
        return _nothing(start, end)
    staff_id = None if staff is None else staff.pk

    tickets = Ticket.objects.filter(_within(spans, "created_at"))
    promises = Promise.objects.filter(_within(spans, "due_at"))
    follow_ups = FollowUp.objects.filter(
        location_id__in=[pk for span in spans for pk in span.location_ids],
        due_on__gte=start,
        due_on__lte=end,
    )
    visits = Visit.objects.filter(_within(spans, "at"), wait_seconds__isnull=False)
    returns = Return.objects.filter(_within(spans, "ticket__created_at", "ticket__location_id"))
    if staff_id is not None:
        tickets = tickets.filter(assignee_id=staff_id)
        promises = promises.filter(owner_id=staff_id)
        follow_ups = follow_ups.filter(owner_id=staff_id)
        visits = visits.filter(staff_id=staff_id)
        returns = returns.filter(ticket__assignee_id=staff_id)

    resolved = Q(resolved_at__isnull=False)
    with_due = resolved & Q(due_at__isnull=False)
    t = tickets.order_by().aggregate(
        created=Count("id"),
        resolved=Count("id", filter=resolved),
        first_contact=Count("id", filter=resolved & Q(first_contact=True)),
        with_due=Count("id", filter=with_due),
        in_time=Count("id", filter=with_due & Q(resolved_at__lte=F("due_at"))),
        overdue=Count("id", filter=Q(status__in=ACTIVE, due_at__lt=moment)),
    )

    by_kind = percentiles(
        tickets.filter(resolved).annotate(
            grp=F("kind"), val=UnixSeconds("resolved_at") - UnixSeconds("created_at")
        ),
        (P50, P90),
    )
    resolve_times = tuple(
        ResolveTime(
            kind=kind.value,
            count=by_kind[kind.value][0],
            median_hours=by_kind[kind.value][1][0] / HOUR_SECONDS,
            p90_hours=by_kind[kind.value][1][1] / HOUR_SECONDS,
        )
        for kind in TicketKind
        if kind.value in by_kind
    )

    p = promises.order_by().aggregate(
        kept=Count("id", filter=Q(status=PromiseStatus.KEPT)),
        broken=Count("id", filter=Q(status=PromiseStatus.BROKEN)),
        overdue=Count("id", filter=Q(status=PromiseStatus.OPEN, due_at__lt=moment)),
    )

    # Offsets a little beyond the period: a follow-up done far outside it is on time
    # (long before) or late (long after) whatever the exact offset there.
    done_spans = [span.widened(timedelta(days=2)) for span in spans]
    f = (
        follow_ups.order_by()
        .annotate(
            done_local=local_seconds("done_at", done_spans),
            # Unix seconds of the local midnight that ends due_on, read on the local clock.
            due_end=UnixSeconds("due_on") + DAY_SECONDS,
        )
        .aggregate(
            due=Count("id"),
            on_time=Count("id", filter=Q(done_at__isnull=False, done_local__lt=F("due_end"))),
            not_done=Count("id", filter=Q(done_at__isnull=True)),
        )
    )

    per_reason = dict(
        returns.order_by().values("reason").annotate(n=Count("id")).values_list("reason", "n")
    )
    returns_total = sum(per_reason.values())

    by_hour = percentiles(
        visits.annotate(grp=_hour_of_day(local_seconds("at", spans)), val=F("wait_seconds")),
        (P50, P90),
    )

    return ServiceFigures(
        start=start,
        end=end,
        tickets=t["created"],
        first_contact=Rate(t["first_contact"], t["resolved"]),
        resolve_times=resolve_times,
        service_level=Rate(t["in_time"], t["with_due"]),
        overdue_now=t["overdue"],
        promises_kept=Rate(p["kept"], p["kept"] + p["broken"]),
        promises_overdue=p["overdue"],
        follow_ups_on_time=Rate(f["on_time"], f["due"]),
        follow_ups_not_done=f["not_done"],
        returns=tuple(
            ReturnsForReason(
                reason=reason.value,
                count=per_reason.get(reason.value, 0),
                share=per_reason.get(reason.value, 0) / returns_total if returns_total else None,
                pushed=reason == ReturnReason.PUSHED,
            )
            for reason in ReturnReason
        ),
        returns_total=returns_total,
        waits=tuple(
            WaitAtHour(hour=int(hour), count=n, median_seconds=ps[0], p90_seconds=ps[1])
            for hour, (n, ps) in sorted(by_hour.items())
        ),
    )


def _nothing(start: date, end: date) -> ServiceFigures:
    return ServiceFigures(
        start=start,
        end=end,
        tickets=0,
        first_contact=Rate(0, 0),
        resolve_times=(),
        service_level=Rate(0, 0),
        overdue_now=0,
        promises_kept=Rate(0, 0),
        promises_overdue=0,
        follow_ups_on_time=Rate(0, 0),
        follow_ups_not_done=0,
        returns=tuple(
            ReturnsForReason(r.value, 0, None, r == ReturnReason.PUSHED) for r in ReturnReason
        ),
        returns_total=0,
        waits=(),
    )


# --- percentiles --------------------------------------------------------------------------


# One percentile from the running counts of a frequency table (see ``percentiles``): the
# row whose ranks cum−c … cum−1 hold rank k = ⌊h⌋, h = (n−1)·num/den, gives the value; the
# next row's value comes in only when k is the row's last rank. Integer comparisons only.
_PICK = (
    "MAX(CASE WHEN (cum - c) * {den} <= (n - 1) * {num} AND (n - 1) * {num} < cum * {den} "
    "THEN CASE WHEN (n - 1) * {num} < (cum - 1) * {den} THEN val "
    "ELSE val + (COALESCE(nxt, val) - val) * ((n - 1) * {num} - (cum - 1) * {den}) / {den} "
    "END END)"
)
_PICK_SLOTS = re.findall(r"\{(num|den)\}", _PICK)


def percentiles(
    rows: QuerySet[Any], fractions: Sequence[Fraction]
) -> dict[Any, tuple[int, tuple[float, ...]]]:
    """Per value of the ``grp`` annotation of ``rows``: how many non-null ``val`` values
    it has and their percentiles at ``fractions`` (each between 0 and 1), interpolated
    linearly between the nearest ranks (PostgreSQL's ``percentile_cont``). One query.

    The value at fraction p of n sorted values v₀…vₙ₋₁ is vₖ + (vₖ₊₁ − vₖ)·(h − k) with
    h = (n − 1)·p and k = ⌊h⌋. The query first counts equal values (waits repeat a lot),
    then finds rank k from the running count per group (window functions over the
    distinct values only); p is a fraction so that every test on ranks is integer
    arithmetic, the same on every database.
    """
    inner_sql, inner_params = rows.order_by().values("grp", "val").query.sql_with_params()
    picks: list[str] = []
    params: list[Any] = list(inner_params)
    for p in fractions:
        if not 0 <= p <= 1:
            raise ValueError(f"a percentile fraction must be between 0 and 1, not {p}")
        picks.append(_PICK.replace("{num}", "%s").replace("{den}", "%s"))
        params += [p.numerator if slot == "num" else p.denominator for slot in _PICK_SLOTS]
    # Only the compiler's own SQL and placeholders are put together here.
    sql = (
        "WITH counted AS ("  # noqa: S608
        "SELECT src.grp AS grp, CAST(src.val AS DOUBLE PRECISION) AS val, COUNT(*) AS c "
        f"FROM ({inner_sql}) src WHERE src.val IS NOT NULL GROUP BY src.grp, src.val), "
        "ranked AS (SELECT grp, val, c, "
        "CAST(SUM(c) OVER w AS BIGINT) AS cum, "
        "CAST(SUM(c) OVER (PARTITION BY grp) AS BIGINT) AS n, "
        "LEAD(val) OVER w AS nxt "
        "FROM counted WINDOW w AS (PARTITION BY grp ORDER BY val)) "
        f"SELECT grp, MAX(n), {', '.join(picks)} FROM ranked GROUP BY grp"
    )
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return {
            row[0]: (int(row[1]), tuple(float(v) for v in row[2:])) for row in cursor.fetchall()
        }


# --- time in SQL -----------------------------------------------------------------------------


class UnixSeconds(Func):
    """Whole seconds since 1970-01-01 00:00 UTC of a datetime column (fractions dropped);
    of a date column, those of its midnight read as UTC."""

    output_field = IntegerField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        # "%%%%" becomes "%%" here and "%" at the cursor.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra,
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)",
            **extra,
        )


@dataclass(frozen=True)
class ZoneSpan:
    """The locations of one time zone and the UTC instants their period runs over."""

    tz_name: str
    location_ids: tuple[int, ...]
    lo: datetime
    hi: datetime

    def widened(self, by: timedelta) -> ZoneSpan:
        return ZoneSpan(self.tz_name, self.location_ids, self.lo - by, self.hi + by)


def _zone_spans(locations: Sequence[Location], start: date, end: date) -> list[ZoneSpan]:
    by_zone: dict[str, list[int]] = defaultdict(list)
    for loc in locations:
        by_zone[loc.timezone].append(loc.pk)
    return [
        ZoneSpan(
            tz_name,
            tuple(sorted(ids)),
            day_bounds_utc(start, tz_name)[0],
            day_bounds_utc(end, tz_name)[1],
        )
        for tz_name, ids in sorted(by_zone.items())
    ]


def _within(spans: Sequence[ZoneSpan], field: str, location_field: str = "location_id") -> Q:
    """Rows of the spans' locations whose ``field`` falls in their zone's period."""
    return reduce(
        or_,
        (
            Q(**{f"{location_field}__in": span.location_ids, f"{field}__gte": span.lo})
            & Q(**{f"{field}__lt": span.hi})
            for span in spans
        ),
    )


def utc_offsets(tz_name: str, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """The UTC offsets (seconds) of a zone between ``lo`` and ``hi``: the offset at
    ``lo`` (paired with None), then each transition instant with the offset from then.
    Transitions are searched day by day and pinned to the second by bisection."""
    tz = zone(tz_name)

    def offset(unix: int) -> int:
        moment = datetime.fromtimestamp(unix, tz)
        delta = moment.utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    first, last = int(lo.timestamp()), int(hi.timestamp())
    segments: list[tuple[datetime | None, int]] = [(None, offset(first))]
    current = segments[0][1]
    day = first
    while day < last:
        following = min(day + DAY_SECONDS, last)
        if offset(following) != current:
            below, above = day, following  # offset(below) == current != offset(above)
            while above - below > 1:
                middle = (below + above) // 2
                if offset(middle) == current:
                    below = middle
                else:
                    above = middle
            current = offset(above)
            segments.append((datetime.fromtimestamp(above, UTC), current))
        day = following
    return segments


def local_seconds(field: str, spans: Sequence[ZoneSpan]) -> Expression:
    """Unix seconds of the local wall-clock time of ``field`` at each row's location
    (exact across offset changes within each span; outside, the span's edge offsets)."""

    def offset_sql(span: ZoneSpan) -> Expression:
        segments = utc_offsets(span.tz_name, span.lo, span.hi)
        if len(segments) == 1:
            return Value(segments[0][1])
        whens = [
            When(**{f"{field}__lt": until}, then=Value(before))
            for (_since, before), (until, _after) in pairwise(segments)
        ]
        return Case(*whens, default=Value(segments[-1][1]), output_field=IntegerField())

    if len(spans) == 1:
        offset: Expression = offset_sql(spans[0])
    else:
        offset = Case(
            *(When(location_id__in=span.location_ids, then=offset_sql(span)) for span in spans),
            default=Value(0),
            output_field=IntegerField(),
        )
    return UnixSeconds(field) + offset


def _hour_of_day(local: Expression) -> Expression:
    # Integer arithmetic on both databases: seconds into the local day, whole hours.
    return (local % DAY_SECONDS) / HOUR_SECONDS
