from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import pytest
from scipy import integrate, stats  # type: ignore[import-untyped]

from regulars.analytics.clv import (
    BGNBDFit,
    bgnbd_expected_population,
    bgnbd_expected_visits,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_p_at_least_one,
    fit_bgnbd,
)
from regulars.analytics.clv._fit import group_rows
from regulars.analytics.clv.bgnbd import _customers, _objective, _prepare
from tests.analytics import assert_all_finite
from tests.analytics.clv import simulate_bgnbd


class Parameters(TypedDict):
    r: float
    alpha: float
    a: float
    b: float


TRUE = Parameters(r=0.5, alpha=20.0, a=0.8, b=2.5)


def model(r: float, alpha: float, a: float, b: float) -> BGNBDFit:
    """A fit object holding given parameters, to test predictions on their own."""
    return BGNBDFit(r, alpha, a, b, 0.0, None, 0.0, 0, True, 0, 0.0)


MODEL = model(**TRUE)

# Edge rows: no repeats, T = 0, recency = T, a huge frequency, a long-gone regular.
EDGE_X = np.array([0.0, 0.0, 3.0, 10_000.0, 10_000.0, 50.0, 1.0])
EDGE_TX = np.array([0.0, 0.0, 200.0, 3650.0, 1.0, 20.0, 0.0])
EDGE_T = np.array([0.0, 365.0, 200.0, 3650.0, 3650.0, 3000.0, 0.0])


@pytest.fixture(scope="module")
def customers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = simulate_bgnbd(20_000, **TRUE)
    return h.frequency, h.recency, h.T


@pytest.fixture(scope="module")
def fitted(customers: tuple[np.ndarray, np.ndarray, np.ndarray]) -> BGNBDFit:
    return fit_bgnbd(*customers)


def paper_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: int, tx: float, T: float
) -> float:
    """Fader, Hardie & Lee (2005), eq. 6, written out with math.lgamma."""

    def lbeta(u: float, w: float) -> float:
        return math.lgamma(u) + math.lgamma(w) - math.lgamma(u + w)

    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    first = lbeta(a, b + x) - lbeta(a, b) - (r + x) * math.log(alpha + T)
    if x == 0:
        return head + first
    second = lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * math.log(alpha + tx)
    top = max(first, second)
    return head + top + math.log(math.exp(first - top) + math.exp(second - top))


def test_it_recovers_the_parameters_of_simulated_customers_within_four_standard_errors(
    fitted: BGNBDFit,
) -> None:
    assert fitted.converged
    assert fitted.se is not None
    for name in ("r", "alpha", "a", "b"):
        true = float(TRUE[name])
        estimate = getattr(fitted, name)
        se = getattr(fitted.se, name)
        assert 0 < se < 0.2 * true
        assert abs(estimate - true) < 4 * se, (name, estimate, true, se)
    assert fitted.n_customers == 20_000


