"""Reads of the service desk shared by its pages (and the benchmarks): the one
permission-checked getters (tickets, promises, follow-ups, waits), a location's queue,
each person's load, "mine".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location, Membership, person_name
from regulars.core.localtime import local_today
from regulars.core.permissions import Capability, role_allows
from regulars.service.flow import (
    ACTIVE,
    MOVES,
    Priority,
    PromiseStatus,
    TicketKind,
    TicketStatus,
)
from regulars.service.followups import DEFAULT_DAYS, due_follow_ups
from regulars.service.models import (
    ACTIVE_STATUSES,
    FollowUp,
    FollowUpRule,
    Promise,
    ServiceLevel,
    Ticket,
    TicketEvent,
    Wait,
)

# The queue's order: soonest due first (tickets without a due time after those with
# one), then the oldest. The same on SQLite and PostgreSQL (which sorts NULL first
# in DESC and last in ASC by default; said explicitly so nobody has to remember).
QUEUE_ORDER = (F("due_at").asc(nulls_last=True), "created_at", "id")

R = TypeVar("R", Promise, FollowUp, Wait)

# The assignee filter's value for "nobody".
NOBODY = "nobody"


def get_ticket_for(user: Any, public_id: str) -> Ticket:
    """The one way a view finds a ticket: 403 without HANDLE_TICKETS anywhere; 404 when
    there is no such ticket, and also when the user does not handle tickets at the
    ticket's location (a ticket elsewhere is not theirs to know about)."""
    check(user, Capability.HANDLE_TICKETS)
    ticket = (
        Ticket.objects.select_related("location", "customer", "assignee", "visit", "created_by")
        .filter(public_id=public_id)
        .first()
    )
    if ticket is None or not access_for(user).can(Capability.HANDLE_TICKETS, ticket.location_id):
        raise Http404
    return ticket


def ticket_locations(user: Any) -> list[Location]:
    """The user's locations where they handle tickets, in name order."""
    return access_for(user).locations_with(Capability.HANDLE_TICKETS)


