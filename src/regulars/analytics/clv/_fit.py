"""Shared machinery for the CLV models: input checks, grouping of identical rows, the
optimiser wrapper and Hessian-based standard errors.

Every model is fitted over the logarithms of its (positive) parameters, so the optimiser
works unconstrained apart from wide box bounds that keep ``exp`` finite. Objectives are
*mean* negative log-likelihoods (total weighted log-likelihood / total weight) plus an
optional L2 penalty ``penalizer · Σ params²``, as in the ``lifetimes`` package, so the
penalty's strength does not depend on how many customers a business has.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]
SecondOrder = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]
"""Log-parameters to (mean objective, gradient, Hessian), all in log-parameters."""

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
    """The logistic function 1/(1 + e^−x), through numpy's vectorised exp (scipy's
    ``expit`` takes about ten times as long over a million values); e^−x overflowing to
    ∞ gives exactly 0, where the true value is below 1e-307."""
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def hyp2f1(a: FloatArray, b: float, c: FloatArray, z: FloatArray) -> FloatArray:
    return np.asarray(special.hyp2f1(a, b, c, z), dtype=np.float64)


def dot(a: FloatArray, b: FloatArray) -> float:
    """Σ a·b for long 1-D arrays, without BLAS.

    ``a @ b`` calls OpenBLAS's ddot, which above 10,000 elements wakes a second thread;
    that thread then spins waiting for more work and slows every numpy call after it
    (on a 2-core machine a whole BG/NBD fit took 2.5 times as long). ``np.einsum`` sums
    in the calling thread.
    """
    return float(np.einsum("i,i->", a, b))


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


def horizon_days(t: npt.ArrayLike) -> FloatArray:
    """A prediction horizon in days: finite and >= 0 (a scalar becomes length 1)."""
    days = as_float_array(t, "t")
    if np.any(days < 0):
        raise ValueError("t must be >= 0 (days)")
    return days


def customer_arrays(
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
    return np.asarray(x, dtype=np.float64), tx, np.asarray(age, dtype=np.float64)


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
    input row, the index of its distinct row. O(n): a radix sort over order-preserving
    integer codes of the columns (see ``_radix_order``)."""
    n = len(columns[0])
    if n == 0:
        return tuple(c[:0] for c in columns), np.zeros(0, dtype=np.intp)
    keys = _packed_keys(columns)
    if len(keys) == 1 and keys[0][1] <= _DENSE_BITS and 2 ** keys[0][1] <= 8 * n:
        return _dense_distinct(columns, keys[0][0])
    order = _radix_order(keys)
    starts = np.ones(n, dtype=bool)
    if n > 1:
        changed = np.zeros(n - 1, dtype=bool)
        for key, _ in keys:
            ordered = key[order]
            changed |= ordered[1:] != ordered[:-1]
        starts[1:] = changed
    del keys  # tens of MB for a million rows; the rest needs the order only
    first = order[starts]
    ranks = np.cumsum(starts, dtype=np.intp)
    ranks -= 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = ranks
    return tuple(c[first] for c in columns), inverse


_DENSE_BITS = 24


def _dense_distinct(
    columns: Sequence[FloatArray], key: npt.NDArray[np.uint64]
) -> tuple[tuple[FloatArray, ...], IntArray]:
    """``distinct_rows`` for keys in a range of at most 8 per row (e.g. frequency and age
    in days): a table over the whole range marks the keys present, which are then in
    order without sorting."""
    at = key.astype(np.intp)
    present = np.zeros(int(at.max()) + 1, dtype=bool)
    present[at] = True
    distinct = np.flatnonzero(present)
    position = np.empty(len(present), dtype=np.intp)
    position[distinct] = np.arange(len(distinct))
    inverse = position[at]
    first = np.empty(len(distinct), dtype=np.intp)
    first[inverse] = np.arange(len(at))  # any row of each key will do: they are equal
    return tuple(c[first] for c in columns), inverse


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


