"""Shared machinery for the CLV models: input checks, grouping of identical rows, the
optimiser wrapper and Hessian-based standard errors.

Every model is fitted over the logarithms of its (positive) parameters, so the optimiser
works unconstrained apart from wide box bounds that keep ``exp`` finite. Objectives are
*mean* negative log-likelihoods (total weighted log-likelihood / total weight) plus an
optional L2 penalty ``penalizer · Σ params²``, as in the ``lifetimes`` package, so the
penalty's strength does not depend on how many customers a business has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

LOG_BOUND = 20.0
"""Fitted parameters stay within ``[e^-20, e^20]`` ≈ [2e-9, 4.9e8]: degenerate data (no
repeat visits at all, say) push a parameter towards 0 or ∞, and the bound keeps the
result finite instead of letting the optimiser run off."""

_GRADIENT_TOLERANCE = 1e-6
"""A run counts as converged when scipy says so or the largest gradient component of the
mean objective (in log-parameters) is below this, at an interior point."""


# --- typed wrappers around scipy.special ------------------------------------------------


def gammaln(x: FloatArray | float) -> FloatArray:
    return np.asarray(special.gammaln(x), dtype=np.float64)


def digamma(x: FloatArray | float) -> FloatArray:
    return np.asarray(special.digamma(x), dtype=np.float64)


def trigamma(x: FloatArray | float) -> FloatArray:
    return np.asarray(special.polygamma(1, x), dtype=np.float64)


def betaln(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    return np.asarray(special.betaln(a, b), dtype=np.float64)


def expit(x: FloatArray) -> FloatArray:
    return np.asarray(special.expit(x), dtype=np.float64)


def hyp2f1(a: FloatArray, b: float, c: FloatArray, z: FloatArray) -> FloatArray:
    return np.asarray(special.hyp2f1(a, b, c, z), dtype=np.float64)


# --- input checks -------------------------------------------------------------------------


def as_float_array(values: npt.ArrayLike, name: str) -> FloatArray:
    """A finite 1-D float array (a scalar becomes length 1); ValueError otherwise."""
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return array


def as_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    """Non-negative finite weights of length ``n`` with a positive total (ones if None)."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    array = as_float_array(weights, "weights")
    if array.shape != (n,):
        raise ValueError("weights must have one entry per customer")
    if np.any(array < 0) or not array.sum() > 0:
        raise ValueError("weights must be non-negative with a positive total")
    return array


def check_penalizer(penalizer: float) -> float:
    value = float(penalizer)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError("penalizer must be a finite number >= 0")
    return value


# --- grouping -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grouped:
    """Distinct rows of the stacked columns and the total weight of each."""

    columns: tuple[FloatArray, ...]
    weights: FloatArray


def distinct_rows(columns: Sequence[FloatArray]) -> tuple[tuple[FloatArray, ...], IntArray]:
    """The distinct rows of the stacked columns (in lexicographic order) and, for each
    input row, the index of its distinct row. O(n log n): one integer sort when every
    column holds whole numbers (days, counts), a lexicographic sort otherwise."""
    key = _integer_key(columns)
    n = len(columns[0])
    starts = np.ones(n, dtype=bool)
    if key is not None:
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts[1:] = sorted_key[1:] != sorted_key[:-1]
        ordered = [c[order] for c in columns]
    else:
        order = np.lexsort(tuple(reversed(columns)))
        ordered = [c[order] for c in columns]
        if n > 1:
            changed = np.zeros(n - 1, dtype=bool)
            for c in ordered:
                changed |= c[1:] != c[:-1]
            starts[1:] = changed
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return tuple(c[starts] for c in ordered), inverse


def group_rows(columns: Sequence[FloatArray], weights: FloatArray) -> Grouped:
    """Collapse identical rows, summing their weights; rows of zero total weight go.

    The models then cost O(distinct rows) per likelihood evaluation, so a million
    customers observed in whole days fit in the time of their distinct (frequency,
    recency, age) rows.
    """
    distinct, inverse = distinct_rows(columns)
    totals = np.asarray(
        np.bincount(inverse, weights=weights, minlength=len(distinct[0])), dtype=np.float64
    )
    keep = totals > 0
    return Grouped(tuple(c[keep] for c in distinct), totals[keep])


