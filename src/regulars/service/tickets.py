"""Every write to tickets: opening, moving through the flow, assigning and handing over,
notes and replies, priorities and service levels.

Each change of a ticket is one transaction that checks the version the actor saw
(``expected_version``): when someone else changed the ticket in between, nothing is
written and ``StaleTicket`` says so, so nobody overwrites a colleague unseen. Each
change appends to the ticket's timeline with who and when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location, Membership, person_name
from regulars.core import audit
from regulars.core.business_time import add_business_time
from regulars.core.models import AuditAction
from regulars.core.permissions import Capability, Role
from regulars.core.versioned import write_if_unchanged
from regulars.customers.models import Customer
from regulars.service import events
from regulars.service.flow import (
    ACTIVE,
    REOPENING,
    IllegalMove,
    Priority,
    TicketKind,
    TicketStatus,
    check_move,
)
from regulars.service.followups import schedule_follow_up
from regulars.service.models import (
    ServiceLevel,
    Ticket,
    TicketEvent,
    TicketEventKind,
    Visit,
)


class StaleTicket(Exception):
    """The ticket changed since the actor last saw it; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this ticket while you were looking at it. "
                "Nothing was saved: look at the ticket again and repeat your change."
            )
        )


def due_time(kind: str, priority: str, location: Location, start: datetime) -> datetime | None:
    """When a ticket of ``kind`` and ``priority`` started at ``start`` must be resolved
    by its service level, counted in the location's opening hours (None without one)."""
    level = ServiceLevel.objects.filter(kind=kind, priority=priority).first()
    if level is None:
        return None
    return add_business_time(start, level.resolve_within, location.opening_hours, location.timezone)


def _now(at: datetime | None) -> datetime:
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("ticket times must be timezone-aware")
    return moment


def _event(ticket: Ticket, actor: Any, kind: str, at: datetime, **fields: Any) -> TicketEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TicketEvent.objects.create(ticket=ticket, actor=user, kind=kind, at=at, **fields)


def _check_priority(priority: str) -> None:
    if priority not in Priority.values:
        raise ValueError(_("“%(priority)s” is not a priority.") % {"priority": priority})


def _check_handler(user: Any, location: Location) -> None:
    """ValueError unless ``user`` handles tickets at ``location`` (to be given one)."""
    if not access_for(user).can(Capability.HANDLE_TICKETS, location.pk):
        raise ValueError(
            _("%(name)s does not handle tickets at this location.") % {"name": person_name(user)}
        )


@transaction.atomic
def open_ticket(
    *,
    actor: Any,
    location: Location,
    customer: Customer,
    kind: TicketKind | str,
    subject: str,
    text: str = "",
    priority: Priority | str = Priority.NORMAL,
    visit: Visit | None = None,
    assignee: Any = None,
    at: datetime | None = None,
    request_key: str | None = None,
) -> Ticket:
    """Open a ticket for ``customer`` at ``location`` (the actor handles tickets there).

    ``text`` is what the customer said, kept as the first entry of the timeline.
    ``visit``, when given, is the customer's visit the ticket is about.
    ``request_key`` is the submitting form's one-time key: a ticket already opened with
    it is returned as it is, so a form sent twice opens one ticket.
    """
    check(actor, Capability.HANDLE_TICKETS, location.pk)
    return _open(
        actor=actor,
        location=location,
        customer=customer,
        kind=kind,
        subject=subject,
        text=text,
        priority=priority,
        visit=visit,
        assignee=assignee,
        at=at,
        request_key=request_key,
    )


@transaction.atomic
def open_ticket_by_rule(
    *,
    location: Location,
    customer: Customer,
    kind: TicketKind | str,
    subject: str,
    text: str = "",
    priority: Priority | str = Priority.NORMAL,
    assignee: Any = None,
    due_at: datetime | None = None,
    at: datetime | None = None,
    request_key: str | None = None,
) -> Ticket:
    """Open a ticket that no person opened: the business's own rule did (an unhappy
    survey answer opening a service recovery, say). The timeline shows no actor;
    ``due_at``, when given, replaces the service level's due time."""
    return _open(
        actor=None,
        location=location,
        customer=customer,
        kind=kind,
        subject=subject,
        text=text,
        priority=priority,
        assignee=assignee,
        at=at,
        request_key=request_key,
        due_at=due_at,
    )


