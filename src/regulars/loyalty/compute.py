"""The snapshot's arithmetic: from streamed visit chunks to every customer's standing and
the business-wide figures (numpy over the pure ``analytics`` modules; no queries here).

Per chunk of customers (all of a customer's visits arrive in one chunk): rhythm
(``analytics.rhythm``), model inputs and the calibration/holdout split
(``analytics.clv.checks``), cohort retention (``analytics.cohorts``), RFM inputs, the
location they visit most, and historical spend. Then, over all customers at once:

1. the thin-data verdict; with enough data BG/NBD is fitted on (frequency, recency, T)
   and Gamma-Gamma on the repeat customers' mean spend, giving P(alive), expected visits
   and P(at least one visit) over ``HORIZON_DAYS``, expected spend per visit and the
   value over ``CLV_DAYS`` discounted at ``ANNUAL_DISCOUNT``; with too little, the
   business runs on simple rules (RFM and each customer's rhythm) and says why;
2. the holdout check: the same model fitted on the visits up to ``HOLDOUT_DAYS`` ago
   predicts the last ``HOLDOUT_DAYS``; predicted vs actual repeat visits per frequency
   group and P(at least one visit) vs who came;
3. lifecycle stages (``analytics.lifecycle``) with the flows from the previous snapshot;
4. value at risk: a year of the customer at their own pace and spend, weighted by the
   chance they are gone (1 − P(alive)); on simple rules, the whole year for a customer
   at risk or lapsed and nothing for the others.

A fit that does not converge raises :class:`FitFailed`: the run fails and the previous
snapshot stays. With no previous snapshot to keep, the business gets a snapshot on
simple rules instead, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.analytics import cohorts as cohort_tables
from regulars.analytics.clv import bgnbd_expected_visits, bgnbd_p_alive, bgnbd_p_at_least_one
from regulars.analytics.clv.checks import InputCounts, thin_data
from regulars.analytics.lifecycle import Stage, business_horizons, flows, lifecycle_stages
from regulars.analytics.rfm import rfm_scores
from regulars.analytics.rhythm import SECONDS_PER_DAY
from regulars.loyalty.fits import (
    ANNUAL_DISCOUNT,
    CLV_DAYS,
    HORIZON_DAYS,
    FitFailed,
    bgnbd_parameters,
    fit_visits,
    holdout,
    spend_and_value,
)
from regulars.loyalty.gather import HOLDOUT_DAYS, Columns, Totals, gather, summary_of
from regulars.loyalty.visits import VisitChunk

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

VALUE_BINS = 10
"""Bars of the value distribution (the last one also holds everything above the 99th
percentile, so one very large customer does not squash the chart)."""


@dataclass(frozen=True, slots=True, eq=False)
class Previous:
    """The previous done snapshot: when (epoch seconds), and per customer (ascending
    ids) the stage and since when it held (epoch seconds)."""

    as_of: int
    customer: IntArray
    stage: IntArray
    since: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class Computed:
    """Per customer (ascending ids; only customers with a visit up to now) and overall.

    Times are epoch seconds (−1: none); days, probabilities and money floats (NaN:
    unknown, e.g. the model figures on simple rules), money in each customer's own
    currency (``currency_index`` into the codes passed, −1: none); ``location`` −1 when
    unknown; ``part_of_day`` −1 for none. ``risk_score``: value at risk as a multiple of
    a typical customer's year in the same currency (in visits without spend), the
    order of "who to check on". ``currency``/``total_value``: the main currency (the
    most customers with a value) and its total; every currency's in ``figures``.
    """

    customer: IntArray
    location: IntArray
    stage: npt.NDArray[np.int8]
    stage_since: IntArray
    visits: IntArray
    visit_days: IntArray
    first_at: IntArray
    last_at: IntArray
    gap_median: FloatArray
    gap_low: FloatArray
    gap_high: FloatArray
    weekdays: IntArray
    part_of_day: IntArray
    overdue: BoolArray
    overdue_ratio: FloatArray
    p_alive: FloatArray
    expected_visits: FloatArray
    p_return: FloatArray
    expected_spend: FloatArray
    value: FloatArray
    value_at_risk: FloatArray
    risk_score: FloatArray
    currency_index: IntArray
    rfm: IntArray
    method: str
    currency: str
    visit_count: int
    total_value: float | None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


def _value_figures(value: FloatArray, currency: str) -> dict[str, Any] | None:
    known = value[np.isfinite(value)]
    if known.size == 0:
        return None
    top = float(np.quantile(known, 0.99))
    edges = np.linspace(0.0, top if top > 0 else 1.0, VALUE_BINS + 1)
    counts = np.bincount(
        np.clip(np.searchsorted(edges, known, side="right") - 1, 0, VALUE_BINS - 1),
        minlength=VALUE_BINS,
    )
    total = float(known.sum())
    ordered = np.sort(known)[::-1]
    decile = max(1, ordered.size // 10)
    return {
        "total": total,
        "currency": currency,
        "edges": edges.tolist(),
        "counts": counts.tolist(),
        "top_decile_share": float(ordered[:decile].sum() / total) if total > 0 else 0.0,
    }


def _cohort_figures(table: cohort_tables.CohortRetention | None) -> dict[str, Any] | None:
    if table is None or table.size.size == 0:
        return None
    # The month under way is still filling: a curve ending in it would dip for no reason,
    # so only whole months are shown (and each cohort's own first month, its 100 %).
    width = table.observable.shape[1]
    complete = table.cohort[:, None] + np.arange(width) < table.now_period
    complete[:, 0] = True
    return {
        "period": str(table.period),
        "labels": [f"{y:04d}-{p:02d}" for y, p in table.labels.tolist()],
        "sizes": table.size.tolist(),
        "retention": np.round(np.where(complete, table.retention, 0.0), 4).tolist(),
        "observable": complete.tolist(),
    }


def _relative(values: FloatArray, group: IntArray | None) -> FloatArray:
    """``values`` divided by the median of the positive values of their group (one
    group when None), so that amounts of different currencies rank together; 0 where
    a group has no positive value."""
    out = np.zeros(values.size)
    groups = np.zeros(values.size, dtype=np.int64) if group is None else group
    for g in np.unique(groups).tolist():
        rows = groups == g
        positive = values[rows & (values > 0)]
        if positive.size:
            out[rows] = values[rows] / float(np.median(positive))
    return out


def _aligned_previous(previous: Previous | None, ids: IntArray) -> tuple[IntArray, IntArray]:
    """Each customer's previous stage (−1: none) and since when it held (epoch s)."""
    stage = np.full(ids.size, -1, dtype=np.int64)
    since = np.zeros(ids.size, dtype=np.int64)
    if previous is None or previous.customer.size == 0:
        return stage, since
    pos = np.clip(np.searchsorted(previous.customer, ids), 0, previous.customer.size - 1)
    found = previous.customer[pos] == ids
    stage[found] = previous.stage[pos[found]]
    since[found] = previous.since[pos[found]]
    return stage, since


