"""BG/NBD ("beta-geometric / negative binomial distribution") model of repeat visits.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While alive, a customer visits as a Poisson
process with rate λ ~ Gamma(r, α) (shape r, rate α); after every *repeat* visit they
drop out for good with probability p ~ Beta(a, b).

Units and inputs, per customer (all arrays of the same length):

- ``frequency`` x: number of repeat visits (visits after the first), a count ≥ 0;
- ``recency`` t_x: days from the first visit to the last one (0 when x = 0; ignored then);
- ``T``: days from the first visit to the end of the observation (the customer's age),
  with 0 ≤ t_x ≤ T.

Time is in days throughout, so α is in days and λ in visits per day; any other unit
works as long as it is used consistently (α then changes unit with it). Results are
finite for every valid input (no repeats, T = 0, t_x = T, x in the tens of thousands);
invalid input raises ValueError.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv._fit import (
    FloatArray,
    IntArray,
    Objective,
    as_float_array,
    as_weights,
    betaln,
    check_penalizer,
    digamma,
    distinct_rows,
    expit,
    gammaln,
    group_rows,
    hyp2f1,
    minimise,
    standard_errors,
    trigamma,
)


@dataclass(frozen=True, slots=True)
class BGNBDStandardErrors:
    """Standard errors of the fitted parameters (same units as the parameters)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True, slots=True)
class BGNBDFit:
    """A fitted BG/NBD model.

    ``r`` (shape) and ``alpha`` (rate, in days) of the Gamma visit-rate heterogeneity;
    ``a``, ``b`` of the Beta dropout-probability heterogeneity. ``loglik``: total weighted
    log-likelihood at the optimum, without the penalty. ``se``: standard errors from the
    inverse Hessian, None when it is not invertible (degenerate data, a bound reached).
    ``n_customers``: total weight (the number of customers when weights are counts);
    ``n_distinct``: distinct (x, t_x, T) rows the likelihood was evaluated on.
    ``converged`` and ``iterations`` describe the best optimiser run; ``penalizer`` is
    the L2 penalty used.
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    se: BGNBDStandardErrors | None
    n_customers: float
    n_distinct: int
    converged: bool
    iterations: int
    penalizer: float


# --- data ---------------------------------------------------------------------------------


def _customers(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated, broadcast (x, t_x, T); t_x is set to 0 where x = 0 (it is unused)."""
    x = as_float_array(frequency, "frequency")
    tx = as_float_array(recency, "recency")
    age = as_float_array(T, "T")
    try:
        x, tx, age = np.broadcast_arrays(x, tx, age)
    except ValueError as error:
        raise ValueError("frequency, recency and T must have the same length") from error
    if np.any(x < 0):
        raise ValueError("frequency must be >= 0")
    if np.any(tx < 0) or np.any(age < 0):
        raise ValueError("recency and T must be >= 0 (days)")
    if np.any(tx > age):
        raise ValueError("recency must not exceed T")
    tx = np.where(x > 0, tx, 0.0)
    return x.astype(np.float64), tx, age.astype(np.float64)


@dataclass(frozen=True, slots=True)
class _Data:
    """Grouped data: x-only terms per distinct frequency, the rest per distinct row."""

    freqs: FloatArray  # distinct frequencies
    freq_weights: FloatArray
    zero_T: FloatArray  # distinct ages of customers without repeat visits
    zero_weights: FloatArray
    x: FloatArray  # distinct rows with x > 0
    tx: FloatArray
    T: FloatArray
    weights: FloatArray
    days: FloatArray  # distinct values of T and t_x over the repeat rows
    T_at: IntArray  # where each repeat row's T, t_x and x sit in ``days`` / ``freqs``
    tx_at: IntArray
    x_at: IntArray
    total: float
    n_distinct: int


