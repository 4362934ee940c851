from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from regulars.analytics.rhythm import (
    MIN_DAYS_FOR_PATTERN,
    PARTS_OF_DAY,
    Rhythm,
    RhythmSummary,
    customer_rhythm,
    summarise,
)

DAY = 86_400
HOUR = 3_600


def ts(iso: str) -> int:
    """UTC seconds of an ISO date-time written without a zone (read as UTC)."""
    return int(dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC).timestamp())


def assert_no_nan_or_inf(result: Rhythm) -> None:
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        assert isinstance(value, np.ndarray), field.name
        assert value.shape == result.customer.shape, field.name
        if np.issubdtype(value.dtype, np.floating):
            assert np.isfinite(value).all(), field.name


# 2024-01-01 was a Monday.
EVERY_3_DAYS = [ts("2024-01-01T09:00") + i * 3 * DAY for i in range(10)]


def test_a_customer_visiting_every_three_days_has_a_median_gap_of_three() -> None:
    r = customer_rhythm([7] * 10, EVERY_3_DAYS, EVERY_3_DAYS[-1] + 4 * DAY)
    assert r.customer.tolist() == [7]
    assert r.visits.tolist() == [10]
    assert r.visit_days.tolist() == [10]
    assert r.gap_median.tolist() == [3.0]
    assert r.gap_iqr.tolist() == [0.0]
    assert r.judged.tolist() == [True]
    # Fence q75 + 1.5·IQR = 3, but at least 1.5 × 3 = 4.5 and 3 + 2 = 5 days.
    assert r.overdue_threshold.tolist() == [5.0]
    assert r.part_of_day.tolist() == [PARTS_OF_DAY.index("morning")]
    assert_no_nan_or_inf(r)


def test_it_does_not_call_four_days_of_absence_overdue_for_a_three_day_rhythm() -> None:
    r = customer_rhythm([7] * 10, EVERY_3_DAYS, EVERY_3_DAYS[-1] + 4 * DAY)
    assert r.days_since_last.tolist() == [4.0]
    assert r.overdue.tolist() == [False]
    assert r.overdue_ratio[0] == pytest.approx(4 / 3)


def test_it_calls_thirty_days_of_absence_overdue_for_a_three_day_rhythm() -> None:
    r = customer_rhythm([7] * 10, EVERY_3_DAYS, EVERY_3_DAYS[-1] + 30 * DAY)
    assert r.overdue.tolist() == [True]
    assert r.overdue_ratio[0] == pytest.approx(10.0)


def test_it_finds_weekday_mornings_in_local_time() -> None:
    # Four working weeks at 08:30 in a UTC+1 zone, i.e. 07:30 UTC.
    visits = [
        ts("2024-01-01T07:30") + (week * 7 + weekday) * DAY
        for week in range(4)
        for weekday in range(5)
    ]
    r = customer_rhythm([1] * len(visits), visits, visits[-1] + DAY, local_offset_s=HOUR)
    summary = summarise(r, 0)
    # Gaps are 1 day within the week and 3 over the weekend: q25 = q75 = 1.
    assert summary == RhythmSummary(
        gap_low_days=1.0, gap_high_days=1.0, weekdays=(0, 1, 2, 3, 4), part_of_day="morning"
    )


def test_it_counts_days_and_hours_in_the_local_zone_not_in_utc() -> None:
    # 23:30 UTC on Sunday is 01:30 on Monday in UTC+2: Monday, late evening part.
    visits = [ts("2024-01-07T23:30") + week * 7 * DAY for week in range(6)]
    r = customer_rhythm([1] * 6, visits, visits[-1], local_offset_s=2 * HOUR)
    assert summarise(r, 0).weekdays == (0,)
    assert summarise(r, 0).part_of_day == "evening"
    in_utc = customer_rhythm([1] * 6, visits, visits[-1])
    assert summarise(in_utc, 0).weekdays == (6,)


def test_it_accepts_one_offset_per_visit() -> None:
    # The same instant is Monday in Tokyo (UTC+9) and Sunday in New York (UTC−5).
    at = [ts("2024-01-07T20:00")] * 2
    r = customer_rhythm([1, 2], at, at[0], local_offset_s=[9 * HOUR, -5 * HOUR])
    assert r.customer.tolist() == [1, 2]
    mon, sun = 1 << 0, 1 << 6
    # One visit day is below MIN_DAYS_FOR_PATTERN, so check the weekday via many weeks.
    weeks = [ts("2024-01-07T20:00") + w * 7 * DAY for w in range(MIN_DAYS_FOR_PATTERN)]
    offsets = [9 * HOUR] * len(weeks) + [-5 * HOUR] * len(weeks)
    r = customer_rhythm([1] * len(weeks) + [2] * len(weeks), weeks * 2, weeks[-1], offsets)
    assert r.weekdays.tolist() == [mon, sun]
    assert r.days_since_last.tolist() == [0.0, 0.0]


def test_it_counts_duplicate_timestamps_and_same_day_visits_as_one_visit_day() -> None:
    morning = ts("2024-03-01T09:00")
    r = customer_rhythm([3, 3, 3], [morning, morning, morning + 8 * HOUR], morning + DAY)
    assert r.visits.tolist() == [3]
    assert r.visit_days.tolist() == [1]
    assert r.gap_median.tolist() == [0.0]
    assert r.judged.tolist() == [False]
    assert_no_nan_or_inf(r)


