"""The demo's service desk: two years of tickets, returns, promises, follow-ups and
queue waits, planned with the demo's seeded generator on top of its visits.

Tickets arise from known customers' visits (about one in ``VISITS_PER_TICKET``, more
complaints where it is busiest), opened with what the customer said in their own
language. Each is played forward by the service desk's rules (``play``) up to ``now``:
what would come later has not happened yet, so recent tickets are still open. A few
present-day tickets, open promises and follow-ups due today are planned on purpose
(``stories.present``), so the queue, the counter's card and the figures show something
whatever the seed and the hour; one customer (``ServiceDeskSummary.showcase``) has an
order in the works, a promise and a follow-up due today all at once. Every visit with
a queue wait gets the ``Wait`` it was measured by.

Everything is planned in memory, then written with bulk inserts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models

from regulars.accounts.models import Location
from regulars.demo.catalogue import LOCATIONS, STAFF
from regulars.demo.people import CustomerPlan
from regulars.demo.service_desk.play import SERVICE_LEVELS, Customer, Desk, Play, Visits, Where
from regulars.demo.service_desk.stories import history, present
from regulars.demo.visits import VisitRow
from regulars.service.flow import ACTIVE, PromiseStatus
from regulars.service.models import (
    FollowUp,
    Promise,
    Return,
    ReturnItem,
    ServiceLevel,
    Ticket,
    TicketEvent,
    Visit,
    VisitLine,
    Wait,
)

__all__ = ["SERVICE_LEVELS", "ServiceDeskSummary", "write_service_desk"]

BATCH = 5000


@dataclass
class ServiceDeskSummary:
    """What ``write_service_desk`` made, for the demo's summary and the tests."""

    tickets: int = 0
    active: int = 0  # open, in progress or waiting now
    overdue: int = 0  # active and past due now
    returns: int = 0
    promises: int = 0
    promises_open: int = 0
    follow_ups: int = 0
    follow_ups_today: int = 0  # due today and not done
    waits: int = 0
    showcase: str = ""  # the customer with an open order, a promise and a follow-up due
    showcase_location: str = ""


def write_service_desk(
    rng: random.Random,
    *,
    rows: list[VisitRow],
    customer_pks: dict[int, int],
    plans: list[CustomerPlan],
    locations: list[Location],
    users: dict[str, Any],
    now: datetime,
) -> ServiceDeskSummary:
    """Plan and write the service desk's history onto the demo's visits (``rows``, as
    planned, already written): service levels, tickets with their timelines, returns,
    promises, follow-ups, and the waits behind the visits' ``wait_seconds``."""
    visits = _read_visits(rows)
    traffic = [0] * len(locations)
    for row in rows:
        traffic[row.location] += 1
    busiest = max(range(len(locations)), key=lambda i: (traffic[i], -i))
    wheres = [Where(i, loc, now, i == busiest) for i, loc in enumerate(locations)]
    interface = {spec.username: spec.language for group in STAFF.values() for spec in group}
    desk = Desk(rng=rng, now=now, users=users, interface=interface)
    customers = {plan.index: Customer(customer_pks[plan.index], plan) for plan in plans}
    history(desk, wheres, visits, customers)
    showcase = present(desk, wheres, visits, customers)
    _write(desk)
    waits = _write_waits(visits, customer_pks, locations, users)

    today = {where.location.pk: where.today for where in wheres}
    follow_ups = [f for p in desk.plays for f in p.follow_ups]
    active = [p for p in desk.plays if p.status in ACTIVE]
    return ServiceDeskSummary(
        tickets=len(desk.plays),
        active=len(active),
        overdue=sum(1 for p in active if p.due_at is not None and p.due_at < now),
        returns=len(desk.returns),
        promises=len(desk.promises),
        promises_open=sum(1 for _p, pr in desk.promises if pr.status == PromiseStatus.OPEN),
        follow_ups=len(follow_ups),
        follow_ups_today=sum(
            1 for f in follow_ups if f.done_at is None and f.due_on == today[f.location_id]
        ),
        waits=waits,
        showcase=showcase.name if showcase else "",
        showcase_location=LOCATIONS[showcase.plan.home].name if showcase else "",
    )


