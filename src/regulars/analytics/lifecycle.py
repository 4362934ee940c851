"""Lifecycle stages: new, developing, regular, at risk, lapsed, dissatisfied, won back.

One stage per customer from their own rhythm (``analytics.rhythm``), the probability
that they are still a customer (``analytics.clv``, when the data carry a model), whether
a complaint or a detractor's answer is still unrecovered, and the stage they had at the
previous snapshot (for "won back" and to keep the date a stage began).

Inputs are per-customer arrays, aligned (one row per customer):

- ``visit_days``: distinct local days with a visit (``Rhythm.visit_days``);
- ``age_days``: days since the first visit; ``days_since_last``: days since the last;
- ``judged``/``overdue``/``overdue_threshold``: from ``Rhythm`` (the customer's own
  habit; judged from ``MIN_GAPS`` gaps on);
- ``p_alive``: P(still a customer) from a fitted model, or ``None`` when the business
  has too little data for one (then the rules use days only); NaN rows count as unknown;
- ``repeat``: whether the customer has come back at least once (the models say little
  about a customer seen once: BG/NBD even gives them P(alive) = 1);
- ``dissatisfied``: an unrecovered complaint or detractor;
- ``previous``/``previous_since_days``: the stage at the last snapshot (``-1``: none) and
  how many days ago that stage began; ``days_since_previous``: how long ago that
  snapshot was taken (a lapsed customer is won back only by a visit after it, not by a
  change of the business horizons).

Business-wide, ``lapse_days`` is the absence after which a customer without a judged
rhythm counts as lapsed and ``risk_days`` the one after which they are at risk (the
caller derives both from the returning customers' gaps with :func:`business_horizons`).

Rules, first match wins:

==================  ====================================================================
``DISSATISFIED``    ``dissatisfied``
``LAPSED``          judged: absent more than ``LAPSE_FACTOR`` × their overdue threshold
                    and at least ``MIN_LAPSE_DAYS``; or, with a model, P(alive) below
                    ``LAPSED_P_ALIVE`` after a repeat visit; not judged: absent more than
                    ``lapse_days``
``NEW``             first visit at most ``NEW_WITHIN_DAYS`` ago
``AT_RISK``         judged and overdue; or, with a model, P(alive) below ``AT_RISK_P_ALIVE``
                    after a repeat visit; not judged: absent more than ``risk_days``
``WON_BACK``        lapsed at the previous snapshot and a visit since, or won back less than
                    ``WON_BACK_DAYS`` ago (and nothing above applies)
``REGULAR``         a judged rhythm (``rhythm.MIN_GAPS`` + 1 visit days or more) they keep to
``DEVELOPING``      the rest: a second or third visit day, or one visit not yet overdue
==================  ====================================================================

A return or an exchange is service, not a visit and not a complaint: it changes no stage.
``since_days`` is 0 for a customer whose stage changed (it begins now) and carries the
previous value forward otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from regulars.analytics.stats import FloatArray

BoolArray = npt.NDArray[np.bool_]
Int8Array = npt.NDArray[np.int8]

NEW_WITHIN_DAYS = 30.0
"""A customer is new for this many days after their first visit."""

MIN_LAPSE_DAYS = 60.0
"""A customer with a rhythm is never lapsed sooner than this many days after a visit
(three missed daily coffees are a holiday, not a lost customer)."""

LAPSE_FACTOR = 3.0
"""Lapsed after this many times the customer's own overdue threshold."""

AT_RISK_P_ALIVE = 0.5
"""Below this P(alive), a returning customer is at risk whatever their rhythm says."""

LAPSED_P_ALIVE = 0.2
"""Below this P(alive), a returning customer is lapsed."""

WON_BACK_DAYS = 90.0
"""A won-back customer stays "won back" this many days unless they slip again."""

LAPSE_QUANTILE = 0.95
"""``lapse_days``: this quantile of the returning customers' typical gaps …"""

RISK_QUANTILE = 0.80
"""… and ``risk_days`` this one: an absence longer than most customers' habit."""

HORIZON_BOUNDS = (30.0, 730.0)
"""Business horizons are kept within a month and two years whatever the data say."""


class Stage(IntEnum):
    """Lifecycle stages; the lower-cased name is the identifier a UI translates."""

    NEW = 0
    DEVELOPING = 1
    REGULAR = 2
    AT_RISK = 3
    LAPSED = 4
    DISSATISFIED = 5
    WON_BACK = 6


@dataclass(frozen=True, slots=True, eq=False)
class Stages:
    """One stage per input row (``Stage`` codes) and how many days ago it began."""

    stage: Int8Array
    since_days: FloatArray

    def sizes(self) -> dict[Stage, int]:
        """Customers per stage (zeros included), in ``Stage`` order."""
        counts = np.bincount(self.stage, minlength=len(Stage))
        return {s: int(counts[s]) for s in Stage}


@dataclass(frozen=True, slots=True)
class Horizons:
    """Business-wide absences (days) after which a customer without a judged rhythm is
    at risk and lapsed."""

    risk_days: float
    lapse_days: float


