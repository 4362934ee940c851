from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy.typing as npt
import pytest

from regulars.analytics.clv import (
    bgnbd_expected_visits,
    bgnbd_p_at_least_one,
    fit_bgnbd,
)
from regulars.analytics.clv._fit import LOG_BOUND
from regulars.analytics.clv.checks import (
    MIN_CUSTOMERS,
    MIN_HISTORY_GAPS,
    MIN_REPEAT_CUSTOMERS,
    MIN_SPEND_CUSTOMERS,
    CustomerSummary,
    DataSize,
    InputCounts,
    Reason,
    calibration_holdout,
    customer_summary,
    data_size,
    fit_problems,
    holdout_check,
    p_alive_check,
    thin_data,
)

DAY = 86_400
HOUR = 3_600
NAN = math.nan


def ts(iso: str) -> int:
    """UTC seconds of an ISO date-time written without a zone (read as UTC)."""
    return int(dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC).timestamp())


def summarise(rows: list[tuple[int, str, float]], now: str, **kwargs: int) -> CustomerSummary:
    customer = [c for c, _, _ in rows]
    at = [ts(t) for _, t, _ in rows]
    amount = [a for _, _, a in rows]
    return customer_summary(customer, at, amount, now=ts(now), **kwargs)


# --- customer_summary ---------------------------------------------------------------------

# Customer 1: visit days 1, 4, 10 and 11 January (two visits on the 1st); customer 2 one
# visit; customer 3 a zero and a negative amount, and a visit after now.
VISITS = [
    (3, "2024-01-05T12:00", 40.0),
    (1, "2024-01-04T12:00", 20.0),
    (1, "2024-01-01T10:00", 10.0),
    (2, "2024-01-20T08:00", 15.0),
    (1, "2024-01-11T09:00", 30.0),
    (3, "2024-01-02T12:00", 0.0),
    (1, "2024-01-01T18:00", 5.0),
    (3, "2024-02-05T12:00", 70.0),
    (1, "2024-01-10T09:00", NAN),
    (3, "2024-01-03T12:00", -5.0),
]
NOW = "2024-01-31T12:00"


def test_it_counts_repeat_visit_days_recency_and_age_in_whole_days() -> None:
    s = summarise(VISITS, NOW)
    assert s.customer.tolist() == [1, 2, 3]
    # Customer 1: four visit days → 3 repeats; 1 → 11 January is 10 days; 1 → 31 is 30.
    assert s.frequency.tolist() == [3, 0, 2]
    assert s.recency.tolist() == [10.0, 0.0, 3.0]
    assert s.T.tolist() == [30.0, 11.0, 29.0]


def test_monetary_is_the_mean_spend_of_repeat_days_with_a_positive_amount() -> None:
    s = summarise(VISITS, NOW)
    # Customer 1: the first day (10 + 5) is left out, 10 January has no amount: (20 + 30) / 2.
    # Customer 2: no repeat day. Customer 3: 3 January's −5 is left out, 5 January: 40.
    assert s.monetary.tolist() == [25.0, 0.0, 40.0]
    assert s.monetary_count.tolist() == [2, 0, 1]


def test_it_counts_future_visits_and_bad_amounts_instead_of_failing() -> None:
    s = summarise(VISITS, NOW)
    assert s.counts == InputCounts(
        rows=10,
        future=1,
        before_since=0,
        customers_before_since=0,
        duplicates=0,
        missing_amounts=1,
        nonpositive_amounts=2,
    )


def test_a_day_s_spend_is_the_sum_of_its_visits() -> None:
    s = summarise(
        [
            (4, "2024-01-01T09:00", 1.0),
            (4, "2024-01-02T09:00", 10.0),
            (4, "2024-01-02T19:00", 6.0),
            (4, "2024-01-02T20:00", -3.0),
            (4, "2024-01-05T09:00", 4.0),
        ],
        NOW,
    )
    # Repeat days 2 January (10 + 6, the refund left out) and 5 January (4).
    assert s.frequency.tolist() == [2]
    assert s.monetary.tolist() == [10.0]
    assert s.monetary_count.tolist() == [2]


