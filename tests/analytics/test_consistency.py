from __future__ import annotations

import math

import numpy as np
import pytest

from regulars.analytics.consistency import consistency
from regulars.analytics.stats import welch_t_test
from tests.analytics import assert_all_finite

TABLE = {"A": [1.0, 2.0, 3.0], "B": [4.0, 5.0, 6.0, 7.0], "C": [2.0, 3.0]}


def _flatten(table: dict[str, list[float]]) -> tuple[np.ndarray, np.ndarray]:
    scores = [v for values in table.values() for v in values]
    labels = [g for g, values in table.items() for _ in values]
    return np.array(scores), np.array(labels)


def test_it_matches_a_one_way_anova_computed_by_hand() -> None:
    all_values = [v for values in TABLE.values() for v in values]
    big_n, k = len(all_values), len(TABLE)
    grand = sum(all_values) / big_n
    ssb = sum(len(v) * (sum(v) / len(v) - grand) ** 2 for v in TABLE.values())
    ssw = sum(sum((x - sum(v) / len(v)) ** 2 for x in v) for v in TABLE.values())
    msb, msw = ssb / (k - 1), ssw / (big_n - k)
    n0 = (big_n - sum(len(v) ** 2 for v in TABLE.values()) / big_n) / (k - 1)
    f = msb / msw
    # F with 2 numerator degrees of freedom: P(F > f) = (1 + 2f/d2)^(-d2/2)
    p = (1 + 2 * f / (big_n - k)) ** (-(big_n - k) / 2)

    result = consistency(*_flatten(TABLE))

    assert (result.n, result.n_groups) == (9, 3)
    assert result.grand_mean == pytest.approx(grand)
    assert result.n0 == pytest.approx(n0)
    assert result.icc1 == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw))
    assert result.f_statistic == pytest.approx(f)
    assert result.p_value == pytest.approx(p)
    assert result.eta_squared == pytest.approx(ssb / (ssb + ssw))
    sigma_b = (msb - msw) / n0
    assert result.variance_between_share == pytest.approx(sigma_b / (sigma_b + msw))
    assert result.icc1_ci is not None
    assert result.icc1_ci.low < result.icc1_ci.high <= 1.0


def test_it_tests_each_group_against_the_rest_with_hand_computed_statistics() -> None:
    result = consistency(*_flatten(TABLE))
    by_label = {g.label: g for g in result.groups}
    a = by_label["A"]
    rest = TABLE["B"] + TABLE["C"]
    rest_mean = sum(rest) / len(rest)
    rest_var = sum((x - rest_mean) ** 2 for x in rest) / (len(rest) - 1)
    expected = welch_t_test(
        np.array([2.0]), np.array([1.0]), np.array([3]),
        np.array([rest_mean]), np.array([rest_var]), np.array([len(rest)]),
    )  # fmt: skip
    assert (a.n, a.mean) == (3, 2.0)
    assert a.difference == pytest.approx(2.0 - 33 / 9)
    assert a.p_value == pytest.approx(float(expected[0]))
    # Holm over three tested groups: the adjusted p is at least the raw one, at most 1.
    assert a.p_value is not None
    assert a.p_adjusted is not None
    assert a.p_value <= a.p_adjusted <= 1.0
    assert a.ci is not None
    assert a.ci.low == pytest.approx(2.0 - 4.302653 * 1.0 / math.sqrt(3), abs=1e-5)


def test_it_recovers_an_icc_of_two_tenths_from_simulated_groups() -> None:
    rng = np.random.default_rng(20240601)
    groups = np.repeat(np.arange(200), 50)
    effects = rng.normal(scale=math.sqrt(0.2), size=200)
    scores = effects[groups] + rng.normal(scale=math.sqrt(0.8), size=groups.size)
    result = consistency(scores, groups)
    assert result.icc1 == pytest.approx(0.2, abs=0.05)
    assert result.icc1_ci is not None
    assert result.icc1_ci.low < 0.2 < result.icc1_ci.high
    assert result.p_value is not None
    assert result.p_value < 1e-6


