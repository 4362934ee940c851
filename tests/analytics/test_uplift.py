"""Uplift figures against published worked examples and independent computations
(scipy.stats: a different implementation of the same textbook formulas)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps  # type: ignore[import-untyped]

from regulars.analytics.stats import MeanEstimate, mean_interval
from regulars.analytics.uplift import (
    Verdict,
    compare,
    decide,
    mean_difference,
    normal_quantile,
    rate,
    rate_difference,
    sample_size,
    spend,
)
from tests.analytics import assert_all_finite

# --- one rate ------------------------------------------------------------------------------


def test_the_return_rate_matches_newcombes_wilson_interval_for_81_of_263() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
    # table I, method 3 (score): 81/263 -> 0.2553 to 0.3662.
    result = rate(81, 263)
    assert result.rate == pytest.approx(81 / 263)
    assert result.ci is not None
    assert result.ci.low == pytest.approx(0.2553, abs=5e-5)
    assert result.ci.high == pytest.approx(0.3662, abs=5e-5)
    assert result.small_sample is False


@pytest.mark.parametrize(("k", "n"), [(81, 263), (0, 12), (12, 12), (1, 3), (499, 1000)])
def test_the_wilson_interval_agrees_with_scipys(k: int, n: int) -> None:
    reference = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    result = rate(k, n)
    assert result.ci is not None
    assert result.ci.low == pytest.approx(reference.low, abs=1e-12)
    assert result.ci.high == pytest.approx(reference.high, abs=1e-12)


def test_a_group_without_customers_has_no_rate() -> None:
    result = rate(0, 0)
    assert (result.rate, result.ci, result.small_sample) == (None, None, True)


def test_nobody_and_everybody_coming_back_keep_the_interval_inside_zero_and_one() -> None:
    nobody, everybody = rate(0, 10), rate(10, 10)
    assert nobody.ci is not None
    assert everybody.ci is not None
    # Newcombe (1998), table I: 0/10 -> 0 to 0.2775.
    assert (nobody.ci.low, nobody.ci.high) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert (everybody.ci.low, everybody.ci.high) == pytest.approx((0.7225, 1.0), abs=5e-5)


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="successes"):
        rate(5, 4)


# --- difference of rates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "difference", "low", "high"),
    [
        # Newcombe (1998), "Interval estimation for the difference between independent
        # proportions", table II, method 10, examples (a) and (b).
        ((56, 70, 48, 80), 0.2, 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.6, 0.1705, 0.8090),
    ],
)
def test_the_difference_matches_newcombes_published_examples(
    counts: tuple[int, int, int, int], difference: float, low: float, high: float
) -> None:
    k1, n1, k0, n0 = counts
    result = rate_difference(rate(k1, n1), rate(k0, n0))
    assert result.difference == pytest.approx(difference)
    assert result.ci is not None
    assert result.ci.low == pytest.approx(low, abs=5e-5)
    assert result.ci.high == pytest.approx(high, abs=5e-5)


def test_the_difference_of_two_empty_returns_is_bounded_by_their_wilson_limits() -> None:
    # By hand: the Wilson upper limit of 0/n is z²/(n + z²): 0.2775 for 10, 0.1611 for 20.
    # low = 0 − 0.1611, high = 0 + 0.2775.
    z2 = normal_quantile(0.975) ** 2
    result = rate_difference(rate(0, 10), rate(0, 20))
    assert result.difference == 0.0
    assert result.ci is not None
    assert result.ci.low == pytest.approx(-z2 / (20 + z2), abs=1e-12)
    assert result.ci.high == pytest.approx(z2 / (10 + z2), abs=1e-12)
    assert result.relative is None  # nobody came back in the control
    assert result.p_value == 1.0  # nobody anywhere: the groups do not differ at all


def test_everybody_against_nobody_stops_at_one() -> None:
    # By hand: 1 − √(0.2775² + 0.2775²) = 0.6075; the upper limit would pass 1.
    result = rate_difference(rate(10, 10), rate(0, 10))
    assert result.ci is not None
    assert result.ci.low == pytest.approx(1 - math.sqrt(2) * 0.27754, abs=1e-4)
    assert result.ci.high == 1.0


def test_swapping_the_groups_mirrors_the_interval() -> None:
    forward = rate_difference(rate(9, 12), rate(20, 138))
    backward = rate_difference(rate(20, 138), rate(9, 12))
    assert forward.ci is not None
    assert backward.ci is not None
    assert forward.ci.low == pytest.approx(-backward.ci.high, abs=1e-12)
    assert forward.ci.high == pytest.approx(-backward.ci.low, abs=1e-12)
    assert forward.p_value == pytest.approx(backward.p_value)


@pytest.mark.parametrize("counts", [(56, 70, 48, 80), (30, 200, 21, 190), (5, 9, 1, 11)])
def test_the_p_value_is_pearsons_chi_square_without_correction(
    counts: tuple[int, int, int, int],
) -> None:
    k1, n1, k0, n0 = counts
    table = np.array([[k1, n1 - k1], [k0, n0 - k0]])
    reference = sps.chi2_contingency(table, correction=False).pvalue
    assert rate_difference(rate(k1, n1), rate(k0, n0)).p_value == pytest.approx(reference)


def test_the_relative_uplift_is_the_difference_over_the_control_rate() -> None:
    result = rate_difference(rate(30, 100), rate(20, 100))
    assert result.relative == pytest.approx(0.5)


@pytest.mark.parametrize(("arm", "control"), [((0, 0), (3, 10)), ((3, 10), (0, 0))])
def test_one_group_alone_gives_no_difference(
    arm: tuple[int, int], control: tuple[int, int]
) -> None:
    result = rate_difference(rate(*arm), rate(*control))
    assert (result.difference, result.ci, result.relative, result.p_value) == (
        None,
        None,
        None,
        None,
    )


# --- spend ---------------------------------------------------------------------------------


def test_spend_counts_customers_who_spent_nothing() -> None:
    values = [0.0, 0.0, 30.0, 10.0, 20.0, 25.0, 15.0, 0.0]
    result = spend(values)
    assert result.n == 8
    assert result.mean == pytest.approx(12.5)
    reference = sps.t.interval(0.95, 7, loc=12.5, scale=sps.sem(values))
    assert reference[0] > 0
    assert result.ci is not None
    assert (result.ci.low, result.ci.high) == pytest.approx(reference)


def test_the_spend_interval_of_a_few_customers_stops_at_zero() -> None:
    result = spend([0.0, 0.0, 0.0, 40.0])
    reference = sps.t.interval(0.95, 3, loc=10.0, scale=sps.sem([0.0, 0.0, 0.0, 40.0]))
    assert reference[0] < 0
    assert result.ci is not None
    assert (result.ci.low, result.ci.high) == pytest.approx((0.0, reference[1]))
    # Refunds (negative amounts) keep the interval as it is.
    refunded = spend([0.0, -5.0, 0.0, 40.0])
    assert refunded.ci is not None
    assert refunded.ci.low < 0


def test_the_spend_difference_is_welchs_as_scipy_computes_it() -> None:
    rng = np.random.default_rng(7)
    arm = np.where(rng.random(400) < 0.4, rng.gamma(2.0, 15.0, 400), 0.0)
    control = np.where(rng.random(150) < 0.3, rng.gamma(2.0, 12.0, 150), 0.0)
    result = mean_difference(spend(arm), spend(control))
    reference = sps.ttest_ind(arm, control, equal_var=False)
    ci = reference.confidence_interval(confidence_level=0.95)
    assert result.difference == pytest.approx(arm.mean() - control.mean())
    assert result.ci is not None
    assert result.ci.low == pytest.approx(ci.low)
    assert result.ci.high == pytest.approx(ci.high)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.df == pytest.approx(reference.df)


def test_a_spend_difference_needs_two_customers_a_side() -> None:
    result = mean_difference(spend([12.0]), spend([0.0, 5.0, 9.0]))
    assert result.difference == pytest.approx(12.0 - 14.0 / 3)
    assert (result.ci, result.p_value, result.df) == (None, None, None)


def test_nobody_spending_anything_gives_a_difference_but_no_interval() -> None:
    result = mean_difference(spend(np.zeros(50)), spend(np.zeros(20)))
    assert result.difference == 0.0
    assert result.ci is None


def test_an_empty_group_gives_no_spend_difference() -> None:
    empty = MeanEstimate(n=0, mean=None, sd=None, ci=None, small_sample=True)
    result = mean_difference(mean_interval([1.0, 2.0]), empty)
    assert result.difference is None


# --- sample size ---------------------------------------------------------------------------


def _power(p1: float, p0: float, n1: float, n0: float) -> float:
    """The normal-approximation power of the pooled two-sided z-test (scipy's normal)."""
    pooled = (n1 * p1 + n0 * p0) / (n1 + n0)
    null_se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    alt_se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    return float(sps.norm.cdf((abs(p1 - p0) - sps.norm.ppf(0.975) * null_se) / alt_se))


def test_ten_against_twelve_percent_needs_3841_customers_a_group() -> None:
    # (1.95996·√(2·0.11·0.89) + 0.84162·√(0.09 + 0.1056))² / 0.02² = 3840.8
    assert sample_size(0.10, 0.12) == (sample_size(0.12, 0.10))
    size = sample_size(0.10, 0.12)
    assert size is not None
    assert (size.arm, size.control) == (3841, 3841)


@pytest.mark.parametrize(
    ("p0", "p1", "ratio"),
    [(0.30, 0.35, 1.0), (0.30, 0.35, 1 / 9), (0.5, 0.2, 0.25), (0.0, 0.05, 1.0)],
)
def test_the_sample_size_is_the_least_that_reaches_80_percent_power(
    p0: float, p1: float, ratio: float
) -> None:
    size = sample_size(p0, p1, ratio=ratio)
    assert size is not None
    assert size.control <= math.ceil(size.arm * ratio)
    # Both groups rounded up reach 80 % power; one customer fewer in the arm (and the
    # control in proportion) falls short.
    assert _power(p1, p0, size.arm, size.control) >= 0.8
    assert _power(p1, p0, size.arm - 1, (size.arm - 1) * ratio) < 0.8


def test_no_size_detects_no_difference() -> None:
    assert sample_size(0.3, 0.3) is None


@pytest.mark.parametrize(
    ("p0", "p1", "ratio"), [(-0.1, 0.2, 1.0), (0.2, 1.1, 1.0), (0.2, 0.3, 0.0)]
)
def test_impossible_sizing_questions_are_refused(p0: float, p1: float, ratio: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        sample_size(p0, p1, ratio=ratio)


# --- verdict -------------------------------------------------------------------------------


def test_a_clear_gain_says_the_arm_is_better() -> None:
    decision = decide(rate(56, 70), rate(48, 80))
    assert decision.verdict == Verdict.ARM_BETTER
    assert decision.for_observed == sample_size(0.6, 0.8, ratio=80 / 70)


def test_a_clear_loss_says_the_arm_is_worse() -> None:
    assert decide(rate(48, 80), rate(56, 70)).verdict == Verdict.ARM_WORSE


def test_large_equal_groups_show_no_detectable_difference() -> None:
    decision = decide(rate(3010, 10_000), rate(3000, 10_000), mde=0.05)
    assert decision.verdict == Verdict.NO_DIFFERENCE
    assert (decision.more_arm, decision.more_control) == (0, 0)


def test_small_groups_need_more_customers() -> None:
    decision = decide(rate(12, 40), rate(10, 40), mde=0.05)
    needed = sample_size(0.25, 0.30)
    assert decision.verdict == Verdict.NOT_ENOUGH_DATA
    assert decision.for_mde == needed
    assert needed is not None
    assert (decision.more_arm, decision.more_control) == (needed.arm - 40, needed.control - 40)


def test_the_minimum_effect_is_sized_downwards_near_a_full_return() -> None:
    decision = decide(rate(195, 200), rate(197, 200), mde=0.05)
    assert decision.for_mde == sample_size(0.985, 0.935)


def test_an_arm_without_a_control_is_not_enough_data() -> None:
    decision = decide(rate(30, 100), rate(0, 0))
    assert decision.verdict == Verdict.NOT_ENOUGH_DATA
    assert (decision.for_mde, decision.for_observed, decision.more_arm) == (None, None, None)


def test_a_control_without_an_arm_says_how_many_the_arm_needs() -> None:
    decision = decide(rate(0, 0), rate(30, 100))
    assert decision.verdict == Verdict.NOT_ENOUGH_DATA
    assert decision.for_mde == sample_size(0.3, 0.35)
    assert decision.for_mde is not None
    assert decision.more_arm == decision.for_mde.arm


def test_compare_puts_rates_spend_and_verdict_together() -> None:
    arm_spend = spend([0.0, 10.0, 20.0, 0.0, 5.0])
    control_spend = spend([0.0, 0.0, 8.0, 0.0])
    result = compare(rate(56, 70), rate(48, 80), arm_spend=arm_spend, control_spend=control_spend)
    assert result.rate == rate_difference(rate(56, 70), rate(48, 80))
    assert result.spend == mean_difference(arm_spend, control_spend)
    assert result.decision.verdict == Verdict.ARM_BETTER
    assert_all_finite(result)
    assert compare(rate(1, 2), rate(1, 2)).spend is None


def test_a_bad_minimum_effect_is_refused() -> None:
    with pytest.raises(ValueError, match="mde"):
        decide(rate(1, 2), rate(1, 2), mde=0.0)
