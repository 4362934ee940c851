from __future__ import annotations

import math

import numpy as np
import pytest

from regulars.analytics.loyalty_link import loyalty_link
from tests.analytics import assert_all_finite

# level -> (answers, returned)
TABLE = {1: (10, 2), 2: (20, 8), 3: (10, 7)}


def _rows() -> tuple[list[int], list[bool | None]]:
    levels: list[int] = []
    returned: list[bool | None] = []
    for level, (n, r) in TABLE.items():
        levels += [level] * n
        returned += [True] * r + [False] * (n - r)
    # Two customers whose 90-day window is still open.
    return [*levels, 3, 1], [*returned, None, None]


def test_it_reports_return_rates_per_level_and_skips_pending_windows() -> None:
    result = loyalty_link(*_rows())
    assert (result.n, result.pending) == (40, 2)
    assert [(lv.level, lv.n, lv.returned) for lv in result.levels] == [
        (1, 10, 2),
        (2, 20, 8),
        (3, 10, 7),
    ]
    assert result.levels[2].rate == pytest.approx(0.7)
    assert result.levels[0].ci is not None
    # Wilson 2/10 at 95 %: 0.0567 to 0.5098
    assert result.levels[0].ci.low == pytest.approx(0.0567, abs=1e-4)
    assert result.levels[0].ci.high == pytest.approx(0.5098, abs=1e-4)


def test_it_matches_a_hand_computed_chi_square_and_trend_test() -> None:
    big_n = sum(n for n, _ in TABLE.values())
    big_r = sum(r for _, r in TABLE.values())
    p_bar = big_r / big_n
    chi = 0.0
    for n, r in TABLE.values():
        for observed, expected in ((r, n * p_bar), (n - r, n * (1 - p_bar))):
            chi += (observed - expected) ** 2 / expected
    scores = {1: 0, 2: 1, 3: 2}
    stat = sum(scores[lv] * (r - n * p_bar) for lv, (n, r) in TABLE.items())
    s1 = sum(n * scores[lv] for lv, (n, _) in TABLE.items())
    s2 = sum(n * scores[lv] ** 2 for lv, (n, _) in TABLE.items())
    z = stat / math.sqrt(p_bar * (1 - p_bar) * (s2 - s1 * s1 / big_n))

    result = loyalty_link(*_rows())

    assert result.chi_square == pytest.approx(chi)
    assert result.chi_square_df == 2
    assert result.chi_square_p == pytest.approx(math.exp(-chi / 2))  # chi-square, 2 df
    assert result.min_expected == pytest.approx(10 * p_bar)
    assert result.trend_z == pytest.approx(z)
    assert result.trend_p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert result.trend_z is not None
    assert result.trend_z > 0


def test_it_orders_named_levels_and_reports_empty_ones() -> None:
    levels = ["promoter", "detractor", "promoter", "detractor", "promoter", "detractor"]
    returned = np.array([1, 0, 1, 1, -1, 0])
    result = loyalty_link(levels, returned, order=["detractor", "passive", "promoter"])
    assert [(lv.level, lv.n, lv.returned) for lv in result.levels] == [
        ("detractor", 3, 1),
        ("passive", 0, 0),
        ("promoter", 2, 2),
    ]
    assert (result.levels[1].rate, result.levels[1].ci) == (None, None)
    assert result.chi_square_df == 1
    assert result.pending == 1
    assert_all_finite(result)


def test_it_leaves_the_tests_out_when_everybody_returned() -> None:
    result = loyalty_link([1, 2, 3], [True, True, True])
    assert (result.chi_square, result.chi_square_p, result.trend_z, result.trend_p) == (
        None,
        None,
        None,
        None,
    )


def test_it_gives_no_rates_for_empty_or_all_pending_input() -> None:
    empty = loyalty_link([], [])
    assert (empty.n, empty.levels, empty.chi_square) == (0, (), None)
    pending = loyalty_link([4, 5], [None, None], order=[4, 5])
    assert (pending.n, pending.pending) == (0, 2)
    assert all(lv.rate is None for lv in pending.levels)


def test_it_accepts_nan_as_pending() -> None:
    result = loyalty_link([1, 1, 2], np.array([1.0, math.nan, 0.0]))
    assert (result.n, result.pending) == (2, 1)


def test_it_rejects_unknown_levels_and_odd_return_flags() -> None:
    with pytest.raises(ValueError, match="not in order"):
        loyalty_link([1, 9], [True, False], order=[1, 2])
    with pytest.raises(ValueError, match="True/False"):
        loyalty_link([1, 2], [2, 0])
