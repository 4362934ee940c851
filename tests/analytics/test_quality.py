from __future__ import annotations

import math

import numpy as np
import pytest

from regulars.analytics.quality import (
    ServqualDimension,
    ces,
    cronbach_alpha,
    csat,
    nps,
    servqual,
)
from regulars.analytics.stats import Interval
from tests.analytics import assert_all_finite

NAN = math.nan


# --- NPS --------------------------------------------------------------------------------


def test_it_scores_a_known_set_of_nps_answers() -> None:
    # promoters: 10, 10, 9, 10, 9 (5); passives: 8, 7 (2); detractors: 6, 5, 0 (3)
    result = nps([10, 10, 9, 8, 7, 6, 5, 0, 10, 9, NAN])
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 2, 3)
    assert result.score == pytest.approx(20.0)
    # trinomial variance: (0.5 + 0.3 - 0.2**2) / 10 = 0.076
    half = 100 * 1.959964 * math.sqrt(0.076)
    assert result.ci is not None
    assert result.ci.low == pytest.approx(20.0 - half, abs=1e-3)
    assert result.ci.high == pytest.approx(20.0 + half, abs=1e-3)
    assert result.small_sample is True


def test_it_clips_the_nps_interval_to_the_scale() -> None:
    result = nps([10] * 8 + [0])
    assert result.ci is not None
    assert result.ci.high == 100.0
    assert result.score is not None
    assert -100.0 <= result.ci.low < result.score


def test_it_gives_a_point_interval_when_every_answer_is_a_promoter() -> None:
    result = nps([9, 10] * 20)
    assert (result.score, result.ci, result.small_sample) == (100.0, Interval(100.0, 100.0), False)


def test_it_gives_no_nps_for_empty_or_all_missing_answers() -> None:
    for answers in ([], [NAN, NAN]):
        result = nps(answers)
        assert (result.n, result.score, result.ci) == (0, None, None)


def test_it_gives_an_nps_but_no_interval_for_one_answer() -> None:
    result = nps([3])
    assert (result.n, result.score, result.ci) == (1, -100.0, None)


@pytest.mark.parametrize("bad", [[11], [-1], [7.5]])
def test_it_rejects_answers_off_the_nps_scale(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="0..10"):
        nps(bad)


# --- CSAT and CES -------------------------------------------------------------------------


def test_it_summarises_csat_answers() -> None:
    result = csat([5, 4, 4, 3, 1, NAN])
    assert result.n == 5
    assert result.counts == (1, 0, 1, 2, 1)
    assert result.mean == pytest.approx(3.4)
    assert result.top2_box == pytest.approx(0.6)
    # Wilson 3/5 at 95 %: 0.2307 to 0.8824
    assert result.top2_box_ci is not None
    assert result.top2_box_ci.low == pytest.approx(0.2307, abs=1e-4)
    assert result.top2_box_ci.high == pytest.approx(0.8824, abs=1e-4)
    # t interval: sd of (5, 4, 4, 3, 1) by hand, t(0.975, 4) = 2.776445
    sd = math.sqrt(sum((v - 3.4) ** 2 for v in (5, 4, 4, 3, 1)) / 4)
    assert result.mean_ci is not None
    assert result.mean_ci.low == pytest.approx(3.4 - 2.776445 * sd / math.sqrt(5), abs=1e-5)


def test_it_gives_no_csat_figures_without_answers() -> None:
    result = csat([])
    assert (result.n, result.mean, result.mean_ci, result.top2_box, result.top2_box_ci) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert result.counts == (0, 0, 0, 0, 0)


def test_it_keeps_identical_csat_answers_finite() -> None:
    result = csat([4] * 3)
    assert result.mean_ci == Interval(4.0, 4.0)
    assert result.top2_box == 1.0
    assert_all_finite(result)


def test_it_rejects_a_csat_answer_of_zero() -> None:
    with pytest.raises(ValueError, match="1..5"):
        csat([0, 3])


def test_it_counts_five_to_seven_as_easy_effort() -> None:
    result = ces([7, 6, 5, 4, 1, 2, 7])
    assert result.n == 7
    assert result.easy_share == pytest.approx(4 / 7)
    assert result.mean == pytest.approx(32 / 7)
    assert result.counts == (1, 1, 0, 1, 1, 1, 2)
    assert result.easy_share_ci is not None
    assert result.easy_share_ci.low == pytest.approx(0.2505, abs=1e-4)


def test_it_gives_one_ces_answer_a_mean_without_interval() -> None:
    result = ces([6])
    assert (result.mean, result.mean_ci, result.easy_share) == (6.0, None, 1.0)


# --- Cronbach's alpha ----------------------------------------------------------------------


def _alpha_by_hand(rows: list[list[float]]) -> float:
    k, n = len(rows[0]), len(rows)

    def var(xs: list[float]) -> float:
        m = sum(xs) / len(xs)
        return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)

    item_vars = sum(var([rows[i][j] for i in range(n)]) for j in range(k))
    total_var = var([sum(row) for row in rows])
    return k / (k - 1) * (1 - item_vars / total_var)


def test_it_matches_the_textbook_alpha_after_dropping_incomplete_rows() -> None:
    complete = [[2.0, 3.0, 3.0], [4.0, 4.0, 5.0], [3.0, 3.0, 4.0], [5.0, 4.0, 5.0], [1.0, 2.0, 1.0]]
    with_gaps = [*complete, [NAN, 1.0, 2.0]]
    assert cronbach_alpha(with_gaps) == pytest.approx(_alpha_by_hand(complete))