def _open(
    *,
    actor: Any,
    location: Location,
    customer: Customer,
    kind: TicketKind | str,
    subject: str,
    text: str,
    priority: Priority | str,
    assignee: Any,
    at: datetime | None,
    request_key: str | None,
    visit: Visit | None = None,
    due_at: datetime | None = None,
) -> Ticket:
    if request_key:
        existing = Ticket.objects.filter(request_key=request_key).first()
        if existing is not None:
            return existing
    moment = _now(at)
    if kind not in TicketKind.values:
        raise ValueError(_("“%(kind)s” is not a kind of ticket.") % {"kind": kind})
    _check_priority(priority)
    subject = subject.strip()
    if not subject:
        raise ValueError(_("A ticket needs a subject."))
    if visit is not None and visit.customer_id != customer.pk:
        raise ValueError(_("The visit is not one of this customer's visits."))
    if assignee is not None:
        _check_handler(assignee, location)
    ticket = Ticket.objects.create(
        kind=kind,
        priority=priority,
        customer=customer,
        visit=visit,
        location=location,
        subject=subject[:200],
        assignee=assignee,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=moment,
        due_at=due_at or due_time(kind, priority, location, moment),
        request_key=request_key or None,
    )
    _event(
        ticket,
        actor,
        TicketEventKind.CREATED,
        moment,
        to_status=TicketStatus.OPEN,
        assignee=assignee,
        text=text.strip(),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        subject="ticket",
        customer_ref=customer.public_id,
        fields=["ticket"],
    )
    return ticket


def _claim(ticket: Ticket, expected_version: int, **changes: Any) -> None:
    """Write ``changes`` and the next version, unless someone else wrote first."""
    write_if_unchanged(ticket, expected_version, StaleTicket, **changes)


