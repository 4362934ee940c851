"""Cohort retention: of the customers whose first visit fell in a month (or ISO week),
how many came back in each later month (week).

Input is one row per visit, as in ``analytics.rhythm``: ``customer`` (integer ids) and
``at`` (UTC instants, int64 seconds or ``datetime64``); ``now`` a UTC instant as well.
Calendar periods are those of the business's wall clock, ``local_offset_s`` seconds east
of UTC (one scalar, which dates ``now`` too; with daylight saving the standard offset
moves only visits within an hour of midnight on the first of a month).

Definitions:

- a customer's *cohort* is the period of their first visit (up to ``now``);
- cell (cohort c, k) counts the cohort's customers with at least one visit in period
  c + k, so k = 0 is the whole cohort (100 %) and ``retention`` = active / size;
- a cell is *observable* when period c + k has begun by ``now`` (the current period
  counts, and is still filling); later cells are masked out: 0 in ``active`` and
  ``retention``, False in ``observable``. Charts draw the triangle from the mask;
- periods: calendar months, labelled (year, month 1-12); or ISO weeks, Monday to Sunday,
  labelled (ISO year, ISO week 1-53), the ISO year being that of the week's Thursday;
- visits after ``now`` are ignored and counted in ``future_dropped``.

Chunks: results over disjoint sets of customers (the Django side streams visits by
customer-id ranges) combine with :func:`merge`, which adds the counts of equal cohorts;
a customer's visits must all be in one chunk, or they would be counted twice. The
result over no visits is the identity of ``merge``.

Cost: O(n) — periods through a small per-day table, distinct (customer, period) pairs by
marking a bitmap when their range is small (chunks of customers) and one sort
otherwise. 20 M visits take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from regulars.analytics.rhythm import epoch_seconds
from regulars.analytics.stats import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

SECONDS_PER_DAY = 86_400


class Period(StrEnum):
    """Cohort period; the value is what callers pass (``period="month"``)."""

    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True, slots=True, eq=False)
class CohortRetention:
    """Retention by cohort, one row per cohort with at least one customer, oldest first.

    ``cohort``: period index, months since January 1970 or weeks since Monday 29 December
    1969; ``labels``: (cohorts, 2) ints, (year, month) or (ISO year, ISO week).
    ``size``: customers per cohort. ``active``, ``observable``, ``retention``: (cohorts,
    periods) matrices, column k for k periods after the cohort's; there are
    ``max_periods`` + 1 columns, or without a maximum as many as the oldest cohort can
    have observed (none without cohorts). ``now_period``: the period index of ``now``.
    ``period``, ``max_periods`` and ``local_offset_s`` as passed; ``future_dropped``:
    visits after ``now`` ignored.
    """

    period: Period
    cohort: IntArray
    labels: IntArray
    size: IntArray
    active: IntArray
    observable: BoolArray
    retention: FloatArray
    now_period: int
    max_periods: int | None
    local_offset_s: int
    future_dropped: int


def _month_of_days(days: IntArray) -> IntArray:
    """Months since January 1970 of day numbers (days since 1970-01-01), through a table
    over the days' range: one gather instead of a calendar conversion per visit."""
    if days.size == 0:
        return days
    lo, hi = int(days.min()), int(days.max())
    if hi - lo > 400_000:  # over a thousand years: stray timestamps, convert each visit
        months = days.astype("datetime64[D]").astype("datetime64[M]")
        return np.asarray(months.astype(np.int64), dtype=np.int64)
    table = np.arange(lo, hi + 1).astype("datetime64[D]").astype("datetime64[M]")
    return np.asarray(table.astype(np.int64)[days - lo], dtype=np.int64)


def _period_of_days(days: IntArray, period: Period) -> IntArray:
    if period is Period.MONTH:
        return _month_of_days(days)
    # 1970-01-01 was a Thursday: week 0 runs from Monday 1969-12-29.
    return (days + 3) // 7