def test_it_gives_no_alpha_for_too_few_items_rows_or_no_variance() -> None:
    assert cronbach_alpha([[1.0], [2.0], [3.0], [4.0]]) is None
    assert cronbach_alpha([[1.0, 2.0], [2.0, 3.0]]) is None
    assert cronbach_alpha([[3.0, 3.0]] * 5) is None
    assert cronbach_alpha(np.full((5, 3), NAN)) is None
    assert cronbach_alpha(np.zeros((0, 3))) is None


def test_it_returns_high_alpha_for_items_measuring_one_thing() -> None:
    rng = np.random.default_rng(7)
    trait = rng.normal(size=(500, 1))
    items = trait + rng.normal(scale=0.5, size=(500, 4))
    # Four parallel items with reliability 1/(1+0.25): alpha = 4r/(1+3r) = 0.941
    assert cronbach_alpha(items) == pytest.approx(4 * 0.8 / (1 + 3 * 0.8), abs=0.02)


# --- SERVQUAL --------------------------------------------------------------------------------


def _example() -> tuple[list[ServqualDimension], np.ndarray]:
    reliability = ServqualDimension(
        "reliability",
        expectations=np.array([[6, 7], [5, 5], [7, NAN], [4, 6]], dtype=float),
        perceptions=np.array([[5, 6], [5, 4], [6, 5], [NAN, NAN]], dtype=float),
    )
    empathy = ServqualDimension(
        "empathy",
        expectations=[[7, 7, 7], [6, 6, 6], [5, 5, 5], [7, 6, 5]],
        perceptions=[[7, 7, 7], [5, 6, 7], [5, 5, 5], [7, 7, 6]],
    )
    importance = np.array([[60, 40], [NAN, NAN], [20, 80], [50, 50]], dtype=float)
    return [reliability, empathy], importance


def test_it_computes_servqual_gaps_by_hand() -> None:
    dimensions, importance = _example()
    result = servqual(dimensions, importance)
    reliability, empathy = result.dimensions

    # Respondent gaps over items answered on both scales: -1, -0.5, -1; r3 has none.
    gaps = [-1.0, -0.5, -1.0]
    mean = sum(gaps) / 3
    sd = math.sqrt(sum((g - mean) ** 2 for g in gaps) / 2)
    half = 4.302653 * sd / math.sqrt(3)  # t(0.975, 2)
    assert reliability.dimension == "reliability"
    assert reliability.n == 3
    assert reliability.gap == pytest.approx(mean)
    assert reliability.gap_ci is not None
    assert reliability.gap_ci.low == pytest.approx(mean - half, abs=1e-5)
    assert reliability.mean_expectation == pytest.approx((6.5 + 5 + 7) / 3)
    assert reliability.mean_perception == pytest.approx((5.5 + 4.5 + 6) / 3)
    assert reliability.alpha_perception == pytest.approx(_alpha_by_hand([[5, 6], [5, 4], [6, 5]]))
    assert reliability.alpha_expectation == pytest.approx(_alpha_by_hand([[6, 7], [5, 5], [4, 6]]))
    assert reliability.mean_importance == pytest.approx((60 + 20 + 50) / 3)

    assert empathy.n == 4
    assert empathy.gap == pytest.approx((0 + 0 + 0 + 2 / 3) / 4)
    assert empathy.mean_importance == pytest.approx((40 + 80 + 50) / 3)

    # Weighted: r0 .6*-1 + .4*0; r1 equal weights; r2 .2*-1; r3 only empathy left.
    per_respondent = [-0.6, 0.5 * -0.5, -0.2, 2 / 3]
    assert result.weighted_n == 4
    assert result.with_importance == 3
    assert result.weighted_gap == pytest.approx(sum(per_respondent) / 4)
    assert_all_finite(result)


def test_it_weights_dimensions_equally_when_nobody_gave_importance() -> None:
    dimensions, _ = _example()
    result = servqual(dimensions)
    per_respondent = [-0.5, -0.25, -0.5, 2 / 3]
    assert result.weighted_gap == pytest.approx(sum(per_respondent) / 4)
    assert result.with_importance == 0
    assert all(d.mean_importance is None for d in result.dimensions)


def test_it_reports_an_unanswered_dimension_as_no_data() -> None:
    blank = ServqualDimension("tangibles", np.full((3, 4), NAN), np.full((3, 4), NAN))
    result = servqual([blank])
    (tangibles,) = result.dimensions
    assert (tangibles.n, tangibles.gap, tangibles.gap_ci, tangibles.alpha_perception) == (
        0,
        None,
        None,
        None,
    )
    assert (result.weighted_gap, result.weighted_n) == (None, 0)


def test_it_rejects_importance_rows_that_do_not_sum_to_100() -> None:
    dimensions, importance = _example()
    importance[0] = [60, 60]
    with pytest.raises(ValueError, match="100"):
        servqual(dimensions, importance)


def test_it_rejects_answers_outside_one_to_seven() -> None:
    bad = ServqualDimension("assurance", [[8.0]], [[7.0]])
    with pytest.raises(ValueError, match="1..7"):
        servqual([bad])


def test_it_rejects_dimensions_with_different_respondents() -> None:
    a = ServqualDimension("a", [[1.0], [2.0]], [[1.0], [2.0]])
    b = ServqualDimension("b", [[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="same response rows"):
        servqual([a, b])