def test_rows_repeating_an_instant_are_one_visit_with_the_largest_amount() -> None:
    s = summarise(
        [
            (5, "2024-01-01T09:00", 10.0),
            (5, "2024-01-01T09:00", 10.0),
            (5, "2024-01-03T09:00", 20.0),
            (5, "2024-01-03T09:00", NAN),
            (5, "2024-01-03T09:00", 25.0),
            (5, "2024-01-07T09:00", NAN),
            (5, "2024-01-07T09:00", -3.0),
            (6, "2024-01-02T09:00", NAN),
            (6, "2024-01-02T09:00", NAN),
        ],
        NOW,
    )
    assert s.frequency.tolist() == [2, 0]
    # 3 January counts 25 once, not 20 + 25; 7 January's visit has no positive amount.
    assert s.monetary.tolist() == [25.0, 0.0]
    assert s.monetary_count.tolist() == [1, 0]
    assert s.counts.duplicates == 5
    # Visits: 7 January (−3) is non-positive, customer 6's only visit has no amount.
    assert s.counts.nonpositive_amounts == 1
    assert s.counts.missing_amounts == 1


def test_duplicates_of_one_customer_do_not_touch_another_s_spend() -> None:
    rows = [(7, "2024-01-01T09:00", 5.0), (7, "2024-01-02T09:00", 8.0)] * 2
    rows += [(8, "2024-01-01T09:00", 5.0), (8, "2024-01-02T09:00", 8.0)]
    s = summarise(rows, NOW)
    assert s.monetary.tolist() == [8.0, 8.0]
    assert s.counts.duplicates == 2


def test_days_are_local_calendar_days_of_the_given_offset() -> None:
    rows = [(1, "2024-03-01T23:30", 1.0), (1, "2024-03-02T00:30", 2.0)]
    utc = summarise(rows, "2024-03-10T12:00")
    assert utc.frequency.tolist() == [1]
    assert utc.T.tolist() == [9.0]
    # One hour east, both visits are on 2 March (00:30 and 01:30).
    east = summarise(rows, "2024-03-10T12:00", local_offset_s=HOUR)
    assert east.frequency.tolist() == [0]
    assert east.T.tolist() == [8.0]
    # Two hours west: 21:30 and 22:30 on 1 March; now is 10:00 on 10 March.
    west = summarise(rows, "2024-03-10T12:00", local_offset_s=-2 * HOUR)
    assert west.frequency.tolist() == [0]
    assert west.T.tolist() == [9.0]


def test_now_is_dated_with_the_offset_too() -> None:
    rows = [(1, "2024-03-01T12:00", 1.0)]
    # 23:30 UTC on 10 March is already 11 March two hours east.
    assert summarise(rows, "2024-03-10T23:30").T.tolist() == [9.0]
    assert summarise(rows, "2024-03-10T23:30", local_offset_s=2 * HOUR).T.tolist() == [10.0]


def test_a_visit_exactly_at_now_is_kept() -> None:
    s = summarise([(1, "2024-01-01T09:00", 1.0), (1, NOW, 2.0)], NOW)
    assert s.frequency.tolist() == [1]
    assert s.recency.tolist() == s.T.tolist() == [30.0]
    assert s.counts.future == 0


def test_since_leaves_out_customers_first_seen_before_it_with_their_whole_history() -> None:
    rows = [
        (1, "2023-12-20T09:00", 1.0),
        (1, "2024-01-05T09:00", 2.0),
        (1, "2024-01-06T09:00", 3.0),
        (2, "2024-01-01T00:00", 4.0),
        (2, "2024-01-09T09:00", 6.0),
    ]
    s = summarise(rows, NOW, since=ts("2024-01-01T00:00"))
    assert s.customer.tolist() == [2]
    assert s.frequency.tolist() == [1]
    assert s.monetary.tolist() == [6.0]
    assert s.counts.customers_before_since == 1
    assert s.counts.before_since == 3


