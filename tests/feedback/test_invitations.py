"""Who is invited to a survey after a visit or a resolved ticket, and how."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from regulars.customers.services import record_consent
from regulars.feedback.invitations import Skip, invite_after, send_invitation
from regulars.feedback.models import Invitation, InvitationStatus, Survey, Trigger
from regulars.feedback.tokens import read_token
from regulars.service import tickets
from regulars.service.services import log_visit
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.feedback.helpers import emailable_customer, make_survey

MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _visit(
    world: World, customer: Any, *, channel: str = "in_person", at: datetime = MONDAY
) -> Any:
    return log_visit(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        channel=channel,
        at=at,
    )


def _invite(world: World, visit: Any, now: datetime = MONDAY) -> Invitation | Skip:
    return invite_after(
        trigger=Trigger.VISIT,
        location=world.bologna,
        customer=visit.customer,
        staff=world.users["staff"],
        visit=visit,
        now=now,
    )


def test_a_logged_visit_emails_the_customer_a_link_in_their_language(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    make_survey()
    customer = emailable_customer(world.bologna, language="ru", email="maria@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        visit = _visit(world, customer, at=datetime.now(UTC))
    sent = Invitation.objects.get(visit=visit)
    assert (sent.channel, sent.language, sent.status) == ("email", "ru", InvitationStatus.SENT)
    assert sent.staff == world.users["staff"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maria@example.com"]
    token = message.body.split("/s/")[1].split("/")[0]
    assert read_token(token).public_id == sent.public_id
    assert "Bologna" in message.subject


def test_without_email_consent_an_in_person_visit_gets_a_receipt_code(world: World) -> None:
    make_survey()
    customer = CustomerFactory(email="nobody@example.com")
    made = _invite(world, _visit(world, customer))
    assert isinstance(made, Invitation)
    assert made.channel == "receipt"
    assert len(made.short_code) == 10
    assert mail.outbox == []


def test_withdrawn_consent_is_respected(world: World) -> None:
    make_survey(channel="email")
    customer = emailable_customer(world.bologna)
    record_consent(actor=None, customer=customer, channel="email", granted=False, method="asked")
    made = _invite(world, _visit(world, customer))
    assert isinstance(made, Skip)
    assert Invitation.objects.count() == 0


def test_a_phone_call_without_email_consent_invites_nobody(world: World) -> None:
    make_survey()
    made = _invite(world, _visit(world, CustomerFactory(), channel="phone"))
    assert isinstance(made, Skip)


def test_nothing_is_sent_without_an_active_survey(world: World) -> None:
    Survey.objects.create(name="off", instruments=["csat"], active=False)
    made = _invite(world, _visit(world, emailable_customer(world.bologna)))
    assert isinstance(made, Skip)
    assert Invitation.objects.count() == 0


def test_a_survey_of_another_location_does_not_apply(world: World) -> None:
    make_survey(location=world.copenhagen)
    made = _invite(world, _visit(world, emailable_customer(world.bologna)))
    assert isinstance(made, Skip)


def test_one_survey_per_customer_in_the_cooldown_period(world: World) -> None:
    make_survey()
    customer = emailable_customer(world.bologna)
    first = _invite(world, _visit(world, customer))
    assert isinstance(first, Invitation)
    later = MONDAY + timedelta(days=89)
    assert isinstance(_invite(world, _visit(world, customer, at=later), now=later), Skip)
    after = MONDAY + timedelta(days=91)
    assert isinstance(_invite(world, _visit(world, customer, at=after), now=after), Invitation)
    assert Invitation.objects.filter(customer=customer).count() == 2


def test_nobody_is_surveyed_while_their_complaint_is_open(world: World) -> None:
    make_survey()
    customer = emailable_customer(world.bologna)
    tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="complaint",
        subject="Cold coffee",
    )
    made = _invite(world, _visit(world, customer))
    assert isinstance(made, Skip)
    assert "complaint" in made.reason


def test_a_sampling_rate_of_zero_invites_nobody(world: World) -> None:
    make_survey(sampling_percent=0)
    customers = [emailable_customer(world.bologna, email=f"c{i}@example.com") for i in range(5)]
    results = [_invite(world, _visit(world, c)) for c in customers]
    assert all(isinstance(r, Skip) for r in results)


def test_the_same_visit_never_invites_twice(world: World) -> None:
    make_survey()
    visit = _visit(world, emailable_customer(world.bologna))
    first = _invite(world, visit)
    # The rule is asked again (a retry): the cooldown refuses; the event key would too.
    second = _invite(world, visit)
    assert isinstance(first, Invitation)
    assert isinstance(second, Skip)
    assert Invitation.objects.filter(visit=visit).count() == 1


def test_an_anonymous_walk_in_gets_a_receipt_code(world: World) -> None:
    make_survey()
    made = _invite(world, _visit(world, None))
    assert isinstance(made, Invitation)
    assert (made.channel, made.customer) == ("receipt", None)
    assert made.language == world.bologna.language


def test_a_resolved_ticket_invites_with_its_own_survey(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    make_survey(trigger=Trigger.TICKET_RESOLVED, instruments=("ces",), channel="email")
    customer = emailable_customer(world.bologna)
    ticket = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="repair",
        subject="Coffee machine",
    )
    with django_capture_on_commit_callbacks(execute=True):
        tickets.move_ticket(
            actor=world.users["staff"], ticket=ticket, status="resolved", expected_version=1
        )
    made = Invitation.objects.get(ticket=ticket)
    assert (made.trigger, made.channel) == ("ticket", "email")
    assert len(mail.outbox) == 1
    # The e-mail asks about the request (not a visit), in the customer's language.
    with translation.override(customer.language):
        asked = gettext("How did %(business)s handle your request?") % {"business": "Bologna"}
    assert asked != "How did Bologna handle your request?"
    assert mail.outbox[0].subject == asked


def test_an_email_that_cannot_be_sent_is_recorded_not_raised(world: World, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    make_survey(channel="email")
    made = _invite(world, _visit(world, emailable_customer(world.bologna)))
    assert isinstance(made, Invitation)
    assert send_invitation(made.pk) is False
    made.refresh_from_db()
    assert made.status == InvitationStatus.FAILED
    assert made.error != ""


@pytest.mark.parametrize("days", [14, 30])
def test_links_expire_after_the_policy_s_days(world: World, days: int) -> None:
    from regulars.feedback.invitations import policy

    rules = policy()
    rules.link_valid_days = days
    rules.save()
    make_survey()
    made = _invite(world, _visit(world, CustomerFactory()))
    assert isinstance(made, Invitation)
    assert made.expires_at - made.created_at == timedelta(days=days)


def test_a_failing_survey_rule_never_fails_the_committed_visit(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from regulars.feedback import subscriptions

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the survey rules are broken")

    monkeypatch.setattr(subscriptions, "invite_after", broken)
    make_survey()
    customer = emailable_customer(world.bologna)
    with django_capture_on_commit_callbacks(execute=True):
        visit = _visit(world, customer, at=datetime.now(UTC))
    assert customer.visits.filter(pk=visit.pk).exists()
    assert Invitation.objects.count() == 0


def test_a_resolved_ticket_without_email_consent_gets_no_receipt_code(world: World) -> None:
    make_survey(trigger=Trigger.TICKET_RESOLVED)
    customer = CustomerFactory(email="")
    visit = _visit(world, customer)  # in person, but the resolution comes later
    ticket = tickets.open_ticket(
        actor=world.users["staff"],
        location=world.bologna,
        customer=customer,
        kind="repair",
        subject="Watch strap",
        visit=visit,
    )
    made = invite_after(
        trigger=Trigger.TICKET_RESOLVED,
        location=world.bologna,
        customer=customer,
        staff=None,
        visit=visit,
        ticket=ticket,
        now=MONDAY,
    )
    assert isinstance(made, Skip)
    assert Invitation.objects.count() == 0
