from __future__ import annotations

import math

import numpy as np
import pytest

from regulars.analytics.clv import (
    BGNBDFit,
    GammaGammaFit,
    bgnbd_expected_visits,
    customer_lifetime_value,
    fit_gammagamma,
    gammagamma_expected_spend,
    gammagamma_log_likelihood,
)
from regulars.analytics.clv.gammagamma import _Data, _objective
from tests.analytics import assert_all_finite
from tests.analytics.clv import simulate_gammagamma

P, Q, V = 6.0, 4.0, 15.0
VISITS = BGNBDFit(0.5, 20.0, 0.8, 2.5, 0.0, None, 0.0, 0, True, 0, 0.0)


@pytest.fixture(scope="module")
def spenders() -> tuple[np.ndarray, np.ndarray]:
    return simulate_gammagamma(20_000, p=P, q=Q, v=V)


@pytest.fixture(scope="module")
def fitted(spenders: tuple[np.ndarray, np.ndarray]) -> GammaGammaFit:
    return fit_gammagamma(*spenders)


def paper_log_likelihood(p: float, q: float, v: float, x: int, m: float) -> float:
    """Density of the mean spend m over x visits (Fader, Hardie & Lee 2005, RFM and CLV):
    Γ(px+q) / (Γ(px) Γ(q)) · v^q m^(px−1) x^(px) / (v + m x)^(px+q)."""
    return (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(v + m * x)
    )


def test_it_recovers_the_parameters_of_simulated_spend_within_four_standard_errors(
    fitted: GammaGammaFit,
) -> None:
    assert fitted.converged
    assert fitted.se is not None
    for name, true in (("p", P), ("q", Q), ("v", V)):
        estimate, se = getattr(fitted, name), getattr(fitted.se, name)
        assert 0 < se < 0.2 * true
        assert abs(estimate - true) < 4 * se, (name, estimate, true, se)
    assert fitted.population_mean_spend == pytest.approx(fitted.p * fitted.v / (fitted.q - 1))


def test_its_log_likelihood_is_the_sum_of_the_per_customer_values(
    fitted: GammaGammaFit, spenders: tuple[np.ndarray, np.ndarray]
) -> None:
    per_customer = gammagamma_log_likelihood(fitted.p, fitted.q, fitted.v, *spenders)
    assert fitted.loglik == pytest.approx(float(per_customer.sum()), rel=1e-12)


@pytest.mark.parametrize(("x", "m"), [(1, 12.5), (2, 0.3), (7, 40.0), (10_000, 25.0)])
def test_its_log_likelihood_matches_the_published_density(x: int, m: float) -> None:
    ours = gammagamma_log_likelihood(6.25, 3.74, 15.44, [x], [m])[0]
    # At x = 10,000 terms of size ~1e6 cancel, so rounding alone differs by ~1e-10.
    expected = paper_log_likelihood(6.25, 3.74, 15.44, x, m)
    assert ours == pytest.approx(expected, rel=1e-12, abs=1e-8)


