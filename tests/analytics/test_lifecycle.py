from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from regulars.analytics.lifecycle import (
    HORIZON_BOUNDS,
    Horizons,
    Stage,
    business_horizons,
    flows,
    lifecycle_stages,
)

HORIZONS = Horizons(risk_days=40.0, lapse_days=120.0)


def one(**changes: Any) -> tuple[Stage, float]:
    """The stage of a single customer: a steady regular (10 visit days, every 7 days,
    last seen 3 days ago) unless ``changes`` say otherwise."""
    row: dict[str, Any] = {
        "visit_days": 10,
        "age_days": 200.0,
        "days_since_last": 3.0,
        "judged": True,
        "overdue": False,
        "overdue_threshold": 12.0,
        "dissatisfied": False,
    }
    extra = {
        k: changes.pop(k)
        for k in ("p_alive", "previous", "previous_since_days", "days_since_previous")
        if k in changes
    }
    row.update(changes)
    arrays = {k: np.array([v]) for k, v in row.items()}
    if "p_alive" in extra:
        arrays["p_alive"] = np.array([extra.pop("p_alive")])
    if "previous" in extra:
        arrays["previous"] = np.array([extra.pop("previous")])
        arrays["previous_since_days"] = np.array([extra.pop("previous_since_days", 0.0)])
    result = lifecycle_stages(horizons=HORIZONS, **arrays, **extra)
    return Stage(int(result.stage[0])), float(result.since_days[0])


def test_a_steady_customer_is_a_regular() -> None:
    assert one() == (Stage.REGULAR, 0.0)


def test_first_visit_within_a_month_is_new_even_after_three_visits() -> None:
    assert one(age_days=20.0, visit_days=3, judged=False)[0] is Stage.NEW


def test_two_or_three_visit_days_after_the_first_month_is_developing() -> None:
    assert one(age_days=90.0, visit_days=3, judged=False, days_since_last=10.0)[0] is (
        Stage.DEVELOPING
    )


def test_overdue_by_their_own_rhythm_is_at_risk() -> None:
    assert one(overdue=True, days_since_last=20.0)[0] is Stage.AT_RISK


def test_overdue_without_a_judged_rhythm_is_ignored() -> None:
    # Rhythm never flags an unjudged customer; the lifecycle does not trust such a flag.
    stage, _ = one(judged=False, visit_days=3, overdue=True, days_since_last=20.0)
    assert stage is Stage.DEVELOPING


def test_unjudged_customers_use_the_business_horizons() -> None:
    assert one(judged=False, visit_days=1, days_since_last=41.0)[0] is Stage.AT_RISK
    assert one(judged=False, visit_days=1, days_since_last=121.0)[0] is Stage.LAPSED
    assert one(judged=False, visit_days=1, days_since_last=39.0)[0] is Stage.DEVELOPING


def test_lapsed_needs_three_thresholds_and_at_least_sixty_days() -> None:
    # Threshold 12 days: 3 × 12 = 36 < 60, so the floor of 60 days decides.
    assert one(overdue=True, days_since_last=59.0)[0] is Stage.AT_RISK
    assert one(overdue=True, days_since_last=61.0)[0] is Stage.LAPSED
    # Threshold 40 days: lapsed only after 120.
    assert one(overdue=True, overdue_threshold=40.0, days_since_last=119.0)[0] is Stage.AT_RISK
    assert one(overdue=True, overdue_threshold=40.0, days_since_last=121.0)[0] is Stage.LAPSED


def test_p_alive_moves_a_returning_customer_to_at_risk_or_lapsed() -> None:
    assert one(p_alive=0.49)[0] is Stage.AT_RISK
    assert one(p_alive=0.19)[0] is Stage.LAPSED
    assert one(p_alive=0.51)[0] is Stage.REGULAR


def test_p_alive_is_ignored_for_a_customer_seen_once_and_when_unknown() -> None:
    # A single visit says nothing about dropping out (BG/NBD gives such customers 1.0
    # whatever the absence, and a low value would be just as uninformed).
    stage, _ = one(visit_days=1, judged=False, days_since_last=10.0, p_alive=0.01)
    assert stage is Stage.DEVELOPING
    assert one(p_alive=float("nan"))[0] is Stage.REGULAR


def test_dissatisfied_wins_over_everything() -> None:
    assert one(dissatisfied=True, days_since_last=500.0)[0] is Stage.DISSATISFIED
    assert one(dissatisfied=True, age_days=2.0, visit_days=1, judged=False)[0] is (
        Stage.DISSATISFIED
    )