def test_a_single_visit_customer_has_no_repeats_and_an_age() -> None:
    s = summarise([(9, "2024-01-21T09:00", 12.0)], NOW)
    assert s.customer.tolist() == [9]
    assert s.frequency.tolist() == [0]
    assert s.recency.tolist() == [0.0]
    assert s.T.tolist() == [10.0]
    assert s.monetary.tolist() == [0.0]


def test_twenty_customers_each_visiting_daily_for_a_different_number_of_days() -> None:
    # Customer i visits on 1 January … (i + 1) January, spending i + day number.
    rows = [(i, f"2024-01-{d:02d}T12:00", float(i + d)) for i in range(20) for d in range(1, i + 2)]
    s = summarise(rows, NOW)
    assert s.customer.tolist() == list(range(20))
    assert s.frequency.tolist() == list(range(20))
    assert s.recency.tolist() == [float(i) for i in range(20)]
    assert s.T.tolist() == [30.0] * 20
    # Repeat days 2 … i+1: mean of i + d over them is i + (i + 3) / 2.
    assert s.monetary.tolist() == [0.0] + [i + (i + 3) / 2 for i in range(1, 20)]


def test_datetime64_input_gives_the_same_summary_as_epoch_seconds() -> None:
    customer = [c for c, _, _ in VISITS]
    amount = [a for _, _, a in VISITS]
    at = np.array([ts(t) for _, t, _ in VISITS]) * 1_000_000_000
    s = customer_summary(
        customer, at.astype("datetime64[ns]"), amount, now=np.datetime64("2024-01-31T12:00")
    )
    expected = summarise(VISITS, NOW)
    assert s.frequency.tolist() == expected.frequency.tolist()
    assert s.T.tolist() == expected.T.tolist()
    assert s.monetary.tolist() == expected.monetary.tolist()


def test_customer_ids_too_far_apart_to_pack_are_still_summarised() -> None:
    far = [-(2**62), 2**62]
    s = customer_summary(
        far, [ts("2024-01-01T09:00"), ts("2024-01-03T09:00")], [1.0, 2.0], now=ts(NOW)
    )
    assert s.customer.tolist() == far
    assert s.T.tolist() == [30.0, 28.0]


def test_no_visits_give_an_empty_summary() -> None:
    s = customer_summary(np.array([], dtype=np.int64), np.array([], dtype=np.int64), [], now=0)
    assert s.customer.size == s.frequency.size == s.monetary.size == 0
    assert s.counts.rows == 0


def test_it_rejects_mismatched_lengths_and_non_integer_ids() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        customer_summary([1, 2], [0], [1.0, 2.0], now=10)
    with pytest.raises(ValueError, match="integer ids"):
        customer_summary([1.5], [0], [1.0], now=10)


# --- calibration_holdout --------------------------------------------------------------------

SPLIT = "2024-02-01T00:00"
END = "2024-03-01T00:00"
SPLIT_VISITS = [
    # Customer 1: a visit exactly at split_at (calibration) and exactly at end_at (holdout).
    (1, "2024-01-05T10:00", 5.0),
    (1, "2024-01-20T10:00", 7.0),
    (1, SPLIT, 9.0),
    (1, "2024-02-10T10:00", 12.0),
    (1, END, NAN),
    (1, "2024-03-01T00:00:01", 50.0),
    # Customer 2: first seen in the holdout.
    (2, "2024-02-05T10:00", 3.0),
    # Customer 3: a holdout visit on the day of the last calibration visit, and another.
    (3, "2024-01-15T10:00", 1.0),
    (3, "2024-02-01T00:00", 2.0),
    (3, "2024-02-01T15:00", 100.0),
    (3, "2024-02-20T10:00", 8.0),
    # Customer 4: never back.
    (4, "2024-01-10T10:00", 4.0),
]


