"""Pareto/NBD ("Pareto / negative binomial distribution") model of repeat visits.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what
will they do next?", Management Science 33(1); likelihood and predictions as in Fader &
Hardie (2005), "A note on deriving the Pareto/NBD model and related expressions". While
alive, a customer visits as a Poisson process with rate λ ~ Gamma(r, α) (shape r, rate
α); independently, they stay for an exponential lifetime with rate μ ~ Gamma(s, β), and
may leave at any moment (unlike BG/NBD, where dropping out happens only at a visit).

Units and inputs, per customer (all arrays of the same length):

- ``frequency`` x: number of repeat visits (visits after the first), a count ≥ 0;
- ``recency`` t_x: days from the first visit to the last one (0 when x = 0; ignored then);
- ``T``: days from the first visit to the end of the observation (the customer's age),
  with 0 ≤ t_x ≤ T.

Time is in days throughout, so α and β are in days and λ, μ per day. Results are finite
for every valid input (no repeats, T = 0, t_x = T, x in the tens of thousands); invalid
input raises ValueError.

The likelihood (Fader & Hardie 2005, eq. 18) is

``L = Γ(r+x) α^r β^s / Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s · (J(t_x) − J(T))]``,
``J(y) = ∫_y^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ``

(the second term sums over the moment τ the customer left, between the last visit and
T). In their notation ``s·(J(t_x) − J(T)) = s/(r+s+x) · A₀``, and ``J`` is the Gaussian
hypergeometric function of their eq. 19/20 with the same branch choice (expansion around
the larger of α and β); see ``_log_tail`` for how it and its parameter derivatives are
evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special  # type: ignore[import-untyped]

from regulars.analytics.clv._fit import (
    FloatArray,
    IntArray,
    Objective,
    as_weights,
    check_penalizer,
    digamma,
    distinct_rows,
    dot,
    gammaln,
    group_rows,
    minimise,
    standard_errors,
)
from regulars.analytics.clv._fit import customer_arrays as _customers
from regulars.analytics.clv._fit import horizon_days as _horizon


@dataclass(frozen=True, slots=True)
class ParetoNBDStandardErrors:
    """Standard errors of the fitted parameters (same units as the parameters)."""

    r: float
    alpha: float
    s: float
    beta: float


@dataclass(frozen=True, slots=True)
class ParetoNBDFit:
    """A fitted Pareto/NBD model.

    ``r`` (shape) and ``alpha`` (rate, in days) of the Gamma visit-rate heterogeneity;
    ``s`` (shape) and ``beta`` (rate, in days) of the Gamma dropout-rate heterogeneity.
    ``loglik``: total weighted log-likelihood at the optimum, without the penalty.
    ``se``: standard errors from the inverse Hessian, None when it is not invertible
    (degenerate data, a bound reached). ``n_customers``: total weight (the number of
    customers when weights are counts); ``n_distinct``: distinct (x, t_x, T) rows the
    likelihood was evaluated on. ``converged`` and ``iterations`` describe the best
    optimiser run; ``penalizer`` is the L2 penalty used.
    """

    r: float
    alpha: float
    s: float
    beta: float
    loglik: float
    se: ParetoNBDStandardErrors | None
    n_customers: float
    n_distinct: int
    converged: bool
    iterations: int
    penalizer: float


# --- data ---------------------------------------------------------------------------------


def _pairs(x: FloatArray, *ys: FloatArray) -> tuple[FloatArray, FloatArray, list[IntArray]]:
    """The distinct (x, y) pairs over every y column and, per column, each row's index
    among them.

    Counts and whole days index a dense table when it is small (no sort: a million
    customers take a few passes); anything else goes through ``distinct_rows``.
    """
    n = len(x)
    whole = n > 0 and x.min() >= 0 and all(y.min() >= 0 for y in ys)
    if whole:
        width = int(max(y.max() for y in ys)) + 1
        size = (int(x.max()) + 1) * width
        whole = size <= 4 * n * len(ys) + 4096 and np.all(x == np.floor(x))
        whole = whole and all(np.all(y == np.floor(y)) for y in ys)
    if whole:
        base = x.astype(np.intp) * width
        keys = [base + y.astype(np.intp) for y in ys]
        present = np.zeros(size, dtype=bool)
        for key in keys:
            present[key] = True
        index = np.cumsum(present) - 1
        table = np.flatnonzero(present)
        return (
            (table // width).astype(np.float64),
            (table % width).astype(np.float64),
            [np.asarray(index[key], dtype=np.intp) for key in keys],
        )
    (pair_x, pair_y), inverse = distinct_rows((np.tile(x, len(ys)), np.concatenate(ys)))
    return pair_x, pair_y, [inverse[i * n : (i + 1) * n] for i in range(len(ys))]


# --- the integral J and its derivatives -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tail:
    """ln J(y) for ``J(y) = ∫_y^∞ (a+τ)^−p (b+τ)^−q dτ`` and, when asked for, its partial
    derivatives in p, q, a and b."""

    log: FloatArray
    d_p: FloatArray
    d_q: FloatArray
    d_a: FloatArray
    d_b: FloatArray


_SERIES_Z = 0.5
"""The series is summed where z = (a−b)/(a+y) ≤ this (at most ~60 terms); beyond, the
part of the integral up to the point where z = this goes to quadrature, which is then
the cheaper of the two."""

_SERIES_TOLERANCE = 1e-17
_SERIES_MAX_TERMS = 400
_QUADRATURE_CHUNK = 8192

# Tanh-sinh rule on [0, 1]: nodes expit(π sinh t) and their weights, for t = k·h.
_TS_STEP = 1.0 / 8.0
_TS_T = np.arange(-26, 27) * _TS_STEP
_TS_X = np.asarray(special.expit(np.pi * np.sinh(_TS_T)), dtype=np.float64)
_TS_W = np.asarray(
    _TS_STEP
    * np.pi
    * np.cosh(_TS_T)
    * special.expit(np.pi * np.sinh(_TS_T))
    * special.expit(-np.pi * np.sinh(_TS_T)),
    dtype=np.float64,
)


def _log_tail(
    p: FloatArray, q: FloatArray, a: FloatArray, b: FloatArray, y: FloatArray, gradient: bool
) -> _Tail:
    """ln J(y), ``J(y) = ∫_y^∞ (a+τ)^−p (b+τ)^−q dτ``, for a ≥ b > 0, p, q > 0, y ≥ 0
    (arrays of one shape), with its partial derivatives when ``gradient``.

    Substituting w = (a+y)/(a+τ) gives the hypergeometric form of Fader & Hardie (2005):
    ``J = (a+y)^−m / m · ₂F₁(m, q; m+1; z)``, m = p+q−1, z = (a−b)/(a+y) ∈ [0, 1), and
    Euler's transformation turns it into a series of positive, decreasing terms:

    ``J = (a+y)^−p (b+y)^−(q−1) / m · G``, ``G = ₂F₁(1, p; m+1; z) = Σ_k (p)_k/(m+1)_k z^k``

    (term ratio ``z·(p+k)/(m+1+k) < z``). Its derivatives in the parameters are series
    too: ``∂(p)_k/∂p = (p)_k·Σ_{j<k} 1/(p+j)``, likewise for ``(m+1)_k``, and
    ``∂G/∂z = Σ k·(p)_k/(m+1)_k z^(k−1)``, so value and gradient are exact up to rounding.
    Where z ≤ ``_SERIES_Z`` that is the whole computation; closer to 1 (a much larger than
    b+y) the series would converge slowly, so ``J(y) = J(y*) + ∫_y^y* …``, with y* where
    z = ``_SERIES_Z`` (series) and the finite part by quadrature (``_quadrature_tail``).
    """
    far = (a - b) > _SERIES_Z * (a + y)
    if not np.any(far):
        return _series_tail(p, q, a, b, y, gradient)
    parts = [np.empty_like(y) for _ in range(5)]
    near = np.flatnonzero(~far)
    if near.size:
        _scatter(parts, near, _series_tail(p[near], q[near], a[near], b[near], y[near], gradient))
    far_at = np.flatnonzero(far)
    for start in range(0, len(far_at), _QUADRATURE_CHUNK):
        at = far_at[start : start + _QUADRATURE_CHUNK]
        _scatter(parts, at, _quadrature_tail(p[at], q[at], a[at], b[at], y[at], gradient))
    return _Tail(*parts)


def _scatter(parts: list[FloatArray], where: IntArray, tail: _Tail) -> None:
    for part, values in zip(parts, (tail.log, tail.d_p, tail.d_q, tail.d_a, tail.d_b), strict=True):
        part[where] = values


def _series_tail(
    p: FloatArray, q: FloatArray, a: FloatArray, b: FloatArray, y: FloatArray, gradient: bool
) -> _Tail:
    """``_log_tail`` by the series in z, for z ≤ ``_SERIES_Z`` (at most ~60 terms)."""
    apy = a + y
    bpy = b + y
    m = p + q - 1.0
    z = (a - b) / apy
    log_apy = np.log(apy)
    log_bpy = np.log(bpy)
    g, g_p, g_m, g_z = _hypergeometric_series(p, m + 1.0, z, bpy / apy, gradient)
    log = -p * log_apy - (q - 1.0) * log_bpy - np.log(m) + np.log(g)
    if not gradient:
        return _Tail(log, log, log, log, log)
    g_p, g_m, g_z = g_p / g, g_m / g, g_z / g
    return _Tail(
        log,
        d_p=-log_apy - 1.0 / m + g_p + g_m,
        d_q=-log_bpy - 1.0 / m + g_m,
        d_a=-p / apy + g_z * bpy / (apy * apy),
        d_b=-(q - 1.0) / bpy - g_z / apy,
    )


def _hypergeometric_series(
    p: FloatArray, c: FloatArray, z: FloatArray, one_minus_z: FloatArray, gradient: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``G = ₂F₁(1, p; c; z) = Σ_k (p)_k/(c)_k z^k`` for 0 < p < c, 0 ≤ z < 1, and, when
    ``gradient``, ∂G/∂p, ∂G/∂c, ∂G/∂z (zeros otherwise).

    Terms are positive and shrink by at least a factor z, so the remainder after a term t
    is below ``t·z/(1−z)`` (with the harmonic and k weights of the derivatives, below
    ``t·(k + 1 + H)/(1−z)²``); summing stops when that is below 1e-17 of G. Rows drop out
    of the vectorised loop as they converge (checked every eight terms).
    """
    n = len(z)
    out = [np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n)]
    at = np.arange(n)
    term = np.ones(n)
    g = np.ones(n)
    g_p, g_c, g_z = np.zeros(n), np.zeros(n), np.zeros(n)
    h_p, h_c = np.zeros(n), np.zeros(n)
    pk, ck, zz = p.astype(np.float64), c.astype(np.float64), z.astype(np.float64)
    bound = 1.0 / (one_minus_z * one_minus_z)
    k = 0
    while at.size:
        for _ in range(8):
            ratio = pk / ck
            if gradient:
                h_p += 1.0 / pk
                h_c += 1.0 / ck
                g_z += term * ratio * (k + 1.0)
            term = term * ratio * zz
            g += term
            if gradient:
                g_p += term * h_p
                g_c -= term * h_c
            pk += 1.0
            ck += 1.0
            k += 1
        rest = term * (k + 1.0 + h_p + h_c) * bound
        done = (rest <= _SERIES_TOLERANCE * g) | (k >= _SERIES_MAX_TERMS)
        if np.any(done):
            for target, values in zip(out, (g, g_p, g_c, g_z), strict=True):
                target[at[done]] = values[done]
            keep = ~done
            at = at[keep]
            term, g, g_p, g_c, g_z = term[keep], g[keep], g_p[keep], g_c[keep], g_z[keep]
            h_p, h_c, pk, ck, zz = h_p[keep], h_c[keep], pk[keep], ck[keep], zz[keep]
            bound = bound[keep]
    return out[0], out[1], out[2], out[3]


