"""The models of a snapshot: BG/NBD on the visits, Gamma-Gamma on each currency's
spend, the customer value, and the holdout check; their parameters as JSON for the
snapshot row. A fit that cannot be trusted at all raises :class:`FitFailed`."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv import (
    bgnbd_expected_visits,
    bgnbd_p_at_least_one,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gammagamma,
    gammagamma_expected_spend,
)
from regulars.analytics.clv.bgnbd import BGNBDFit
from regulars.analytics.clv.checks import (
    MIN_SPEND_CUSTOMERS,
    CustomerSummary,
    InputCounts,
    fit_problems,
    holdout_check,
    p_alive_check,
    thin_data,
)
from regulars.analytics.clv.gammagamma import GammaGammaFit
from regulars.loyalty.gather import Columns

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HORIZON_DAYS = 90.0
"""Expected visits and P(at least one visit) are over the next this many days."""

CLV_DAYS = 365.0
"""Customer value is the discounted expected spend over this many days."""

ANNUAL_DISCOUNT = 0.10
"""Yearly discount rate of future spend."""


class FitFailed(Exception):
    """The models could not be fitted; the message says why (for the operator)."""


def bgnbd_parameters(fit: BGNBDFit) -> dict[str, Any]:
    se = fit.se
    return {
        "r": fit.r,
        "alpha": fit.alpha,
        "a": fit.a,
        "b": fit.b,
        "loglik": fit.loglik,
        "se": None if se is None else {"r": se.r, "alpha": se.alpha, "a": se.a, "b": se.b},
        "customers": fit.n_customers,
        "distinct_rows": fit.n_distinct,
        "iterations": fit.iterations,
    }


def gammagamma_parameters(fit: GammaGammaFit) -> dict[str, Any]:
    se = fit.se
    return {
        "p": fit.p,
        "q": fit.q,
        "v": fit.v,
        "loglik": fit.loglik,
        "se": None if se is None else {"p": se.p, "q": se.q, "v": se.v},
        "population_mean_spend": fit.population_mean_spend,
    }


def fit_visits(summary: CustomerSummary) -> tuple[BGNBDFit, list[str]]:
    """BG/NBD on the summary; FitFailed when it cannot be trusted at all."""
    try:
        fit = fit_bgnbd(summary.frequency, summary.recency, summary.T)
    except (ValueError, FloatingPointError, ArithmeticError) as exc:
        raise FitFailed(f"BG/NBD could not be fitted: {exc}") from exc
    problems = fit_problems(
        (fit.r, fit.alpha, fit.a, fit.b),
        converged=fit.converged,
        has_standard_errors=fit.se is not None,
    )
    fatal = [p for p in problems if p in ("not_converged", "parameter_not_finite")]
    if fatal:
        raise FitFailed(f"BG/NBD did not give a usable fit ({', '.join(fatal)})")
    return fit, [str(p) for p in problems]


def holdout(calibration: Columns, days: float) -> dict[str, Any] | None:
    """The model check on the calibration period, or None when it is too thin."""
    freq = calibration.get("frequency", np.int64)
    rec = calibration.get("recency", np.float64)
    age = calibration.get("T", np.float64)
    actual = calibration.get("holdout", np.int64)
    cal = CustomerSummary(
        customer=np.arange(freq.size, dtype=np.int64),
        frequency=freq,
        recency=rec,
        T=age,
        monetary=np.zeros(freq.size),
        monetary_count=np.zeros(freq.size, dtype=np.int64),
        counts=InputCounts(0, 0, 0, 0, 0, 0, 0),
    )
    if thin_data(cal).visits_thin:
        return None
    try:
        fit, _ = fit_visits(cal)
    except FitFailed:
        return None
    try:
        predicted = bgnbd_expected_visits(fit, days, freq, rec, age)
        check = holdout_check(predicted, actual, freq)
        p_visit = bgnbd_p_at_least_one(fit, days, freq, rec, age)
        alive = p_alive_check(p_visit, actual)
    except (ValueError, ArithmeticError):
        # The check is a figure beside the snapshot, not a reason to lose the night's.
        log.exception("loyalty holdout check failed")
        return None
    last = check.frequency.size - 1
    return {
        "days": days,
        "groups": [
            {
                "frequency": f"{int(f)}+" if i == last else str(int(f)),
                "customers": int(check.customers[i]),
                "predicted": float(check.predicted_mean[i]),
                "actual": float(check.actual_mean[i]),
            }
            for i, f in enumerate(check.frequency)
        ],
        "total_predicted": check.predicted_total,
        "total_actual": check.actual_total,
        "relative_error": check.relative_error,
        "alive": [
            {
                "lo": float(alive.edges[i]),
                "hi": float(alive.edges[i + 1]),
                "predicted": float(alive.mean_predicted[i]),
                "actual": float(alive.actual_share[i]),
                "customers": int(alive.customers[i]),
            }
            for i in range(alive.customers.size)
        ],
        "brier_score": alive.brier_score,
        "calibration_error": alive.calibration_error,
    }


def spend_and_value(
    visits_fit: BGNBDFit,
    summary: CustomerSummary,
    own: IntArray,
    codes: list[str],
    warnings: list[dict[str, Any]],
    parameters: dict[str, Any],
) -> tuple[FloatArray, FloatArray]:
    """Expected spend per visit and value, per currency: Gamma-Gamma is fitted on the
    returning customers of each currency (money of different currencies never mixes);
    a currency with too few of them gets no spend or value, and says so."""
    n = summary.customer.size
    spend, value = np.full(n, np.nan), np.full(n, np.nan)
    spenders = summary.monetary_count > 0
    if not spenders.any():
        warnings.append({"code": "no_amounts"})
        return spend, value
    fits: dict[str, Any] = {}
    for index, code in enumerate(codes):
        group = own == index
        count = int(np.count_nonzero(spenders & group))
        if count == 0:
            continue
        if count < MIN_SPEND_CUSTOMERS:
            warnings.append(
                {
                    "code": "thin_data",
                    "reasons": ["too_few_spend_customers"],
                    "currency": code,
                    "customers": int(np.count_nonzero(group)),
                    "repeat_customers": int(np.count_nonzero(group & (summary.frequency > 0))),
                }
            )
            continue
        x, m = summary.monetary_count[group], summary.monetary[group]
        spend_fit = fit_gammagamma(x, m)
        fits[code] = gammagamma_parameters(spend_fit)
        spend[group] = gammagamma_expected_spend(spend_fit, x, m)
        value[group] = customer_lifetime_value(
            visits_fit,
            spend_fit,
            summary.frequency[group],
            summary.recency[group],
            summary.T[group],
            m,
            horizon_days=CLV_DAYS,
            annual_discount_rate=ANNUAL_DISCOUNT,
        )
    if fits:
        parameters["gammagamma"] = fits
    # To the cent, as stored: totals over the standings then equal the stored figures.
    return np.round(spend, 2), np.round(value, 2)
