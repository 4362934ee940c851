"""The shared fitting machinery: grouping by radix sort, Newton's method with analytic
Hessians, and standard errors from them, checked against the slower ways they replace."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from regulars.analytics.clv import bgnbd, fit_bgnbd, fit_gammagamma, gammagamma
from regulars.analytics.clv._fit import (
    codes,
    distinct_rows,
    group_rows,
    minimise,
    standard_errors,
)
from tests.analytics.clv import simulate_bgnbd, simulate_gammagamma

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 2.5}


def numeric_hessian(
    gradient_of: Callable[[np.ndarray], np.ndarray], point: np.ndarray
) -> np.ndarray:
    k = len(point)
    numeric = np.empty((k, k))
    for i in range(k):
        up, down = point.copy(), point.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[:, i] = (gradient_of(up) - gradient_of(down)) / 2e-6
    return numeric


def test_distinct_rows_match_numpys_unique_rows_for_every_kind_of_column() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    columns = (
        rng.integers(0, 7, n).astype(np.float64),  # whole numbers
        rng.choice([-2.5, -0.0, 0.0, 1e-300, 3.25, 1e300, -1e-12], n),  # signs, zeros, extremes
        np.full(n, 4.0),  # constant
        rng.integers(-3, 3, n) * 1e12,  # whole numbers, negative, wide
        np.round(rng.gamma(2.0, 10.0, n), 1),  # fractions
    )
    distinct, inverse = distinct_rows(columns)
    expected, expected_inverse = np.unique(
        np.column_stack(columns) + 0.0, axis=0, return_inverse=True
    )
    np.testing.assert_array_equal(np.column_stack(distinct), expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())


def test_distinct_rows_of_an_empty_or_single_row() -> None:
    distinct, inverse = distinct_rows((np.zeros(0), np.zeros(0)))
    assert len(distinct[0]) == 0
    assert len(inverse) == 0
    distinct, inverse = distinct_rows((np.array([2.5]), np.array([-1.0])))
    assert distinct[0].tolist() == [2.5]
    assert inverse.tolist() == [0]


def test_grouping_sums_the_weights_of_identical_rows() -> None:
    x = np.array([3.0, 1.0, 3.0, 1.0, 2.0])
    m = np.array([9.5, 4.0, 9.5, 4.0, 9.5])
    grouped = group_rows((x, m), np.array([1.0, 2.0, 0.5, 1.0, 0.0]))
    assert [c.tolist() for c in grouped.columns] == [[1.0, 3.0], [4.0, 9.5]]
    assert grouped.weights.tolist() == [3.0, 1.5]  # the row of weight 0 is gone


def test_codes_index_a_table_of_whole_numbers_and_unique_values_otherwise() -> None:
    table, at = codes(np.array([5.0, 3.0, 5.0, 9.0]))
    assert table.tolist() == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    assert table[at].tolist() == [5.0, 3.0, 5.0, 9.0]
    table, at = codes(np.array([0.5, 1e9, 0.5]))
    assert table.tolist() == [0.5, 1e9]
    assert at.tolist() == [0, 1, 0]


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
@pytest.mark.parametrize("whole_days", [False, True])
def test_the_bgnbd_hessian_matches_finite_differences_of_the_gradient(
    penalizer: float, whole_days: bool
) -> None:
    h = simulate_bgnbd(800, **TRUE, seed=21, whole_days=whole_days)
    x, tx, T = bgnbd._customers(h.frequency, h.recency, h.T)
    second_order = bgnbd._second_order(bgnbd._prepare(x, tx, T, np.ones(len(x))), penalizer)
    point = np.log(np.array([0.7, 15.0, 1.3, 4.0]))
    value, gradient, hessian = second_order(point)
    objective = bgnbd._objective(bgnbd._prepare(x, tx, T, np.ones(len(x))), penalizer)
    assert objective(point)[0] == value
    np.testing.assert_array_equal(objective(point)[1], gradient)
    numeric = numeric_hessian(lambda p: second_order(p)[1], point)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_the_gammagamma_hessian_matches_finite_differences_of_the_gradient(
    penalizer: float,
) -> None:
    x, m = simulate_gammagamma(600, p=6.0, q=4.0, v=15.0, seed=5)
    freqs, inverse = np.unique(x, return_inverse=True)
    data = gammagamma._Data(
        freqs=freqs,
        freq_weights=np.bincount(inverse).astype(np.float64),
        x=x,
        log_x=np.log(x),
        spend=m,
        log_spend=np.log(m),
        weights=np.ones(len(x)),
        total=float(len(x)),
        n_distinct=len(x),
    )
    second_order = gammagamma._second_order(data, penalizer)
    point = np.log(np.array([3.0, 2.5, 9.0]))
    numeric = numeric_hessian(lambda p: second_order(p)[1], point)
    np.testing.assert_allclose(second_order(point)[2], numeric, rtol=1e-6, atol=1e-9)


def test_newton_from_a_subsampled_start_reaches_the_optimum_l_bfgs_b_reaches() -> None:
    # More distinct repeat rows than the subsample keeps, so the loose runs use a sample.
    h = simulate_bgnbd(120_000, **TRUE, seed=4)
    x, tx, T = bgnbd._customers(h.frequency, h.recency, h.T)
    data = bgnbd._prepare(x, tx, T, np.ones(len(x)))
    sample = bgnbd._subsample(data)
    assert sample is not None
    assert len(sample.x) < len(data.x) / 2
    objective = bgnbd._objective(data, 0.0)
    starts = bgnbd._starts(data)
    newton = minimise(
        objective,
        starts,
        second_order=bgnbd._second_order(data, 0.0),
        rough=bgnbd._second_order(sample, 0.0),
    )
    lbfgsb = minimise(objective, starts)
    assert newton.converged
    assert newton.hessian is not None
    assert lbfgsb.hessian is None
    # L-BFGS-B stops a few millionths short (its objective's relative change falls below
    # 1e-15 first); Newton gets at least as low, with a gradient a thousand times smaller.
    np.testing.assert_allclose(newton.params, lbfgsb.params, rtol=1e-5)
    assert newton.value <= lbfgsb.value
    newton_gradient = np.max(np.abs(objective(np.log(newton.params))[1]))
    assert newton_gradient < 1e-10
    assert newton_gradient < np.max(np.abs(objective(np.log(lbfgsb.params))[1]))
    analytic = standard_errors(objective, newton.params, data.total, hessian=newton.hessian)
    differenced = standard_errors(objective, newton.params, data.total)
    assert analytic is not None
    assert differenced is not None
    np.testing.assert_allclose(analytic, differenced, rtol=1e-5)


def test_gammagamma_by_newton_gets_at_least_as_close_to_the_optimum_as_l_bfgs_b() -> None:
    x, m = simulate_gammagamma(50_000, p=6.0, q=4.0, v=15.0, seed=9)
    fitted = fit_gammagamma(x, m)
    data = gammagamma._Data(
        freqs=np.unique(x),
        freq_weights=np.unique(x, return_counts=True)[1].astype(np.float64),
        x=x,
        log_x=np.log(x),
        spend=m,
        log_spend=np.log(m),
        weights=np.ones(len(x)),
        total=float(len(x)),
        n_distinct=len(x),
    )
    objective = gammagamma._objective(data, 0.0)
    lbfgsb = minimise(objective, [[2.0, 3.0, float(m.mean())]])
    newton = np.array([fitted.p, fitted.q, fitted.v])
    np.testing.assert_allclose(newton, lbfgsb.params, rtol=1e-5)
    assert fitted.converged
    assert objective(np.log(newton))[0] <= lbfgsb.value
    assert np.max(np.abs(objective(np.log(newton))[1])) < 1e-10


def test_a_fit_from_weights_equals_one_from_every_row_with_a_subsampled_start() -> None:
    h = simulate_bgnbd(100_000, **TRUE, seed=5, whole_days=True, max_age=1000.0)
    rows = np.column_stack([h.frequency, h.recency, h.T])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    every = fit_bgnbd(h.frequency, h.recency, h.T)
    weighted = fit_bgnbd(distinct[:, 0], distinct[:, 1], distinct[:, 2], weights=counts)
    assert every.n_distinct == len(distinct)
    repeat_rows = int(np.sum(distinct[:, 0] > 0))
    assert repeat_rows > bgnbd._ROUGH_ROWS
    for name in ("r", "alpha", "a", "b", "loglik"):
        assert getattr(every, name) == pytest.approx(getattr(weighted, name), rel=1e-8)


def test_rows_in_a_narrow_range_are_grouped_by_a_table_as_the_sort_would() -> None:
    rng = np.random.default_rng(8)
    n = 20_000  # (frequency, age) spans 16 × 366 keys: fewer than 8 per row
    columns = (rng.integers(0, 16, n).astype(np.float64), rng.integers(0, 366, n) + 0.0)
    distinct, inverse = distinct_rows(columns)
    expected, expected_inverse = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
    np.testing.assert_array_equal(np.column_stack(distinct), expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())


def test_tabulated_log_odds_equal_those_taken_customer_by_customer() -> None:
    h = simulate_bgnbd(5_000, **TRUE, seed=13, whole_days=True)
    fit = fit_bgnbd(h.frequency, h.recency, h.T)
    x, tx, T = bgnbd._customers(h.frequency, h.recency, h.T)
    tabulated = bgnbd._tabulated_log_odds(fit, x, tx, T)
    assert tabulated is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.where(
            x > 0,
            np.log(fit.a)
            - np.log(fit.b + x - 1.0)
            + (fit.r + x) * np.log1p((T - tx) / (fit.alpha + tx)),
            -np.inf,
        )
    np.testing.assert_allclose(tabulated, direct, rtol=1e-12, atol=1e-12)
    assert bgnbd._tabulated_log_odds(fit, x, tx + 0.5 * (x > 0), T + 0.5) is None


def test_spends_group_as_numpy_groups_them_when_every_customer_has_spend() -> None:
    x, m = simulate_gammagamma(3_000, p=6.0, q=4.0, v=15.0, seed=3)
    m = np.round(m, 1)
    grouped = group_rows((x, m), np.ones(len(x)))
    expected, counts = np.unique(np.column_stack([x, m]), axis=0, return_counts=True)
    np.testing.assert_array_equal(np.column_stack(grouped.columns), expected)
    np.testing.assert_array_equal(grouped.weights, counts)
    fitted = fit_gammagamma(x, m)
    assert fitted.n_distinct == len(expected)