def test_the_calibration_holds_visits_up_to_and_including_split_at() -> None:
    s = calibration_holdout(
        [c for c, _, _ in SPLIT_VISITS],
        [ts(t) for _, t, _ in SPLIT_VISITS],
        [a for _, _, a in SPLIT_VISITS],
        split_at=ts(SPLIT),
        end_at=ts(END),
    )
    cal = s.calibration
    assert cal.customer.tolist() == [1, 3, 4]
    # Customer 1: 5 Jan, 20 Jan, 1 Feb; 27 days from 5 January to 1 February.
    assert cal.frequency.tolist() == [2, 1, 0]
    assert cal.recency.tolist() == [27.0, 17.0, 0.0]
    assert cal.T.tolist() == [27.0, 17.0, 22.0]
    assert cal.monetary.tolist() == [8.0, 2.0, 0.0]


def test_the_holdout_counts_visit_days_after_split_at_up_to_and_including_end_at() -> None:
    s = calibration_holdout(
        [c for c, _, _ in SPLIT_VISITS],
        [ts(t) for _, t, _ in SPLIT_VISITS],
        [a for _, _, a in SPLIT_VISITS],
        split_at=ts(SPLIT),
        end_at=ts(END),
    )
    # Customer 1: 10 February and 1 March (at end_at); customer 3: 20 February only, since
    # 1 February was already a calibration day; customer 4: none.
    assert s.holdout_visits.tolist() == [2, 1, 0]
    assert s.holdout_monetary.tolist() == [12.0, 8.0, 0.0]
    assert s.holdout_monetary_count.tolist() == [1, 1, 0]
    assert s.holdout_days == 29.0  # February 2024
    assert s.new_in_holdout == 1
    assert s.calibration.counts.future == 1


def test_the_calibration_equals_a_summary_at_split_at() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    customer = rng.integers(0, 300, n)
    at = ts("2023-01-01T00:00") + rng.integers(0, 500 * DAY, n)
    amount = np.where(rng.uniform(size=n) < 0.1, NAN, rng.normal(20.0, 15.0, n))
    split_at, end_at = ts("2024-01-01T00:00"), ts("2024-04-01T00:00")
    cal = calibration_holdout(
        customer, at, amount, split_at=split_at, end_at=end_at, local_offset_s=-5 * HOUR
    ).calibration
    alone = customer_summary(customer, at, amount, now=split_at, local_offset_s=-5 * HOUR)
    for name in ("customer", "frequency", "recency", "T", "monetary_count"):
        assert getattr(cal, name).tolist() == getattr(alone, name).tolist(), name
    np.testing.assert_allclose(cal.monetary, alone.monetary, rtol=1e-12)


def test_a_holdout_of_no_length_has_no_visits() -> None:
    s = calibration_holdout(
        [1, 1],
        [ts("2024-01-01T09:00"), ts("2024-01-05T09:00")],
        [1.0, 1.0],
        split_at=ts("2024-01-03T00:00"),
        end_at=ts("2024-01-03T00:00"),
    )
    assert s.holdout_visits.tolist() == [0]
    assert s.holdout_days == 0.0
    assert s.calibration.counts.future == 1


def test_since_applies_to_the_calibration_customers() -> None:
    s = calibration_holdout(
        [c for c, _, _ in SPLIT_VISITS],
        [ts(t) for _, t, _ in SPLIT_VISITS],
        [a for _, _, a in SPLIT_VISITS],
        split_at=ts(SPLIT),
        end_at=ts(END),
        since=ts("2024-01-08T00:00"),
    )
    assert s.calibration.customer.tolist() == [3, 4]
    assert s.holdout_visits.tolist() == [1, 0]
    assert s.calibration.counts.customers_before_since == 1


def test_it_rejects_an_end_before_the_split_and_a_since_after_it() -> None:
    with pytest.raises(ValueError, match="end_at"):
        calibration_holdout([1], [0], [1.0], split_at=10, end_at=5)
    with pytest.raises(ValueError, match="since"):
        calibration_holdout([1], [0], [1.0], split_at=10, end_at=20, since=11)


# --- holdout_check and p_alive_check ------------------------------------------------------


