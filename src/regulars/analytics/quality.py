"""Satisfaction measures: NPS, CSAT, CES, SERVQUAL gaps and Cronbach's alpha.

Pure numpy/scipy. Inputs are arrays of answers; NaN means "not answered" and is dropped.
An answer outside its scale (or a non-integer where the scale is integer) raises
``ValueError``: it is a data error, not a missing answer. Results never hold NaN or
infinity: "no data" is ``None``.

Cost: O(n) and vectorised (``np.bincount`` on the answers); SERVQUAL is O(responses ×
items). Five million answers take well under a second per measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from regulars.analytics.stats import (
    Z_95,
    FloatArray,
    Interval,
    MeanEstimate,
    finite_values,
    is_small_sample,
    mean_interval,
    optional_interval,
    t_quantile,
    wilson_interval,
)

# --- shared scale handling ---------------------------------------------------------------


def _scale_counts(scores: npt.ArrayLike, low: int, high: int, name: str) -> tuple[int, ...]:
    """Counts per integer answer ``low..high``; NaN dropped, anything else off-scale raises."""
    x = finite_values(scores)
    if x.size and (x.min() < low or x.max() > high or np.any(x != np.floor(x))):
        raise ValueError(f"{name} answers must be whole numbers {low}..{high} (or NaN)")
    counts = np.bincount((x - low).astype(np.int64), minlength=high - low + 1)
    return tuple(int(c) for c in counts)


def _mean_from_counts(counts: Sequence[int], low: int) -> MeanEstimate:
    """Mean with t interval computed from a frequency table of integer answers."""
    n = int(sum(counts))
    if n < 2:  # nothing, or one answer: no spread to build an interval from
        values = np.arange(low, low + len(counts), dtype=np.float64)
        return mean_interval(np.repeat(values, np.asarray(counts, dtype=np.int64)))
    # The same t interval as ``mean_interval`` from the frequency table, without
    # expanding it back into one value per answer.
    weights = np.asarray(counts, dtype=np.float64)
    values = np.arange(low, low + len(counts), dtype=np.float64)
    mean = float(weights @ values / n)
    var = float(weights @ (values - mean) ** 2 / (n - 1))
    half = t_quantile(0.975, n - 1) * math.sqrt(var / n)
    return MeanEstimate(
        n=n,
        mean=mean,
        sd=math.sqrt(var),
        ci=Interval(mean - half, mean + half),
        small_sample=is_small_sample(n),
    )


# --- NPS ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NPSResult:
    """Net Promoter Score of a set of 0..10 "would you recommend" answers.

    ``score``: 100 · (share of promoters 9–10 − share of detractors 0–6), in −100..100,
    ``None`` when n = 0. ``ci``: 95 % normal interval from the trinomial variance, clipped
    to [−100, 100]; ``None`` when n < 2 (it collapses to a point when all answers fall
    in one category, where the normal approximation says nothing: see ``small_sample``).
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    ci: Interval | None
    small_sample: bool


