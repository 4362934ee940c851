"""The survey rules, for managers: which survey follows which event (where, which
instruments, how sent, how often), the business's own questions in each language with a
preview as customers see them, and the limits (one survey per customer per N days,
links valid M days).

Who sees what (as with the service levels, which any manager sets for the whole
business): every page needs MANAGE_SURVEYS. The limits and the surveys for every
location are open to any manager or owner; a survey tied to one location is listed and
opened only for that location's managers and owners (404 for everyone else, so its
existence is not confirmed). Thin: forms validate, ``surveys`` checks and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import Location
from regulars.core.permissions import Capability
from regulars.feedback import surveys
from regulars.feedback.instruments import (
    ANCHORS,
    COMMENT,
    IMPORTANCE,
    IMPORTANCE_TOTAL,
    ITEMS,
    QUESTIONS,
    WHY,
    Instrument,
)
from regulars.feedback.invitations import policy
from regulars.feedback.models import ChannelRule, Question, QuestionKind, Survey, Trigger
from regulars.feedback.settings_forms import PolicyForm, QuestionForm, SurveyForm

LANGUAGE_NAMES: dict[str, Any] = dict(settings.LANGUAGES)

# The short names of the instruments in a rule's summary.
INSTRUMENT_SHORT: dict[str, Any] = {
    Instrument.CSAT: gettext_lazy("CSAT"),
    Instrument.NPS: gettext_lazy("NPS"),
    Instrument.CES: gettext_lazy("CES"),
    Instrument.QUALITY: gettext_lazy("service quality"),
}
CHANNEL_IN_WORDS: dict[str, Any] = {
    ChannelRule.EMAIL: gettext_lazy("by email only"),
    ChannelRule.RECEIPT: gettext_lazy("on the receipt only"),
    ChannelRule.EMAIL_OR_RECEIPT: gettext_lazy("by email, else on the receipt"),
}
SAMPLING_IN_WORDS: dict[str, Any] = {
    Trigger.VISIT: gettext_lazy("%(percent)s %% of visits"),
    Trigger.TICKET_RESOLVED: gettext_lazy("%(percent)s %% of resolved tickets"),
}
# How a customer answers each kind of question (the preview).
ANSWER_IN_WORDS: dict[str, Any] = {
    QuestionKind.SCALE_5: gettext_lazy("1 to 5"),
    QuestionKind.YES_NO: gettext_lazy("Yes / No"),
    QuestionKind.TEXT: gettext_lazy("In their own words"),
}


def rule_in_words(survey: Survey) -> str:
    """One line saying what the survey does, e.g. "After a visit · Bologna · CSAT, NPS ·
    by email, else on the receipt · 30 % of visits · active"."""
    where = survey.location.name if survey.location is not None else _("every location")
    sampling = SAMPLING_IN_WORDS.get(survey.trigger, gettext_lazy("%(percent)s %% of events"))
    parts = [
        str(Trigger(survey.trigger).label),
        where,
        ", ".join(str(INSTRUMENT_SHORT.get(i, i)) for i in survey.instruments),
        str(CHANNEL_IN_WORDS.get(survey.channel, survey.channel)),
        str(sampling) % {"percent": survey.sampling_percent},
        _("active") if survey.active else _("inactive"),
    ]
    return " · ".join(parts)


def shadowed_by(ordered: list[Survey]) -> dict[int, Survey]:
    """Active surveys that never apply, each with the earlier survey that always comes
    first for the same events (same trigger, and every location or the same one)."""
    found: dict[int, Survey] = {}
    for index, survey in enumerate(ordered):
        if not survey.active:
            continue
        for earlier in ordered[:index]:
            if (
                earlier.active
                and earlier.trigger == survey.trigger
                and (earlier.location_id is None or earlier.location_id == survey.location_id)
            ):
                found[survey.pk] = earlier
                break
    return found


def shown_language(texts: dict[str, str], language: str) -> str | None:
    """The language whose wording customers in ``language`` see (as
    ``Question.text_in`` chooses it); None when there is no wording at all."""
    for code in (language, "en"):
        if texts.get(code):
            return code
    return next((code for code, text in texts.items() if text), None)


def missing_wordings(question: Question) -> list[str]:
    """One sentence per language without its own wording, saying what is shown instead."""
    notes = []
    for code, name in settings.LANGUAGES:
        shown = shown_language(question.texts, code)
        if shown is not None and shown != code:
            notes.append(
                _("Customers in %(language)s will see the %(shown)s wording.")
                % {"language": name, "shown": LANGUAGE_NAMES.get(shown, shown)}
            )
    return notes


