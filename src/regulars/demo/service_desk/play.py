"""Playing a ticket forward in memory by the service desk's rules.

``Play`` does, step by step, what ``service.tickets`` and ``service.followups`` would
write: the moves of ``flow.MOVES`` (checked by ``flow.check_move``), a due time from the
service levels counted in opening hours (``core.business_time.add_business_time``), the
version going up with each change, a follow-up on resolving, reopening, and escalation
to the manager once ``run-due`` notices a ticket is past due. Time only moves forward,
and never past ``now``: a step that would come later raises ``Stop`` and the ticket
stays as it is.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext

from regulars.accounts.models import Location
from regulars.core.business_time import add_business_time, open_spans
from regulars.demo.catalogue import LOCATIONS, STAFF
from regulars.demo.people import CustomerPlan, Rhythm, public_id
from regulars.demo.visits import VisitRow
from regulars.service.flow import (
    ACTIVE,
    REOPENING,
    FollowUpOutcome,
    Priority,
    TicketKind,
    TicketStatus,
    check_move,
)
from regulars.service.followups import DEFAULT_DAYS
from regulars.service.models import FollowUp, Promise, Return, TicketEventKind, VisitLine

K, S, P = TicketKind, TicketStatus, Priority
CRON_DELAY = (60, 300)  # seconds until ``run-due`` notices a ticket is past due

# Hours of opening time to resolve, by kind and priority (one grid for the business).
SERVICE_LEVELS: dict[str, dict[str, int]] = {
    K.COMPLAINT: {P.URGENT: 4, P.HIGH: 8, P.NORMAL: 16, P.LOW: 24},
    K.QUESTION: {P.URGENT: 4, P.HIGH: 8, P.NORMAL: 16, P.LOW: 24},
    K.REQUEST: {P.URGENT: 8, P.HIGH: 16, P.NORMAL: 24, P.LOW: 40},
    K.RETURN: {P.URGENT: 2, P.HIGH: 4, P.NORMAL: 8, P.LOW: 16},
    K.EXCHANGE: {P.URGENT: 2, P.HIGH: 4, P.NORMAL: 8, P.LOW: 16},
    K.REPAIR: {P.URGENT: 8, P.HIGH: 24, P.NORMAL: 40, P.LOW: 80},
}

# (at, actor, kind, from status, to status, assignee, text); people by username.
Event = tuple[datetime, str | None, str, str, str, str | None, str]


class Stop(Exception):
    """The next step would come after now: the ticket stays as it is."""


@dataclass(frozen=True)
class Customer:
    pk: int
    plan: CustomerPlan

    @property
    def language(self) -> str:
        return str(self.plan.fields.get("language") or LOCATIONS[self.plan.home].language)

    @property
    def organisation(self) -> bool:
        return self.plan.rhythm == Rhythm.ORGANISATION

    @property
    def name(self) -> str:
        f = self.plan.fields
        return str(f.get("organisation_name") or f"{f['given_name']} {f['family_name']}")


@dataclass
class Line:
    """A line of a visit as the point of sale would give it (made for returned visits)."""

    row: VisitLine
    returned: bool = False


@dataclass(frozen=True)
class Visits:
    """The demo's visits in the order they were written, with their database ids."""

    rows: list[VisitRow]
    ids: list[int]
    known: list[int]  # positions of the visits of known customers
    by_customer: dict[int, list[int]]  # plan index → positions in ``rows``, in time order

    def lines(self, desk: Desk, k: int) -> list[Line]:
        """The item lines of visit ``k``, made from what they had ([] when unreadable)."""
        if k not in desk.lines:
            row = self.rows[k]
            prices = {item.name: item.price for item in LOCATIONS[row.location].menu}
            names: list[str] = []
            for part in row.had.split(", ") if row.had else []:
                if names and names[-1] not in prices and f"{names[-1]}, {part}" in prices:
                    names[-1] = f"{names[-1]}, {part}"  # a name with a comma ("naturvin, glas")
                else:
                    names.append(part)
            if not names or any(name not in prices for name in names):
                return []
            desk.lines[k] = [
                Line(
                    VisitLine(
                        visit_id=self.ids[k], description=n, quantity=Decimal(1), amount=prices[n]
                    )
                )
                for n in names
            ]
        return desk.lines[k]


