"""The rows of ``bench.service``'s business, drawn from seeded generators: locations in
several time zones, staff with their memberships, customers, tickets with their whole
life (timeline, returns, promises, follow-ups) and visits with queue waits.

Ids are given explicitly (after any rows already there), so rows refer to each other
without reading anything back. Times are whole UTC seconds over ``YEARS`` years before
``now``; opening hours are placed with each location's offset of mid-January, which is
near enough for data (the figures compute true local times).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

from bench._service_data import BATCH, ROW_BATCH, Sizes, Writer, flush, progress

YEARS = 3
DAY = 86_400
HOUR = 3_600

# (name, time zone, currency, country, share of the business): several zones with and
# without daylight saving, both hemispheres, so the figures' local days and hours are
# tested across zones.
LOCATIONS: tuple[tuple[str, str, str, str, float], ...] = (
    ("Bologna", "Europe/Rome", "EUR", "IT", 9),
    ("London", "Europe/London", "GBP", "GB", 9),
    ("København", "Europe/Copenhagen", "DKK", "DK", 7),
    ("Madrid", "Europe/Madrid", "EUR", "ES", 7),
    ("New York", "America/New_York", "USD", "US", 7),
    ("Milano", "Europe/Rome", "EUR", "IT", 6),
    ("Moskva", "Europe/Moscow", "RUB", "RU", 6),
    ("Sydney", "Australia/Sydney", "AUD", "AU", 5),
    ("Roma", "Europe/Rome", "EUR", "IT", 5),
    ("Manchester", "Europe/London", "GBP", "GB", 5),
    ("Aarhus", "Europe/Copenhagen", "DKK", "DK", 4),
    ("Barcelona", "Europe/Madrid", "EUR", "ES", 4),
    ("Tokyo", "Asia/Tokyo", "JPY", "JP", 4),
    ("Riga", "Europe/Riga", "EUR", "LV", 3),
    ("Toronto", "America/Toronto", "CAD", "CA", 3),
    ("Torino", "Europe/Rome", "EUR", "IT", 3),
    ("Sevilla", "Europe/Madrid", "EUR", "ES", 2),
    ("Odense", "Europe/Copenhagen", "DKK", "DK", 2),
    ("Edinburgh", "Europe/London", "GBP", "GB", 2),
    ("Sankt-Peterburg", "Europe/Moscow", "RUB", "RU", 2),
)

KINDS = (  # (kind, share)
    ("request", 25),
    ("question", 22),
    ("complaint", 15),
    ("return", 12),
    ("exchange", 8),
    ("repair", 18),
)
PRIORITIES = (("low", 15), ("normal", 60), ("high", 20), ("urgent", 5))
# Service levels in hours by priority, times a factor per kind; questions have none, so
# a quarter of the tickets has no due time (the queue puts those last).
SLA_HOURS = {"low": 168, "normal": 72, "high": 24, "urgent": 4}
SLA_FACTOR = {"request": 1.0, "complaint": 0.5, "return": 1.0, "exchange": 1.0, "repair": 4.0}
FOLLOW_UP_DAYS = {"complaint": 3, "return": 7, "exchange": 7, "repair": 7}
SUBJECTS = {
    "request": ("Order the blue one in size M", "Hold the new season catalogue", "Gift wrap"),
    "question": ("Opening hours at Easter", "Is the coat washable?", "Loyalty points"),
    "complaint": ("Rude answer at the till", "Waited 40 minutes", "Charged twice"),
    "return": ("Shoes too small", "Jacket seam open", "Changed their mind about the lamp"),
    "exchange": ("Exchange the shirt for an L", "Other colour", "Swap for the newer model"),
    "repair": ("Zip broken", "Watch strap", "Heel came off"),
}
NOTES = ("Called, no answer", "Part ordered from the supplier", "Customer will come Tuesday")
REASONS = (("changed_mind", 30), ("defect", 30), ("wrong_size", 25), ("pushed", 5), ("other", 10))
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # as regulars.core.ids


def _cum(table: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    return [value for value, _w in table], list(accumulate(weight for _v, weight in table))


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    return rng.choices(table[0], cum_weights=table[1])[0]


def public_id(number: int, salt: int) -> str:
    """A unique 12-character public id for ``number`` (an odd multiplier modulo 2⁶⁰ is
    a bijection), spread over the alphabet like ``new_public_id``'s."""
    n = (number * 0x9E3779B97F4A7C15 + salt) % (1 << 60)
    return "".join(_ALPHABET[(n >> shift) & 31] for shift in range(55, -1, -5))