def codes(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """The distinct values (sorted) and, per value, the index of its distinct value.

    Whole numbers in a range no wider than the array is long (days, visit counts) are
    their own index into a table of every number in the range, which costs no sort; other
    values go through ``np.unique``. The table may then hold numbers that do not occur:
    callers use it for per-value terms, where an unused entry only costs its evaluation.
    """
    if len(values):
        low, high = float(values.min()), float(values.max())
        small = max(abs(low), abs(high)) < 2.0**53 and high - low <= max(len(values), 1024)
        if small and np.all(values == np.floor(values)):
            table = np.arange(low, high + 1.0)
            return table, (values - low).astype(np.intp)
    distinct, inverse = np.unique(values, return_inverse=True)
    return np.asarray(distinct, dtype=np.float64), inverse.ravel().astype(np.intp)


_DIGIT_BITS = 16


def _column_code(column: FloatArray) -> tuple[npt.NDArray[np.uint64], int]:
    """An order-preserving unsigned code of a column, shifted to start at 0, and the
    number of bits it needs: the value itself for whole numbers (days, counts), the
    float's bit pattern (sign-adjusted, so that its order is the numbers') otherwise.
    Equal codes mean equal values (−0.0 and 0.0 are one value)."""
    low, high = float(column.min()), float(column.max())
    if high - low < 2.0**53 and np.all(column == np.floor(column)):
        code = (column - low).astype(np.uint64)
        return code, int(high - low).bit_length()
    code = (column + 0.0).view(np.uint64)
    if low < 0:
        negative = (code >> np.uint64(63)).astype(bool)
        code = np.where(negative, ~code, code | np.uint64(1 << 63))
    # Non-negative floats (spends, say) order as their bit patterns already.
    code -= code.min()
    return code, int(code.max()).bit_length()


def _packed_keys(columns: Sequence[FloatArray]) -> list[tuple[npt.NDArray[np.uint64], int]]:
    """The columns' codes packed into as few 64-bit keys as fit, most significant first,
    each with its width in bits (so that rows compare as their keys do, key by key)."""
    packed: list[tuple[npt.NDArray[np.uint64], int]] = []
    for column in reversed(columns):
        code, width = _column_code(column)
        if width == 0:
            continue  # a constant column orders nothing
        if packed and packed[-1][1] + width <= 64:
            key, used = packed[-1]
            code <<= np.uint64(used)  # in place: the code is a fresh array
            code |= key
            packed[-1] = (code, used + width)
        else:
            packed.append((code, width))
    if not packed:
        return [(np.zeros(len(columns[0]), dtype=np.uint64), 0)]
    return packed[::-1]


def _radix_order(keys: Sequence[tuple[npt.NDArray[np.uint64], int]]) -> IntArray:
    """A stable order sorting the rows by their keys (the first most significant): a
    least-significant-digit radix sort, 16 bits per pass, each pass numpy's stable
    argsort of 16-bit integers (itself a radix sort). A 28-bit key of a million rows
    sorts in two passes, about 15 ms, where ``np.argsort`` of int64 takes about 80 ms."""
    n = len(keys[0][0])
    order: IntArray | None = None
    for key, width in reversed(keys):
        for shift in range(0, width, _DIGIT_BITS):
            digit = _digit(key, shift // _DIGIT_BITS)
            if order is not None:
                digit = digit[order]
            step = np.argsort(digit, kind="stable")
            order = step if order is None else order[step]
    return order if order is not None else np.arange(n, dtype=np.intp)


def _digit(key: npt.NDArray[np.uint64], index: int) -> npt.NDArray[np.uint16]:
    """The ``index``-th 16-bit digit of every key (0: the least significant): on a
    little-endian machine a strided view of the keys' memory, no copy and no pass."""
    if sys.byteorder == "little" and key.flags.c_contiguous:
        return key.view(np.uint16)[index::4]
    return (key >> np.uint64(_DIGIT_BITS * index)).astype(np.uint16)


# --- optimisation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Optimum:
    """Best run over the starting points: parameters (not logs), objective value.

    ``hessian``: the objective's Hessian in the parameters themselves (not their logs)
    at the optimum, when the polish computed it analytically (None otherwise)."""

    params: FloatArray
    value: float
    converged: bool
    iterations: int
    hessian: FloatArray | None = None

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


def minimise(
    objective: Objective,
    starts: Sequence[Sequence[float]],
    *,
    second_order: SecondOrder | None = None,
    rough: SecondOrder | None = None,
) -> Optimum:
    """Minimise ``objective`` over log-parameters from every start; the best wins.

    ``objective`` maps log-parameters to (mean objective, its gradient in
    log-parameters). ValueError if no start gives a finite objective. Every start runs to
    a loose tolerance; only the best is then polished to a tight one (largest gradient
    component 1e-10), which costs a few evaluations instead of a full tight run per
    start.

    Without ``second_order``, both are L-BFGS-B with the analytic gradient. With it (the
    same objective's value, gradient and Hessian, all in log-parameters), both are
    Newton's method, a handful of steps where L-BFGS-B needs tens, and the optimum
    carries the Hessian; ``rough``, if given, is a cheaper approximation of it (a
    subsample) for the loose runs. Where Newton fails (a parameter heading for a bound,
    no descent), L-BFGS-B takes that run over. Newton also keeps scipy's L-BFGS-B out of
    the usual path: its BLAS calls wake OpenBLAS's second thread, whose spinning slows
    the numpy work after it (see ``dot``).
    """
    guarded = _guarded(objective)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    loose_newton = rough if rough is not None else second_order
    loose = guarded if loose_newton is None else _guarded(_first_order(loose_newton))
    runs: list[tuple[float, FloatArray, int]] = []
    for start in starts:
        x0 = np.clip(np.log(np.asarray(start, dtype=np.float64)), -LOG_BOUND, LOG_BOUND)
        if loose(x0)[0] >= 1e300:
            continue
        if loose_newton is not None:
            run = _newton(loose_newton, x0, tolerance=_LOOSE_GRADIENT)
            if run is not None:
                runs.append((run.value, run.log_params, run.iterations))
                continue
        result = optimize.minimize(
            loose,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-10, "gtol": _LOOSE_GRADIENT},
        )
        if float(result.fun) < 1e300:
            runs.append(
                (float(result.fun), np.asarray(result.x, dtype=np.float64), int(result.nit))
            )
    if not runs:
        raise ValueError("the likelihood is not finite at any starting point")
    _, x0, first_iterations = min(runs, key=lambda run: run[0])
    if second_order is not None:
        newton = _newton(second_order, x0, tolerance=_POLISH_GRADIENT)
        if newton is not None:
            return Optimum(
                np.exp(newton.log_params),
                newton.value,
                newton.converged,
                first_iterations + newton.iterations,
                _parameter_hessian(newton.log_params, newton.gradient, newton.hessian),
            )
    result = optimize.minimize(
        guarded,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-15, "gtol": _POLISH_GRADIENT},
    )
    log_params = np.clip(np.asarray(result.x, dtype=np.float64), -LOG_BOUND, LOG_BOUND)
    value, gradient = guarded(log_params)
    interior = np.abs(log_params) < LOG_BOUND - 1e-6
    converged = bool(result.success) or bool(
        np.all(np.abs(gradient[interior]) < _GRADIENT_TOLERANCE)
    )
    return Optimum(np.exp(log_params), value, converged, first_iterations + int(result.nit))