def _integer_key(columns: Sequence[FloatArray]) -> npt.NDArray[np.int64] | None:
    """One int64 per row that is equal exactly when the rows are, if every column holds
    non-negative whole numbers and their ranges fit in 62 bits; otherwise None. The first
    column is the most significant, so rows sort as with ``np.lexsort``."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    scale = 1
    for column in reversed(columns):
        if len(column) == 0 or column.min() < 0 or not np.all(column == np.floor(column)):
            return None
        span = int(column.max()) + 1
        if scale * span >= 2**62:
            return None
        key += column.astype(np.int64) * scale
        scale *= span
    return key


# --- optimisation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Optimum:
    """Best run over the starting points: parameters (not logs), objective value."""

    params: FloatArray
    value: float
    converged: bool
    iterations: int

    def log_likelihood(self, penalizer: float, total: float) -> float:
        """The data's log-likelihood at the optimum: the objective is the penalised
        negative log-likelihood per unit of weight, so the penalty comes off first."""
        return float(-(self.value - penalizer * float(self.params @ self.params)) * total)


def _guarded(objective: Objective) -> Objective:
    """Map a non-finite evaluation to a huge finite value so the line search backs off."""

    def wrapped(log_params: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = objective(log_params)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e300, np.zeros_like(log_params)
        return value, gradient

    return wrapped


def minimise(objective: Objective, starts: Sequence[Sequence[float]]) -> Optimum:
    """L-BFGS-B with the analytic gradient over log-parameters from every start; best wins.

    ``objective`` maps log-parameters to (mean objective, its gradient in
    log-parameters). ValueError if no start gives a finite objective.
    """
    guarded = _guarded(objective)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    # Every start runs to a loose tolerance; only the best is then polished to a tight
    # one, which costs a few evaluations instead of a full tight run per start.
    rough: list[tuple[float, FloatArray, int]] = []
    for start in starts:
        x0 = np.clip(np.log(np.asarray(start, dtype=np.float64)), -LOG_BOUND, LOG_BOUND)
        if guarded(x0)[0] >= 1e300:
            continue
        result = optimize.minimize(
            guarded,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-10, "gtol": 1e-6},
        )
        if float(result.fun) < 1e300:
            rough.append(
                (float(result.fun), np.asarray(result.x, dtype=np.float64), int(result.nit))
            )
    if not rough:
        raise ValueError("the likelihood is not finite at any starting point")
    _, x0, first_iterations = min(rough, key=lambda run: run[0])
    result = optimize.minimize(
        guarded,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10},
    )
    log_params = np.clip(np.asarray(result.x, dtype=np.float64), -LOG_BOUND, LOG_BOUND)
    value, gradient = guarded(log_params)
    interior = np.abs(log_params) < LOG_BOUND - 1e-6
    converged = bool(result.success) or bool(
        np.all(np.abs(gradient[interior]) < _GRADIENT_TOLERANCE)
    )
    return Optimum(np.exp(log_params), value, converged, first_iterations + int(result.nit))


def standard_errors(
    objective: Objective, params: FloatArray, total_weight: float
) -> FloatArray | None:
    """Standard errors from the inverse Hessian of the total negative log-likelihood.

    The Hessian (in the parameters themselves, not their logs) is taken by central
    differences of the analytic gradient of the mean objective and scaled by the total
    weight; with a penalty it is the curvature of the penalised objective. None when a
    parameter sits on a bound or the Hessian is not positive definite (flat or degenerate
    likelihood), since no finite standard error then exists.
    """
    if np.any(np.abs(np.log(params)) >= LOG_BOUND - 1e-6):
        return None

    def gradient(p: FloatArray) -> FloatArray:
        return objective(np.log(p))[1] / p

    k = len(params)
    hessian = np.empty((k, k), dtype=np.float64)
    for i in range(k):
        step = 1e-5 * params[i]
        up = params.copy()
        up[i] += step
        down = params.copy()
        down[i] -= step
        hessian[:, i] = (gradient(up) - gradient(down)) / (2.0 * step)
    hessian = 0.5 * (hessian + hessian.T) * total_weight
    if not np.all(np.isfinite(hessian)):
        return None
    try:
        np.linalg.cholesky(hessian)
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return None
    variances = np.diag(covariance)
    if not np.all(np.isfinite(variances) & (variances > 0)):
        return None
    return np.asarray(np.sqrt(variances), dtype=np.float64)
