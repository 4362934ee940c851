from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import pytest
from scipy import integrate  # type: ignore[import-untyped]

from regulars.analytics.clv import (
    ParetoNBDFit,
    fit_paretonbd,
    paretonbd_expected_population,
    paretonbd_expected_visits,
    paretonbd_log_likelihood,
    paretonbd_p_alive,
    paretonbd_p_at_least_one,
)
from regulars.analytics.clv.paretonbd import _customers, _objective, _prepare
from tests.analytics import assert_all_finite
from tests.analytics.clv import simulate_paretonbd


class Parameters(TypedDict):
    r: float
    alpha: float
    s: float
    beta: float


TRUE = Parameters(r=0.5, alpha=20.0, s=0.6, beta=80.0)


def model(r: float, alpha: float, s: float, beta: float) -> ParetoNBDFit:
    """A fit object holding given parameters, to test predictions on their own."""
    return ParetoNBDFit(r, alpha, s, beta, 0.0, None, 0.0, 0, True, 0, 0.0)


MODEL = model(**TRUE)

# Parameter sets that exercise both branches (α ≥ β, α < β), α = β, and the far regime
# where one rate is thousands of times the other (the hypergeometric argument near 1).
PARAMETER_SETS = [
    (0.5, 20.0, 0.6, 80.0),
    (0.243, 4.414, 0.793, 2.426),
    (1.0, 30.0, 0.5, 30.0),
    (2.0, 1000.0, 0.3, 0.5),
    (0.8, 0.05, 1.5, 3000.0),
]

# Edge rows: no repeats, T = 0, recency = T, a huge frequency, a long-gone regular.
EDGE_X = np.array([0.0, 0.0, 3.0, 10_000.0, 10_000.0, 50.0, 1.0])
EDGE_TX = np.array([0.0, 0.0, 200.0, 3650.0, 1.0, 20.0, 0.0])
EDGE_T = np.array([0.0, 365.0, 200.0, 3650.0, 3650.0, 3000.0, 0.0])


@pytest.fixture(scope="module")
def customers() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = simulate_paretonbd(20_000, **TRUE, whole_days=True)
    return h.frequency, h.recency, h.T


@pytest.fixture(scope="module")
def fitted(customers: tuple[np.ndarray, np.ndarray, np.ndarray]) -> ParetoNBDFit:
    return fit_paretonbd(*customers)


# --- independent references, from the model's story --------------------------------------


def log_departure_integral(
    r: float, alpha: float, s: float, beta: float, x: float, start: float, end: float
) -> float:
    """ln ∫_start^end (α+τ)^−(r+x) (β+τ)^−(s+1) dτ by QUADPACK (the integrand is scaled by
    its value at ``start`` so that it stays in range); −∞ for an empty interval."""
    if end <= start:
        return -math.inf
    scale = -(r + x) * math.log(alpha + start) - (s + 1) * math.log(beta + start)

    def integrand(tau: float) -> float:
        log = -(r + x) * math.log(alpha + tau) - (s + 1) * math.log(beta + tau)
        return math.exp(log - scale)

    width = 1.0 / ((r + x) / (alpha + start) + (s + 1) / (beta + start))
    points = [start + width * k for k in (1, 5, 25, 125) if start + width * k < end]
    value = integrate.quad(integrand, start, end, points=points or None, limit=400)[0]
    return scale + math.log(value)


def story_likelihood_terms(
    r: float, alpha: float, s: float, beta: float, x: float, tx: float, T: float
) -> tuple[float, float, float]:
    """ln of (the common factor, the alive term, the departed term) of the likelihood,
    derived from the story rather than the hypergeometric function: given λ and μ, the
    data have density ``λ^x e^−λ t_x`` times either survival to T with no further visit,
    ``e^−λ(T−t_x) e^−μT``, or departure at some τ in (t_x, T) with no visit since t_x,
    ``∫ μ e^−μτ e^−λ(τ−t_x) dτ``; then λ and μ are integrated against their Gammas:
    ``E[λ^x e^−λτ] ∝ (α+τ)^−(r+x)``, ``E[μ e^−μτ] = s β^s (β+τ)^−(s+1)``."""
    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    alive = -(r + x) * math.log(alpha + T) - s * math.log(beta + T)
    departed = math.log(s) + log_departure_integral(r, alpha, s, beta, x, tx, T)
    return head, alive, departed