def _prepare(x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray) -> _Data:
    grouped = group_rows((x, tx, age), weights)
    gx, gtx, gT = grouped.columns
    gw = grouped.weights
    freqs, inverse = np.unique(gx, return_inverse=True)
    freq_weights = np.asarray(
        np.bincount(inverse.ravel(), weights=gw, minlength=len(freqs)), dtype=np.float64
    )
    repeat = gx > 0
    # Terms in α+T, α+t_x and b+x−1 are tabulated over distinct values and gathered: ages
    # in whole days take a few hundred values, so this replaces most per-row logarithms.
    days, at = np.unique(np.concatenate([gT[repeat], gtx[repeat]]), return_inverse=True)
    at = at.ravel()
    n_repeat = int(repeat.sum())
    return _Data(
        freqs=freqs,
        freq_weights=freq_weights,
        zero_T=gT[~repeat],
        zero_weights=gw[~repeat],
        x=gx[repeat],
        tx=gtx[repeat],
        T=gT[repeat],
        weights=gw[repeat],
        days=days,
        T_at=at[:n_repeat],
        tx_at=at[n_repeat:],
        x_at=inverse.ravel()[repeat],
        total=float(gw.sum()),
        n_distinct=len(gw),
    )


# --- likelihood ---------------------------------------------------------------------------


