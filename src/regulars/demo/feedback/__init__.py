"""The demo's survey feedback: two years of invitations, answers and service recoveries,
planned with the demo's seeded generator on top of its visits and resolved tickets.

Three surveys run as rules (``plan.SURVEYS``): the five-dimension quality survey at
Copenhagen first, on a tenth of its visits; "After a visit" everywhere else, on a fifth,
with the business's own question "Did we remember what you like?"; "After a resolved
request" after every resolved ticket. Customers are invited by the rules of
``feedback.invitations`` (one survey in 90 days, e-mail only with e-mail consent, a
receipt code otherwise), anonymous walk-ins now and then by receipt; about two in five
answer, in their own language. Unhappy answers of known customers open a recovery with
its complaint ticket for the location's manager; most ended long ago, the recent ones
are still under way, and at each location one regular (``FeedbackSummary.showcases``)
was unhappy this past week, so the counter card says "Make it right".

Everything is planned in memory (``plan``), then written with bulk inserts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from regulars.accounts.models import Location
from regulars.demo.catalogue import LOCATIONS, STAFF, say
from regulars.demo.feedback.phrases import REMEMBERED
from regulars.demo.feedback.plan import Planner
from regulars.demo.feedback.records import (
    COOLDOWN_DAYS,
    LINK_DAYS,
    SURVEYS,
    Answer,
    Invite,
    Planned,
    Rescue,
    Resolved,
)
from regulars.demo.people import CustomerPlan
from regulars.demo.service_desk import _datetimes, _insert
from regulars.demo.service_desk.play import Desk, Play, Where
from regulars.demo.visits import VisitRow
from regulars.feedback.models import (
    ChannelRule,
    CustomAnswer,
    FeedbackPolicy,
    Invitation,
    QualityAnswer,
    Question,
    QuestionKind,
    Recovery,
    RecoveryStatus,
    Response,
    Survey,
)
from regulars.service.flow import ACTIVE, TicketKind
from regulars.service.models import FollowUp, Ticket, TicketEvent, Visit

__all__ = ["FeedbackSummary", "write_feedback"]

BATCH = 2000


@dataclass
class FeedbackSummary:
    """What ``write_feedback`` made, for the demo's summary and the tests."""

    surveys: int = 0
    invitations: int = 0
    links_open: int = 0  # neither answered nor expired now
    responses: int = 0
    languages: int = 0  # of the responses
    nps: int | None = None
    detractors: int = 0
    recoveries: int = 0
    recovered: int = 0
    lost: int = 0
    # The recoveries' complaint tickets (also counted in the service desk's figures).
    tickets: int = 0
    tickets_active: int = 0
    tickets_overdue: int = 0
    follow_ups: int = 0
    follow_ups_today: int = 0
    # (location, customer) of a regular with a recovery under way, one per location.
    showcases: list[tuple[str, str]] = field(default_factory=list)

    @property
    def under_way(self) -> int:
        return self.recoveries - self.recovered - self.lost

    def describe(self) -> str:
        rate = self.responses / self.invitations if self.invitations else 0.0
        nps = "–" if self.nps is None else str(self.nps)
        text = (
            f"Feedback: {self.surveys} surveys, {self.invitations:,} invitations "
            f"({self.links_open} links still open), {self.responses:,} responses "
            f"({rate:.0%}) in {self.languages} languages, NPS {nps}, "
            f"{self.recoveries} recoveries ({self.recovered} recovered, {self.lost} lost, "
            f"{self.under_way} under way)."
        )
        for location, name in self.showcases:
            text += (
                f"\nAt the {location} counter, look up {name}: unhappy in a survey this "
                "past week, recovery under way."
            )
        return text


