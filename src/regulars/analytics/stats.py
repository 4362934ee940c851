"""Statistical building blocks shared by the feedback analytics.

Pure numpy/scipy: no Django, no other Regulars app. Every public function either returns
finite numbers or ``None`` for "no data"; NaN and infinity never leave this module.

Distribution functions come from ``scipy.special`` (Cephes) behind small typed wrappers,
so the rest of the package stays ``mypy --strict`` clean without scipy stubs.

Cost: every function here is O(n) in its input and vectorised; the array helpers
(``mean_intervals``, ``welch_t_test``) take per-group sufficient statistics, so callers
aggregate rows once with ``np.bincount`` and pay O(groups) afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SMALL_SAMPLE = 30
"""Below this many answers a figure is flagged as a small sample (normal approximations
and the t interval lean on the central limit theorem; 30 is the usual rule of thumb)."""

Z_95 = 1.959963984540054
"""Two-sided 95 % standard-normal critical value, Φ⁻¹(0.975)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed confidence interval ``[low, high]`` in the unit of the estimate."""

    low: float
    high: float


@dataclass(frozen=True, slots=True)
class MeanEstimate:
    """A sample mean with its t-based confidence interval.

    ``n``: number of finite values used. ``mean``: arithmetic mean, ``None`` when n = 0.
    ``sd``: sample standard deviation (ddof = 1), ``None`` when n < 2.
    ``ci``: ``mean ± t(1 − α/2, n − 1) · sd / √n``, ``None`` when n < 2; it collapses to
    ``[mean, mean]`` when every value is identical. ``small_sample``: n < ``SMALL_SAMPLE``.
    """

    n: int
    mean: float | None
    sd: float | None
    ci: Interval | None
    small_sample: bool


def is_small_sample(n: int) -> bool:
    """True when ``n`` answers are fewer than ``SMALL_SAMPLE`` (30)."""
    return n < SMALL_SAMPLE


# --- distribution functions (typed wrappers around scipy.special) -----------------------


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with ``df`` > 0 degrees of freedom (``p`` in (0, 1))."""
    return float(special.stdtrit(df, p))


def t_quantiles(p: float, df: FloatArray) -> FloatArray:
    """Vectorised :func:`t_quantile` over an array of degrees of freedom (all > 0)."""
    return np.asarray(special.stdtrit(df, p), dtype=np.float64)


def t_two_sided_p(t: FloatArray, df: FloatArray) -> FloatArray:
    """Two-sided p-value ``2 · P(T_df > |t|)``, vectorised; ``df`` may be fractional."""
    return np.asarray(2.0 * special.stdtr(df, -np.abs(t)), dtype=np.float64)


def f_sf(f: float, dfn: float, dfd: float) -> float:
    """Upper tail ``P(F(dfn, dfd) > f)`` of Fisher's F distribution."""
    return float(special.fdtrc(dfn, dfd, f))


def f_quantile(p: float, dfn: float, dfd: float) -> float:
    """Quantile of Fisher's F distribution (``p`` in (0, 1))."""
    return float(special.fdtri(dfn, dfd, p))


def chi2_sf(x: float, df: float) -> float:
    """Upper tail ``P(χ²_df > x)``."""
    return float(special.chdtrc(df, x))


def normal_two_sided_p(z: float) -> float:
    """Two-sided standard-normal p-value ``2 · Φ(−|z|)``."""
    return float(2.0 * special.ndtr(-abs(z)))


# --- intervals ---------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = 1.96) -> Interval | None:
    """Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).

    ``centre = (p̂ + z²/2n) / (1 + z²/n)``,
    ``half = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)``.

    Units: proportions in [0, 1]. Returns ``None`` when ``n`` is 0 (no data). Unlike the
    Wald interval it stays inside [0, 1] and is not degenerate at 0 or n successes.
    Raises ``ValueError`` for ``n < 0``, ``successes`` outside ``0..n`` or ``z <= 0``.
    Example: 8 of 10 at z = 1.96 gives [0.4902, 0.9433].
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def mean_intervals(
    n: IntArray, mean: FloatArray, var: FloatArray, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Vectorised t intervals ``mean ± t(1 − α/2, n − 1) · √(var / n)``.

    ``var`` is the sample variance (ddof = 1). Entries with ``n < 2`` come back as NaN
    for the caller to turn into ``None``; everything else is finite.
    """
    ok = n >= 2
    df = np.where(ok, n - 1, 1).astype(np.float64)
    crit = t_quantiles(0.5 + confidence / 2.0, df)
    half = crit * np.sqrt(np.where(ok, np.maximum(var, 0.0), 0.0) / np.maximum(n, 1))
    low = np.where(ok, mean - half, np.nan)
    high = np.where(ok, mean + half, np.nan)
    return low, high