def compute(
    chunks: Iterable[VisitChunk],
    *,
    now: datetime,
    codes: list[str],
    previous: Previous | None,
    dissatisfied: npt.ArrayLike,
    offset_s: int = 0,
    history: bool = False,
) -> Computed:
    """Every customer's standing and the figures (see the module docstring).

    ``codes``: the currencies the chunks' currency indexes point into (the most used
    first); ``dissatisfied``: ids of customers with an unrecovered complaint or detractor;
    ``offset_s``: the business zone's offset from UTC now (days of the model inputs);
    ``history``: ``now`` is in the past, so visits after it are not warned about."""
    now_s = int(now.timestamp())
    columns, calibration, totals = Columns(), Columns(), Totals()
    for chunk in chunks:
        gather(chunk, now_s, offset_s, columns, calibration, totals)

    ids = columns.get("customer", np.int64)
    n = ids.size
    counts = InputCounts(
        rows=totals.rows,
        future=totals.future,
        before_since=0,
        customers_before_since=0,
        duplicates=totals.duplicates,
        missing_amounts=totals.missing_amounts,
        nonpositive_amounts=totals.nonpositive_amounts,
    )
    summary = summary_of(columns, counts)
    verdict = thin_data(summary)
    warnings: list[dict[str, Any]] = []
    parameters: dict[str, Any] = {}
    nan = np.full(n, np.nan)
    p_alive, expected, p_return, spend, value = nan, nan, nan, nan, nan
    method = "rules"
    if verdict.visits_thin or n == 0:
        warnings.append(
            {
                "code": "thin_data",
                "reasons": [str(r) for r in verdict.reasons],
                "customers": verdict.size.customers,
                "repeat_customers": verdict.size.repeat_customers,
            }
        )
    else:
        try:
            visits_fit, problems = fit_visits(summary)
        except FitFailed as exc:
            if previous is not None:
                raise
            warnings.append({"code": "fit_failed", "model": "bgnbd", "reason": str(exc)})
        else:
            method = "model"
            warnings.extend({"code": p, "model": "bgnbd"} for p in problems)
            parameters["bgnbd"] = bgnbd_parameters(visits_fit)
            f, r, t = summary.frequency, summary.recency, summary.T
            p_alive = bgnbd_p_alive(visits_fit, f, r, t)
            expected = bgnbd_expected_visits(visits_fit, HORIZON_DAYS, f, r, t)
            p_return = bgnbd_p_at_least_one(visits_fit, HORIZON_DAYS, f, r, t)
            spend, value = spend_and_value(
                visits_fit,
                summary,
                columns.get("currency", np.int64),
                codes,
                warnings,
                parameters,
            )
    for code, count in (
        ("future_visits", 0 if history else totals.future),
        ("duplicate_visits", totals.duplicates),
        ("non_positive_amounts", totals.nonpositive_amounts),
    ):
        if count:
            warnings.append({"code": code, "count": count})

    visit_days = columns.get("visit_days", np.int64)
    days_since_last = columns.get("days_since_last", np.float64)
    gap_median = columns.get("gap_median", np.float64)
    horizons = business_horizons(gap_median[np.isfinite(gap_median)])
    before, before_since = _aligned_previous(previous, ids)
    days_since_previous = (
        (now_s - previous.as_of) / SECONDS_PER_DAY if previous is not None else 0.0
    )
    stages = lifecycle_stages(
        visit_days=visit_days,
        age_days=(now_s - columns.get("first_at", np.int64)) / SECONDS_PER_DAY,
        days_since_last=days_since_last,
        judged=columns.get("judged", bool),
        overdue=columns.get("overdue", bool),
        overdue_threshold=columns.get("overdue_threshold", np.float64),
        dissatisfied=np.isin(ids, np.asarray(dissatisfied, dtype=np.int64)),
        horizons=horizons,
        p_alive=None if method == "rules" else p_alive,
        previous=before,
        previous_since_days=np.where(before >= 0, (now_s - before_since) / SECONDS_PER_DAY, 0),
        days_since_previous=days_since_previous,
    )
    stage_since = np.where(stages.stage == before, before_since, now_s).astype(np.int64)

    # A year of the customer at their own pace and spend, weighted by the chance that
    # they are gone; ranked across currencies by the multiple of a typical customer's
    # year (in visits where nothing is known of their spend).
    own = columns.get("currency", np.int64)
    mean_spend = np.where(np.isfinite(spend), spend, columns.get("mean_spend", np.float64))
    age = np.maximum((now_s - columns.get("first_at", np.int64)) / SECONDS_PER_DAY, 30.0)
    yearly_visits = visit_days * (365.0 / age)
    yearly = np.nan_to_num(mean_spend) * yearly_visits
    if method == "model":
        weight = 1.0 - p_alive
    else:
        weight = np.isin(stages.stage, [Stage.AT_RISK, Stage.LAPSED]).astype(np.float64)
    value_at_risk = np.round(yearly * weight, 2)
    worth = np.where(yearly > 0, _relative(yearly, own), _relative(yearly_visits, None))
    risk_score = weight * worth

    rfm = rfm_scores(
        ids,
        days_since_last,
        columns.get("recent_visits", np.float64),
        _relative(columns.get("recent_spend", np.float64), own),
        age_days=(now_s - columns.get("first_at", np.int64)) / SECONDS_PER_DAY,
    )
    values = [
        v
        for index, code in enumerate(codes)
        if (v := _value_figures(value[own == index], code)) is not None
    ]
    values.sort(key=lambda v: -int(sum(v["counts"])))
    main = values[0] if values else None
    figures: dict[str, Any] = {
        "horizon_days": HORIZON_DAYS,
        "clv_days": CLV_DAYS,
        "discount": ANNUAL_DISCOUNT,
        "stages": {s.name.lower(): v for s, v in stages.sizes().items()},
        "flows": _flow_figures(before, stages.stage),
        "previous_as_of": None
        if previous is None
        else datetime.fromtimestamp(previous.as_of, tz=now.tzinfo).isoformat(),
        "cohorts": _cohort_figures(totals.cohorts),
        "value": main,
        "values": values,
        "holdout": holdout(calibration, float(HOLDOUT_DAYS)) if method == "model" else None,
        "inputs": {
            "future_visits": 0 if history else totals.future,
            "duplicate_visits": totals.duplicates,
            "non_positive_amounts": totals.nonpositive_amounts,
            "single_visit_customers": int(np.count_nonzero(visit_days == 1)),
        },
        "horizons": {"risk_days": horizons.risk_days, "lapse_days": horizons.lapse_days},
        "rfm": {s.name.lower(): v for s, v in rfm.segment_sizes().items()},
    }
    return Computed(
        customer=ids,
        location=columns.get("location", np.int64),
        stage=stages.stage,
        stage_since=stage_since,
        visits=columns.get("visits", np.int64),
        visit_days=visit_days,
        first_at=columns.get("first_at", np.int64),
        last_at=columns.get("last_at", np.int64),
        gap_median=gap_median,
        gap_low=columns.get("gap_low", np.float64),
        gap_high=columns.get("gap_high", np.float64),
        weekdays=columns.get("weekdays", np.int64),
        part_of_day=columns.get("part_of_day", np.int64),
        overdue=columns.get("overdue", bool),
        overdue_ratio=columns.get("overdue_ratio", np.float64),
        p_alive=p_alive,
        expected_visits=expected,
        p_return=p_return,
        expected_spend=spend,
        value=value,
        value_at_risk=value_at_risk,
        risk_score=risk_score,
        currency_index=own,
        rfm=rfm.cell.astype(np.int64),
        method=method,
        currency=main["currency"] if main else (codes[0] if codes else ""),
        visit_count=totals.rows - totals.future - totals.duplicates,
        total_value=main["total"] if main else None,
        warnings=warnings,
        parameters=parameters,
        figures=figures,
    )


def _flow_figures(before: IntArray, now: npt.NDArray[np.int8]) -> dict[str, Any]:
    names = [s.name.lower() for s in Stage]
    return {
        "from": [*names, "none"],
        "to": names,
        "counts": flows(before, now).tolist(),
    }


__all__ = ["Computed", "FitFailed", "Previous", "compute"]