def nps_arrays(
    promoters: npt.ArrayLike, passives: npt.ArrayLike, detractors: npt.ArrayLike, z: float = Z_95
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Vectorised NPS from category counts: ``(score, low, high)`` arrays on −100..100.

    ``d = p_P − p_D``; ``Var(d̂) = (p_P + p_D − d²) / n`` (multinomial variance of the
    difference of two category shares; e.g. Rocks 2016, "Interval estimation for the
    'net promoter score'", The American Statistician 70(4)); interval ``d ± z·SE``,
    clipped. Score is NaN where n = 0 and the bounds are NaN where n < 2.
    """
    pro = np.asarray(promoters, dtype=np.float64)
    pas = np.asarray(passives, dtype=np.float64)
    det = np.asarray(detractors, dtype=np.float64)
    n = pro + pas + det
    safe_n = np.maximum(n, 1.0)
    p_p, p_d = pro / safe_n, det / safe_n
    d = p_p - p_d
    var = np.maximum(p_p + p_d - d * d, 0.0) / safe_n
    half = z * np.sqrt(var)
    score = np.where(n > 0, 100.0 * d, np.nan)
    low = np.where(n >= 2, np.clip(100.0 * (d - half), -100.0, 100.0), np.nan)
    high = np.where(n >= 2, np.clip(100.0 * (d + half), -100.0, 100.0), np.nan)
    return score, low, high


def nps_categories(scores: npt.ArrayLike) -> tuple[int, int, int]:
    """``(promoters, passives, detractors)`` counts of 0..10 answers (NaN dropped)."""
    counts = _scale_counts(scores, 0, 10, "NPS")
    return sum(counts[9:]), sum(counts[7:9]), sum(counts[:7])


def nps(scores: npt.ArrayLike) -> NPSResult:
    """Net Promoter Score (Reichheld 2003) with a 95 % interval.

    ``scores``: whole numbers 0..10, NaN = not answered. Promoters 9–10, passives 7–8,
    detractors 0–6. Empty or all-NaN input gives ``score=None``. See :class:`NPSResult`
    and :func:`nps_arrays` for the interval.
    """
    promoters, passives, detractors = nps_categories(scores)
    score, low, high = nps_arrays([promoters], [passives], [detractors])
    n = promoters + passives + detractors
    return NPSResult(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        score=float(score[0]) if n else None,
        ci=optional_interval(float(low[0]), float(high[0])),
        small_sample=is_small_sample(n),
    )


# --- CSAT and CES ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CSATResult:
    """Customer satisfaction on a 1..5 scale (5 = very satisfied).

    ``mean``/``mean_ci``: mean answer (1..5) with its 95 % t interval (``None`` for n = 0;
    interval ``None`` for n < 2). ``top2_box``/``top2_box_ci``: share (0..1) answering
    4 or 5, with its 95 % Wilson interval (``None`` for n = 0). ``counts``: answers per
    score, ``counts[0]`` for score 1 … ``counts[4]`` for score 5.
    """

    n: int
    mean: float | None
    mean_ci: Interval | None
    top2_box: float | None
    top2_box_ci: Interval | None
    counts: tuple[int, ...]
    small_sample: bool


def csat(scores: npt.ArrayLike) -> CSATResult:
    """CSAT summary of whole-number answers 1..5 (NaN = not answered; others raise)."""
    counts = _scale_counts(scores, 1, 5, "CSAT")
    n = sum(counts)
    estimate = _mean_from_counts(counts, 1)
    top = counts[3] + counts[4]
    return CSATResult(
        n=n,
        mean=estimate.mean,
        mean_ci=estimate.ci,
        top2_box=top / n if n else None,
        top2_box_ci=wilson_interval(top, n, Z_95),
        counts=counts,
        small_sample=is_small_sample(n),
    )


@dataclass(frozen=True, slots=True)
class CESResult:
    """Customer Effort Score on a 1..7 agreement scale ("the company made it easy").

    Higher = easier (7 = strongly agree it was easy). ``mean``/``mean_ci``: mean answer
    with 95 % t interval; ``easy_share``/``easy_share_ci``: share (0..1) answering 5–7,
    with 95 % Wilson interval. ``counts[0]`` is score 1 … ``counts[6]`` score 7.
    ``None`` where n = 0 (intervals also where n < 2 for the mean).
    """

    n: int
    mean: float | None
    mean_ci: Interval | None
    easy_share: float | None
    easy_share_ci: Interval | None
    counts: tuple[int, ...]
    small_sample: bool


def ces(scores: npt.ArrayLike) -> CESResult:
    """CES 2.0 summary of whole-number answers 1..7, higher = easier (NaN dropped)."""
    counts = _scale_counts(scores, 1, 7, "CES")
    n = sum(counts)
    estimate = _mean_from_counts(counts, 1)
    easy = sum(counts[4:])
    return CESResult(
        n=n,
        mean=estimate.mean,
        mean_ci=estimate.ci,
        easy_share=easy / n if n else None,
        easy_share_ci=wilson_interval(easy, n, Z_95),
        counts=counts,
        small_sample=is_small_sample(n),
    )


# --- Cronbach's alpha ---------------------------------------------------------------------


def cronbach_alpha(items: npt.ArrayLike) -> float | None:
    """Cronbach's (1951) alpha of a responses × items matrix.

    ``α = k/(k − 1) · (1 − Σ s²ᵢ / s²_total)``, with sample variances (ddof = 1) of each
    item and of the row sums. Rows with any NaN are dropped (listwise deletion).
    ``None`` when fewer than 2 items, fewer than 3 complete rows, or the row sums do not
    vary. Alpha is at most 1 and can be negative (items that disagree); it is returned
    as computed.
    """
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"items must be a 2-D responses × items array, got {x.ndim}-D")
    if np.isinf(x).any():
        raise ValueError("items must be finite or NaN (missing)")
    k = int(x.shape[1])
    complete = x[~_row_any_nan(x)] if k else x
    if k < 2 or complete.shape[0] < 3:
        return None
    total_var = float(_row_sum(complete).var(ddof=1))
    if not total_var > 0:
        return None
    item_var = float(sum(complete[:, j].var(ddof=1) for j in range(k)))
    return k / (k - 1) * (1.0 - item_var / total_var)


# --- SERVQUAL -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class ServqualDimension:
    """Answers for one SERVQUAL dimension (Parasuraman, Zeithaml & Berry 1988).

    ``expectations`` and ``perceptions``: responses × items matrices of 1..7 answers
    (same shape; NaN = item not answered). Row *i* is the same respondent in every
    dimension and in the importance matrix.
    """

    name: str
    expectations: npt.ArrayLike
    perceptions: npt.ArrayLike


@dataclass(frozen=True, slots=True)
class DimensionGap:
    """Gap (perception − expectation) of one dimension, on the −6..6 scale.

    Each respondent's gap is the mean over the items they answered on *both* scales;
    ``gap`` is the mean over respondents with at least one such item (``n`` of them), and
    ``gap_ci`` the paired-t 95 % interval. ``mean_expectation``/``mean_perception`` are
    averaged the same way over the same answers (1..7), so ``gap`` equals their
    difference. Alphas: Cronbach's alpha of the perception and expectation items
    (see :func:`cronbach_alpha`). ``mean_importance``: mean importance points (0..100)
    over respondents who gave importance, ``None`` if nobody did.
    """

    dimension: str
    n: int
    gap: float | None
    gap_ci: Interval | None
    mean_expectation: float | None
    mean_perception: float | None
    alpha_perception: float | None
    alpha_expectation: float | None
    mean_importance: float | None
    small_sample: bool


@dataclass(frozen=True, slots=True)
class ServqualResult:
    """SERVQUAL gaps per dimension plus the importance-weighted overall gap.

    ``weighted_gap``: mean over respondents of Σ_d w_d·gap_d / Σ_d w_d, with w_d the
    respondent's own importance points / 100 (equal weights for respondents who gave no
    importance); dimensions a respondent has no gap for are left out and the remaining
    weights renormalised. ``weighted_gap_ci``: 95 % t interval. ``weighted_n``:
    respondents in it; ``with_importance``: how many of them used their own weights.
    """

    dimensions: tuple[DimensionGap, ...]
    weighted_gap: float | None
    weighted_gap_ci: Interval | None
    weighted_n: int
    with_importance: int
    small_sample: bool


_IMPORTANCE_TOLERANCE = 0.5  # points; allows rounding in forms that show whole percents


def _answers_matrix(values: npt.ArrayLike, name: str) -> FloatArray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name} must be a responses × items matrix")
    answered = x[~np.isnan(x)]
    if answered.size and (answered.min() < 1 or answered.max() > 7):
        raise ValueError(f"{name} answers must be in 1..7 (or NaN)")
    return x


# Row-wise reductions of the narrow matrices here (a few items or dimensions, hundreds of
# thousands of rows) run column by column: numpy's reduction along a short last axis is
# several times slower than a handful of whole-column operations.


def _row_sum(x: FloatArray) -> FloatArray:
    total = x[:, 0].copy()
    for j in range(1, x.shape[1]):
        total += x[:, j]
    return total


def _row_any_nan(x: FloatArray) -> npt.NDArray[np.bool_]:
    found = np.isnan(x[:, 0])
    for j in range(1, x.shape[1]):
        found |= np.isnan(x[:, j])
    return found


def _row_means(x: FloatArray) -> FloatArray:
    """Mean of each row over non-NaN cells; NaN for rows with none (kept internal)."""
    counts = np.zeros(x.shape[0])
    sums = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        column = x[:, j]
        answered = ~np.isnan(column)
        counts += answered
        sums += np.where(answered, column, 0.0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _importance_weights(importance: npt.ArrayLike | None, rows: int, k: int) -> FloatArray:
    """Responses × dimensions weights in [0, 1]; NaN rows where importance is not given."""
    if importance is None:
        return np.full((rows, k), np.nan)
    w = np.asarray(importance, dtype=np.float64)
    if w.shape != (rows, k):
        raise ValueError(f"importance must be {rows} × {k}, got {w.shape}")
    given = ~_row_any_nan(w) if k else np.ones(rows, dtype=np.bool_)
    gw = w[given]
    if gw.size and (
        np.isinf(gw).any()
        or gw.min() < 0
        or np.abs(_row_sum(gw) - 100.0).max() > _IMPORTANCE_TOLERANCE
    ):
        raise ValueError("each importance row must be non-negative points summing to 100")
    out = np.full((rows, k), np.nan)
    out[given] = gw / 100.0
    return out


def servqual(
    dimensions: Sequence[ServqualDimension], importance: npt.ArrayLike | None = None
) -> ServqualResult:
    """SERVQUAL gap analysis (Parasuraman, Zeithaml & Berry 1988) for any list of dimensions.

    ``dimensions``: one :class:`ServqualDimension` per dimension, any names (e.g.
    reliability, responsiveness, assurance, empathy, tangibles), all with the same number
    of response rows. ``importance``: responses × len(dimensions) points summing to 100
    per row (±0.5), a row with any NaN meaning "not given"; ``None`` = nobody gave it.
    Raises ``ValueError`` on mismatched shapes, answers outside 1..7 or bad importance
    rows. See :class:`DimensionGap` and :class:`ServqualResult` for the figures.
    """
    if not dimensions:
        raise ValueError("need at least one dimension")
    rows = {np.asarray(d.expectations).shape[0] for d in dimensions} | {
        np.asarray(d.perceptions).shape[0] for d in dimensions
    }
    if len(rows) != 1:
        raise ValueError("every dimension needs the same response rows")
    n_rows = rows.pop()
    weights = _importance_weights(importance, n_rows, len(dimensions))
    has_importance = ~_row_any_nan(weights)

    gaps = np.full((n_rows, len(dimensions)), np.nan)
    out: list[DimensionGap] = []
    for j, dim in enumerate(dimensions):
        e = _answers_matrix(dim.expectations, f"{dim.name} expectations")
        p = _answers_matrix(dim.perceptions, f"{dim.name} perceptions")
        if e.shape != p.shape:
            raise ValueError(f"{dim.name}: expectations {e.shape} vs perceptions {p.shape}")
        paired = ~(np.isnan(e) | np.isnan(p))
        e_paired = np.where(paired, e, np.nan)
        p_paired = np.where(paired, p, np.nan)
        gaps[:, j] = _row_means(p_paired - e_paired)
        gap = mean_interval(gaps[:, j])
        e_mean = mean_interval(_row_means(e_paired)).mean
        p_mean = mean_interval(_row_means(p_paired)).mean
        importance_mean = (
            float(weights[has_importance, j].mean() * 100.0) if has_importance.any() else None
        )
        out.append(
            DimensionGap(
                dimension=dim.name,
                n=gap.n,
                gap=gap.mean,
                gap_ci=gap.ci,
                mean_expectation=e_mean,
                mean_perception=p_mean,
                alpha_perception=cronbach_alpha(p),
                alpha_expectation=cronbach_alpha(e),
                mean_importance=importance_mean,
                small_sample=gap.small_sample,
            )
        )

    w = np.where(has_importance[:, None], weights, 1.0 / len(dimensions))
    w = np.where(np.isnan(gaps), 0.0, w)
    total_w = _row_sum(w)
    usable = total_w > 0
    per_respondent = np.where(
        usable, _row_sum(w * np.nan_to_num(gaps)) / np.where(usable, total_w, 1.0), 0.0
    )
    overall = mean_interval(per_respondent[usable])
    return ServqualResult(
        dimensions=tuple(out),
        weighted_gap=overall.mean,
        weighted_gap_ci=overall.ci,
        weighted_n=overall.n,
        with_importance=int((usable & has_importance).sum()),
        small_sample=overall.small_sample,
    )