def _read_visits(rows: list[VisitRow]) -> Visits:
    """Pair the planned visits with their ids. ``generator._write_visits`` inserts them
    sorted by time, so the ids follow that order; a few are checked, to fail loudly
    should that ever change."""
    ordered = sorted(rows, key=lambda r: r.at)
    ids = list(Visit.objects.order_by("id").values_list("id", flat=True))
    probes = {0, len(ids) // 2, len(ids) - 1} if ids else set()
    found = dict(Visit.objects.filter(id__in=[ids[k] for k in probes]).values_list("id", "at"))
    if len(ids) != len(ordered) or any(found[ids[k]] != ordered[k].at for k in probes):
        raise RuntimeError("the demo's visits are not in the order they were planned")
    known: list[int] = []
    by_customer: dict[int, list[int]] = {}
    for k, row in enumerate(ordered):
        if row.customer is not None:
            known.append(k)
            by_customer.setdefault(row.customer, []).append(k)
    return Visits(ordered, ids, known, by_customer)


def _write(desk: Desk) -> None:
    ServiceLevel.objects.bulk_create(
        ServiceLevel(kind=kind, priority=priority, resolve_within=timedelta(hours=hours))
        for kind, levels in SERVICE_LEVELS.items()
        for priority, hours in levels.items()
    )
    VisitLine.objects.bulk_create(
        [line.row for lines in desk.lines.values() for line in lines], batch_size=BATCH
    )
    tickets = Ticket.objects.bulk_create([_ticket(p) for p in desk.plays], batch_size=BATCH)
    of = {id(p): ticket for p, ticket in zip(desk.plays, tickets, strict=True)}
    pk, when = desk.pk, _datetimes()
    _insert(
        TicketEvent,
        ("ticket", "at", "actor", "kind", "from_status", "to_status", "assignee", "text"),
        [
            (ticket.pk, when(at), pk(actor), kind, before, after, pk(assignee), text)
            for p, ticket in zip(desk.plays, tickets, strict=True)
            for at, actor, kind, before, after, assignee, text in p.events
        ],
    )

    def owned(items: Iterable[tuple[Play, Any]]) -> list[Any]:
        rows = []
        for play, row in items:
            row.ticket = of[id(play)]
            rows.append(row)
        return rows

    FollowUp.objects.bulk_create(
        owned((p, f) for p in desk.plays for f in p.follow_ups), batch_size=BATCH
    )
    details = Return.objects.bulk_create(owned((p, r) for p, r, _items in desk.returns))
    ReturnItem.objects.bulk_create(
        ReturnItem(ret=ret, visit_line=line.row, description=line.row.description, quantity=q)
        for ret, (_p, _r, items) in zip(details, desk.returns, strict=True)
        for line, q in items
    )
    for play, promise in desk.promises:
        promise.ticket = of[id(play)] if play is not None else None
    Promise.objects.bulk_create([promise for _p, promise in desk.promises], batch_size=BATCH)


def _ticket(p: Play) -> Ticket:
    return Ticket(
        public_id=p.public_id,
        kind=p.kind,
        status=p.status,
        priority=p.priority,
        customer_id=p.customer.pk,
        visit_id=p.visit_id,
        location_id=p.where.location.pk,
        subject=p.subject,
        assignee_id=p.desk.pk(p.assignee),
        created_by_id=p.desk.pk(p.created_by),
        created_at=p.created_at,
        due_at=p.due_at,
        escalated_at=p.escalated_at,
        resolved_at=p.resolved_at,
        closed_at=p.closed_at,
        reopened=p.reopened,
        first_contact=p.first_contact,
        version=p.version,
    )


def _write_waits(
    visits: Visits, customer_pks: dict[int, int], locations: list[Location], users: dict[str, Any]
) -> int:
    """A served Wait behind every visit with a queue wait: marked when they started
    waiting, served when the visit was logged."""
    when = _datetimes()
    values = []
    for k, row in enumerate(visits.rows):
        if row.wait_seconds is None:
            continue
        staff = users[row.staff].pk
        values.append(
            (
                locations[row.location].pk,
                None if row.customer is None else customer_pks[row.customer],
                when(row.at - timedelta(seconds=row.wait_seconds)),
                when(row.at),
                staff,
                staff,
                visits.ids[k],
            )
        )
    columns = ("location", "customer", "started_at", "served_at", "started_by", "served_by")
    _insert(Wait, (*columns, "visit"), values)
    return len(values)


def _datetimes() -> Callable[[datetime], Any]:
    """How an aware datetime goes into a prepared statement. On SQLite, what Django's
    ``adapt_datetimefield_value`` does, without its checks: a tenth of the time."""
    if connection.vendor != "sqlite":
        return connection.ops.adapt_datetimefield_value
    zone = connection.timezone
    return lambda moment: str(moment.astimezone(zone).replace(tzinfo=None))


def _insert(
    model: type[models.Model], fields: Sequence[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert rows of ``fields`` values with one prepared statement: ``bulk_create``
    builds a model instance per row and cuts the rows into small INSERTs on SQLite."""
    ops = connection.ops
    meta = model._meta
    columns = {f.name: f.column for f in meta.concrete_fields if f.column}
    names = ", ".join(ops.quote_name(columns[name]) for name in fields)
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({names}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for first in range(0, len(values), BATCH):
            cursor.executemany(sql, values[first : first + BATCH])