_NEGLIGIBLE = 40.0
"""The quadrature stops where the integrand has fallen below e^−40 of its value at u = 0."""


def _quadrature_span(p: FloatArray, q: FloatArray, omz: FloatArray, end: FloatArray) -> FloatArray:
    """Where on [0, end] the integrand e^φ of ``_quadrature_tail`` has become negligible
    (φ = −``_NEGLIGIBLE``), or ``end`` if it never does: the nodes then sit where the mass
    is, which matters when the decay is steep (large p or q).

    φ is concave with φ(0) = 0, so once it decreases it stays below its tangents: with
    initial slope −k₀ < 0 the cut lies before 40/k₀. From there, Newton's method on
    ln(−φ) (nearly linear where p·ln(z + (1−z)e^u) grows like e^u) moves towards the cut,
    kept inside a bracket that always ends on the safe (negligible) side.
    """
    slope = (q - 1.0) + p * omz
    with np.errstate(divide="ignore"):
        high = np.where(slope > 0.0, np.minimum(end, _NEGLIGIBLE / slope), end)
    low = np.zeros_like(high)

    def phi(u: FloatArray) -> tuple[FloatArray, FloatArray]:
        grown = omz * np.expm1(u)
        value = -(q - 1.0) * u - p * np.log1p(grown)
        return value, -(q - 1.0) - p * (grown + omz) / (1.0 + grown)

    value, derivative = phi(high)
    todo = (value < -_NEGLIGIBLE) & (derivative < 0.0)
    u = high.copy()
    for _ in range(8):
        if not np.any(todo):
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            step = (np.log(-value) - np.log(_NEGLIGIBLE)) * value / derivative
        guess = u - step
        inside = np.isfinite(guess) & (guess > low) & (guess < high)
        u = np.where(todo, np.where(inside, guess, 0.5 * (low + high)), u)
        value, derivative = phi(u)
        beyond = value <= -_NEGLIGIBLE
        high = np.where(todo & beyond, u, high)
        low = np.where(todo & ~beyond, u, low)
        todo &= high - low > 1e-3 * high
    return high