def test_holdout_check_groups_customers_by_calibration_frequency() -> None:
    check = holdout_check(
        predicted=[0.5, 1.5, 2.0, 0.0, 3.0],
        actual=[1, 1, 3, 0, 3],
        frequency=[0, 1, 1, 0, 9],
        max_frequency=2,
    )
    assert check.frequency.tolist() == [0, 1, 2]
    assert check.customers.tolist() == [2, 2, 1]
    assert check.predicted_mean.tolist() == [0.25, 1.75, 3.0]
    assert check.actual_mean.tolist() == [0.5, 2.0, 3.0]
    assert check.predicted_total == 7.0
    assert check.actual_total == 8.0
    assert check.relative_error == -0.125
    # |0.5−1| + |1.5−1| + |2−3| + 0 + 0 = 2 over five customers.
    assert check.mean_absolute_error == pytest.approx(0.4)


def test_holdout_check_leaves_empty_groups_at_zero_and_undefined_errors_as_none() -> None:
    check = holdout_check([0.2], [0], [0])
    assert check.customers.tolist() == [1, 0, 0, 0, 0, 0, 0, 0]
    assert check.predicted_mean.tolist() == [0.2] + [0.0] * 7
    assert check.relative_error is None
    empty = holdout_check([], [], [])
    assert empty.customers.sum() == 0
    assert empty.mean_absolute_error is None


def test_holdout_check_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        holdout_check([1.0], [1.0, 2.0], [0, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        holdout_check([1.0], [1.0], [0.5])
    with pytest.raises(ValueError, match="predicted"):
        holdout_check([NAN], [1.0], [0])


def test_p_alive_check_bins_customers_and_compares_with_who_visited() -> None:
    check = p_alive_check(
        [0.05, 0.15, 0.15, 0.95, 1.0, 0.5], [False, True, False, True, True, False], bins=2
    )
    assert check.edges.tolist() == [0.0, 0.5, 1.0]
    assert check.customers.tolist() == [3, 3]  # 0.5 opens the upper bin, 1.0 closes it
    np.testing.assert_allclose(check.mean_predicted, [0.35 / 3, 2.45 / 3])
    np.testing.assert_allclose(check.actual_share, [1 / 3, 2 / 3])
    # (0.05² + 0.85² + 0.15² + 0.05² + 0² + 0.5²) / 6 = 1 / 6.
    assert check.brier_score == pytest.approx(1 / 6)
    # ½·|0.35/3 − 1/3| + ½·|2.45/3 − 2/3| = ½·(0.65/3) + ½·(0.45/3).
    assert check.calibration_error == pytest.approx(1.1 / 6)


def test_p_alive_check_takes_visit_counts_as_visited_when_positive() -> None:
    check = p_alive_check([0.2, 0.2, 0.8], [0, 3, 1], bins=5)
    assert check.customers.tolist() == [0, 2, 0, 0, 1]
    assert check.actual_share.tolist() == [0.0, 0.5, 0.0, 0.0, 1.0]


def test_p_alive_check_rejects_probabilities_outside_zero_and_one() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        p_alive_check([1.2], [True])
    with pytest.raises(ValueError, match="bins"):
        p_alive_check([0.2], [True], bins=0)
    assert p_alive_check([], []).brier_score is None


# --- thin_data and fit_problems -------------------------------------------------------------


def size(**changes: float) -> DataSize:
    """A data set just at every threshold, with some figures changed."""
    figures: dict[str, float] = {
        "customers": MIN_CUSTOMERS,
        "repeat_customers": MIN_REPEAT_CUSTOMERS,
        "spend_customers": MIN_SPEND_CUSTOMERS,
        "history_days": MIN_HISTORY_GAPS * 30.0,
        "typical_gap_days": 30.0,
    }
    figures.update(changes)
    return DataSize(
        customers=int(figures["customers"]),
        repeat_customers=int(figures["repeat_customers"]),
        spend_customers=int(figures["spend_customers"]),
        history_days=figures["history_days"],
        typical_gap_days=figures["typical_gap_days"],
    )


def test_data_at_every_threshold_are_not_thin() -> None:
    verdict = thin_data(size())
    assert verdict.visits_thin is False
    assert verdict.spend_thin is False
    assert verdict.reasons == ()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"customers": MIN_CUSTOMERS - 1}, Reason.TOO_FEW_CUSTOMERS),
        ({"repeat_customers": MIN_REPEAT_CUSTOMERS - 1}, Reason.TOO_FEW_REPEAT_CUSTOMERS),
        ({"history_days": MIN_HISTORY_GAPS * 30.0 - 1}, Reason.HISTORY_TOO_SHORT),
    ],
)
def test_data_one_short_of_a_visit_threshold_are_thin_for_the_visit_models(
    changes: dict[str, float], reason: Reason
) -> None:
    verdict = thin_data(size(**changes))
    assert verdict.visits_thin is True
    assert verdict.spend_thin is False
    assert verdict.reasons == (reason,)


