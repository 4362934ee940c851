"""Checks a marketing scientist would ask for before trusting the CLV models:
per-customer model inputs from raw visits (:func:`customer_summary`), a calibration /
holdout split by date (:func:`calibration_holdout`), predicted-vs-actual tables
(:func:`holdout_check`, :func:`p_alive_check`), and verdicts with reason codes on data
too thin for the models (:func:`thin_data`) or degenerate fits (:func:`fit_problems`),
after which the caller falls back to the RFM rules of ``analytics.rfm``.

Input is one row per visit, as in ``analytics.rhythm``: ``customer`` (integer ids),
``at`` (UTC instants, int64 seconds or ``datetime64``), ``amount`` (floats in the
business's currency, NaN for "no amount recorded") and ``local_offset_s``, the
business's offset from UTC in seconds (east positive; one scalar, since it dates
``now`` too: daylight saving moves only visits within an hour of midnight).

Time is counted in whole local calendar days (the ``lifetimes`` convention of distinct
periods, with ``freq="D"``): several visits on one date are one *visit day*, one
transaction for the models. ``frequency`` = visit days − 1, ``recency`` = last − first
visit day, ``T`` = the date of ``now`` − first visit day, in days. ``monetary`` is the
mean spend of the *repeat* visit days that have a positive amount, a day's spend being
the sum of its positive amounts; the first day is left out as in ``lifetimes`` (a first
purchase is often atypical). ``monetary_count``, the number of days averaged, is what
Gamma-Gamma takes as frequency (the number of spend observations behind the mean);
``monetary`` is 0.0 when it is 0.

Bad input is dropped and counted (:class:`InputCounts`), in this order: visits after
``now``; customers whose first visit is before ``since``; rows repeating the instant of
an earlier row of the same customer (one visit, whose amount is the largest finite one
among the rows). Of the visits left, NaN or infinite amounts are *missing* and amounts
≤ 0 (refunds, comps) *non-positive*; neither enters ``monetary``.

Cost: one ``np.sort`` of a packed (customer, instant, amount grade) key, O(n) otherwise;
20 M visits of 1 M customers take a few seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv._fit import LOG_BOUND
from regulars.analytics.rhythm import epoch_seconds
from regulars.analytics.stats import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]

SECONDS_PER_DAY = 86_400

# Thresholds from simulations (BG/NBD customers acquired evenly over the history, 20-40
# runs per setting); "within x %" compares the fitted model's expected visits in a
# 180-day holdout, summed over customers, with what the true parameters give.

MIN_CUSTOMERS = 200
"""Customers are the sample size (the models estimate distributions across customers):
nine fits in ten were within 14 % at 200 customers, 20 % at 100, 31 % at 50 (where one
fit in ten was degenerate)."""

MIN_REPEAT_CUSTOMERS = 100
"""Only repeat customers inform the dropout process and the spread of visit rates; a
typical base of 200 customers holds about 120."""

MIN_SPEND_CUSTOMERS = 100
"""Gamma-Gamma is fitted on customers with a paid repeat day alone: nine fits in ten
predicted spend within 12 % (mean over customers) at 100 of them, 14 % at 50 (a
quarter of the fits degenerate), 26 % at 25."""

MIN_HISTORY_GAPS = 2.0
"""The history (the largest T) must span this many typical gaps, the customer-days
observed per repeat visit ΣT / Σfrequency (the inverse of the pooled repeat rate):
nine fits in ten were within 13 % from two such gaps up, and off by 20-40 % (many
degenerate) at one or less. The median of customers' own gaps was rejected: only gaps
shorter than the history are seen, so it shrinks with the history (customers back every
300 days showed four "typical gaps" in 60 days). Dropped-out customers keep adding
days, so the pooled gap errs long, on the side of caution."""

BOUND_TOLERANCE = 0.01
"""A fitted parameter within this distance (in log-space, i.e. within 1 %) of
``_fit.LOG_BOUND`` counts as sitting on the bound: the optimiser ran it towards 0 or ∞."""


class Reason(StrEnum):
    """Why the data or a fit are not trusted; the value is the machine-readable code."""

    TOO_FEW_CUSTOMERS = "too_few_customers"
    TOO_FEW_REPEAT_CUSTOMERS = "too_few_repeat_customers"
    HISTORY_TOO_SHORT = "history_too_short"
    TOO_FEW_SPEND_CUSTOMERS = "too_few_spend_customers"
    NOT_CONVERGED = "not_converged"
    PARAMETER_AT_BOUND = "parameter_at_bound"
    PARAMETER_NOT_FINITE = "parameter_not_finite"
    NO_STANDARD_ERRORS = "no_standard_errors"


# --- summaries --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InputCounts:
    """What happened to the input rows (see the module docstring for the order).

    ``rows``: visits passed in. Dropped: ``future`` (after ``now``, or after ``end_at``
    for a calibration/holdout split), ``before_since`` (rows of customers whose first
    visit is before ``since``; ``customers_before_since`` of them), ``duplicates`` (rows
    repeating a customer's instant). Of the visits kept: ``missing_amounts`` (NaN or
    infinite) and ``nonpositive_amounts`` (≤ 0), both left out of ``monetary``.
    """

    rows: int
    future: int
    before_since: int
    customers_before_since: int
    duplicates: int
    missing_amounts: int
    nonpositive_amounts: int


@dataclass(frozen=True, slots=True, eq=False)
class CustomerSummary:
    """Per-customer model inputs, one row per customer id (ascending); definitions in the
    module docstring. ``frequency`` and ``monetary_count`` are counts of days;
    ``recency`` and ``T`` whole days as floats; ``monetary`` in currency units."""

    customer: IntArray
    frequency: IntArray
    recency: FloatArray
    T: FloatArray
    monetary: FloatArray
    monetary_count: IntArray
    counts: InputCounts


@dataclass(frozen=True, slots=True, eq=False)
class CalibrationHoldout:
    """A calibration/holdout split (see :func:`calibration_holdout`).

    ``calibration``: the summary at ``split_at`` of the customers whose first visit is
    at or before it. Per calibration customer, in the same order: ``holdout_visits``,
    repeat visit days in (split_at, end_at]; ``holdout_monetary`` and
    ``holdout_monetary_count``, the mean spend of those days and how many had a positive
    amount. ``holdout_days``: day of ``end_at`` − day of ``split_at``, the horizon to
    predict. ``new_in_holdout``: customers whose first visit is in the holdout (not
    part of the check).
    """

    calibration: CustomerSummary
    holdout_visits: IntArray
    holdout_monetary: FloatArray
    holdout_monetary_count: IntArray
    holdout_days: float
    new_in_holdout: int


@dataclass(frozen=True, slots=True)
class _Visits:
    """Kept visits in two views. Rows sorted by (customer, instant), duplicates kept:
    ``cust``, ``utc``, ``day`` and ``paid`` (the visit has a positive amount). Spend
    rows, the paid rows in input order: ``spend_cust``, ``spend_utc``, ``spend_day`` and
    ``spend``, the amount (0.0 on all rows of a visit but its largest)."""

    cust: IntArray
    utc: IntArray
    day: IntArray
    paid: BoolArray
    spend_cust: IntArray
    spend_utc: IntArray
    spend_day: IntArray
    spend: FloatArray
    counts: InputCounts


@dataclass(frozen=True, slots=True)
class _Days:
    """Per customer of sorted visits: first and last visit day, visit days, and the
    number of repeat days with a positive amount."""

    customer: IntArray
    first: IntArray
    last: IntArray
    visit_days: IntArray
    paid_days: IntArray


def _instant(value: int | np.datetime64, name: str) -> int:
    return int(epoch_seconds(np.asarray(value), name).ravel()[0])


def _starts(cust: IntArray, *others: IntArray) -> BoolArray:
    """True where a row starts a new run of (cust, *others)."""
    new = np.ones(cust.size, dtype=bool)
    if cust.size > 1:
        np.not_equal(cust[1:], cust[:-1], out=new[1:])
        for other in others:
            new[1:] |= other[1:] != other[:-1]
    return new


def _index_of(ids: IntArray, values: IntArray) -> IntArray:
    """Position of each value in the sorted distinct ``ids``, −1 where absent: a lookup
    table when the ids span a range not much wider than the rows (database keys do),
    ``np.searchsorted`` otherwise."""
    if ids.size == 0:
        return np.full(values.size, -1, dtype=np.int64)
    lo, span = int(ids[0]), int(ids[-1]) - int(ids[0]) + 1
    if span <= max(2 * values.size, 1 << 20):
        table = np.full(span + 1, -1, dtype=np.int64)  # the extra slot: out of range
        table[ids - lo] = np.arange(ids.size)
        offsets = values - lo
        offsets[(offsets < 0) | (offsets >= span)] = span
        return table[offsets]
    at = np.minimum(np.searchsorted(ids, values), ids.size - 1)
    return np.where(ids[at] == values, at, -1)


def _prepare(
    customer: npt.ArrayLike,
    at: npt.ArrayLike,
    amount: npt.ArrayLike,
    *,
    now_s: int,
    since_s: int | None,
    offset: int,
) -> _Visits:
    cust = np.asarray(customer).ravel()
    if cust.size and not np.issubdtype(cust.dtype, np.integer):
        raise ValueError(f"customer must be integer ids, got {cust.dtype}")
    cust = cust.astype(np.int64, copy=False)
    utc = epoch_seconds(at, "at").ravel()
    spend = np.asarray(amount, dtype=np.float64).ravel()
    if not cust.size == utc.size == spend.size:
        raise ValueError("customer, at and amount differ in length")
    rows = int(cust.size)
    past = utc <= now_s
    future = rows - int(np.count_nonzero(past))
    if future:
        cust, utc, spend = cust[past], utc[past], spend[past]
    # Grade 0: a positive amount, 1: a finite one <= 0, 2: missing (NaN or infinite).
    finite = np.isfinite(spend)
    paid = spend > 0
    paid &= finite
    grade = np.logical_not(paid).astype(np.int64)
    grade += ~finite
    del finite
    s_cust, s_utc, s_grade = _sorted(cust, utc, grade)
    p_cust, p_utc, p_spend = cust[paid], utc[paid], spend[paid]
    del cust, utc, spend, grade, paid

    before_rows = before_customers = 0
    if since_s is not None and s_cust.size:
        starts = np.flatnonzero(_starts(s_cust))
        late = s_utc[starts] >= since_s
        before_customers = int(starts.size - np.count_nonzero(late))
        if before_customers:
            keep = np.repeat(late, np.diff(np.append(starts, s_cust.size)))
            before_rows = int(s_cust.size - np.count_nonzero(keep))
            kept = _index_of(s_cust[starts[late]], p_cust) >= 0
            s_cust, s_utc, s_grade = s_cust[keep], s_utc[keep], s_grade[keep]
            p_cust, p_utc, p_spend = p_cust[kept], p_utc[kept], p_spend[kept]

    # Rows of one instant are sorted best grade first, so the first row carries the
    # visit's grade: its amount is the largest finite one among the rows.
    new_visit = _starts(s_cust, s_utc)
    visit_grade = s_grade[new_visit]
    repeated = ~new_visit & (s_grade == 0)
    if np.any(repeated):
        _collapse(p_cust, p_utc, p_spend, s_cust[repeated])
    counts = InputCounts(
        rows=rows,
        future=future,
        before_since=before_rows,
        customers_before_since=before_customers,
        duplicates=int(s_cust.size - visit_grade.size),
        missing_amounts=int(np.count_nonzero(visit_grade == 2)),
        nonpositive_amounts=int(np.count_nonzero(visit_grade == 1)),
    )
    return _Visits(
        cust=s_cust,
        utc=s_utc,
        day=(s_utc + offset) // SECONDS_PER_DAY,
        paid=s_grade == 0,
        spend_cust=p_cust,
        spend_utc=p_utc,
        spend_day=(p_utc + offset) // SECONDS_PER_DAY,
        spend=p_spend,
        counts=counts,
    )


def _sorted(cust: IntArray, utc: IntArray, grade: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """(customer, instant, grade) sorted in that order, by one sort of a packed int64 key:
    a third of the time of an argsort and the gathers it needs. The stable sort (timsort)
    is 20 % slower than quicksort on shuffled rows but near O(n) on rows that come sorted
    by customer, as the caller streams them. Customer ids too far apart to pack are
    replaced by their rank first. In-place arithmetic: fresh 160 MB arrays cost more in
    page faults than the arithmetic itself."""
    if cust.size == 0:
        return cust, utc, grade
    c_min, t_min = int(cust.min()), int(utc.min())
    t_bits = (int(utc.max()) - t_min).bit_length()
    ids = None
    if (int(cust.max()) - c_min).bit_length() + t_bits + 2 <= 63:
        key = cust - c_min
    else:
        ids, inverse = np.unique(cust, return_inverse=True)
        key = inverse.ravel().astype(np.int64)
        if int(ids.size).bit_length() + t_bits + 2 > 63:
            raise ValueError("visit instants span too wide a range")
    key <<= t_bits + 2
    part = utc - t_min
    part <<= 2
    part |= grade
    key |= part
    key.sort(kind="stable")
    np.bitwise_and(key, 3, out=part)
    s_utc = key >> 2
    s_utc &= (1 << t_bits) - 1
    s_utc += t_min
    key >>= t_bits + 2
    if ids is None:
        key += c_min
        return key, s_utc, part
    return np.asarray(ids[key], dtype=np.int64), s_utc, part


def _collapse(cust: IntArray, utc: IntArray, spend: FloatArray, repeated_cust: IntArray) -> None:
    """Zero, in place, the amounts of paid rows repeating a (customer, instant) but the
    largest: a zero adds nothing to the sums the amounts go into. Only the rows of
    customers with a repeated paid instant are sorted."""
    suspect = np.flatnonzero(_index_of(np.unique(repeated_cust), cust) >= 0)
    order = np.lexsort((-spend[suspect], utc[suspect], cust[suspect]))
    rows = suspect[order]
    spend[rows[~_starts(cust[rows], utc[rows])]] = 0.0


def _days(cust: IntArray, day: IntArray, paid: BoolArray) -> _Days:
    """Per-customer day statistics of visits sorted by customer."""
    new_cust = _starts(cust)
    new_day = new_cust.copy()
    new_day[1:] |= day[1:] != day[:-1]
    day_starts = np.flatnonzero(new_day)
    opens = new_cust[day_starts]  # the customer's first visit day
    seg = np.cumsum(opens) - 1
    m = int(np.count_nonzero(opens))
    d_day = day[day_starts]
    visit_days = np.bincount(seg, minlength=m).astype(np.int64)
    paid_day = np.logical_or.reduceat(paid, day_starts) if paid.size else paid
    return _Days(
        customer=cust[day_starts][opens],
        first=d_day[opens],
        last=d_day[np.cumsum(visit_days) - 1],
        visit_days=visit_days,
        paid_days=np.bincount(seg[paid_day & ~opens], minlength=m).astype(np.int64),
    )


def _gather(values: IntArray, row: IntArray) -> IntArray:
    """``values[row]``, and 0 where ``row`` is −1 (no such customer)."""
    return np.append(values, 0)[row]


def _mean_spend(row: IntArray, use: BoolArray, spend: FloatArray, count: IntArray) -> FloatArray:
    """Per customer: the spend of the rows ``use``d (at customer ``row``) / ``count``."""
    total = np.bincount(row[use], weights=spend[use], minlength=count.size)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _summary(
    days: _Days, now_day: int, counts: InputCounts, monetary: FloatArray
) -> CustomerSummary:
    return CustomerSummary(
        customer=days.customer,
        frequency=days.visit_days - 1,
        recency=(days.last - days.first).astype(np.float64),
        T=(now_day - days.first).astype(np.float64),
        monetary=monetary,
        monetary_count=days.paid_days,
        counts=counts,
    )


def customer_summary(
    customer: npt.ArrayLike,
    at: npt.ArrayLike,
    amount: npt.ArrayLike,
    *,
    now: int | np.datetime64,
    since: int | np.datetime64 | None = None,
    local_offset_s: int = 0,
) -> CustomerSummary:
    """Per-customer frequency, recency, T and monetary from one row per visit.

    ``now``: the end of the observation (UTC instant, int64 seconds or ``datetime64``).
    ``since``: if given, only customers whose first visit is at or after it are
    summarised (with their whole history); use it to leave out customers already
    regular before the records began, whose first *recorded* visit is not their first.
    ``local_offset_s``: see the module docstring. Raises ``ValueError`` on mismatched
    lengths, non-integer ids or times, NaT; bad rows are dropped and counted instead.
    """
    now_s = _instant(now, "now")
    since_s = None if since is None else _instant(since, "since")
    offset = int(local_offset_s)
    v = _prepare(customer, at, amount, now_s=now_s, since_s=since_s, offset=offset)
    days = _days(v.cust, v.day, v.paid)
    row = _index_of(days.customer, v.spend_cust)
    repeat = v.spend_day != days.first[row]
    monetary = _mean_spend(row, repeat, v.spend, days.paid_days)
    return _summary(days, (now_s + offset) // SECONDS_PER_DAY, v.counts, monetary)


def calibration_holdout(
    customer: npt.ArrayLike,
    at: npt.ArrayLike,
    amount: npt.ArrayLike,
    *,
    split_at: int | np.datetime64,
    end_at: int | np.datetime64,
    since: int | np.datetime64 | None = None,
    local_offset_s: int = 0,
) -> CalibrationHoldout:
    """Split visits at ``split_at`` into a calibration summary and the holdout's actuals.

    Calibration: visits at or before ``split_at`` of the customers whose first visit is
    at or before it, summarised with ``now = split_at`` (the arrays equal
    ``customer_summary(..., now=split_at, since=since)``). Holdout: their visits in
    (split_at, end_at], counted in local visit days; a holdout visit on the calendar day
    of the customer's last calibration visit is on a day already counted, so it adds
    nothing (with local-midnight boundaries this never arises). Visits after ``end_at``
    are dropped and counted in ``calibration.counts.future``. ValueError when ``end_at``
    is before ``split_at`` or ``since`` after it.
    """
    split_s = _instant(split_at, "split_at")
    end_s = _instant(end_at, "end_at")
    since_s = None if since is None else _instant(since, "since")
    if end_s < split_s:
        raise ValueError("end_at must not be before split_at")
    if since_s is not None and since_s > split_s:
        raise ValueError("since must not be after split_at")
    offset = int(local_offset_s)
    v = _prepare(customer, at, amount, now_s=end_s, since_s=since_s, offset=offset)
    early = v.utc <= split_s
    days = _days(v.cust[early], v.day[early], v.paid[early])
    row = _index_of(days.customer, v.spend_cust)
    split_day = (split_s + offset) // SECONDS_PER_DAY
    repeat = (v.spend_utc <= split_s) & (row >= 0) & (v.spend_day != _gather(days.first, row))
    calibration = _summary(
        days, split_day, v.counts, _mean_spend(row, repeat, v.spend, days.paid_days)
    )

    # Holdout rows of calibration customers, by day; a day equal to the customer's last
    # calibration day was counted already.
    h_row = _index_of(days.customer, v.cust)
    hold = ~early & (h_row >= 0)
    h_row, h_day, h_paid = h_row[hold], v.day[hold], v.paid[hold]
    day_starts = np.flatnonzero(_starts(h_row, h_day))
    fresh = h_day[day_starts] != days.last[h_row[day_starts]]
    m = days.customer.size
    paid_day = np.logical_or.reduceat(h_paid, day_starts) if h_paid.size else h_paid
    count = np.bincount(h_row[day_starts][fresh & paid_day], minlength=m).astype(np.int64)
    spent = (v.spend_utc > split_s) & (row >= 0) & (v.spend_day != _gather(days.last, row))
    return CalibrationHoldout(
        calibration=calibration,
        holdout_visits=np.bincount(h_row[day_starts][fresh], minlength=m).astype(np.int64),
        holdout_monetary=_mean_spend(row, spent, v.spend, count),
        holdout_monetary_count=count,
        holdout_days=float((end_s + offset) // SECONDS_PER_DAY - split_day),
        new_in_holdout=int(np.count_nonzero(_starts(v.cust))) - m,
    )


# --- holdout checks ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class HoldoutCheck:
    """Predicted vs actual holdout visits, per calibration frequency group and in total.

    Groups are ``frequency`` = 0, 1, …, ``max_frequency``; the last pools every customer
    with at least ``max_frequency`` repeat visits. Per group: ``customers``, and the mean
    predicted and actual holdout visits per customer (0.0 for an empty group).
    ``relative_error`` = (predicted_total − actual_total) / actual_total (signed; None
    when nobody came back); ``mean_absolute_error``: mean over customers of
    |predicted − actual| visits (None without customers).
    """

    frequency: IntArray
    customers: IntArray
    predicted_mean: FloatArray
    actual_mean: FloatArray
    predicted_total: float
    actual_total: float
    relative_error: float | None
    mean_absolute_error: float | None


@dataclass(frozen=True, slots=True, eq=False)
class ProbabilityCheck:
    """A calibration table of predicted probabilities against what happened.

    ``edges``: the ``bins`` + 1 equal-width bin edges on [0, 1] (bin i holds
    edges[i] ≤ p < edges[i+1], the last also p = 1). Per bin: ``customers``, their
    ``mean_predicted`` probability and the ``actual_share`` who visited (both 0.0 for an
    empty bin). ``brier_score``: mean (p − visited)²; ``calibration_error``: the expected
    calibration error Σ (customers / total) · |mean_predicted − actual_share|; both None
    without customers.
    """

    edges: FloatArray
    customers: IntArray
    mean_predicted: FloatArray
    actual_share: FloatArray
    brier_score: float | None
    calibration_error: float | None


def _non_negative(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return array


def _group_means(
    group: IntArray, values: FloatArray, customers: IntArray
) -> tuple[FloatArray, float]:
    sums = np.bincount(group, weights=values, minlength=customers.size)
    return np.where(customers > 0, sums / np.maximum(customers, 1), 0.0), float(values.sum())


def holdout_check(
    predicted: npt.ArrayLike,
    actual: npt.ArrayLike,
    frequency: npt.ArrayLike,
    *,
    max_frequency: int = 7,
) -> HoldoutCheck:
    """Compare predicted holdout visits (e.g. ``bgnbd_expected_visits`` over
    ``holdout_days``) with the actual ones (``holdout_visits``), grouped by calibration
    ``frequency`` (whole numbers ≥ 0). All three per customer, of one length; ValueError
    otherwise or for ``max_frequency`` < 0."""
    pred = _non_negative(predicted, "predicted")
    act = _non_negative(actual, "actual")
    freq = _non_negative(frequency, "frequency")
    if not pred.size == act.size == freq.size:
        raise ValueError("predicted, actual and frequency differ in length")
    if np.any(freq != np.floor(freq)):
        raise ValueError("frequency must hold whole numbers")
    if max_frequency < 0:
        raise ValueError("max_frequency must be >= 0")
    group = np.minimum(freq, max_frequency).astype(np.int64)
    customers = np.bincount(group, minlength=max_frequency + 1).astype(np.int64)
    predicted_mean, predicted_total = _group_means(group, pred, customers)
    actual_mean, actual_total = _group_means(group, act, customers)
    return HoldoutCheck(
        frequency=np.arange(max_frequency + 1, dtype=np.int64),
        customers=customers,
        predicted_mean=predicted_mean,
        actual_mean=actual_mean,
        predicted_total=predicted_total,
        actual_total=actual_total,
        relative_error=(
            (predicted_total - actual_total) / actual_total if actual_total > 0 else None
        ),
        mean_absolute_error=float(np.abs(pred - act).mean()) if pred.size else None,
    )


def p_alive_check(
    p_alive: npt.ArrayLike, visited_in_holdout: npt.ArrayLike, bins: int = 10
) -> ProbabilityCheck:
    """Bin customers by a predicted probability and compare with who visited.

    The fair comparison is P(at least one visit in the holdout) (``bgnbd_p_at_least_one``
    over ``holdout_days``): P(alive) bounds it from above, since a customer still alive
    may just not come within the holdout, so with P(alive) the table checks the ranking
    and not the level. ``visited_in_holdout``: booleans, or visit counts (> 0 is a visit;
    ``holdout_visits`` works as it is). ValueError for probabilities outside [0, 1],
    negative or non-finite counts, mismatched lengths or ``bins`` < 1.
    """
    p = np.asarray(p_alive, dtype=np.float64).ravel()
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p_alive must hold probabilities in [0, 1]")
    raw = np.asarray(visited_in_holdout).ravel()
    visited = raw if raw.dtype == np.bool_ else _non_negative(raw, "visited_in_holdout") > 0
    if visited.size != p.size:
        raise ValueError("p_alive and visited_in_holdout differ in length")
    if bins < 1:
        raise ValueError("bins must be >= 1")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    customers = np.bincount(index, minlength=bins).astype(np.int64)
    mean_predicted, _ = _group_means(index, p, customers)
    actual_share, _ = _group_means(index, visited.astype(np.float64), customers)
    n = p.size
    return ProbabilityCheck(
        edges=edges,
        customers=customers,
        mean_predicted=mean_predicted,
        actual_share=actual_share,
        brier_score=float(np.mean((p - visited) ** 2)) if n else None,
        calibration_error=(
            float(customers @ np.abs(mean_predicted - actual_share)) / n if n else None
        ),
    )


# --- thin data and degenerate fits -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataSize:
    """What :func:`thin_data` judges. ``customers``; ``repeat_customers`` (frequency ≥
    1); ``spend_customers`` (monetary_count ≥ 1); ``history_days``, the largest T;
    ``typical_gap_days``, ΣT / Σfrequency (see ``MIN_HISTORY_GAPS``; 0.0 without
    repeat visits)."""

    customers: int
    repeat_customers: int
    spend_customers: int
    history_days: float
    typical_gap_days: float


@dataclass(frozen=True, slots=True)
class ThinData:
    """The verdict. ``visits_thin``: do not fit BG/NBD or Pareto/NBD, use the RFM rules;
    ``spend_thin``: do not fit Gamma-Gamma (CLV needs both false). ``reasons``: codes
    in a fixed order, empty when neither is thin; ``size``: the figures judged."""

    visits_thin: bool
    spend_thin: bool
    reasons: tuple[Reason, ...]
    size: DataSize


def data_size(summary: CustomerSummary) -> DataSize:
    """The :class:`DataSize` of a summary."""
    repeat = summary.frequency > 0
    repeats = int(summary.frequency.sum())
    return DataSize(
        customers=int(summary.customer.size),
        repeat_customers=int(np.count_nonzero(repeat)),
        spend_customers=int(np.count_nonzero(summary.monetary_count > 0)),
        history_days=float(summary.T.max()) if summary.T.size else 0.0,
        typical_gap_days=float(summary.T.sum()) / repeats if repeats else 0.0,
    )


def thin_data(data: CustomerSummary | DataSize) -> ThinData:
    """Whether the data are too thin for the probabilistic models (thresholds: the
    ``MIN_*`` constants). The history is judged only when there are repeat visits (a
    typical gap to compare with); ``TOO_FEW_SPEND_CUSTOMERS`` concerns Gamma-Gamma
    alone, every other reason the visit models."""
    size = data if isinstance(data, DataSize) else data_size(data)
    visit_reasons: list[Reason] = []
    if size.customers < MIN_CUSTOMERS:
        visit_reasons.append(Reason.TOO_FEW_CUSTOMERS)
    if size.repeat_customers < MIN_REPEAT_CUSTOMERS:
        visit_reasons.append(Reason.TOO_FEW_REPEAT_CUSTOMERS)
    if size.typical_gap_days > 0 and size.history_days < MIN_HISTORY_GAPS * size.typical_gap_days:
        visit_reasons.append(Reason.HISTORY_TOO_SHORT)
    spend_thin = size.spend_customers < MIN_SPEND_CUSTOMERS
    reasons = (*visit_reasons, Reason.TOO_FEW_SPEND_CUSTOMERS) if spend_thin else visit_reasons
    return ThinData(
        visits_thin=bool(visit_reasons),
        spend_thin=spend_thin,
        reasons=tuple(reasons),
        size=size,
    )


def fit_problems(
    params: Sequence[float], *, converged: bool, has_standard_errors: bool = True
) -> tuple[Reason, ...]:
    """Reasons not to trust a fit, empty when there are none.

    ``params``: the fitted parameters, all positive in every model here (e.g.
    ``(fit.r, fit.alpha, fit.a, fit.b)``); ``converged``: the fit's flag;
    ``has_standard_errors``: ``fit.se is not None`` (False when the likelihood is flat
    or singular at the optimum, i.e. the parameters are not identified). A parameter
    within ``BOUND_TOLERANCE`` of ``LOG_BOUND`` in log-space is at a bound; one that is
    not a finite positive number is reported as such.
    """
    values = np.asarray(params, dtype=np.float64).ravel()
    reasons = [] if converged else [Reason.NOT_CONVERGED]
    if not np.all(np.isfinite(values) & (values > 0)):
        reasons.append(Reason.PARAMETER_NOT_FINITE)
    elif np.any(np.abs(np.log(values)) >= LOG_BOUND - BOUND_TOLERANCE):
        reasons.append(Reason.PARAMETER_AT_BOUND)
    if not has_standard_errors:
        reasons.append(Reason.NO_STANDARD_ERRORS)
    return tuple(reasons)