def test_it_recovers_the_icc_with_very_unequal_group_sizes() -> None:
    rng = np.random.default_rng(11)
    sizes = np.concatenate([np.full(150, 3), np.full(50, 60)])
    groups = np.repeat(np.arange(sizes.size), sizes)
    effects = rng.normal(scale=math.sqrt(0.2), size=sizes.size)
    scores = effects[groups] + rng.normal(scale=math.sqrt(0.8), size=groups.size)
    result = consistency(scores, groups)
    assert result.icc1 == pytest.approx(0.2, abs=0.06)
    assert result.icc1_ci is not None
    assert result.icc1_ci.low < 0.2 < result.icc1_ci.high


def test_it_flags_a_group_shifted_by_one_standard_deviation() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(10), 200)
    scores = rng.normal(size=groups.size) + (groups == 4)
    result = consistency(scores, groups)
    shifted = result.groups[4]
    assert shifted.differs is True
    assert shifted.difference == pytest.approx(0.9, abs=0.15)
    assert shifted.p_adjusted is not None
    assert shifted.p_adjusted < 1e-12
    # The shifted group lifts everyone else's "rest", so any other group flagged
    # must sit below it, never above.
    others = [g for g in result.groups if g.differs and g.label != 4]
    assert all(g.difference < 0 for g in others)


def test_it_rarely_flags_groups_that_are_all_the_same() -> None:
    flagged = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        groups = np.repeat(np.arange(20), 100)
        result = consistency(rng.normal(size=groups.size), groups)
        flagged += sum(g.differs for g in result.groups)
    # Holm keeps the family-wise error near 5 % per data set: about 1 in 20 runs.
    assert flagged <= 3


def test_it_reports_a_group_of_one_without_testing_it() -> None:
    scores = np.array([1.0, 2.0, 3.0, 2.0, 3.0, 4.0, 5.0])
    groups = np.array([1, 1, 1, 2, 2, 2, 3])
    result = consistency(scores, groups)
    single = result.groups[2]
    assert (single.label, single.n, single.mean, single.ci) == (3, 1, 5.0, None)
    assert (single.p_value, single.p_adjusted, single.differs) == (None, None, False)
    assert_all_finite(result)


def test_it_gives_no_figures_for_empty_or_all_missing_scores() -> None:
    for scores, groups in (([], []), ([math.nan, math.nan], ["a", "b"])):
        result = consistency(np.array(scores, dtype=float), np.array(groups))
        assert (result.n, result.icc1, result.p_value, result.groups) == (0, None, None, ())


def test_it_gives_no_icc_for_a_single_answer_or_a_single_group() -> None:
    one = consistency([4.0], ["a"])
    assert (one.n, one.icc1, one.icc1_ci) == (1, None, None)
    assert one.groups[0].p_value is None
    single = consistency([1.0, 2.0, 3.0], ["a", "a", "a"])
    assert (single.icc1, single.f_statistic) == (None, None)
    assert single.groups[0].differs is False


def test_it_gives_no_icc_when_every_score_is_identical() -> None:
    result = consistency(np.full(12, 5.0), np.repeat(["x", "y", "z"], 4))
    assert (result.icc1, result.icc1_ci, result.p_value, result.eta_squared) == (
        None,
        None,
        None,
        None,
    )
    assert all(g.p_value is None and g.difference == 0.0 for g in result.groups)
    assert_all_finite(result)


def test_it_treats_constant_but_different_groups_as_all_between() -> None:
    result = consistency([1.0, 1.0, 3.0, 3.0], [0, 0, 1, 1])
    assert (result.icc1, result.variance_between_share, result.p_value) == (1.0, 1.0, 0.0)
    assert result.icc1_ci is None
    assert_all_finite(result)


def test_it_rejects_mismatched_lengths_and_infinity() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        consistency([1.0, 2.0], [1])
    with pytest.raises(ValueError, match="finite"):
        consistency([1.0, math.inf], [1, 2])
