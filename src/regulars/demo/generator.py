"""The deterministic multilingual demo business behind ``regulars demo``.

Two cafés (Bologna and Copenhagen), six staff, about two thousand customers in five
languages and two years of visits ending now. The same seed (and the same ``now``)
gives the same business. Everything is planned in memory from one seeded
``random.Random`` and written with bulk inserts in one transaction, so an empty
database becomes a lively one in seconds.
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from regulars.accounts.models import Location, Membership, Profile
from regulars.accounts.services import create_location
from regulars.core import audit
from regulars.core.localtime import local_today
from regulars.core.models import AuditAction
from regulars.core.permissions import highest
from regulars.customers.models import (
    Consent,
    Customer,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    Preference,
    Tag,
)
from regulars.demo.catalogue import LOCATIONS, STAFF, TAGS
from regulars.demo.feedback import FeedbackSummary, write_feedback
from regulars.demo.loyalty import LoyaltySummary, write_loyalty
from regulars.demo.outreach import OutreachSummary, plan_today, write_outreach_history
from regulars.demo.people import CustomerPlan, Fact, PeoplePlanner, Rhythm, public_id
from regulars.demo.service_desk import ServiceDeskSummary, write_service_desk
from regulars.demo.visits import VisitPlanner, VisitRow
from regulars.service.models import Visit
from regulars.service.services import refresh_visit_stats

DEMO_PASSWORD = "regulars-demo"  # noqa: S105 - printed on screen: it is a demo
DEFAULT_SEED = 7
DEFAULT_CUSTOMERS = 2000
HISTORY_DAYS = 730
BATCH = 5000

# Customer fields the customer tells us; the rest staff note down themselves.
_OFFERED_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "patronymic",
        "preferred_name",
        "language",
        "email",
        "postal_address",
        "birth_month",
        "birth_day",
        "birth_year",
        "nameday_month",
        "nameday_day",
    }
)
ALL_LOCATIONS = "all locations"


@dataclass
class DemoSummary:
    """What ``ensure_demo_business`` did, for the command line and the tests."""

    created: bool
    logins: list[tuple[str, str, str]]  # (username, role, location name)
    locations: int = 0
    staff: int = 0
    customers: int = 0
    organisations: int = 0
    visits: int = 0
    visits_today: int = 0
    seconds: float = 0.0
    desk: ServiceDeskSummary = field(default_factory=ServiceDeskSummary)
    desk_seconds: float = 0.0  # of ``seconds``, the service desk's share
    feedback: FeedbackSummary = field(default_factory=FeedbackSummary)
    feedback_seconds: float = 0.0  # of ``seconds``, the survey feedback's share
    loyalty: LoyaltySummary = field(default_factory=LoyaltySummary)
    outreach: OutreachSummary = field(default_factory=OutreachSummary)
    # The rhythm each customer was planned with, by public id (empty when not created).
    rhythms: dict[str, Rhythm] = field(default_factory=dict)

    def describe(self) -> str:
        if not self.created:
            if self.logins:
                return "The demo business is already there: nothing created."
            return "The database already holds data: no demo business created."
        return (
            f"Demo business created in {self.seconds:.1f} s: {self.locations} locations, "
            f"{self.staff} staff, {self.customers:,} customers "
            f"({self.organisations} organisations), {self.visits:,} visits over two years, "
            f"{self.visits_today} of them today.\n{self._describe_desk()}\n"
            f"{self.feedback.describe()}\n{self.loyalty.describe()}\n"
            f"{self.outreach.describe()}"
        )

    def _describe_desk(self) -> str:
        desk = self.desk
        text = (
            f"Service desk: {desk.tickets:,} tickets ({desk.active} active now, "
            f"{desk.overdue} overdue), {desk.returns} returns, {desk.promises} promises "
            f"({desk.promises_open} open), {desk.follow_ups} follow-ups "
            f"({desk.follow_ups_today} due today), {desk.waits:,} queue waits."
        )
        if desk.showcase:
            text += (
                f"\nAt the {desk.showcase_location} counter, look up {desk.showcase}: "
                "an open order, a promise and a follow-up due today."
            )
        return text


def ensure_demo_business(
    *, seed: int = DEFAULT_SEED, customers: int = DEFAULT_CUSTOMERS, now: datetime | None = None
) -> DemoSummary:
    """Create the demo business unless the database already has locations or customers.

    Idempotent: on a database with data it creates nothing and returns the demo logins
    that exist (none when the data is not the demo's).
    """
    with transaction.atomic():
        if Location.objects.exists() or Customer.objects.exists():
            return DemoSummary(created=False, logins=demo_logins())
        return generate(seed, customers=customers, now=now)


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, location) of the demo staff present in the database."""
    order = [spec.username for group in STAFF.values() for spec in group]
    held: dict[str, list[Membership]] = {}
    memberships = Membership.objects.filter(user__username__in=order).select_related(
        "user", "location"
    )
    for membership in memberships.order_by("location__name"):
        held.setdefault(membership.user.username, []).append(membership)
    every = Location.objects.count()
    logins = []
    for username in order:
        mine = held.get(username)
        if not mine:
            continue
        role = highest([m.role for m in mine]) or ""
        where = (
            ALL_LOCATIONS if len(mine) == every > 1 else ", ".join(m.location.name for m in mine)
        )
        logins.append((username, role, where))
    return logins


@transaction.atomic
def generate(
    seed: int = DEFAULT_SEED, *, customers: int = DEFAULT_CUSTOMERS, now: datetime | None = None
) -> DemoSummary:
    """Write the demo business into the (empty) database; see ``ensure_demo_business``.

    ``customers`` counts people and organisations; two years of visits end at ``now``.
    """
    if customers < 10:
        raise ValueError("the demo needs at least 10 customers")
    started = clock.monotonic()
    moment = now or timezone.now()
    rng = random.Random(seed)
    # Both cafés keep Central European time, so one "today" serves both.
    today = local_today(LOCATIONS[0].timezone, moment)
    window_start = today - timedelta(days=HISTORY_DAYS)

    locations = [
        create_location(
            name=spec.name,
            timezone_name=spec.timezone,
            currency=spec.currency,
            country=spec.country,
            language=spec.language,
            address=spec.address,
            opening_hours=spec.hours,
        )
        for spec in LOCATIONS
    ]
    users = _create_staff(locations)

    plans = _plan_customers(rng, customers, window_start=window_start, today=today)
    planner = VisitPlanner(rng, window_start=window_start, today=today, now=moment)
    rows: list[VisitRow] = []
    for plan in plans:
        rows.extend(planner.customer_visits(plan))
    walk_ins_per_day = customers / 60
    for place in planner.places:
        rows.extend(planner.walk_ins(place, walk_ins_per_day))
    today_counts = _count_today(rows, today)
    for place in planner.places:
        if not today_counts[place.index]:
            extra = planner.web_orders_today(place, plans)
            rows.extend(extra)
            today_counts[place.index] += len(extra)

    pks = _write_customers(rng, plans, locations, users, moment)
    _write_visits(rng, rows, pks, locations, users)
    refresh_visit_stats(pks.values())
    desk_started = clock.monotonic()
    desk = write_service_desk(
        rng, rows=rows, customer_pks=pks, plans=plans, locations=locations, users=users, now=moment
    )
    desk_seconds = clock.monotonic() - desk_started
    feedback_started = clock.monotonic()
    feedback = write_feedback(
        rng, rows=rows, customer_pks=pks, plans=plans, locations=locations, users=users, now=moment
    )
    # The recoveries' complaint tickets are in the service desk's queue too.
    desk.tickets += feedback.tickets
    desk.active += feedback.tickets_active
    desk.overdue += feedback.tickets_overdue
    desk.follow_ups += feedback.follow_ups
    desk.follow_ups_today += feedback.follow_ups_today
    feedback_seconds = clock.monotonic() - feedback_started
    outreach, _plays = write_outreach_history(rng, today=today, now=moment, staff=users["owner"])
    loyalty = write_loyalty(moment)
    plan_today(outreach, today=today, now=moment)
    audit.record(
        actor=users["owner"],
        action=AuditAction.CREATE,
        subject="demo",
        detail=f"demo business created (seed {seed}, {customers} customers)",
    )
    return DemoSummary(
        created=True,
        logins=demo_logins(),
        locations=len(locations),
        staff=len(users),
        customers=len(plans),
        organisations=sum(1 for p in plans if p.rhythm == Rhythm.ORGANISATION),
        visits=len(rows),
        visits_today=sum(today_counts.values()),
        seconds=clock.monotonic() - started,
        desk=desk,
        desk_seconds=desk_seconds,
        feedback=feedback,
        feedback_seconds=feedback_seconds,
        loyalty=loyalty,
        outreach=outreach,
        rhythms={p.public_id: p.rhythm for p in plans},
    )


# -- staff --------------------------------------------------------------------------------


def _create_staff(locations: list[Location]) -> dict[str, Any]:
    """The six demo users, their memberships and interface languages.

    One password hash serves them all: hashing is slow by design, and the password is
    printed on the screen anyway.
    """
    User = get_user_model()
    by_name = {loc.name: loc for loc in locations}
    hashed = make_password(DEMO_PASSWORD)
    users: dict[str, Any] = {}
    memberships = []
    profiles = []
    for where, group in STAFF.items():
        places = locations if where == "all" else [by_name[where]]
        for spec in group:
            user = User(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@example.com",
                password=hashed,
            )
            user.save()
            users[spec.username] = user
            memberships += [Membership(user=user, location=p, role=spec.role) for p in places]
            profiles.append(Profile(user=user, language=spec.language))
    Membership.objects.bulk_create(memberships)
    Profile.objects.bulk_create(profiles)
    return users


# -- customers ----------------------------------------------------------------------------


def _plan_customers(
    rng: random.Random, count: int, *, window_start: date, today: date
) -> list[CustomerPlan]:
    writers = []
    for spec in LOCATIONS:
        writers.append([s.username for s in STAFF[spec.name]] + ["owner"])
    planner = PeoplePlanner(rng, window_start=window_start, today=today, staff=writers)
    organisations = min(6, max(2, count // 330))
    cultures = ("it", "da", "ru", "es", "en")
    people = [
        planner.person(i, culture_code=cultures[i] if i < len(cultures) else None)
        for i in range(count - organisations)
    ]
    orgs = [
        planner.organisation(len(people) + k, k % len(LOCATIONS), k // len(LOCATIONS), people)
        for k in range(organisations)
    ]
    return people + orgs


def _at(day: date, tz: str, rng: random.Random, ceiling: datetime) -> datetime:
    """An instant during the working day of ``day`` at a location, never after ``ceiling``."""
    local = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), ZoneInfo(tz))
    return min(local.astimezone(UTC), ceiling)


def _write_customers(
    rng: random.Random,
    plans: list[CustomerPlan],
    locations: list[Location],
    users: dict[str, Any],
    now: datetime,
) -> dict[int, int]:
    """Insert customers and every fact about them; returns plan index → primary key."""
    rows = []
    created: dict[int, datetime] = {}
    for plan in plans:
        at = _at(plan.met, LOCATIONS[plan.home].timezone, rng, now)
        created[plan.index] = at
        stamp = {"by": users[plan.entered_by].pk, "at": at.isoformat(timespec="seconds")}
        provenance = {
            name: {"source": "offered" if name in _OFFERED_FIELDS else "staff", **stamp}
            for name, value in plan.fields.items()
            if value not in ("", None)
        }
        rows.append(
            Customer(
                public_id=plan.public_id,
                home_location=locations[plan.home],
                provenance=provenance,
                created_at=at,
                updated_at=at,
                **plan.fields,
            )
        )
    Customer.objects.bulk_create(rows, batch_size=1000)
    pks = {plan.index: row.pk for plan, row in zip(plans, rows, strict=True)}

    def facts(model: Any, owner_field: str, items: list[tuple[CustomerPlan, Fact]]) -> None:
        model.objects.bulk_create(
            [
                model(
                    **{owner_field: pks[plan.index]},
                    source=f.source,
                    entered_by=users[f.by],
                    entered_at=min(created[plan.index] + timedelta(days=f.days_after_met), now),
                    **f.values,
                )
                for plan, f in items
            ],
            batch_size=BATCH,
        )

    facts(Preference, "customer_id", [(p, f) for p in plans for f in p.preferences])
    facts(HouseholdMember, "customer_id", [(p, f) for p in plans for f in p.household])
    facts(Pet, "customer_id", [(p, f) for p in plans for f in p.pets])
    Phone.objects.bulk_create(
        [
            Phone(
                customer_id=pks[p.index],
                number=number,
                label=label,
                source="offered",
                entered_by=users[p.entered_by],
                entered_at=created[p.index],
            )
            for p in plans
            for number, label in p.phones
        ],
        batch_size=BATCH,
    )
    Consent.objects.bulk_create(
        [
            Consent(
                customer_id=pks[p.index],
                channel=c.channel,
                granted=c.granted,
                at=min(created[p.index] + timedelta(days=c.days_after_met), now),
                method=c.method,
                source="offered",
                recorded_by=users[c.by],
            )
            for p in plans
            for c in p.consents
        ],
        batch_size=BATCH,
    )
    OrganisationContact.objects.bulk_create(
        [
            OrganisationContact(
                organisation_id=pks[p.index],
                person_id=pks[person],
                role=role,
                source="staff",
                entered_by=users[p.entered_by],
                entered_at=created[p.index],
            )
            for p in plans
            for person, role in p.contacts
        ]
    )
    tags = {name: Tag(name=name) for name in TAGS}
    Tag.objects.bulk_create(tags.values())
    Through = Customer.tags.through
    Through.objects.bulk_create(
        [
            Through(customer_id=pks[p.index], tag_id=tags[name].pk)
            for p in plans
            for name in dict.fromkeys(p.tags)
        ],
        batch_size=BATCH,
    )
    return pks


# -- visits -------------------------------------------------------------------------------


def _count_today(rows: list[VisitRow], today: date) -> Counter[int]:
    counts: Counter[int] = Counter({i: 0 for i in range(len(LOCATIONS))})
    zones = [ZoneInfo(spec.timezone) for spec in LOCATIONS]
    for row in rows:
        if row.at.astimezone(zones[row.location]).date() == today:
            counts[row.location] += 1
    return counts


def _write_visits(
    rng: random.Random,
    rows: list[VisitRow],
    pks: dict[int, int],
    locations: list[Location],
    users: dict[str, Any],
) -> None:
    """Insert the visits with one prepared statement: ``bulk_create`` would cut a
    hundred thousand rows into thousands of small INSERTs on SQLite."""
    ops = connection.ops
    staff_pk = {name: user.pk for name, user in users.items()}
    location_pk = [loc.pk for loc in locations]
    currency = [loc.currency for loc in locations]
    ids: set[str] = set()
    values = []
    for row in sorted(rows, key=lambda r: r.at):
        visit_id = public_id(rng)
        while visit_id in ids:
            visit_id = public_id(rng)
        ids.add(visit_id)
        at = ops.adapt_datetimefield_value(row.at)
        values.append(
            (
                visit_id,
                None if row.customer is None else pks[row.customer],
                None if row.contact is None else pks[row.contact],
                location_pk[row.location],
                staff_pk[row.staff],
                at,
                row.channel,
                None if row.amount is None else ops.adapt_decimalfield_value(row.amount, 12, 2),
                currency[row.location] if row.amount is not None else "",
                row.had,
                row.wait_seconds,
                row.note,
                at,
            )
        )
    columns = (
        "public_id",
        "customer_id",
        "contact_person_id",
        "location_id",
        "staff_id",
        "at",
        "channel",
        "amount",
        "currency",
        "had",
        "wait_seconds",
        "note",
        "created_at",
    )
    meta = Visit._meta
    column_of = {f.attname: f.column for f in meta.concrete_fields if f.column}
    names = ", ".join(ops.quote_name(column_of[c]) for c in columns)
    sql = (
        f"INSERT INTO {ops.quote_name(meta.db_table)} ({names}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor, _big_sqlite_cache(cursor):
        for first in range(0, len(values), BATCH * 4):
            cursor.executemany(sql, values[first : first + BATCH * 4])


@contextmanager
def _big_sqlite_cache(cursor: Any) -> Iterator[None]:
    """On SQLite, a page cache big enough to keep the visit indexes in memory while
    they fill (the default 2 MB thrashes on the customer index); restored after."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    (previous,) = cursor.fetchone()
    cursor.execute("PRAGMA cache_size = -131072")  # KiB: 128 MiB
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")
