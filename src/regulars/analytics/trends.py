"""Per-period series of feedback figures: weekly or monthly NPS, CSAT and topic shares.

Days are integers (days since 1970-01-01) or ``numpy.datetime64`` values (truncated to
the day). Weeks are ISO weeks starting on Monday; months are calendar months. The series
is continuous: every bucket between the first and the last day appears, empty ones with
n = 0 and ``None`` figures.

Pure numpy/scipy. Cost: O(rows) vectorised — bucket numbers are computed arithmetically
(no sort) and aggregated with ``np.bincount``; then O(buckets) to build the result.
5 M rows take a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from regulars.analytics.quality import nps_arrays
from regulars.analytics.stats import (
    Z_95,
    FloatArray,
    IntArray,
    Interval,
    mean_intervals,
    optional,
    optional_interval,
    wilson_interval,
)

Period = Literal["week", "month"]

MAX_BUCKETS = 100_000
"""Refuse spans longer than this many buckets (a stray day number, not a real series)."""


@dataclass(frozen=True, slots=True, eq=False)
class Buckets:
    """Rows assigned to periods: ``index[i]`` is the bucket of row *i*; ``starts[b]`` is
    the first day (a Monday, or the 1st of a month) of bucket *b*."""

    period: Period
    starts: tuple[dt.date, ...]
    index: IntArray


def day_numbers(days: npt.ArrayLike) -> IntArray:
    """Days since 1970-01-01 from ints or ``datetime64`` (NaT and floats raise)."""
    d = np.asarray(days).ravel()
    if np.issubdtype(d.dtype, np.datetime64):
        if np.isnat(d).any():
            raise ValueError("days must not contain NaT")
        return d.astype("datetime64[D]").astype(np.int64)
    if d.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(d.dtype, np.integer):
        raise ValueError(f"days must be integers or datetime64, got {d.dtype}")
    return d.astype(np.int64)


def bucket(days: npt.ArrayLike, period: Period = "week") -> Buckets:
    """Assign each day to its ISO week (Monday start) or calendar month."""
    d = day_numbers(days)
    if period == "week":
        # 1970-01-01 was a Thursday: day + 3 counts from the Monday before it.
        key = (d + 3) // 7
    elif period == "month":
        key = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    else:
        raise ValueError(f"period must be 'week' or 'month', got {period!r}")
    if key.size == 0:
        return Buckets(period, (), np.zeros(0, dtype=np.int64))
    first, last = int(key.min()), int(key.max())
    if last - first + 1 > MAX_BUCKETS:
        raise ValueError(f"days span more than {MAX_BUCKETS} {period}s")
    keys = np.arange(first, last + 1, dtype=np.int64)
    if period == "week":
        start_days = (keys * 7 - 3).astype("datetime64[D]")
    else:
        start_days = keys.astype("datetime64[M]").astype("datetime64[D]")
    starts = tuple(dt.date.fromisoformat(str(s)) for s in start_days)
    return Buckets(period, starts, key - first)


@dataclass(frozen=True, slots=True)
class TrendBucket:
    """Figures of one period. ``n``: rows in the period.

    NPS (answers 0..10): ``nps`` in −100..100 with 95 % interval (see
    :func:`regulars.analytics.quality.nps`). CSAT (answers 1..5): mean with 95 % t
    interval and top-2-box share (4–5, in 0..1) with 95 % Wilson interval. Figures are
    ``None`` when the period has no answer (intervals also when fewer than 2).
    """

    start: dt.date
    n: int
    nps_n: int
    nps: float | None
    nps_ci: Interval | None
    csat_n: int
    csat_mean: float | None
    csat_mean_ci: Interval | None
    csat_top2_box: float | None
    csat_top2_box_ci: Interval | None


@dataclass(frozen=True, slots=True)
class Trend:
    period: Period
    buckets: tuple[TrendBucket, ...]


def _scale(values: npt.ArrayLike | None, rows: int, low: int, high: int, name: str) -> FloatArray:
    """Answers as floats, NaN = not answered; off-scale or non-integer answers raise."""
    if values is None:
        return np.full(rows, np.nan)
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size != rows:
        raise ValueError(f"{name} has {x.size} rows, days has {rows}")
    answered = x[~np.isnan(x)]
    if answered.size and (
        answered.min() < low or answered.max() > high or np.any(answered != np.floor(answered))
    ):
        raise ValueError(f"{name} answers must be whole numbers {low}..{high} (or NaN)")
    return x


def feedback_trend(
    days: npt.ArrayLike,
    *,
    nps_scores: npt.ArrayLike | None = None,
    csat_scores: npt.ArrayLike | None = None,
    period: Period = "week",
) -> Trend:
    """Weekly or monthly NPS and CSAT series.

    ``days``: one per response (see :func:`day_numbers`). ``nps_scores`` (0..10) and
    ``csat_scores`` (1..5): same length as ``days``, NaN where a response has no such
    answer; omit an argument when there are none. Off-scale answers raise ``ValueError``.
    """
    buckets = bucket(days, period)
    idx = buckets.index
    rows, size = int(idx.size), len(buckets.starts)
    nps_x = _scale(nps_scores, rows, 0, 10, "nps_scores")
    csat_x = _scale(csat_scores, rows, 1, 5, "csat_scores")

    def count(mask: npt.NDArray[np.bool_]) -> IntArray:
        return np.bincount(idx, weights=mask, minlength=size).astype(np.int64)

    n_rows = np.bincount(idx, minlength=size).astype(np.int64)
    promoters, passives = count(nps_x >= 9), count((nps_x >= 7) & (nps_x <= 8))
    detractors = count(nps_x <= 6)
    nps_score, nps_low, nps_high = nps_arrays(promoters, passives, detractors, Z_95)
    nps_n = promoters + passives + detractors

    answered = ~np.isnan(csat_x)
    csat_n = count(answered)
    filled = np.where(answered, csat_x, 0.0)
    csat_mean = np.bincount(idx, weights=filled, minlength=size) / np.maximum(csat_n, 1)
    deviation = np.where(answered, csat_x - csat_mean[idx], 0.0)
    csat_var = np.bincount(idx, weights=deviation**2, minlength=size) / np.maximum(csat_n - 1, 1)
    csat_low, csat_high = mean_intervals(csat_n, csat_mean, csat_var)
    top2 = count(csat_x >= 4)

    out = tuple(
        TrendBucket(
            start=buckets.starts[b],
            n=int(n_rows[b]),
            nps_n=int(nps_n[b]),
            nps=optional(float(nps_score[b])),
            nps_ci=optional_interval(float(nps_low[b]), float(nps_high[b])),
            csat_n=int(csat_n[b]),
            csat_mean=float(csat_mean[b]) if csat_n[b] else None,
            csat_mean_ci=optional_interval(float(csat_low[b]), float(csat_high[b])),
            csat_top2_box=float(top2[b] / csat_n[b]) if csat_n[b] else None,
            csat_top2_box_ci=wilson_interval(int(top2[b]), int(csat_n[b]), Z_95),
        )
        for b in range(size)
    )
    return Trend(period=period, buckets=out)


# --- topic shares --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class TopicCounts:
    """``counts[b, t]``: mentions of topic *t* in bucket *b* (starting ``starts[b]``)."""

    starts: tuple[dt.date, ...]
    counts: IntArray


def topic_counts_by_bucket(
    days: npt.ArrayLike, topics: npt.ArrayLike, n_topics: int, period: Period = "week"
) -> TopicCounts:
    """Bucket × topic count matrix from one row per (day, topic code 0..n_topics − 1)."""
    buckets = bucket(days, period)
    t = np.asarray(topics).ravel()
    if t.size != buckets.index.size:
        raise ValueError("days and topics differ in length")
    if t.size and (not np.issubdtype(t.dtype, np.integer) or t.min() < 0 or t.max() >= n_topics):
        raise ValueError(f"topics must be integer codes 0..{n_topics - 1}")
    size = len(buckets.starts)
    flat = np.bincount(buckets.index * n_topics + t.astype(np.int64), minlength=size * n_topics)
    return TopicCounts(buckets.starts, flat.reshape(size, n_topics).astype(np.int64))


@dataclass(frozen=True, slots=True)
class BucketShares:
    """``shares[b]``: each topic's share (0..1) of bucket *b*'s total, or ``None`` when
    the total is 0. ``totals[b]``: the denominator used."""

    totals: tuple[int, ...]
    shares: tuple[tuple[float, ...] | None, ...]


def shares_by_bucket(
    counts: npt.ArrayLike, totals: Sequence[int] | npt.ArrayLike | None = None
) -> BucketShares:
    """Shares of a bucket × topic count matrix.

    By default each row is divided by its own sum (shares of mentions, rows sum to 1).
    Pass ``totals`` (e.g. responses per bucket) when a response can carry several
    topics and the share of *responses* mentioning a topic is wanted; a total smaller
    than a count in its row raises ``ValueError``, as do negative counts.
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2:
        raise ValueError("counts must be a 2-D bucket × topic matrix")
    if c.size and c.min() < 0:
        raise ValueError("counts must be non-negative")
    tot = c.sum(axis=1) if totals is None else np.asarray(totals, dtype=np.int64).ravel()
    if tot.shape != (c.shape[0],):
        raise ValueError("totals needs one value per bucket")
    if c.size and np.any(c.max(axis=1) > tot):
        raise ValueError("a topic count exceeds its bucket total")
    shares = c / np.maximum(tot, 1)[:, None]
    return BucketShares(
        totals=tuple(int(v) for v in tot),
        shares=tuple(
            tuple(float(v) for v in shares[b]) if tot[b] > 0 else None for b in range(c.shape[0])
        ),
    )
