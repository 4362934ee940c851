from __future__ import annotations

import math

import numpy as np
import pytest

from regulars.analytics.stats import (
    SMALL_SAMPLE,
    Interval,
    factorize,
    holm_adjust,
    is_small_sample,
    mean_interval,
    welch_t_test,
    wilson_interval,
)
from tests.analytics import assert_all_finite


def test_it_matches_the_published_wilson_interval_for_8_of_10() -> None:
    interval = wilson_interval(8, 10)
    assert interval is not None
    assert interval.low == pytest.approx(0.4902, abs=5e-5)
    assert interval.high == pytest.approx(0.9433, abs=5e-5)


def test_it_keeps_the_wilson_interval_inside_zero_and_one_at_the_extremes() -> None:
    # Newcombe (1998), table I: 0/10 -> 0 to 0.2775; 10/10 mirrors it.
    none = wilson_interval(0, 10)
    every = wilson_interval(10, 10)
    assert none is not None
    assert (none.low, none.high) == pytest.approx((0.0, 0.2775), abs=5e-5)
    assert every is not None
    assert every.low == pytest.approx(0.7225, abs=5e-5)
    assert every.high == 1.0


def test_it_gives_no_wilson_interval_without_data() -> None:
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("successes", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_it_rejects_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(successes, n)


def test_it_computes_the_t_interval_of_one_to_five_by_hand() -> None:
    result = mean_interval([1, 2, 3, 4, 5])
    # t(0.975, 4) = 2.776445 from any t table; sd = sqrt(2.5).
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert result.n == 5
    assert result.mean == 3.0
    assert result.sd == pytest.approx(math.sqrt(2.5))
    assert result.ci is not None
    assert result.ci.low == pytest.approx(3.0 - half, abs=1e-5)
    assert result.ci.high == pytest.approx(3.0 + half, abs=1e-5)
    assert result.small_sample is True


def test_it_drops_missing_values_before_the_mean() -> None:
    result = mean_interval([np.nan, 2.0, 4.0, np.nan])
    assert (result.n, result.mean) == (2, 3.0)


def test_it_gives_no_mean_for_empty_or_all_missing_input() -> None:
    for values in ([], [np.nan, np.nan]):
        result = mean_interval(values)
        assert (result.n, result.mean, result.sd, result.ci) == (0, None, None, None)


def test_it_gives_a_mean_but_no_interval_for_one_value() -> None:
    result = mean_interval([4.0])
    assert (result.n, result.mean, result.sd, result.ci) == (1, 4.0, None, None)


def test_it_collapses_the_interval_when_every_value_is_the_same() -> None:
    result = mean_interval([3.0] * 40)
    assert result.ci == Interval(3.0, 3.0)
    assert result.small_sample is False
    assert_all_finite(result)


def test_it_rejects_infinite_values() -> None:
    with pytest.raises(ValueError, match="infinity"):
        mean_interval([1.0, math.inf])


def test_it_flags_samples_under_thirty() -> None:
    assert SMALL_SAMPLE == 30
    assert is_small_sample(29) is True
    assert is_small_sample(30) is False


def test_it_matches_a_hand_computed_holm_adjustment() -> None:
    adjusted = holm_adjust(np.array([0.01, 0.04, 0.03, 0.005, np.nan]))
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, max(0.04*1, 0.06)=0.06
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])


def test_it_caps_holm_adjusted_p_values_at_one() -> None:
    np.testing.assert_allclose(holm_adjust(np.array([0.6, 0.9])), [1.0, 1.0])


def test_it_computes_welch_p_values_that_match_the_closed_form_for_two_degrees() -> None:
    # Two values per side with equal variances: Welch df = 2 exactly, and for
    # Student's t with 2 df, P(T > t) = 1/2 - t / (2 sqrt(2 + t^2)).
    a, b = [1.0, 3.0], [4.0, 6.0]
    var = 2.0
    t = (2.0 - 5.0) / math.sqrt(var / 2 + var / 2)
    expected = 2 * (0.5 - abs(t) / (2 * math.sqrt(2 + t * t)))
    p = welch_t_test(
        np.array([np.mean(a)]),
        np.array([var]),
        np.array([2]),
        np.array([np.mean(b)]),
        np.array([var]),
        np.array([2]),
    )
    assert p[0] == pytest.approx(expected, rel=1e-9)


def test_it_leaves_welch_untested_without_variation_or_enough_values() -> None:
    p = welch_t_test(
        np.array([1.0, 1.0]),
        np.array([0.0, 1.0]),
        np.array([5, 1]),
        np.array([2.0, 2.0]),
        np.array([0.0, 1.0]),
        np.array([5, 5]),
    )
    assert np.isnan(p).all()


@pytest.mark.parametrize(
    "labels",
    [
        ["b", "a", "ccc", "a", "b", "b"],
        [7, 3, 3, 10**12, 7, -5],
        [5, 2, 2, 5, 9, 9],
    ],
)
def test_it_factorizes_labels_like_np_unique(labels: list[object]) -> None:
    expected_labels, expected_codes = np.unique(np.array(labels), return_inverse=True)
    distinct, codes = factorize(np.array(labels))
    assert distinct.tolist() == expected_labels.tolist()
    assert codes.tolist() == expected_codes.tolist()