def write_feedback(
    rng: random.Random,
    *,
    rows: list[VisitRow],
    customer_pks: dict[int, int],
    plans: list[CustomerPlan],
    locations: list[Location],
    users: dict[str, Any],
    now: datetime,
) -> FeedbackSummary:
    """Plan and write the survey history onto the demo's visits (``rows``, as planned,
    already written) and the service desk's resolved tickets."""
    ordered = sorted(rows, key=lambda r: r.at)
    visit_ids = list(Visit.objects.order_by("id").values_list("id", flat=True))
    if len(visit_ids) != len(ordered):
        raise RuntimeError("the demo's visits are not the ones planned")
    plan_of = {pk: index for index, pk in customer_pks.items()}
    place_of = {loc.pk: i for i, loc in enumerate(locations)}
    resolved, complaints, busy = _tickets(plan_of, place_of)
    interface = {spec.username: spec.language for group in STAFF.values() for spec in group}
    desk = Desk(rng=rng, now=now, users=users, interface=interface)
    wheres = [Where(i, loc, now, False) for i, loc in enumerate(locations)]
    planned = Planner(
        rng,
        desk=desk,
        wheres=wheres,
        plans=plans,
        customer_pks=customer_pks,
        rows=ordered,
        visit_ids=visit_ids,
        resolved=resolved,
        complaints=complaints,
        busy_now=busy,
    ).plan()

    start = now - timedelta(days=731)
    FeedbackPolicy.objects.create(
        cooldown_days=COOLDOWN_DAYS, link_valid_days=LINK_DAYS, updated_at=start
    )
    by_name = {loc.name: loc for loc in locations}
    surveys = [
        Survey.objects.create(
            name=spec.name,
            trigger=spec.trigger,
            location=by_name[spec.location] if spec.location else None,
            instruments=[str(i) for i in spec.instruments],
            channel=ChannelRule.EMAIL_OR_RECEIPT,
            sampling_percent=spec.sampling,
            position=position,
            created_at=start,
        )
        for position, spec in enumerate(SURVEYS)
    ]
    asks = next(k for k, spec in enumerate(SURVEYS) if spec.asks_remembered)
    question = Question.objects.create(
        survey=surveys[asks],
        kind=QuestionKind.YES_NO,
        texts={code: say(REMEMBERED, code) for code in ("en", "it", "da", "ru", "es")},
        position=0,
    )
    tickets = _write_tickets(desk, planned.rescues)
    _write_answers(planned, surveys, question, locations, users, customer_pks, tickets)
    return _summary(planned, desk, wheres, plans, now)


def _tickets(
    plan_of: dict[int, int], place_of: dict[int, int]
) -> tuple[list[Resolved], dict[int, list[tuple[datetime, datetime | None]]], set[int]]:
    """The service desk's resolved tickets, each customer's complaint spans and the
    customers with a ticket active now."""
    resolved = [
        Resolved(
            pk=pk,
            public_id=public_id,
            customer=plan_of[customer],
            location=place_of[location],
            assignee=assignee,
            at=at,
            reopened=reopened,
            visit_id=visit,
            complaint=kind == TicketKind.COMPLAINT,
        )
        for pk, public_id, customer, location, assignee, at, reopened, visit, kind in (
            Ticket.objects.filter(resolved_at__isnull=False)
            .order_by("id")
            .values_list(
                "pk",
                "public_id",
                "customer_id",
                "location_id",
                "assignee__username",
                "resolved_at",
                "reopened",
                "visit_id",
                "kind",
            )
        )
        if at is not None
    ]
    complaints: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for customer, created, done, status in (
        Ticket.objects.filter(kind=TicketKind.COMPLAINT)
        .order_by("id")
        .values_list("customer_id", "created_at", "resolved_at", "status")
    ):
        end = None if status in ACTIVE else done
        complaints.setdefault(plan_of[customer], []).append((created, end))
    busy = {
        plan_of[c]
        for c in Ticket.objects.filter(status__in=ACTIVE).values_list("customer_id", flat=True)
    }
    return resolved, complaints, busy


