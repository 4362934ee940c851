"""The demo's survey feedback, generated once at a reduced size for the module: surveys
as rules, invitations by those rules, answers in the customers' languages analysed like
real ones, recoveries with their complaint tickets, and repeatable."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from regulars.accounts.models import Location
from regulars.customers.greeting import build_greeting_card
from regulars.customers.models import Consent, Customer
from regulars.demo.catalogue import say
from regulars.demo.feedback.phrases import (
    COMPLAINTS,
    MIXED,
    PRAISE,
    REQUEST_EASY,
    REQUEST_HARD,
    WON_BACK,
)
from regulars.demo.feedback.plan import COLD, WARM
from regulars.demo.generator import DemoSummary, generate
from regulars.feedback.answers import SurveyAnswers
from regulars.feedback.instruments import IMPORTANCE_TOTAL
from regulars.feedback.models import (
    RECOVERY_OPEN,
    CustomAnswer,
    FeedbackPolicy,
    Invitation,
    InvitationStatus,
    QualityAnswer,
    Recovery,
    RecoveryStatus,
    Response,
    Survey,
    Trigger,
)
from regulars.feedback.recovery import recovery_due
from regulars.feedback.responses import is_detractor
from regulars.service.flow import ACTIVE, TicketStatus
from regulars.service.models import TicketEvent, TicketEventKind
from regulars.service.tickets import location_contact
from regulars.text.comments import analyse_comment

SEED = 11
SIZE = 200
NOW = datetime(2025, 3, 12, 11, 30, tzinfo=UTC)  # a Wednesday, both cafés open
LANGUAGES = ("it", "da", "en", "ru", "es")
R = RecoveryStatus


@dataclass
class Built:
    summary: DemoSummary
    first: dict[str, Any]  # the feedback of a first build with the same seed
    second: dict[str, Any]  # of the build the tests look at


def _snapshot() -> dict[str, Any]:
    """The feedback as public ids and values (no primary keys, which differ)."""
    return {
        "invitations": list(
            Invitation.objects.order_by("public_id").values_list(
                "public_id",
                "nonce",
                "short_code",
                "event_key",
                "survey__name",
                "customer__public_id",
                "visit__public_id",
                "channel",
                "language",
                "status",
                "created_at",
                "answered_at",
            )
        ),
        "responses": list(
            Response.objects.order_by("public_id").values_list(
                "public_id", "csat", "nps", "ces", "why", "comment", "sentiment", "detractor"
            )
        ),
        "quality": list(
            QualityAnswer.objects.order_by("response__public_id", "dimension", "item").values_list(
                "response__public_id", "dimension", "item", "expected", "perceived"
            )
        ),
        "recoveries": list(
            Recovery.objects.order_by("public_id").values_list(
                "public_id",
                "status",
                "ticket__public_id",
                "contacted_at",
                "remedy",
                "closed_at",
                "resurvey__public_id",
            )
        ),
    }


@pytest.fixture(scope="module")
def built(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Built]:
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        with transaction.atomic():
            generate(SEED, customers=SIZE, now=NOW)
            first = _snapshot()
            transaction.set_rollback(True)
        summary = generate(SEED, customers=SIZE, now=NOW)
        yield Built(summary, first, _snapshot())
        transaction.set_rollback(True)


@pytest.fixture
def made(built: Built, db: Any) -> Built:
    return built


def _said(language: str) -> set[str]:
    tables = [*PRAISE, *MIXED, *REQUEST_EASY, *REQUEST_HARD, WON_BACK]
    tables += [text for texts in COMPLAINTS.values() for text in texts]
    return {say(text, language) for text in tables}


def test_the_same_seed_gives_the_same_feedback(made: Built) -> None:
    assert made.first["responses"]
    assert made.first["recoveries"]
    assert made.first == made.second


def test_it_reports_what_it_wrote(made: Built) -> None:
    feedback = made.summary.feedback
    assert feedback.invitations == Invitation.objects.count() > 100
    assert feedback.responses == Response.objects.count()
    assert feedback.recoveries == Recovery.objects.count() > 0
    assert feedback.recovered == Recovery.objects.filter(status=R.RECOVERED).count()
    assert feedback.lost == Recovery.objects.filter(status=R.LOST).count()
    assert feedback.links_open == (
        Invitation.objects.exclude(status=InvitationStatus.ANSWERED)
        .filter(expires_at__gt=NOW)
        .count()
    )
    assert f"{feedback.invitations:,} invitations" in made.summary.describe()


def test_the_surveys_are_rules_with_a_policy_and_a_question_in_five_languages(
    made: Built,
) -> None:
    surveys = list(Survey.objects.order_by("position", "id").select_related("location"))
    assert [(s.name, s.trigger, s.location and s.location.name) for s in surveys] == [
        ("Service quality", Trigger.VISIT, "Copenhagen"),
        ("After a visit", Trigger.VISIT, None),
        ("After a resolved request", Trigger.TICKET_RESOLVED, None),
    ]
    assert surveys[0].instruments[0] == "quality"
    assert set(surveys[1].instruments) == {"csat", "nps"}
    assert set(surveys[2].instruments) == {"ces", "csat"}
    question = surveys[1].questions.get()
    assert set(question.texts) == set(LANGUAGES)
    assert question.text_in("it") == "Ci siamo ricordati di quello che ti piace?"
    assert CustomAnswer.objects.filter(question=question, score=1).exists()
    assert CustomAnswer.objects.filter(question=question, score=0).exists()
    policy = FeedbackPolicy.objects.get()
    assert (policy.cooldown_days, policy.link_valid_days) == (90, 14)
    # Each visit follows the first matching survey: the quality survey at Copenhagen.
    visit_surveys = Invitation.objects.filter(trigger=Trigger.VISIT).values_list(
        "location__name", "survey__name"
    )
    assert set(visit_surveys) == {
        ("Copenhagen", "Service quality"),
        ("Bologna", "After a visit"),
    }


def test_answers_come_in_five_languages_and_the_comments_in_the_customers_own(
    made: Built,
) -> None:
    responses = list(Response.objects.select_related("customer"))
    assert {r.language for r in responses} == set(LANGUAGES)
    said = {language: _said(language) for language in LANGUAGES}
    with_text = 0
    for response in responses:
        if response.customer is not None:
            assert response.language == response.customer.language
        for text in (response.why, response.comment):
            assert not text or text in said[response.language], (response.language, text)
        with_text += bool(response.why or response.comment)
    assert 0.45 * len(responses) < with_text < 0.75 * len(responses)
    rate = len(responses) / Invitation.objects.count()
    assert 0.3 < rate < 0.5


def test_each_comment_is_stored_as_analysed_and_detractors_follow_the_rule(
    made: Built,
) -> None:
    for response in Response.objects.all():
        text = "\n".join(t for t in (response.why, response.comment) if t)
        analysis = analyse_comment(text, response.language) if text else None
        if analysis is None:
            assert (response.comment_language, response.sentiment, response.topics) == ("", "", [])
        else:
            assert response.comment_language == analysis.language
            assert response.sentiment == analysis.sentiment
            assert response.sentiment_score == pytest.approx(analysis.score)
            assert response.topics == list(analysis.topics)
            assert response.negative_topics == list(analysis.negative_topics)
        answers = SurveyAnswers(
            csat=response.csat,
            nps=response.nps,
            ces=response.ces,
            why=response.why,
            comment=response.comment,
        )
        assert response.detractor == is_detractor(answers, analysis), response.public_id
    negative = Counter(
        t for ts in Response.objects.values_list("negative_topics", flat=True) for t in ts
    )
    assert {"waiting", "price"} <= set(negative)


def test_every_unhappy_known_customer_gets_a_recovery_with_a_complaint_ticket(
    made: Built,
) -> None:
    detractors = Response.objects.filter(detractor=True).exclude(trigger=Trigger.RECOVERY)
    assert detractors.filter(customer=None).exists()
    assert not Recovery.objects.filter(response__customer=None).exists()
    known = detractors.exclude(customer=None)
    assert known.count() == Recovery.objects.count()
    for recovery in Recovery.objects.select_related("response", "ticket", "location"):
        ticket, response, location = recovery.ticket, recovery.response, recovery.location
        assert ticket is not None
        assert response.detractor
        assert recovery.customer_id == response.customer_id == ticket.customer_id
        assert recovery.opened_at == response.submitted_at == ticket.created_at
        assert (ticket.kind, ticket.priority) == ("complaint", "high")
        assert ticket.location_id == location.pk == response.location_id
        assert ticket.assignee == location_contact(location.pk)
        assert ticket.due_at == recovery_due(location, recovery.opened_at)
        created = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.CREATED)
        assert (created.at, created.actor_id) == (ticket.created_at, None)
        assert created.text == "\n".join(t for t in (response.why, response.comment) if t)
        if recovery.status in RECOVERY_OPEN:
            assert ticket.status in ACTIVE
            assert recovery.closed_at is None
        else:
            assert ticket.status == TicketStatus.RESOLVED
            assert ticket.resolved_at == recovery.closed_at


def test_recoveries_mostly_ended_and_the_recent_ones_are_under_way(made: Built) -> None:
    statuses = Counter(Recovery.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[R.RECOVERED] > 0.5 * total
    assert 0.1 * total < statuses[R.LOST] < statuses[R.RECOVERED]
    under_way = Recovery.objects.filter(status__in=RECOVERY_OPEN)
    assert len({r.status for r in under_way}) >= 2
    for recovery in Recovery.objects.all():
        steps = [
            recovery.opened_at,
            recovery.contacted_at,
            recovery.remedy_at,
            recovery.resurveyed_at,
            recovery.closed_at,
        ]
        times = [t for t in steps if t is not None]
        assert times == sorted(times)
        assert times[-1] <= NOW
        if recovery.status == R.REMEDY:
            assert recovery.remedy
        if recovery.status in RECOVERY_OPEN:
            assert recovery.opened_at > NOW - timedelta(days=45)
        if recovery.resurvey is not None:
            assert recovery.resurvey.trigger == Trigger.RECOVERY
            assert recovery.resurvey.customer_id == recovery.customer_id
    won_back = Recovery.objects.filter(status=R.RECOVERED).exclude(resurvey=None)
    assert won_back.exists()
    for recovery in won_back:
        answer = Response.objects.get(invitation=recovery.resurvey)
        assert not answer.detractor
        assert answer.submitted_at == recovery.closed_at


def test_invitations_follow_the_rules_for_each_customer(made: Built) -> None:
    by_customer: dict[int, list[Invitation]] = defaultdict(list)
    invitations = Invitation.objects.select_related("visit").order_by("created_at")
    for invitation in invitations:
        assert invitation.expires_at == invitation.created_at + timedelta(days=14)
        assert invitation.event_key.startswith("demo:")
        if invitation.customer_id is not None:
            by_customer[invitation.customer_id].append(invitation)
        if invitation.channel == "receipt" and invitation.trigger == Trigger.VISIT:
            assert invitation.visit is not None
            assert invitation.visit.channel == "in_person"
        if invitation.channel == "email":
            assert Consent.objects.filter(
                customer_id=invitation.customer_id,
                channel="email",
                granted=True,
                at__lte=invitation.created_at + timedelta(days=1),
            ).exists()
    assert len(by_customer) > 50
    for mine in by_customer.values():
        for before, after in itertools.pairwise(mine):
            if after.trigger != Trigger.RECOVERY:  # asking again is the recovery itself
                assert after.created_at - before.created_at >= timedelta(days=90)
    assert Invitation.objects.filter(customer=None, channel="receipt").exists()


def test_recent_links_are_still_open_and_none_was_answered_late(made: Built) -> None:
    still_open = Invitation.objects.exclude(status=InvitationStatus.ANSWERED).filter(
        expires_at__gt=NOW
    )
    assert still_open.exists()
    assert not still_open.filter(created_at__lt=NOW - timedelta(days=14)).exists()
    for invitation in Invitation.objects.filter(status=InvitationStatus.ANSWERED):
        assert invitation.answered_at is not None
        assert invitation.created_at < invitation.answered_at < invitation.expires_at
        assert invitation.answered_at <= NOW
    statuses = set(
        Invitation.objects.exclude(status=InvitationStatus.ANSWERED).values_list(
            "status", flat=True
        )
    )
    assert statuses == {InvitationStatus.SENT, InvitationStatus.CREATED}


def test_scores_are_plausible_with_a_warmer_and_a_colder_colleague(made: Built) -> None:
    nps = list(Response.objects.exclude(nps=None).values_list("nps", flat=True))
    score = 100 * (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) / len(nps)
    assert 20 < score < 70
    assert made.summary.feedback.nps == round(score)
    csat: dict[str, list[int]] = defaultdict(list)
    for username, value in Response.objects.exclude(csat=None).values_list(
        "staff__username", "csat"
    ):
        csat[username].append(value)
    everyone = [v for values in csat.values() for v in values]
    assert statistics.mean(csat[WARM]) > statistics.mean(everyone) > statistics.mean(csat[COLD])
    assert statistics.mean(csat[WARM]) - statistics.mean(csat[COLD]) > 0.3


def test_quality_answers_fall_short_on_waiting_and_hardly_on_tangibles(made: Built) -> None:
    gaps: dict[str, list[int]] = defaultdict(list)
    for dimension, expected, perceived in QualityAnswer.objects.values_list(
        "dimension", "expected", "perceived"
    ):
        if expected is not None and perceived is not None:
            gaps[dimension].append(perceived - expected)
    mean = {dimension: statistics.mean(values) for dimension, values in gaps.items()}
    assert len(mean) == 5
    assert min(mean, key=lambda d: mean[d]) == "responsiveness"
    assert mean["responsiveness"] < -0.6
    assert abs(mean["tangibles"]) < 0.35
    importance = Response.objects.exclude(importance={}).values_list("importance", flat=True)
    assert importance.exists()
    for points in importance:
        assert sum(points.values()) == IMPORTANCE_TOTAL


def test_each_location_has_an_unhappy_regular_whom_the_card_asks_to_make_it_right(
    made: Built,
) -> None:
    showcases = made.summary.feedback.showcases
    assert {location for location, _name in showcases} == {"Bologna", "Copenhagen"}
    for location_name, name in showcases:
        given, family = name.split(" ", 1)
        customer = Customer.objects.get(given_name=given, family_name=family)
        location = Location.objects.get(name=location_name)
        recovery = Recovery.objects.get(customer=customer, status__in=RECOVERY_OPEN)
        assert recovery.opened_at > NOW - timedelta(days=8)
        card = build_greeting_card(customer, location=location, now=NOW)
        assert "dissatisfied" in {part.key for part in card.parts}
        assert f"At the {location_name} counter, look up {name}" in made.summary.describe()