def finite_values(values: npt.ArrayLike) -> FloatArray:
    """Flatten ``values`` to float64 and drop NaN (missing answers).

    Raises ``ValueError`` on ±infinity, which is never a valid answer.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if np.isinf(x).any():
        raise ValueError("values must be finite or NaN (missing); got infinity")
    return x[~np.isnan(x)]


def mean_interval(values: npt.ArrayLike, confidence: float = 0.95) -> MeanEstimate:
    """Mean with a Student-t confidence interval (default 95 %).

    ``values``: any numeric array; NaN is treated as missing and dropped; ±inf raises
    ``ValueError``. Empty input gives ``mean=None``; one value gives the mean with
    ``sd=None`` and ``ci=None``. The interval is ``x̄ ± t(1 − α/2, n − 1) · s/√n``
    (s with ddof = 1), in the unit of the values.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    x = finite_values(values)
    n = int(x.size)
    if n == 0:
        return MeanEstimate(n=0, mean=None, sd=None, ci=None, small_sample=True)
    m = float(x.mean())
    if n == 1:
        return MeanEstimate(n=1, mean=m, sd=None, ci=None, small_sample=True)
    var = float(np.sum((x - m) ** 2) / (n - 1))
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(var / n)
    return MeanEstimate(
        n=n,
        mean=m,
        sd=math.sqrt(var),
        ci=Interval(m - half, m + half),
        small_sample=is_small_sample(n),
    )


# --- tests across groups -----------------------------------------------------------------


def welch_t_test(
    mean1: FloatArray,
    var1: FloatArray,
    n1: IntArray,
    mean2: FloatArray,
    var2: FloatArray,
    n2: IntArray,
) -> FloatArray:
    """Two-sided Welch t-test p-values from sufficient statistics (Welch 1947).

    ``t = (m1 − m2) / √(v1/n1 + v2/n2)`` with Welch–Satterthwaite degrees of freedom
    ``(v1/n1 + v2/n2)² / ((v1/n1)²/(n1 − 1) + (v2/n2)²/(n2 − 1))``. Variances are sample
    variances (ddof = 1). Entries where either side has fewer than 2 values, or both
    variances are zero (t undefined), come back as NaN for the caller to map to ``None``.
    """
    ok = (n1 >= 2) & (n2 >= 2)
    a = np.where(ok, np.maximum(var1, 0.0) / np.maximum(n1, 1), 0.0)
    b = np.where(ok, np.maximum(var2, 0.0) / np.maximum(n2, 1), 0.0)
    se2 = a + b
    ok &= se2 > 0
    safe_se2 = np.where(ok, se2, 1.0)
    t = np.where(ok, (mean1 - mean2) / np.sqrt(safe_se2), 0.0)
    df_denominator = a * a / np.maximum(n1 - 1, 1) + b * b / np.maximum(n2 - 1, 1)
    df = np.where(ok, safe_se2 * safe_se2 / np.where(ok, df_denominator, 1.0), 1.0)
    return np.where(ok, t_two_sided_p(t, df), np.nan)


def holm_adjust(p_values: FloatArray) -> FloatArray:
    """Holm (1979) step-down adjusted p-values, controlling the family-wise error rate.

    For sorted p₍₁₎ ≤ … ≤ p₍ₘ₎: ``p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) · p₍ⱼ₎)``.
    NaN entries (untested) are left out of the family and stay NaN.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def factorize(labels: npt.ArrayLike) -> tuple[npt.NDArray[np.generic], IntArray]:
    """``(distinct labels in sorted order, code of each row)`` like ``np.unique(...,
    return_inverse=True)``.

    Integer labels spanning at most a few times the row count take an O(n) counting
    path (``np.bincount`` and a lookup table); anything else (strings, sparse ids) falls
    back to ``np.unique``, a sort: O(n log n), about 3 s for 5 M string labels.
    """
    x = np.asarray(labels).ravel()
    if x.size and np.issubdtype(x.dtype, np.integer):
        low, high = int(x.min()), int(x.max())
        if high - low <= max(4 * x.size, 1 << 16):
            shifted = (x - low).astype(np.int64)
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            lookup = np.cumsum(present, dtype=np.int64) - 1
            distinct = (np.flatnonzero(present) + low).astype(x.dtype)
            return distinct, lookup[shifted]
    if x.size and x.dtype.kind == "U":
        hashed = _factorize_strings(x)
        if hashed is not None:
            return hashed
    distinct, inverse = np.unique(x, return_inverse=True)
    return distinct, inverse.astype(np.int64).ravel()


def _factorize_strings(x: npt.NDArray[np.str_]) -> tuple[npt.NDArray[np.generic], IntArray] | None:
    """Factorize fixed-width strings through a 64-bit polynomial hash of their code points.

    Sorting 64-bit integers is several times faster than sorting strings. Every row is
    then compared with its hash class's representative; on a collision (never seen in
    practice) this returns ``None`` and the caller sorts the strings themselves.
    """
    x = np.ascontiguousarray(x)
    width = x.dtype.itemsize // 4
    points = x.view(np.uint32).reshape(x.size, width)
    h = np.zeros(x.size, dtype=np.uint64)
    for column in range(width):  # a loop over characters, not rows
        h = h * np.uint64(1_000_003) + points[:, column]
    distinct_hashes = np.unique(h)
    inverse = np.searchsorted(distinct_hashes, h)
    member = np.zeros(distinct_hashes.size, dtype=np.int64)
    member[inverse] = np.arange(x.size, dtype=np.int64)  # any row of each class will do
    representatives = x[member]
    if not np.array_equal(representatives[inverse], x):
        return None
    order = np.argsort(representatives, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return representatives[order], rank[inverse.ravel()]


def optional(value: float) -> float | None:
    """``None`` for NaN/inf, else the value as a Python float."""
    return float(value) if math.isfinite(value) else None


def optional_interval(low: float, high: float) -> Interval | None:
    """An :class:`Interval`, or ``None`` when either bound is not finite."""
    if math.isfinite(low) and math.isfinite(high):
        return Interval(float(low), float(high))
    return None