def _quadrature_tail(
    p: FloatArray, q: FloatArray, a: FloatArray, b: FloatArray, y: FloatArray, gradient: bool
) -> _Tail:
    """``_log_tail`` for z > ``_SERIES_Z``: ``J(y) = J(y*) + ∫_y^y* (a+τ)^−p (b+τ)^−q dτ``.

    y* = (a−b)/``_SERIES_Z`` − a makes z = ``_SERIES_Z``, where the series is quick. With
    u = ln((b+τ)/(b+y)) and ``S = (a+y)^−p (b+y)^−(q−1) / m`` the finite part is
    ``S·m·∫_0^U e^φ(u) du``, ``φ(u) = −(q−1)·u − p·ln(z + (1−z)·e^u)``: φ(0) = 0 and φ is
    concave, so the integrand is one smooth bump or a decay from u = 0. Tanh-sinh (53
    nodes) integrates it, and the derivatives (integrands times ln(a+τ), ln(b+τ),
    1/(a+τ), 1/(b+τ)) on the same nodes; y* is held fixed, which is exact because J(y)
    does not depend on where the integral is split. The interval ends where the
    integrand has become negligible (``_quadrature_span``), so that with a steep decay
    the nodes stay where the mass is. Agreement with 40-digit ``mpmath`` values: ~1e-15
    relative for ordinary parameters, 1e-9 at extremes (a/b = 10⁷, p or q = 10⁴ or 10⁻⁶).
    """
    apy = a + y
    bpy = b + y
    m = p + q - 1.0
    omz = bpy / apy
    y_star = (a - b) / _SERIES_Z - a
    # J(y*) depends on the row only through (p, q, a, b), which many rows share.
    if len(p) < 256:
        (dp, dq, da, db), back = (p, q, a, b), np.arange(len(p))
    else:
        (dp, dq, da, db), back = distinct_rows((p, q, a, b))
    shared = _series_tail(dp, dq, da, db, (da - db) / _SERIES_Z - da, gradient)
    star = _Tail(
        shared.log[back], shared.d_p[back], shared.d_q[back], shared.d_a[back], shared.d_b[back]
    )
    log_apy = np.log(apy)
    log_bpy = np.log(bpy)
    log_scale = -p * log_apy - (q - 1.0) * log_bpy - np.log(m)
    span = _quadrature_span(p, q, omz, np.log(b + y_star) - log_bpy)
    u = span[:, None] * _TS_X
    grown = np.expm1(u)  # (b+τ)/(b+y) − 1
    ratio_a = 1.0 + omz[:, None] * grown  # (a+τ)/(a+y)
    log_a = np.log(ratio_a)
    weight = span[:, None] * _TS_W * np.exp(-(q - 1.0)[:, None] * u - p[:, None] * log_a)
    inner = weight.sum(axis=1)
    at_star = np.exp(star.log - log_scale)
    total = at_star + m * inner
    log = log_scale + np.log(total)
    if not gradient:
        return _Tail(log, log, log, log, log)
    in_p = np.einsum("ij,ij->i", weight, log_a)
    in_q = np.einsum("ij,ij->i", weight, u)
    in_a = np.einsum("ij,ij->i", weight, 1.0 / ratio_a)
    in_b = np.einsum("ij,ij->i", weight, 1.0 / (1.0 + grown))
    return _Tail(
        log,
        d_p=(at_star * star.d_p - m * (log_apy * inner + in_p)) / total,
        d_q=(at_star * star.d_q - m * (log_bpy * inner + in_q)) / total,
        d_a=(at_star * star.d_a - m * p * in_a / apy) / total,
        d_b=(at_star * star.d_b - m * q * in_b / bpy) / total,
    )


