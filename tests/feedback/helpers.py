"""Shared set-up for the feedback tests: a survey rule, a customer who may be e-mailed,
and an invitation made through the real services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regulars.accounts.models import Location
from regulars.customers.models import Customer
from regulars.customers.services import record_consent
from regulars.feedback.invitations import create_invitation
from regulars.feedback.models import ChannelRule, Invitation, InviteChannel, Survey, Trigger
from regulars.feedback.tokens import make_token
from tests.factories import CustomerFactory


def make_survey(
    *,
    instruments: tuple[str, ...] = ("csat", "nps"),
    trigger: str = Trigger.VISIT,
    location: Location | None = None,
    channel: str = ChannelRule.EMAIL_OR_RECEIPT,
    sampling_percent: int = 100,
) -> Survey:
    return Survey.objects.create(
        name="After a visit",
        trigger=trigger,
        location=location,
        instruments=list(instruments),
        channel=channel,
        sampling_percent=sampling_percent,
    )


def emailable_customer(location: Location, *, language: str = "it", **fields: Any) -> Customer:
    customer: Customer = CustomerFactory(
        home_location=location,
        email=fields.pop("email", "giulia@example.com"),
        language=language,
        **fields,
    )
    record_consent(
        actor=None, customer=customer, channel="email", granted=True, method="at the counter"
    )
    return customer


def invitation(
    survey: Survey,
    location: Location,
    customer: Customer | None,
    *,
    staff: Any = None,
    key: str = "test:1",
    channel: str = InviteChannel.RECEIPT,
    now: datetime | None = None,
) -> Invitation:
    return create_invitation(
        survey=survey,
        location=location,
        customer=customer,
        staff=staff,
        trigger=survey.trigger,
        channel=channel,
        event_key=key,
        now=now,
    )


def token_of(invitation: Invitation) -> str:
    return make_token(invitation.public_id, invitation.nonce)
