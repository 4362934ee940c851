"""Answering a survey: bad links change nothing, answers are checked, one response."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regulars.feedback.models import Invitation, InvitationStatus, QualityAnswer, Response
from regulars.feedback.responses import (
    InvalidAnswers,
    LinkProblem,
    invitation_for_code,
    invitation_for_token,
    save_draft,
    submit_response,
)
from regulars.feedback.tokens import clean_short_code, make_token, shown_short_code
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.feedback.helpers import invitation, make_survey, token_of

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def invited(world: World) -> Invitation:
    survey = make_survey(instruments=("csat", "nps", "quality"))
    return invitation(survey, world.bologna, CustomerFactory(), staff=world.users["staff"], now=NOW)


def test_a_link_opens_its_invitation(invited: Invitation) -> None:
    found = invitation_for_token(token_of(invited), now=NOW)
    assert found.pk == invited.pk


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "x" + t,  # public id changed
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: "",
    ],
)
def test_an_altered_link_is_invalid(invited: Invitation, spoil: object) -> None:
    with pytest.raises(LinkProblem) as problem:
        invitation_for_token(spoil(token_of(invited)), now=NOW)  # type: ignore[operator]
    assert problem.value.kind == "invalid"


def test_a_link_signed_for_another_nonce_is_invalid(invited: Invitation) -> None:
    forged = make_token(invited.public_id, "someothernonce")
    with pytest.raises(LinkProblem) as problem:
        invitation_for_token(forged, now=NOW)
    assert problem.value.kind == "invalid"


def test_an_expired_link_says_so(invited: Invitation) -> None:
    with pytest.raises(LinkProblem) as problem:
        invitation_for_token(token_of(invited), now=invited.expires_at + timedelta(seconds=1))
    assert problem.value.kind == "expired"


def test_a_short_code_is_found_however_it_is_typed(invited: Invitation) -> None:
    typed = shown_short_code(invited.short_code).lower()
    assert invitation_for_code(clean_short_code(typed), now=NOW).pk == invited.pk
    assert clean_short_code("too-short") == ""
    with pytest.raises(LinkProblem):
        invitation_for_code("", now=NOW)


def test_answers_are_recorded_with_the_invitation_s_context(invited: Invitation) -> None:
    response = submit_response(
        invited,
        {
            "csat": "4",
            "nps": "9",
            "q-reliability-1-e": "7",
            "q-reliability-1-p": "5",
            "q-empathy-2-p": "6",
            "imp-reliability": "40",
            "imp-responsiveness": "20",
            "imp-assurance": "20",
            "imp-empathy": "10",
            "imp-tangibles": "10",
        },
        now=NOW,
    )
    assert (response.csat, response.nps, response.ces) == (4, 9, None)
    assert response.staff == invited.staff
    assert response.location == invited.location
    assert response.detractor is False
    assert response.importance["reliability"] == 40
    rows = {
        (a.dimension, a.item): (a.expected, a.perceived)
        for a in QualityAnswer.objects.filter(response=response)
    }
    assert rows == {("reliability", 1): (7, 5), ("empathy", 2): (None, 6)}
    invited.refresh_from_db()
    assert invited.status == InvitationStatus.ANSWERED


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"csat": "0", "nps": "5"}, "csat"),
        ({"csat": "3", "nps": "11"}, "nps"),
        ({"csat": "3", "nps": "ten"}, "nps"),
        ({"nps": "7"}, "csat"),
        ({"csat": "3", "nps": "7", "q-tangibles-1-p": "8"}, "q-tangibles-1-p"),
    ],
)
def test_out_of_range_or_missing_answers_are_refused_and_nothing_is_kept(
    world: World, fields: dict[str, str], bad: str
) -> None:
    survey = make_survey(instruments=("csat", "nps", "quality"))
    invited = invitation(survey, world.bologna, CustomerFactory(), now=NOW)
    with pytest.raises(InvalidAnswers) as refused:
        submit_response(invited, fields, now=NOW)
    assert bad in refused.value.errors
    assert Response.objects.count() == 0
    invited.refresh_from_db()
    assert invited.status == InvitationStatus.CREATED


def test_importance_must_share_out_exactly_a_hundred_points(invited: Invitation) -> None:
    fields = {"csat": "4", "nps": "8", "q-reliability-1-p": "5", "imp-reliability": "90"}
    with pytest.raises(InvalidAnswers) as refused:
        submit_response(invited, fields, now=NOW)
    assert "importance" in refused.value.errors
    assert "90" in refused.value.errors["importance"]


def test_a_draft_is_kept_and_completes_the_submission(invited: Invitation) -> None:
    errors = save_draft(invited, {"csat": "5", "nps": "12", "unknown": "x"}, now=NOW)
    assert list(errors) == ["nps"]
    invited.refresh_from_db()
    assert invited.draft == {"csat": "5"}
    assert invited.status == InvitationStatus.PARTIAL
    response = submit_response(invited, {"nps": "10", "q-assurance-1-p": "7"}, now=NOW)
    assert (response.csat, response.nps) == (5, 10)
    invited.refresh_from_db()
    assert invited.draft == {}


def test_a_second_submission_records_nothing_more(invited: Invitation) -> None:
    fields = {"csat": "5", "nps": "10", "q-assurance-1-p": "7"}
    submit_response(invited, fields, now=NOW)
    with pytest.raises(LinkProblem) as problem:
        submit_response(invited, {**fields, "csat": "1"}, now=NOW)
    assert problem.value.kind == "answered"
    assert list(Response.objects.values_list("csat", flat=True)) == [5]


def test_a_detractor_is_marked_by_a_low_score(world: World) -> None:
    invited = invitation(make_survey(), world.bologna, None, now=NOW)
    response = submit_response(invited, {"csat": "4", "nps": "6"}, now=NOW)
    assert response.detractor is True


def test_a_clearly_negative_comment_makes_a_detractor_and_is_read(world: World) -> None:
    invited = invitation(make_survey(), world.bologna, None, now=NOW)
    response = submit_response(
        invited,
        {
            "csat": "3",
            "nps": "8",
            "comment": "Terrible service, the staff were rude and we waited forty minutes.",
        },
        now=NOW,
    )
    assert (response.sentiment, response.comment_language) == ("negative", "en")
    assert "waiting" in response.topics
    assert response.detractor is True