def business_horizons(gap_days: npt.ArrayLike) -> Horizons:
    """``risk_days`` and ``lapse_days`` from the typical gaps (days) between visit days of
    the returning customers (each one's median gap, so that a daily regular counts
    once, not a hundred times): the ``RISK_QUANTILE`` and ``LAPSE_QUANTILE`` quantiles, kept
    within ``HORIZON_BOUNDS`` (and lapse ≥ 2 × risk). Without any gap, the bounds' ends
    (a month at risk, two years lapsed)."""
    gaps = np.asarray(gap_days, dtype=np.float64).ravel()
    gaps = gaps[np.isfinite(gaps) & (gaps > 0)]
    lo, hi = HORIZON_BOUNDS
    if gaps.size == 0:
        return Horizons(risk_days=lo, lapse_days=hi)
    risk, lapse = np.quantile(gaps, [RISK_QUANTILE, LAPSE_QUANTILE])
    risk_days = float(np.clip(risk, lo, hi))
    lapse_days = float(np.clip(max(lapse, 2.0 * risk_days), lo, hi))
    return Horizons(risk_days=risk_days, lapse_days=max(lapse_days, risk_days))


def _aligned(values: npt.ArrayLike, n: int, name: str, dtype: type) -> npt.NDArray[np.generic]:
    array: npt.NDArray[np.generic] = np.asarray(values, dtype=dtype).ravel()
    if array.size != n:
        raise ValueError(f"{name} must have one entry per customer ({array.size} != {n})")
    return array


def lifecycle_stages(
    *,
    visit_days: npt.ArrayLike,
    age_days: npt.ArrayLike,
    days_since_last: npt.ArrayLike,
    judged: npt.ArrayLike,
    overdue: npt.ArrayLike,
    overdue_threshold: npt.ArrayLike,
    dissatisfied: npt.ArrayLike,
    horizons: Horizons,
    p_alive: npt.ArrayLike | None = None,
    previous: npt.ArrayLike | None = None,
    previous_since_days: npt.ArrayLike | None = None,
    days_since_previous: float = 0.0,
) -> Stages:
    """Every customer's :class:`Stage` by the rules in the module docstring.

    ``previous`` holds ``Stage`` codes or −1 (no earlier snapshot) and
    ``previous_since_days`` the age of that stage in days (both optional together);
    ``days_since_previous`` is the age of that snapshot in days.
    Raises ``ValueError`` on arrays of different lengths.
    """
    days = np.asarray(visit_days, dtype=np.int64).ravel()
    n = days.size
    age = np.asarray(_aligned(age_days, n, "age_days", np.float64), dtype=np.float64)
    absent = np.asarray(
        _aligned(days_since_last, n, "days_since_last", np.float64), dtype=np.float64
    )
    is_judged = np.asarray(_aligned(judged, n, "judged", bool), dtype=bool)
    is_overdue = np.asarray(_aligned(overdue, n, "overdue", bool), dtype=bool) & is_judged
    threshold = np.asarray(
        _aligned(overdue_threshold, n, "overdue_threshold", np.float64), dtype=np.float64
    )
    unhappy = np.asarray(_aligned(dissatisfied, n, "dissatisfied", bool), dtype=bool)
    if previous is None:
        before = np.full(n, -1, dtype=np.int64)
        before_since = np.zeros(n, dtype=np.float64)
    else:
        before = np.asarray(_aligned(previous, n, "previous", np.int64), dtype=np.int64)
        if previous_since_days is None:
            raise ValueError("previous_since_days must come with previous")
        before_since = np.asarray(
            _aligned(previous_since_days, n, "previous_since_days", np.float64),
            dtype=np.float64,
        )

    repeat = days >= 2
    if p_alive is None:
        low_alive = np.zeros(n, dtype=bool)
        very_low_alive = np.zeros(n, dtype=bool)
    else:
        alive = np.asarray(_aligned(p_alive, n, "p_alive", np.float64), dtype=np.float64)
        known = np.isfinite(alive) & repeat
        low_alive = known & (alive < AT_RISK_P_ALIVE)
        very_low_alive = known & (alive < LAPSED_P_ALIVE)

    lapse_after = np.maximum(LAPSE_FACTOR * threshold, MIN_LAPSE_DAYS)
    lapsed = np.where(is_judged, absent > lapse_after, absent > horizons.lapse_days)
    lapsed |= very_low_alive
    at_risk = np.where(is_judged, is_overdue, absent > horizons.risk_days) | low_alive
    new = age <= NEW_WITHIN_DAYS
    was_lapsed = (before == Stage.LAPSED) & (absent < days_since_previous)
    still_won_back = (before == Stage.WON_BACK) & (before_since < WON_BACK_DAYS)
    regular = is_judged

    stage = np.select(
        [unhappy, lapsed, new, at_risk, was_lapsed | still_won_back, regular],
        [
            Stage.DISSATISFIED,
            Stage.LAPSED,
            Stage.NEW,
            Stage.AT_RISK,
            Stage.WON_BACK,
            Stage.REGULAR,
        ],
        default=Stage.DEVELOPING,
    ).astype(np.int8)
    since = np.where(stage == before, before_since, 0.0)
    return Stages(stage=stage, since_days=since.astype(np.float64))


def flows(previous: npt.ArrayLike, current: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Customers moving between stages: a ``(len(Stage) + 1) × len(Stage)`` matrix whose
    cell ``[i, j]`` counts customers in stage i before and j now; the last row counts
    customers who had no stage before (−1: first seen in this snapshot)."""
    before = np.asarray(previous, dtype=np.int64).ravel()
    now = np.asarray(current, dtype=np.int64).ravel()
    if before.size != now.size:
        raise ValueError("previous and current must have one entry per customer")
    k = len(Stage)
    row = np.where(before < 0, k, before)
    return np.bincount(row * k + now, minlength=(k + 1) * k).reshape(k + 1, k).astype(np.int64)


__all__ = [
    "Horizons",
    "Stage",
    "Stages",
    "business_horizons",
    "flows",
    "lifecycle_stages",
]
