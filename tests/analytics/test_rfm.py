from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest

from regulars.analytics.rfm import (
    RFM,
    Segment,
    quintile_scores,
    rfm_from_visits,
    rfm_scores,
)

DAY = 86_400


def assert_no_nan_or_inf(result: RFM) -> None:
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        assert isinstance(value, np.ndarray), field.name
        assert value.shape == result.customer.shape, field.name
        if np.issubdtype(value.dtype, np.floating):
            assert np.isfinite(value).all(), field.name


def reference_scores(values: list[float]) -> list[int]:
    """Plain-Python mid-rank quintiles: ceil(5 · (less + equal/2) / n)."""
    n = len(values)
    out = []
    for x in values:
        less = sum(1 for y in values if y < x)
        equal = sum(1 for y in values if y == x)
        out.append(math.ceil(Fraction(5 * (2 * less + equal), 2 * n)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_quintile_scores_match_a_plain_python_reference_with_many_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    values = rng.integers(0, int(rng.integers(1, 15)), n).astype(float)
    assert quintile_scores(values).tolist() == reference_scores(values.tolist())


def test_quintile_scores_match_the_reference_on_continuous_values() -> None:
    values = np.random.default_rng(9).normal(size=501)
    assert quintile_scores(values).tolist() == reference_scores(values.tolist())


def test_quintile_scores_split_distinct_values_evenly() -> None:
    assert quintile_scores([50, 10, 40, 20, 30]).tolist() == [5, 1, 4, 2, 3]
    assert quintile_scores(range(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quintile_scores_give_ties_one_score_and_handle_few_distinct_values() -> None:
    assert quintile_scores([7.0]).tolist() == [3]
    assert quintile_scores([7.0, 7.0, 7.0]).tolist() == [3, 3, 3]
    assert quintile_scores([1.0, 2.0]).tolist() == [2, 4]
    assert quintile_scores([0, 0, 0, 0, 9]).tolist() == [2, 2, 2, 2, 5]
    assert quintile_scores([]).tolist() == []


def test_quintile_scores_reject_nan_and_infinity() -> None:
    with pytest.raises(ValueError, match="finite"):
        quintile_scores([1.0, math.nan])
    with pytest.raises(ValueError, match="finite"):
        quintile_scores([1.0, math.inf])


def test_the_most_recent_customer_gets_recency_score_five() -> None:
    r = rfm_scores([1, 2, 3, 4, 5], [1, 5, 10, 60, 200], [1] * 5, [10.0] * 5)
    assert r.r_score.tolist() == [5, 4, 3, 2, 1]
    assert r.f_score.tolist() == [3] * 5


# Five customers with distinct values score 1..5 in each dimension; (R, F, M) wanted:
#   1: 5 5 5   2: 3 4 1   3: 4 1 4   4: 2 3 3   5: 1 2 2
RECENCY = [1.0, 10.0, 5.0, 60.0, 200.0]
FREQUENCY = [20, 10, 1, 5, 2]
MONETARY = [500.0, 10.0, 300.0, 100.0, 50.0]


def test_it_builds_cells_from_the_three_scores() -> None:
    r = rfm_scores([1, 2, 3, 4, 5], RECENCY, FREQUENCY, MONETARY)
    assert r.cell.tolist() == [555, 341, 414, 233, 122]
    assert str(r.cell[0]) == "555"
    assert_no_nan_or_inf(r)


def test_it_segments_crafted_customers_by_the_documented_rules() -> None:
    r = rfm_scores([1, 2, 3, 4, 5], RECENCY, FREQUENCY, MONETARY)
    assert [Segment(s) for s in r.segment] == [
        Segment.CHAMPION,
        Segment.LOYAL,
        Segment.NEW,  # one visit, recent
        Segment.AT_RISK,
        Segment.LOST,
    ]


def test_it_segments_the_other_rules() -> None:
    #   (R, F, M): 5 2 5   2 1 2   3 3 3   1 5 4   4 4 1
    r = rfm_scores(
        [1, 2, 3, 4, 5],
        [1.0, 60.0, 10.0, 200.0, 5.0],
        [2, 1, 5, 20, 10],
        [500.0, 50.0, 100.0, 300.0, 10.0],
    )
    assert [Segment(s) for s in r.segment] == [
        Segment.PROMISING,
        Segment.HIBERNATING,
        Segment.NEEDS_ATTENTION,
        Segment.AT_RISK,
        Segment.LOYAL,  # R ≥ 3 and F ≥ 4 but M = 1: not a champion
    ]


def test_it_calls_anyone_absent_longer_than_lost_after_days_lost() -> None:
    r = rfm_scores([1, 2, 3, 4, 5], RECENCY, FREQUENCY, MONETARY, lost_after_days=50)
    assert Segment(r.segment[3]) == Segment.LOST
    assert Segment(r.segment[0]) == Segment.CHAMPION


def test_it_uses_the_age_for_new_customers_when_given() -> None:
    r = rfm_scores(
        [1, 2, 3, 4, 5],
        RECENCY,
        FREQUENCY,
        MONETARY,
        age_days=[900.0, 900.0, 100.0, 900.0, 900.0],
    )
    # Customer 3 had one visit in the window but first came 100 days ago.
    assert Segment(r.segment[2]) == Segment.PROMISING
    r = rfm_scores([1, 2], [200.0, 1.0], [1, 1], [5.0, 5.0], age_days=[20.0, 900.0])
    # New beats the relative "lost" rule (R = 1, F ≤ 2) for a 20-day-old customer.
    assert [Segment(s) for s in r.segment] == [Segment.NEW, Segment.PROMISING]


def test_segment_sizes_count_every_segment() -> None:
    sizes = rfm_scores([1, 2, 3, 4, 5], RECENCY, FREQUENCY, MONETARY).segment_sizes()
    assert list(sizes) == list(Segment)
    assert sum(sizes.values()) == 5
    assert sizes[Segment.CHAMPION] == 1
    assert sizes[Segment.HIBERNATING] == 0


def test_it_scores_a_single_customer_and_no_customers() -> None:
    one = rfm_scores([1], [3.0], [2], [0.0])
    assert one.cell.tolist() == [333]
    assert Segment(one.segment[0]) == Segment.NEEDS_ATTENTION
    none = rfm_scores([], [], [], [])
    assert none.customer.size == 0
    assert none.segment_sizes()[Segment.LOST] == 0
    assert_no_nan_or_inf(one)
    assert_no_nan_or_inf(none)


def test_it_accepts_zero_and_negative_amounts() -> None:
    r = rfm_scores([1, 2, 3], [1.0, 2.0, 3.0], [1, 2, 3], [-20.0, 0.0, 15.0])
    assert r.m_score.tolist() == [1, 3, 5]
    assert_no_nan_or_inf(r)


def test_rfm_scores_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        rfm_scores([1, 2], [1.0], [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="negative"):
        rfm_scores([1], [-1.0], [1], [1.0])
    with pytest.raises(ValueError, match="finite"):
        rfm_scores([1], [1.0], [1], [math.nan])


def test_rfm_from_visits_aggregates_visits_and_ignores_future_ones() -> None:
    now = 1_700_000_000
    r = rfm_from_visits(
        [9, 9, 9, 4, 4, 9],
        [now - 2 * DAY, now - 10 * DAY, now - 400 * DAY, now - 30 * DAY, now + DAY, now + DAY],
        [10.0, 30.0, 1000.0, 5.0, 99.0, 99.0],
        now,
        window_days=365,
    )
    assert r.customer.tolist() == [4, 9]
    assert r.recency_days.tolist() == [30.0, 2.0]
    assert r.frequency.tolist() == [1.0, 2.0]  # the visit 400 days ago is outside
    assert r.monetary.tolist() == [5.0, 40.0]
    avg = rfm_from_visits(
        [9, 9, 4], [now - DAY, now - 2 * DAY, now - DAY], [10.0, 30.0, 5.0], now, average=True
    )
    assert avg.monetary.tolist() == [5.0, 20.0]
    assert_no_nan_or_inf(r)


def test_rfm_from_visits_handles_no_visits() -> None:
    r = rfm_from_visits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], 0)
    assert r.customer.size == 0


def test_rfm_from_visits_gives_the_same_scores_for_sparse_and_dense_ids() -> None:
    rng = np.random.default_rng(5)
    now = 1_700_000_000
    cust = rng.integers(0, 60, 800)
    at = now - rng.integers(0, 500 * DAY, 800)
    amount = rng.gamma(2.0, 20.0, 800)
    dense = rfm_from_visits(cust, at, amount, now)
    sparse = rfm_from_visits(cust * 10**12 + 3, at, amount, now)  # np.unique path
    np.testing.assert_array_equal(sparse.customer, dense.customer * 10**12 + 3)
    for field in dataclasses.fields(RFM):
        if field.name != "customer":
            np.testing.assert_array_equal(getattr(sparse, field.name), getattr(dense, field.name))
    assert_no_nan_or_inf(dense)