def _first_order(second_order: SecondOrder) -> Objective:
    def evaluate(log_params: FloatArray) -> tuple[float, FloatArray]:
        value, gradient, _ = second_order(log_params)
        return value, gradient

    return evaluate


_LOOSE_GRADIENT = 1e-6
"""The loose runs from every start stop when the largest gradient component is below
this (L-BFGS-B also stops when the objective changes by less than 1e-10 relative)."""

_POLISH_GRADIENT = 1e-10
"""The polish stops when the largest gradient component (mean objective, log-parameters)
is below this (L-BFGS-B also when the objective changes by less than 1e-15 relative)."""

_NEWTON_MAX_STEP = 2.0
"""Largest Newton step in any log-parameter (a factor e² ≈ 7.4): far from the optimum the
quadratic model is not to be trusted further."""

_NEWTON_MAX_ITERATIONS = 100


@dataclass(frozen=True, slots=True)
class _NewtonResult:
    log_params: FloatArray
    value: float
    gradient: FloatArray
    hessian: FloatArray
    converged: bool
    iterations: int


def _newton(evaluate: SecondOrder, x0: FloatArray, *, tolerance: float) -> _NewtonResult | None:
    """Newton's method with a backtracking line search, until the largest gradient
    component is below ``tolerance`` (converged) or no descent is left at the precision
    of the objective (converged if that component is below ``_GRADIENT_TOLERANCE``).

    The Hessian is made positive definite where it is not (eigenvalues mirrored and
    floored), steps are capped at ``_NEWTON_MAX_STEP``, and a step is accepted when it
    decreases the objective enough (Armijo) or, when the change is within the rounding of
    the objective's value, when it shrinks the gradient (otherwise the precision floor
    is reached). None when a trial point leaves the box ``±LOG_BOUND`` or the start is
    not finite: the caller then falls back to L-BFGS-B, which handles bounds.
    """
    x = np.asarray(x0, dtype=np.float64).copy()
    value, gradient, hessian = evaluate(x)
    if not _finite(value, gradient, hessian):
        return None

    def result(iterations: int, *, converged: bool = False) -> _NewtonResult:
        converged = converged or bool(np.max(np.abs(gradient)) < _GRADIENT_TOLERANCE)
        return _NewtonResult(x, value, gradient, hessian, converged, iterations)

    for iteration in range(_NEWTON_MAX_ITERATIONS):
        largest = float(np.max(np.abs(gradient)))
        if largest <= tolerance:
            return result(iteration, converged=True)
        step = _newton_step(gradient, hessian)
        slope = float(gradient @ step)
        rounding = 8.0 * np.finfo(np.float64).eps * max(abs(value), 1.0)
        t = 1.0
        while True:
            trial = x + t * step
            if np.any(np.abs(trial) > LOG_BOUND):
                return None
            trial_value, trial_gradient, trial_hessian = evaluate(trial)
            finite = _finite(trial_value, trial_gradient, trial_hessian)
            if finite and trial_value <= value + 1e-4 * t * slope:
                break
            if finite and trial_value <= value + rounding:
                # The change is within the objective's rounding: the gradient decides.
                if float(np.max(np.abs(trial_gradient))) < largest:
                    break
                return result(iteration + 1)  # at the precision floor
            t *= 0.5
            if t < 1e-8:
                return result(iteration + 1)
        x, value, gradient, hessian = trial, trial_value, trial_gradient, trial_hessian
    return result(_NEWTON_MAX_ITERATIONS)


