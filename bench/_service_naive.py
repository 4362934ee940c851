"""What ``bench.service`` times and what it checks it against: the queue page as the view
runs it, and the naive per-row Python computations of the same page and of the service
figures (every row fetched as a model instance, filtered, sorted and counted in Python,
related rows loaded one by one as a plain loop over the ORM would). ``differences``
compares two answers; a benchmark whose fast path is wrong must fail, not report.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

# One row of a person's load: (user id or None, active, complaints, overdue, member).
LoadRow = tuple[int | None, int, int, int, bool]


@dataclass(frozen=True)
class QueuePage:
    """What the queue page shows: how many tickets match, the first page's rows
    (ticket id, customer, assignee, as the row prints them) and each person's load."""

    total: int
    rows: tuple[tuple[int, str, str], ...]
    load: tuple[LoadRow, ...]


def _row(ticket: Any) -> tuple[int, str, str]:
    from regulars.accounts.models import person_name

    customer = ticket.customer.display_name if ticket.customer is not None else ""
    assignee = person_name(ticket.assignee) if ticket.assignee is not None else ""
    return (ticket.pk, customer, assignee)


def queue_filters(handlers: Sequence[Any]) -> dict[str, Any]:
    """The queue filters measured, by name: the default one, one of each kind of
    choice the filter form offers, and someone's tickets (one of ``handlers``)."""
    from regulars.service.queries import NOBODY, QueueFilter

    someone = handlers[len(handlers) // 2].pk if handlers else NOBODY
    return {
        "default": QueueFilter(),
        "status": QueueFilter(status="in_progress"),
        "kind": QueueFilter(kind="complaint"),
        "priority": QueueFilter(priority="high"),
        "nobody": QueueFilter(assignee=NOBODY),
        "someone": QueueFilter(assignee=someone),
        "overdue": QueueFilter(overdue=True),
    }


def queue_page(location: Any, flt: Any, *, now: datetime) -> QueuePage:
    """The queries the queue view runs for its first page: the location's handlers, the
    page of tickets (the paginator's count and the 50 rows, customer and assignee
    joined) and each person's load."""
    from django.core.paginator import Paginator

    from regulars.service.queries import location_load, location_queue, ticket_handlers
    from regulars.service.ticket_views import PAGE_SIZE

    handlers = ticket_handlers(location)
    page = Paginator(location_queue(location, flt, now=now), PAGE_SIZE).get_page(1)
    rows = tuple(_row(ticket) for ticket in page.object_list)
    load = location_load(location, handlers=handlers, now=now)
    return QueuePage(
        total=page.paginator.count,
        rows=rows,
        load=tuple(
            (
                row.user.pk if row.user is not None else None,
                row.active,
                row.complaints,
                row.overdue,
                row.member,
            )
            for row in load
        ),
    )


def naive_queue_page(location: Any, flt: Any, *, now: datetime) -> QueuePage:
    """The same page computed per row: every ticket of the location fetched, the
    active ones filtered and sorted in Python, customer and assignee loaded row by row
    for the page, the load counted in a loop."""
    from django.contrib.auth import get_user_model

    from regulars.service.flow import ACTIVE, Priority, TicketKind
    from regulars.service.models import Ticket
    from regulars.service.queries import NOBODY, ticket_handlers
    from regulars.service.ticket_views import PAGE_SIZE

    handlers = ticket_handlers(location)
    active = [t for t in Ticket.objects.filter(location=location) if t.status in ACTIVE]

    def shown(t: Any) -> bool:
        if flt.status in ACTIVE and t.status != flt.status:
            return False
        if flt.kind in TicketKind.values and t.kind != flt.kind:
            return False
        if flt.priority in Priority.values and t.priority != flt.priority:
            return False
        if flt.assignee == NOBODY and t.assignee_id is not None:
            return False
        if isinstance(flt.assignee, int) and t.assignee_id != flt.assignee:
            return False
        return not flt.overdue or (t.due_at is not None and t.due_at < now)

    matching = [t for t in active if shown(t)]
    matching.sort(key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.created_at, t.pk))
    rows = tuple(_row(ticket) for ticket in matching[:PAGE_SIZE])

    counts: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for t in active:
        count = counts[t.assignee_id]
        count[0] += 1
        count[1] += t.kind == TicketKind.COMPLAINT
        count[2] += t.due_at is not None and t.due_at < now

    def load(pk: int | None, member: bool) -> LoadRow:
        active_n, complaints, overdue = counts.get(pk, [0, 0, 0])
        return (pk, active_n, complaints, overdue, member)

    rows_load = [load(user.pk, True) for user in handlers]
    known = {user.pk for user in handlers}
    others = [pk for pk in counts if pk is not None and pk not in known]
    if others:
        users = get_user_model().objects.filter(pk__in=others).order_by("username")
        rows_load += [load(user.pk, False) for user in users]
    if None in counts:
        rows_load.append(load(None, True))
    return QueuePage(total=len(matching), rows=rows, load=tuple(rows_load))