def _branch(
    r: float, alpha: float, s: float, beta: float, x: FloatArray
) -> tuple[FloatArray, FloatArray, float, float]:
    """(p, q, a, b) of ``J`` for the model's J: the exponent r+x goes with α and s+1 with
    β; a is the larger of α and β (Fader & Hardie's branch choice, as in ``lifetimes``)."""
    if alpha >= beta:
        return r + x, np.full_like(x, s + 1.0), alpha, beta
    return np.full_like(x, s + 1.0), r + x, beta, alpha


@dataclass(frozen=True, slots=True)
class _Data:
    """Grouped data: J per distinct (x, y) pair, the rest per distinct row."""

    freqs: FloatArray  # distinct frequencies
    freq_weights: FloatArray
    x: FloatArray  # distinct rows
    weights: FloatArray
    pair_x: FloatArray  # distinct (x, y) pairs, y a recency or an age
    pair_y: FloatArray
    tx_at: IntArray  # where each row's (x, t_x) and (x, T) sit among the pairs
    T_at: IntArray
    days: FloatArray  # distinct ages
    days_at: IntArray
    total: float
    n_distinct: int


def _prepare(x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray) -> _Data:
    grouped = group_rows((x, tx, age), weights)
    gx, gtx, gT = grouped.columns
    gw = grouped.weights
    n = len(gw)
    freqs, inverse = np.unique(gx, return_inverse=True)
    freq_weights = np.asarray(
        np.bincount(inverse.ravel(), weights=gw, minlength=len(freqs)), dtype=np.float64
    )
    # J depends on the row only through (x, y): a million customers in whole days share
    # a few tens of thousands of pairs, against hundreds of thousands of distinct rows.
    pair_x, pair_y, (tx_at, T_at) = _pairs(gx, gtx, gT)
    days, days_at = np.unique(gT, return_inverse=True)
    return _Data(
        freqs=freqs,
        freq_weights=freq_weights,
        x=gx,
        weights=gw,
        pair_x=pair_x,
        pair_y=pair_y,
        tx_at=tx_at,
        T_at=T_at,
        days=days,
        days_at=days_at.ravel(),
        total=float(gw.sum()),
        n_distinct=n,
    )


