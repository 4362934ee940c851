from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import numpy as np
import pytest

from regulars.analytics.cohorts import CohortRetention, Period, cohort_retention, merge

HOUR = 3_600
DAY = 86_400


def ts(iso: str) -> int:
    """UTC seconds of an ISO date-time written without a zone (read as UTC)."""
    return int(dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC).timestamp())


def retention(
    rows: list[tuple[int, str]],
    now: str,
    *,
    period: str = "month",
    local_offset_s: int = 0,
    max_periods: int | None = None,
) -> CohortRetention:
    return cohort_retention(
        [c for c, _ in rows],
        [ts(t) for _, t in rows],
        now=ts(now),
        period=period,
        local_offset_s=local_offset_s,
        max_periods=max_periods,
    )


def assert_same(a: CohortRetention, b: CohortRetention) -> None:
    for field in dataclasses.fields(CohortRetention):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.shape == y.shape, field.name
            assert x.tolist() == y.tolist(), field.name
        else:
            assert x == y, field.name


# January: customers 1 and 2; February: 3; April: 4; customer 5 only after now.
VISITS = [
    (1, "2024-01-10T12:00"),
    (1, "2024-02-03T12:00"),
    (1, "2024-02-20T12:00"),
    (1, "2024-04-01T12:00"),
    (2, "2024-01-31T12:00"),
    (2, "2024-03-01T12:00"),
    (3, "2024-02-14T12:00"),
    (3, "2024-02-20T12:00"),
    (3, "2024-03-05T12:00"),
    (4, "2024-04-02T12:00"),
    (5, "2024-05-01T12:00"),
]
NOW = "2024-04-15T12:00"


def test_cohorts_are_the_months_of_first_visits_with_their_sizes() -> None:
    r = retention(VISITS, NOW)
    assert r.period is Period.MONTH
    assert r.labels.tolist() == [[2024, 1], [2024, 2], [2024, 4]]
    assert r.cohort.tolist() == [54 * 12, 54 * 12 + 1, 54 * 12 + 3]
    assert r.size.tolist() == [2, 1, 1]
    assert r.now_period == 54 * 12 + 3


def test_active_counts_customers_with_a_visit_k_months_after_their_first() -> None:
    r = retention(VISITS, NOW)
    # January: both in k=0; customer 1 in February (twice, counted once) and April,
    # customer 2 in March. February: customer 3 in February and March.
    assert r.active.tolist() == [[2, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]]
    assert r.retention.tolist() == [[1.0, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, 0.0], [1.0] + [0.0] * 3]


def test_cells_after_now_are_masked_not_zero() -> None:
    r = retention(VISITS, NOW)
    # April is the current month: observable (and still filling); May is not.
    assert r.observable.tolist() == [
        [True, True, True, True],
        [True, True, True, False],
        [True, False, False, False],
    ]
    assert not np.isnan(r.retention).any()


def test_visits_after_now_are_ignored_and_counted() -> None:
    r = retention(VISITS, NOW)
    assert r.future_dropped == 1
    assert r.size.sum() == 4


def test_max_periods_cuts_the_columns() -> None:
    r = retention(VISITS, NOW, max_periods=1)
    assert r.active.tolist() == [[2, 1], [1, 1], [1, 0]]
    assert r.observable.tolist() == [[True, True], [True, True], [True, False]]
    assert r.max_periods == 1
    assert retention(VISITS, NOW, max_periods=0).active.tolist() == [[2], [1], [1]]


def test_months_and_years_turn_at_local_midnight() -> None:
    rows = [(1, "2024-01-01T03:00"), (1, "2024-01-01T06:00")]
    # In UTC both visits are on 1 January: one cohort, no return.
    utc = retention(rows, "2024-01-15T12:00")
    assert utc.labels.tolist() == [[2024, 1]]
    assert utc.active.tolist() == [[1]]
    # Five hours west the first is at 22:00 on New Year's Eve: a December 2023 cohort
    # back in January.
    west = retention(rows, "2024-01-15T12:00", local_offset_s=-5 * HOUR)
    assert west.labels.tolist() == [[2023, 12]]
    assert west.active.tolist() == [[1, 1]]
    assert west.now_period == west.cohort[0] + 1


def test_now_is_dated_with_the_offset_too() -> None:
    rows = [(1, "2024-01-20T12:00")]
    # 23:30 UTC on 31 January is 00:30 on 1 February an hour east: a month has begun.
    assert retention(rows, "2024-01-31T23:30").observable.tolist() == [[True]]
    east = retention(rows, "2024-01-31T23:30", local_offset_s=HOUR)
    assert east.observable.tolist() == [[True, True]]
    assert east.active.tolist() == [[1, 0]]


def test_iso_weeks_run_monday_to_sunday_and_take_the_year_of_their_thursday() -> None:
    rows = [
        (1, "2021-01-03T12:00"),  # Sunday: ISO week 53 of 2020
        (1, "2021-01-04T12:00"),  # Monday: week 1 of 2021
        (2, "2020-12-28T12:00"),  # Monday of 2020-W53
        (3, "2024-12-30T12:00"),  # Monday: week 1 of 2025
        (4, "2021-01-01T12:00"),  # Friday: 2020-W53
    ]
    r = retention(rows, "2025-01-01T12:00", period="week", max_periods=2)
    assert r.period is Period.WEEK
    assert r.labels.tolist() == [[2020, 53], [2025, 1]]
    assert r.size.tolist() == [3, 1]
    assert r.active.tolist() == [[3, 1, 0], [1, 0, 0]]
    assert r.observable.tolist() == [[True, True, True], [True, False, False]]