def test_its_analytic_gradient_matches_finite_differences() -> None:
    x, m = simulate_gammagamma(500, p=P, q=Q, v=V, seed=2)
    freqs, inverse = np.unique(x, return_inverse=True)
    data = _Data(
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
    for penalizer in (0.0, 0.01):
        objective = _objective(data, penalizer)
        point = np.log(np.array([3.0, 2.5, 9.0]))
        _, gradient = objective(point)
        step = 1e-6
        for i in range(3):
            up, down = point.copy(), point.copy()
            up[i] += step
            down[i] -= step
            numeric = (objective(up)[0] - objective(down)[0]) / (2 * step)
            assert gradient[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_it_fits_only_customers_with_repeat_visits_and_positive_spend(
    spenders: tuple[np.ndarray, np.ndarray], fitted: GammaGammaFit
) -> None:
    x, m = spenders
    noisy = fit_gammagamma(
        np.concatenate([x, [0, 0, 3, 2]]), np.concatenate([m, [10.0, 0.0, 0.0, -5.0]])
    )
    assert noisy.n_customers == fitted.n_customers == len(x)
    assert noisy.p == pytest.approx(fitted.p, rel=1e-6)


def test_it_fits_the_same_model_from_duplicated_rows_and_from_weights() -> None:
    x, m = simulate_gammagamma(400, p=P, q=Q, v=V, seed=4)
    m = np.round(m)  # whole currency units make repeats
    m[m == 0] = 1.0
    rows = np.column_stack([x, m])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(distinct) < len(rows)
    every = fit_gammagamma(x, m)
    weighted = fit_gammagamma(distinct[:, 0], distinct[:, 1], weights=counts)
    for name in ("p", "q", "v", "loglik"):
        assert getattr(every, name) == pytest.approx(getattr(weighted, name), rel=1e-6)


def test_a_penalizer_shrinks_the_parameters(
    spenders: tuple[np.ndarray, np.ndarray], fitted: GammaGammaFit
) -> None:
    shrunk = fit_gammagamma(*spenders, penalizer=0.01)
    before = np.array([fitted.p, fitted.q, fitted.v])
    after = np.array([shrunk.p, shrunk.q, shrunk.v])
    assert after @ after < before @ before


def test_expected_spend_shrinks_towards_the_population_mean_for_few_visits(
    fitted: GammaGammaFit,
) -> None:
    mean = fitted.population_mean_spend
    for observed in (0.2 * mean, 3.0 * mean):
        spend = gammagamma_expected_spend(fitted, [1, 2, 5, 20, 500], observed)
        distance = np.abs(spend - mean)
        assert np.all(np.diff(distance) > 0)
        assert np.all(distance < abs(observed - mean))
        assert spend[-1] == pytest.approx(observed, rel=0.01)


def test_customers_without_spend_information_get_the_population_mean(
    fitted: GammaGammaFit,
) -> None:
    spend = gammagamma_expected_spend(fitted, [0, 3, 2], [0.0, 0.0, -4.0])
    assert np.all(spend == fitted.population_mean_spend)


def test_it_rejects_data_without_any_repeat_spend() -> None:
    with pytest.raises(ValueError, match="repeat visit and positive spend"):
        fit_gammagamma([0, 0, 2], [10.0, 5.0, 0.0])


@pytest.mark.parametrize(
    ("frequency", "spend"),
    [
        pytest.param([3], [20.0], id="a-single-customer"),
        pytest.param([2, 2, 2], [10.0, 10.0, 10.0], id="identical-customers"),
        pytest.param([10_000, 1, 4], [25.0, 0.01, 1e6], id="extremes"),
    ],
)
def test_fitting_degenerate_spend_gives_a_finite_result(
    frequency: list[float], spend: list[float]
) -> None:
    fit = fit_gammagamma(frequency, spend)
    assert_all_finite(fit)
    assert np.all(np.isfinite(gammagamma_expected_spend(fit, frequency, spend)))


def test_a_business_with_twenty_customers_gets_finite_values() -> None:
    x, m = simulate_gammagamma(20, p=P, q=Q, v=V, seed=9)
    fit = fit_gammagamma(x, m)
    assert_all_finite(fit)
    value = customer_lifetime_value(VISITS, fit, x, x * 10.0, x * 10.0 + 5.0, m)
    assert np.all(np.isfinite(value))
    assert np.all(value >= 0)


# --- customer lifetime value ------------------------------------------------------------------

X = np.array([0.0, 1.0, 5.0, 40.0, 10_000.0, 3.0])
TX = np.array([0.0, 30.0, 200.0, 360.0, 1.0, 10.0])
T = np.array([0.0, 60.0, 210.0, 365.0, 3650.0, 700.0])
SPEND = np.array([0.0, 12.0, 30.0, 18.0, 25.0, 50.0])


def test_undiscounted_value_is_expected_visits_times_expected_spend(fitted: GammaGammaFit) -> None:
    value = customer_lifetime_value(
        VISITS, fitted, X, TX, T, SPEND, horizon_days=365, annual_discount_rate=0.0
    )
    visits = bgnbd_expected_visits(VISITS, 365.0, X, TX, T)
    spend = gammagamma_expected_spend(fitted, X, SPEND)
    assert value == pytest.approx(visits * spend, rel=1e-9)


def test_one_step_value_is_discounted_from_the_end_of_the_step(fitted: GammaGammaFit) -> None:
    value = customer_lifetime_value(
        VISITS, fitted, X, TX, T, SPEND, horizon_days=365, step_days=365, annual_discount_rate=0.1
    )
    visits = bgnbd_expected_visits(VISITS, 365.0, X, TX, T)
    spend = gammagamma_expected_spend(fitted, X, SPEND)
    assert value == pytest.approx(visits * spend / 1.1, rel=1e-9)


def test_value_grows_with_the_horizon_and_falls_with_the_discount_rate(
    fitted: GammaGammaFit,
) -> None:
    alive = X < 10_000  # 10,000 visits on day one, then ten silent years: gone, worth 0
    short = customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, horizon_days=90)
    year = customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND)
    cheap_money = customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, annual_discount_rate=0.0)
    assert np.all(year[alive] > short[alive])
    assert np.all(cheap_money[alive] > year[alive])
    assert np.all(year[~alive] == 0)
    assert np.all(customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, horizon_days=0) == 0)


def test_it_rejects_a_bad_horizon_step_or_rate(fitted: GammaGammaFit) -> None:
    with pytest.raises(ValueError, match="horizon_days"):
        customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, horizon_days=-1)
    with pytest.raises(ValueError, match="step_days"):
        customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, step_days=0)
    with pytest.raises(ValueError, match="annual_discount_rate"):
        customer_lifetime_value(VISITS, fitted, X, TX, T, SPEND, annual_discount_rate=-1)
