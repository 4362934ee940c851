"""Uplift of an outreach experiment: arms against a holdout (or another arm).

Pure numpy/scipy: no Django, no other Regulars app. Callers count each group once
(customers, customers who came back, each customer's spend) and pass the counts or the
per-customer values; everything here is O(1) per group except :func:`spend`, which is
O(n) in the values it is given.

What is computed, all at 95 % unless told otherwise:

- a group's return rate with its Wilson score interval (``stats.wilson_interval``);
- the difference of two rates, arm − control, with Newcombe's hybrid score interval
  (Newcombe 1998, method 10), the relative uplift ``(p_arm − p_control) / p_control``
  and the two-sided p-value of the pooled two-proportion z-test (the same as Pearson's
  χ² test without continuity correction);
- mean spend per customer, customers who spent nothing included, with a Student-t
  interval (``stats.mean_interval``), and the difference of two means with Welch's
  interval. Spend is skewed (most customers spend nothing in a window, a few a lot):
  the t interval of a mean still holds for it once a group has a few dozen customers
  (central limit theorem; groups under ``stats.SMALL_SAMPLE`` are flagged), whereas a
  bootstrap would cost thousands of passes over 100,000 customers for a report that is
  opened interactively, and its answer would depend on a seed. Welch's form does not
  assume equal variances (a voucher arm's spend varies more than a holdout's);
- the customers per group needed to detect a difference at α = 0.05 with power 0.8
  (normal approximation for two proportions, Fleiss, Levin & Paik 2003, eq. 4.14
  without continuity correction, unequal groups allowed), and a verdict.

Every public function returns finite numbers or ``None`` for "no data"; NaN and
infinity never leave this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import special  # type: ignore[import-untyped]

from regulars.analytics.stats import (
    Interval,
    MeanEstimate,
    is_small_sample,
    mean_interval,
    normal_two_sided_p,
    t_quantile,
    t_two_sided_p,
    wilson_interval,
)

ALPHA = 0.05
"""Two-sided significance level of every test and interval here (95 % confidence)."""

POWER = 0.8
"""The chance of detecting a true difference of the size asked about."""

DEFAULT_MDE = 0.05
"""Minimum detectable effect: an absolute difference in return rate of 5 percentage
points, the smallest change a manager would act on."""


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p) of the standard normal distribution (``p`` in (0, 1))."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    return float(special.ndtri(p))


def _z(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return normal_quantile(1.0 - alpha / 2.0)


# --- one group -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    """``successes`` of ``n`` customers came back. ``rate`` and ``ci`` (Wilson) are
    ``None`` when ``n`` is 0; ``small_sample`` when ``n`` < ``stats.SMALL_SAMPLE``."""

    successes: int
    n: int
    rate: float | None
    ci: Interval | None
    small_sample: bool


def rate(successes: int, n: int, *, alpha: float = ALPHA) -> Rate:
    """A return rate with its Wilson score interval.

    Raises ``ValueError`` for ``n < 0`` or ``successes`` outside ``0..n``. Example:
    81 of 263 gives 0.3080 with [0.2553, 0.3662] (Newcombe 1998, table I, method 3).
    """
    ci = wilson_interval(successes, n, z=_z(alpha))
    return Rate(
        successes=successes,
        n=n,
        rate=successes / n if n else None,
        ci=ci,
        small_sample=is_small_sample(n),
    )


def spend(values: npt.ArrayLike, *, alpha: float = ALPHA) -> MeanEstimate:
    """Mean spend per customer with its t interval: one value per customer, 0 for a
    customer who spent nothing (leaving them out would measure spend per buyer, not
    per customer). NaN is dropped as missing; ±infinity raises ``ValueError``.

    When no value is negative (no refunds), the interval's lower end is raised to 0:
    a mean of non-negative amounts cannot be below it, and the symmetric t interval
    of a small, skewed group would otherwise say so."""
    estimate = mean_interval(values, confidence=1.0 - alpha)
    ci = estimate.ci
    if ci is not None and ci.low < 0 and not (np.asarray(values, dtype=np.float64) < 0).any():
        return replace(estimate, ci=Interval(0.0, ci.high))
    return estimate


# --- two groups -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateDifference:
    """Arm − control, in proportion units (0.05 = 5 percentage points).

    ``ci``: Newcombe's hybrid score interval; ``relative``: the difference over the
    control's rate (``None`` when that is 0); ``p_value``: two-sided pooled z-test.
    Everything is ``None`` when either group has no customers.
    """

    difference: float | None
    ci: Interval | None
    relative: float | None
    p_value: float | None


def rate_difference(arm: Rate, control: Rate, *, alpha: float = ALPHA) -> RateDifference:
    """The difference of two return rates (Newcombe 1998, method 10).

    With Wilson intervals ``[l₁, u₁]`` of the arm and ``[l₀, u₀]`` of the control and
    ``d = p₁ − p₀``: ``low = d − √((p₁ − l₁)² + (u₀ − p₀)²)``,
    ``high = d + √((u₁ − p₁)² + (p₀ − l₀)²)``. It stays within [−1, 1], is not
    degenerate at 0 or n successes, and its coverage is close to nominal even for
    small groups. Example: 56/70 against 48/80 gives 0.2 with [0.0524, 0.3339].

    The p-value is that of ``z = d / √(p̄(1 − p̄)(1/n₁ + 1/n₀))`` with the pooled rate
    ``p̄``; when nobody or everybody came back in both groups ``z`` is undefined, the
    groups do not differ at all, and the p-value is 1.
    """
    z = _z(alpha)
    ci1 = wilson_interval(arm.successes, arm.n, z=z)
    ci0 = wilson_interval(control.successes, control.n, z=z)
    if ci1 is None or ci0 is None or arm.rate is None or control.rate is None:  # n = 0
        return RateDifference(difference=None, ci=None, relative=None, p_value=None)
    p1, p0 = arm.rate, control.rate
    d = p1 - p0
    low = d - math.hypot(p1 - ci1.low, ci0.high - p0)
    high = d + math.hypot(ci1.high - p1, p0 - ci0.low)
    pooled = (arm.successes + control.successes) / (arm.n + control.n)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / arm.n + 1.0 / control.n))
    p_value = normal_two_sided_p(d / se) if se > 0 else 1.0
    return RateDifference(
        difference=d,
        ci=Interval(max(-1.0, low), min(1.0, high)),
        relative=d / p0 if p0 > 0 else None,
        p_value=p_value,
    )


@dataclass(frozen=True, slots=True)
class MeanDifference:
    """Arm − control of mean spend per customer, in the unit of the values.

    ``ci`` and ``p_value`` (Welch) are ``None`` when either group has fewer than two
    customers, or when neither group's spend varies (every customer spent the same:
    the difference is then exact for these customers, but says nothing about others).
    ``df``: the Welch–Satterthwaite degrees of freedom, ``None`` with ``ci``.
    """

    difference: float | None
    ci: Interval | None
    p_value: float | None
    df: float | None


def mean_difference(
    arm: MeanEstimate, control: MeanEstimate, *, alpha: float = ALPHA
) -> MeanDifference:
    """Welch's interval for the difference of two means (Welch 1947).

    ``d ± t(1 − α/2, ν) · √(s₁²/n₁ + s₀²/n₀)`` with
    ``ν = (s₁²/n₁ + s₀²/n₀)² / ((s₁²/n₁)²/(n₁ − 1) + (s₀²/n₀)²/(n₀ − 1))``.
    """
    if arm.mean is None or control.mean is None:
        return MeanDifference(difference=None, ci=None, p_value=None, df=None)
    d = arm.mean - control.mean
    if arm.sd is None or control.sd is None:  # n < 2 on a side
        return MeanDifference(difference=d, ci=None, p_value=None, df=None)
    a = arm.sd**2 / arm.n
    b = control.sd**2 / control.n
    se2 = a + b
    if not se2 > 0:
        return MeanDifference(difference=d, ci=None, p_value=None, df=None)
    df = se2 * se2 / (a * a / (arm.n - 1) + b * b / (control.n - 1))
    se = math.sqrt(se2)
    half = t_quantile(1.0 - alpha / 2.0, df) * se
    p = float(t_two_sided_p(np.array([d / se]), np.array([df]))[0])
    return MeanDifference(difference=d, ci=Interval(d - half, d + half), p_value=p, df=df)


# --- sample size and verdict -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SampleSize:
    """Customers needed in the arm and in the control group (mature ones: whose window
    has passed) to detect a given difference."""

    arm: int
    control: int


def sample_size(
    p_control: float,
    p_arm: float,
    *,
    ratio: float = 1.0,
    alpha: float = ALPHA,
    power: float = POWER,
) -> SampleSize | None:
    """Customers per group to detect ``p_arm − p_control`` with a two-sided test at
    ``alpha`` and the given ``power`` (normal approximation, no continuity correction).

    ``ratio`` is control customers per arm customer (a 10 % holdout against one 90 % arm
    is 1/9). With ``r = ratio``, ``p̄ = (p₁ + r·p₀)/(1 + r)`` and ``Δ = p₁ − p₀``:
    ``n_arm = [z(1−α/2)·√(p̄q̄(1 + 1/r)) + z(power)·√(p₁q₁ + p₀q₀/r)]² / Δ²``,
    ``n_control = r·n_arm``, each rounded up (Fleiss, Levin & Paik 2003, eq. 4.14 for
    r = 1). Example: 0.10 against 0.12 in equal groups needs 3,841 each.

    ``None`` when the two rates are equal (no finite size detects no difference).
    Raises ``ValueError`` for rates outside [0, 1] or a non-positive ratio.
    """
    for p in (p_control, p_arm):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"rates must be in [0, 1], got {p}")
    if not ratio > 0 or not math.isfinite(ratio):
        raise ValueError(f"ratio must be positive, got {ratio}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")
    delta = p_arm - p_control
    if delta == 0:
        return None
    pooled = (p_arm + ratio * p_control) / (1.0 + ratio)
    under_null = _z(alpha) * math.sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / ratio))
    under_alt = normal_quantile(power) * math.sqrt(
        p_arm * (1.0 - p_arm) + p_control * (1.0 - p_control) / ratio
    )
    n_arm = (under_null + under_alt) ** 2 / (delta * delta)
    # A hair below an integer is that integer (floating point), not the next one.
    arm = max(1, math.ceil(n_arm - 1e-9))
    return SampleSize(arm=arm, control=max(1, math.ceil(ratio * n_arm - 1e-9)))


class Verdict(StrEnum):
    NOT_ENOUGH_DATA = "not_enough_data"  # keep going: the groups are too small to tell
    ARM_BETTER = "arm_better"  # more customers came back with the arm
    ARM_WORSE = "arm_worse"  # fewer customers came back with the arm
    NO_DIFFERENCE = "no_difference"  # large enough to see the MDE, and nothing shows


@dataclass(frozen=True, slots=True)
class Decision:
    """What the experiment says about one arm against its control.

    ``for_observed``: customers per group needed to detect the difference seen so far
    (``None`` without data or when it is exactly 0); ``for_mde``: the same for the
    minimum detectable effect ``mde`` (``None`` without control data).
    ``more_arm`` / ``more_control``: how many more customers each group needs to reach
    ``for_mde`` (0 when it has enough; ``None`` when ``for_mde`` is ``None``).
    """

    verdict: Verdict
    mde: float
    for_observed: SampleSize | None
    for_mde: SampleSize | None
    more_arm: int | None
    more_control: int | None


def decide(
    arm: Rate,
    control: Rate,
    *,
    mde: float = DEFAULT_MDE,
    ratio: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> Decision:
    """The verdict on an arm against its control, from their return rates.

    - ``ARM_BETTER`` / ``ARM_WORSE``: the interval of the difference
      (:func:`rate_difference`) lies wholly above / below 0 (the verdict follows the
      interval shown, not the p-value, which may disagree at the margin);
    - ``NO_DIFFERENCE``: it contains 0 and both groups are at least as large as
      needed to detect a difference of ``mde`` (absolute, e.g. 0.05) from the
      control's rate: a difference that large would very likely have shown;
    - ``NOT_ENOUGH_DATA`` otherwise, with the customers still missing.

    ``ratio`` (control per arm customer) defaults to the groups' present sizes, or 1
    while either is empty. The MDE is sized upwards from the control's rate, downwards
    when that would pass 1.
    """
    if not 0.0 < mde < 1.0:
        raise ValueError(f"mde must be in (0, 1), got {mde}")
    if ratio is None:
        ratio = control.n / arm.n if arm.n and control.n else 1.0
    difference = rate_difference(arm, control, alpha=alpha)
    for_observed = None
    for_mde = None
    if control.rate is not None:
        target = control.rate + mde if control.rate + mde <= 1.0 else control.rate - mde
        if 0.0 <= target <= 1.0:
            for_mde = sample_size(control.rate, target, ratio=ratio, alpha=alpha, power=power)
        if arm.rate is not None:
            for_observed = sample_size(
                control.rate, arm.rate, ratio=ratio, alpha=alpha, power=power
            )
    more_arm = max(0, for_mde.arm - arm.n) if for_mde else None
    more_control = max(0, for_mde.control - control.n) if for_mde else None
    if difference.ci is not None and difference.ci.low > 0:
        verdict = Verdict.ARM_BETTER
    elif difference.ci is not None and difference.ci.high < 0:
        verdict = Verdict.ARM_WORSE
    elif difference.ci is not None and more_arm == 0 and more_control == 0:
        verdict = Verdict.NO_DIFFERENCE
    else:
        verdict = Verdict.NOT_ENOUGH_DATA
    return Decision(
        verdict=verdict,
        mde=mde,
        for_observed=for_observed,
        for_mde=for_mde,
        more_arm=more_arm,
        more_control=more_control,
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """An arm against its control: return rates, spend (when given) and the verdict."""

    rate: RateDifference
    spend: MeanDifference | None
    decision: Decision


def compare(
    arm: Rate,
    control: Rate,
    *,
    arm_spend: MeanEstimate | None = None,
    control_spend: MeanEstimate | None = None,
    mde: float = DEFAULT_MDE,
    ratio: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> Comparison:
    """:func:`rate_difference`, :func:`mean_difference` (when both spends are given)
    and :func:`decide`, in one call."""
    spend_difference = (
        mean_difference(arm_spend, control_spend, alpha=alpha)
        if arm_spend is not None and control_spend is not None
        else None
    )
    return Comparison(
        rate=rate_difference(arm, control, alpha=alpha),
        spend=spend_difference,
        decision=decide(arm, control, mde=mde, ratio=ratio, alpha=alpha, power=power),
    )
