"""Set-up shared by the policy and planning tests: customers who may be reached by a
given set of channels, approved plays with their arms, loyalty stages, earlier
touches, and a recovery under way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from regulars.accounts.models import Location
from regulars.customers.models import Consent, Customer, Phone
from regulars.feedback.models import (
    ChannelRule,
    Invitation,
    InvitationStatus,
    InviteChannel,
    Recovery,
    Response,
    Survey,
    Trigger,
)
from regulars.loyalty.models import RunStatus, Snapshot, Standing
from regulars.outreach.models import Arm, Message, MessageStatus, Play, PlayKind, PlayStatus
from regulars.service.flow import FollowUpOutcome, TicketKind, TicketStatus
from regulars.service.models import FollowUp, Ticket
from tests.factories import CustomerFactory

# Monday 2 March 2026, 06:30 in Bologna and Copenhagen (UTC+1): just after the plan hour.
NOW = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)
DAY = date(2026, 3, 2)
CONSENT_OF = {"email": "email", "sms": "sms", "card": "post", "call": "phone"}


def person(
    location: Location | None,
    *,
    channels: Iterable[str] = ("email",),
    email: str = "giulia@example.com",
    phone: str = "+393331234567",
    post: str = "Via Zamboni 1, Bologna",
    **fields: Any,
) -> Customer:
    """A customer at ``location`` with an e-mail, a mobile and a postal address, and
    consent granted for ``channels`` (outreach channel names)."""
    customer: Customer = CustomerFactory(
        home_location=location, email=email, postal_address=post, **fields
    )
    if phone:
        Phone.objects.create(customer=customer, number=phone, label="mobile")
    for channel in channels:
        consent(customer, channel, granted=True)
    return customer


def consent(customer: Customer, channel: str, *, granted: bool, at: datetime | None = None) -> None:
    Consent.objects.create(
        customer=customer,
        channel=CONSENT_OF.get(channel, channel),
        granted=granted,
        at=at or NOW - timedelta(days=100),
        method="at the counter",
    )


def make_play(
    kind: str,
    *,
    occasion: str = "",
    arms: Sequence[dict[str, Any]] = ({},),
    name: str = "",
    status: str = PlayStatus.APPROVED,
    **fields: Any,
) -> Play:
    """A play (approved unless said) with its arms (each a dict of Arm fields; labels
    A, B, ...)."""
    play = Play.objects.create(
        name=name or f"{kind} {occasion}".strip(),
        kind=kind,
        occasion=occasion,
        status=status,
        **fields,
    )
    for label, arm in zip("ABCD", arms, strict=False):
        Arm.objects.create(play=play, label=label, **arm)
    return play


def birthday_today(customer: Customer, day: date = DAY) -> Customer:
    customer.birth_month, customer.birth_day = day.month, day.day
    customer.save(update_fields=["birth_month", "birth_day"])
    return customer


def stages(rows: dict[Customer, tuple[int, datetime]], *, as_of: datetime = NOW) -> Snapshot:
    """A done loyalty snapshot placing each customer in (stage, since)."""
    snapshot = Snapshot.objects.create(
        day=as_of.date(), as_of=as_of, status=RunStatus.DONE, finished_at=as_of
    )
    Standing.objects.bulk_create(
        Standing(snapshot=snapshot, customer=c, stage=stage, stage_since=since)
        for c, (stage, since) in rows.items()
    )
    return snapshot


def sent_before(customer: Customer, days_ago: int, *, status: str = MessageStatus.SENT) -> Message:
    """An outreach message to ``customer`` planned ``days_ago`` days before DAY."""
    play = Play.objects.filter(name="earlier").first() or make_play(
        PlayKind.WELCOME, name="earlier", status=PlayStatus.PAUSED
    )
    day = DAY - timedelta(days=days_ago)
    return Message.objects.create(
        key=f"earlier:{customer.pk}:{day}:{status}",
        play=play,
        customer=customer,
        location=customer.home_location or Location.objects.order_by("pk").first(),
        day=day,
        channel="email",
        status=status,
        created_at=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
    )


def _survey() -> Survey:
    return Survey.objects.first() or Survey.objects.create(
        name="After a visit", trigger=Trigger.VISIT, channel=ChannelRule.EMAIL_OR_RECEIPT
    )


def surveyed(
    customer: Customer,
    at: datetime,
    *,
    channel: str = InviteChannel.EMAIL,
    status: str = InvitationStatus.SENT,
) -> Invitation:
    """A survey invitation made at ``at``."""
    n = Invitation.objects.count() + 1
    return Invitation.objects.create(
        nonce=f"n{n}",
        short_code=f"CODE{n:06d}",
        survey=_survey(),
        customer=customer,
        location=customer.home_location,
        trigger=Trigger.VISIT,
        channel=channel,
        language="it",
        event_key=f"test:{n}",
        status=status,
        created_at=at,
        expires_at=at + timedelta(days=14),
    )


def complaint(customer: Customer, *, status: str = TicketStatus.OPEN) -> Ticket:
    return Ticket.objects.create(
        location=customer.home_location,
        customer=customer,
        kind=TicketKind.COMPLAINT,
        subject="Waited 40 minutes",
        status=status,
    )


def called(
    customer: Customer, at: datetime, *, outcome: str = FollowUpOutcome.ALL_RIGHT
) -> FollowUp:
    """A follow-up call made at ``at`` (``outcome`` "" : not made yet)."""
    ticket = complaint(customer, status=TicketStatus.RESOLVED)
    return FollowUp.objects.create(
        ticket=ticket,
        customer=customer,
        location=customer.home_location,
        due_on=at.date(),
        outcome=outcome,
        done_at=at if outcome else None,
    )


def detractor(customer: Customer, *, at: datetime = NOW - timedelta(days=3)) -> Recovery:
    """A service recovery under way (no complaint ticket open with it)."""
    invited = surveyed(customer, at, channel=InviteChannel.RECEIPT)
    response = Response.objects.create(
        invitation=invited,
        customer=customer,
        location=customer.home_location,
        trigger=Trigger.VISIT,
        channel=InviteChannel.RECEIPT,
        language="it",
        nps=2,
        detractor=True,
        submitted_at=at,
    )
    return Recovery.objects.create(
        response=response, customer=customer, location=customer.home_location, opened_at=at
    )
