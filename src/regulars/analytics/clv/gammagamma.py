"""Gamma-Gamma model of spend per visit, and discounted customer lifetime value.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
analysis", Journal of Marketing Research 42(4). Each visit's spend is Gamma(p, ν) (shape
p, rate ν), and ν varies across customers as Gamma(q, v) (shape q, rate v); spend is
independent of the visit process.

Inputs, per customer: ``frequency`` x, the number of repeat visits (as for BG/NBD), and
``monetary_value``, the customer's mean spend over those repeat visits, in the
business's currency as a float (callers convert ``Decimal`` at the boundary; v and the
predictions are in the same unit). Only customers with x > 0 and a positive mean spend
inform the fit: without a repeat visit there is no spend observation in this
convention (the ``lifetimes`` one), and zero or negative amounts are outside the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv._fit import (
    FloatArray,
    Objective,
    as_float_array,
    as_weights,
    check_penalizer,
    digamma,
    distinct_rows,
    expit,
    gammaln,
    group_rows,
    minimise,
    standard_errors,
)
from regulars.analytics.clv.bgnbd import (
    BGNBDFit,
    _customers,
    _expected_visits_alive,
    _log_odds_dropped,
)


@dataclass(frozen=True, slots=True)
class GammaGammaStandardErrors:
    """Standard errors of the fitted parameters."""

    p: float
    q: float
    v: float


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma model.

    ``p``: shape of spend per visit; ``q``, ``v``: shape and rate (v in currency units)
    of its scale's heterogeneity. ``loglik``: total weighted log-likelihood of the
    customers used, without the penalty. ``se``: standard errors from the inverse
    Hessian, None when it is not invertible. ``n_customers``: total weight of the
    customers used (x > 0, positive spend); ``n_distinct``: distinct (x, spend) rows.
    ``population_mean_spend``: the model's mean spend per visit, p·v/(q−1), when q > 1;
    otherwise (the model's mean is infinite) the weighted mean of the observed mean
    spends, so predictions stay finite.
    """

    p: float
    q: float
    v: float
    loglik: float
    se: GammaGammaStandardErrors | None
    n_customers: float
    n_distinct: int
    converged: bool
    iterations: int
    penalizer: float
    population_mean_spend: float


@dataclass(frozen=True, slots=True)
class _Data:
    freqs: FloatArray  # distinct frequencies, with their total weights
    freq_weights: FloatArray
    x: FloatArray  # distinct (x, spend) rows
    log_x: FloatArray
    spend: FloatArray
    log_spend: FloatArray
    weights: FloatArray
    total: float
    n_distinct: int