def test_weeks_turn_at_local_midnight_on_monday() -> None:
    rows = [(1, "2021-01-03T20:00"), (1, "2021-01-03T23:30")]
    # UTC: both on Sunday. An hour east, 23:30 UTC is 00:30 on Monday, the next week.
    assert retention(rows, "2021-02-01T00:00", period="week").active[0, :2].tolist() == [1, 0]
    east = retention(rows, "2021-02-01T00:00", period="week", local_offset_s=HOUR)
    assert east.active[0, :2].tolist() == [1, 1]


def test_week_labels_across_many_years_match_the_calendar() -> None:
    mondays = [dt.date(2015, 1, 5) + dt.timedelta(weeks=w) for w in range(0, 600, 7)]
    rows = [(i, dt.datetime.combine(d, dt.time(12)).isoformat()) for i, d in enumerate(mondays)]
    r = retention(rows, "2026-12-31T00:00", period="week", max_periods=0)
    expected = [[d.isocalendar().year, d.isocalendar().week] for d in mondays]
    assert r.labels.tolist() == expected


def test_chunks_of_customers_merged_equal_all_at_once() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    customer = rng.integers(0, 900, n)
    at = ts("2022-06-01T00:00") + rng.integers(0, 700 * DAY, n)
    now = ts("2024-03-10T00:00")  # some visits are later
    for period, offset, max_periods in (("month", 0, None), ("week", 0, 10), ("month", 7200, None)):
        whole = cohort_retention(
            customer, at, now=now, period=period, local_offset_s=offset, max_periods=max_periods
        )
        parts = [
            cohort_retention(
                customer[m],
                at[m],
                now=now,
                period=period,
                local_offset_s=offset,
                max_periods=max_periods,
            )
            for m in (customer < 100, (customer >= 100) & (customer < 500), customer >= 500)
        ]
        assert_same(functools.reduce(merge, parts), whole)
        assert_same(merge(parts[2], merge(parts[0], parts[1])), whole)
        assert whole.future_dropped > 0


def test_the_result_over_no_visits_is_empty_and_merges_as_nothing() -> None:
    empty = cohort_retention([], np.array([], dtype=np.int64), now=ts(NOW))
    assert empty.cohort.size == empty.size.size == 0
    assert empty.active.shape == empty.retention.shape == (0, 0)
    assert empty.now_period == 54 * 12 + 3
    full = retention(VISITS, NOW)
    assert_same(merge(empty, full), full)
    assert_same(merge(full, empty), full)
    with_max = cohort_retention([], np.array([], dtype=np.int64), now=ts(NOW), max_periods=2)
    assert with_max.active.shape == (0, 3)


def test_customer_ids_far_apart_give_the_same_cohorts_as_close_ones() -> None:
    # Ids a billion apart take the sorting path, neighbouring ids the bitmap.
    close = retention([(0 if c < 3 else 1, t) for c, t in VISITS], NOW)
    far = retention([(0 if c < 3 else 10**12, t) for c, t in VISITS], NOW)
    assert far.active.tolist() == close.active.tolist()
    assert far.size.tolist() == [1, 1]
    # Ids whose range times the months would overflow 64 bits are ranked first.
    extreme = retention([(-(2**62) if c < 3 else 2**62, t) for c, t in VISITS], NOW)
    assert extreme.active.tolist() == close.active.tolist()


def test_a_stray_timestamp_a_millennium_back_is_its_own_cohort() -> None:
    rows = [(1, "0900-02-28T12:00"), (2, "2024-03-01T12:00"), (2, "2024-04-01T12:00")]
    r = retention(rows, NOW, max_periods=1)
    assert r.labels.tolist() == [[900, 2], [2024, 3]]
    assert r.active.tolist() == [[1, 0], [1, 1]]


def test_datetime64_input_gives_the_same_result_as_epoch_seconds() -> None:
    at = np.array([ts(t) for _, t in VISITS], dtype="datetime64[s]").astype("datetime64[ms]")
    r = cohort_retention([c for c, _ in VISITS], at, now=np.datetime64("2024-04-15T12:00"))
    assert_same(r, retention(VISITS, NOW))


def test_merge_refuses_results_of_different_settings() -> None:
    a = retention(VISITS, NOW)
    with pytest.raises(ValueError, match="period"):
        merge(a, retention(VISITS, NOW, period="week"))
    with pytest.raises(ValueError, match="now_period"):
        merge(a, retention(VISITS, "2024-06-01T00:00"))
    with pytest.raises(ValueError, match="max_periods"):
        merge(a, retention(VISITS, NOW, max_periods=2))


def test_it_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        cohort_retention([1, 2], [0], now=10)
    with pytest.raises(ValueError, match="integer ids"):
        cohort_retention([1.5], [0], now=10)
    with pytest.raises(ValueError, match="max_periods"):
        cohort_retention([1], [0], now=10, max_periods=-1)
    with pytest.raises(ValueError, match="fortnight"):
        cohort_retention([1], [0], now=10, period="fortnight")