def story_log_likelihood(
    r: float, alpha: float, s: float, beta: float, x: float, tx: float, T: float
) -> float:
    head, alive, departed = story_likelihood_terms(r, alpha, s, beta, x, tx, T)
    return head + float(np.logaddexp(alive, departed))


def posterior_draws(
    fit: ParetoNBDFit, x: float, T: float, n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """λ ~ Gamma(r+x, α+T) and μ ~ Gamma(s, β+T): the rates of a customer alive at T."""
    rng = np.random.default_rng(seed)
    return (
        rng.gamma(fit.r + x, 1.0 / (fit.alpha + T), n),
        rng.gamma(fit.s, 1.0 / (fit.beta + T), n),
    )


# --- fitting --------------------------------------------------------------------------------


def test_it_recovers_the_parameters_of_simulated_customers_within_four_standard_errors(
    fitted: ParetoNBDFit,
) -> None:
    assert fitted.converged
    assert fitted.se is not None
    for name in ("r", "alpha", "s", "beta"):
        true = float(TRUE[name])
        estimate = getattr(fitted, name)
        se = getattr(fitted.se, name)
        assert 0 < se < 0.2 * true
        assert abs(estimate - true) < 4 * se, (name, estimate, true, se)
    assert fitted.n_customers == 20_000
    assert fitted.n_distinct < 20_000


def test_its_log_likelihood_is_the_sum_of_the_per_customer_values_at_the_optimum(
    fitted: ParetoNBDFit, customers: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    per_customer = paretonbd_log_likelihood(
        fitted.r, fitted.alpha, fitted.s, fitted.beta, *customers
    )
    assert fitted.loglik == pytest.approx(float(per_customer.sum()), rel=1e-12)


@pytest.mark.parametrize("params", PARAMETER_SETS)
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
def test_its_log_likelihood_matches_numerical_integration_of_the_model(
    params: tuple[float, float, float, float], x: int, tx: float, T: float
) -> None:
    ours = paretonbd_log_likelihood(*params, [x], [tx], [T])[0]
    assert ours == pytest.approx(story_log_likelihood(*params, x, tx, T), rel=1e-10, abs=1e-10)


def test_its_log_likelihood_matches_a_double_integral_over_both_rates() -> None:
    # The individual likelihood λ^x e^−(λ+μ)T + λ^x μ/(λ+μ)·(e^−(λ+μ)t_x − e^−(λ+μ)T)
    # (Fader & Hardie's eq. 3) mixed over Gamma(r, α) × Gamma(s, β) by 2-D quadrature.
    r, alpha, s, beta = 1.3, 20.0, 1.6, 40.0
    for x, tx, T in [(0, 0.0, 30.0), (3, 20.0, 60.0)]:

        def integrand(mu: float, lam: float, x: int = x, tx: float = tx, T: float = T) -> float:
            total = lam + mu
            individual = lam**x * (
                math.exp(-total * T) + mu / total * (math.exp(-total * tx) - math.exp(-total * T))
            )
            density = math.exp(
                r * math.log(alpha) + (r - 1) * math.log(lam) - alpha * lam - math.lgamma(r)
            ) * math.exp(s * math.log(beta) + (s - 1) * math.log(mu) - beta * mu - math.lgamma(s))
            return individual * density

        value = integrate.dblquad(integrand, 0, 2.0, 0, 1.5, epsabs=1e-14, epsrel=1e-9)[0]
        ours = paretonbd_log_likelihood(r, alpha, s, beta, [x], [tx], [T])[0]
        assert ours == pytest.approx(math.log(value), abs=1e-6)


def test_its_analytic_gradient_matches_finite_differences() -> None:
    h = simulate_paretonbd(400, **TRUE, seed=11)
    x = np.concatenate([h.frequency, EDGE_X])
    tx = np.concatenate([h.recency, EDGE_TX])
    T = np.concatenate([h.T, EDGE_T])
    x, tx, T = _customers(x, tx, T)
    data = _prepare(x, tx, T, np.ones(len(x)))
    # Both branches (α > β, α < β), the far regime (α/β = 10⁴, quadrature), and the
    # penalty where it does not dwarf the likelihood (a huge value makes differences of
    # it lose the digits the comparison needs).
    cases = [
        ([0.7, 15.0, 1.3, 60.0], 0.0),
        ([0.7, 15.0, 1.3, 60.0], 0.01),
        ([0.7, 150.0, 1.3, 6.0], 0.0),
        ([0.3, 2000.0, 0.4, 0.2], 0.0),
    ]
    for point, penalizer in cases:
        objective = _objective(data, penalizer)
        log_point = np.log(np.array(point))
        _, gradient = objective(log_point)
        step = 1e-5
        for i in range(4):
            up, down = log_point.copy(), log_point.copy()
            up[i] += step
            down[i] -= step
            numeric = (objective(up)[0] - objective(down)[0]) / (2 * step)
            assert gradient[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8), (point, i)


def test_it_fits_the_same_model_from_duplicated_rows_and_from_weights() -> None:
    h = simulate_paretonbd(2_000, **TRUE, seed=3, whole_days=True)
    rows = np.column_stack([h.frequency, h.recency, h.T])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(distinct) < len(rows)
    every = fit_paretonbd(h.frequency, h.recency, h.T)
    weighted = fit_paretonbd(distinct[:, 0], distinct[:, 1], distinct[:, 2], weights=counts)
    assert every.n_distinct == weighted.n_distinct == len(distinct)
    assert every.n_customers == weighted.n_customers == 2_000
    for name in ("r", "alpha", "s", "beta", "loglik"):
        assert getattr(every, name) == pytest.approx(getattr(weighted, name), rel=1e-6)


def test_a_penalizer_shrinks_the_parameters(
    customers: tuple[np.ndarray, np.ndarray, np.ndarray], fitted: ParetoNBDFit
) -> None:
    # β ≈ 80 days: 1e-4 · β² is already comparable to the mean log-likelihood's spread.
    shrunk = fit_paretonbd(*customers, penalizer=1e-4)
    size = np.array([fitted.r, fitted.alpha, fitted.s, fitted.beta])
    shrunk_size = np.array([shrunk.r, shrunk.alpha, shrunk.s, shrunk.beta])
    assert shrunk.penalizer == 1e-4
    assert shrunk_size @ shrunk_size < size @ size
    assert shrunk.beta < fitted.beta
    assert shrunk.loglik < fitted.loglik


# --- predictions ----------------------------------------------------------------------------


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_p_alive_matches_numerical_integration_over_the_departure_time(
    params: tuple[float, float, float, float],
) -> None:
    fit = model(*params)
    for x, tx, T in [(0, 0.0, 30.0), (2, 50.0, 80.0), (40, 300.0, 320.0), (3, 10.0, 500.0)]:
        _, alive, departed = story_likelihood_terms(*params, x, tx, T)
        expected = 1.0 / (1.0 + math.exp(departed - alive))
        assert paretonbd_p_alive(fit, x, tx, T)[0] == pytest.approx(expected, rel=1e-9)


def test_p_alive_is_one_when_seen_today_and_falls_the_longer_a_regular_stays_away() -> None:
    assert np.all(paretonbd_p_alive(MODEL, [0, 3, 10], [0, 50, 90], [0, 50, 90]) == 1.0)
    alive = paretonbd_p_alive(MODEL, 5, 100.0, [100.0, 150.0, 300.0, 1000.0])
    assert alive[0] == 1.0
    assert alive[1] > alive[2] > alive[3] > 0
    # Unlike BG/NBD, a customer who never came back may have left too.
    new = paretonbd_p_alive(MODEL, 0, 0, [1.0, 30.0, 365.0])
    assert 1 > new[0] > new[1] > new[2] > 0


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_expected_visits_match_numerical_integration_over_the_horizon(
    params: tuple[float, float, float, float],
) -> None:
    # E[Y(t) | alive] = ∫_0^t E[λ] P(still there at T+τ | alive at T) dτ.
    fit = model(*params)
    r, alpha, s, beta = params
    for x, tx, T, t in [(0, 0, 10.0, 30.0), (2, 50.0, 80.0, 365.0), (40, 300.0, 320.0, 90.0)]:
        rate = (r + x) / (alpha + T)
        staying = integrate.quad(lambda tau, T=T: ((beta + T) / (beta + T + tau)) ** s, 0, t)[0]
        alive = paretonbd_p_alive(fit, x, tx, T)[0]
        visits = paretonbd_expected_visits(fit, t, x, tx, T)[0]
        assert visits == pytest.approx(alive * rate * staying, rel=1e-9)


def test_expected_visits_agree_with_a_monte_carlo_over_the_posterior() -> None:
    # Given alive at T: E[visits in t] = E[λ · min(time left, t)], time left ~ Exp(μ).
    for x, tx, T, t in [(0, 0.0, 60.0, 90.0), (6, 150.0, 200.0, 30.0)]:
        lam, mu = posterior_draws(MODEL, x, T, 400_000, seed=x)
        stay = np.minimum(np.random.default_rng(1).exponential(1.0, lam.size) / mu, t)
        sample = lam * stay
        alive = paretonbd_p_alive(MODEL, x, tx, T)[0]
        ours = paretonbd_expected_visits(MODEL, t, x, tx, T)[0]
        se = sample.std() / math.sqrt(sample.size)
        assert abs(ours - alive * sample.mean()) < 4 * alive * se


def test_expected_visits_are_continuous_through_s_equal_to_one() -> None:
    at_one = paretonbd_expected_visits(model(0.5, 20.0, 1.0, 80.0), 90.0, 3, 40.0, 100.0)[0]
    near = [
        paretonbd_expected_visits(model(0.5, 20.0, 1.0 + d, 80.0), 90.0, 3, 40.0, 100.0)[0]
        for d in (-1e-7, 1e-7)
    ]
    assert near[0] > at_one > near[1]
    assert at_one == pytest.approx(near[0], rel=1e-6)


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_p_at_least_one_matches_numerical_integration_over_the_next_visit(
    params: tuple[float, float, float, float],
) -> None:
    # P(visit within t | alive) = ∫_0^t E[λ e^−λτ] E[e^−μτ] dτ (next visit at τ, still there).
    fit = model(*params)
    r, alpha, s, beta = params
    for x, tx, T, t in [(0, 0, 10.0, 30.0), (2, 50.0, 80.0, 365.0), (40, 300.0, 320.0, 9.0)]:
        a, b = alpha + T, beta + T

        def density(tau: float, a: float = a, b: float = b, x: int = x) -> float:
            return (r + x) / a * (a / (a + tau)) ** (r + x + 1) * (b / (b + tau)) ** s

        visit = integrate.quad(density, 0, t, limit=200)[0]
        alive = paretonbd_p_alive(fit, x, tx, T)[0]
        ours = paretonbd_p_at_least_one(fit, t, x, tx, T)[0]
        assert ours == pytest.approx(alive * visit, rel=1e-9)


def test_p_at_least_one_agrees_with_a_monte_carlo_of_the_next_visit_and_the_departure() -> None:
    for x, tx, T, t in [(0, 0.0, 60.0, 90.0), (6, 150.0, 200.0, 30.0)]:
        lam, mu = posterior_draws(MODEL, x, T, 400_000, seed=x + 1)
        rng = np.random.default_rng(2)
        next_visit = rng.exponential(1.0, lam.size) / lam
        departure = rng.exponential(1.0, lam.size) / mu
        share = float(np.mean(next_visit < np.minimum(departure, t)))
        se = math.sqrt(share * (1 - share) / lam.size)
        alive = paretonbd_p_alive(MODEL, x, tx, T)[0]
        ours = paretonbd_p_at_least_one(MODEL, t, x, tx, T)[0]
        assert abs(ours - alive * share) < 4 * alive * se
        # Ignoring departures within t would overstate it by far more than the noise.
        naive = alive * (1 - ((MODEL.alpha + T) / (MODEL.alpha + T + t)) ** (MODEL.r + x))
        assert naive - ours > 10 * alive * se


def test_expected_population_and_first_visit_probability_match_simulation() -> None:
    # Customers all exactly 180 days old: their mean repeat count estimates E[X(180)], and
    # the share with a repeat visit estimates P(at least one visit in 180 days | new).
    n, age = 40_000, 180.0
    repeats = simulate_paretonbd(n, **TRUE, seed=21, min_age=age, max_age=age).frequency
    mean, se = repeats.mean(), repeats.std(ddof=1) / math.sqrt(n)
    assert abs(paretonbd_expected_population(MODEL, age)[0] - mean) < 4 * se
    share = (repeats > 0).mean()
    share_se = math.sqrt(share * (1 - share) / n)
    assert abs(paretonbd_p_at_least_one(MODEL, age, 0, 0, 0)[0] - share) < 4 * share_se


def test_p_at_least_one_lies_between_zero_and_p_alive_and_below_expected_visits() -> None:
    for x, tx, T in zip(EDGE_X, EDGE_TX, EDGE_T, strict=True):
        days = np.array([0.0, 1.0, 30.0, 365.0, 1e9])
        p = paretonbd_p_at_least_one(MODEL, days, x, tx, T)
        alive = paretonbd_p_alive(MODEL, x, tx, T)[0]
        assert p[0] == 0
        assert np.all(np.diff(p) >= 0)
        assert np.all(p <= alive + 1e-15)
        assert np.all(p <= paretonbd_expected_visits(MODEL, days, x, tx, T) + 1e-15)


def test_expected_visits_start_at_zero_and_grow_with_the_horizon() -> None:
    days = np.array([0.0, 1.0, 7.0, 30.0, 90.0, 365.0, 3650.0])
    for x, tx, T in zip(EDGE_X, EDGE_TX, EDGE_T, strict=True):
        visits = paretonbd_expected_visits(MODEL, days, x, tx, T)
        assert visits[0] == 0
        if paretonbd_p_alive(MODEL, x, tx, T)[0] > 0:
            assert np.all(np.diff(visits) > 0)
        else:  # 10,000 visits in the first day, then ten silent years: surely gone
            assert np.all(visits == 0)


def test_edge_customers_never_get_nan_or_infinity() -> None:
    fits = (
        MODEL,
        model(0.01, 1e-3, 1.0, 1e5),
        model(50.0, 1e4, 1e-3, 1e-3),
        model(1e-8, 4e8, 4e8, 1e-8),
        model(3.0, 7.0, 1.0, 7.0),
    )
    for fit in fits:
        for t in (0.0, 1.0, 365.0):
            values = (
                paretonbd_p_alive(fit, EDGE_X, EDGE_TX, EDGE_T),
                paretonbd_expected_visits(fit, t, EDGE_X, EDGE_TX, EDGE_T),
                paretonbd_p_at_least_one(fit, t, EDGE_X, EDGE_TX, EDGE_T),
                paretonbd_expected_population(fit, t),
                paretonbd_log_likelihood(
                    fit.r, fit.alpha, fit.s, fit.beta, EDGE_X, EDGE_TX, EDGE_T
                ),
            )
            for value in values:
                assert np.all(np.isfinite(value)), fit


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
    fit = fit_paretonbd(frequency, recency, T)
    assert_all_finite(fit)
    for values in (
        paretonbd_p_alive(fit, frequency, recency, T),
        paretonbd_expected_visits(fit, 30.0, frequency, recency, T),
        paretonbd_p_at_least_one(fit, 30.0, frequency, recency, T),
    ):
        assert np.all(np.isfinite(values))


def test_a_business_with_twenty_customers_gets_a_finite_fit_and_predictions() -> None:
    h = simulate_paretonbd(20, **TRUE, seed=5)
    fit = fit_paretonbd(h.frequency, h.recency, h.T)
    assert_all_finite(fit)
    for values in (
        paretonbd_p_alive(fit, h.frequency, h.recency, h.T),
        paretonbd_expected_visits(fit, 90.0, h.frequency, h.recency, h.T),
        paretonbd_p_at_least_one(fit, 90.0, h.frequency, h.recency, h.T),
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
        fit_paretonbd(frequency, recency, T)


def test_it_rejects_bad_weights_penalizers_and_horizons() -> None:
    with pytest.raises(ValueError, match="weights"):
        fit_paretonbd([1, 2], [5, 6], [10, 10], weights=[1, -1])
    with pytest.raises(ValueError, match="penalizer"):
        fit_paretonbd([1, 2], [5, 6], [10, 10], penalizer=-1)
    with pytest.raises(ValueError, match="t must be >= 0"):
        paretonbd_expected_visits(MODEL, -1.0, 1, 5, 10)


def test_predictions_shared_per_distinct_history_equal_those_computed_row_by_row() -> None:
    h = simulate_paretonbd(3_000, **TRUE, seed=12, whole_days=True)
    shared = paretonbd_p_at_least_one(MODEL, 30.0, h.frequency, h.recency, h.T)
    row_by_row = paretonbd_p_at_least_one(MODEL, np.full(3_000, 30.0), h.frequency, h.recency, h.T)
    np.testing.assert_allclose(shared, row_by_row, rtol=1e-13)
    fractional = paretonbd_p_alive(MODEL, h.frequency, h.recency + 1e-9, h.T + 1e-9)
    np.testing.assert_allclose(
        fractional, paretonbd_p_alive(MODEL, h.frequency, h.recency, h.T), rtol=1e-6
    )
