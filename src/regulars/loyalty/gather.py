"""Per chunk of customers (all of a customer's visits arrive in one chunk): rhythm
(``analytics.rhythm``), model inputs and the calibration/holdout split
(``analytics.clv.checks``), cohort retention (``analytics.cohorts``), RFM inputs, the
location they visit most, their own currency and historical spend — gathered into
per-customer columns that ``compute`` concatenates at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.analytics import cohorts as cohort_tables
from regulars.analytics.clv.checks import (
    CustomerSummary,
    InputCounts,
    calibration_holdout,
    customer_summary,
)
from regulars.analytics.rhythm import SECONDS_PER_DAY, customer_rhythm
from regulars.loyalty.visits import VisitChunk

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HOLDOUT_DAYS = 90
"""The model check predicts the last this many days from the visits before them."""

RFM_WINDOW_DAYS = 365.0
"""RFM frequency and monetary count the visits of the last year."""


class Inconsistent(Exception):
    """The per-chunk computations disagree (a bug, never bad input)."""


@dataclass(slots=True)
class Columns:
    """Per-customer arrays gathered chunk by chunk, concatenated at the end."""

    parts: dict[str, list[npt.NDArray[Any]]] = field(default_factory=dict)

    def add(self, **columns: npt.NDArray[Any]) -> None:
        for name, values in columns.items():
            self.parts.setdefault(name, []).append(values)

    def get(self, name: str, dtype: Any) -> npt.NDArray[Any]:
        parts = self.parts.get(name)
        if not parts:
            return np.zeros(0, dtype=dtype)
        return np.concatenate(parts).astype(dtype, copy=False)


@dataclass(slots=True)
class Totals:
    rows: int = 0
    future: int = 0
    duplicates: int = 0
    missing_amounts: int = 0
    nonpositive_amounts: int = 0
    cohorts: cohort_tables.CohortRetention | None = None
    holdout_new: int = 0

    def add(self, counts: InputCounts) -> None:
        self.rows += counts.rows
        self.future += counts.future
        self.duplicates += counts.duplicates
        self.missing_amounts += counts.missing_amounts
        self.nonpositive_amounts += counts.nonpositive_amounts


def _most_frequent(row: IntArray, values: IntArray, m: int) -> IntArray:
    """Per customer (rows 0…m−1) the value seen most often among their rows (ties: the
    lowest value); −1 for a customer without rows."""
    out = np.full(m, -1, dtype=np.int64)
    if row.size == 0:
        return out
    kinds, code = np.unique(values, return_inverse=True)
    counts = np.bincount(row * kinds.size + code, minlength=m * kinds.size).reshape(m, kinds.size)
    has = counts.sum(axis=1) > 0
    out[has] = kinds[np.argmax(counts[has], axis=1)]
    return out


def _in_own_currency(chunk: VisitChunk) -> tuple[FloatArray, IntArray, IntArray]:
    """Amounts kept only in each customer's own currency (the one most of their paid
    visits are in; the rest become NaN, i.e. no amount), the chunk's customer ids and
    their currency index (−1: none)."""
    ids, row = np.unique(chunk.customer, return_inverse=True)
    paid = np.isfinite(chunk.amount) & (chunk.amount > 0) & (chunk.currency >= 0)
    own = _most_frequent(row[paid], chunk.currency[paid], ids.size)
    amount = np.where(chunk.currency == own[row], chunk.amount, np.nan)
    return amount, ids, own


def gather(
    chunk: VisitChunk,
    now_s: int,
    offset_s: int,
    columns: Columns,
    calibration: Columns,
    totals: Totals,
) -> None:
    rhythm = customer_rhythm(chunk.customer, chunk.at, now_s, chunk.local_offset)
    seen = rhythm.visits > 0
    own_amount, chunk_ids, own_currency = _in_own_currency(chunk)
    summary = customer_summary(
        chunk.customer, chunk.at, own_amount, now=now_s, local_offset_s=offset_s
    )
    totals.add(summary.counts)
    ids = rhythm.customer[seen]
    if not np.array_equal(ids, summary.customer):  # both are "customers with a past visit"
        raise Inconsistent("rhythm and model inputs disagree on the customers")
    m = ids.size

    past = chunk.at <= now_s
    row = np.searchsorted(ids, chunk.customer[past])
    at = chunk.at[past]
    amount = own_amount[past]
    first = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(m, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, row, at)
    np.maximum.at(last, row, at)
    paid = np.isfinite(amount) & (amount > 0)
    spent = np.bincount(row[paid], weights=amount[paid], minlength=m)
    paid_visits = np.bincount(row[paid], minlength=m)
    recent = at > now_s - RFM_WINDOW_DAYS * SECONDS_PER_DAY
    recent_visits = np.bincount(row[recent], minlength=m)
    recent_spend = np.bincount(row[recent & paid], weights=amount[recent & paid], minlength=m)

    judged = rhythm.judged[seen]
    columns.add(
        customer=ids,
        location=_most_frequent(row, chunk.location[past], m),
        currency=own_currency[np.searchsorted(chunk_ids, ids)],
        visits=rhythm.visits[seen],
        visit_days=rhythm.visit_days[seen],
        first_at=first,
        last_at=last,
        days_since_last=rhythm.days_since_last[seen],
        gap_median=np.where(rhythm.visit_days[seen] >= 2, rhythm.gap_median[seen], np.nan),
        gap_low=np.where(judged, rhythm.gap_q25[seen], np.nan),
        gap_high=np.where(judged, rhythm.gap_q75[seen], np.nan),
        weekdays=rhythm.weekdays[seen].astype(np.int64),
        part_of_day=rhythm.part_of_day[seen].astype(np.int64),
        judged=judged,
        overdue=rhythm.overdue[seen],
        overdue_threshold=rhythm.overdue_threshold[seen],
        overdue_ratio=rhythm.overdue_ratio[seen],
        frequency=summary.frequency,
        recency=summary.recency,
        T=summary.T,
        monetary=summary.monetary,
        monetary_count=summary.monetary_count,
        mean_spend=np.where(paid_visits > 0, spent / np.maximum(paid_visits, 1), np.nan),
        recent_visits=recent_visits,
        recent_spend=recent_spend,
    )

    split = calibration_holdout(
        chunk.customer,
        chunk.at,
        own_amount,
        split_at=now_s - HOLDOUT_DAYS * SECONDS_PER_DAY,
        end_at=now_s,
        local_offset_s=offset_s,
    )
    cal = split.calibration
    calibration.add(
        frequency=cal.frequency,
        recency=cal.recency,
        T=cal.T,
        holdout=split.holdout_visits,
    )
    totals.holdout_new += split.new_in_holdout

    table = cohort_tables.cohort_retention(
        chunk.customer, chunk.at, now=now_s, local_offset_s=offset_s
    )
    totals.cohorts = table if totals.cohorts is None else cohort_tables.merge(totals.cohorts, table)


def summary_of(columns: Columns, counts: InputCounts) -> CustomerSummary:
    return CustomerSummary(
        customer=columns.get("customer", np.int64),
        frequency=columns.get("frequency", np.int64),
        recency=columns.get("recency", np.float64),
        T=columns.get("T", np.float64),
        monetary=columns.get("monetary", np.float64),
        monetary_count=columns.get("monetary_count", np.int64),
        counts=counts,
    )
