"""How tickets go: from a visit to a ticket, through its work, to the follow-up and
closing; returns as ``returns.record_return`` records them; promises; and the
present-day situation planned on purpose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from regulars.core.money import quantize
from regulars.demo.catalogue import Text, say
from regulars.demo.people import Rhythm
from regulars.demo.service_desk.phrases import (
    ACKNOWLEDGE,
    APPROVAL,
    ASK,
    BACK_AGAIN,
    BROKEN,
    CALL_BACK,
    DONE,
    HANDOVER,
    NOTES,
    OUTCOMES,
    REASONS,
    REMEDIES,
    RETURN_SAID,
    SCENARIOS,
    SET_ASIDE,
    Scenario,
)
from regulars.demo.service_desk.play import (
    CRON_DELAY,
    SERVICE_LEVELS,
    Customer,
    Desk,
    Line,
    Play,
    Stop,
    Visits,
    Where,
)
from regulars.demo.visits import VisitRow
from regulars.service.flow import (
    Priority,
    PromiseStatus,
    Remedy,
    ReturnReason,
    TicketKind,
    TicketStatus,
)
from regulars.service.followups import DEFAULT_DAYS
from regulars.service.models import Promise, Return
from regulars.service.promises import remind_time

K, S, P = TicketKind, TicketStatus, Priority
VISITS_PER_TICKET = 110  # about one customer visit in so many gives rise to a ticket
BUSIEST_COMPLAINTS = 1.6  # complaints are this much likelier where it is busiest
LATE = 0.15  # share of the tickets not resolved on the spot that miss their due time


@dataclass(frozen=True)
class KindHabits:
    """How tickets of a kind usually go (shares between 0 and 1)."""

    weight: float  # how often, among the tickets of a visit
    priorities: tuple[tuple[str, float], ...]
    first_contact: float  # resolved on the spot
    waits: float  # waits on the customer for a while
    handover: float  # handed over to the manager
    raised: float  # priority raised along the way
    promise: float  # something is promised along the way


HABITS: dict[str, KindHabits] = {
    K.QUESTION: KindHabits(24, ((P.LOW, 35), (P.NORMAL, 60), (P.HIGH, 5)), 0.55, 0.15, 0.04, 0, 0),
    K.REQUEST: KindHabits(16, ((P.LOW, 15), (P.NORMAL, 75), (P.HIGH, 10)), 0.15, 0.3, 0.06, 0, 0.6),
    K.COMPLAINT: KindHabits(
        24, ((P.LOW, 3), (P.NORMAL, 70), (P.HIGH, 22), (P.URGENT, 5)), 0.3, 0.2, 0.25, 0.1, 0.12
    ),
    K.RETURN: KindHabits(24, ((P.NORMAL, 1),), 0.85, 0, 0, 0, 0),  # returns and exchanges
    K.REPAIR: KindHabits(
        8, ((P.LOW, 10), (P.NORMAL, 60), (P.HIGH, 25), (P.URGENT, 5)), 0.05, 0.2, 0.06, 0.1, 0.5
    ),
}
_HIGHER: dict[str, str] = {P.LOW: P.NORMAL, P.NORMAL: P.HIGH, P.HIGH: P.URGENT}


@dataclass
class Plan:
    """How one ticket will go, decided before it is played."""

    first_contact: bool = False
    late: bool = False  # resolved after its due time
    waits: bool = False
    handover: bool = False
    raise_to: str | None = None
    promise: bool = False
    assignee: str | None = ""  # "": whoever opens it takes it; None: nobody yet
    hold: str | None = None  # stays in this status (present-day tickets)
    quick: bool = False  # steps minutes apart (present-day tickets)


def _plan(rng: random.Random, kind: str, priority: str) -> Plan:
    habits = HABITS[kind]
    return Plan(
        first_contact=rng.random() < habits.first_contact,
        late=rng.random() < LATE,
        waits=rng.random() < habits.waits,
        handover=rng.random() < habits.handover,
        raise_to=_HIGHER.get(priority) if rng.random() < habits.raised else None,
        promise=rng.random() < habits.promise,
        assignee="" if rng.random() < 0.7 else None,
    )


def _answer(scenario: Scenario) -> Text:
    return scenario.answer or DONE[scenario.kind]


def ticket_story(
    desk: Desk,
    where: Where,
    *,
    customer: Customer,
    visit_id: int | None,
    opener: str,
    created: datetime,
    scenario: Scenario,
    priority: str,
    plan: Plan,
) -> Play:
    """A ticket opened by ``opener`` at ``created`` about one of the customer's visits,
    played up to now."""
    p = Play(
        desk,
        where,
        kind=scenario.kind,
        priority=priority,
        customer=customer,
        visit_id=visit_id,
        subject=say(scenario.subject, where.writes(opener)),
        takeover=not plan.quick,
    )
    desk.plays.append(p)
    try:
        _work(p, opener, created, scenario, plan)
        _aftercare(p)
    except Stop:
        pass
    p.finish()
    return p


def _work(p: Play, opener: str, created: datetime, scenario: Scenario, plan: Plan) -> None:
    desk, where, rng = p.desk, p.where, p.desk.rng
    kind, language = scenario.kind, p.customer.language
    assignee = opener if plan.assignee == "" else plan.assignee
    p.open(created, opener, assignee=assignee, said=say(scenario.said, language))
    if plan.hold == S.OPEN:
        raise Stop
    if plan.first_contact:
        at = where.after(created, rng.randint(2, 15))
        p.tell(at, opener, say(_answer(scenario), language))
        p.move(at, opener, S.RESOLVED)
        return
    level = SERVICE_LEVELS[kind][p.priority] * 60
    if plan.quick:
        span = rng.uniform(20, 40)
    else:
        span = level * (rng.uniform(1.05, 2.0) if plan.late else rng.uniform(0.1, 0.95))
    marks = sorted(rng.uniform(0.02, 0.95) for _ in range(5))

    def step(i: int) -> datetime:
        return where.after(created, span * marks[i])

    if p.assignee is None:
        taker = rng.choice(where.crew)
        p.hand(step(0), where.manager if rng.random() < 0.4 else taker, taker)
    at = p.reach(step(1))
    p.move(at, p.worker, S.IN_PROGRESS)
    p.tell(at, p.worker, say(ACKNOWLEDGE.get(kind, ACKNOWLEDGE[""]), language))
    if plan.raise_to:
        p.set_priority(p.reach(step(2)), p.worker, plan.raise_to)
    if plan.promise:
        text = say(scenario.promise or CALL_BACK, where.writes(p.worker))
        promise(desk, where, p.customer, p, owner=p.worker, made=p.clock, text=text)
    if plan.waits:
        at = p.reach(step(2))
        p.tell(at, p.worker, say(ASK.get(kind, ASK[""]), language))
        p.move(at, p.worker, S.WAITING)
        if plan.hold == S.WAITING:
            raise Stop
        p.move(p.reach(step(3)), p.worker, S.IN_PROGRESS)
    if rng.random() < 0.5:
        at = p.reach(step(3))
        p.tell(
            at, p.worker, say(rng.choice(NOTES[kind]), where.writes(p.worker)), to_customer=False
        )
    at = p.reach(step(4))
    if plan.handover and p.worker != where.manager:
        p.hand(at, p.worker, where.manager, say(HANDOVER, where.writes(p.worker)))
    if plan.hold == S.IN_PROGRESS:
        raise Stop
    at = p.reach(where.after(created, span))
    p.tell(at, p.worker, say(_answer(scenario), language))
    p.move(at, p.worker, S.RESOLVED)


def _aftercare(p: Play) -> None:
    """After resolving: the follow-up (and, when still not happy, another round), a
    reopening now and then, and closing."""
    where, rng = p.where, p.desk.rng
    while p.follow_ups and p.follow_ups[-1].done_at is None:
        follow_up = p.follow_ups[-1]
        if follow_up.due_on >= where.today:
            raise Stop
        if (where.today - follow_up.due_on).days <= 14 and rng.random() < 0.06:
            raise Stop  # not asked yet: the figures count it as not done
        late = rng.random() < 0.12
        day = follow_up.due_on + timedelta(days=rng.randint(1, 3) if late else 0)
        outcomes = OUTCOMES if follow_up.round == 0 else OUTCOMES[:2]
        outcome, _share, note = rng.choices(outcomes, [share for _o, share, _n in outcomes])[0]
        owner = p.follow_up_owner[follow_up.round]
        p.follow_up(where.during(rng, day), outcome, say(note, where.writes(owner)))
        if p.status == S.OPEN:  # still not happy: reopened, and handled again
            level = SERVICE_LEVELS[p.kind][p.priority] * 60
            p.move(where.after(p.clock, rng.randint(5, 60)), owner, S.IN_PROGRESS)
            at = p.reach(where.after(p.clock, level * rng.uniform(0.2, 0.9)))
            p.tell(at, p.worker, say(DONE.get(p.kind, DONE[K.COMPLAINT]), p.customer.language))
            p.move(at, p.worker, S.RESOLVED)
    if not p.follow_ups and rng.random() < 0.05:  # the customer comes back about it
        at = p.reach(where.after(p.clock, rng.randint(60, 1500)))
        p.move(at, p.worker, S.OPEN, say(BACK_AGAIN, where.writes(p.worker)))
        p.move(p.reach(where.after(at, rng.randint(10, 120))), p.worker, S.IN_PROGRESS)
        p.move(p.reach(where.after(p.clock, rng.randint(30, 600))), p.worker, S.RESOLVED)
    if rng.random() < 0.65:
        p.move(where.after(p.clock, rng.randint(30, 2400)), p.worker, S.CLOSED)


def _return_labels(desk: Desk, username: str, reason: str, remedy: str) -> str:
    return desk.label(
        username,
        lambda: " · ".join(str(x) for x in (ReturnReason(reason).label, Remedy(remedy).label)),
    )


def return_story(
    desk: Desk,
    where: Where,
    *,
    customer: Customer,
    visit_id: int,
    lines: list[Line],
    opener: str,
    created: datetime,
    first_contact: bool,
) -> Play | None:
    """A return or exchange as ``returns.record_return`` records it: opened and resolved
    on the spot, or (above the limit of whoever serves) approved by the manager later.
    None when everything of the visit has come back already."""
    rng = desk.rng
    left = [line for line in lines if not line.returned]
    if not left:
        return None
    reason = rng.choices([r for r, _w in REASONS], [w for _r, w in REASONS])[0]
    remedy = rng.choice(REMEDIES[reason])
    kind = K.EXCHANGE if remedy == Remedy.EXCHANGE else K.RETURN
    items = rng.sample(left, k=2 if len(left) > 1 and rng.random() < 0.15 else 1)
    currency = where.location.currency
    amount = None
    if remedy != Remedy.EXCHANGE:
        paid = sum((line.row.amount or Decimal(0) for line in items), Decimal(0))
        amount = quantize(paid, currency)
    p = Play(
        desk,
        where,
        kind=kind,
        priority=P.NORMAL,
        customer=customer,
        visit_id=visit_id,
        subject=", ".join(line.row.description for line in items),
    )
    desk.plays.append(p)
    for line in items:
        line.returned = True
    details = Return(
        reason=reason,
        remedy=remedy,
        amount=amount,
        currency=currency if amount is not None else "",
        created_at=created,
    )
    desk.returns.append((p, details, [(line, line.row.quantity) for line in items]))
    try:
        said = say(rng.choice(RETURN_SAID[reason]), customer.language)
        p.open(created, opener, assignee=opener, said=said)
        if first_contact:
            p.move(created, opener, S.RESOLVED, _return_labels(desk, opener, reason, remedy))
        else:
            if opener != where.manager:
                note = say(APPROVAL, where.writes(opener))
                p.tell(where.after(created, rng.randint(2, 8)), opener, note, to_customer=False)
                p.hand(p.clock, opener, where.manager)
            p.move(p.reach(where.after(p.clock, rng.randint(10, 90))), p.worker, S.IN_PROGRESS)
            share = rng.uniform(1.05, 2.0) if rng.random() < LATE else rng.uniform(0.2, 0.95)
            at = p.reach(where.after(created, SERVICE_LEVELS[kind][P.NORMAL] * 60 * share))
            p.move(at, p.worker, S.RESOLVED, _return_labels(desk, p.worker, reason, remedy))
        _aftercare(p)
    except Stop:
        pass
    p.finish()
    return p


def promise(
    desk: Desk,
    where: Where,
    customer: Customer,
    play: Play | None,
    *,
    owner: str,
    made: datetime,
    text: str,
    days: int | None = None,
) -> Promise:
    """A promise made at ``made``, due on a round time some (or ``days``) days later;
    kept or broken by now when its time has come (a few forgotten ones still open)."""
    rng, now = desk.rng, desk.now
    day = where.day_of(made) + timedelta(days=rng.randint(1, 4) if days is None else days)
    due = where.appointment(rng, day)
    status, closed_at, note = PromiseStatus.OPEN, None, ""
    if due <= now:
        roll = rng.random()
        if roll < 0.86:
            status = PromiseStatus.KEPT
            early = due - timedelta(minutes=rng.randint(0, 240))
            closed_at = max(made + timedelta(minutes=10), early)
        elif roll < 0.96 or (now - due).days > 10:
            status, note = PromiseStatus.BROKEN, say(BROKEN, where.writes(owner))
            closed_at = due + timedelta(minutes=rng.randint(60, 2880))
        if closed_at is not None and closed_at > now:
            status, closed_at, note = PromiseStatus.OPEN, None, ""
    remind_at = remind_time(made, due)
    nudged = remind_at + timedelta(seconds=rng.randint(*CRON_DELAY))
    reminded = nudged <= now and (closed_at is None or closed_at > nudged)
    made_promise = Promise(
        public_id=desk.new_id(),
        customer_id=customer.pk,
        location_id=where.location.pk,
        text=text[:200],
        owner_id=desk.pk(owner),
        due_at=due,
        remind_at=remind_at,
        reminded_at=nudged if reminded else None,
        status=status,
        closed_at=closed_at,
        closed_by_id=desk.pk(owner) if closed_at else None,
        note=note,
        created_by_id=desk.pk(owner),
        created_at=made,
        version=2 if closed_at else 1,
    )
    desk.promises.append((play, made_promise))
    return made_promise


# -- the two years ------------------------------------------------------------------------


def _scenarios(kind: str, customer: Customer) -> list[Scenario]:
    fits = ("organisation", "any") if customer.organisation else ("person", "any")
    return [s for s in SCENARIOS if s.kind == kind and s.who in fits]


def _kind_for(rng: random.Random, where: Where, customer: Customer, row: VisitRow) -> str:
    if customer.organisation:
        kinds: list[str] = [K.COMPLAINT, K.REQUEST, K.REPAIR]
    elif row.channel != "in_person":
        kinds = [K.QUESTION, K.REQUEST]
    else:
        kinds = list(HABITS)
    weights = [
        HABITS[k].weight * (BUSIEST_COMPLAINTS if k == K.COMPLAINT and where.busiest else 1)
        for k in kinds
    ]
    return rng.choices(kinds, weights)[0]


def history(
    desk: Desk, wheres: list[Where], visits: Visits, customers: dict[int, Customer]
) -> None:
    """Tickets arising from the known customers' visits of the two years (about one
    in ``VISITS_PER_TICKET``, picked at random gaps), each played up to now."""
    rng, now = desk.rng, desk.now
    position = int(rng.expovariate(1 / VISITS_PER_TICKET))
    while position < len(visits.known):
        k = visits.known[position]
        position += 1 + int(rng.expovariate(1 / VISITS_PER_TICKET))
        row = visits.rows[k]
        where, customer = wheres[row.location], customers[row.customer or 0]
        kind = _kind_for(rng, where, customer, row)
        created = row.at + timedelta(minutes=rng.randint(1, 15))
        if kind == K.RETURN:
            lines = visits.lines(desk, k)
            if lines:
                mine = visits.by_customer[row.customer or 0]
                later = mine[mine.index(k) + 1 :][:1]
                if later and visits.rows[later[0]].at <= now and rng.random() < 0.3:
                    # Brought back on their next visit.
                    created = visits.rows[later[0]].at + timedelta(minutes=rng.randint(1, 5))
                if created <= now:
                    return_story(
                        desk,
                        where,
                        customer=customer,
                        visit_id=visits.ids[k],
                        lines=lines,
                        opener=row.staff,
                        created=created,
                        first_contact=rng.random() < HABITS[K.RETURN].first_contact,
                    )
                continue
            kind = K.COMPLAINT
        if created > now:
            continue
        priorities = HABITS[kind].priorities
        scenario = rng.choice(_scenarios(kind, customer))
        priority = (
            scenario.priority
            or rng.choices([p for p, _w in priorities], [w for _p, w in priorities])[0]
        )
        ticket_story(
            desk,
            where,
            customer=customer,
            visit_id=visits.ids[k],
            opener=row.staff,
            created=created,
            scenario=scenario,
            priority=priority,
            plan=_plan(rng, kind, priority),
        )


# -- today --------------------------------------------------------------------------------

# Tickets being worked on now: (kind, status it is in, who has it, overdue). Who: a
# member of staff by position (the first one has the most), the manager, or nobody.
Holding = tuple[str, str, int | str | None, bool]
_NOW_BUSIEST: tuple[Holding, ...] = (
    (K.COMPLAINT, S.IN_PROGRESS, 0, True),
    (K.REQUEST, S.WAITING, 0, False),
    (K.REPAIR, S.IN_PROGRESS, 0, False),
    (K.QUESTION, S.OPEN, None, False),
    (K.COMPLAINT, S.IN_PROGRESS, "manager", False),
    (K.QUESTION, S.WAITING, 1, True),
)
_NOW_ELSEWHERE: tuple[Holding, ...] = (
    (K.COMPLAINT, S.IN_PROGRESS, 0, True),
    (K.QUESTION, S.WAITING, 0, False),
    (K.REQUEST, S.OPEN, "manager", False),
)


def _recent(
    visits: Visits, where: Where, customers: dict[int, Customer], *, days: tuple[int, int]
) -> list[int]:
    """Positions of people's visits at ``where`` from ``days[1]`` to ``days[0]`` local
    days ago, at least an hour before now, oldest first."""
    first, last = where.today - timedelta(days=days[1]), where.today - timedelta(days=days[0])
    latest = where.now - timedelta(hours=1)
    found = []
    for k in reversed(visits.known):
        row = visits.rows[k]
        day = where.day_of(row.at)
        if day < first:
            break
        if (
            row.location == where.index
            and day <= last
            and row.at <= latest
            and not customers[row.customer or 0].organisation
        ):
            found.append(k)
    return found[::-1]


def present(
    desk: Desk, wheres: list[Where], visits: Visits, customers: dict[int, Customer]
) -> Customer | None:
    """What is going on today: tickets in the works (some overdue, unevenly spread over
    staff), follow-ups due today, promises due in the coming days. Returns the customer
    who has all three (at the busiest location), if the visits allow one."""
    rng = desk.rng
    showcase = None
    for where in sorted(wheres, key=lambda w: not w.busiest):
        lately = _recent(visits, where, customers, days=(0, 1)) or _recent(
            visits, where, customers, days=(0, 7)
        )
        if not lately:
            continue
        earlier = _recent(visits, where, customers, days=(2, 5)) or lately
        for kind, hold, who, overdue in _NOW_BUSIEST if where.busiest else _NOW_ELSEWHERE:
            k = rng.choice(earlier if overdue else lately)
            row = visits.rows[k]
            customer = customers[row.customer or 0]
            if isinstance(who, int):
                assignee: str | None = where.crew[who % len(where.crew)]
            else:
                assignee = where.manager if who == "manager" and hold == S.OPEN else None
            ticket_story(
                desk,
                where,
                customer=customer,
                visit_id=visits.ids[k],
                opener=row.staff,
                created=row.at + timedelta(minutes=rng.randint(1, 5)),
                scenario=rng.choice(_scenarios(kind, customer)),
                priority=P.HIGH if overdue else P.NORMAL,
                plan=Plan(
                    waits=hold == S.WAITING,
                    handover=who == "manager" and hold != S.OPEN,
                    assignee=assignee if assignee or who is None else "",
                    hold=hold,
                    quick=True,
                ),
            )
        asked = _due_today(desk, where, visits, customers, prefer=where.busiest)
        if asked is not None and showcase is None:
            showcase = asked
            _showcase(desk, where, visits, asked)
        # Something set aside for a customer of the last days.
        row = visits.rows[rng.choice(lately)]
        promise(
            desk,
            where,
            customers[row.customer or 0],
            None,
            owner=row.staff,
            made=row.at + timedelta(minutes=2),
            text=say(SET_ASIDE[where.index % len(SET_ASIDE)], where.writes(row.staff)),
            days=(where.today - where.day_of(row.at)).days + 1,
        )
    return showcase


def _due_today(
    desk: Desk, where: Where, visits: Visits, customers: dict[int, Customer], *, prefer: bool
) -> Customer | None:
    """A ticket resolved on the spot as many days ago as its follow-up waits, so the
    follow-up is due today; ``prefer``: a regular speaking the location's language."""
    rng = desk.rng
    for kind in (K.COMPLAINT, K.RETURN, K.REPAIR):
        days = DEFAULT_DAYS[kind]
        that_day = where.today - timedelta(days=days)
        candidates = [
            k
            for k in _recent(visits, where, customers, days=(days, days))
            if where.day_of(where.after(visits.rows[k].at, 30)) == that_day
            and (kind != K.RETURN or visits.lines(desk, k))
        ]
        if prefer:
            regulars = [
                k
                for k in candidates
                if customers[visits.rows[k].customer or 0].language == where.location.language
                and customers[visits.rows[k].customer or 0].plan.rhythm
                in (Rhythm.DAILY, Rhythm.WEEKLY)
            ]
            candidates = regulars or candidates
        if not candidates:
            continue
        k = rng.choice(candidates)
        row = visits.rows[k]
        customer = customers[row.customer or 0]
        created = row.at + timedelta(minutes=rng.randint(1, 5))
        if kind == K.RETURN:
            return_story(
                desk,
                where,
                customer=customer,
                visit_id=visits.ids[k],
                lines=visits.lines(desk, k),
                opener=row.staff,
                created=created,
                first_contact=True,
            )
        else:
            ticket_story(
                desk,
                where,
                customer=customer,
                visit_id=visits.ids[k],
                opener=row.staff,
                created=created,
                scenario=rng.choice(_scenarios(kind, customer)),
                priority=P.NORMAL,
                plan=Plan(first_contact=True),
            )
        return customer
    return None


def _showcase(desk: Desk, where: Where, visits: Visits, customer: Customer) -> None:
    """Give the customer with a follow-up due today an order in the works, with a
    promise due in the coming days: the counter's card shows all of it at once."""
    mine = [k for k in visits.by_customer[customer.plan.index] if visits.rows[k].at <= desk.now]
    k = mine[-1]
    row = visits.rows[k]
    scenario = next(s for s in _scenarios(K.REQUEST, customer) if s.promise)
    p = ticket_story(
        desk,
        where,
        customer=customer,
        visit_id=visits.ids[k],
        opener=row.staff,
        created=min(row.at + timedelta(minutes=2), desk.now),
        scenario=scenario,
        priority=P.NORMAL,
        plan=Plan(assignee=where.crew[0], hold=S.IN_PROGRESS, quick=True),
    )
    promise(
        desk,
        where,
        customer,
        p,
        owner=p.worker,
        made=p.clock,
        text=say(scenario.promise or CALL_BACK, where.writes(p.worker)),
        days=(where.today - where.day_of(p.clock)).days + desk.rng.randint(1, 3),
    )