def _write_tickets(desk: Desk, rescues: list[Rescue]) -> list[Ticket]:
    """The recoveries' complaint tickets, their timelines and follow-ups, as
    ``service.tickets.open_ticket_by_rule`` and the rule's resolution write them."""
    plays = [r.play for r in rescues]
    tickets = Ticket.objects.bulk_create(
        [_ticket(r.play, r.invite.answer.public_id if r.invite.answer else "") for r in rescues],
        batch_size=BATCH,
    )
    pk, when = desk.pk, _datetimes()
    _insert(
        TicketEvent,
        ("ticket", "at", "actor", "kind", "from_status", "to_status", "assignee", "text"),
        [
            (ticket.pk, when(at), pk(actor), kind, before, after, pk(assignee), text)
            for p, ticket in zip(plays, tickets, strict=True)
            for at, actor, kind, before, after, assignee, text in p.events
        ],
    )
    follow_ups = []
    for p, ticket in zip(plays, tickets, strict=True):
        for follow_up in p.follow_ups:
            follow_up.ticket = ticket
            follow_ups.append(follow_up)
    FollowUp.objects.bulk_create(follow_ups, batch_size=BATCH)
    return tickets


def _ticket(p: Play, response_id: str) -> Ticket:
    return Ticket(
        public_id=p.public_id,
        kind=p.kind,
        status=p.status,
        priority=p.priority,
        customer_id=p.customer.pk,
        location_id=p.where.location.pk,
        subject=p.subject,
        assignee_id=p.desk.pk(p.assignee),
        created_by_id=None,  # a rule opened it
        created_at=p.created_at,
        due_at=p.due_at,
        escalated_at=p.escalated_at,
        resolved_at=p.resolved_at,
        closed_at=p.closed_at,
        reopened=p.reopened,
        first_contact=p.first_contact,
        version=p.version,
        request_key=f"recovery:{response_id}",
    )


def _write_answers(
    planned: Planned,
    surveys: list[Survey],
    question: Question,
    locations: list[Location],
    users: dict[str, Any],
    customer_pks: dict[int, int],
    tickets: list[Ticket],
) -> None:
    """Invitations and responses with one prepared statement each (``bulk_create``
    prepares every value of thousands of rows field by field), read back by key."""
    staff_pk = {name: user.pk for name, user in users.items()}
    location_pk = [loc.pk for loc in locations]
    when = _datetimes()

    def at(moment: datetime | None) -> Any:
        return None if moment is None else when(moment)

    def customer_pk(index: int | None) -> int | None:
        return None if index is None else customer_pks[index]

    _insert(
        Invitation,
        INVITATION_FIELDS,
        [
            (
                i.public_id,
                i.nonce,
                i.short_code,
                surveys[i.survey].pk,
                customer_pk(i.customer),
                location_pk[i.location],
                staff_pk.get(i.staff or ""),
                i.visit_id,
                i.ticket_id,
                i.trigger,
                i.channel,
                i.language,
                i.key,
                i.status,
                at(i.created_at),
                at(i.expires_at),
                at(i.sent_at),
                at(i.opened_at),
                at(i.answer.at if i.answer else None),
                "{}",
                "",
            )
            for i in planned.invites
        ],
    )
    invitation_pk = dict(Invitation.objects.values_list("event_key", "id"))
    answered = [(i, i.answer) for i in planned.invites if i.answer is not None]
    _insert(
        Response,
        RESPONSE_FIELDS,
        [
            _response(
                i,
                a,
                invitation=invitation_pk[i.key],
                customer=customer_pk(i.customer),
                location=location_pk[i.location],
                staff=staff_pk.get(i.staff or ""),
                at=at,
            )
            for i, a in answered
        ],
    )
    response_pk = dict(Response.objects.values_list("public_id", "id"))
    _insert(
        QualityAnswer,
        ("response", "dimension", "item", "expected", "perceived"),
        [
            (response_pk[a.public_id], dimension, number, expected, perceived)
            for _i, a in answered
            for (dimension, number), (expected, perceived) in sorted(a.answers.quality.items())
        ],
    )
    _insert(
        CustomAnswer,
        ("response", "question", "score", "text"),
        [
            (response_pk[a.public_id], question.pk, a.remembered, "")
            for _i, a in answered
            if a.remembered is not None
        ],
    )
    Recovery.objects.bulk_create(
        [
            Recovery(
                public_id=r.public_id,
                response_id=response_pk[r.invite.answer.public_id],
                customer_id=customer_pk(r.invite.customer),
                location_id=location_pk[r.invite.location],
                ticket=ticket,
                status=r.status,
                opened_at=r.play.created_at,
                contacted_at=r.contacted_at,
                remedy_at=r.remedy_at,
                resurveyed_at=r.resurveyed_at,
                closed_at=r.closed_at,
                remedy=r.remedy,
                note=r.note,
                resurvey_id=invitation_pk[r.resurvey.key] if r.resurvey else None,
                # Each move raised it by one.
                version=1 + sum(1 for t in _moments(r) if t is not None),
            )
            for r, ticket in zip(planned.rescues, tickets, strict=True)
            if r.invite.answer is not None
        ],
        batch_size=BATCH,
    )