@transaction.atomic
def move_ticket(
    *,
    actor: Any,
    ticket: Ticket,
    status: TicketStatus | str,
    expected_version: int,
    text: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Move ``ticket`` to ``status`` (IllegalMove when the flow does not allow it).

    Resolving records when; closing too; reopening clears both, counts the reopening
    and restarts the service-level clock.
    """
    check(actor, Capability.HANDLE_TICKETS, ticket.location_id)
    return _move(actor, ticket, status, expected_version, text, at)


@transaction.atomic
def resolve_ticket_by_rule(*, ticket: Ticket, text: str = "", at: datetime | None = None) -> bool:
    """Resolve an active ticket that a business rule settled (a service recovery that
    ended); the timeline shows no actor. False when it was not active."""
    fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if fresh.status not in ACTIVE:
        return False
    _move(None, fresh, TicketStatus.RESOLVED, fresh.version, text, at)
    return True


def _move(
    actor: Any,
    ticket: Ticket,
    status: TicketStatus | str,
    expected_version: int,
    text: str,
    at: datetime | None,
) -> Ticket:
    moment = _now(at)
    current = ticket.status
    check_move(current, status)
    changes: dict[str, Any] = {"status": status}
    if status == TicketStatus.RESOLVED:
        changes["resolved_at"] = moment
        changes["first_contact"] = current == TicketStatus.OPEN and ticket.reopened == 0
    elif status == TicketStatus.CLOSED:
        changes["closed_at"] = moment
    elif (current, status) in REOPENING:
        changes.update(
            resolved_at=None,
            closed_at=None,
            escalated_at=None,
            reopened=ticket.reopened + 1,
            first_contact=False,
            due_at=due_time(ticket.kind, ticket.priority, ticket.location, moment),
        )
    _claim(ticket, expected_version, **changes)
    _event(
        ticket,
        actor,
        TicketEventKind.STATUS,
        moment,
        from_status=current,
        to_status=status,
        text=text.strip(),
    )
    if status == TicketStatus.RESOLVED:
        schedule_follow_up(ticket, moment)
        events.after_ticket_resolved(ticket)
    return ticket


@transaction.atomic
def hand_over(
    *,
    actor: Any,
    ticket: Ticket,
    to: Any,
    expected_version: int,
    note: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Give ``ticket`` to colleague ``to`` (or take it, when ``to`` is the actor), with
    a note for them. A hard conversation need not stay with whoever took it first."""
    check(actor, Capability.HANDLE_TICKETS, ticket.location_id)
    moment = _now(at)
    if ticket.status not in ACTIVE:
        raise IllegalMove(_("Only an active ticket can be handed over; reopen it first."))
    _check_handler(to, ticket.location)
    if ticket.assignee_id == to.pk:
        raise ValueError(_("The ticket is already with %(name)s.") % {"name": person_name(to)})
    handoff = ticket.assignee_id is not None and to.pk != getattr(actor, "pk", None)
    _claim(ticket, expected_version, assignee=to)
    _event(
        ticket,
        actor,
        TicketEventKind.HANDOFF if handoff else TicketEventKind.ASSIGNED,
        moment,
        assignee=to,
        text=note.strip(),
    )
    return ticket


@transaction.atomic
def add_note(
    *,
    actor: Any,
    ticket: Ticket,
    text: str,
    to_customer: bool = False,
    at: datetime | None = None,
) -> TicketEvent:
    """Add an internal note, or (``to_customer``) record what was said to the customer.

    Notes do not change the ticket, so they need no version: two people may write
    notes at once.
    """
    check(actor, Capability.HANDLE_TICKETS, ticket.location_id)
    text = text.strip()
    if not text:
        raise ValueError(_("A note needs some text."))
    kind = TicketEventKind.REPLY if to_customer else TicketEventKind.NOTE
    return _event(ticket, actor, kind, _now(at), text=text)


@transaction.atomic
def set_priority(
    *,
    actor: Any,
    ticket: Ticket,
    priority: Priority | str,
    expected_version: int,
    at: datetime | None = None,
) -> Ticket:
    """Change the priority; an active ticket's due time follows its new service level,
    counted from when the ticket was opened."""
    check(actor, Capability.HANDLE_TICKETS, ticket.location_id)
    moment = _now(at)
    _check_priority(priority)
    if priority == ticket.priority:
        raise ValueError(_("The ticket already has this priority."))
    changes: dict[str, Any] = {"priority": priority}
    if ticket.status in ACTIVE:
        changes["due_at"] = due_time(ticket.kind, priority, ticket.location, ticket.created_at)
    _claim(ticket, expected_version, **changes)
    _event(ticket, actor, TicketEventKind.PRIORITY, moment, text=Priority(priority).label)
    return ticket


@transaction.atomic
def set_service_level(
    *,
    actor: Any,
    kind: TicketKind | str,
    priority: Priority | str,
    resolve_within: timedelta | None,
) -> ServiceLevel | None:
    """Set (or, with None, remove) how long tickets of ``kind`` and ``priority`` may take
    to resolve, in opening hours. Managers set service levels; tickets opened from now
    on get their due time from it."""
    check(actor, Capability.MANAGE_SERVICE_LEVELS)
    if kind not in TicketKind.values or priority not in Priority.values:
        raise ValueError(_("Unknown kind of ticket or priority."))
    if resolve_within is None:
        ServiceLevel.objects.filter(kind=kind, priority=priority).delete()
        return None
    if resolve_within <= timedelta(0):
        raise ValueError(_("A service level must give some time to resolve."))
    level, _created = ServiceLevel.objects.update_or_create(
        kind=kind, priority=priority, defaults={"resolve_within": resolve_within}
    )
    return level


def location_contact(location_id: int) -> Any:
    """Who overdue tickets of a location go to: its manager (the first by username
    when it has several), or its owner when it has none; None when it has neither."""
    for role in (Role.MANAGER, Role.OWNER):
        membership = (
            Membership.objects.filter(location_id=location_id, role=role)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if membership is not None:
            return membership.user
    return None


@transaction.atomic
def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate every active ticket past its due time to its location's manager, once:
    the timeline records to whom, and the ticket keeps when (``escalated_at``). Run by
    ``regulars run-due``; running it again escalates nothing twice. Returns how many."""
    moment = _now(now)
    overdue = list(
        Ticket.objects.select_for_update()
        .filter(status__in=ACTIVE, due_at__lte=moment, escalated_at__isnull=True)
        .order_by("id")
        .values_list("id", "location_id")
    )
    contacts = {loc: location_contact(loc) for loc in {loc for _id, loc in overdue}}
    Ticket.objects.filter(id__in=[ticket_id for ticket_id, _loc in overdue]).update(
        escalated_at=moment
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=ticket_id,
            at=moment,
            kind=TicketEventKind.ESCALATED,
            assignee=contacts[loc],
        )
        for ticket_id, loc in overdue
    )
    return len(overdue)