def _finite(value: float, gradient: FloatArray, hessian: FloatArray) -> bool:
    return bool(
        np.isfinite(value) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))
    )


def _newton_step(gradient: FloatArray, hessian: FloatArray) -> FloatArray:
    symmetric = 0.5 * (hessian + hessian.T)
    eigenvalues, vectors = np.linalg.eigh(symmetric)
    scale = max(float(np.max(np.abs(eigenvalues))), 1e-300)
    floored = np.maximum(np.abs(eigenvalues), 1e-10 * scale)
    step = -(vectors @ ((vectors.T @ gradient) / floored))
    largest = float(np.max(np.abs(step)))
    if largest > _NEWTON_MAX_STEP:
        step *= _NEWTON_MAX_STEP / largest
    return np.asarray(step, dtype=np.float64)


def _parameter_hessian(
    log_params: FloatArray, log_gradient: FloatArray, log_hessian: FloatArray
) -> FloatArray:
    """The Hessian in the parameters p = e^θ from the one in θ: with D = diag(p),
    ∇²_θ f = D ∇²_p f D + diag(∇_θ f), so ∇²_p f = D⁻¹ (∇²_θ f − diag(∇_θ f)) D⁻¹."""
    inverse = np.exp(-log_params)
    return np.asarray(
        (log_hessian - np.diag(log_gradient)) * np.outer(inverse, inverse), dtype=np.float64
    )


def log_space(
    params: FloatArray, value: float, gradient: FloatArray, hessian: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """(value, gradient, Hessian) in log-parameters from those in the parameters."""
    log_gradient = gradient * params
    log_hessian = hessian * np.outer(params, params) + np.diag(log_gradient)
    return value, log_gradient, log_hessian


def standard_errors(
    objective: Objective,
    params: FloatArray,
    total_weight: float,
    *,
    hessian: FloatArray | None = None,
) -> FloatArray | None:
    """Standard errors from the inverse Hessian of the total negative log-likelihood.

    The Hessian (in the parameters themselves, not their logs) of the mean objective is
    ``hessian`` when given (analytic, e.g. ``Optimum.hessian``), otherwise taken by
    central differences of the analytic gradient; it is scaled by the total weight; with
    a penalty it is the curvature of the penalised objective. None when a parameter sits
    on a bound or the Hessian is not positive definite (flat or degenerate likelihood),
    since no finite standard error then exists.
    """
    if np.any(np.abs(np.log(params)) >= LOG_BOUND - 1e-6):
        return None
    if hessian is None:
        hessian = _difference_hessian(objective, params)
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


def _difference_hessian(objective: Objective, params: FloatArray) -> FloatArray:
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
    return hessian
