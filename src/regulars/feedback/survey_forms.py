"""The survey's steps as the page shows them: which fields each step holds, in what
order, with their wording, anchors, current values and errors.

A survey is one step per instrument it uses (the quality survey takes two: its
statements, then the 100 points), one for the business's own questions, and a last
one with the free comment. Field names are those of ``answers`` (its docstring);
``quality`` and ``importance`` name errors that belong to a whole group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.feedback.instruments import (
    ANCHORS,
    COMMENT,
    DIMENSION_PLAIN,
    DIMENSIONS,
    IMPORTANCE,
    IMPORTANCE_TOTAL,
    ITEMS,
    QUESTIONS,
    SCALES,
    WHY,
    Instrument,
)
from regulars.feedback.models import Question, QuestionKind, Survey

# Step keys, in the order their errors are looked for after a final submit.
QUALITY_STEP = "quality"
IMPORTANCE_STEP = "importance"
QUESTIONS_STEP = "questions"
COMMENT_STEP = "comment"

# A scale of the business's own questions has no wording of ours: plain ends fit most.
CUSTOM_ANCHORS: tuple[LazyText, LazyText] = (gettext_lazy("Poor"), gettext_lazy("Excellent"))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool
    # Read by screen readers after the number at both ends ("1, Very dissatisfied").
    anchor: str = ""


@dataclass
class Field:
    """One answer on the page: a radio scale, a text box or a points box."""

    kind: str  # "scale", "text" or "points"
    name: str
    label: str
    value: str = ""
    error: str = ""
    optional: bool = False
    choices: list[Choice] = field(default_factory=list)
    anchors: tuple[str, str] = ("", "")
    hint: str = ""
    heading: bool = False  # the step's only question: its label is the page's heading

    @property
    def dom_id(self) -> str:
        """The element an error summary links to (a scale's first choice)."""
        if self.kind == "scale" and self.choices:
            return f"f-{self.name}-{self.choices[0].value or 'none'}"
        return f"f-{self.name}"

    @property
    def error_id(self) -> str:
        return f"err-{self.name}"

    @property
    def shows_optional(self) -> bool:
        """Marked "(optional)" (a scale with "no opinion" says so itself)."""
        return self.optional and all(choice.value for choice in self.choices)

    @property
    def columns(self) -> int:
        """Choices side by side ("no opinion" takes a row of its own)."""
        return sum(1 for choice in self.choices if choice.value)

    @property
    def many(self) -> bool:
        """More choices than fit a phone's width (0–10): laid out on two rows there."""
        return self.columns > 7


@dataclass
class Statement:
    """One statement of the quality survey: expected of a business like this, and
    experienced here."""

    number: int
    expected: Field
    perceived: Field


@dataclass
class Step:
    key: str
    title: str
    intro: str = ""
    fields: list[Field] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    # Names whose answers this step holds (drafts and errors are read by these).
    names: list[str] = field(default_factory=list)
    # Errors of a whole group ("quality", "importance") shown above the step's fields.
    group_errors: list[tuple[str, str]] = field(default_factory=list)
    total: int | None = None  # points given so far (the importance step)

    def owns(self, name: str) -> bool:
        return name in self.names or name == self.key


def _scale(
    name: str,
    label: str,
    low: int,
    high: int,
    anchors: tuple[Any, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    optional: bool = False,
    no_opinion: bool = False,
) -> Field:
    current = str(values.get(name, "") or "").strip()
    first, last = str(anchors[0]), str(anchors[1])
    choices = [
        Choice(
            value=str(n),
            label=str(n),
            checked=current == str(n),
            anchor=first if n == low else last if n == high else "",
        )
        for n in range(low, high + 1)
    ]
    if no_opinion:
        choices.append(Choice(value="", label=_("No opinion"), checked=False))
    return Field(
        kind="scale",
        name=name,
        label=label,
        value=current,
        error=errors.get(name, ""),
        optional=optional,
        choices=choices,
        anchors=(f"{low} = {first}", f"{high} = {last}"),
    )


def _yes_no(
    name: str, label: str, values: Mapping[str, Any], errors: Mapping[str, str], *, optional: bool
) -> Field:
    current = str(values.get(name, "") or "").strip()
    return Field(
        kind="scale",
        name=name,
        label=label,
        value=current,
        error=errors.get(name, ""),
        optional=optional,
        choices=[
            Choice(value="1", label=_("Yes"), checked=current == "1"),
            Choice(value="0", label=_("No"), checked=current == "0"),
        ],
    )


def _text(name: str, label: str, values: Mapping[str, Any], errors: Mapping[str, str]) -> Field:
    return Field(
        kind="text",
        name=name,
        label=label,
        value=str(values.get(name, "") or ""),
        error=errors.get(name, ""),
        optional=True,
    )


def _points_total(values: Mapping[str, Any]) -> int | None:
    given = []
    for dim in DIMENSIONS:
        raw = str(values.get(f"imp-{dim}", "") or "").strip()
        if raw.isdigit():
            given.append(int(raw))
    return sum(given) if given else None


def build_steps(
    survey: Survey,
    questions: Sequence[Question],
    language: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Step]:
    """The survey's steps, filled with ``values`` (drafted or just posted) and ``errors``
    by field name. Call inside the customer's language: labels are rendered here."""
    values = values or {}
    errors = errors or {}
    steps: list[Step] = []
    for instrument in survey.instruments:
        if instrument in (Instrument.CSAT, Instrument.NPS, Instrument.CES):
            low, high = SCALES[instrument]
            name = str(instrument)
            step = Step(key=name, title=str(QUESTIONS[instrument]), names=[name])
            question = str(QUESTIONS[instrument])
            scale = _scale(name, question, low, high, ANCHORS[instrument], values, errors)
            scale.heading = True
            step.fields.append(scale)
            if instrument == Instrument.NPS:
                step.fields.append(_text("why", str(WHY), values, errors))
                step.names.append("why")
            steps.append(step)
        elif instrument == Instrument.QUALITY:
            steps += [_quality_step(values, errors), _importance_step(values, errors)]
    if questions:
        steps.append(_questions_step(questions, language, values, errors))
    steps.append(
        Step(
            key=COMMENT_STEP,
            title=_("One last thing"),
            fields=[_text("comment", str(COMMENT), values, errors)],
            names=["comment"],
        )
    )
    return steps


def _quality_step(values: Mapping[str, Any], errors: Mapping[str, str]) -> Step:
    low, high = SCALES[Instrument.QUALITY]
    anchors = ANCHORS[Instrument.QUALITY]
    step = Step(
        key=QUALITY_STEP,
        title=_("What you expect, and what you found"),
        intro=_(
            "Each pair of statements asks first about businesses like ours in general, "
            "then about your visit here. Choose how much you agree, from 1 (strongly "
            "disagree) to 7 (strongly agree). Skip any you have no opinion on."
        ),
    )
    for number, item in enumerate(ITEMS, start=1):
        prefix = f"q-{item.dimension}-{item.number}"
        step.statements.append(
            Statement(
                number=number,
                expected=_scale(
                    f"{prefix}-e",
                    str(item.expectation),
                    low,
                    high,
                    anchors,
                    values,
                    errors,
                    optional=True,
                    no_opinion=True,
                ),
                perceived=_scale(
                    f"{prefix}-p",
                    str(item.perception),
                    low,
                    high,
                    anchors,
                    values,
                    errors,
                    optional=True,
                    no_opinion=True,
                ),
            )
        )
        step.names += [f"{prefix}-e", f"{prefix}-p"]
    if errors.get("quality"):
        step.group_errors.append(("quality", errors["quality"]))
    return step


def _importance_step(values: Mapping[str, Any], errors: Mapping[str, str]) -> Step:
    step = Step(
        key=IMPORTANCE_STEP,
        title=_("What matters most to you"),
        intro=str(IMPORTANCE),
        total=_points_total(values),
    )
    for dim in DIMENSIONS:
        name = f"imp-{dim}"
        step.fields.append(
            Field(
                kind="points",
                name=name,
                label=str(DIMENSION_PLAIN[dim]),
                value=str(values.get(name, "") or ""),
                error=errors.get(name, ""),
                hint=_("points, 0 to %(total)s") % {"total": IMPORTANCE_TOTAL},
            )
        )
        step.names.append(name)
    if errors.get("importance"):
        step.group_errors.append(("importance", errors["importance"]))
    return step


def _questions_step(
    questions: Sequence[Question],
    language: str,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> Step:
    step = Step(key=QUESTIONS_STEP, title=_("A few questions of our own"))
    for question in questions:
        name = f"custom-{question.pk}"
        text = question.text_in(language)
        optional = not question.required
        if question.kind == QuestionKind.TEXT:
            item = _text(name, text, values, errors)
            item.optional = optional
        elif question.kind == QuestionKind.YES_NO:
            item = _yes_no(name, text, values, errors, optional=optional)
        else:
            item = _scale(name, text, 1, 5, CUSTOM_ANCHORS, values, errors, optional=optional)
        step.fields.append(item)
        step.names.append(name)
    return step


def step_of_field(steps: Sequence[Step], name: str) -> int | None:
    """The index of the step that asks ``name`` (or shows the group error ``name``)."""
    for index, step in enumerate(steps):
        if step.owns(name):
            return index
    return None


def resume_index(steps: Sequence[Step], draft: Mapping[str, Any]) -> int:
    """Where a customer coming back continues: after the last step they answered."""
    answered = [i for i, step in enumerate(steps) if any(draft.get(n) for n in step.names)]
    return min(answered[-1] + 1, len(steps) - 1) if answered else 0


def error_links(step: Step) -> list[tuple[str, str, str]]:
    """(element id, what is asked, message) of every error on ``step``, in page order,
    for the summary at the top of the page."""
    links: list[tuple[str, str, str]] = []
    for key, message in step.group_errors:
        target = (
            step.statements[0].perceived.dom_id
            if key == QUALITY_STEP and step.statements
            else (step.fields[0].dom_id if step.fields else "main")
        )
        links.append((target, step.title, message))
    for statement in step.statements:
        for item in (statement.expected, statement.perceived):
            if item.error:
                links.append((item.dom_id, item.label, item.error))
    for item in step.fields:
        if item.error:
            links.append((item.dom_id, item.label, item.error))
    return links