def _managed_locations(request: HttpRequest) -> list[Location]:
    return access_for(request.user).locations_with(Capability.MANAGE_SURVEYS)


def _refused(form: Any, error: surveys.SurveyError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error))


# --- the list and the limits ----------------------------------------------------------------


def _list_page(request: HttpRequest, policy_form: PolicyForm) -> HttpResponse:
    ordered = list(surveys.surveys_for(request.user))
    shadows = shadowed_by(ordered)
    current = policy()
    rows = [
        {"survey": survey, "rule": rule_in_words(survey), "shadowed_by": shadows.get(survey.pk)}
        for survey in ordered
    ]
    return render(
        request,
        "feedback/settings/survey_list.html",
        {"rows": rows, "policy": current, "policy_form": policy_form},
    )


@requires(Capability.MANAGE_SURVEYS)
def survey_list(request: HttpRequest) -> HttpResponse:
    """The surveys in the order they apply, each rule in words, and the limits."""
    current = policy()
    form = PolicyForm(
        initial={
            "cooldown_days": current.cooldown_days,
            "link_valid_days": current.link_valid_days,
        }
    )
    return _list_page(request, form)


@requires(Capability.MANAGE_SURVEYS)
@require_POST
def policy_update(request: HttpRequest) -> HttpResponse:
    """Change the limits; a value out of bounds saves nothing and shows the list again."""
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            surveys.set_policy(
                actor=request.user,
                cooldown_days=form.cleaned_data["cooldown_days"],
                link_valid_days=form.cleaned_data["link_valid_days"],
            )
        except surveys.SurveyError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The survey limits are saved."))
            return redirect("feedback:surveys")
    return _list_page(request, form)


# --- a survey ----------------------------------------------------------------------------------


