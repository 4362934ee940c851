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

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from regulars.analytics.clv._fit import (
    FloatArray,
    IntArray,
    Objective,
    SecondOrder,
    as_weights,
    betaln,
    check_penalizer,
    codes,
    digamma,
    distinct_rows,
    dot,
    expit,
    gammaln,
    group_rows,
    hyp2f1,
    log_space,
    minimise,
    standard_errors,
    trigamma,
)
from regulars.analytics.clv._fit import customer_arrays as _customers
from regulars.analytics.clv._fit import horizon_days as _horizon


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


@dataclass(frozen=True, slots=True)
class _Data:
    """Grouped data, arranged so that one likelihood evaluation does as little per row as
    possible: terms in x alone per distinct frequency, terms in T alone per distinct day,
    and only the "dropped after the last visit" term per distinct repeat row."""

    freqs: FloatArray  # distinct frequencies (a table: it may hold unused ones)
    freq_weights: FloatArray  # total weight of each
    days: FloatArray  # distinct values of T (every row) and t_x (repeat rows)
    day_weights: FloatArray  # total weight of the rows with T = day
    day_visits: FloatArray  # total weight × x of the repeat rows with T = day
    x: FloatArray  # distinct rows with x > 0
    weights: FloatArray
    T_at: IntArray  # where each repeat row's T, t_x and x sit in ``days`` / ``freqs``
    tx_at: IntArray
    x_at: IntArray
    x_starts: IntArray  # where each run of equal x starts among the repeat rows
    x_runs: IntArray  # and where its x sits in ``freqs``
    total: float
    n_distinct: int


def _runs(x_at: IntArray) -> tuple[IntArray, IntArray]:
    """Starts of the runs of equal values in ``x_at``, and each run's value."""
    if len(x_at) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.diff(x_at)) + 1
    starts = np.concatenate([np.zeros(1, dtype=np.intp), starts.astype(np.intp)])
    return starts, x_at[starts]


def _run_sums(values: FloatArray, starts: IntArray) -> FloatArray:
    """Sums of ``values`` over the runs starting at ``starts`` (contiguous, so cheaper
    than ``np.bincount`` over the run's values)."""
    if len(starts) == 0:
        return np.zeros(0)
    return np.asarray(np.add.reduceat(values, starts), dtype=np.float64)


def _prepare(x: FloatArray, tx: FloatArray, age: FloatArray, weights: FloatArray) -> _Data:
    grouped = group_rows((x, tx, age), weights)
    gx, gtx, gT = grouped.columns
    gw = grouped.weights
    freqs, x_code = codes(gx)
    freq_weights = np.bincount(x_code, weights=gw, minlength=len(freqs)).astype(np.float64)
    repeat = gx > 0
    # Terms in α+T, α+t_x and b+x−1 are tabulated over distinct values and gathered: ages
    # in whole days take a few hundred values, so this replaces most per-row logarithms.
    days, at = codes(np.concatenate([gT, gtx[repeat]]))
    T_at = at[: len(gT)]
    day_weights = np.bincount(T_at, weights=gw, minlength=len(days)).astype(np.float64)
    day_visits = np.bincount(
        T_at[repeat], weights=gw[repeat] * gx[repeat], minlength=len(days)
    ).astype(np.float64)
    x_at = x_code[repeat]
    x_starts, x_runs = _runs(x_at)
    return _Data(
        freqs=freqs,
        freq_weights=freq_weights,
        days=days,
        day_weights=day_weights,
        day_visits=day_visits,
        x=gx[repeat],
        weights=gw[repeat],
        T_at=T_at[repeat],
        tx_at=at[len(gT) :],
        x_at=x_at,
        x_starts=x_starts,
        x_runs=x_runs,
        total=float(gw.sum()),
        n_distinct=len(gw),
    )


_ROUGH_ROWS = 20_000
"""Above this many distinct repeat rows, the loose multi-start runs on an evenly spaced
subsample of them (weights scaled up to the same total); the polish uses every row."""