def bgnbd_log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. 6), in log-space.

    ``ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
    + ln[(α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x)]``, the last sum through
    ``logaddexp`` so huge x and t_x = T neither overflow nor cancel.
    """
    x, tx, age = _customers(frequency, recency, T)
    common = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
    )
    alive = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    dropped = np.full_like(alive, -np.inf)
    dropped[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1.0) - (r + x[repeat]) * np.log(alpha + tx[repeat])
    )
    return np.asarray(common + np.logaddexp(alive, dropped), dtype=np.float64)


def _objective(data: _Data, penalizer: float) -> Objective:
    """Mean negative log-likelihood + L2 penalty and its analytic gradient (log-params)."""

    def evaluate(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        r, alpha, a, b = (float(v) for v in params)
        n = data.total
        f, fw = data.freqs, data.freq_weights
        # Terms depending on x only: one evaluation per distinct frequency.
        ab = digamma(a + b) - digamma(a + b + f)
        loglik = float(
            fw
            @ (
                gammaln(r + f)
                - gammaln(r)
                + gammaln(a + b)
                + gammaln(b + f)
                - gammaln(b)
                - gammaln(a + b + f)
            )
        ) + n * r * np.log(alpha)
        g_r = float(fw @ (digamma(r + f) - digamma(r))) + n * np.log(alpha)
        g_alpha = n * r / alpha
        g_a = float(fw @ ab)
        g_b = float(fw @ (ab + digamma(b + f) - digamma(b)))
        # Customers without repeat visits: only the "still alive" term, −r ln(α+T).
        log_zero = np.log(alpha + data.zero_T)
        loglik -= r * float(data.zero_weights @ log_zero)
        g_r -= float(data.zero_weights @ log_zero)
        g_alpha -= r * float(data.zero_weights @ (1.0 / (alpha + data.zero_T)))
        # Repeat customers: log of (alive term + dropped-after-last-visit term).
        x, w = data.x, data.weights
        rx = r + x
        log_days = np.log(alpha + data.days)
        inv_days = 1.0 / (alpha + data.days)
        log_T = log_days[data.T_at]
        gap = log_T - log_days[data.tx_at]
        inv_T = inv_days[data.T_at]
        inv_gap = inv_days[data.tx_at] - inv_T
        at_least_one = np.maximum(f, 1.0)  # the x = 0 entry is unused
        inv_bx = (1.0 / (b + at_least_one - 1.0))[data.x_at]
        # ln(alive + dropped) = alive + softplus(d), d = dropped − alive; the posterior
        # weight of the "dropped" branch is expit(d). Both from one exp(−|d|).
        d = np.log(a * inv_bx) + rx * gap
        e = np.exp(-np.abs(d))
        share = np.where(d >= 0.0, 1.0, e) / (1.0 + e)
        loglik += float(w @ (np.maximum(d, 0.0) + np.log1p(e) - rx * log_T))
        g_r -= float(w @ (log_T - share * gap))
        g_alpha -= float(w @ (rx * (inv_T + share * inv_gap)))
        g_a += float(w @ share) / a
        g_b -= float(w @ (share * inv_bx))
        gradient = -np.array([g_r, g_alpha, g_a, g_b]) / n + 2.0 * penalizer * params
        value = -loglik / n + penalizer * float(params @ params)
        return value, gradient * params

    return evaluate


def _starts(data: _Data) -> list[list[float]]:
    """A moment-based start plus two fixed shapes; the best optimum over them is kept.

    The moment start takes the pooled visit rate λ̄ = Σx / ΣT (visits per day) with an
    exponential rate distribution (r = 1, α = 1/λ̄) and a mean dropout of 1/3. The
    second mirrors ``lifetimes`` (all ones after it rescales time so that max T = 10).
    """
    ages = np.concatenate([data.zero_T, data.T])
    weights = np.concatenate([data.zero_weights, data.weights])
    visits = float(data.x @ data.weights)
    exposure = float(ages @ weights)
    rate = (visits + 0.5) / (exposure + 1.0)
    max_age = max(float(ages.max()), 1.0)
    return [
        [1.0, 1.0 / rate, 1.0, 2.0],
        [1.0, max_age / 10.0, 1.0, 1.0],
        [0.25, 0.25 / rate, 0.5, 3.0],
    ]


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    penalizer: float = 0.0,
) -> BGNBDFit:
    """Fit BG/NBD by maximum likelihood (units and inputs: see the module docstring).

    ``weights``: optional non-negative weight per row (e.g. how many customers share it).
    Identical rows are grouped first, so the cost grows with distinct rows. The objective
    is the mean negative log-likelihood plus ``penalizer · (r² + α² + a² + b²)`` (the
    ``lifetimes`` convention; α in days), minimised by L-BFGS-B over log-parameters with
    the analytic gradient: three starting points run to a loose tolerance, and the best
    is polished to a tight one (relative change 1e-15). ValueError on invalid input or an
    empty data set; degenerate data (e.g. nobody came back) give a finite fit with
    parameters at a bound and ``se`` None.
    """
    x, tx, age = _customers(frequency, recency, T)
    if len(x) == 0:
        raise ValueError("no customers to fit")
    w = as_weights(weights, len(x))
    pen = check_penalizer(penalizer)
    data = _prepare(x, tx, age, w)
    objective = _objective(data, pen)
    optimum = minimise(objective, _starts(data))
    r, alpha, a, b = (float(v) for v in optimum.params)
    errors = standard_errors(objective, optimum.params, data.total)
    loglik = optimum.log_likelihood(pen, data.total)
    return BGNBDFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        loglik=float(loglik),
        se=None if errors is None else BGNBDStandardErrors(*(float(e) for e in errors)),
        n_customers=data.total,
        n_distinct=data.n_distinct,
        converged=optimum.converged,
        iterations=optimum.iterations,
        penalizer=pen,
    )


# --- predictions --------------------------------------------------------------------------


def _horizon(t: npt.ArrayLike) -> FloatArray:
    days = as_float_array(t, "t")
    if np.any(days < 0):
        raise ValueError("t must be >= 0 (days)")
    return days


def _log_odds_dropped(fit: BGNBDFit, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """ln[P(dropped after the last visit) / P(alive)] given the history; −∞ when x = 0."""
    out = np.full(x.shape, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    out[repeat] = (
        np.log(fit.a)
        - np.log(fit.b + xr - 1.0)
        + (fit.r + xr) * np.log1p((age[repeat] - tx[repeat]) / (fit.alpha + tx[repeat]))
    )
    return out


def bgnbd_p_alive(
    fit: BGNBDFit, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """P(the customer is still alive at T | x, t_x, T), in [0, 1]; exactly 1 when x = 0.

    ``1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))``, evaluated as a logistic of
    the log-odds so it never overflows.
    """
    x, tx, age = _customers(frequency, recency, T)
    return expit(-_log_odds_dropped(fit, x, tx, age))


def _expected_visits_alive(
    r: FloatArray, alpha: FloatArray, a: float, b: FloatArray, t: FloatArray
) -> FloatArray:
    """E[visits in the next t days] for a customer alive now with λ ~ Gamma(r, α),
    p ~ Beta(a, b): ``E_p[(1 − (1 + p·t/α)^−r) / p]`` (arrays of one shape, a scalar).

    Closed form (Fader, Hardie & Lee 2005, eq. 7) after Pfaff's transformation
    ``(α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t)) = ₂F₁(r, a−1; c; −t/α)``, c = a+b−1:
    ``c/(a−1) · [1 − ₂F₁(r, a−1; c; −t/α)]``, which avoids the huge ₂F₁ values (and
    0·∞) of the published form when r = r₀+x is large and t ≫ α. Three regimes:

    - t/α small (the series ratio bound ρ below ≤ 1/2): the ₂F₁ series divided by
      (a−1) term by term, ``−c Σ_k≥1 (r)_k (a)_(k−1) / ((c)_k k!) (−t/α)^k``; alternating
      with shrinking terms, no cancellation, no 0/0 at a = 1;
    - otherwise scipy's real ₂F₁ (Cephes), cross-checked against Euler's transformation
      ``(1+t/α)^(1−a) ₂F₁(c−r, a−1; c; t/(α+t))`` (a different code path), because
      Cephes is not reliable over the whole range (small a with large r or b gives
      errors of tens of per cent);
    - where the two differ by more than 1e-8 (relative), ``1 − ₂F₁`` has cancelled
      below 1e-6, a is within 1e-6 of 1, or the value leaves its exact bounds
      [0, r·t/α]: quadrature (``_expected_visits_quadrature``).
    """
    c = a + b - 1.0
    upper = r * t / alpha
    value = np.zeros_like(upper)
    ratio = np.maximum(1.0, r / c) * max(1.0, a / 2.0) * t / alpha
    series = ratio <= 0.5
    if np.any(series):
        value[series] = _expected_visits_series(r[series], alpha[series], a, b[series], t[series])
    todo = ~series & (t > 0)
    if abs(a - 1.0) > 1e-6 and np.any(todo):
        rr, aa, cc, tt = r[todo], alpha[todo], c[todo], t[todo]
        with np.errstate(all="ignore"):
            complement = 1.0 - hyp2f1(rr, a - 1.0, cc, -tt / aa)
            pfaff = cc / (a - 1.0) * complement
            euler = (
                cc
                / (a - 1.0)
                * (
                    1.0
                    - np.exp((1.0 - a) * np.log1p(tt / aa))
                    * hyp2f1(cc - rr, a - 1.0, cc, tt / (aa + tt))
                )
            )
            ok = (
                np.isfinite(pfaff)
                & (np.abs(pfaff - euler) <= 1e-8 * np.abs(pfaff))
                & (np.abs(complement) >= 1e-6)
                & (pfaff >= 0.0)
                & (pfaff <= upper[todo] * (1.0 + 1e-12))
            )
        value[todo] = np.where(ok, pfaff, 0.0)
        todo[todo] = ~ok
    if np.any(todo):
        value[todo] = _expected_visits_quadrature(r[todo], alpha[todo], a, b[todo], t[todo])
    return np.asarray(np.clip(value, 0.0, upper), dtype=np.float64)


def _expected_visits_series(
    r: FloatArray, alpha: FloatArray, a: float, b: FloatArray, t: FloatArray
) -> FloatArray:
    """The ₂F₁ series of ``_expected_visits_alive`` for ratio bound ρ ≤ 1/2 (≤ 64 terms)."""
    c = a + b - 1.0
    w = -t / alpha
    term = r * w / c
    total = term.copy()
    for k in range(1, 64):
        term = term * (r + k) * (a + k - 1.0) * w / ((c + k) * (k + 1.0))
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return np.asarray(-c * total, dtype=np.float64)


_QUADRATURE_NODES = 2000


def _expected_visits_quadrature(
    r: FloatArray, alpha: FloatArray, a: float, b: FloatArray, t: FloatArray
) -> FloatArray:
    """``E_p[(1 − (1 + p·t/α)^−r) / p]`` for p ~ Beta(a, b) by the trapezoid rule in
    u = logit(p), the fallback where scipy's ₂F₁ is unreliable.

    In u the Beta density is smooth, unimodal (mode ln(a/b)) and decays exponentially on
    both sides, and the integrand is analytic in a strip of half-width π, so the
    trapezoid rule converges geometrically (agreement with the closed form: ≈ 1e-9
    relative). The integral is taken as ``r·t/α − E[r·t/α − h(p)]``: the subtracted
    integrand vanishes like p as p → 0, which keeps the left tail short when a is small.
    Cost: 2,000 nodes per value, so it is kept for the rare rows that need it.
    """
    r2, alpha2, b2, t2 = (v[:, None] for v in (r, alpha, b, t))
    upper = r2 * t2 / alpha2
    mode = np.log(a) - np.log(b2)
    spread = np.sqrt(trigamma(a) + trigamma(b2))
    low = mode - 10.0 * spread - 40.0 / (a + 1.0)
    high = mode + 10.0 * spread + 40.0 / b2
    step = (high - low) / _QUADRATURE_NODES
    u = low + step * (np.arange(_QUADRATURE_NODES) + 0.5)
    log_p = -np.logaddexp(0.0, -u)
    log_q = -np.logaddexp(0.0, u)
    density = np.exp(a * log_p + b2 * log_q - betaln(a, b2))
    p = np.exp(log_p)
    shortfall = upper + np.expm1(-r2 * np.log1p(p * t2 / alpha2)) / p
    return np.asarray(upper[:, 0] - step[:, 0] * np.sum(shortfall * density, axis=1))


def bgnbd_expected_visits(
    fit: BGNBDFit,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Expected number of visits in the next ``t`` days (eq. 10 of the paper).

    ``P(alive) · E[visits | alive]`` with the posterior λ ~ Gamma(r+x, α+T),
    p ~ Beta(a, b+x) (see ``_expected_visits_alive`` for the ₂F₁ evaluation). ``t`` is a
    scalar or an array broadcast against the customers; increasing in t.
    """
    x, tx, age = _customers(frequency, recency, T)
    days = _horizon(t)
    alive = expit(-_log_odds_dropped(fit, x, tx, age))
    if days.size == 1:
        return alive * _alive_visits_by_history(fit, x, age, float(days[0]))
    x, age, days, alive = np.broadcast_arrays(x, age, days, alive)
    return alive * _expected_visits_alive(fit.r + x, fit.alpha + age, fit.a, fit.b + x, days)