def _labels(cohort: IntArray, period: Period) -> IntArray:
    if period is Period.MONTH:
        return np.stack([cohort // 12 + 1970, cohort % 12 + 1], axis=1).astype(np.int64)
    thursday = (7 * cohort).astype("datetime64[D]")
    year = thursday.astype("datetime64[Y]")
    day_of_year = (thursday - year.astype("datetime64[D]")).astype(np.int64)
    return np.stack([year.astype(np.int64) + 1970, day_of_year // 7 + 1], axis=1).astype(np.int64)


def _distinct_pairs(cust: IntArray, per: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct (customer, period) pairs sorted by customer then period. When the
    pairs' range is at most eight slots per visit (a chunk of customers over some years
    of months), marking a bitmap and reading it back is O(n) and several times faster
    than sorting; otherwise one stable sort (near O(n) on rows sorted by customer)."""
    c_min, p_min = int(cust.min()), int(per.min())
    p_span = int(per.max()) - p_min + 1
    span = (int(cust.max()) - c_min + 1) * p_span
    if span >= 2**62:  # ids too far apart to pack: rank them
        ids, inverse = np.unique(cust, return_inverse=True)
        codes, periods = _distinct_pairs(inverse.ravel().astype(np.int64), per)
        return np.asarray(ids[codes], dtype=np.int64), periods
    key = cust - c_min
    key *= p_span
    key += per - p_min
    if span <= max(8 * cust.size, 1 << 24):
        seen = np.zeros(span, dtype=bool)
        seen[key] = True
        key = np.flatnonzero(seen)
    else:
        key.sort(kind="stable")
        new = np.ones(key.size, dtype=bool)
        np.not_equal(key[1:], key[:-1], out=new[1:])
        key = key[new]
    return key // p_span + c_min, key % p_span + p_min


def cohort_retention(
    customer: npt.ArrayLike,
    at: npt.ArrayLike,
    *,
    now: int | np.datetime64,
    period: Period | str = Period.MONTH,
    local_offset_s: int = 0,
    max_periods: int | None = None,
) -> CohortRetention:
    """Cohort retention of the customers in ``customer``/``at`` (see the module
    docstring). ``period``: ``"month"`` or ``"week"``; ``max_periods``: the largest k
    reported (None: as far as the oldest cohort reaches). Raises ``ValueError`` on
    mismatched lengths, non-integer ids or times, NaT, an unknown period or a negative
    ``max_periods``."""
    kind = Period(period)
    if max_periods is not None and max_periods < 0:
        raise ValueError("max_periods must be >= 0")
    cust = np.asarray(customer).ravel()
    if cust.size and not np.issubdtype(cust.dtype, np.integer):
        raise ValueError(f"customer must be integer ids, got {cust.dtype}")
    cust = cust.astype(np.int64, copy=False)
    utc = epoch_seconds(at, "at").ravel()
    if utc.size != cust.size:
        raise ValueError(f"customer and at differ in length: {cust.size} != {utc.size}")
    offset = int(local_offset_s)
    now_s = int(epoch_seconds(np.asarray(now), "now").ravel()[0])
    now_day = np.array([(now_s + offset) // SECONDS_PER_DAY], dtype=np.int64)
    now_period = int(_period_of_days(now_day, kind)[0])
    past = utc <= now_s
    future = int(cust.size - np.count_nonzero(past))
    if future:
        cust, utc = cust[past], utc[past]
    if cust.size == 0:
        width = 0 if max_periods is None else max_periods + 1
        active = np.zeros((0, width), dtype=np.int64)
        cohorts = np.zeros(0, dtype=np.int64)
        return _finish(kind, cohorts, active, now_period, max_periods, offset, future)
    day = utc + offset
    day //= SECONDS_PER_DAY
    p_cust, p_per = _distinct_pairs(cust, _period_of_days(day, kind))
    del cust, utc, day

    opens = np.ones(p_cust.size, dtype=bool)
    np.not_equal(p_cust[1:], p_cust[:-1], out=opens[1:])
    first = p_per[opens][np.cumsum(opens) - 1]
    k = p_per - first
    cohorts = np.unique(first[opens])
    width = max_periods + 1 if max_periods is not None else now_period - int(cohorts[0]) + 1
    inside = k < width
    row = np.searchsorted(cohorts, first[inside])
    active = np.bincount(row * width + k[inside], minlength=cohorts.size * width)
    return _finish(
        kind,
        cohorts,
        active.reshape(cohorts.size, width).astype(np.int64),
        now_period,
        max_periods,
        offset,
        future,
    )


def _finish(
    kind: Period,
    cohorts: IntArray,
    active: IntArray,
    now_period: int,
    max_periods: int | None,
    offset: int,
    future: int,
) -> CohortRetention:
    """The result from the cohorts and their active counts (sizes in column 0)."""
    width = active.shape[1]
    observable = cohorts[:, None] + np.arange(width) <= now_period
    size = active[:, 0].copy() if width else np.zeros(cohorts.size, dtype=np.int64)
    retention = np.where(observable, active / np.maximum(size, 1)[:, None], 0.0)
    return CohortRetention(
        period=kind,
        cohort=cohorts,
        labels=_labels(cohorts, kind),
        size=size,
        active=active,
        observable=observable,
        retention=retention.astype(np.float64),
        now_period=now_period,
        max_periods=max_periods,
        local_offset_s=offset,
        future_dropped=future,
    )


def merge(a: CohortRetention, b: CohortRetention) -> CohortRetention:
    """Combine results over disjoint sets of customers: counts of equal cohorts add up.

    Both must share ``period``, ``now_period``, ``max_periods`` and ``local_offset_s``
    (ValueError otherwise). Without a maximum the wider matrix sets the width."""
    for name in ("period", "now_period", "max_periods", "local_offset_s"):
        if getattr(a, name) != getattr(b, name):
            raise ValueError(f"cannot merge cohort results with different {name}")
    cohorts = np.union1d(a.cohort, b.cohort).astype(np.int64)
    if a.max_periods is not None:
        width = a.max_periods + 1
    else:
        width = a.now_period - int(cohorts[0]) + 1 if cohorts.size else 0
    active = np.zeros((cohorts.size, width), dtype=np.int64)
    for part in (a, b):
        rows = np.searchsorted(cohorts, part.cohort)
        active[rows, : part.active.shape[1]] += part.active
    return _finish(
        a.period,
        cohorts,
        active,
        a.now_period,
        a.max_periods,
        a.local_offset_s,
        a.future_dropped + b.future_dropped,
    )