def test_a_lapsed_customer_who_comes_back_is_won_back_for_ninety_days() -> None:
    back = one(
        previous=int(Stage.LAPSED),
        previous_since_days=200.0,
        days_since_previous=1.0,
        days_since_last=0.5,
    )
    assert back == (Stage.WON_BACK, 0.0)
    # Next snapshot, 40 days on: still won back, since carried forward.
    assert one(previous=int(Stage.WON_BACK), previous_since_days=40.0, days_since_previous=1.0) == (
        Stage.WON_BACK,
        40.0,
    )
    # After 90 days as won back, a regular again.
    assert one(previous=int(Stage.WON_BACK), previous_since_days=91.0, days_since_previous=1.0)[
        0
    ] is (Stage.REGULAR)
    # Won back but overdue again: at risk.
    assert (
        one(
            previous=int(Stage.WON_BACK),
            previous_since_days=10.0,
            overdue=True,
            days_since_last=20.0,
        )[0]
        is Stage.AT_RISK
    )


def test_no_visit_since_the_last_snapshot_is_not_won_back() -> None:
    # Lapsed before, absent 30 days, the snapshot was a day ago: the horizons changed,
    # the customer did not come back.
    stage, _ = one(
        previous=int(Stage.LAPSED),
        previous_since_days=100.0,
        days_since_previous=1.0,
        days_since_last=30.0,
    )
    assert stage is Stage.REGULAR


def test_since_is_carried_when_the_stage_stays_and_reset_when_it_changes() -> None:
    assert one(previous=int(Stage.REGULAR), previous_since_days=33.0) == (Stage.REGULAR, 33.0)
    assert one(previous=int(Stage.DEVELOPING), previous_since_days=33.0) == (Stage.REGULAR, 0.0)


def test_many_customers_at_once_and_sizes() -> None:
    result = lifecycle_stages(
        visit_days=np.array([1, 10, 10, 2]),
        age_days=np.array([5.0, 300.0, 300.0, 100.0]),
        days_since_last=np.array([5.0, 2.0, 400.0, 10.0]),
        judged=np.array([False, True, True, False]),
        overdue=np.array([False, False, True, False]),
        overdue_threshold=np.array([0.0, 10.0, 10.0, 0.0]),
        dissatisfied=np.array([False, False, False, True]),
        horizons=HORIZONS,
    )
    assert result.stage.tolist() == [Stage.NEW, Stage.REGULAR, Stage.LAPSED, Stage.DISSATISFIED]
    sizes = result.sizes()
    assert sizes[Stage.NEW] == sizes[Stage.REGULAR] == sizes[Stage.LAPSED] == 1
    assert sizes[Stage.AT_RISK] == 0
    assert sum(sizes.values()) == 4


def test_no_customers() -> None:
    empty = np.zeros(0)
    result = lifecycle_stages(
        visit_days=empty,
        age_days=empty,
        days_since_last=empty,
        judged=empty.astype(bool),
        overdue=empty.astype(bool),
        overdue_threshold=empty,
        dissatisfied=empty.astype(bool),
        horizons=HORIZONS,
        p_alive=empty,
    )
    assert result.stage.size == 0
    assert sum(result.sizes().values()) == 0


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="age_days"):
        lifecycle_stages(
            visit_days=np.array([1, 2]),
            age_days=np.array([1.0]),
            days_since_last=np.array([1.0, 1.0]),
            judged=np.array([False, False]),
            overdue=np.array([False, False]),
            overdue_threshold=np.zeros(2),
            dissatisfied=np.array([False, False]),
            horizons=HORIZONS,
        )


def test_business_horizons_are_quantiles_of_gaps_within_bounds() -> None:
    gaps = np.arange(1, 101, dtype=float)  # 1..100 days
    h = business_horizons(gaps)
    # numpy's linear quantiles of 1..100: q80 = 80.2, q95 = 95.05.
    assert h.risk_days == pytest.approx(80.2)
    assert h.lapse_days == pytest.approx(160.4)  # at least twice the risk horizon
    daily = business_horizons(np.ones(50))
    assert (daily.risk_days, daily.lapse_days) == (HORIZON_BOUNDS[0], 2 * HORIZON_BOUNDS[0])
    assert business_horizons(np.zeros(0)) == Horizons(HORIZON_BOUNDS[0], HORIZON_BOUNDS[1])
    huge = business_horizons(np.full(10, 5000.0))
    assert (huge.risk_days, huge.lapse_days) == (HORIZON_BOUNDS[1], HORIZON_BOUNDS[1])


def test_flows_count_moves_and_newcomers() -> None:
    matrix = flows(
        np.array([Stage.REGULAR, Stage.REGULAR, -1, Stage.AT_RISK]),
        np.array([Stage.REGULAR, Stage.AT_RISK, Stage.NEW, Stage.LAPSED]),
    )
    assert matrix.shape == (len(Stage) + 1, len(Stage))
    assert matrix[Stage.REGULAR, Stage.REGULAR] == 1
    assert matrix[Stage.REGULAR, Stage.AT_RISK] == 1
    assert matrix[len(Stage), Stage.NEW] == 1
    assert matrix[Stage.AT_RISK, Stage.LAPSED] == 1
    assert matrix.sum() == 4