# --- the figures -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: Fraction) -> float:
    """Linear interpolation between the nearest ranks of the sorted ``values``
    (PostgreSQL's ``percentile_cont``), with exact rank arithmetic."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    i = math.floor(h)
    upper = ordered[min(i + 1, len(ordered) - 1)]
    return ordered[i] + (upper - ordered[i]) * float(h - i)


def _unix(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def naive_figures(
    *, start: date, end: date, locations: Sequence[Any], staff: Any = None, now: datetime
) -> Any:
    """The service figures (``regulars.service.figures``' definitions) by iterating the
    period's rows in Python: each row's local day and hour from its location's zone."""
    from regulars.core.localtime import day_bounds_utc, zone
    from regulars.service.figures import (
        HOUR_SECONDS,
        P50,
        P90,
        Rate,
        ResolveTime,
        ReturnsForReason,
        ServiceFigures,
        WaitAtHour,
    )
    from regulars.service.flow import ACTIVE, PromiseStatus, ReturnReason, TicketKind
    from regulars.service.models import FollowUp, Promise, Return, Ticket, Visit

    zones = {loc.pk: zone(loc.timezone) for loc in locations}
    ids = list(zones)
    lo = min(day_bounds_utc(start, loc.timezone)[0] for loc in locations)
    hi = max(day_bounds_utc(end, loc.timezone)[1] for loc in locations)

    def local(moment: datetime, location_id: int) -> datetime:
        return moment.astimezone(zones[location_id])

    def in_period(moment: datetime, location_id: int) -> bool:
        return start <= local(moment, location_id).date() <= end

    def mine(field: str) -> dict[str, Any]:
        return {} if staff is None else {field: staff.pk}

    created = resolved = first_contact = with_due = in_time = overdue = 0
    period_tickets: set[int] = set()
    times: dict[str, list[int]] = defaultdict(list)
    rows = Ticket.objects.filter(
        location_id__in=ids, created_at__gte=lo, created_at__lt=hi, **mine("assignee_id")
    )
    for t in rows.iterator(chunk_size=5_000):
        if not in_period(t.created_at, t.location_id):
            continue
        created += 1
        period_tickets.add(t.pk)
        if t.status in ACTIVE and t.due_at is not None and t.due_at < now:
            overdue += 1
        if t.resolved_at is None:
            continue
        resolved += 1
        first_contact += t.first_contact
        times[t.kind].append(_unix(t.resolved_at) - _unix(t.created_at))
        if t.due_at is not None:
            with_due += 1
            in_time += t.resolved_at <= t.due_at

    kept = broken = promises_overdue = 0
    promises = Promise.objects.filter(
        location_id__in=ids, due_at__gte=lo, due_at__lt=hi, **mine("owner_id")
    )
    for promise in promises.iterator(chunk_size=5_000):
        if not in_period(promise.due_at, promise.location_id):
            continue
        kept += promise.status == PromiseStatus.KEPT
        broken += promise.status == PromiseStatus.BROKEN
        promises_overdue += promise.status == PromiseStatus.OPEN and promise.due_at < now

    due = on_time = not_done = 0
    follow_ups = FollowUp.objects.filter(
        location_id__in=ids, due_on__gte=start, due_on__lte=end, **mine("owner_id")
    )
    for follow_up in follow_ups.iterator(chunk_size=5_000):
        due += 1
        if follow_up.done_at is None:
            not_done += 1
        elif local(follow_up.done_at, follow_up.location_id).date() <= follow_up.due_on:
            on_time += 1

    per_reason: dict[str, int] = defaultdict(int)
    for ret in Return.objects.all().iterator(chunk_size=5_000):
        if ret.ticket_id in period_tickets:
            per_reason[ret.reason] += 1
    returns_total = sum(per_reason.values())

    waits: dict[int, list[int]] = defaultdict(list)
    visits = Visit.objects.filter(
        location_id__in=ids, at__gte=lo, at__lt=hi, wait_seconds__isnull=False, **mine("staff_id")
    )
    for visit in visits.iterator(chunk_size=5_000):
        moment = local(visit.at, visit.location_id)
        if start <= moment.date() <= end and visit.wait_seconds is not None:
            waits[moment.hour].append(visit.wait_seconds)

    return ServiceFigures(
        start=start,
        end=end,
        tickets=created,
        first_contact=Rate(first_contact, resolved),
        resolve_times=tuple(
            ResolveTime(
                kind=kind.value,
                count=len(times[kind.value]),
                median_hours=percentile(times[kind.value], P50) / HOUR_SECONDS,
                p90_hours=percentile(times[kind.value], P90) / HOUR_SECONDS,
            )
            for kind in TicketKind
            if times.get(kind.value)
        ),
        service_level=Rate(in_time, with_due),
        overdue_now=overdue,
        promises_kept=Rate(kept, kept + broken),
        promises_overdue=promises_overdue,
        follow_ups_on_time=Rate(on_time, due),
        follow_ups_not_done=not_done,
        returns=tuple(
            ReturnsForReason(
                reason=reason.value,
                count=per_reason.get(reason.value, 0),
                share=per_reason.get(reason.value, 0) / returns_total if returns_total else None,
                pushed=reason == ReturnReason.PUSHED,
            )
            for reason in ReturnReason
        ),
        returns_total=returns_total,
        waits=tuple(
            WaitAtHour(
                hour=hour,
                count=len(values),
                median_seconds=percentile(values, P50),
                p90_seconds=percentile(values, P90),
            )
            for hour, values in sorted(waits.items())
        ),
    )


# --- comparing -------------------------------------------------------------------------------


def differences(fast: Any, naive: Any, path: str = "") -> list[str]:
    """Where two answers differ (dataclasses, tuples, numbers), as ``path: fast != naive``;
    floats are equal within a relative 1e-9 (the database computes in double precision,
    in another order)."""
    if dataclasses.is_dataclass(fast) and not isinstance(fast, type):
        if type(fast) is not type(naive):
            return [f"{path or 'answer'}: {type(fast).__name__} != {type(naive).__name__}"]
        found: list[str] = []
        for item in dataclasses.fields(fast):
            found += differences(
                getattr(fast, item.name), getattr(naive, item.name), f"{path}.{item.name}"
            )
        return found
    if isinstance(fast, tuple | list) and isinstance(naive, tuple | list):
        if len(fast) != len(naive):
            return [f"{path}: {len(fast)} items != {len(naive)}: {fast!r:.300} != {naive!r:.300}"]
        found = []
        for index, (a, b) in enumerate(zip(fast, naive, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    if isinstance(fast, float) or isinstance(naive, float):
        if (
            isinstance(fast, int | float)
            and isinstance(naive, int | float)
            and math.isclose(fast, naive, rel_tol=1e-9, abs_tol=1e-9)
        ):
            return []
        return [f"{path}: {fast!r} != {naive!r}"]
    return [] if fast == naive else [f"{path}: {fast!r} != {naive!r}"]
