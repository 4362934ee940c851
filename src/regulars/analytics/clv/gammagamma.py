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
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv._fit import (
    FloatArray,
    Objective,
    SecondOrder,
    as_float_array,
    as_weights,
    check_penalizer,
    codes,
    digamma,
    distinct_rows,
    dot,
    expit,
    gammaln,
    group_rows,
    log_space,
    minimise,
    standard_errors,
    trigamma,
)
from regulars.analytics.clv._fit import customer_arrays as _customers
from regulars.analytics.clv.bgnbd import (
    BGNBDFit,
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
    return np.asarray(x, dtype=np.float64), np.asarray(spend, dtype=np.float64)


def _objective(data: _Data, penalizer: float) -> Objective:
    """Mean negative log-likelihood + L2 penalty and its analytic gradient (log-params).

    Per customer, with mean spend m over x visits (the sum x·m is Gamma(px, ν)):
    ``ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x
    − (px+q) ln(v + x·m)``.
    """
    return _Likelihood(data, penalizer).objective


def _second_order(data: _Data, penalizer: float) -> SecondOrder:
    """``_objective`` with its analytic Hessian (log-params), for Newton's method."""
    return _Likelihood(data, penalizer).second_order


class _Likelihood:
    """Value, gradient and Hessian of the mean negative log-likelihood plus penalty, in
    log-parameters (derivatives taken in the parameters and converted).

    Only ln(v + x·m) needs work per row and evaluation: the terms in x alone are summed
    per distinct frequency, and Σ w·((px−1) ln m + px ln x) is p·K₁ − K₀ with constants
    computed once. Per-row results go to scratch rows allocated once (fresh arrays of a
    few MB per operation cost page faults as large as the arithmetic).
    """

    def __init__(self, data: _Data, penalizer: float) -> None:
        self.data = data
        self.penalizer = penalizer
        self.spent = data.x * data.spend  # x·m, the customer's total repeat spend
        self.wx = data.weights * data.x
        self.k1 = dot(self.wx, data.log_spend + data.log_x)
        self.k0 = dot(data.weights, data.log_spend)
        self.scratch = np.empty((3, len(data.x)))

    def objective(self, log_params: FloatArray) -> tuple[float, FloatArray]:
        value, gradient, _ = self._evaluate(log_params, hessian=False)
        return value, gradient

    def second_order(self, log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        return self._evaluate(log_params, hessian=True)

    def _evaluate(
        self, log_params: FloatArray, *, hessian: bool
    ) -> tuple[float, FloatArray, FloatArray]:
        data, penalizer = self.data, self.penalizer
        params = np.exp(log_params)
        p, q, v = (float(value) for value in params)
        n = data.total
        f, fw = data.freqs, data.freq_weights
        pf = p * f
        loglik = dot(fw, gammaln(pf + q) - gammaln(pf)) + n * (q * math.log(v) - float(gammaln(q)))
        shared = digamma(pf + q)
        g_p = dot(fw, f * (shared - digamma(pf))) + self.k1
        g_q = dot(fw, shared) + n * (math.log(v) - float(digamma(q)))
        g_v = n * q / v
        w, wx = data.weights, self.wx
        total, log_total, inverse = self.scratch
        np.add(self.spent, v, out=total)
        np.log(total, out=log_total)
        np.divide(1.0, total, out=inverse)
        wx_log, w_log = dot(wx, log_total), dot(w, log_total)
        wx_inverse, w_inverse = dot(wx, inverse), dot(w, inverse)
        loglik += p * self.k1 - self.k0 - p * wx_log - q * w_log
        g_p -= wx_log
        g_q -= w_log
        g_v -= p * wx_inverse + q * w_inverse
        gradient = -np.array([g_p, g_q, g_v]) / n + 2.0 * penalizer * params
        value = -loglik / n + penalizer * dot(params, params)
        if not hessian:
            return value, gradient * params, np.empty((0, 0))
        shared_1 = trigamma(pf + q)
        np.multiply(inverse, inverse, out=total)
        h = np.empty((3, 3))
        h[0, 0] = dot(fw, f * f * (shared_1 - trigamma(pf)))
        h[0, 1] = dot(fw, f * shared_1)
        h[1, 1] = dot(fw, shared_1) - n * float(trigamma(q))
        h[0, 2] = -wx_inverse
        h[1, 2] = n / v - w_inverse
        h[2, 2] = -n * q / v**2 + p * dot(wx, total) + q * dot(w, total)
        upper = np.triu_indices(3, 1)
        h[(upper[1], upper[0])] = h[upper]
        curvature = -h / n + 2.0 * penalizer * np.eye(3)
        return log_space(params, value, gradient, curvature)


_ROUGH_ROWS = 20_000
"""Above this many distinct (x, spend) rows, the loose multi-start runs on an evenly
spaced subsample of them (weights scaled up to the same total); the polish uses all."""


def _subsample(data: _Data) -> _Data | None:
    """Every k-th distinct row (rows are sorted by x, then spend, so the sample keeps the
    spread of each), or None when there are few enough rows already. The terms in x
    alone stay exact."""
    rows = len(data.x)
    if rows <= _ROUGH_ROWS:
        return None
    keep = slice(0, rows, -(-rows // _ROUGH_ROWS))
    weights = data.weights[keep]
    scale = float(data.weights.sum()) / float(weights.sum())
    return replace(
        data,
        x=data.x[keep],
        log_x=data.log_x[keep],
        spend=data.spend[keep],
        log_spend=data.log_spend[keep],
        weights=weights * scale,
    )


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
    log-likelihood plus ``penalizer · (p² + q² + v²)``, minimised over log-parameters
    by Newton's method with the analytic gradient and Hessian from three starts (one
    moment-based; run on a subsample above 20,000 distinct rows), the best polished on
    all rows (as for ``fit_bgnbd``). ValueError on invalid input or when no customer has
    a repeat visit with positive spend; a handful of customers gives a finite fit,
    possibly with ``se`` None.
    """
    x, spend = _spenders(frequency, monetary_value)
    w = as_weights(weights, len(x))
    pen = check_penalizer(penalizer)
    used = (x > 0) & (spend > 0) & (w > 0)
    if not np.any(used):
        raise ValueError("Gamma-Gamma needs a customer with a repeat visit and positive spend")
    everyone = bool(used.all())  # the usual case: no copies of a million rows then
    grouped = group_rows(
        (x, spend) if everyone else (x[used], spend[used]), w if everyone else w[used]
    )
    gx, gm = grouped.columns
    gw = grouped.weights
    freqs, inverse = codes(gx)
    data = _Data(
        freqs=freqs,
        freq_weights=np.bincount(inverse, weights=gw, minlength=len(freqs)).astype(np.float64),
        x=gx,
        log_x=np.log(gx),
        spend=gm,
        log_spend=np.log(gm),
        weights=gw,
        total=float(gw.sum()),
        n_distinct=len(gw),
    )
    del x, spend, w, used, grouped  # per-customer arrays: a million take tens of MB
    observed_mean = dot(gw, gm) / data.total
    likelihood = _Likelihood(data, pen)
    objective = likelihood.objective
    # Moment start: with p = 2, q = 3 the model's mean spend p·v/(q−1) equals v.
    starts = [[2.0, 3.0, observed_mean], [1.0, 1.0, 1.0], [5.0, 5.0, 0.8 * observed_mean]]
    sample = _subsample(data)
    optimum = minimise(
        objective,
        starts,
        second_order=likelihood.second_order,
        rough=None if sample is None else _second_order(sample, pen),
    )
    p, q, v = (float(value) for value in optimum.params)
    errors = standard_errors(objective, optimum.params, data.total, hessian=optimum.hessian)
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