@requires(Capability.MANAGE_SURVEYS)
def survey_new(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        locations=_managed_locations(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey = surveys.create_survey(actor=request.user, spec=form.spec())
        except surveys.SurveyError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("The survey “%(name)s” is saved. You can add questions of your own now.")
                % {"name": survey.name},
            )
            return redirect("feedback:survey", pk=survey.pk)
    return render(request, "feedback/settings/survey_form.html", {"form": form, "survey": None})


@requires(Capability.MANAGE_SURVEYS)
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A survey's rule, its own questions (with the languages they lack), and deleting it
    (or, once customers were invited, deactivating it)."""
    survey = surveys.get_survey_for(request.user, pk)
    form = SurveyForm(
        request.POST if request.method == "POST" else None,
        locations=_managed_locations(request),
        initial={
            "name": survey.name,
            "trigger": survey.trigger,
            "location": survey.location_id,
            "instruments": survey.instruments,
            "channel": survey.channel,
            "sampling_percent": survey.sampling_percent,
            "active": survey.active,
            "position": survey.position,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            surveys.change_survey(actor=request.user, survey=survey, spec=form.spec())
        except surveys.SurveyError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The survey “%(name)s” is saved.") % {"name": survey.name})
            return redirect("feedback:surveys")
        survey.refresh_from_db()
    language = translation.get_language() or settings.LANGUAGE_CODE
    questions = [
        {
            "question": question,
            "text": question.text_in(language),
            "missing": missing_wordings(question),
        }
        for question in survey.questions.annotate(answer_count=Count("answers"))
    ]
    return render(
        request,
        "feedback/settings/survey_form.html",
        {"form": form, "survey": survey, "questions": questions, "rule": rule_in_words(survey)},
    )


@requires(Capability.MANAGE_SURVEYS)
@require_POST
def survey_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a survey nobody was invited to, once the box confirming it is ticked."""
    survey = surveys.get_survey_for(request.user, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the survey should be deleted."))
        return redirect("feedback:survey", pk=survey.pk)
    try:
        surveys.delete_survey(actor=request.user, survey=survey)
    except surveys.SurveyError as error:
        messages.error(request, str(error))
        return redirect("feedback:survey", pk=survey.pk)
    messages.success(request, _("The survey “%(name)s” is deleted.") % {"name": survey.name})
    return redirect("feedback:surveys")


@requires(Capability.MANAGE_SURVEYS)
@require_POST
def survey_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop inviting to a survey; it stays with its invitations and answers."""
    survey = surveys.get_survey_for(request.user, pk)
    surveys.set_survey_active(actor=request.user, survey=survey, active=False)
    messages.success(
        request,
        _("The survey “%(name)s” is no longer sent; its answers are kept.") % {"name": survey.name},
    )
    return redirect("feedback:surveys")


# --- the business's own questions ----------------------------------------------------------


@requires(Capability.MANAGE_SURVEYS)
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    survey = surveys.get_survey_for(request.user, pk)
    next_position = max((q.position for q in survey.questions.all()), default=-1) + 1
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        initial={"position": next_position},
    )
    if request.method == "POST" and form.is_valid():
        try:
            surveys.add_question(actor=request.user, survey=survey, spec=form.spec())
        except surveys.SurveyError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The question is added."))
            return redirect("feedback:survey", pk=survey.pk)
    return render(
        request,
        "feedback/settings/question_form.html",
        {"form": form, "survey": survey, "question": None},
    )


@requires(Capability.MANAGE_SURVEYS)
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    question = surveys.get_question_for(request.user, pk)
    form = QuestionForm(
        request.POST if request.method == "POST" else None,
        initial=QuestionForm.initial_for(
            question.kind, question.texts, question.required, question.position
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            surveys.change_question(actor=request.user, question=question, spec=form.spec())
        except surveys.SurveyError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The question is saved."))
            return redirect("feedback:survey", pk=question.survey_id)
    return render(
        request,
        "feedback/settings/question_form.html",
        {
            "form": form,
            "survey": question.survey,
            "question": question,
            "missing": missing_wordings(question),
        },
    )


@requires(Capability.MANAGE_SURVEYS)
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = surveys.get_question_for(request.user, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the question should be removed."))
        return redirect("feedback:survey_question", pk=question.pk)
    surveys.remove_question(actor=request.user, question=question)
    messages.success(request, _("The question is removed."))
    return redirect("feedback:survey", pk=question.survey_id)


# --- the preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewQuestion:
    text: str
    answer: str  # how it is answered, in words
    required: bool = False
    fallback: str = ""  # a note when the wording is in another language
    statements: tuple[str, ...] = ()  # the quality survey's statements


@dataclass(frozen=True)
class PreviewLanguage:
    code: str
    name: str
    questions: list[PreviewQuestion]


def _preview_in(survey: Survey, questions: list[Question], code: str, name: Any) -> PreviewLanguage:
    """The survey's questions as a customer reading ``code`` sees them (texts made
    inside the language, so the page shows each language side by side)."""
    notes: dict[int, str] = {}  # in the manager's language, made before switching
    for question in questions:
        wording = shown_language(question.texts, code)
        if wording is not None and wording != code:
            notes[question.pk] = _("No wording in %(language)s: shown in %(shown)s.") % {
                "language": name,
                "shown": LANGUAGE_NAMES.get(wording, wording),
            }
    shown: list[PreviewQuestion] = []
    with translation.override(code):
        for instrument in survey.instruments:
            low, high = ANCHORS.get(instrument, ("", ""))
            if instrument == Instrument.QUALITY:
                statements = tuple(f"{item.expectation} / {item.perception}" for item in ITEMS)
                shown.append(
                    PreviewQuestion(
                        text=str(Instrument(instrument).label),
                        answer=f"{low} … {high}",
                        statements=statements,
                    )
                )
                shown.append(
                    PreviewQuestion(
                        text=str(IMPORTANCE),
                        answer=_("%(points)s points") % {"points": IMPORTANCE_TOTAL},
                    )
                )
                continue
            shown.append(PreviewQuestion(text=str(QUESTIONS[instrument]), answer=f"{low} … {high}"))
            if instrument == Instrument.NPS:
                shown.append(PreviewQuestion(text=str(WHY), answer=str(ANSWER_IN_WORDS["text"])))
        for question in questions:
            shown.append(
                PreviewQuestion(
                    text=question.text_in(code),
                    answer=str(ANSWER_IN_WORDS.get(question.kind, "")),
                    required=question.required,
                    fallback=notes.get(question.pk, ""),
                )
            )
        shown.append(PreviewQuestion(text=str(COMMENT), answer=str(ANSWER_IN_WORDS["text"])))
    return PreviewLanguage(code=code, name=str(name), questions=shown)


@requires(Capability.MANAGE_SURVEYS)
def survey_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey's questions as customers see them, in every language side by side."""
    survey = surveys.get_survey_for(request.user, pk)
    questions = list(survey.questions.all())
    languages = [_preview_in(survey, questions, code, name) for code, name in settings.LANGUAGES]
    return render(
        request,
        "feedback/settings/survey_preview.html",
        {"survey": survey, "languages": languages},
    )
