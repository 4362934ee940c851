"""Simulated feedback for ``bench.feedback``: numpy arrays shaped like the dashboard's
(``regulars.feedback.dashboard.FeedbackArrays``), seeded, in a few seconds for 5 M rows.

A year of answers (day numbers ending at ``LAST_DAY``) at 20 locations with 10 staff
members each; satisfaction is a latent score with small real location and staff effects
plus the customer's own noise, cut into CSAT 1–5 (about 40 % fives, 5 % ones); NPS
follows CSAT with noise, CES too; 5 % skip CSAT, 10 % NPS, 60 % are not asked CES. 3 %
were served by nobody. Whether the customer came back within 90 days grows with CSAT
(the last 90 days and 10 % unknown customers are pending, NaN). 35 % commented; each
comment mentions each of 8 topics with probability 0.12, negatively more often when
unhappy. 10 % answered the five-dimension quality survey (15 items, expectation and
perception 1–7, 3 % skipped), 70 % of them sharing out importance points.
"""

from __future__ import annotations

import numpy as np

from regulars.feedback.dashboard import NO_STAFF, FeedbackArrays, QualityArrays

LOCATIONS = 20
STAFF_PER_LOCATION = 10
DAYS = 365
LAST_DAY = 20_453  # 2025-12-31
TOPICS = ("wait", "staff", "price", "quality", "cleanliness", "product", "atmosphere", "booking")
QUALITY_SHARE = 0.10
ITEMS = 15
DIMENSIONS = 5


def simulate(n: int, seed: int = 1) -> FeedbackArrays:
    rng = np.random.default_rng(seed)
    staff_count = LOCATIONS * STAFF_PER_LOCATION
    location_effect = rng.normal(0.0, 0.12, LOCATIONS)
    staff_effect = rng.normal(0.0, 0.18, staff_count)

    day = LAST_DAY - rng.integers(0, DAYS, n, dtype=np.int64)
    staff = rng.integers(0, staff_count, n, dtype=np.int64)
    location = staff // STAFF_PER_LOCATION + 1
    latent = location_effect[location - 1] + staff_effect[staff] + rng.normal(0.0, 1.0, n)
    staff = np.where(rng.random(n) < 0.03, NO_STAFF, staff + 1000)

    # Cut points for about 5 % ones, 7 % twos, 13 % threes, 35 % fours, 40 % fives.
    csat = (np.searchsorted(np.array([-1.64, -1.23, -0.67, 0.25]), latent) + 1).astype(float)
    nps = np.clip(np.rint(2.2 * csat - 1.0 + rng.normal(0.0, 1.3, n)), 0, 10)
    ces = np.clip(np.rint(csat + 1.5 + rng.normal(0.0, 1.0, n)), 1, 7)
    csat_answered = csat.copy()
    csat_answered[rng.random(n) < 0.05] = np.nan
    nps[rng.random(n) < 0.10] = np.nan
    ces[rng.random(n) < 0.60] = np.nan

    came_back = (rng.random(n) < 0.25 + 0.08 * csat).astype(float)
    came_back[(day > LAST_DAY - 90) | (rng.random(n) < 0.10)] = np.nan

    commented = rng.random(n) < 0.35
    topics = (rng.random((n, len(TOPICS))) < 0.12) & commented[:, None]
    unhappy = rng.random((n, len(TOPICS))) < (0.85 - 0.15 * csat)[:, None]
    negative = topics & unhappy

    return FeedbackArrays(
        day=day,
        location=location,
        staff=staff,
        csat=csat_answered,
        nps=nps,
        ces=ces,
        came_back=came_back,
        commented=commented,
        topic_names=TOPICS,
        topics=topics,
        negative_topics=negative,
        quality=simulate_quality(int(n * QUALITY_SHARE), rng),
    )


def simulate_quality(m: int, rng: np.random.Generator) -> QualityArrays:
    person = rng.normal(0.0, 0.6, (m, 1))
    dimension_shift = np.repeat(np.array([-0.6, -0.3, 0.0, -0.4, 0.2]), ITEMS // DIMENSIONS)
    expectations = np.clip(np.rint(5.9 + person + rng.normal(0.0, 0.8, (m, ITEMS))), 1, 7)
    perceptions = np.clip(
        np.rint(5.6 + dimension_shift + person + rng.normal(0.0, 0.9, (m, ITEMS))), 1, 7
    )
    expectations[rng.random((m, ITEMS)) < 0.03] = np.nan
    perceptions[rng.random((m, ITEMS)) < 0.03] = np.nan
    shares = rng.dirichlet(np.full(DIMENSIONS, 2.0), m) * 100
    points = np.floor(shares)
    # Whole points summing to exactly 100: the rest goes to each row's largest share.
    points[np.arange(m), shares.argmax(axis=1)] += 100 - points.sum(axis=1)
    points[rng.random(m) >= 0.7] = np.nan
    return QualityArrays(expectations, perceptions, points)
