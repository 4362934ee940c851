"""Follow-ups: some days after a complaint, return or repair is resolved, someone asks
the customer "is everything all right now?" and records the answer.

A follow-up is created when the ticket is resolved (``schedule_follow_up``, called by
``tickets.move_ticket``), due the set number of days later in the location's calendar,
for whoever handled the ticket. Its outcome is recorded once; "still not happy" reopens
the ticket, so the customer's problem is back in the queue.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.access import check
from regulars.core.localtime import local_today
from regulars.core.permissions import Capability
from regulars.service.flow import FollowUpOutcome, TicketKind, TicketStatus
from regulars.service.models import FollowUp, FollowUpRule, Ticket

# Days after resolving until the follow-up, for kinds without a manager's rule.
DEFAULT_DAYS: dict[str, int] = {
    TicketKind.COMPLAINT: 3,
    TicketKind.RETURN: 7,
    TicketKind.EXCHANGE: 7,
    TicketKind.REPAIR: 7,
}


def follow_up_days(kind: str) -> int | None:
    """Days after resolving a ticket of ``kind`` until its follow-up (None: none)."""
    rule = FollowUpRule.objects.filter(kind=kind).first()
    return DEFAULT_DAYS.get(kind) if rule is None else rule.days


def schedule_follow_up(ticket: Ticket, resolved_at: datetime) -> FollowUp | None:
    """Create the follow-up of a just-resolved ticket, due the set number of days later
    in the location's calendar, for whoever handled it. One per resolution (the round is
    the ticket's reopen count): resolving again after a reopening asks again, a retry
    does not ask twice."""
    days = follow_up_days(ticket.kind)
    if not days or ticket.customer_id is None:
        return None
    due_on = local_today(ticket.location.timezone, resolved_at) + timedelta(days=days)
    follow_up, _created = FollowUp.objects.get_or_create(
        ticket=ticket,
        round=ticket.reopened,
        defaults={
            "customer_id": ticket.customer_id,
            "location_id": ticket.location_id,
            "owner_id": ticket.assignee_id or ticket.created_by_id,
            "due_on": due_on,
            "created_at": resolved_at,
        },
    )
    return follow_up


@transaction.atomic
def set_follow_up_days(*, actor: Any, kind: TicketKind | str, days: int | None) -> None:
    """Set how many days after a ticket of ``kind`` is resolved its follow-up is due
    (None: no follow-ups for that kind). Managers set it, with the service levels."""
    check(actor, Capability.MANAGE_SERVICE_LEVELS)
    if kind not in TicketKind.values:
        raise ValueError(_("“%(kind)s” is not a kind of ticket.") % {"kind": kind})
    if days is not None and not 1 <= days <= 365:
        raise ValueError(_("A follow-up comes between 1 and 365 days after resolving."))
    FollowUpRule.objects.update_or_create(kind=kind, defaults={"days": days})


@transaction.atomic
def record_follow_up(
    *,
    actor: Any,
    follow_up: FollowUp,
    outcome: FollowUpOutcome | str,
    note: str = "",
    at: datetime | None = None,
) -> FollowUp:
    """Record how the customer is now. Once: a second recording (two people, or the
    same form sent twice) is refused and changes nothing. "Still not happy" reopens the
    ticket with the note, unless it is already active again."""
    from regulars.service import tickets  # tickets imports this module

    check(actor, Capability.HANDLE_TICKETS, follow_up.location_id)
    if outcome not in FollowUpOutcome.values:
        raise ValueError(_("“%(outcome)s” is not an outcome.") % {"outcome": outcome})
    moment = at or timezone.now()
    written = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        outcome=outcome, note=note.strip(), done_at=moment, done_by=actor
    )
    if not written:
        raise ValueError(_("This follow-up has already been recorded."))
    follow_up.refresh_from_db()
    if outcome == FollowUpOutcome.STILL_UNHAPPY:
        ticket = Ticket.objects.select_related("location").get(pk=follow_up.ticket_id)
        if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            tickets.move_ticket(
                actor=actor,
                ticket=ticket,
                status=TicketStatus.OPEN,
                expected_version=ticket.version,
                text=(_("Follow-up: still not happy.") + " " + note.strip()).strip(),
                at=moment,
            )
    return follow_up


def due_follow_ups(
    *, today: date, location_ids: list[int], owner: Any = None
) -> QuerySet[FollowUp]:
    """Follow-ups not yet done and due by ``today`` at these locations (optionally only
    ``owner``'s), oldest first."""
    rows = FollowUp.objects.filter(
        done_at__isnull=True, due_on__lte=today, location_id__in=location_ids
    )
    if owner is not None:
        rows = rows.filter(owner=owner)
    return rows.select_related("ticket", "customer", "location", "owner").order_by("due_on", "id")
