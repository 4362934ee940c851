"""Who is invited to which survey, and the invitations themselves.

After a visit or a resolved ticket (``subscriptions``), ``invite_after`` asks the first
active survey that matches the event, then the rules, in this order; the first that
fails says why nothing was sent (``Skip``):

1. the customer is known (an anonymous walk-in may still get a receipt code);
2. no complaint of theirs is open and no service recovery is under way;
3. no invitation in the last ``cooldown_days`` (90 by default; a recovery's re-survey
   is exempt, it is the recovery itself);
4. the sampling rate draws this event;
5. a channel is allowed: email needs an address and e-mail consent in force; a receipt
   needs an in-person visit (nothing is sent: staff print the code with the receipt),
   so a resolved ticket is asked about by e-mail only;
6. an e-mail is a touch: the guards of ``core.contact`` (the outreach contact budget)
   may refuse it, and then a receipt code is offered where one is allowed, else the
   refusal says why nothing was sent.

An event invites at most once (``event_key`` is unique), so a retry never doubles.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core.contact import contact_refusal
from regulars.customers.models import ConsentChannel, Customer
from regulars.customers.queries import consent_in_force
from regulars.feedback.models import (
    RECOVERY_OPEN,
    ChannelRule,
    FeedbackPolicy,
    Invitation,
    InvitationStatus,
    InviteChannel,
    Recovery,
    Survey,
    Trigger,
)
from regulars.feedback.tokens import make_token, new_nonce, new_short_code
from regulars.service.flow import ACTIVE, TicketKind
from regulars.service.models import Channel, Ticket, Visit

log = logging.getLogger(__name__)
LANGUAGES = {code for code, _name in settings.LANGUAGES}
SURVEY_PURPOSE = "survey"


@dataclass(frozen=True)
class Skip:
    """Why an event invited nobody (for tests, logs and the manager's rule page)."""

    reason: str


def policy() -> FeedbackPolicy:
    found = FeedbackPolicy.objects.order_by("id").first()
    return found if found is not None else FeedbackPolicy.objects.create()


def survey_for(trigger: str, location: Location) -> Survey | None:
    """The first active survey for ``trigger`` at ``location`` (or every location)."""
    return (
        Survey.objects.filter(Q(location__isnull=True) | Q(location=location))
        .filter(trigger=trigger, active=True)
        .order_by("position", "id")
        .first()
    )


def is_dissatisfied(customer: Customer) -> bool:
    """A service recovery of theirs is under way."""
    return Recovery.objects.filter(customer=customer, status__in=RECOVERY_OPEN).exists()


def has_open_complaint(customer: Customer) -> bool:
    return Ticket.objects.filter(
        customer=customer, kind=TicketKind.COMPLAINT, status__in=ACTIVE
    ).exists()


def _recently_invited(customer: Customer, now: datetime, days: int) -> bool:
    return Invitation.objects.filter(
        customer=customer, created_at__gt=now - timedelta(days=days)
    ).exists()


def email_allowed(customer: Customer) -> bool:
    """The customer has an address and e-mail consent in force."""
    if not customer.email:
        return False
    consent = consent_in_force(customer)[ConsentChannel.EMAIL]
    return consent is not None and consent.granted


def _channel(
    survey: Survey, customer: Customer | None, visit: Visit | None, trigger: str
) -> str | None:
    email_ok = customer is not None and email_allowed(customer)
    # A receipt is printed at the till right after the visit, never for a resolution.
    receipt_ok = (
        trigger == Trigger.VISIT and visit is not None and visit.channel == Channel.IN_PERSON
    )
    if survey.channel in (ChannelRule.EMAIL, ChannelRule.EMAIL_OR_RECEIPT) and email_ok:
        return InviteChannel.EMAIL
    if survey.channel in (ChannelRule.RECEIPT, ChannelRule.EMAIL_OR_RECEIPT) and receipt_ok:
        return InviteChannel.RECEIPT
    return None


def _sampled(percent: int) -> bool:
    return percent >= 100 or secrets.randbelow(100) < percent


def language_for(customer: Customer | None, location: Location) -> str:
    for code in (getattr(customer, "language", ""), location.language):
        if code in LANGUAGES:
            return str(code)
    return str(settings.LANGUAGE_CODE)


def invite_after(
    *,
    trigger: str,
    location: Location,
    customer: Customer | None,
    staff: Any,
    visit: Visit | None = None,
    ticket: Ticket | None = None,
    now: datetime | None = None,
    draw: bool = True,
) -> Invitation | Skip:
    """Invite the customer of a visit or resolved ticket by the rules (see module).

    ``draw=False`` skips the sampling draw (tests, the demo). Returns the invitation,
    or ``Skip`` saying why there is none.
    """
    moment = now or timezone.now()
    survey = survey_for(trigger, location)
    if survey is None:
        return Skip(_("No active survey follows this event."))
    if customer is None and (visit is None or visit.channel != Channel.IN_PERSON):
        return Skip(_("The customer is not known."))
    rules = policy()
    if customer is not None:
        if has_open_complaint(customer):
            return Skip(_("A complaint of theirs is open."))
        if is_dissatisfied(customer):
            return Skip(_("A service recovery of theirs is under way."))
        days = rules.cooldown_days
        if _recently_invited(customer, moment, days):
            return Skip(
                _("They were invited to a survey in the last %(days)s days.") % {"days": days}
            )
    if draw and not _sampled(survey.sampling_percent):
        return Skip(_("Not drawn by the sampling rate."))
    channel = _channel(survey, customer, visit, trigger)
    if channel is None:
        return Skip(_("No channel is allowed: no e-mail consent and no receipt."))
    if channel == InviteChannel.EMAIL and customer is not None:
        # A survey e-mail is a touch like any other: the contact budget decides. A
        # receipt code is printed at the till, not sent, so it may still be offered.
        refusal = contact_refusal(customer, now=moment, purpose=SURVEY_PURPOSE)
        if refusal:
            if _channel(survey, None, visit, trigger) == InviteChannel.RECEIPT:
                channel = InviteChannel.RECEIPT
            else:
                return Skip(refusal)
    # One invitation per visit, and per resolution of a ticket (one reopened and
    # resolved again may ask again).
    if ticket is not None:
        event_key = f"ticket:{ticket.pk}:{ticket.reopened}"
    elif visit is not None:
        event_key = f"visit:{visit.pk}"
    else:
        return Skip(_("No visit or ticket to ask about."))
    return create_invitation(
        survey=survey,
        location=location,
        customer=customer,
        staff=staff,
        visit=visit,
        ticket=ticket,
        trigger=trigger,
        channel=channel,
        event_key=event_key,
        now=moment,
        rules=rules,
    )


def create_invitation(
    *,
    survey: Survey,
    location: Location,
    customer: Customer | None,
    staff: Any,
    trigger: str,
    channel: str,
    event_key: str,
    visit: Visit | None = None,
    ticket: Ticket | None = None,
    now: datetime | None = None,
    rules: FeedbackPolicy | None = None,
) -> Invitation:
    """Create the invitation for ``event_key`` (or return the one already made for it)
    and, for e-mail, send it once the transaction commits. ``rules``: the policy, when
    the caller read it already."""
    moment = now or timezone.now()
    existing = Invitation.objects.filter(event_key=event_key).first()
    if existing is not None:
        return existing
    user = staff if getattr(staff, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                nonce=new_nonce(),
                short_code=new_short_code(),
                survey=survey,
                customer=customer,
                location=location,
                staff=user,
                visit=visit,
                ticket=ticket,
                trigger=trigger,
                channel=channel,
                language=language_for(customer, location),
                event_key=event_key,
                created_at=moment,
                expires_at=moment + timedelta(days=(rules or policy()).link_valid_days),
            )
    except IntegrityError:  # the same event at the same moment from elsewhere
        return Invitation.objects.get(event_key=event_key)
    if channel == InviteChannel.EMAIL:
        transaction.on_commit(lambda: send_invitation(invitation.pk))
    return invitation


def survey_path(invitation: Invitation) -> str:
    return reverse(
        "survey:answer", kwargs={"token": make_token(invitation.public_id, invitation.nonce)}
    )


def survey_url(invitation: Invitation) -> str:
    return settings.PUBLIC_URL + survey_path(invitation)


def send_invitation(invitation_id: int) -> bool:
    """E-mail one invitation in the customer's language; a failure is recorded on the
    invitation (status "could not be sent"), never raised to whoever logged the visit."""
    invitation = (
        Invitation.objects.select_related("customer", "location")
        .filter(pk=invitation_id, status=InvitationStatus.CREATED)
        .first()
    )
    if invitation is None or invitation.customer is None or not invitation.customer.email:
        return False
    with translation.override(invitation.language):
        values = {"business": invitation.location.name}
        about_request = invitation.trigger == Trigger.TICKET_RESOLVED
        subject = (
            _("How did %(business)s handle your request?")
            if about_request
            else _("How was your visit to %(business)s?")
        ) % values
        body = "\n\n".join(
            [
                (
                    _("Thank you for your request to %(business)s.")
                    if about_request
                    else _("Thank you for coming to %(business)s.")
                )
                % values,
                _(
                    "Would you tell us how it went? It takes two minutes, and the link "
                    "works once, until %(date)s:"
                )
                % {"date": invitation.expires_at.date().isoformat()},
                survey_url(invitation),
                _("If you would rather not, simply ignore this message."),
            ]
        )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.customer.email])
    except Exception as error:  # noqa: BLE001 (any mail failure is recorded, not raised)
        log.warning("survey invitation %s not sent: %s", invitation.public_id, error)
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.FAILED, error=str(error)[:200]
        )
        return False
    Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.CREATED).update(
        status=InvitationStatus.SENT, sent_at=timezone.now()
    )
    return True


def invitation_for_receipt(visit: Visit) -> Invitation | None:
    """The receipt invitation of a visit, to print with its receipt."""
    return (
        Invitation.objects.filter(visit=visit, channel=InviteChannel.RECEIPT)
        .select_related("location")
        .first()
    )


__all__ = [
    "Skip",
    "Trigger",
    "create_invitation",
    "invitation_for_receipt",
    "invite_after",
    "is_dissatisfied",
    "policy",
    "send_invitation",
    "survey_for",
    "survey_url",
]