# --- the business --------------------------------------------------------------------------


@dataclass
class Business:
    """What the rows refer to: locations, their staff and time zones."""

    location_ids: list[int]
    offsets: dict[int, int]  # location id -> standard UTC offset (s), to place opening hours
    staff: dict[int, list[int]]  # location id -> user ids of its staff
    currency: dict[int, str]
    weights: list[float]  # cumulative shares of the business, per location
    customers: tuple[int, int]  # first and last customer id


def setup_business(sizes: Sizes, seed: int) -> Business:
    """Locations, staff users with their memberships, and the service levels (ORM:
    a few dozen rows)."""
    from django.contrib.auth import get_user_model

    from regulars.accounts.models import Membership
    from regulars.accounts.services import create_location
    from regulars.core.localtime import zone
    from regulars.service.models import ServiceLevel

    rng = random.Random(f"{seed}-staff")
    chosen = [LOCATIONS[i % len(LOCATIONS)] for i in range(sizes.locations)]
    locations = [
        create_location(
            name=name if i < len(LOCATIONS) else f"{name} {i // len(LOCATIONS) + 1}",
            timezone_name=tz,
            currency=currency,
            country=country,
        )
        for i, (name, tz, currency, country, _share) in enumerate(chosen)
    ]
    user_model = get_user_model()
    staff: dict[int, list[int]] = {loc.pk: [] for loc in locations}
    suffix = rng.randrange(10**6)
    for n in range(sizes.staff):
        user = user_model.objects.create(
            username=f"bench-{suffix}-{n:03d}",
            first_name=rng.choice(("Anna", "Luca", "Mette", "Olga", "Pablo", "Sam", "Yui")),
            last_name=f"Staff{n:03d}",
        )
        home = locations[n % len(locations)]
        role = "manager" if n < len(locations) else "staff"
        Membership.objects.create(user=user, location=home, role=role)
        staff[home.pk].append(user.pk)
        if rng.random() < 0.2 and len(locations) > 1:  # some work at two places
            other = rng.choice([loc for loc in locations if loc.pk != home.pk])
            Membership.objects.create(user=user, location=other, role="staff")
            staff[other.pk].append(user.pk)
    for kind, factor in SLA_FACTOR.items():
        for priority, hours in SLA_HOURS.items():
            ServiceLevel.objects.get_or_create(
                kind=kind,
                priority=priority,
                defaults={"resolve_within": timedelta(hours=hours * factor)},
            )
    january = datetime(2026, 1, 15, tzinfo=UTC)
    offsets = {}
    for loc in locations:
        delta = january.astimezone(zone(loc.timezone)).utcoffset()
        offsets[loc.pk] = int(delta.total_seconds()) if delta is not None else 0
    return Business(
        location_ids=[loc.pk for loc in locations],
        offsets=offsets,
        staff=staff,
        currency={loc.pk: loc.currency for loc in locations},
        weights=list(accumulate(share for *_rest, share in chosen)),
        customers=(0, 0),
    )


def customers(writer: Writer, business: Business, count: int, now: int, seed: int) -> None:
    from regulars.customers.models import Customer
    from regulars.demo.names import CULTURES

    table = writer.prepare(
        Customer,
        "id public_id given_name family_name language home_location_id created_at updated_at",
    )
    rng = random.Random(f"{seed}-customers")
    cultures = [CULTURES[code] for code in sorted(CULTURES)]
    first = writer.next_id(Customer)
    business.customers = (first, first + count - 1)
    batch: list[tuple[Any, ...]] = []
    for n in range(count):
        culture = cultures[n % len(cultures)]
        female = rng.random() < 0.55
        given = rng.choice(culture.female if female else culture.male)[0]
        masculine, feminine = rng.choice(culture.family)
        created = writer.ts(now - rng.randrange(YEARS * 365 * DAY))
        home = rng.choices(business.location_ids, cum_weights=business.weights)[0]
        batch.append(
            (
                first + n,
                public_id(first + n, 1),
                given,
                feminine if female else masculine,
                culture.code,
                home,
                created,
                created,
            )
        )
        if len(batch) == ROW_BATCH:
            flush(writer, {table: batch})
            batch = []
    flush(writer, {table: batch})


