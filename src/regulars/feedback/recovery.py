"""Service recovery: every unhappy answer becomes a recovery with an outcome.

A detractor's response (NPS ≤ 6, CSAT ≤ 2 or a clearly negative comment) from a known
customer opens a recovery and, with it, a complaint ticket for the location's manager
(its owner when it has none), due within one business day of opening hours. Until the
recovery ends the customer counts as dissatisfied: the counter card says so and no
other survey is sent.

A recovery moves open → contacted → remedy given → asked again → recovered or lost
(``MOVES``); asking again sends a short re-survey, and a happy answer to it recovers
the customer by itself. Ending a recovery resolves its ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.accounts.access import check
from regulars.accounts.models import Location
from regulars.core.business_time import WEEKDAYS, add_business_time
from regulars.core.permissions import Capability
from regulars.core.versioned import write_if_unchanged
from regulars.feedback.invitations import create_invitation, email_allowed
from regulars.feedback.models import (
    RECOVERY_OPEN,
    InviteChannel,
    Recovery,
    RecoveryStatus,
    Response,
    Trigger,
)
from regulars.service.flow import Priority, TicketKind
from regulars.service.tickets import (
    location_contact,
    open_ticket_by_rule,
    resolve_ticket_by_rule,
)

R = RecoveryStatus
MOVES: dict[str, frozenset[str]] = {
    R.OPEN: frozenset({R.CONTACTED, R.REMEDY, R.LOST}),
    R.CONTACTED: frozenset({R.REMEDY, R.RESURVEYED, R.RECOVERED, R.LOST}),
    R.REMEDY: frozenset({R.RESURVEYED, R.RECOVERED, R.LOST}),
    R.RESURVEYED: frozenset({R.RECOVERED, R.LOST}),
    R.RECOVERED: frozenset(),
    R.LOST: frozenset(),
}
ENDED = frozenset({R.RECOVERED, R.LOST})


class StaleRecovery(Exception):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this recovery while you were looking at it. "
                "Nothing was saved: look at it again and repeat your change."
            )
        )


def one_business_day(location: Location) -> timedelta:
    """A day's worth of the location's opening hours: its open time in a week divided
    by its open days (24 hours of calendar time when it has no hours)."""
    total, days = timedelta(0), 0
    for day in WEEKDAYS:
        spans = location.opening_hours.get(day) or []
        minutes = 0
        for start, end in spans:
            (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
            minutes += max(0, (h2 * 60 + m2) - (h1 * 60 + m1))
        if minutes:
            total += timedelta(minutes=minutes)
            days += 1
    return total / days if days else timedelta(days=1)


def recovery_due(location: Location, start: datetime) -> datetime:
    return add_business_time(
        start, one_business_day(location), location.opening_hours, location.timezone
    )


def recovery_subject(*, nps: int | None, csat: int | None, language: str) -> str:
    """The recovery ticket's subject, in ``language``: the location's, for its staff (the
    survey itself was answered in the customer's)."""
    with translation.override(language):
        scores = []
        if nps is not None:
            scores.append(_("NPS %(score)s") % {"score": nps})
        if csat is not None:
            scores.append(_("CSAT %(score)s") % {"score": csat})
        if not scores:
            scores.append(_("a negative comment"))
        return _("Unhappy survey answer (%(scores)s)") % {"scores": ", ".join(scores)}


def after_response(response: Response, *, now: datetime | None = None) -> Recovery | None:
    """Open a recovery for a detractor, or settle the recovery this was a re-survey of."""
    moment = now or timezone.now()
    earlier = Recovery.objects.filter(resurvey_id=response.invitation_id).first()
    if earlier is not None and earlier.status == R.RESURVEYED:
        if not response.detractor:
            _end(earlier, R.RECOVERED, moment, _("Happy when asked again."))
            return earlier
        # Still unhappy: the recovery goes on; the manager decides what next.
        return earlier
    if not response.detractor or response.customer_id is None:
        return None
    return open_recovery(response, now=moment)


@transaction.atomic
def open_recovery(response: Response, *, now: datetime | None = None) -> Recovery:
    moment = now or timezone.now()
    existing = Recovery.objects.filter(response=response).first()
    if existing is not None:
        return existing
    location = response.location
    said = "\n".join(t for t in (response.why, response.comment) if t)
    ticket = open_ticket_by_rule(
        location=location,
        customer=response.customer,  # type: ignore[arg-type]
        kind=TicketKind.COMPLAINT,
        subject=recovery_subject(nps=response.nps, csat=response.csat, language=location.language),
        text=said,
        priority=Priority.HIGH,
        assignee=location_contact(location.pk),
        due_at=recovery_due(location, moment),
        at=moment,
        request_key=f"recovery:{response.public_id}",
    )
    return Recovery.objects.create(
        response=response,
        customer_id=response.customer_id,
        location=location,
        ticket=ticket,
        opened_at=moment,
    )


def _end(recovery: Recovery, status: str, moment: datetime, note: str) -> None:
    Recovery.objects.filter(pk=recovery.pk).update(
        status=status, closed_at=moment, version=recovery.version + 1
    )
    recovery.status, recovery.closed_at = status, moment
    if recovery.ticket_id is not None:
        resolve_ticket_by_rule(ticket=recovery.ticket, text=note, at=moment)  # type: ignore[arg-type]


def allowed_moves(recovery: Recovery) -> list[str]:
    return [s for s in RecoveryStatus.values if s in MOVES[recovery.status]]


@transaction.atomic
def advance_recovery(
    *,
    actor: Any,
    recovery: Recovery,
    status: str,
    expected_version: int,
    remedy: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Recovery:
    """Move a recovery on (ValueError naming what is allowed when the move is not).

    "Remedy given" needs the remedy ("a free coffee", "refund of the repair");
    "asked again" sends the customer a short re-survey, by e-mail when they allow it,
    else on a printed code for staff to hand over.
    """
    check(actor, Capability.HANDLE_RECOVERY, recovery.location_id)
    moment = now or timezone.now()
    if status not in MOVES:
        raise ValueError(_("“%(status)s” is not a recovery status.") % {"status": status})
    if status not in MOVES[recovery.status]:
        raise ValueError(
            _("A recovery that is “%(current)s” cannot become “%(wanted)s”.")
            % {"current": R(recovery.status).label, "wanted": R(status).label}
        )
    remedy = remedy.strip()
    if status == R.REMEDY and not remedy:
        raise ValueError(_("Say what was given to make it right."))
    changes: dict[str, Any] = {"status": status}
    if note.strip():
        changes["note"] = (recovery.note + "\n" + note.strip()).strip()
    if status == R.CONTACTED:
        changes["contacted_at"] = moment
    elif status == R.REMEDY:
        changes.update(remedy_at=moment, remedy=remedy[:200])
        if recovery.contacted_at is None:
            changes["contacted_at"] = moment
    elif status == R.RESURVEYED:
        changes.update(resurveyed_at=moment, resurvey=_resurvey(recovery, moment))
    elif status in ENDED:
        changes["closed_at"] = moment
    write_if_unchanged(recovery, expected_version, StaleRecovery, **changes)
    if status in ENDED and recovery.ticket_id is not None:
        resolve_ticket_by_rule(
            ticket=recovery.ticket,  # type: ignore[arg-type]
            text=str(R(status).label),
            at=moment,
        )
    return recovery


def _resurvey(recovery: Recovery, moment: datetime) -> Any:
    original = recovery.response.invitation
    customer = recovery.customer
    channel = (
        InviteChannel.EMAIL
        if customer is not None and email_allowed(customer)
        else InviteChannel.RECEIPT
    )
    return create_invitation(
        survey=original.survey,
        location=recovery.location,
        customer=customer,
        staff=None,
        trigger=Trigger.RECOVERY,
        channel=channel,
        event_key=f"recovery:{recovery.public_id}",
        now=moment,
    )


def open_recoveries(customer_id: int) -> Any:
    return Recovery.objects.filter(customer_id=customer_id, status__in=RECOVERY_OPEN)
