"""How the demo's customers answer a survey, from one latent mood per answer: scores,
the quality survey's statements and importance points, and a comment that fits."""

from __future__ import annotations

import bisect
import math
import random

from regulars.demo.catalogue import say
from regulars.demo.feedback.phrases import (
    COMPLAINT_WEIGHTS,
    COMPLAINTS,
    MIXED,
    PRAISE,
    REQUEST_EASY,
    REQUEST_HARD,
)
from regulars.feedback.answers import SurveyAnswers
from regulars.feedback.instruments import DIMENSIONS, IMPORTANCE_TOTAL, ITEMS, Instrument
from regulars.feedback.models import Trigger

I = Instrument

CSAT_CUTS = (-1.3, -0.8, -0.1, 0.7)  # mood → CSAT 1..5
# The quality survey: what people expect of a café, and how far here falls short.
EXPECTED = {
    "reliability": 6.3,
    "responsiveness": 6.1,
    "assurance": 5.9,
    "empathy": 5.6,
    "tangibles": 5.3,
}
GAP = {
    "reliability": -0.4,
    "responsiveness": -1.2,
    "assurance": -0.3,
    "empathy": -0.2,
    "tangibles": 0.0,
}
IMPORTANCE_SHAPE = {
    "reliability": 6.0,
    "responsiveness": 6.0,
    "assurance": 4.0,
    "empathy": 4.0,
    "tangibles": 2.5,
}


def scores(
    rng: random.Random, instruments: tuple[str, ...], mood: float, *, floor: bool = False
) -> SurveyAnswers:
    """CSAT, NPS and CES of the survey's instruments for a latent ``mood`` (about 0.4 on
    average, spread about 1); ``floor``: asked again after a recovery, and happy."""
    given = SurveyAnswers()
    if I.CSAT in instruments:
        given.csat = 1 + bisect.bisect(CSAT_CUTS, mood)
    if I.NPS in instruments:
        given.nps = clamp(round(7.9 + 1.6 * mood + rng.gauss(0, 0.8)), 0, 10)
    if I.CES in instruments:
        given.ces = clamp(round(5.5 + 1.1 * (mood - 0.4) + rng.gauss(0, 0.7)), 1, 7)
    if floor:  # asked again after a recovery, and happy
        given.csat = None if given.csat is None else max(given.csat, 4)
        given.nps = None if given.nps is None else max(given.nps, 8)
        given.ces = None if given.ces is None else max(given.ces, 5)
    return given


def comments(
    rng: random.Random,
    given: SurveyAnswers,
    trigger: str,
    language: str,
    level: str,
    *,
    sure: bool,
    cold: bool,
) -> None:
    """The reason for the score and the comment, fitting its ``level`` (``level_of``);
    ``sure``: unhappy and saying why; ``cold``: served by the colder colleague."""
    if trigger == Trigger.TICKET_RESOLVED:
        pool = REQUEST_EASY if level == "high" else REQUEST_HARD
        if level == "low" or rng.random() < 0.6:
            given.comment = say(rng.choice(pool), language)
        return
    if level == "high":
        first, second = rng.sample(PRAISE, 2)
    elif level == "mid":
        first, second = rng.choice(MIXED), rng.choice(PRAISE)
    else:
        first = rng.choice(COMPLAINTS[_complaint(rng, cold)])
        second = rng.choice(COMPLAINTS[_complaint(rng, cold)])
    unhappy = level == "low" or sure
    why = given.nps is not None and (unhappy or rng.random() < 0.5)
    if why:
        given.why = say(first, language)
    if rng.random() < (0.3 if unhappy else 0.2) or (unhappy and not why):
        given.comment = say(second if why else first, language)
    if given.comment == given.why:
        given.comment = ""


def _complaint(rng: random.Random, cold: bool) -> str:
    weights = dict(COMPLAINT_WEIGHTS)
    if cold:
        weights["staff_friendliness"] *= 4
    topics = list(weights)
    return rng.choices(topics, [weights[t] for t in topics])[0]


def quality(rng: random.Random, given: SurveyAnswers, mood: float) -> None:
    """The fifteen statements (expected, experienced; now and then no opinion) and,
    mostly, the importance points."""
    lean = 0.8 * (mood - 0.4)
    demanding = rng.gauss(0, 0.45)  # how much this customer expects of anyone
    for item in ITEMS:
        expected: int | None = clamp(
            round(EXPECTED[item.dimension] + demanding + rng.gauss(0, 0.45)), 1, 7
        )
        perceived: int | None = clamp(
            round(EXPECTED[item.dimension] + GAP[item.dimension] + lean + rng.gauss(0, 0.7)),
            1,
            7,
        )
        if rng.random() < 0.04:
            expected = None
        if rng.random() < 0.04:
            perceived = None
        if expected is not None or perceived is not None:
            given.quality[(item.dimension, item.number)] = (expected, perceived)
    if rng.random() < 0.9:
        given.importance = points(rng)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def level_of(given: SurveyAnswers) -> str:
    if (given.csat is not None and given.csat <= 2) or (given.nps is not None and given.nps <= 6):
        return "low"
    if given.ces is not None and given.ces <= 2:
        return "low"
    if given.csat == 5 or (given.nps is not None and given.nps >= 9):
        return "high"
    return "mid"


def points(rng: random.Random) -> dict[str, int]:
    """Importance: 100 points in steps of 5, shared out by a random leaning."""
    weights = {d: rng.gammavariate(IMPORTANCE_SHAPE[d], 1.0) for d in DIMENSIONS}
    total = sum(weights.values())
    steps = IMPORTANCE_TOTAL // 5
    raw = {d: w / total * steps for d, w in weights.items()}
    points = {d: math.floor(v) for d, v in raw.items()}
    left = steps - sum(points.values())
    for d in sorted(DIMENSIONS, key=lambda d: points[d] - raw[d])[:left]:
        points[d] += 1
    return {d: 5 * p for d, p in points.items()}