def _spenders(
    frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    x = as_float_array(frequency, "frequency")
    spend = as_float_array(monetary_value, "monetary_value")
    try:
        x, spend = np.broadcast_arrays(x, spend)
    except ValueError as error:
        raise ValueError("frequency and monetary_value must have the same length") from error
    if np.any(x < 0):
        raise ValueError("frequency must be >= 0")
    return x.astype(np.float64), spend.astype(np.float64)


def _objective(data: _Data, penalizer: float) -> Objective:
    """Mean negative log-likelihood + L2 penalty and its analytic gradient (log-params).

    Per customer, with mean spend m over x visits (the sum x·m is Gamma(px, ν)):
    ``ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x
    − (px+q) ln(v + x·m)``.
    """

    def evaluate(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        p, q, v = (float(value) for value in params)
        n = data.total
        f, fw = data.freqs, data.freq_weights
        pf = p * f
        loglik = float(fw @ (gammaln(pf + q) - gammaln(pf))) + n * (
            q * math.log(v) - float(gammaln(q))
        )
        shared = digamma(pf + q)
        g_p = float(fw @ (f * (shared - digamma(pf))))
        g_q = float(fw @ shared) + n * (math.log(v) - float(digamma(q)))
        g_v = n * q / v
        x, w = data.x, data.weights
        px = p * x
        total_spend = v + x * data.spend
        log_total = np.log(total_spend)
        loglik += float(w @ ((px - 1.0) * data.log_spend + px * data.log_x - (px + q) * log_total))
        g_p += float(w @ (x * (data.log_spend + data.log_x - log_total)))
        g_q -= float(w @ log_total)
        g_v -= float(w @ ((px + q) / total_spend))
        gradient = -np.array([g_p, g_q, g_v]) / n + 2.0 * penalizer * params
        value = -loglik / n + penalizer * float(params @ params)
        return value, gradient * params

    return evaluate


def gammagamma_log_likelihood(
    p: float, q: float, v: float, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood (formula in ``_objective``); customers
    without repeat visits or with a non-positive mean spend get 0 (they carry no
    information in this model)."""
    x, spend = _spenders(frequency, monetary_value)
    used = (x > 0) & (spend > 0)
    out = np.zeros_like(x)
    xu, mu = x[used], spend[used]
    out[used] = (
        gammaln(p * xu + q)
        - gammaln(p * xu)
        - gammaln(q)
        + q * math.log(v)
        + (p * xu - 1.0) * np.log(mu)
        + p * xu * np.log(xu)
        - (p * xu + q) * np.log(v + xu * mu)
    )
    return out


def fit_gammagamma(
    frequency: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    penalizer: float = 0.0,
) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood over customers with x > 0 and spend > 0.

    Identical (x, spend) rows are grouped; the objective is the mean negative
    log-likelihood plus ``penalizer · (p² + q² + v²)``, minimised by L-BFGS-B over
    log-parameters with the analytic gradient from three starts (one moment-based).
    ValueError on invalid input or when no customer has a repeat visit with positive
    spend; a handful of customers gives a finite fit, possibly with ``se`` None.
    """
    x, spend = _spenders(frequency, monetary_value)
    w = as_weights(weights, len(x))
    pen = check_penalizer(penalizer)
    used = (x > 0) & (spend > 0) & (w > 0)
    if not np.any(used):
        raise ValueError("Gamma-Gamma needs a customer with a repeat visit and positive spend")
    grouped = group_rows((x[used], spend[used]), w[used])
    gx, gm = grouped.columns
    gw = grouped.weights
    freqs, inverse = np.unique(gx, return_inverse=True)
    data = _Data(
        freqs=freqs,
        freq_weights=np.asarray(
            np.bincount(inverse.ravel(), weights=gw, minlength=len(freqs)), dtype=np.float64
        ),
        x=gx,
        log_x=np.log(gx),
        spend=gm,
        log_spend=np.log(gm),
        weights=gw,
        total=float(gw.sum()),
        n_distinct=len(gw),
    )
    observed_mean = float(gw @ gm) / data.total
    objective = _objective(data, pen)
    # Moment start: with p = 2, q = 3 the model's mean spend p·v/(q−1) equals v.
    starts = [[2.0, 3.0, observed_mean], [1.0, 1.0, 1.0], [5.0, 5.0, 0.8 * observed_mean]]
    optimum = minimise(objective, starts)
    p, q, v = (float(value) for value in optimum.params)
    errors = standard_errors(objective, optimum.params, data.total)
    loglik = optimum.log_likelihood(pen, data.total)
    population = p * v / (q - 1.0) if q > 1.0 else observed_mean
    if not math.isfinite(population):
        population = observed_mean
    return GammaGammaFit(
        p=p,
        q=q,
        v=v,
        loglik=float(loglik),
        se=None if errors is None else GammaGammaStandardErrors(*(float(e) for e in errors)),
        n_customers=data.total,
        n_distinct=data.n_distinct,
        converged=optimum.converged,
        iterations=optimum.iterations,
        penalizer=pen,
        population_mean_spend=population,
    )


def gammagamma_expected_spend(
    fit: GammaGammaFit, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
) -> FloatArray:
    """Expected mean spend per future visit given x visits with mean spend m.

    ``p·(v + x·m) / (p·x + q − 1)``: a weighted average of the population mean
    p·v/(q−1) and the customer's own m, with weight p·x/(p·x + q − 1) on m, so low
    frequencies shrink towards the population. Customers without repeat visits or a
    positive mean spend (and the degenerate p·x + q ≤ 1) get ``population_mean_spend``.
    """
    x, spend = _spenders(frequency, monetary_value)
    denominator = fit.p * x + fit.q - 1.0
    informed = (x > 0) & (spend > 0) & (denominator > 0)
    out = np.full_like(x, fit.population_mean_spend)
    out[informed] = fit.p * (fit.v + x[informed] * spend[informed]) / denominator[informed]
    return out


DAYS_PER_YEAR = 365.0


def customer_lifetime_value(
    bgnbd_fit: BGNBDFit,
    gg_fit: GammaGammaFit,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike,
    *,
    horizon_days: float = 365.0,
    annual_discount_rate: float = 0.10,
    step_days: float = 30.0,
) -> FloatArray:
    """Discounted expected spend over the next ``horizon_days`` (currency units).

    As ``lifetimes`` does it: the horizon is cut into steps of ``step_days`` (the last
    one shorter if needed); each step contributes (expected BG/NBD visits in that step)
    × (Gamma-Gamma expected spend per visit) × ``(1 + annual_discount_rate)^−(end/365)``,
    discounted from the step's end. Spend is assumed independent of the visit process
    (the Gamma-Gamma premise). ValueError for a negative horizon, a step ≤ 0 or a
    discount rate ≤ −1.
    """
    if not (math.isfinite(horizon_days) and horizon_days >= 0):
        raise ValueError("horizon_days must be >= 0")
    if not (math.isfinite(step_days) and step_days > 0):
        raise ValueError("step_days must be > 0")
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise ValueError("annual_discount_rate must be > -1")
    x, tx, age = _customers(frequency, recency, T)
    spend = gammagamma_expected_spend(gg_fit, x, monetary_value)
    if spend.shape != x.shape:
        raise ValueError("monetary_value must have one entry per customer")
    alive = expit(-_log_odds_dropped(bgnbd_fit, x, tx, age))
    # The visit part depends on (x, T) only: computed per distinct pair, then gathered.
    (dx, dage), inverse = distinct_rows((x, age))
    value = np.zeros_like(x)
    before = np.zeros_like(dx)
    steps = math.ceil(horizon_days / step_days - 1e-12) if horizon_days > 0 else 0
    for k in range(1, steps + 1):
        end = min(k * step_days, horizon_days)
        cumulative = _expected_visits_alive(
            bgnbd_fit.r + dx,
            bgnbd_fit.alpha + dage,
            bgnbd_fit.a,
            bgnbd_fit.b + dx,
            np.full_like(dx, end),
        )
        step_visits = np.maximum(cumulative - before, 0.0)[inverse]
        value += (
            alive * step_visits * spend * (1.0 + annual_discount_rate) ** (-end / DAYS_PER_YEAR)
        )
        before = cumulative
    return value
