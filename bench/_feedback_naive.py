"""``bench.feedback``'s baseline: the dashboard's figures computed the straightforward
way, one Python loop over the rows into dicts (no numpy in the loops), and the check
that it agrees with ``regulars.feedback.dashboard.compute_dashboard``.

``rows_of(arrays)`` turns the arrays into plain tuples first (not timed: it stands for
rows read from the database). ``naive_dashboard(rows, quality_rows, topics)`` returns a
flat dict of figures; ``fast_summary(figures)`` returns the same keys from the
dashboard's dataclasses; ``differences`` lists every key where they differ (relative
1e-9, or absolute 1e-9 near zero).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from regulars.analytics.stats import Z_95, t_quantile, wilson_interval
from regulars.feedback.dashboard import NO_STAFF, DashboardFigures, FeedbackArrays

Row = tuple[int, int, int, float, float, float, float, bool, tuple[int, ...], tuple[int, ...]]
QualityRow = tuple[list[float], list[float], list[float]]


def rows_of(arrays: FeedbackArrays) -> tuple[list[Row], list[QualityRow]]:
    a = arrays
    topics = [tuple(i for i, on in enumerate(flags) if on) for flags in a.topics.tolist()]
    negative = [
        tuple(i for i, on in enumerate(flags) if on) for flags in a.negative_topics.tolist()
    ]
    rows = list(
        zip(
            a.day.tolist(),
            a.location.tolist(),
            a.staff.tolist(),
            a.csat.tolist(),
            a.nps.tolist(),
            a.ces.tolist(),
            a.came_back.tolist(),
            a.commented.tolist(),
            topics,
            negative,
            strict=True,
        )
    )
    quality = list(
        zip(
            a.quality.expectations.tolist(),
            a.quality.perceptions.tolist(),
            a.quality.importance.tolist(),
            strict=True,
        )
    )
    return rows, quality


def _missing(x: float) -> bool:
    return math.isnan(x)


def _mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    n = len(values)
    if n == 0:
        return None, None
    mean = sum(values) / n
    if n < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def _t_interval(n: int, mean: float | None, sd: float | None) -> tuple[float, float] | None:
    if mean is None or sd is None or n < 2:
        return None
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return (mean - half, mean + half)


def _nps(promoters: int, passives: int, detractors: int) -> tuple[float | None, Any]:
    n = promoters + passives + detractors
    if n == 0:
        return None, None
    pp, pd = promoters / n, detractors / n
    d = pp - pd
    if n < 2:
        return 100 * d, None
    half = Z_95 * math.sqrt(max(pp + pd - d * d, 0.0) / n)
    return 100 * d, (max(-100.0, 100 * (d - half)), min(100.0, 100 * (d + half)))


def _alpha(matrix: list[list[float]]) -> float | None:
    complete = [row for row in matrix if not any(_missing(v) for v in row)]
    k = len(matrix[0]) if matrix else 0
    if k < 2 or len(complete) < 3:
        return None
    totals = [sum(row) for row in complete]
    _m, sd = _mean_sd(totals)
    if sd is None or sd == 0:
        return None
    item_var = sum((_mean_sd([row[j] for row in complete])[1] or 0.0) ** 2 for j in range(k))
    return k / (k - 1) * (1 - item_var / sd**2)


def _consistency(pairs: list[tuple[int, float]]) -> dict[str, Any]:
    groups: dict[int, list[float]] = defaultdict(list)
    for label, score in pairs:
        groups[label].append(score)
    big_n = len(pairs)
    k = len(groups)
    grand = sum(score for _l, score in pairs) / big_n
    means = {label: sum(v) / len(v) for label, v in groups.items()}
    ssb = sum(len(v) * (means[label] - grand) ** 2 for label, v in groups.items())
    ssw = sum(sum((x - means[label]) ** 2 for x in v) for label, v in groups.items())
    msb, msw = ssb / (k - 1), ssw / (big_n - k)
    n0 = (big_n - sum(len(v) ** 2 for v in groups.values()) / big_n) / (k - 1)
    sigma_b = max(0.0, (msb - msw) / n0)
    return {
        "icc": (msb - msw) / (msb + (n0 - 1) * msw),
        "share": sigma_b / (sigma_b + msw),
        "means": {label: means[label] for label in sorted(groups)},
    }


def naive_dashboard(
    rows: list[Row], quality: list[QualityRow], n_topics: int, period_days: int = 7
) -> dict[str, Any]:
    """The dashboard's figures by per-row loops (weekly buckets; see module doc)."""
    out: dict[str, Any] = {}
    nps_counts = [0, 0, 0]
    csat_values: list[float] = []
    ces_values: list[float] = []
    buckets: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"p": 0, "pa": 0, "d": 0, "csat": [], "commented": 0, "topics": [0] * n_topics}
    )
    staff_pairs: list[tuple[int, float]] = []
    location_pairs: list[tuple[int, float]] = []
    csat_levels: dict[int, list[int]] = {level: [0, 0] for level in range(1, 6)}
    nps_levels: dict[int, list[int]] = {group: [0, 0] for group in range(3)}
    mentions = [0] * n_topics
    negative = [0] * n_topics
    commented = 0
    for day, location, staff, csat, nps, ces, came_back, has_comment, topics, unhappy in rows:
        b = buckets[(day + 3) // 7]
        if not _missing(nps):
            group = 0 if nps <= 6 else (1 if nps <= 8 else 2)
            nps_counts[group] += 1
            b[("d", "pa", "p")[group]] += 1
            if not _missing(came_back):
                nps_levels[group][0] += 1
                nps_levels[group][1] += int(came_back)
        if not _missing(csat):
            csat_values.append(csat)
            b["csat"].append(csat)
            location_pairs.append((location, csat))
            if staff != NO_STAFF:
                staff_pairs.append((staff, csat))
            if not _missing(came_back):
                csat_levels[int(csat)][0] += 1
                csat_levels[int(csat)][1] += int(came_back)
        if not _missing(ces):
            ces_values.append(ces)
        if has_comment:
            commented += 1
            b["commented"] += 1
        for t in topics:
            mentions[t] += 1
            b["topics"][t] += 1
        for t in unhappy:
            if t in topics:
                negative[t] += 1

    out["nps"], out["nps_ci"] = _nps(nps_counts[2], nps_counts[1], nps_counts[0])
    mean, sd = _mean_sd(csat_values)
    out["csat_mean"], out["csat_ci"] = mean, _t_interval(len(csat_values), mean, sd)
    top = sum(1 for v in csat_values if v >= 4)
    out["csat_top2"] = top / len(csat_values) if csat_values else None
    ci = wilson_interval(top, len(csat_values), Z_95)
    out["csat_top2_ci"] = None if ci is None else (ci.low, ci.high)
    mean, sd = _mean_sd(ces_values)
    out["ces_mean"], out["ces_ci"] = mean, _t_interval(len(ces_values), mean, sd)

    first, last = min(buckets), max(buckets)
    for key in range(first, last + 1):
        b = buckets.get(key)
        if b is None:
            out[f"week{key}.nps"] = out[f"week{key}.csat"] = None
            continue
        out[f"week{key}.nps"], out[f"week{key}.nps_ci"] = _nps(b["p"], b["pa"], b["d"])
        mean, sd = _mean_sd(b["csat"])
        out[f"week{key}.csat"], out[f"week{key}.csat_ci"] = (
            mean,
            _t_interval(len(b["csat"]), mean, sd),
        )
        for t in range(n_topics):
            out[f"week{key}.topic{t}"] = b["topics"][t] / b["commented"] if b["commented"] else None

    out.update(_naive_quality(quality))
    for name, pairs in (("staff", staff_pairs), ("location", location_pairs)):
        result = _consistency(pairs)
        out[f"{name}.icc"], out[f"{name}.share"] = result["icc"], result["share"]
        for label, mean in result["means"].items():
            out[f"{name}.{label}.mean"] = mean
    for name, levels in (("csat", csat_levels), ("nps", nps_levels)):
        for level, (n, returned) in levels.items():
            out[f"return.{name}.{level}"] = returned / n if n else None
            ci = wilson_interval(returned, n, Z_95)
            out[f"return.{name}.{level}.ci"] = None if ci is None else (ci.low, ci.high)
    for t in range(n_topics):
        out[f"topic{t}.share"] = mentions[t] / commented if commented else None
        out[f"topic{t}.negative"] = negative[t] / mentions[t] if mentions[t] else None
    return out


def _naive_quality(quality: list[QualityRow]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    dims = 5
    per_respondent: list[list[float | None]] = [[None] * dims for _ in quality]
    for j in range(dims):
        columns = range(3 * j, 3 * j + 3)
        gaps, expected, perceived, importance = [], [], [], []
        for i, (e_row, p_row, points) in enumerate(quality):
            pairs = [
                (e_row[c], p_row[c])
                for c in columns
                if not _missing(e_row[c]) and not _missing(p_row[c])
            ]
            if pairs:
                gap = sum(p - e for e, p in pairs) / len(pairs)
                per_respondent[i][j] = gap
                gaps.append(gap)
                expected.append(sum(e for e, _p in pairs) / len(pairs))
                perceived.append(sum(p for _e, p in pairs) / len(pairs))
            if not any(_missing(v) for v in points):
                importance.append(points[j])
        mean, sd = _mean_sd(gaps)
        out[f"dim{j}.gap"], out[f"dim{j}.gap_ci"] = mean, _t_interval(len(gaps), mean, sd)
        out[f"dim{j}.expectation"] = _mean_sd(expected)[0]
        out[f"dim{j}.perception"] = _mean_sd(perceived)[0]
        out[f"dim{j}.alpha_p"] = _alpha([[p[c] for c in columns] for _e, p, _w in quality])
        out[f"dim{j}.alpha_e"] = _alpha([[e[c] for c in columns] for e, _p, _w in quality])
        out[f"dim{j}.importance"] = _mean_sd(importance)[0]
    weighted: list[float] = []
    for (_e, _p, points), gaps in zip(quality, per_respondent, strict=True):
        own = not any(_missing(v) for v in points)
        weights = [(points[j] / 100 if own else 1 / dims) for j in range(dims)]
        total = sum(w for w, g in zip(weights, gaps, strict=True) if g is not None)
        if total > 0:
            weighted.append(
                sum(w * g for w, g in zip(weights, gaps, strict=True) if g is not None) / total
            )
    mean, sd = _mean_sd(weighted)
    out["weighted_gap"], out["weighted_gap_ci"] = mean, _t_interval(len(weighted), mean, sd)
    return out


def _pair(ci: Any) -> tuple[float, float] | None:
    return None if ci is None else (ci.low, ci.high)


def fast_summary(f: DashboardFigures, topic_names: tuple[str, ...]) -> dict[str, Any]:
    """The same keys as ``naive_dashboard`` from the dashboard's figures (topics by
    their column in ``topic_names``)."""
    out: dict[str, Any] = {
        "nps": f.nps.score,
        "nps_ci": _pair(f.nps.ci),
        "csat_mean": f.csat.mean,
        "csat_ci": _pair(f.csat.mean_ci),
        "csat_top2": f.csat.top2_box,
        "csat_top2_ci": _pair(f.csat.top2_box_ci),
        "ces_mean": f.ces.mean,
        "ces_ci": _pair(f.ces.mean_ci),
    }
    topic_index = {name: i for i, name in enumerate(topic_names)}
    for b_index, b in enumerate(f.trend.buckets):
        key = (b.start.toordinal() - 719163 + 3) // 7  # days since 1970 → week number
        if b.n == 0:
            out[f"week{key}.nps"] = out[f"week{key}.csat"] = None
            continue
        out[f"week{key}.nps"], out[f"week{key}.nps_ci"] = b.nps, _pair(b.nps_ci)
        out[f"week{key}.csat"], out[f"week{key}.csat_ci"] = b.csat_mean, _pair(b.csat_mean_ci)
        for t in f.topics:
            out[f"week{key}.topic{topic_index[t.topic]}"] = t.by_bucket[b_index]
    if f.quality is not None:
        for j, d in enumerate(f.quality.dimensions):
            out[f"dim{j}.gap"], out[f"dim{j}.gap_ci"] = d.gap, _pair(d.gap_ci)
            out[f"dim{j}.expectation"] = d.mean_expectation
            out[f"dim{j}.perception"] = d.mean_perception
            out[f"dim{j}.alpha_p"] = d.alpha_perception
            out[f"dim{j}.alpha_e"] = d.alpha_expectation
            out[f"dim{j}.importance"] = d.mean_importance
        out["weighted_gap"] = f.quality.weighted_gap
        out["weighted_gap_ci"] = _pair(f.quality.weighted_gap_ci)
    for name, c in (("staff", f.staff_consistency), ("location", f.location_consistency)):
        out[f"{name}.icc"], out[f"{name}.share"] = c.icc1, c.variance_between_share
        for g in c.groups:
            out[f"{name}.{g.label}.mean"] = g.mean
    for name, result in (("csat", f.loyalty_csat), ("nps", f.loyalty_nps)):
        for level in result.levels:
            out[f"return.{name}.{level.level}"] = level.rate
            out[f"return.{name}.{level.level}.ci"] = _pair(level.ci)
    for t in f.topics:
        i = topic_index[t.topic]
        out[f"topic{i}.share"], out[f"topic{i}.negative"] = t.share, t.negative_share
    return out


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, tuple):
        return isinstance(b, tuple) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def differences(fast: dict[str, Any], naive: dict[str, Any]) -> list[str]:
    """Keys where the two disagree (missing on one side counts)."""
    out = []
    for key in sorted(set(fast) | set(naive)):
        if key not in fast or key not in naive or not _close(fast[key], naive[key]):
            out.append(f"{key}: fast {fast.get(key, '—')!r} naive {naive.get(key, '—')!r}")
    return out