def _alive_visits_by_history(fit: BGNBDFit, x: FloatArray, age: FloatArray, t: float) -> FloatArray:
    """E[visits in the next t days | alive] per customer, computed once per distinct
    (x, T): the posterior depends on nothing else, and customers observed in whole days
    share a few tens of thousands of them even in the millions."""
    (dx, dage), inverse = distinct_rows((x, age))
    visits = _expected_visits_alive(
        fit.r + dx, fit.alpha + dage, fit.a, fit.b + dx, np.full_like(dx, t)
    )
    return np.asarray(visits[inverse], dtype=np.float64)


def bgnbd_p_at_least_one(
    fit: BGNBDFit,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """P(at least one visit in the next ``t`` days | x, t_x, T); exact, no approximation.

    A customer alive at T drops out only right after a visit, so they make a visit in
    (T, T+t] exactly when their next Poisson arrival comes within t: probability
    ``1 − e^(−λt)`` whatever p. Given the history and being alive, λ ~ Gamma(r+x, α+T),
    so ``P = P(alive) · [1 − ((α+T)/(α+T+t))^(r+x)]`` (a dropped customer never visits).
    """
    x, tx, age = _customers(frequency, recency, T)
    days = _horizon(t)
    alive = expit(-_log_odds_dropped(fit, x, tx, age))
    visit = -np.expm1(-(fit.r + x) * np.log1p(days / (fit.alpha + age)))
    return np.asarray(alive * visit, dtype=np.float64)


def bgnbd_expected_population(fit: BGNBDFit, t: npt.ArrayLike) -> FloatArray:
    """Unconditional E[X(t)]: expected visits in ``t`` days of a new customer (eq. 9)."""
    days = _horizon(t)
    n = days.shape
    return _expected_visits_alive(
        np.full(n, fit.r), np.full(n, fit.alpha), fit.a, np.full(n, fit.b), days
    )