def ticket_handlers(location: Location | int) -> list[Any]:
    """Everyone who handles tickets at ``location`` (active users with a role there that
    allows it), by name: who a ticket may be given to. One query."""
    memberships = (
        Membership.objects.filter(location=location, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    return [m.user for m in memberships if role_allows(m.role, Capability.HANDLE_TICKETS)]


# --- a location's queue ----------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Empty values mean "any"; ``status`` is one of the active
    statuses (the queue never shows resolved or closed tickets); ``assignee`` is a user
    id, or ``NOBODY`` for unassigned tickets."""

    status: str = ""
    kind: str = ""
    priority: str = ""
    assignee: int | str | None = None
    overdue: bool = False


def location_queue(
    location: Location | int, flt: QueueFilter | None = None, *, now: datetime | None = None
) -> QuerySet[Ticket]:
    """A location's active tickets, soonest due first, then oldest, with what a queue
    row shows (customer, assignee) in the same query. Served by the ``ticket_queue``
    index (location, status, due_at).

    The location is not joined in (the caller has it): with the join, SQLite drives the
    query from the location row and searches tickets by the foreign key's own index
    instead of ``ticket_queue`` (a test reads the plan)."""
    flt = flt or QueueFilter()
    statuses = [flt.status] if flt.status in ACTIVE else ACTIVE_STATUSES
    qs = Ticket.objects.filter(location=location, status__in=statuses)
    if flt.kind in TicketKind.values:
        qs = qs.filter(kind=flt.kind)
    if flt.priority in Priority.values:
        qs = qs.filter(priority=flt.priority)
    if flt.assignee == NOBODY:
        qs = qs.filter(assignee__isnull=True)
    elif isinstance(flt.assignee, int):
        qs = qs.filter(assignee_id=flt.assignee)
    if flt.overdue:
        qs = qs.filter(due_at__lt=now or timezone.now())
    return qs.select_related("customer", "assignee").order_by(*QUEUE_ORDER)


@dataclass(frozen=True)
class Load:
    """One person's active tickets at a location: how many, and how many of those are
    complaints or overdue (the difficult ones, which should not all sit with one
    person). ``user`` is None for the row of tickets nobody has taken yet;
    ``member`` is False for someone who holds tickets there but no longer a role."""

    user: Any
    name: str
    active: int
    complaints: int
    overdue: int
    member: bool = True


def location_load(
    location: Location | int,
    *,
    handlers: list[Any] | None = None,
    now: datetime | None = None,
) -> list[Load]:
    """Each person's open load at ``location``: every handler (with zero when they hold
    nothing), then anyone else still holding tickets there, then the unassigned ones.
    One aggregate query (plus the handlers when not given, and the rare former member).
    """
    moment = now or timezone.now()
    if handlers is None:
        handlers = ticket_handlers(location)
    rows = (
        Ticket.objects.filter(location=location, status__in=ACTIVE_STATUSES)
        .values("assignee_id")
        .annotate(
            active=Count("id"),
            complaints=Count("id", filter=Q(kind=TicketKind.COMPLAINT)),
            overdue=Count("id", filter=Q(due_at__lt=moment)),
        )
        .order_by()
    )
    counts: dict[int | None, dict[str, Any]] = {row["assignee_id"]: dict(row) for row in rows}
    none: dict[str, Any] = {}

    def load(user: Any, *, member: bool = True) -> Load:
        row = counts.get(user.pk if user is not None else None, none)
        return Load(
            user=user,
            name=person_name(user) if user is not None else "",
            active=row.get("active", 0),
            complaints=row.get("complaints", 0),
            overdue=row.get("overdue", 0),
            member=member,
        )

    result = [load(user) for user in handlers]
    known = {user.pk for user in handlers}
    others = [pk for pk in counts if pk is not None and pk not in known]
    if others:
        users = get_user_model().objects.filter(pk__in=others).order_by("username")
        result += [load(user, member=False) for user in users]
    if None in counts:
        result.append(load(None))
    return result


# --- one person's tickets -----------------------------------------------------------------


def my_tickets(user: Any) -> QuerySet[Ticket]:
    """The user's active tickets at every location where they (still) handle tickets,
    soonest due first, then oldest."""
    locations = [loc.pk for loc in ticket_locations(user)]
    return (
        Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES, location__in=locations)
        .select_related("customer", "assignee", "location")
        .order_by(*QUEUE_ORDER)
    )


# --- one ticket -------------------------------------------------------------------------


def ticket_timeline(ticket: Ticket) -> list[TicketEvent]:
    """Every entry of the ticket's timeline, oldest first, with who (one query)."""
    return list(ticket.events.select_related("actor", "assignee").order_by("at", "id"))


def allowed_moves(ticket: Ticket) -> list[TicketStatus]:
    """The statuses ``ticket`` may move to, in the flow's order."""
    allowed = MOVES.get(ticket.status, frozenset())
    return [status for status in TicketStatus if status in allowed]


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    return (
        ticket.status in ACTIVE
        and ticket.due_at is not None
        and ticket.due_at < (now or timezone.now())
    )


# --- service levels ----------------------------------------------------------------------


def service_level_hours() -> dict[tuple[str, str], timedelta]:
    """(kind, priority) -> resolve-within, for those that have a service level."""
    return {(lvl.kind, lvl.priority): lvl.resolve_within for lvl in ServiceLevel.objects.all()}


def follow_up_day_settings() -> dict[str, int | None]:
    """Kind -> days after resolving until the follow-up, as in force: the managers'
    rule, else ``followups.DEFAULT_DAYS`` (None: no follow-up). One query."""
    rules = dict(FollowUpRule.objects.values_list("kind", "days"))
    return {
        kind: rules[kind] if kind in rules else DEFAULT_DAYS.get(kind) for kind in TicketKind.values
    }


# --- promises, follow-ups and waits ---------------------------------------------------------


def _at_own_location(user: Any, row: R | None, capability: Capability) -> R:
    """``row`` when the user holds ``capability`` at its location; 404 otherwise (as
    for tickets, what happens elsewhere is not theirs to know about)."""
    if row is None or not access_for(user).can(capability, row.location_id):
        raise Http404
    return row


def get_promise_for(user: Any, public_id: str) -> Promise:
    """The one way a view finds a promise (403 without HANDLE_TICKETS anywhere)."""
    check(user, Capability.HANDLE_TICKETS)
    row = Promise.objects.select_related("customer", "location").filter(public_id=public_id)
    return _at_own_location(user, row.first(), Capability.HANDLE_TICKETS)


def get_follow_up_for(user: Any, follow_up_id: int) -> FollowUp:
    """The one way a view finds a follow-up (403 without HANDLE_TICKETS anywhere)."""
    check(user, Capability.HANDLE_TICKETS)
    row = FollowUp.objects.select_related("ticket", "customer", "location").filter(pk=follow_up_id)
    return _at_own_location(user, row.first(), Capability.HANDLE_TICKETS)


def get_wait_for(user: Any, wait_id: int) -> Wait:
    """The one way a view finds a queue wait (403 without LOG_VISITS anywhere)."""
    check(user, Capability.LOG_VISITS)
    row = Wait.objects.select_related("location", "customer").filter(pk=wait_id)
    return _at_own_location(user, row.first(), Capability.LOG_VISITS)


def my_care(user: Any, now: datetime | None = None) -> dict[str, Any]:
    """The user's open promises (soonest due first) and the follow-ups they own that are
    due by today at their locations: the rest of "mine". Two queries."""
    moment = now or timezone.now()
    locations = ticket_locations(user)
    open_promises = list(
        Promise.objects.filter(
            owner=user, status=PromiseStatus.OPEN, location__in=[loc.pk for loc in locations]
        )
        .select_related("customer", "location")
        .order_by("due_at", "id")
    )
    # "Today" in the user's first location's calendar: a day off at most for someone
    # working across time zones, and never a follow-up hidden for long.
    today = local_today(locations[0].timezone, moment) if locations else moment.date()
    due = list(due_follow_ups(today=today, location_ids=[loc.pk for loc in locations], owner=user))
    return {"my_promises": open_promises, "my_follow_ups": due, "now": moment}