def test_too_few_customers_with_amounts_make_only_the_spend_model_thin() -> None:
    verdict = thin_data(size(spend_customers=MIN_SPEND_CUSTOMERS - 1))
    assert verdict.visits_thin is False
    assert verdict.spend_thin is True
    assert verdict.reasons == (Reason.TOO_FEW_SPEND_CUSTOMERS,)
    assert Reason.TOO_FEW_SPEND_CUSTOMERS.value == "too_few_spend_customers"


def test_no_repeat_visits_at_all_give_every_reason_but_the_history() -> None:
    verdict = thin_data(
        size(customers=5, repeat_customers=0, spend_customers=0, typical_gap_days=0.0)
    )
    assert verdict.reasons == (
        Reason.TOO_FEW_CUSTOMERS,
        Reason.TOO_FEW_REPEAT_CUSTOMERS,
        Reason.TOO_FEW_SPEND_CUSTOMERS,
    )


def test_data_size_of_a_summary() -> None:
    summary = CustomerSummary(
        customer=np.array([1, 2, 3, 4]),
        frequency=np.array([0, 1, 2, 5]),
        recency=np.array([0.0, 10.0, 30.0, 20.0]),
        T=np.array([40.0, 50.0, 60.0, 90.0]),
        monetary=np.array([0.0, 5.0, 0.0, 7.0]),
        monetary_count=np.array([0, 1, 0, 4]),
        counts=InputCounts(0, 0, 0, 0, 0, 0, 0),
    )
    assert data_size(summary) == DataSize(
        customers=4,
        repeat_customers=3,
        spend_customers=2,
        history_days=90.0,
        typical_gap_days=240.0 / 8,  # 240 customer-days, 8 repeat visits
    )
    # 90 days are three typical gaps: enough history, but far too few customers.
    assert thin_data(summary).reasons == (
        Reason.TOO_FEW_CUSTOMERS,
        Reason.TOO_FEW_REPEAT_CUSTOMERS,
        Reason.TOO_FEW_SPEND_CUSTOMERS,
    )


def test_a_history_of_one_typical_gap_is_too_short() -> None:
    # 300 customers, all aged 60 days, each back once: 18,000 customer-days per 300
    # repeat visits is a 60-day gap, and the history is that one gap.
    n = 300
    summary = CustomerSummary(
        customer=np.arange(n),
        frequency=np.ones(n, dtype=np.int64),
        recency=np.full(n, 30.0),
        T=np.full(n, 60.0),
        monetary=np.full(n, 10.0),
        monetary_count=np.ones(n, dtype=np.int64),
        counts=InputCounts(0, 0, 0, 0, 0, 0, 0),
    )
    verdict = thin_data(summary)
    assert verdict.size.typical_gap_days == 60.0
    assert verdict.reasons == (Reason.HISTORY_TOO_SHORT,)
    assert verdict.visits_thin is True
    assert verdict.spend_thin is False


def test_a_sound_fit_has_no_problems() -> None:
    assert fit_problems((0.5, 20.0, 0.8, 2.5), converged=True) == ()


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ((math.exp(LOG_BOUND), 1.0), Reason.PARAMETER_AT_BOUND),
        ((math.exp(-LOG_BOUND + 0.005), 1.0), Reason.PARAMETER_AT_BOUND),
        ((1.0, NAN), Reason.PARAMETER_NOT_FINITE),
        ((1.0, 0.0), Reason.PARAMETER_NOT_FINITE),
    ],
)
def test_a_parameter_at_a_bound_or_not_finite_is_a_problem(
    params: tuple[float, float], reason: Reason
) -> None:
    assert fit_problems(params, converged=True) == (reason,)


