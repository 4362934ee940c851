"""Reading a survey's answers from submitted fields, with a clear message for each
answer out of range or missing. Used by the survey page (every step and the final
submit) and by ``responses.submit_response``, so the rules live in one place.

Field names: ``csat``, ``nps``, ``ces``, ``why``, ``comment``; the quality survey's
``q-<dimension>-<n>-e`` (expected) and ``q-<dimension>-<n>-p`` (perceived), 1–7 or
empty ("no opinion"); ``imp-<dimension>`` (points, together 100); ``custom-<id>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from regulars.feedback.instruments import (
    DIMENSIONS,
    IMPORTANCE_TOTAL,
    ITEMS,
    SCALES,
    Instrument,
)
from regulars.feedback.models import Question, QuestionKind, Survey

MAX_TEXT = 4000  # characters kept of a comment or a reason


@dataclass
class SurveyAnswers:
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    why: str = ""
    comment: str = ""
    # (dimension, item number) -> (expected, perceived), each 1..7 or None
    quality: dict[tuple[str, int], tuple[int | None, int | None]] = field(default_factory=dict)
    importance: dict[str, int] = field(default_factory=dict)
    custom: dict[int, int | str] = field(default_factory=dict)


def field_names(survey: Survey, questions: Iterable[Question]) -> list[str]:
    """Every field a survey may submit, in page order (drafts keep only these)."""
    names: list[str] = []
    for instrument in survey.instruments:
        if instrument == Instrument.QUALITY:
            for item in ITEMS:
                names += [
                    f"q-{item.dimension}-{item.number}-e",
                    f"q-{item.dimension}-{item.number}-p",
                ]
            names += [f"imp-{dim}" for dim in DIMENSIONS]
        elif instrument in SCALES:
            names.append(str(instrument))
            if instrument == Instrument.NPS:
                names.append("why")
    names += [f"custom-{q.pk}" for q in questions]
    names.append("comment")
    return names


def _int_in(
    raw: Any, low: int, high: int, errors: dict[str, str], name: str, *, required: bool
) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        if required:
            errors[name] = _("Please choose an answer.")
        return None
    try:
        value = int(text)
    except ValueError:
        errors[name] = _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return None
    if not low <= value <= high:
        errors[name] = _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return None
    return value


def read_answers(
    survey: Survey,
    questions: Iterable[Question],
    data: Mapping[str, Any],
    *,
    final: bool,
) -> tuple[SurveyAnswers, dict[str, str]]:
    """The answers in ``data`` and the errors by field name (empty when all is well).

    ``final`` requires every required answer (a draft may leave them for later).
    Unknown fields are ignored; texts are trimmed to ``MAX_TEXT`` characters.
    """
    errors: dict[str, str] = {}
    answers = SurveyAnswers()
    instruments = set(survey.instruments)
    for instrument in (Instrument.CSAT, Instrument.NPS, Instrument.CES):
        if instrument in instruments:
            low, high = SCALES[instrument]
            name = str(instrument)
            setattr(answers, name, _int_in(data.get(name), low, high, errors, name, required=final))
    answers.why = str(data.get("why", "")).strip()[:MAX_TEXT]
    answers.comment = str(data.get("comment", "")).strip()[:MAX_TEXT]
    if Instrument.QUALITY in instruments:
        low, high = SCALES[Instrument.QUALITY]
        for item in ITEMS:
            prefix = f"q-{item.dimension}-{item.number}"
            expected = _int_in(
                data.get(f"{prefix}-e"), low, high, errors, f"{prefix}-e", required=False
            )
            perceived = _int_in(
                data.get(f"{prefix}-p"), low, high, errors, f"{prefix}-p", required=False
            )
            if expected is not None or perceived is not None:
                answers.quality[(item.dimension, item.number)] = (expected, perceived)
        if final and not any(p is not None for _e, p in answers.quality.values()):
            errors["quality"] = _("Please answer at least one statement about your visit.")
        points = {
            dim: _int_in(
                data.get(f"imp-{dim}"), 0, IMPORTANCE_TOTAL, errors, f"imp-{dim}", required=False
            )
            for dim in DIMENSIONS
        }
        given = {dim: p for dim, p in points.items() if p is not None}
        if given:
            total = sum(given.values())
            if final and total != IMPORTANCE_TOTAL:
                errors["importance"] = _(
                    "The points add up to %(total)s; please share out exactly %(points)s."
                ) % {"total": total, "points": IMPORTANCE_TOTAL}
            answers.importance = {dim: given.get(dim, 0) for dim in DIMENSIONS}
    for question in questions:
        name = f"custom-{question.pk}"
        raw = data.get(name)
        if question.kind == QuestionKind.TEXT:
            text = str(raw or "").strip()[:MAX_TEXT]
            if text:
                answers.custom[question.pk] = text
            elif final and question.required:
                errors[name] = _("Please answer this question.")
        else:
            high = 5 if question.kind == QuestionKind.SCALE_5 else 1
            low = 1 if question.kind == QuestionKind.SCALE_5 else 0
            value = _int_in(raw, low, high, errors, name, required=final and question.required)
            if value is not None:
                answers.custom[question.pk] = value
    return answers, errors
