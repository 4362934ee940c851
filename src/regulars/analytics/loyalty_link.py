"""The satisfaction → loyalty link: do more satisfied customers come back more often?

Per ordered satisfaction level (CSAT 1..5, NPS category, …) the 90-day return rate with
its Wilson interval, a Pearson chi-square test of independence and a Cochran–Armitage
test for a linear trend across the ordered levels.

Pure numpy/scipy. Cost: O(n) vectorised plus one ``np.unique`` on the level labels (a
sort; integer levels of 5 M rows take a fraction of a second).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from regulars.analytics.stats import (
    Z_95,
    Interval,
    chi2_sf,
    factorize,
    is_small_sample,
    normal_two_sided_p,
    wilson_interval,
)


@dataclass(frozen=True, slots=True)
class LevelReturn:
    """Customers at one satisfaction level whose 90-day window has passed.

    ``rate``: returned / n in [0, 1] with its 95 % Wilson interval; ``None`` when n = 0.
    """

    level: int | str
    n: int
    returned: int
    rate: float | None
    ci: Interval | None
    small_sample: bool


@dataclass(frozen=True, slots=True)
class LoyaltyLinkResult:
    """Return rates by satisfaction level and the two tests of association.

    ``n``: responses used; ``pending``: responses left out because their 90-day window
    has not yet passed. ``chi_square``/``chi_square_df``/``chi_square_p``: Pearson's
    χ² test of independence on the 2 × L table of levels with answers (df = L − 1);
    ``min_expected``: the smallest expected cell count (below 5 the χ² approximation is
    doubtful; Cochran 1954). ``trend_z``/``trend_p``: Cochran–Armitage statistic and
    two-sided p-value, positive z = higher levels return more. All tests are ``None``
    with fewer than two levels with answers, or when nobody / everybody returned.
    """

    levels: tuple[LevelReturn, ...]
    n: int
    pending: int
    chi_square: float | None
    chi_square_df: int | None
    chi_square_p: float | None
    min_expected: float | None
    trend_z: float | None
    trend_p: float | None


def _returned_flags(
    returned: npt.ArrayLike | Sequence[bool | int | float | None],
) -> tuple[npt.NDArray[np.int64], int]:
    """Map ``returned`` to 1/0, with −1 for pending (None, NaN or −1). Others raise."""
    r = np.asarray(returned)
    if r.dtype == object:
        pending = np.frompyfunc(lambda v: v is None, 1, 1)(r).astype(np.bool_)
        r = np.where(pending, -1, r).astype(np.float64)
    else:
        r = r.astype(np.float64)
    r = np.where(np.isnan(r), -1.0, r)
    if not np.isin(r, (-1.0, 0.0, 1.0)).all():
        raise ValueError("returned must be True/False (1/0), or None/-1/NaN when pending")
    flags = r.astype(np.int64)
    return flags, int((flags < 0).sum())


def loyalty_link(
    levels: npt.ArrayLike,
    returned: npt.ArrayLike | Sequence[bool | int | float | None],
    order: Sequence[int | str] | None = None,
) -> LoyaltyLinkResult:
    """Return rate by satisfaction level, χ² independence and Cochran–Armitage trend tests.

    ``levels``: per-response satisfaction level (int or str labels). ``returned``: per
    response True/False (or 1/0) for "came back within 90 days"; ``None``, NaN or −1
    means the window has not passed and the response is excluded. ``order``: the levels
    from least to most satisfied (e.g. ``["detractor", "passive", "promoter"]``); by
    default the sorted distinct levels. Every level in ``order`` is reported, also with
    n = 0; a level missing from ``order`` raises ``ValueError``.

    Trend test (Armitage 1955): scores t_i = position of the level in ``order`` (0, 1, …),
    ``T = Σ t_i (r_i − n_i p̄)``, ``Var T = p̄(1 − p̄)(Σ n_i t_i² − (Σ n_i t_i)² / N)``,
    ``z = T / √Var T``.
    """
    lv = np.asarray(levels).ravel()
    flags, pending = _returned_flags(returned)
    flags = flags.ravel()
    if lv.shape != flags.shape:
        raise ValueError(f"levels {lv.shape} and returned {flags.shape} differ in length")
    keep = flags >= 0
    lv, flags = lv[keep], flags[keep]

    observed, inverse = factorize(lv)
    observed_labels = [v.item() for v in observed]
    ordered: list[int | str] = list(order) if order is not None else observed_labels
    position = {label: i for i, label in enumerate(ordered)}
    if len(position) != len(ordered):
        raise ValueError("order lists a level twice")
    missing = [label for label in observed_labels if label not in position]
    if missing:
        raise ValueError(f"levels not in order: {missing[:5]}")
    to_position = np.array([position[label] for label in observed_labels], dtype=np.int64)
    idx = to_position[inverse] if lv.size else np.zeros(0, dtype=np.int64)
    size = len(ordered)
    n_i = np.bincount(idx, minlength=size).astype(np.int64)
    r_i = np.bincount(idx, weights=flags, minlength=size).astype(np.int64)

    rows = tuple(
        LevelReturn(
            level=ordered[i],
            n=int(n_i[i]),
            returned=int(r_i[i]),
            rate=float(r_i[i] / n_i[i]) if n_i[i] else None,
            ci=wilson_interval(int(r_i[i]), int(n_i[i]), Z_95),
            small_sample=is_small_sample(int(n_i[i])),
        )
        for i in range(size)
    )

    big_n = int(n_i.sum())
    big_r = int(r_i.sum())
    used = n_i > 0
    chi = df = chi_p = min_exp = z = trend_p = None
    if used.sum() >= 2 and 0 < big_r < big_n:
        n_u, r_u = n_i[used].astype(np.float64), r_i[used].astype(np.float64)
        p_bar = big_r / big_n
        expected_yes, expected_no = n_u * p_bar, n_u * (1 - p_bar)
        chi = float(
            np.sum((r_u - expected_yes) ** 2 / expected_yes)
            + np.sum(((n_u - r_u) - expected_no) ** 2 / expected_no)
        )
        df = int(used.sum()) - 1
        chi_p = chi2_sf(chi, df)
        min_exp = float(min(expected_yes.min(), expected_no.min()))

        t = np.flatnonzero(used).astype(np.float64)
        stat = float(np.sum(t * (r_u - n_u * p_bar)))
        var = p_bar * (1 - p_bar) * float(np.sum(n_u * t * t) - np.sum(n_u * t) ** 2 / big_n)
        if var > 0:
            z = stat / math.sqrt(var)
            trend_p = normal_two_sided_p(z)

    return LoyaltyLinkResult(
        levels=rows,
        n=big_n,
        pending=pending,
        chi_square=chi,
        chi_square_df=df,
        chi_square_p=chi_p,
        min_expected=min_exp,
        trend_z=z,
        trend_p=trend_p,
    )