def test_its_log_likelihood_is_the_sum_of_the_per_customer_values_at_the_optimum(
    fitted: BGNBDFit, customers: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    per_customer = bgnbd_log_likelihood(fitted.r, fitted.alpha, fitted.a, fitted.b, *customers)
    assert fitted.loglik == pytest.approx(float(per_customer.sum()), rel=1e-12)


@pytest.mark.parametrize(
    ("x", "tx", "T"),
    [
        (0, 0.0, 0.0),
        (0, 0.0, 40.0),
        (1, 5.0, 40.0),
        (4, 40.0, 40.0),
        (12, 300.5, 365.0),
        (200, 90.0, 400.0),
    ],
)
def test_its_log_likelihood_matches_the_published_formula(x: int, tx: float, T: float) -> None:
    params = (0.243, 4.414, 0.793, 2.426)
    ours = bgnbd_log_likelihood(*params, [x], [tx], [T])[0]
    assert ours == pytest.approx(paper_log_likelihood(*params, x, tx, T), rel=1e-12, abs=1e-12)


def test_its_analytic_gradient_matches_finite_differences() -> None:
    h = simulate_bgnbd(500, **TRUE, seed=11)
    x, tx, T = _customers(h.frequency, h.recency, h.T)
    for penalizer in (0.0, 0.01):
        objective = _objective(_prepare(x, tx, T, np.ones(len(x))), penalizer)
        point = np.log(np.array([0.7, 15.0, 1.3, 4.0]))
        _, gradient = objective(point)
        step = 1e-6
        for i in range(4):
            up, down = point.copy(), point.copy()
            up[i] += step
            down[i] -= step
            numeric = (objective(up)[0] - objective(down)[0]) / (2 * step)
            assert gradient[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_it_fits_the_same_model_from_duplicated_rows_and_from_weights() -> None:
    h = simulate_bgnbd(3_000, **TRUE, seed=3, whole_days=True)
    rows = np.column_stack([h.frequency, h.recency, h.T])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(distinct) < len(rows)
    every = fit_bgnbd(h.frequency, h.recency, h.T)
    weighted = fit_bgnbd(distinct[:, 0], distinct[:, 1], distinct[:, 2], weights=counts)
    assert every.n_distinct == weighted.n_distinct == len(distinct)
    for name in ("r", "alpha", "a", "b", "loglik"):
        assert getattr(every, name) == pytest.approx(getattr(weighted, name), rel=1e-6)


def test_a_penalizer_shrinks_the_parameters(
    customers: tuple[np.ndarray, np.ndarray, np.ndarray], fitted: BGNBDFit
) -> None:
    shrunk = fit_bgnbd(*customers, penalizer=0.01)
    size = np.array([fitted.r, fitted.alpha, fitted.a, fitted.b])
    shrunk_size = np.array([shrunk.r, shrunk.alpha, shrunk.a, shrunk.b])
    assert shrunk.penalizer == 0.01
    assert shrunk_size @ shrunk_size < size @ size
    assert shrunk.alpha < fitted.alpha
    assert shrunk.loglik < fitted.loglik


def test_a_customer_without_repeat_visits_is_alive() -> None:
    alive = bgnbd_p_alive(MODEL, [0, 0, 0], [0, 0, 0], [0.0, 30.0, 3650.0])
    assert np.all(alive == 1.0)


def test_p_alive_falls_the_longer_a_regular_stays_away() -> None:
    alive = bgnbd_p_alive(MODEL, 5, 100.0, [100.0, 150.0, 300.0, 1000.0])
    assert alive[0] > alive[1] > alive[2] > alive[3] > 0
    assert alive[0] <= 1


def test_expected_visits_start_at_zero_and_grow_with_the_horizon() -> None:
    days = np.array([0.0, 1.0, 7.0, 30.0, 90.0, 365.0, 3650.0])
    for x, tx, T in zip(EDGE_X, EDGE_TX, EDGE_T, strict=True):
        visits = bgnbd_expected_visits(MODEL, days, x, tx, T)
        assert visits[0] == 0
        if bgnbd_p_alive(MODEL, x, tx, T)[0] > 0:
            assert np.all(np.diff(visits) > 0)
        else:  # 10,000 visits in the first day, then ten silent years: surely gone
            assert np.all(visits == 0)


def test_expected_visits_match_numerical_integration_over_the_posterior() -> None:
    # E[Y(t) | x, t_x, T] = P(alive) · ∫ (1 − (1 + p t / (α+T))^−(r+x)) / p · Beta(p; a, b+x) dp
    fit = model(0.3, 40.0, 0.6, 30.0)
    for x, tx, T, t in [
        (0, 0, 10.0, 30.0),
        (2, 50.0, 80.0, 365.0),
        (40, 300.0, 320.0, 90.0),
        (3, 10.0, 500.0, 1000.0),
    ]:
        r, rate, b = fit.r + x, fit.alpha + T, fit.b + x

        def integrand(
            p: float, r: float = r, rate: float = rate, b: float = b, t: float = t
        ) -> float:
            return float(
                -math.expm1(-r * math.log1p(p * t / rate)) / p * stats.beta.pdf(p, fit.a, b)
            )

        alive = bgnbd_p_alive(fit, x, tx, T)[0]
        expected = alive * integrate.quad(integrand, 0, 1, limit=200, points=[1e-3, 0.05])[0]
        assert bgnbd_expected_visits(fit, t, x, tx, T)[0] == pytest.approx(expected, rel=1e-7)


def test_expected_population_and_first_visit_probability_match_simulation() -> None:
    # Customers all exactly 180 days old: their mean repeat count estimates E[X(180)], and
    # the share with a repeat visit estimates P(at least one visit in 180 days | new).
    n, age = 20_000, 180.0
    repeats = simulate_bgnbd(n, **TRUE, seed=21, min_age=age, max_age=age).frequency
    mean, se = repeats.mean(), repeats.std(ddof=1) / math.sqrt(n)
    assert abs(bgnbd_expected_population(MODEL, age)[0] - mean) < 4 * se
    share = (repeats > 0).mean()
    share_se = math.sqrt(share * (1 - share) / n)
    assert abs(bgnbd_p_at_least_one(MODEL, age, 0, 0, 0)[0] - share) < 4 * share_se


def test_p_at_least_one_lies_between_zero_and_p_alive_and_below_expected_visits() -> None:
    for x, tx, T in zip(EDGE_X, EDGE_TX, EDGE_T, strict=True):
        days = np.array([0.0, 1.0, 30.0, 365.0, 1e14])
        p = bgnbd_p_at_least_one(MODEL, days, x, tx, T)
        alive = bgnbd_p_alive(MODEL, x, tx, T)[0]
        assert p[0] == 0
        assert np.all(np.diff(p) >= 0)
        assert np.all(p <= alive + 1e-15)
        assert p[-1] == pytest.approx(alive, rel=1e-5)
        assert np.all(p <= bgnbd_expected_visits(MODEL, days, x, tx, T) + 1e-15)


def test_edge_customers_never_get_nan_or_infinity() -> None:
    for fit in (MODEL, model(0.01, 1e-3, 1.0, 1e5), model(50.0, 1e4, 1e-3, 1e-3)):
        for t in (0.0, 1.0, 365.0):
            values = (
                bgnbd_p_alive(fit, EDGE_X, EDGE_TX, EDGE_T),
                bgnbd_expected_visits(fit, t, EDGE_X, EDGE_TX, EDGE_T),
                bgnbd_p_at_least_one(fit, t, EDGE_X, EDGE_TX, EDGE_T),
                bgnbd_expected_population(fit, t),
                bgnbd_log_likelihood(fit.r, fit.alpha, fit.a, fit.b, EDGE_X, EDGE_TX, EDGE_T),
            )
            for value in values:
                assert np.all(np.isfinite(value))


@pytest.mark.parametrize(
    ("frequency", "recency", "T"),
    [
        pytest.param([0] * 50, [0] * 50, np.linspace(1, 300, 50), id="nobody-came-back"),
        pytest.param([0] * 10, [0] * 10, [0] * 10, id="everybody-new-today"),
        pytest.param([3, 5, 1], [90, 120, 30], [90, 120, 30], id="all-seen-today"),
        pytest.param([10_000, 2, 0], [3650, 300, 0], [3650, 400, 100], id="a-huge-frequency"),
        pytest.param([4], [60], [100], id="a-single-customer"),
    ],
)
def test_fitting_degenerate_data_gives_a_finite_result(
    frequency: list[float], recency: list[float], T: list[float]
) -> None:
    fit = fit_bgnbd(frequency, recency, T)
    assert_all_finite(fit)
    assert_all_finite(bgnbd_expected_visits(fit, 30.0, frequency, recency, T).tolist())


def test_a_business_with_twenty_customers_gets_a_finite_fit_and_predictions() -> None:
    h = simulate_bgnbd(20, **TRUE, seed=5)
    fit = fit_bgnbd(h.frequency, h.recency, h.T)
    assert_all_finite(fit)
    for values in (
        bgnbd_p_alive(fit, h.frequency, h.recency, h.T),
        bgnbd_expected_visits(fit, 90.0, h.frequency, h.recency, h.T),
        bgnbd_p_at_least_one(fit, 90.0, h.frequency, h.recency, h.T),
    ):
        assert np.all(np.isfinite(values))


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1], [50], [40], "recency must not exceed T"),
        ([-1], [0], [40], "frequency must be >= 0"),
        ([1], [float("nan")], [40], "finite"),
        ([1, 2], [5], [40, 50, 60], "same length"),
        ([], [], [], "no customers"),
    ],
)
def test_it_rejects_invalid_histories_with_a_clear_message(
    frequency: list[float], recency: list[float], T: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(frequency, recency, T)


def test_it_rejects_bad_weights_and_penalizers() -> None:
    with pytest.raises(ValueError, match="weights"):
        fit_bgnbd([1, 2], [5, 6], [10, 10], weights=[1, -1])
    with pytest.raises(ValueError, match="penalizer"):
        fit_bgnbd([1, 2], [5, 6], [10, 10], penalizer=-1)


def test_grouping_gives_the_same_groups_for_whole_numbers_and_fractions() -> None:
    h = simulate_bgnbd(2_000, **TRUE, seed=8, whole_days=True)
    whole = group_rows((h.frequency, h.recency, h.T), np.ones(2_000))
    shifted = group_rows((h.frequency, h.recency + 0.5, h.T + 0.5), np.ones(2_000))
    assert len(whole.weights) < 2_000
    np.testing.assert_array_equal(whole.weights, shifted.weights)
    np.testing.assert_array_equal(whole.columns[1] + 0.5, shifted.columns[1])
    assert whole.weights.sum() == 2_000


@pytest.mark.parametrize(
    ("r", "alpha", "a", "b", "x", "T", "t"),
    [
        # Where scipy's ₂F₁ alone is off by 20-70 % (small a with large r or b).
        (0.05, 0.5, 0.1, 0.2, 100, 30.0, 365.0),
        (0.05, 0.5, 0.1, 50.0, 10_000, 30.0, 365.0),
        (0.05, 0.5, 0.1, 10_000.0, 0, 0.0, 365.0),
        (2.0, 400.0, 0.5, 10_000.0, 10_000, 3000.0, 30.0),
        # a + b < 1: the ₂F₁'s c = a + b − 1 is negative.
        (0.3, 30.0, 0.3, 0.5, 0, 0.0, 30.0),
        (0.3, 30.0, 0.05, 0.1, 0, 0.0, 3.0),
        (0.3, 30.0, 0.05, 0.1, 0, 100.0, 3000.0),
        # a at and next to 1, where the closed form is 0/0.
        (0.3, 30.0, 1.0, 2.5, 4, 200.0, 365.0),
        (0.3, 30.0, 1.0 + 1e-9, 2.5, 0, 0.0, 1.0),
        (0.05, 30.0, 0.99995, 10_000.0, 0, 3000.0, 1.0),
    ],
)
def test_expected_visits_stay_accurate_where_the_hypergeometric_function_struggles(
    r: float, alpha: float, a: float, b: float, x: int, T: float, t: float
) -> None:
    # Independent check: QUADPACK over u = logit(p) on the whole real line.
    rr, rate, bb = r + x, alpha + T, b + x
    log_beta = math.lgamma(a) + math.lgamma(bb) - math.lgamma(a + bb)

    def integrand(u: float) -> float:
        log_p = -np.logaddexp(0.0, -u)
        log_q = -np.logaddexp(0.0, u)
        p = math.exp(log_p)
        if p == 0.0:
            return 0.0
        visits = -math.expm1(-rr * math.log1p(p * t / rate)) / p
        return visits * math.exp(a * log_p + bb * log_q - log_beta)

    mode = math.log(a / bb)
    pieces = [(-math.inf, mode - 5), (mode - 5, mode + 5), (mode + 5, math.inf)]
    expected = sum(
        integrate.quad(integrand, lo, hi, limit=400, epsrel=1e-11)[0] for lo, hi in pieces
    )
    alive = bgnbd_p_alive(model(r, alpha, a, b), x, x and T, T)[0]
    ours = bgnbd_expected_visits(model(r, alpha, a, b), t, x, x and T, T)[0]
    assert ours == pytest.approx(alive * expected, rel=1e-7)


def test_predictions_shared_per_distinct_history_equal_those_computed_row_by_row() -> None:
    h = simulate_bgnbd(3_000, **TRUE, seed=12, whole_days=True)
    shared = bgnbd_expected_visits(MODEL, 30.0, h.frequency, h.recency, h.T)
    row_by_row = bgnbd_expected_visits(MODEL, np.full(3_000, 30.0), h.frequency, h.recency, h.T)
    np.testing.assert_allclose(shared, row_by_row, rtol=1e-13)


def test_expected_visits_stay_finite_when_the_dropout_beta_piles_up_at_zero() -> None:
    # A fit with a tiny a and a huge b (no dropout, seen on short histories): the
    # quadrature's p underflows to 0 far in the left tail; the limit there is no
    # dropout at all, E = (r + x)/(α + T) · t.
    fit = model(r=4.797, alpha=46.106, a=1.307e-5, b=2.528e7)
    x = np.array([0.0, 3.0, 13.0, 25.0])
    age = np.array([43.0, 120.0, 250.0, 300.0])
    tx = age * 0.8
    got = bgnbd_expected_visits(fit, 90.0, x, tx, age)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, (fit.r + x) / (fit.alpha + age) * 90.0, rtol=1e-6)
    both = model(r=1.35625, alpha=205.768, a=0.0096807, b=1.5932877e7)
    again = bgnbd_expected_visits(both, 180.0, np.array([0.0]), np.array([0.0]), np.array([43.0]))
    np.testing.assert_allclose(again, (both.r / (both.alpha + 43.0)) * 180.0, rtol=1e-4)