def _subsample(data: _Data) -> _Data | None:
    """The data with every k-th repeat row only (rows are sorted by x, t_x, T, so the
    sample keeps the spread of each), or None when there are few enough rows already.
    Only the per-row term is sampled: the terms in x alone and in T alone stay exact."""
    rows = len(data.x)
    if rows <= _ROUGH_ROWS:
        return None
    keep = slice(0, rows, -(-rows // _ROUGH_ROWS))
    weights = data.weights[keep]
    scale = float(data.weights.sum()) / float(weights.sum())
    x_at = data.x_at[keep]
    x_starts, x_runs = _runs(x_at)
    return replace(
        data,
        x=data.x[keep],
        weights=weights * scale,
        T_at=data.T_at[keep],
        tx_at=data.tx_at[keep],
        x_at=x_at,
        x_starts=x_starts,
        x_runs=x_runs,
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
    return _Likelihood(data, penalizer).objective


def _second_order(data: _Data, penalizer: float) -> SecondOrder:
    """``_objective`` with its analytic Hessian (log-params), for Newton's method."""
    return _Likelihood(data, penalizer).second_order


_SCRATCH = 9


class _Likelihood:
    """Value, gradient and Hessian of the mean negative log-likelihood plus penalty, in
    log-parameters.

    Derivatives are taken in the parameters and converted. Per repeat row, with
    d = ln a − ln(b+x−1) + (r+x)·(ln(α+T) − ln(α+t_x)) and s = expit(d), the row's term
    softplus(d) has gradient s·∇d and Hessian s(1−s)·∇d∇dᵀ + s·∇²d; the terms in x alone
    and in T alone are summed per distinct frequency and per distinct day.

    The per-row work writes into scratch rows allocated once: a fresh array of a few MB
    per operation is new memory to the operating system each time (page faults), which
    cost as much as the arithmetic itself.
    """

    def __init__(self, data: _Data, penalizer: float) -> None:
        self.data = data
        self.penalizer = penalizer
        self.scratch = np.empty((_SCRATCH, len(data.x)))

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
        r, alpha, a, b = (float(v) for v in params)
        n = data.total
        f, fw = data.freqs, data.freq_weights
        # Terms depending on x only: one evaluation per distinct frequency.
        ab = digamma(a + b) - digamma(a + b + f)
        loglik = dot(
            fw,
            gammaln(r + f)
            - gammaln(r)
            + gammaln(a + b)
            + gammaln(b + f)
            - gammaln(b)
            - gammaln(a + b + f),
        ) + n * r * np.log(alpha)
        g_r = dot(fw, digamma(r + f) - digamma(r)) + n * np.log(alpha)
        g_alpha = n * r / alpha
        g_a = dot(fw, ab)
        g_b = dot(fw, ab + digamma(b + f) - digamma(b))
        # Terms depending on T only, −(r+x)·ln(α+T) summed per day ("still alive").
        log_days = np.log(alpha + data.days)
        inv_days = 1.0 / (alpha + data.days)
        day_rate = r * data.day_weights + data.day_visits
        loglik -= dot(day_rate, log_days)
        g_r -= dot(data.day_weights, log_days)
        g_alpha -= dot(day_rate, inv_days)
        # Repeat rows: softplus(d), d the log-odds of "dropped after the last visit". Sums
        # over rows of one frequency come from runs (rows are sorted by x).
        w, runs = data.weights, data.x_starts
        rx, gap, d, e, w_one, ws, inv_gap, u, tmp = self.scratch
        inv_bx = 1.0 / (b + np.maximum(f, 1.0) - 1.0)  # per frequency; x = 0 unused
        run_inv_bx = inv_bx[data.x_runs]
        np.add(data.x, r, out=rx)
        np.take(log_days, data.T_at, out=gap, mode="clip")
        np.take(log_days, data.tx_at, out=tmp, mode="clip")
        gap -= tmp
        np.multiply(rx, gap, out=d)
        np.take(np.log(a) + np.log(inv_bx), data.x_at, out=tmp, mode="clip")
        d += tmp
        np.abs(d, out=e)
        np.negative(e, out=e)
        np.exp(e, out=e)
        np.maximum(d, 0.0, out=tmp)
        loglik += dot(w, tmp)
        np.log1p(e, out=tmp)
        loglik += dot(w, tmp)
        np.add(e, 1.0, out=tmp)
        np.divide(w, tmp, out=w_one)
        # w·expit(d): w·e/(1+e) below 0, w/(1+e) above (sign(d) is 1 there, e ≤ 1).
        np.sign(d, out=ws)
        np.maximum(ws, e, out=ws)
        ws *= w_one
        np.take(inv_days, data.tx_at, out=inv_gap, mode="clip")
        np.take(inv_days, data.T_at, out=tmp, mode="clip")
        inv_gap -= tmp
        np.multiply(rx, inv_gap, out=u)  # −∂d/∂α
        ws_runs = _run_sums(ws, runs)
        sum_ws = float(ws_runs.sum())
        g_r += dot(ws, gap)
        g_alpha -= dot(ws, u)
        g_a += sum_ws / a
        g_b -= dot(ws_runs, run_inv_bx)
        gradient = -np.array([g_r, g_alpha, g_a, g_b]) / n + 2.0 * penalizer * params
        value = -loglik / n + penalizer * dot(params, params)
        if not hessian:
            return value, gradient * params, np.empty((0, 0))
        tab = dot(fw, trigamma(a + b) - trigamma(a + b + f))
        h = np.empty((4, 4))
        h[0, 0] = dot(fw, trigamma(r + f) - trigamma(r))
        h[0, 1] = n / alpha - dot(data.day_weights, inv_days)
        h[1, 1] = -n * r / alpha**2 + dot(day_rate, inv_days * inv_days)
        h[2, 2] = tab
        h[2, 3] = tab
        h[3, 3] = tab + dot(fw, trigamma(b + f) - trigamma(b))
        q, qg, qu = rx, e, d  # reused, each once it is not needed again
        np.multiply(w_one, e, out=q)
        np.add(e, 1.0, out=tmp)
        q /= tmp  # w·s(1−s) = w·e/(1+e)² on both sides of 0
        np.multiply(q, gap, out=qg)
        np.multiply(q, u, out=qu)
        q_runs = _run_sums(q, runs)
        qg_runs = _run_sums(qg, runs)
        qu_runs = _run_sums(qu, runs)
        h[0, 0] += dot(qg, gap)
        h[0, 1] -= dot(qg, u) + dot(ws, inv_gap)
        h[0, 2] = float(qg_runs.sum()) / a
        h[0, 3] = -dot(qg_runs, run_inv_bx)
        ws_u = w_one  # reused
        np.multiply(ws, u, out=ws_u)
        np.take(inv_days, data.T_at, out=tmp, mode="clip")
        tmp *= 2.0
        tmp += inv_gap  # 1/(α+t_x) + 1/(α+T)
        h[1, 1] += dot(qu, u) + dot(ws_u, tmp)
        h[1, 2] = -float(qu_runs.sum()) / a
        h[1, 3] = dot(qu_runs, run_inv_bx)
        h[2, 2] += (float(q_runs.sum()) - sum_ws) / a**2
        h[2, 3] -= dot(q_runs, run_inv_bx) / a
        h[3, 3] += dot(q_runs + ws_runs, run_inv_bx * run_inv_bx)
        upper = np.triu_indices(4, 1)
        h[(upper[1], upper[0])] = h[upper]
        curvature = -h / n + 2.0 * penalizer * np.eye(4)
        return log_space(params, value, gradient, curvature)


def _starts(data: _Data) -> list[list[float]]:
    """A moment-based start plus two fixed shapes; the best optimum over them is kept.

    The moment start takes the pooled visit rate λ̄ = Σx / ΣT (visits per day) with an
    exponential rate distribution (r = 1, α = 1/λ̄) and a mean dropout of 1/3. The
    second mirrors ``lifetimes`` (all ones after it rescales time so that max T = 10).
    """
    visits = float(data.freqs @ data.freq_weights)
    exposure = float(data.days @ data.day_weights)
    rate = (visits + 0.5) / (exposure + 1.0)
    max_age = max(float(data.days[data.day_weights > 0].max()), 1.0)
    return [
        [1.0, 1.0 / rate, 1.0, 2.0],
        [1.0, max_age / 10.0, 1.0, 1.0],
        [0.25, 0.25 / rate, 0.5, 3.0],
    ]


def _fit_data(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None,
) -> _Data:
    """Validated, grouped data (the per-customer arrays go once it returns)."""
    x, tx, age = _customers(frequency, recency, T)
    if len(x) == 0:
        raise ValueError("no customers to fit")
    return _prepare(x, tx, age, as_weights(weights, len(x)))


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
    ``lifetimes`` convention; α in days), minimised over log-parameters by Newton's
    method with the analytic gradient and Hessian: three starting points run to a loose
    tolerance (on a subsample of the repeat rows when there are more than 20,000
    distinct ones), and the best is polished on all rows until the largest gradient
    component is below 1e-10 (L-BFGS-B takes over where Newton fails, e.g. at a bound).
    Standard errors come from the analytic Hessian. ValueError on invalid input or an
    empty data set; degenerate data (e.g. nobody came back) give a finite fit with
    parameters at a bound and ``se`` None. A million customers in whole days fit in
    about 0.2 s.
    """
    pen = check_penalizer(penalizer)
    data = _fit_data(frequency, recency, T, weights)
    likelihood = _Likelihood(data, pen)
    objective = likelihood.objective
    sample = _subsample(data)
    optimum = minimise(
        objective,
        _starts(data),
        second_order=likelihood.second_order,
        rough=None if sample is None else _second_order(sample, pen),
    )
    r, alpha, a, b = (float(v) for v in optimum.params)
    errors = standard_errors(objective, optimum.params, data.total, hessian=optimum.hessian)
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


def _log_odds_dropped(fit: BGNBDFit, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    """ln[P(dropped after the last visit) / P(alive)] given the history; −∞ when x = 0.

    ``ln a − ln(b+x−1) + (r+x)·ln((α+T)/(α+t_x))``. Histories in whole days and counts
    (the usual case) look the logarithms up in tables over their ranges instead of
    taking them per customer (a million customers: about 15 ms instead of 70 ms).
    """
    tabulated = _tabulated_log_odds(fit, x, tx, age)
    if tabulated is not None:
        return tabulated
    out = np.full(x.shape, -np.inf)
    repeat = x > 0
    xr = x[repeat]
    out[repeat] = (
        np.log(fit.a)
        - np.log(fit.b + xr - 1.0)
        + (fit.r + xr) * np.log1p((age[repeat] - tx[repeat]) / (fit.alpha + tx[repeat]))
    )
    return out


def _whole_offsets(values: FloatArray, low: float) -> IntArray | None:
    """``values − low`` as integer indices if every value is a whole number (the caller
    has checked the range); None otherwise."""
    shifted = values - low if low else values
    at = shifted.astype(np.intp)
    return at if np.array_equal(at, shifted) else None


def _tabulated_log_odds(
    fit: BGNBDFit, x: FloatArray, tx: FloatArray, age: FloatArray
) -> FloatArray | None:
    """``_log_odds_dropped`` through tables, or None unless x, t_x and T are whole
    numbers within ranges no wider than the number of customers (or 1,024)."""
    if len(x) == 0:
        return None
    limit = max(len(x), 1024)
    low = float(min(tx.min(), age.min()))
    days = float(max(tx.max(), age.max())) - low + 1.0
    top = float(x.max())
    if not (x.min() >= 0 and top < limit and days <= limit):
        return None
    x_at = _whole_offsets(x, 0.0)
    tx_at = _whole_offsets(tx, low)
    T_at = _whole_offsets(age, low)
    if x_at is None or tx_at is None or T_at is None:
        return None
    log_days = np.log(fit.alpha + np.arange(low, low + days))
    counts = np.arange(top + 1.0)
    by_x = np.log(fit.a) - np.log(fit.b + np.maximum(counts, 1.0) - 1.0)
    by_x[0] = -np.inf  # no repeat visit: nothing to drop out after
    out = log_days[T_at]
    out -= log_days[tx_at]
    out *= fit.r + x
    out += by_x[x_at]  # −∞ + finite stays −∞
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
    # Where p underflows to 0 (a tiny a spreads the Beta far to the left in u), the
    # shortfall's limit is 0: r·t/α − (1 − (1 + p·t/α)^−r)/p → 0 as p → 0.
    with np.errstate(invalid="ignore", divide="ignore"):
        shortfall = np.where(p > 0.0, upper + np.expm1(-r2 * np.log1p(p * t2 / alpha2)) / p, 0.0)
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
