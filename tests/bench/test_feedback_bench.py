"""``bench.feedback``'s ground truth: the naive per-row computation agrees with the
dashboard's array computation on simulated answers (so the benchmark's check can pass),
and a wrong answer is caught. Nothing is timed here."""

from __future__ import annotations

import dataclasses

import numpy as np
from bench._feedback_data import TOPICS, simulate
from bench._feedback_naive import differences, fast_summary, naive_dashboard, rows_of

from regulars.feedback.dashboard import compute_dashboard


def test_the_naive_figures_equal_the_dashboards_on_simulated_answers() -> None:
    arrays = simulate(3_000, seed=2)
    rows, quality = rows_of(arrays)
    naive = naive_dashboard(rows, quality, len(TOPICS))
    fast = fast_summary(compute_dashboard(arrays, period="week"), arrays.topic_names)
    assert differences(fast, naive) == []
    assert len(naive) > 500  # every week, dimension, group, level and topic compared


def test_a_wrong_answer_is_caught() -> None:
    arrays = simulate(3_000, seed=2)
    rows, quality = rows_of(arrays)
    naive = naive_dashboard(rows, quality, len(TOPICS))
    csat = arrays.csat.copy()
    csat[np.flatnonzero(csat == 5)[0]] = 4  # one answer changed
    fast = fast_summary(
        compute_dashboard(dataclasses.replace(arrays, csat=csat), period="week"),
        arrays.topic_names,
    )
    wrong = differences(fast, naive)
    assert any(line.startswith("csat_mean:") for line in wrong)


def test_the_simulation_is_seeded_and_within_the_scales() -> None:
    first, second = simulate(2_000, seed=4), simulate(2_000, seed=4)
    assert np.array_equal(first.csat, second.csat, equal_nan=True)
    answered = first.csat[~np.isnan(first.csat)]
    assert set(np.unique(answered).tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    nps = first.nps[~np.isnan(first.nps)]
    assert nps.min() >= 0
    assert nps.max() <= 10
    points = first.quality.importance[~np.isnan(first.quality.importance).any(axis=1)]
    assert np.all(points.sum(axis=1) == 100)
