"""The feedback dashboard's figures: responses loaded as numpy arrays, then the pure
``regulars.analytics`` functions over them. No statistics are computed here.

``compute_dashboard(arrays)`` is everything the page shows that comes from the answers
(headline NPS/CSAT/CES, trends, quality gaps, consistency, the loyalty link, topic
shares); ``load_arrays(filter)`` reads the arrays from the database in a fixed number of
queries (``values_list``, never model instances), and ``recovery_funnel(filter)`` counts
the service recoveries. ``bench.feedback`` times ``compute_dashboard`` on simulated
arrays of five million responses, so the benchmark runs the page's own code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from regulars.accounts.models import Location
from regulars.analytics.consistency import ConsistencyResult, consistency
from regulars.analytics.loyalty_link import LoyaltyLinkResult, loyalty_link
from regulars.analytics.quality import (
    CESResult,
    CSATResult,
    NPSResult,
    ServqualDimension,
    ServqualResult,
    ces,
    csat,
    nps,
    servqual,
)
from regulars.analytics.stats import Z_95, Interval, is_small_sample, wilson_interval
from regulars.analytics.trends import (
    Period,
    Trend,
    bucket,
    feedback_trend,
    shares_by_bucket,
    topic_counts_by_bucket,
)
from regulars.core.localtime import day_bounds_utc
from regulars.feedback.instruments import DIMENSIONS, ITEMS
from regulars.feedback.models import QualityAnswer, Recovery, RecoveryStatus, Response
from regulars.service.figures import utc_offsets
from regulars.service.models import Visit

RETURN_DAYS = 90  # "came back": a visit within this many days after answering
MONTHLY_AFTER_DAYS = 183  # periods longer than about six months are shown by month
NPS_GROUPS = ("detractor", "passive", "promoter")
CSAT_LEVELS = (1, 2, 3, 4, 5)
NO_STAFF = -1  # staff code of responses nobody served (or whose staff was removed)
DAY_SECONDS = 86_400
ITEM_KEYS: tuple[tuple[str, int], ...] = tuple((i.dimension, i.number) for i in ITEMS)
ITEM_COLUMN = {key: column for column, key in enumerate(ITEM_KEYS)}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --- the arrays ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class QualityArrays:
    """The five-dimension survey of the responses that answered it (m rows).

    ``expectations``/``perceptions``: m × 15 answers 1..7 (NaN = skipped), columns in
    ``ITEM_KEYS`` order; ``importance``: m × 5 points (``DIMENSIONS`` order) summing to
    100, a row of NaN where not given.
    """

    expectations: FloatArray
    perceptions: FloatArray
    importance: FloatArray

    @property
    def rows(self) -> int:
        return int(self.expectations.shape[0])


@dataclass(frozen=True, eq=False)
class FeedbackArrays:
    """One entry per response (n rows), as the dashboard needs them.

    ``day``: business-local day (days since 1970-01-01, in the location's time zone);
    ``location``/``staff``: ids (``NO_STAFF`` when none); ``csat`` (1..5), ``nps``
    (0..10), ``ces`` (1..7): NaN when not asked or not answered; ``came_back``: 1 when
    the customer visited within 90 days after answering, 0 when not, NaN when the 90
    days have not passed or the customer is unknown; ``commented``: the response has a
    reason or a comment; ``topics``/``negative_topics``: n × len(topic_names) flags.
    """

    day: IntArray
    location: IntArray
    staff: IntArray
    csat: FloatArray
    nps: FloatArray
    ces: FloatArray
    came_back: FloatArray
    commented: BoolArray
    topic_names: tuple[str, ...]
    topics: BoolArray
    negative_topics: BoolArray
    quality: QualityArrays

    @property
    def rows(self) -> int:
        return int(self.day.size)


# --- the figures --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicFigures:
    """Share of commented responses mentioning a topic, over the whole period and per
    bucket, and the share of those mentions that were negative."""

    topic: str
    mentions: int
    share: float | None
    share_ci: Interval | None
    negative: int
    negative_share: float | None
    by_bucket: tuple[float | None, ...]
    small_sample: bool


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    """Everything the dashboard computes from the answers."""

    n: int
    period: Period
    bucket_starts: tuple[date, ...]
    nps: NPSResult
    csat: CSATResult
    ces: CESResult
    trend: Trend
    quality: ServqualResult | None
    staff_consistency: ConsistencyResult
    location_consistency: ConsistencyResult
    loyalty_csat: LoyaltyLinkResult
    loyalty_nps: LoyaltyLinkResult
    commented: int
    commented_by_bucket: tuple[int, ...]
    topics: tuple[TopicFigures, ...]


def period_for(days: int) -> Period:
    """Weekly buckets, or monthly ones for a period longer than about six months."""
    return "month" if days > MONTHLY_AFTER_DAYS else "week"


def _narrow(labels: IntArray) -> npt.NDArray[np.signedinteger[Any]]:
    """Integer labels in the narrowest signed type that holds them (same values)."""
    if labels.size == 0:
        return labels
    low, high = int(labels.min()), int(labels.max())
    for kind in (np.int8, np.int16, np.int32):
        info = np.iinfo(kind)
        if info.min <= low and high <= info.max:
            return labels.astype(kind)
    return labels


def nps_groups(scores: FloatArray) -> npt.NDArray[np.int8]:
    """0 detractor (0–6), 1 passive (7–8), 2 promoter (9–10); −1 for no answer."""
    group = np.full(scores.shape, -1, dtype=np.int8)
    group[scores <= 6] = 0
    group[(scores >= 7) & (scores <= 8)] = 1
    group[scores >= 9] = 2
    return group


def compute_dashboard(arrays: FeedbackArrays, *, period: Period = "week") -> DashboardFigures:
    """The dashboard's figures from the answers (see :class:`DashboardFigures`).

    Buckets run from the first to the last day with an answer. Every statistic is the
    one of ``regulars.analytics`` with its own contract (NaN = not answered).
    """
    a = arrays
    trend = feedback_trend(a.day, nps_scores=a.nps, csat_scores=a.csat, period=period)
    starts = tuple(b.start for b in trend.buckets)

    quality: ServqualResult | None = None
    if a.quality.rows:
        dims = [
            ServqualDimension(
                name=dim,
                expectations=a.quality.expectations[:, columns],
                perceptions=a.quality.perceptions[:, columns],
            )
            for dim in DIMENSIONS
            for columns in [[ITEM_COLUMN[key] for key in ITEM_KEYS if key[0] == dim]]
        ]
        quality = servqual(dims, a.quality.importance)

    # Consistency of CSAT: the score every survey asks first. Labels and levels go in
    # as the narrowest integers that hold them: the functions sort them, and a narrower
    # sort is faster (a third of the time at five million rows).
    rated = ~np.isnan(a.csat)
    scores = a.csat[rated]
    staff = a.staff[rated]
    served = staff != NO_STAFF
    staff_consistency = consistency(scores[served], _narrow(staff[served]))
    location_consistency = consistency(scores, _narrow(a.location[rated]))

    # The loyalty link: only responses with an answer at that level (NaN is pending).
    loyalty_csat = loyalty_link(scores.astype(np.int8), a.came_back[rated], order=CSAT_LEVELS)
    groups = nps_groups(a.nps)
    has_nps = groups >= 0
    loyalty_nps = loyalty_link(groups[has_nps], a.came_back[has_nps], order=(0, 1, 2))

    topics, commented_by_bucket = _topic_figures(a, period)
    return DashboardFigures(
        n=a.rows,
        period=period,
        bucket_starts=starts,
        nps=nps(a.nps),
        csat=csat(a.csat),
        ces=ces(a.ces),
        trend=trend,
        quality=quality,
        staff_consistency=staff_consistency,
        location_consistency=location_consistency,
        loyalty_csat=loyalty_csat,
        loyalty_nps=loyalty_nps,
        commented=int(a.commented.sum()),
        commented_by_bucket=commented_by_bucket,
        topics=topics,
    )


def _topic_figures(
    a: FeedbackArrays, period: Period
) -> tuple[tuple[TopicFigures, ...], tuple[int, ...]]:
    n_topics = len(a.topic_names)
    if a.rows == 0:
        return (), ()
    buckets = bucket(a.day, period)
    size = len(buckets.starts)
    commented_by_bucket = np.bincount(buckets.index, weights=a.commented, minlength=size).astype(
        np.int64
    )
    if n_topics == 0:
        return (), tuple(int(v) for v in commented_by_bucket)
    rows, columns = np.nonzero(a.topics)
    counts = topic_counts_by_bucket(a.day[rows], columns, n_topics, period)
    # The topic series spans only the days with mentions: place it on the full buckets.
    matrix = np.zeros((size, n_topics), dtype=np.int64)
    if counts.starts:
        offset = buckets.starts.index(counts.starts[0])
        matrix[offset : offset + len(counts.starts)] = counts.counts
    shares = shares_by_bucket(matrix, commented_by_bucket)
    mentions = matrix.sum(axis=0)
    negative = (a.negative_topics & a.topics).sum(axis=0)
    commented = int(a.commented.sum())
    out = tuple(
        TopicFigures(
            topic=name,
            mentions=int(mentions[t]),
            share=float(mentions[t] / commented) if commented else None,
            share_ci=wilson_interval(int(mentions[t]), commented, Z_95),
            negative=int(negative[t]),
            negative_share=float(negative[t] / mentions[t]) if mentions[t] else None,
            by_bucket=tuple(None if row is None else row[t] for row in shares.shares),
            small_sample=is_small_sample(int(mentions[t])),
        )
        for t, name in enumerate(a.topic_names)
    )
    return tuple(sorted(out, key=lambda f: (-f.mentions, f.topic))), tuple(
        int(v) for v in commented_by_bucket
    )


# --- loading from the database ------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackFilter:
    """Which responses: submitted on the local days ``start``..``end`` at
    ``locations`` (each in its own time zone), optionally one staff member, channel
    and trigger."""

    start: date
    end: date
    locations: Sequence[Location]
    staff_id: int | None = None
    channel: str = ""
    trigger: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def period(self) -> Period:
        return period_for(self.days)

    def within(self, field: str = "submitted_at", prefix: str = "") -> Q:
        """Rows of the locations whose ``field`` falls in the period, per time zone."""
        by_zone: dict[str, list[int]] = {}
        for loc in self.locations:
            by_zone.setdefault(loc.timezone, []).append(loc.pk)
        condition = Q(pk__in=[])
        for tz_name, ids in sorted(by_zone.items()):
            lo = day_bounds_utc(self.start, tz_name)[0]
            hi = day_bounds_utc(self.end, tz_name)[1]
            condition |= Q(
                **{f"{prefix}location_id__in": ids, f"{field}__gte": lo, f"{field}__lt": hi}
            )
        return condition

    def responses(self) -> QuerySet[Response]:
        rows = Response.objects.filter(self.within())
        if self.staff_id is not None:
            rows = rows.filter(staff_id=self.staff_id)
        if self.channel:
            rows = rows.filter(channel=self.channel)
        if self.trigger:
            rows = rows.filter(trigger=self.trigger)
        return rows


def came_back_expression() -> Exists:
    """Whether the response's customer has a visit within ``RETURN_DAYS`` after it."""
    until = ExpressionWrapper(
        OuterRef("submitted_at") + timedelta(days=RETURN_DAYS), output_field=DateTimeField()
    )
    return Exists(
        Visit.objects.filter(
            customer_id=OuterRef("customer_id"), at__gt=OuterRef("submitted_at"), at__lte=until
        )
    )


def _local_days(
    seconds: npt.NDArray[np.int64], location: IntArray, zones: dict[int, str]
) -> IntArray:
    """Business-local day numbers of UTC instants, each in its location's time zone."""
    days = np.zeros(seconds.size, dtype=np.int64)
    if seconds.size == 0:
        return days
    lo = datetime.fromtimestamp(int(seconds.min()), UTC)
    hi = datetime.fromtimestamp(int(seconds.max()) + 1, UTC)
    by_zone: dict[str, list[int]] = {}
    for loc_id, tz_name in zones.items():
        by_zone.setdefault(tz_name, []).append(loc_id)
    for tz_name, ids in by_zone.items():
        mask = np.isin(location, ids)
        segments = utc_offsets(tz_name, lo, hi)
        since = np.array(
            [int(s.timestamp()) for s, _o in segments[1:] if s is not None], dtype=np.int64
        )
        offsets = np.array([o for _s, o in segments], dtype=np.int64)
        own = seconds[mask]
        days[mask] = (own + offsets[np.searchsorted(since, own, side="right")]) // DAY_SECONDS
    return days


def _float(values: Sequence[Any]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def load_arrays(
    flt: FeedbackFilter, *, now: datetime | None = None
) -> tuple[FeedbackArrays, tuple[str, ...]]:
    """The filter's responses as arrays (two queries), and the topics in them by name.

    Topic columns are the topics met in the period, in name order.
    """
    moment = now or timezone.now()
    responses = flt.responses().order_by()
    rows = list(
        responses.annotate(
            came_back=came_back_expression(),
            commented=ExpressionWrapper(~Q(why="") | ~Q(comment=""), output_field=BooleanField()),
        ).values_list(
            "id",
            "submitted_at",
            "location_id",
            "staff_id",
            "csat",
            "nps",
            "ces",
            "customer_id",
            "came_back",
            "commented",
            "topics",
            "negative_topics",
            "importance",
        )
    )
    n = len(rows)
    columns = list(zip(*rows, strict=True)) if rows else [()] * 13
    ids, submitted, location, staff = columns[0], columns[1], columns[2], columns[3]
    seconds = np.array([int(s.timestamp()) for s in submitted], dtype=np.int64)
    location_arr = np.array(location, dtype=np.int64)
    zones = {loc.pk: loc.timezone for loc in flt.locations}
    passed = seconds + RETURN_DAYS * DAY_SECONDS <= int(moment.timestamp())
    known = np.array([c is not None for c in columns[7]], dtype=np.bool_)
    back = np.array(columns[8], dtype=np.float64) if n else np.zeros(0)
    names = tuple(sorted({t for topics in columns[10] for t in topics or ()}))
    column_of = {name: i for i, name in enumerate(names)}
    topics = np.zeros((n, len(names)), dtype=np.bool_)
    negative = np.zeros((n, len(names)), dtype=np.bool_)
    for row, (mentioned, unhappy) in enumerate(zip(columns[10], columns[11], strict=True)):
        for topic in mentioned or ():
            topics[row, column_of[topic]] = True
        for topic in unhappy or ():
            if topic in column_of:
                negative[row, column_of[topic]] = True

    arrays = FeedbackArrays(
        day=_local_days(seconds, location_arr, zones),
        location=location_arr,
        staff=np.array([NO_STAFF if s is None else s for s in staff], dtype=np.int64),
        csat=_float(columns[4]),
        nps=_float(columns[5]),
        ces=_float(columns[6]),
        came_back=np.where(passed & known, back, np.nan),
        commented=np.array(columns[9], dtype=np.bool_),
        topic_names=names,
        topics=topics,
        negative_topics=negative,
        quality=_load_quality(responses, list(ids), columns[12]),
    )
    return arrays, names


def _load_quality(
    responses: QuerySet[Response], ids: list[int], importance: Sequence[Any]
) -> QualityArrays:
    answers = QualityAnswer.objects.filter(response__in=responses.values("id")).values_list(
        "response_id", "dimension", "item", "expected", "perceived"
    )
    row_of: dict[int, int] = {}
    cells: list[tuple[int, int, float, float]] = []
    for response_id, dimension, item, expected, perceived in answers:
        column = ITEM_COLUMN.get((dimension, item))
        if column is None:
            continue
        row = row_of.setdefault(response_id, len(row_of))
        cells.append(
            (
                row,
                column,
                math.nan if expected is None else float(expected),
                math.nan if perceived is None else float(perceived),
            )
        )
    m = len(row_of)
    expectations = np.full((m, len(ITEM_KEYS)), np.nan)
    perceptions = np.full((m, len(ITEM_KEYS)), np.nan)
    for row, column, e, p in cells:
        expectations[row, column] = e
        perceptions[row, column] = p
    weights = np.full((m, len(DIMENSIONS)), np.nan)
    position = {response_id: i for i, response_id in enumerate(ids)}
    for response_id, row in row_of.items():
        points = importance[position[response_id]] if response_id in position else None
        if points and sum(points.get(d, 0) for d in DIMENSIONS) == 100:
            weights[row] = [float(points.get(d, 0)) for d in DIMENSIONS]
    return QualityArrays(expectations, perceptions, weights)


# --- the recovery funnel ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveryFunnel:
    """Service recoveries of the period's responses, step by step.

    ``detractors``: unhappy responses (each opens a recovery when the customer is
    known). A step counts every recovery that reached it, whatever happened next.
    ``rate``: recovered / ended (recovered + lost), with its Wilson interval;
    ``median_hours``: median time from opening to recovered.
    """

    detractors: int
    opened: int
    contacted: int
    remedy: int
    resurveyed: int
    recovered: int
    lost: int
    still_open: int
    rate: float | None
    rate_ci: Interval | None
    median_hours: float | None
    small_sample: bool


def recovery_funnel(flt: FeedbackFilter) -> RecoveryFunnel:
    """Counts over the recoveries of the filter's responses (two queries)."""
    responses = flt.responses()
    detractors = responses.filter(detractor=True).count()
    recoveries = Recovery.objects.filter(response__in=responses.values("id"))
    counts = recoveries.order_by().aggregate(
        opened=Count("id"),
        contacted=Count("id", filter=Q(contacted_at__isnull=False)),
        remedy=Count("id", filter=Q(remedy_at__isnull=False)),
        resurveyed=Count("id", filter=Q(resurveyed_at__isnull=False)),
        recovered=Count("id", filter=Q(status=RecoveryStatus.RECOVERED)),
        lost=Count("id", filter=Q(status=RecoveryStatus.LOST)),
    )
    durations = np.array(
        [
            (closed - opened).total_seconds() / 3600
            for opened, closed in recoveries.filter(
                status=RecoveryStatus.RECOVERED, closed_at__isnull=False
            )
            .order_by()
            .values_list("opened_at", "closed_at")
            if closed is not None
        ],
        dtype=np.float64,
    )
    recovered, lost = counts["recovered"], counts["lost"]
    ended = recovered + lost
    return RecoveryFunnel(
        detractors=detractors,
        opened=counts["opened"],
        contacted=counts["contacted"],
        remedy=counts["remedy"],
        resurveyed=counts["resurveyed"],
        recovered=recovered,
        lost=lost,
        still_open=counts["opened"] - ended,
        rate=recovered / ended if ended else None,
        rate_ci=wilson_interval(recovered, ended, Z_95),
        median_hours=float(np.median(durations)) if durations.size else None,
        small_sample=is_small_sample(ended),
    )


# --- the comments behind a figure ---------------------------------------------------------


def comment_ids(
    flt: FeedbackFilter, *, topic: str = "", negative: bool = False, dimension: str = ""
) -> list[int]:
    """Ids of the filter's responses with a reason or comment, newest first: those
    mentioning ``topic`` (negatively, with ``negative``), and/or whose answers on
    ``dimension`` fell short of what they expected."""
    rows = flt.responses().exclude(why="", comment="")
    if dimension:
        rows = rows.filter(
            quality__dimension=dimension, quality__perceived__lt=F("quality__expected")
        ).distinct()
    ordered = rows.order_by("-submitted_at", "-id")
    if not topic:
        return list(ordered.values_list("id", flat=True))
    field = "negative_topics" if negative else "topics"
    # Topic lists are JSON, which SQLite cannot search by element: filter here.
    return [pk for pk, topics in ordered.values_list("id", field) if topic in (topics or ())]
