"""Answering a survey: opening a link, keeping partial answers, submitting once.

Every outcome of a bad link is a ``LinkProblem`` with a kind the page explains in the
customer's language, and none changes any data. Submitting runs in one transaction
that locks the invitation: two submits at once (a double click, a second tab) record one
response; the second gets ``LinkProblem("answered")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.feedback import recovery
from regulars.feedback.answers import SurveyAnswers, field_names, read_answers
from regulars.feedback.instruments import CSAT_DETRACTOR_MAX, NPS_DETRACTOR_MAX
from regulars.feedback.models import (
    CustomAnswer,
    Invitation,
    InvitationStatus,
    QualityAnswer,
    Question,
    Response,
)
from regulars.feedback.tokens import BadToken, nonce_matches, read_token
from regulars.text.comments import CommentAnalysis, analyse_comment

# A comment this negative (score in [-1, 1]) makes a detractor on its own.
CLEARLY_NEGATIVE = -0.5


class LinkProblem(Exception):
    """Why a survey link cannot be answered: ``invalid`` (altered or made up),
    ``expired`` or ``answered``."""

    def __init__(self, kind: str, invitation: Invitation | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.invitation = invitation


class InvalidAnswers(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _usable(invitation: Invitation, now: datetime) -> Invitation:
    if invitation.status == InvitationStatus.ANSWERED:
        raise LinkProblem("answered", invitation)
    if invitation.expires_at <= now:
        raise LinkProblem("expired", invitation)
    return invitation


def invitation_for_token(token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation a link opens; LinkProblem when it cannot be answered."""
    try:
        key = read_token(token)
    except BadToken as error:
        raise LinkProblem("invalid") from error
    invitation = (
        Invitation.objects.select_related("survey", "location", "customer")
        .filter(public_id=key.public_id)
        .first()
    )
    if invitation is None or not nonce_matches(invitation.nonce, key.nonce):
        raise LinkProblem("invalid")
    return _usable(invitation, now or timezone.now())


def invitation_for_code(code: str, *, now: datetime | None = None) -> Invitation:
    """The invitation of a receipt's short code (already cleaned by ``clean_short_code``)."""
    invitation = (
        Invitation.objects.select_related("survey", "location", "customer")
        .filter(short_code=code)
        .first()
        if code
        else None
    )
    if invitation is None:
        raise LinkProblem("invalid")
    return _usable(invitation, now or timezone.now())


def questions_of(invitation: Invitation) -> list[Question]:
    return list(invitation.survey.questions.all())


def mark_opened(invitation: Invitation, *, now: datetime | None = None) -> None:
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=now or timezone.now()
        )


@transaction.atomic
def save_draft(
    invitation: Invitation, data: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, str]:
    """Keep the answers given so far (only the survey's own fields; values that fail
    their check are not kept). Returns the errors of what was given."""
    locked = _usable(
        Invitation.objects.select_for_update().get(pk=invitation.pk), now or timezone.now()
    )
    questions = questions_of(locked)
    _answers, errors = read_answers(locked.survey, questions, data, final=False)
    allowed = set(field_names(locked.survey, questions))
    draft = dict(locked.draft)
    for name in allowed & set(data):
        if name not in errors:
            value = str(data.get(name, "")).strip()[:4000]
            if value:
                draft[name] = value
            else:
                draft.pop(name, None)
    status = locked.status if draft == locked.draft else InvitationStatus.PARTIAL
    Invitation.objects.filter(pk=locked.pk).update(draft=draft, status=status)
    invitation.draft, invitation.status = draft, status
    return errors


def is_detractor(answers: SurveyAnswers, analysis: CommentAnalysis | None) -> bool:
    if answers.nps is not None and answers.nps <= NPS_DETRACTOR_MAX:
        return True
    if answers.csat is not None and answers.csat <= CSAT_DETRACTOR_MAX:
        return True
    return (
        analysis is not None
        and analysis.sentiment == "negative"
        and analysis.score <= CLEARLY_NEGATIVE
    )


@transaction.atomic
def submit_response(
    invitation: Invitation, data: Mapping[str, Any], *, now: datetime | None = None
) -> Response:
    """Record the survey's answers once (drafted answers fill what ``data`` lacks).

    InvalidAnswers (by field) when an answer is out of range or a required one is
    missing; LinkProblem when the link was answered or expired meanwhile. An unhappy
    answer (see ``is_detractor``) opens a service recovery.
    """
    moment = now or timezone.now()
    locked = _usable(Invitation.objects.select_for_update().get(pk=invitation.pk), moment)
    questions = questions_of(locked)
    merged = {**locked.draft, **{k: v for k, v in data.items() if str(v).strip()}}
    answers, errors = read_answers(locked.survey, questions, merged, final=True)
    if errors:
        raise InvalidAnswers(errors)
    text = "\n".join(t for t in (answers.why, answers.comment) if t)
    analysis = analyse_comment(text, locked.language) if text else None
    response = Response.objects.create(
        invitation=locked,
        customer_id=locked.customer_id,
        location_id=locked.location_id,
        staff_id=locked.staff_id,
        trigger=locked.trigger,
        channel=locked.channel,
        language=locked.language,
        submitted_at=moment,
        csat=answers.csat,
        nps=answers.nps,
        ces=answers.ces,
        why=answers.why,
        comment=answers.comment,
        importance=answers.importance,
        comment_language=analysis.language if analysis else "",
        sentiment=analysis.sentiment if analysis else "",
        sentiment_score=analysis.score if analysis else None,
        topics=list(analysis.topics) if analysis else [],
        negative_topics=list(analysis.negative_topics) if analysis else [],
        detractor=is_detractor(answers, analysis),
    )
    QualityAnswer.objects.bulk_create(
        QualityAnswer(response=response, dimension=dim, item=n, expected=e, perceived=p)
        for (dim, n), (e, p) in sorted(answers.quality.items())
    )
    CustomAnswer.objects.bulk_create(
        CustomAnswer(
            response=response,
            question_id=qid,
            score=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else "",
        )
        for qid, value in answers.custom.items()
    )
    Invitation.objects.filter(pk=locked.pk).update(
        status=InvitationStatus.ANSWERED, answered_at=moment, draft={}
    )
    recovery.after_response(response, now=moment)
    return response
