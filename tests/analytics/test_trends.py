from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from regulars.analytics.quality import csat, nps
from regulars.analytics.trends import (
    bucket,
    feedback_trend,
    shares_by_bucket,
    topic_counts_by_bucket,
)
from tests.analytics import assert_all_finite

NAN = math.nan
EPOCH = dt.date(1970, 1, 1)


def day(iso: str) -> int:
    return (dt.date.fromisoformat(iso) - EPOCH).days


def test_it_starts_weeks_on_monday() -> None:
    # 2024-01-01 was a Monday; 2024-01-07 a Sunday.
    days = [day("2024-01-07"), day("2024-01-01"), day("2024-01-08"), day("2024-01-14")]
    result = bucket(days, "week")
    assert result.starts == (dt.date(2024, 1, 1), dt.date(2024, 1, 8))
    assert result.index.tolist() == [0, 0, 1, 1]


def test_it_starts_weeks_on_monday_before_1970_too() -> None:
    # 1969-12-31 was a Wednesday; its week began on Monday 1969-12-29.
    result = bucket([day("1969-12-31"), day("1970-01-04"), day("1970-01-05")], "week")
    assert result.starts == (dt.date(1969, 12, 29), dt.date(1970, 1, 5))
    assert result.index.tolist() == [0, 0, 1]


def test_it_buckets_by_calendar_month_and_keeps_empty_months() -> None:
    result = bucket([day("2024-01-31"), day("2024-03-01"), day("2024-01-01")], "month")
    assert result.starts == (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1))
    assert result.index.tolist() == [0, 2, 0]


def test_it_reads_datetime64_days_like_day_numbers() -> None:
    stamps = np.array(["2024-02-29T23:59", "2024-03-04T00:00"], dtype="datetime64[m]")
    as_dates = bucket(stamps, "week")
    as_ints = bucket([day("2024-02-29"), day("2024-03-04")], "week")
    assert as_dates.starts == as_ints.starts
    assert as_dates.index.tolist() == as_ints.index.tolist()


def test_it_computes_weekly_nps_and_csat_by_hand() -> None:
    days = [day("2024-01-02")] * 4 + [day("2024-01-16")] * 3
    nps_scores = [10, 9, 6, NAN, 8, NAN, NAN]
    csat_scores = [NAN, 5, 4, 2, NAN, 3, 3]
    result = feedback_trend(days, nps_scores=nps_scores, csat_scores=csat_scores)

    first, empty, third = result.buckets
    assert (first.start, first.n, first.nps_n, first.csat_n) == (dt.date(2024, 1, 1), 4, 3, 3)
    assert first.nps == pytest.approx(100 * (2 / 3 - 1 / 3))
    assert first.nps_ci is not None
    half = 100 * 1.959964 * math.sqrt((2 / 3 + 1 / 3 - (1 / 3) ** 2) / 3)
    assert first.nps_ci.low == pytest.approx(100 / 3 - half, abs=1e-3)
    assert first.csat_mean == pytest.approx(11 / 3)
    assert first.csat_top2_box == pytest.approx(2 / 3)
    assert first.csat_mean_ci is not None
    sd = math.sqrt(sum((v - 11 / 3) ** 2 for v in (5, 4, 2)) / 2)
    assert first.csat_mean_ci.high == pytest.approx(11 / 3 + 4.302653 * sd / math.sqrt(3), 1e-5)

    assert (empty.start, empty.n, empty.nps, empty.csat_mean, empty.csat_top2_box_ci) == (
        dt.date(2024, 1, 8),
        0,
        None,
        None,
        None,
    )
    assert (third.nps_n, third.nps, third.nps_ci) == (1, 0.0, None)
    assert (third.csat_mean, third.csat_top2_box) == (3.0, 0.0)
    assert_all_finite(result)


def test_it_matches_per_bucket_figures_from_the_one_shot_measures() -> None:
    rng = np.random.default_rng(5)
    days = rng.integers(day("2024-01-01"), day("2024-06-30"), size=3_000)
    nps_scores = rng.integers(0, 11, size=days.size).astype(float)
    csat_scores = rng.integers(1, 6, size=days.size).astype(float)
    result = feedback_trend(days, nps_scores=nps_scores, csat_scores=csat_scores, period="month")
    march = result.buckets[2]
    in_march = (days >= day("2024-03-01")) & (days < day("2024-04-01"))
    one_shot_nps, one_shot_csat = nps(nps_scores[in_march]), csat(csat_scores[in_march])
    assert march.start == dt.date(2024, 3, 1)
    assert march.nps == pytest.approx(one_shot_nps.score)
    assert march.nps_ci == one_shot_nps.ci
    assert march.csat_mean == pytest.approx(one_shot_csat.mean)
    assert march.csat_mean_ci is not None
    assert one_shot_csat.mean_ci is not None
    assert march.csat_mean_ci.low == pytest.approx(one_shot_csat.mean_ci.low)
    assert march.csat_top2_box_ci == one_shot_csat.top2_box_ci


def test_it_returns_no_buckets_for_no_days() -> None:
    assert feedback_trend([], nps_scores=[]).buckets == ()


def test_it_rejects_off_scale_scores_and_float_days() -> None:
    with pytest.raises(ValueError, match="0..10"):
        feedback_trend([1, 2], nps_scores=[3, 11])
    with pytest.raises(ValueError, match="integers or datetime64"):
        bucket([1.5, 2.0])
    with pytest.raises(ValueError, match="rows"):
        feedback_trend([1, 2], csat_scores=[3])


def test_it_counts_topics_per_bucket_and_turns_them_into_shares() -> None:
    days = [day("2024-01-01"), day("2024-01-02"), day("2024-01-03"), day("2024-01-17")]
    topics = [0, 2, 2, 1]
    counts = topic_counts_by_bucket(days, topics, n_topics=3)
    assert counts.starts == (dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15))
    assert counts.counts.tolist() == [[1, 0, 2], [0, 0, 0], [0, 1, 0]]

    shares = shares_by_bucket(counts.counts)
    assert shares.totals == (3, 0, 1)
    assert shares.shares == ((1 / 3, 0.0, 2 / 3), None, (0.0, 1.0, 0.0))


def test_it_divides_by_given_totals_when_responses_carry_several_topics() -> None:
    shares = shares_by_bucket([[2, 3], [0, 0]], totals=[4, 0])
    assert shares.shares == ((0.5, 0.75), None)
    with pytest.raises(ValueError, match="exceeds"):
        shares_by_bucket([[5, 1]], totals=[4])