class Where:
    """A location's opening hours, people and calendar, as the desk needs them."""

    def __init__(self, index: int, location: Location, now: datetime, busiest: bool) -> None:
        people = STAFF["all"] + STAFF[LOCATIONS[index].name]
        self.index = index
        self.location = location
        self.busiest = busiest
        self.hours = location.opening_hours
        self.tz = location.timezone
        self.zone = ZoneInfo(location.timezone)
        self.now = now
        self.today = now.astimezone(self.zone).date()
        self.crew = [s.username for s in people if s.role == "staff"]
        managers = sorted(s.username for s in people if s.role == "manager")
        # Where run-due sends overdue tickets: the first manager by username, else the owner.
        self.manager = managers[0] if managers else "owner"

    def after(self, moment: datetime, minutes: float) -> datetime:
        """``minutes`` of opening time after ``moment``."""
        return add_business_time(
            moment, timedelta(seconds=round(minutes * 60)), self.hours, self.tz
        )

    def due(self, kind: str, priority: str, start: datetime) -> datetime:
        return self.after(start, SERVICE_LEVELS[kind][priority] * 60)

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def writes(self, username: str) -> str:
        """The language a member of staff writes notes in here."""
        return "en" if username == "owner" else self.location.language

    def open_day(self, day: date) -> date:
        for _ in range(8):
            if open_spans(day, self.hours, self.tz):
                return day
            day += timedelta(days=1)
        raise ValueError("this location never opens")

    def during(self, rng: random.Random, day: date) -> datetime:
        """Some instant while the location is open on ``day`` (or its next open day)."""
        spans = open_spans(self.open_day(day), self.hours, self.tz)
        start, end = rng.choice(spans)
        seconds = max(1, int((end - start).total_seconds()) - 900)
        return start + timedelta(seconds=rng.randrange(seconds))

    def appointment(self, rng: random.Random, day: date) -> datetime:
        """A round half hour on ``day`` (or its next open day), an hour inside opening."""
        start, end = open_spans(self.open_day(day), self.hours, self.tz)[0]
        slots = max(1, int((end - start).total_seconds()) // 1800 - 3)
        local = start.astimezone(self.zone)
        first = local.replace(minute=0 if local.minute < 30 else 30, second=0) + timedelta(hours=1)
        return (first + timedelta(minutes=30 * rng.randrange(slots))).astimezone(UTC)


@dataclass
class Desk:
    """Everything planned so far, and what planning needs."""

    rng: random.Random
    now: datetime
    users: dict[str, Any]
    interface: dict[str, str]  # username → the language their screens are in
    ids: set[str] = field(default_factory=set)
    plays: list[Play] = field(default_factory=list)
    promises: list[tuple[Play | None, Promise]] = field(default_factory=list)
    returns: list[tuple[Play, Return, list[tuple[Line, Decimal]]]] = field(default_factory=list)
    lines: dict[int, list[Line]] = field(default_factory=dict)  # visit position → its lines

    def new_id(self) -> str:
        made = public_id(self.rng)
        while made in self.ids:
            made = public_id(self.rng)
        self.ids.add(made)
        return made

    def pk(self, username: str | None) -> int | None:
        return None if username is None else int(self.users[username].pk)

    def label(self, username: str, make: Callable[[], str]) -> str:
        """An interface text as ``username``'s screen would have written it."""
        with translation.override(self.interface.get(username) or "en"):
            return make()


class Play:
    """One ticket played forward; its fields are those of the ``Ticket`` it becomes."""

    def __init__(
        self,
        desk: Desk,
        where: Where,
        *,
        kind: str,
        priority: str,
        customer: Customer,
        visit_id: int | None,
        subject: str,
        takeover: bool = True,
    ) -> None:
        self.desk, self.where = desk, where
        self.kind, self.priority = kind, priority
        self.customer, self.visit_id = customer, visit_id
        self.subject = subject[:200]
        self.takeover = takeover  # the manager may take it over when it is escalated
        self.public_id = desk.new_id()
        self.status: str = S.OPEN
        self.assignee: str | None = None
        self.created_by = ""
        self.created_at = self.clock = desk.now
        self.due_at: datetime | None = None
        self.escalate_at: datetime | None = None
        self.escalated_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.reopened = 0
        self.first_contact = False
        self.version = 1
        self.events: list[Event] = []
        self.follow_ups: list[FollowUp] = []
        self.follow_up_owner: dict[int, str] = {}  # round → who asks

    @property
    def worker(self) -> str:
        return self.assignee or self.created_by

    # -- the clock --------------------------------------------------------------------

    def _set_due(self, start: datetime) -> None:
        self.due_at = self.where.due(self.kind, self.priority, start)
        self.escalate_at = self.due_at + timedelta(seconds=self.desk.rng.randint(*CRON_DELAY))

    def reach(self, moment: datetime) -> datetime:
        """Advance to ``moment`` (never back), escalating on the way; Stop after now.
        Returns the moment reached (``moment``, or the clock when that is later)."""
        return self._at(moment)

    def _at(self, moment: datetime) -> datetime:
        moment = max(moment, self.clock)
        self._escalate(min(moment, self.desk.now))
        if moment > self.desk.now:
            raise Stop
        self.clock = moment
        return moment

    def _escalate(self, until: datetime) -> None:
        if self.status not in ACTIVE or self.escalated_at or self.escalate_at is None:
            return
        at = max(self.escalate_at, self.clock)
        if at > until:
            return
        manager = self.where.manager
        self.escalated_at = self.clock = at
        self.events.append((at, None, TicketEventKind.ESCALATED, "", "", manager, ""))
        if self.takeover and self.assignee != manager and self.desk.rng.random() < 0.5:
            moment = self.where.after(at, self.desk.rng.randint(10, 90))
            if moment <= until:
                self.hand(moment, manager, manager)

    def finish(self) -> None:
        """Bring the ticket up to now: escalated if it is past due."""
        self._escalate(self.desk.now)

    # -- what staff do ----------------------------------------------------------------

    def open(self, at: datetime, actor: str, *, assignee: str | None, said: str) -> None:
        self.created_at = self.clock = at
        self.created_by, self.assignee = actor, assignee
        self._set_due(at)
        self.events.append((at, actor, TicketEventKind.CREATED, "", S.OPEN, assignee, said))

    def move(self, at: datetime, actor: str, status: str, text: str = "") -> None:
        at = self._at(at)
        current = self.status
        check_move(current, status)
        if status == S.RESOLVED:
            self.resolved_at = at
            self.first_contact = current == S.OPEN and self.reopened == 0
        elif status == S.CLOSED:
            self.closed_at = at
        elif (current, status) in REOPENING:
            self.resolved_at = self.closed_at = self.escalated_at = None
            self.reopened += 1
            self.first_contact = False
            self._set_due(at)
        self.status = status
        self.version += 1
        self.events.append((at, actor, TicketEventKind.STATUS, current, status, None, text))
        days = DEFAULT_DAYS.get(self.kind)
        if status == S.RESOLVED and days:
            self.follow_up_owner[self.reopened] = self.worker
            self.follow_ups.append(
                FollowUp(
                    round=self.reopened,
                    customer_id=self.customer.pk,
                    location_id=self.where.location.pk,
                    owner_id=self.desk.pk(self.worker),
                    due_on=self.where.day_of(at) + timedelta(days=days),
                    created_at=at,
                )
            )

    def hand(self, at: datetime, actor: str, to: str, note: str = "") -> None:
        at = self._at(at)
        if self.status not in ACTIVE or self.assignee == to:
            return
        handoff = self.assignee is not None and to != actor
        self.assignee = to
        self.version += 1
        kind = TicketEventKind.HANDOFF if handoff else TicketEventKind.ASSIGNED
        self.events.append((at, actor, kind, "", "", to, note))

    def tell(self, at: datetime, actor: str, text: str, *, to_customer: bool = True) -> None:
        at = self._at(at)
        kind = TicketEventKind.REPLY if to_customer else TicketEventKind.NOTE
        self.events.append((at, actor, kind, "", "", None, text))

    def set_priority(self, at: datetime, actor: str, priority: str) -> None:
        at = self._at(at)
        if priority == self.priority:
            return
        self.priority = priority
        if self.status in ACTIVE:
            self._set_due(self.created_at)
            if self.escalate_at is not None:  # run-due notices within minutes
                self.escalate_at = max(self.escalate_at, at + timedelta(seconds=CRON_DELAY[0]))
        self.version += 1
        label = self.desk.label(actor, lambda: str(Priority(priority).label))
        self.events.append((at, actor, TicketEventKind.PRIORITY, "", "", None, label))

    def follow_up(self, at: datetime, outcome: str, note: str) -> None:
        """Record the answer to the last follow-up (``followups.record_follow_up``):
        "still not happy" reopens the ticket."""
        follow_up = self.follow_ups[-1]
        owner = self.follow_up_owner[follow_up.round]
        at = self._at(at)
        follow_up.outcome, follow_up.note = outcome, note
        follow_up.done_at, follow_up.done_by_id = at, self.desk.pk(owner)
        if outcome == FollowUpOutcome.STILL_UNHAPPY and self.status in (S.RESOLVED, S.CLOSED):
            text = self.desk.label(owner, lambda: gettext("Follow-up: still not happy."))
            self.move(at, owner, S.OPEN, f"{text} {note}".strip())