def test_a_parameter_short_of_the_bound_is_not_at_it() -> None:
    assert fit_problems((math.exp(LOG_BOUND - 0.1), 1.0), converged=True) == ()


def test_identical_regulars_give_a_degenerate_bgnbd_fit_that_is_reported() -> None:
    # No spread in visit rates at all: the Gamma's shape and rate run off towards the
    # bound together (the rate distribution becomes a point) and the likelihood is flat
    # along that ridge, so no standard errors exist, wherever the optimiser stops.
    n = 300
    fit = fit_bgnbd(np.full(n, 5.0), np.full(n, 50.0), np.full(n, 50.0))
    assert fit.alpha > 1e6
    problems = fit_problems(
        (fit.r, fit.alpha, fit.a, fit.b),
        converged=fit.converged,
        has_standard_errors=fit.se is not None,
    )
    assert Reason.NO_STANDARD_ERRORS in problems


# --- end to end: simulated customers, split, fit, check --------------------------------------


def simulate_visits(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    start: int,
    acquired_until: int,
    end: int,
    seed: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Visits (customer, UTC seconds, amount) of BG/NBD customers, up to ``end``.

    First visits uniform over [start, acquired_until); then each customer's visits come
    as a Poisson process of rate λ ~ Gamma(r, rate α) per day, and after every repeat
    visit they drop out for good with probability p ~ Beta(a, b). Amounts Gamma(2, 10).
    """
    rng = np.random.default_rng(seed)
    rate = np.maximum(rng.gamma(r, 1.0 / alpha, n), 1e-12)
    dropout = rng.beta(a, b, n)
    clock = rng.uniform(start, acquired_until, n)
    customers, instants = [np.arange(n)], [clock.copy()]
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active] * DAY
        active = active[clock[active] <= end]
        customers.append(active)
        instants.append(clock[active])
        active = active[rng.uniform(size=active.size) >= dropout[active]]
    customer = np.concatenate(customers)
    at = np.floor(np.concatenate(instants)).astype(np.int64)
    return customer, at, rng.gamma(2.0, 10.0, customer.size)


def test_bgnbd_fitted_on_the_calibration_predicts_the_holdout_within_five_per_cent() -> None:
    split_at, end_at = ts("2024-01-01T00:00"), ts("2024-07-01T00:00")
    customer, at, amount = simulate_visits(
        20_000,
        r=0.5,
        alpha=20.0,
        a=0.8,
        b=2.5,
        start=ts("2023-01-01T00:00"),
        acquired_until=split_at,
        end=end_at,
        seed=11,
    )
    split = calibration_holdout(customer, at, amount, split_at=split_at, end_at=end_at)
    cal = split.calibration
    assert cal.customer.size == 20_000
    assert thin_data(cal).reasons == ()
    fit = fit_bgnbd(cal.frequency, cal.recency, cal.T)
    assert (
        fit_problems(
            (fit.r, fit.alpha, fit.a, fit.b),
            converged=fit.converged,
            has_standard_errors=fit.se is not None,
        )
        == ()
    )
    horizon = split.holdout_days
    assert horizon == 182.0
    predicted = bgnbd_expected_visits(fit, horizon, cal.frequency, cal.recency, cal.T)
    check = holdout_check(predicted, split.holdout_visits, cal.frequency)
    assert check.actual_total > 10_000
    assert check.relative_error is not None
    assert abs(check.relative_error) < 0.05
    # Every frequency group with a few hundred customers is within 15 % on average.
    big = check.customers >= 300
    np.testing.assert_allclose(check.predicted_mean[big], check.actual_mean[big], rtol=0.15)

    chance = bgnbd_p_at_least_one(fit, horizon, cal.frequency, cal.recency, cal.T)
    calibration = p_alive_check(chance, split.holdout_visits)
    assert calibration.calibration_error is not None
    assert calibration.calibration_error < 0.03