@dataclass
class TicketRows:
    """One batch of tickets and what hangs off them, in the order they are written."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    returns: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    promises: list[tuple[Any, ...]] = field(default_factory=list)
    follow_ups: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Counters:
    ticket: int
    event: int
    ret: int
    item: int
    promise: int
    follow_up: int
    events_made: int = 0


def _day_time(rng: random.Random, day_start: int, offset: int) -> int:
    """A moment of opening hours (09:00-19:00 standard local time) of a UTC day."""
    return day_start + 9 * HOUR + int(rng.random() * 10 * HOUR) - offset


class TicketMaker:
    """Tickets with a realistic life: most resolved (a third on the spot) and closed a
    week later, the recent ones often still active, a few old ones forgotten (overdue),
    a few reopened; due times from the service levels; their timeline, returns,
    promises and follow-ups."""

    def __init__(self, writer: Writer, business: Business, sizes: Sizes, now: int, seed: int):
        self.w = writer
        self.b = business
        self.sizes = sizes
        self.now = now
        self.rng = random.Random(f"{seed}-tickets")
        self.kinds = _cum(KINDS)
        self.priorities = _cum(PRIORITIES)
        self.reasons = _cum(REASONS)
        self.days = YEARS * 365
        self.start = (now // DAY - self.days + 1) * DAY  # UTC midnight of the first day
        # Per ticket: chances of a promise and a follow-up giving about the sizes asked.
        self.p_promise = sizes.promises / sizes.tickets
        with_follow_up = sum(w for k, w in KINDS if k in FOLLOW_UP_DAYS) / sum(w for _k, w in KINDS)
        self.p_follow_up = min(1.0, sizes.follow_ups / (sizes.tickets * with_follow_up * 0.96))

    def tables(self) -> dict[str, str]:
        from regulars.service.models import (
            FollowUp,
            Promise,
            Return,
            ReturnItem,
            Ticket,
            TicketEvent,
        )

        w = self.w
        self.ids = Counters(
            ticket=w.next_id(Ticket),
            event=w.next_id(TicketEvent),
            ret=w.next_id(Return),
            item=w.next_id(ReturnItem),
            promise=w.next_id(Promise),
            follow_up=w.next_id(FollowUp),
        )
        return {
            "tickets": w.prepare(
                Ticket,
                (
                    "id public_id kind status priority customer_id location_id subject "
                    "assignee_id created_by_id created_at due_at escalated_at resolved_at "
                    "closed_at reopened first_contact version"
                ),
            ),
            "events": w.prepare(
                TicketEvent, "id ticket_id at actor_id kind from_status to_status assignee_id text"
            ),
            "returns": w.prepare(Return, "id ticket_id reason remedy amount currency created_at"),
            "items": w.prepare(ReturnItem, "id ret_id description quantity"),
            "promises": w.prepare(
                Promise,
                (
                    "id public_id customer_id ticket_id location_id text owner_id due_at "
                    "remind_at status closed_at closed_by_id created_by_id created_at"
                ),
            ),
            "follow_ups": w.prepare(
                FollowUp,
                (
                    "id ticket_id round customer_id location_id owner_id due_on outcome "
                    "done_at done_by_id created_at"
                ),
            ),
        }

    def run(self) -> Counters:
        names = self.tables()
        total = self.sizes.tickets
        rows = TicketRows()
        for n in range(total):
            self.ticket(n, rows)
            if (n + 1) % BATCH == 0 or n + 1 == total:
                flush(self.w, {names[key]: getattr(rows, key) for key in names})
                rows = TicketRows()
                if (n + 1) % (BATCH * 20) == 0:
                    progress(f"  {n + 1:,} tickets")
        return self.ids

    def ticket(self, n: int, out: TicketRows) -> None:
        rng, now, ts = self.rng, self.now, self.w.ts
        loc = rng.choices(self.b.location_ids, cum_weights=self.b.weights)[0]
        staff = self.b.staff[loc] or [None]
        day = self.start + (n * self.days // self.sizes.tickets) * DAY
        created = min(_day_time(rng, day, self.b.offsets[loc]), now - rng.randrange(60, 4 * HOUR))
        kind = _pick(rng, self.kinds)
        priority = _pick(rng, self.priorities)
        sla = SLA_HOURS[priority] * SLA_FACTOR[kind] * HOUR if kind in SLA_FACTOR else None
        due = created + int(sla) if sla else None
        age = now - created
        p_active = 0.7 if age < 2 * DAY else 0.4 if age < 30 * DAY else 0.015
        reopened = 1 if rng.random() < 0.03 else 0
        creator = rng.choice(staff)
        assignee: int | None = rng.choice(staff)
        status, resolved, closed, first_contact = "open", None, None, False
        if rng.random() >= p_active:
            first_contact = not reopened and rng.random() < 0.3
            if first_contact:
                took = rng.randrange(60, 1800)
            else:
                median = (sla or 72 * HOUR) * 0.5
                took = int(median * math.exp(rng.gauss(0, 1.0)))
            if created + took < now:
                resolved = created + took
                status = "resolved"
                if resolved < now - 7 * DAY and rng.random() < 0.85:
                    closed = min(resolved + 7 * DAY + rng.randrange(2 * DAY), now - 60)
                    status = "closed"
            else:
                first_contact = False
        if resolved is None:
            status = rng.choices(("open", "in_progress", "waiting"), cum_weights=(45, 80, 100))[0]
            if status == "open" and rng.random() < 0.4:
                assignee = None
        escalated = due + rng.randrange(HOUR) if due and rng.random() < 0.02 else None
        if escalated and (escalated >= now or (resolved and escalated >= resolved)):
            escalated = None
        customer = None if rng.random() < 0.01 else rng.randint(*self.b.customers)
        ticket_id = self.ids.ticket
        self.ids.ticket += 1
        events = self.events(ticket_id, n, created, status, resolved, closed, creator, assignee)
        out.events.extend(events)
        out.tickets.append(
            (
                ticket_id,
                public_id(ticket_id, 2),
                kind,
                status,
                priority,
                customer,
                loc,
                rng.choice(SUBJECTS[kind]),
                assignee,
                creator,
                ts(created),
                ts(due),
                ts(escalated),
                ts(resolved),
                ts(closed),
                reopened,
                first_contact,
                len(events),
            )
        )
        if kind in ("return", "exchange") and rng.random() < 0.25:
            self.ret(ticket_id, kind, loc, created, out)
        if rng.random() < self.p_promise:
            self.promise(ticket_id, customer, loc, created, staff, out)
        if resolved and customer and kind in FOLLOW_UP_DAYS and rng.random() < self.p_follow_up:
            owner = assignee or creator
            self.follow_up(ticket_id, kind, customer, loc, owner, resolved, reopened, out)

    def events(
        self,
        ticket_id: int,
        n: int,
        created: int,
        status: str,
        resolved: int | None,
        closed: int | None,
        creator: int | None,
        assignee: int | None,
    ) -> list[tuple[Any, ...]]:
        """The timeline: opened (with whom it went to), the status moves to where the
        ticket is now, and notes, replies and hand-overs in between, as many as keep
        the total near the events asked for."""
        rng, ts = self.rng, self.w.ts
        end = resolved or self.now
        actor = assignee or creator
        made: list[tuple[Any, ...]] = [
            (created, creator, "created", "", "open", assignee, ""),
        ]
        if resolved is None:
            if status != "open":
                made.append(
                    (created + (end - created) // 3, actor, "status", "open", status, None, "")
                )
        else:
            made.append((resolved, actor, "status", "open", "resolved", None, ""))
            if closed:
                made.append((closed, actor, "status", "resolved", "closed", None, ""))
        wanted = (n + 1) * self.sizes.events // self.sizes.tickets - self.ids.events_made
        extra = max(0, min(5, wanted - len(made) + rng.choice((-1, 0, 0, 1))))
        for _ in range(extra):
            at = created + int((end - created) * rng.random())
            roll = rng.random()
            if roll < 0.5:
                made.append((at, actor, "note", "", "", None, rng.choice(NOTES)))
            elif roll < 0.85:
                made.append((at, actor, "reply", "", "", None, "We will call you back"))
            else:
                made.append((at, actor, "assigned", "", "", actor, ""))
        made.sort(key=lambda event: event[0])
        rows = []
        for at, who, kind, before, after, to, text in made:
            rows.append((self.ids.event, ticket_id, ts(at), who, kind, before, after, to, text))
            self.ids.event += 1
        self.ids.events_made += len(rows)
        return rows

    def ret(self, ticket_id: int, kind: str, loc: int, created: int, out: TicketRows) -> None:
        rng = self.rng
        if kind == "exchange":
            remedy, amount, currency = "exchange", None, ""
        else:
            remedy = "refund" if rng.random() < 0.7 else "credit"
            amount, currency = f"{rng.randrange(500, 30000) / 100:.2f}", self.b.currency[loc]
        reason = _pick(rng, self.reasons)
        out.returns.append(
            (self.ids.ret, ticket_id, reason, remedy, amount, currency, self.w.ts(created))
        )
        for _ in range(1 if rng.random() < 0.8 else 2):
            out.items.append((self.ids.item, self.ids.ret, "Item brought back", "1"))
            self.ids.item += 1
        self.ids.ret += 1

    def promise(
        self,
        ticket_id: int | None,
        customer: int | None,
        loc: int,
        created: int,
        staff: list[int | None],
        out: TicketRows,
    ) -> None:
        rng, now, ts = self.rng, self.now, self.w.ts
        owner = rng.choice(staff)
        made = created + rng.randrange(HOUR)
        due = made + rng.randrange(DAY, 10 * DAY)
        roll = rng.random()
        if due < now - DAY:
            status = "kept" if roll < 0.82 else "broken" if roll < 0.95 else "open"
        elif due < now:
            status = "open" if roll < 0.6 else "kept" if roll < 0.95 else "broken"
        else:
            status = "open" if roll < 0.9 else "kept"
        closed = None
        if status != "open":
            closed = min(due + rng.randrange(-DAY, DAY if status == "kept" else 3 * DAY), now - 60)
            closed = max(closed, made + 60)
        out.promises.append(
            (
                self.ids.promise,
                public_id(self.ids.promise, 3),
                customer,
                ticket_id,
                loc,
                "Call back when the part arrives",
                owner,
                ts(due),
                ts(due - 2 * HOUR),
                status,
                ts(closed),
                owner if closed else None,
                owner,
                ts(made),
            )
        )
        self.ids.promise += 1

    def follow_up(
        self,
        ticket_id: int,
        kind: str,
        customer: int,
        loc: int,
        owner: int | None,
        resolved: int,
        round_: int,
        out: TicketRows,
    ) -> None:
        rng, now = self.rng, self.now
        offset = self.b.offsets[loc]
        local_day = (resolved + offset) // DAY  # days since 1970 on the local calendar
        due_day = local_day + FOLLOW_UP_DAYS[kind]
        due_on = date(1970, 1, 1) + timedelta(days=due_day)
        done, outcome = None, ""
        if due_day * DAY - offset < now and rng.random() < 0.8:
            late = rng.random() < 0.2
            day = due_day + (rng.randrange(1, 6) if late else -rng.randrange(0, 3))
            done = max(_day_time(rng, day * DAY, offset), resolved + 60)
            if done < now:
                outcome = rng.choices(("all_right", "unhappy", "unreachable"), (80, 10, 10))[0]
            else:
                done = None
        out.follow_ups.append(
            (
                self.ids.follow_up,
                ticket_id,
                round_,
                customer,
                loc,
                owner,
                due_on.isoformat(),
                outcome,
                self.w.ts(done),
                owner if done else None,
                self.w.ts(resolved),
            )
        )
        self.ids.follow_up += 1


def visits(writer: Writer, business: Business, count: int, now: int, seed: int) -> None:
    """Visits over the years, each with a queue wait for 80 % (lognormal, median 3
    minutes; a few served at once)."""
    from regulars.service.models import Visit

    table = writer.prepare(
        Visit, "id public_id customer_id location_id staff_id at channel wait_seconds created_at"
    )
    rng = random.Random(f"{seed}-visits")
    days = YEARS * 365
    start = (now // DAY - days + 1) * DAY
    first = writer.next_id(Visit)
    low, high = business.customers
    batch: list[tuple[Any, ...]] = []
    for n in range(count):
        loc = rng.choices(business.location_ids, cum_weights=business.weights)[0]
        day = start + (n * days // count) * DAY
        at = min(_day_time(rng, day, business.offsets[loc]), now - rng.randrange(60, HOUR))
        stamp = writer.ts(at)
        wait = None
        if rng.random() < 0.8:
            wait = 0 if rng.random() < 0.05 else int(180 * math.exp(rng.gauss(0, 0.9)))
        batch.append(
            (
                first + n,
                public_id(first + n, 4),
                None if rng.random() < 0.1 else rng.randint(low, high),
                loc,
                rng.choice(business.staff[loc] or [None]),
                stamp,
                "in_person",
                wait,
                stamp,
            )
        )
        if len(batch) == ROW_BATCH:
            flush(writer, {table: batch})
            batch = []
            if (n + 1) % (ROW_BATCH * 10) == 0:
                progress(f"  {n + 1:,} visits")
    flush(writer, {table: batch})
