"""Every write to surveys, their own questions and the survey limits (the policy), and
the one permission-checked way to look a survey or a question up.

Who may change what (the same reading as the service levels, which any manager sets for
the whole business): MANAGE_SURVEYS (managers and owners) anywhere lets a person change
the limits and the surveys that apply at every location; a survey tied to one location
is changed only by its managers (or owners), and to everyone else it does not exist.

Each function checks its input again, whatever the form did, and raises
``SurveyError`` (a ``ValueError`` naming the field at fault) with a message in the
user's language; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location
from regulars.core.permissions import Capability
from regulars.feedback.instruments import Instrument
from regulars.feedback.invitations import policy
from regulars.feedback.models import (
    ChannelRule,
    FeedbackPolicy,
    Invitation,
    Question,
    QuestionKind,
    Survey,
    Trigger,
)

# The events a manager may choose; ``Trigger.RECOVERY`` is the recovery's own re-survey.
CHOOSABLE_TRIGGERS: tuple[str, ...] = (Trigger.VISIT, Trigger.TICKET_RESOLVED)
MAX_NAME = 100
MAX_POSITION = 32767  # PositiveSmallIntegerField
MAX_QUESTION_TEXT = 300
COOLDOWN_DAYS = (1, 365)  # at most one survey per customer in this many days
LINK_VALID_DAYS = (1, 90)  # a survey link works this many days
LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)


class SurveyError(ValueError):
    """Input a survey, question or policy cannot take; ``field`` names the form field at
    fault (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SurveySpec:
    """What a manager chooses for a survey (the form's cleaned values)."""

    name: str
    trigger: str
    location: Location | None
    instruments: list[str]
    channel: str = ChannelRule.EMAIL_OR_RECEIPT
    sampling_percent: int = 100
    active: bool = True
    position: int = 0


@dataclass(frozen=True)
class QuestionSpec:
    """A question of the business's own: ``texts`` maps language codes to wording."""

    kind: str
    texts: Mapping[str, str] = field(default_factory=dict)
    required: bool = False
    position: int = 0


# --- reading, with permissions ----------------------------------------------------------


def managed_location_ids(user: Any) -> list[int]:
    """The user's locations where they may manage surveys."""
    access = access_for(user)
    return [loc for loc in access.location_ids if access.can(Capability.MANAGE_SURVEYS, loc)]


def surveys_for(user: Any) -> QuerySet[Survey]:
    """The surveys ``user`` may change, in the order they apply (position, then age),
    with their location, how many questions they have and whether anyone was invited."""
    check(user, Capability.MANAGE_SURVEYS)
    return (
        Survey.objects.filter(trigger__in=CHOOSABLE_TRIGGERS)
        .filter(Q(location__isnull=True) | Q(location_id__in=managed_location_ids(user)))
        .select_related("location")
        .annotate(
            question_count=Count("questions"),
            has_invitations=Exists(Invitation.objects.filter(survey=OuterRef("pk"))),
        )
        .order_by("position", "id")
    )


def get_survey_for(user: Any, survey_id: int) -> Survey:
    """The survey ``survey_id`` if ``user`` may change it; else 404, so a survey of a
    location they do not manage is not even confirmed to exist."""
    found = surveys_for(user).filter(pk=survey_id).first()
    if found is None:
        raise Http404
    return found


def get_question_for(user: Any, question_id: int) -> Question:
    """The question ``question_id`` if ``user`` may change its survey; else 404."""
    found = (
        Question.objects.filter(pk=question_id, survey__in=surveys_for(user).values("pk"))
        .select_related("survey__location")
        .annotate(answer_count=Count("answers"))
        .first()
    )
    if found is None:
        raise Http404
    return found


# --- checks -------------------------------------------------------------------------------


def _check_survey_place(actor: Any, location: Location | None) -> None:
    if location is None:
        check(actor, Capability.MANAGE_SURVEYS)
    else:
        check(actor, Capability.MANAGE_SURVEYS, location.pk)


def _int_between(value: Any, low: int, high: int, message: str, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SurveyError(message, field_name)
    return value


def _clean_instruments(instruments: Iterable[str]) -> list[str]:
    """The instruments chosen, once each, in their fixed order (at least one)."""
    chosen = set(instruments)
    unknown = sorted(chosen - set(Instrument.values))
    if unknown:
        raise SurveyError(
            _("“%(name)s” is not an instrument.") % {"name": unknown[0]}, "instruments"
        )
    if not chosen:
        raise SurveyError(_("Choose at least one instrument."), "instruments")
    return [value for value in Instrument.values if value in chosen]


def _clean_survey(spec: SurveySpec) -> dict[str, Any]:
    name = spec.name.strip()
    if not name:
        raise SurveyError(_("Give the survey a name."), "name")
    if len(name) > MAX_NAME:
        raise SurveyError(
            _("A name has at most %(count)s characters.") % {"count": MAX_NAME}, "name"
        )
    if spec.trigger not in CHOOSABLE_TRIGGERS:
        raise SurveyError(_("A survey follows a visit or a resolved ticket."), "trigger")
    if spec.channel not in ChannelRule.values:
        raise SurveyError(_("Choose how the survey is sent."), "channel")
    return {
        "name": name,
        "trigger": spec.trigger,
        "location": spec.location,
        "instruments": _clean_instruments(spec.instruments),
        "channel": spec.channel,
        "sampling_percent": _int_between(
            spec.sampling_percent,
            0,
            100,
            _("The share of events invited is a whole number from 0 to 100."),
            "sampling_percent",
        ),
        "active": bool(spec.active),
        "position": _int_between(
            spec.position,
            0,
            MAX_POSITION,
            _("The position is a whole number from 0 to %(high)s.") % {"high": MAX_POSITION},
            "position",
        ),
    }


def _clean_question(spec: QuestionSpec) -> dict[str, Any]:
    if spec.kind not in QuestionKind.values:
        raise SurveyError(_("Choose the kind of answer."), "kind")
    unknown = sorted(set(spec.texts) - set(LANGUAGE_CODES))
    if unknown:
        raise SurveyError(_("“%(code)s” is not a language of Regulars.") % {"code": unknown[0]})
    texts: dict[str, str] = {}
    for code in LANGUAGE_CODES:  # kept in the languages' order
        text = " ".join(str(spec.texts.get(code, "")).split())
        if len(text) > MAX_QUESTION_TEXT:
            raise SurveyError(
                _("A question has at most %(count)s characters.") % {"count": MAX_QUESTION_TEXT},
                f"text_{code}",
            )
        if text:
            texts[code] = text
    if not texts:
        raise SurveyError(_("Write the question in at least one language."))
    return {
        "kind": spec.kind,
        "texts": texts,
        "required": bool(spec.required),
        "position": _int_between(
            spec.position,
            0,
            MAX_POSITION,
            _("The position is a whole number from 0 to %(high)s.") % {"high": MAX_POSITION},
            "position",
        ),
    }


# --- surveys ------------------------------------------------------------------------------


@transaction.atomic
def create_survey(*, actor: Any, spec: SurveySpec) -> Survey:
    """Add a survey (its location's manager, or any manager for every location)."""
    _check_survey_place(actor, spec.location)
    return Survey.objects.create(**_clean_survey(spec))


@transaction.atomic
def change_survey(*, actor: Any, survey: Survey, spec: SurveySpec) -> Survey:
    """Change a survey. The actor must manage both where it applied and where it will."""
    _check_survey_place(actor, survey.location)
    _check_survey_place(actor, spec.location)
    values = _clean_survey(spec)
    for name, value in values.items():
        setattr(survey, name, value)
    survey.save(update_fields=list(values))
    return survey


@transaction.atomic
def set_survey_active(*, actor: Any, survey: Survey, active: bool) -> Survey:
    """Stop (or resume) inviting to a survey; its invitations and answers stay."""
    _check_survey_place(actor, survey.location)
    survey.active = active
    survey.save(update_fields=["active"])
    return survey


@transaction.atomic
def delete_survey(*, actor: Any, survey: Survey) -> None:
    """Delete a survey nobody was invited to (its questions go with it). One with
    invitations keeps its answers comparable: deactivate it instead."""
    _check_survey_place(actor, survey.location)
    if Invitation.objects.filter(survey=survey).exists():
        raise SurveyError(
            _(
                "Customers were invited to this survey, so it is kept with their answers: "
                "deactivate it instead."
            )
        )
    survey.delete()


# --- questions ------------------------------------------------------------------------------


@transaction.atomic
def add_question(*, actor: Any, survey: Survey, spec: QuestionSpec) -> Question:
    """Add a question of the business's own to ``survey`` (asked after its instruments)."""
    _check_survey_place(actor, survey.location)
    return Question.objects.create(survey=survey, **_clean_question(spec))


@transaction.atomic
def change_question(*, actor: Any, question: Question, spec: QuestionSpec) -> Question:
    _check_survey_place(actor, question.survey.location)
    values = _clean_question(spec)
    for name, value in values.items():
        setattr(question, name, value)
    question.save(update_fields=list(values))
    return question


@transaction.atomic
def remove_question(*, actor: Any, question: Question) -> None:
    """Remove a question; the answers given to it go with it (the page says so first)."""
    _check_survey_place(actor, question.survey.location)
    question.delete()


# --- the limits ---------------------------------------------------------------------------


@transaction.atomic
def set_policy(*, actor: Any, cooldown_days: int, link_valid_days: int) -> FeedbackPolicy:
    """Set the survey limits for the whole business: at most one survey per customer in
    ``cooldown_days`` (1–365), and links valid ``link_valid_days`` (1–90; invitations
    made from now on)."""
    check(actor, Capability.MANAGE_SURVEYS)
    low, high = COOLDOWN_DAYS
    cooldown = _int_between(
        cooldown_days,
        low,
        high,
        _("At most one survey per customer in %(low)s to %(high)s days.")
        % {"low": low, "high": high},
        "cooldown_days",
    )
    low, high = LINK_VALID_DAYS
    valid = _int_between(
        link_valid_days,
        low,
        high,
        _("A link stays valid %(low)s to %(high)s days.") % {"low": low, "high": high},
        "link_valid_days",
    )
    current = policy()
    current.cooldown_days, current.link_valid_days = cooldown, valid
    current.updated_at = timezone.now()
    current.save(update_fields=["cooldown_days", "link_valid_days", "updated_at"])
    return current