INVITATION_FIELDS = (
    "public_id",
    "nonce",
    "short_code",
    "survey",
    "customer",
    "location",
    "staff",
    "visit",
    "ticket",
    "trigger",
    "channel",
    "language",
    "event_key",
    "status",
    "created_at",
    "expires_at",
    "sent_at",
    "opened_at",
    "answered_at",
    "draft",
    "error",
)
RESPONSE_FIELDS = (
    "public_id",
    "invitation",
    "customer",
    "location",
    "staff",
    "trigger",
    "channel",
    "language",
    "submitted_at",
    "csat",
    "nps",
    "ces",
    "why",
    "comment",
    "importance",
    "comment_language",
    "sentiment",
    "sentiment_score",
    "topics",
    "negative_topics",
    "detractor",
)


def _moments(r: Rescue) -> tuple[datetime | None, ...]:
    return (r.contacted_at, r.remedy_at, r.resurveyed_at, r.closed_at)


def _response(
    i: Invite,
    a: Answer,
    *,
    invitation: int,
    customer: int | None,
    location: int,
    staff: int | None,
    at: Callable[[datetime | None], Any],
) -> tuple[Any, ...]:
    """A response row as ``responses.submit_response`` writes it (``RESPONSE_FIELDS``)."""
    given, analysis = a.answers, a.analysis
    return (
        a.public_id,
        invitation,
        customer,
        location,
        staff,
        i.trigger,
        i.channel,
        i.language,
        at(a.at),
        given.csat,
        given.nps,
        given.ces,
        given.why,
        given.comment,
        json.dumps(given.importance),
        analysis.language if analysis else "",
        analysis.sentiment if analysis else "",
        analysis.score if analysis else None,
        json.dumps(list(analysis.topics) if analysis else []),
        json.dumps(list(analysis.negative_topics) if analysis else []),
        a.detractor,
    )


def _summary(
    planned: Planned, desk: Desk, wheres: list[Where], plans: list[CustomerPlan], now: datetime
) -> FeedbackSummary:
    invites = planned.invites
    answers = [i.answer for i in invites if i.answer is not None]
    nps = [a.answers.nps for a in answers if a.answers.nps is not None]
    rescues = planned.rescues
    plays = [r.play for r in rescues]
    active = [p for p in plays if p.status in ACTIVE]
    today = {where.location.pk: where.today for where in wheres}
    follow_ups = [f for p in plays for f in p.follow_ups]
    return FeedbackSummary(
        surveys=len(SURVEYS),
        invitations=len(invites),
        links_open=sum(1 for i in invites if i.answer is None and i.expires_at > now),
        responses=len(answers),
        languages=len({i.language for i in invites if i.answer is not None}),
        nps=(
            round(100 * (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) / len(nps))
            if nps
            else None
        ),
        detractors=sum(1 for a in answers if a.detractor),
        recoveries=len(rescues),
        recovered=sum(1 for r in rescues if r.status == RecoveryStatus.RECOVERED),
        lost=sum(1 for r in rescues if r.status == RecoveryStatus.LOST),
        tickets=len(plays),
        tickets_active=len(active),
        tickets_overdue=sum(1 for p in active if p.due_at is not None and p.due_at < now),
        follow_ups=len(follow_ups),
        follow_ups_today=sum(
            1 for f in follow_ups if f.done_at is None and f.due_on == today[f.location_id]
        ),
        showcases=[
            (LOCATIONS[plans[s.customer].home].name, _name(plans[s.customer]))
            for s in planned.showcases
        ],
    )


def _name(plan: CustomerPlan) -> str:
    return f"{plan.fields['given_name']} {plan.fields['family_name']}"