# --- likelihood ---------------------------------------------------------------------------


_ROW_CHUNK = 65536
"""Per-customer terms are combined this many rows at a time, which bounds the memory of
the temporaries (and keeps them in cache) whatever the number of customers."""


def _log_bracket(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, tx: FloatArray, age: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per customer, ln of the "alive" term ``(α+T)^−(r+x) (β+T)^−s`` and ln of the whole
    bracket of the likelihood (the alive term plus ``s·(J(t_x) − J(T))``)."""
    pair_x, pair_y, (tx_at, T_at) = _pairs(x, tx, age)
    p, q, a, b = _branch(r, alpha, s, beta, pair_x)
    log_sj = np.log(s) + _log_tail(p, q, np.full_like(p, a), np.full_like(p, b), pair_y, False).log
    alive = np.empty_like(x)
    bracket = np.empty_like(x)
    for start in range(0, len(x), _ROW_CHUNK):
        rows = slice(start, start + _ROW_CHUNK)
        alive[rows] = -(r + x[rows]) * np.log(alpha + age[rows]) - s * np.log(beta + age[rows])
        bracket[rows] = _combine(alive[rows], log_sj[tx_at[rows]], log_sj[T_at[rows]])[0]
    return alive, bracket


def _combine(
    alive: FloatArray, left: FloatArray, right: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """ln(e^alive + e^left − e^right) and the three terms' weights relative to the total.

    ``e^right = s·J(T) ≤ e^alive`` (the alive term is s·J(T) plus a positive integral) and
    ``left ≥ right`` (J decreases), so the scaled sum is at least 1: no cancellation.
    """
    top = np.maximum(alive, left)
    w_alive = np.exp(alive - top)
    w_left = np.exp(left - top)
    w_right = np.exp(right - top)
    scaled = np.maximum(w_alive + w_left - w_right, w_alive)
    w_alive /= scaled
    w_left /= scaled
    w_right /= scaled
    return top + np.log(scaled), w_alive, w_left, w_right


def paretonbd_log_likelihood(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005, eq. 18), in log-space.

    ``ln L = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln[(α+T)^−(r+x) (β+T)^−s
    + s·(J(t_x) − J(T))]`` (J: see the module docstring), the bracket summed from
    logarithms so huge x, T = 0 and t_x = T neither overflow nor cancel.
    """
    x, tx, age = _customers(frequency, recency, T)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return np.asarray(head + _log_bracket(r, alpha, s, beta, x, tx, age)[1], dtype=np.float64)


def _objective(data: _Data, penalizer: float) -> Objective:
    """Mean negative log-likelihood + L2 penalty and its analytic gradient (log-params)."""

    def evaluate(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        r, alpha, s, beta = (float(v) for v in params)
        n = data.total
        f, fw = data.freqs, data.freq_weights
        # Terms depending on x only: one evaluation per distinct frequency.
        loglik = dot(fw, gammaln(r + f) - gammaln(r)) + n * (r * np.log(alpha) + s * np.log(beta))
        g_r = dot(fw, digamma(r + f) - digamma(r)) + n * np.log(alpha)
        g_alpha = n * r / alpha
        g_s = n * np.log(beta)
        g_beta = n * s / beta
        # J and its derivatives, once per distinct (x, y) pair, mapped back to (r, α, s, β).
        p, q, a, b = _branch(r, alpha, s, beta, data.pair_x)
        tail = _log_tail(p, q, np.full_like(p, a), np.full_like(p, b), data.pair_y, True)
        if alpha >= beta:
            j_r, j_alpha, j_s, j_beta = tail.d_p, tail.d_a, tail.d_q, tail.d_b
        else:
            j_r, j_alpha, j_s, j_beta = tail.d_q, tail.d_b, tail.d_p, tail.d_a
        # The bracket per distinct row, from per-age and per-pair tables; the gradient's
        # row sums are gathered back onto the ages and pairs they came from (bincount),
        # so the per-row work is a few passes whatever the number of parameters.
        log_alpha_T = np.log(alpha + data.days)
        log_beta_T = np.log(beta + data.days)
        log_sj = np.log(s) + tail.log
        n_days, n_pairs = len(data.days), len(data.pair_x)
        per_day = np.zeros(n_days)
        per_day_x = np.zeros(n_days)
        per_pair = np.zeros(n_pairs)
        for start in range(0, data.n_distinct, _ROW_CHUNK):
            rows = slice(start, start + _ROW_CHUNK)
            x, w, days_at = data.x[rows], data.weights[rows], data.days_at[rows]
            tx_at, T_at = data.tx_at[rows], data.T_at[rows]
            alive = -(r + x) * log_alpha_T[days_at] - s * log_beta_T[days_at]
            total, w_alive, w_left, w_right = _combine(alive, log_sj[tx_at], log_sj[T_at])
            loglik += dot(w, total)
            w_alive *= w
            per_day += np.bincount(days_at, weights=w_alive, minlength=n_days)
            w_alive *= x
            per_day_x += np.bincount(days_at, weights=w_alive, minlength=n_days)
            w_left *= w
            w_right *= w
            per_pair += np.bincount(tx_at, weights=w_left, minlength=n_pairs)
            per_pair -= np.bincount(T_at, weights=w_right, minlength=n_pairs)
        inv_alpha_T = np.exp(-log_alpha_T)
        g_r += dot(per_pair, j_r) - dot(per_day, log_alpha_T)
        g_alpha += dot(per_pair, j_alpha) - dot(r * per_day + per_day_x, inv_alpha_T)
        g_s += dot(per_pair, j_s) - dot(per_day, log_beta_T) + float(per_pair.sum()) / s
        g_beta += dot(per_pair, j_beta) - s * dot(per_day, np.exp(-log_beta_T))
        gradient = -np.array([g_r, g_alpha, g_s, g_beta]) / n + 2.0 * penalizer * params
        value = -loglik / n + penalizer * float(params @ params)
        return value, gradient * params

    return evaluate


def _starts(data: _Data) -> list[list[float]]:
    """A moment-based start plus two fixed shapes; the best optimum over them is kept.

    The moment start takes the pooled visit rate λ̄ = Σx / ΣT (visits per day) with an
    exponential rate distribution (r = 1, α = 1/λ̄) and a mean lifetime as long as the
    oldest customer (s = 1, β = max T). The second mirrors ``lifetimes`` (all ones after it
    rescales time so that max T = 10).
    """
    ages = data.days[data.days_at]
    visits = dot(data.x, data.weights)
    exposure = dot(ages, data.weights)
    rate = (visits + 0.5) / (exposure + 1.0)
    max_age = max(float(ages.max()), 1.0)
    return [
        [1.0, 1.0 / rate, 1.0, max_age],
        [1.0, max_age / 10.0, 1.0, max_age / 10.0],
        [0.5, 0.5 / rate, 0.5, max_age / 4.0],
    ]


def fit_paretonbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    penalizer: float = 0.0,
) -> ParetoNBDFit:
    """Fit Pareto/NBD by maximum likelihood (units and inputs: see the module docstring).

    ``weights``: optional non-negative weight per row (e.g. how many customers share it).
    Identical rows are grouped first, and the hypergeometric term is evaluated once per
    distinct (x, t_x) and (x, T) pair, so the cost grows with distinct rows. The
    objective is the mean negative log-likelihood plus ``penalizer · (r² + α² + s² + β²)``
    (α, β in days; ``lifetimes``' Pareto/NBD fitter instead weighs its penalty against
    the *total* log-likelihood over its time-rescaled parameters, so only unpenalised
    fits coincide), minimised by L-BFGS-B over log-parameters with the analytic gradient:
    three starting points run to a loose tolerance, and the best is polished to a tight
    one. ValueError on invalid input or an empty data set; degenerate data (e.g. nobody
    came back) give a finite fit with parameters at a bound and ``se`` None.
    """
    x, tx, age = _customers(frequency, recency, T)
    if len(x) == 0:
        raise ValueError("no customers to fit")
    w = as_weights(weights, len(x))
    pen = check_penalizer(penalizer)
    data = _prepare(x, tx, age, w)
    objective = _objective(data, pen)
    optimum = minimise(objective, _starts(data))
    r, alpha, s, beta = (float(v) for v in optimum.params)
    errors = standard_errors(objective, optimum.params, data.total)
    loglik = optimum.log_likelihood(pen, data.total)
    return ParetoNBDFit(
        r=r,
        alpha=alpha,
        s=s,
        beta=beta,
        loglik=float(loglik),
        se=None if errors is None else ParetoNBDStandardErrors(*(float(e) for e in errors)),
        n_customers=data.total,
        n_distinct=data.n_distinct,
        converged=optimum.converged,
        iterations=optimum.iterations,
        penalizer=pen,
    )


# --- predictions --------------------------------------------------------------------------


def _p_alive(fit: ParetoNBDFit, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    alive, bracket = _log_bracket(fit.r, fit.alpha, fit.s, fit.beta, x, tx, age)
    # Seen on the last day (or new today): no time to have left unseen, exactly 1.
    return np.asarray(np.where(tx >= age, 1.0, np.minimum(np.exp(alive - bracket), 1.0)))


def paretonbd_p_alive(
    fit: ParetoNBDFit, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """P(the customer is still alive at T | x, t_x, T), in (0, 1] (eq. 36 of the note).

    The alive term's share of the likelihood bracket:
    ``(α+T)^−(r+x) (β+T)^−s / [(α+T)^−(r+x) (β+T)^−s + s·(J(t_x) − J(T))]``, from
    logarithms; exactly 1 when t_x = T (no time to have left unseen), and less than 1
    otherwise, also for customers without repeat visits (unlike BG/NBD).
    """
    x, tx, age = _customers(frequency, recency, T)
    return _p_alive(fit, x, tx, age)


def _mean_lifetime_within(s: float, rate: FloatArray, t: FloatArray) -> FloatArray:
    """``E[(1 − e^(−μt))/μ]`` for μ ~ Gamma(s, rate): the expected time alive within the
    next t days of someone alive now, ``∫_0^t (rate/(rate+τ))^s dτ``.

    Closed form ``rate·[1 − (1+t/rate)^(1−s)]/(s−1)``, written as ``rate·ℓ·exprel((1−s)·ℓ)``
    with ℓ = ln(1 + t/rate), which is exact also at s = 1 (where it is rate·ℓ).
    """
    spread = np.log1p(t / rate)
    return np.asarray(rate * spread * special.exprel((1.0 - s) * spread), dtype=np.float64)


def paretonbd_expected_visits(
    fit: ParetoNBDFit,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Expected number of visits in the next ``t`` days (eq. 41 of the note).

    ``P(alive) · E[λ] · E[(1 − e^(−μt))/μ]`` with the posterior (given alive)
    λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T) independent: a visit rate times the
    expected time still alive within t. ``t`` is a scalar or an array broadcast against
    the customers; increasing in t.
    """
    x, tx, age = _customers(frequency, recency, T)
    days = _horizon(t)
    alive = _p_alive(fit, x, tx, age)
    rate = (fit.r + x) / (fit.alpha + age)
    return np.asarray(
        alive * rate * _mean_lifetime_within(fit.s, fit.beta + age, days), dtype=np.float64
    )


def _visit_if_alive(fit: ParetoNBDFit, x: FloatArray, age: FloatArray, t: FloatArray) -> FloatArray:
    """P(at least one visit in the next t days | alive at T, x, T) (arrays of one shape).

    Given λ and μ, the next visit comes at an Exp(λ) time and the departure at an Exp(μ)
    time, both memoryless from T: a visit falls within t with probability
    ``∫_0^t λ e^(−λτ) e^(−μτ) dτ``. Over the posterior λ ~ Gamma(r+x, α+T),
    μ ~ Gamma(s, β+T), ``E[λ e^(−λτ)] = (r+x)(α+T)^(r+x) / (α+T+τ)^(r+x+1)`` and
    ``E[e^(−μτ)] = ((β+T)/(β+T+τ))^s``, so the probability is
    ``(r+x)(α+T)^(r+x) (β+T)^s · [J'(0) − J'(t)]`` with
    ``J'(y) = ∫_y^∞ (α+T+τ)^−(r+x+1) (β+T+τ)^−s dτ``: the likelihood's J with shifted
    exponents, evaluated by ``_log_tail``.
    """
    shape = fit.r + x
    b1 = fit.alpha + age
    b2 = fit.beta + age
    first = b1 >= b2
    p = np.where(first, shape + 1.0, fit.s)
    q = np.where(first, fit.s, shape + 1.0)
    a = np.maximum(b1, b2)
    b = np.minimum(b1, b2)
    log_start = _log_tail(p, q, a, b, np.zeros_like(t), False).log
    log_end = _log_tail(p, q, a, b, t, False).log
    log_scale = np.log(shape) + shape * np.log(b1) + fit.s * np.log(b2)
    visit = np.exp(log_scale + log_start) * -np.expm1(np.minimum(log_end - log_start, 0.0))
    return np.asarray(np.clip(visit, 0.0, 1.0), dtype=np.float64)


def paretonbd_p_at_least_one(
    fit: ParetoNBDFit,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """P(at least one visit in the next ``t`` days | x, t_x, T); exact, no approximation.

    ``P(alive) · [1 − P(no visit within t | alive)]``: a customer who has left never
    visits, and one still alive visits within t when their next visit comes before both
    t and their departure (``_visit_if_alive``; not just ``1 − ((α+T)/(α+T+t))^(r+x)``,
    which would ignore leaving in the meantime). Computed once per distinct (x, T) (and
    t), which is all it depends on apart from P(alive).
    """
    x, tx, age = _customers(frequency, recency, T)
    days = _horizon(t)
    alive = _p_alive(fit, x, tx, age)
    if days.size == 1:
        dx, dage, (inverse,) = _pairs(x, age)
        visit = _visit_if_alive(fit, dx, dage, np.full_like(dx, days[0]))
    else:
        x, age, days = np.broadcast_arrays(x, age, days)
        (dx, dage, ddays), inverse = distinct_rows((x, age, days))
        visit = _visit_if_alive(fit, dx, dage, ddays)
    return np.asarray(alive * visit[inverse], dtype=np.float64)


def paretonbd_expected_population(fit: ParetoNBDFit, t: npt.ArrayLike) -> FloatArray:
    """Unconditional E[X(t)]: expected visits in ``t`` days of a new customer (eq. 27),
    ``(r/α) · β·[1 − (β/(β+t))^(s−1)]/(s−1)`` (exact also at s = 1)."""
    days = _horizon(t)
    return np.asarray(
        fit.r / fit.alpha * _mean_lifetime_within(fit.s, np.full_like(days, fit.beta), days),
        dtype=np.float64,
    )