def test_it_does_not_judge_a_customer_with_one_visit() -> None:
    at = ts("2024-03-01T09:00")
    r = customer_rhythm([5], [at], at + 400 * DAY)
    assert r.judged.tolist() == [False]
    assert r.overdue.tolist() == [False]
    assert r.overdue_ratio.tolist() == [0.0]
    assert r.days_since_last.tolist() == [400.0]
    assert summarise(r, 0) == RhythmSummary(None, None, (), None)
    assert_no_nan_or_inf(r)


def test_it_does_not_judge_a_customer_with_two_gaps() -> None:
    at = [ts("2024-03-01T09:00") + i * 2 * DAY for i in range(3)]
    r = customer_rhythm([5] * 3, at, at[-1] + 100 * DAY)
    assert r.judged.tolist() == [False]
    assert r.overdue.tolist() == [False]
    # Still ranked: 100 days against a median gap of 2.
    assert r.overdue_ratio.tolist() == [50.0]


def test_it_drops_and_counts_visits_after_now() -> None:
    now = ts("2024-06-01T12:00")
    r = customer_rhythm(
        [1, 1, 1, 2],
        [now - 2 * DAY, now + HOUR, now + 5 * DAY, now + DAY],
        now,
    )
    assert r.customer.tolist() == [1, 2]
    assert r.visits.tolist() == [1, 0]
    assert r.future_dropped.tolist() == [2, 1]
    assert r.total_future_dropped == 3
    assert r.days_since_last.tolist() == [2.0, 0.0]
    assert r.judged.tolist() == [False, False]
    assert_no_nan_or_inf(r)


def test_it_returns_empty_arrays_for_no_visits() -> None:
    r = customer_rhythm(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0)
    assert r.customer.size == 0
    assert r.total_future_dropped == 0
    assert r.row(1) is None
    assert_no_nan_or_inf(r)


def test_it_accepts_datetime64_like_seconds() -> None:
    at = np.array(EVERY_3_DAYS, dtype=np.int64)
    now = EVERY_3_DAYS[-1] + 10 * DAY
    from_ints = customer_rhythm([1] * 10, at, now)
    from_dates = customer_rhythm(
        [1] * 10, at.astype("datetime64[s]").astype("datetime64[ms]"), np.datetime64(now, "s")
    )
    for field in dataclasses.fields(Rhythm):
        np.testing.assert_array_equal(
            getattr(from_ints, field.name), getattr(from_dates, field.name)
        )


def test_it_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        customer_rhythm([1, 2], [0], 0)
    with pytest.raises(ValueError, match="datetime64"):
        customer_rhythm([1], [0.5], 0)
    with pytest.raises(ValueError, match="NaT"):
        customer_rhythm([1], np.array(["NaT"], dtype="datetime64[s]"), 0)


def random_visits(seed: int, n: int, customers: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, customers, n) * 37 + 5
    now = ts("2025-01-01T00:00")
    at = now - rng.integers(-20 * DAY, 200 * DAY, n)
    return cust, at, now


def reference_gaps(cust: np.ndarray, at: np.ndarray, now: int, c: int) -> np.ndarray:
    mine = at[(cust == c) & (at <= now)]
    return np.diff(np.unique(mine // DAY))


def test_its_gap_quantiles_match_numpy_per_customer_on_random_data() -> None:
    cust, at, now = random_visits(1, 3_000, 150)
    r = customer_rhythm(cust, at, now)
    assert r.customer.tolist() == sorted(set(cust.tolist()))
    for i, c in enumerate(r.customer.tolist()):
        gaps = reference_gaps(cust, at, now, c)
        if gaps.size == 0:
            assert r.gap_median[i] == 0.0
            continue
        assert r.gap_median[i] == pytest.approx(np.median(gaps))
        assert r.gap_q25[i] == pytest.approx(np.quantile(gaps, 0.25))
        assert r.gap_q75[i] == pytest.approx(np.quantile(gaps, 0.75))
        assert r.visit_days[i] == gaps.size + 1
        assert r.judged[i] == (gaps.size >= 3)
    assert_no_nan_or_inf(r)


def test_it_does_not_depend_on_the_order_of_the_visits() -> None:
    cust, at, now = random_visits(2, 2_000, 80)
    perm = np.random.default_rng(3).permutation(cust.size)
    a = customer_rhythm(cust, at, now)
    b = customer_rhythm(cust[perm], at[perm], now)
    for field in dataclasses.fields(Rhythm):
        np.testing.assert_array_equal(getattr(a, field.name), getattr(b, field.name))


def test_it_handles_ids_and_times_too_wide_to_pack_into_one_key() -> None:
    cust, at, now = random_visits(4, 1_000, 40)
    wide = customer_rhythm(cust * 10**12, at, now)  # ids need > 40 bits
    narrow = customer_rhythm(cust, at, now)
    np.testing.assert_array_equal(wide.customer, narrow.customer * 10**12)
    for field in dataclasses.fields(Rhythm):
        if field.name != "customer":
            np.testing.assert_array_equal(getattr(wide, field.name), getattr(narrow, field.name))


def test_row_finds_a_customer_by_id() -> None:
    r = customer_rhythm([30, 10, 20], [0, 0, 0], DAY)
    assert r.row(20) == 1
    assert r.row(25) is None
    assert r.row(99) is None
