"""Planning two years of survey invitations, answers and service recoveries in memory.

The rules are those of ``feedback.invitations`` (first matching survey, no survey
while a complaint or a recovery of theirs is open, one invitation per customer in
``COOLDOWN_DAYS``, the sampling draw, e-mail only with e-mail consent, else a receipt
code for an in-person visit), applied to each customer's visits and resolved tickets in
time order. How people answer comes from one latent mood per answer: the customer's
own temper, who served them, where, and how long they waited; scores, the quality
items and the comment all follow from it. Anything that would happen after ``now``
has not happened yet: recent links are still open, recent recoveries still under way.
"""

from __future__ import annotations

import base64
import bisect
import math
import random
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from regulars.demo.catalogue import LOCATIONS, say
from regulars.demo.feedback.answers import comments, level_of, quality, scores
from regulars.demo.feedback.phrases import (
    CALLED,
    GONE,
    REMEDIES,
    WON_BACK,
)
from regulars.demo.feedback.records import (
    COOLDOWN_DAYS,
    LINK_DAYS,
    SURVEYS,
    Answer,
    Invite,
    Planned,
    Rescue,
    Resolved,
    Showcase,
    SurveySpec,
)
from regulars.demo.people import CustomerPlan, Rhythm, public_id
from regulars.demo.service_desk.phrases import OUTCOMES
from regulars.demo.service_desk.play import CRON_DELAY, Customer, Desk, Play, Stop, Where
from regulars.feedback.answers import SurveyAnswers
from regulars.feedback.instruments import Instrument
from regulars.feedback.models import (
    ChannelRule,
    InvitationStatus,
    InviteChannel,
    RecoveryStatus,
    Trigger,
)
from regulars.feedback.recovery import recovery_due, recovery_subject
from regulars.feedback.responses import is_detractor
from regulars.service.flow import FollowUpOutcome, Priority, TicketKind, TicketStatus
from regulars.service.models import Channel, TicketEventKind
from regulars.text.comments import CommentAnalysis, analyse_comment

R = RecoveryStatus
I = Instrument
LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)


# How the answers lean (added to the latent mood, whose spread is about 1).
WARM, COLD = "olga", "luca"
STAFF_LEAN = {WARM: 0.45, COLD: -0.45}
LOCATION_LEAN = {"Bologna": 0.0, "Copenhagen": 0.15}
# Those who will not come back in the next 90 days (the visits are planned already)
# were less happy: the answers lead, the visits follow.
STAYS_AWAY_LEAN = -0.9
# Who answers: by e-mail, from a receipt; anonymous walk-ins take a receipt code home
# now and then (most leave the receipt on the counter).
ANSWER_RATE: dict[str, float] = {InviteChannel.EMAIL: 0.47, InviteChannel.RECEIPT: 0.40}
ANONYMOUS_ANSWER_RATE = 0.2
ANONYMOUS_RECEIPT_TAKEN = 0.25


@cache
def _analyse(text: str, language: str) -> CommentAnalysis:
    # The demo's comments come from tables: each distinct one is read once.
    return analyse_comment(text, language)


class Planner:
    def __init__(
        self,
        rng: random.Random,
        *,
        desk: Desk,
        wheres: list[Where],
        plans: list[CustomerPlan],
        customer_pks: dict[int, int],
        rows: list[Any],  # VisitRow, in the order written
        visit_ids: list[int],
        resolved: list[Resolved],
        complaints: dict[int, list[tuple[datetime, datetime | None]]],  # plan index → spans
        busy_now: set[int],  # plan indexes with an active ticket now
    ) -> None:
        self.rng, self.desk, self.wheres = rng, desk, wheres
        self.now = desk.now
        self.plans, self.customer_pks = plans, customer_pks
        self.rows, self.visit_ids = rows, visit_ids
        self.resolved, self.complaints, self.busy_now = resolved, complaints, busy_now
        self.out = Planned()
        self.traits: dict[int, float] = {}
        self.last_invited: dict[int, datetime] = {}
        self.visit_times: dict[int, list[datetime]] = {}  # plan index → their visits, in order
        self.blocked_until: dict[int, datetime] = {}  # a recovery of theirs is under way
        self.ids: set[str] = set()
        self.codes: set[str] = set()
        self.first_survey = {
            (trigger, index): next(
                k
                for k, s in enumerate(SURVEYS)
                if s.trigger == trigger and s.location in (None, spec.name)
            )
            for trigger in (Trigger.VISIT, Trigger.TICKET_RESOLVED)
            for index, spec in enumerate(LOCATIONS)
        }

    # -- the whole history ------------------------------------------------------------

    def plan(self) -> Planned:
        by_customer: dict[int, list[tuple[datetime, int, Resolved | None]]] = {}
        for k, row in enumerate(self.rows):
            if row.customer is not None:
                by_customer.setdefault(row.customer, []).append((row.at, k, None))
        for ticket in self.resolved:
            by_customer.setdefault(ticket.customer, []).append((ticket.at, -1, ticket))
        for plan in self.plans:
            events = by_customer.get(plan.index)
            if events:
                events.sort(key=lambda e: (e[0], e[1]))
                self.visit_times[plan.index] = [at for at, _k, t in events if t is None]
                self._customer(plan, events)
        self._walk_ins()
        self._showcases(by_customer)
        self.out.invites.sort(key=lambda i: (i.created_at, i.key))
        return self.out

    def _customer(
        self, plan: CustomerPlan, events: list[tuple[datetime, int, Resolved | None]]
    ) -> None:
        cooldown = timedelta(days=COOLDOWN_DAYS)
        spans = self.complaints.get(plan.index, [])
        for at, k, ticket in events:
            last = self.last_invited.get(plan.index)
            blocked = self.blocked_until.get(plan.index)
            if blocked is not None and at < blocked:
                continue
            if last is not None and at - last < cooldown:
                continue
            if any(start <= at and (end is None or at < end) for start, end in spans):
                continue
            if ticket is None:
                row = self.rows[k]
                survey = self.first_survey[(Trigger.VISIT, row.location)]
                in_person = row.channel == Channel.IN_PERSON
            else:
                survey = self.first_survey[(Trigger.TICKET_RESOLVED, ticket.location)]
                in_person = False  # a resolution is not at the till: no receipt to print
            if self.rng.random() * 100 >= SURVEYS[survey].sampling:
                continue
            channel = self._channel(plan, at, in_person)
            if channel is not None:
                self._event(plan, at, k, ticket, survey, channel, None)

    def _event(
        self,
        plan: CustomerPlan,
        at: datetime,
        k: int,
        ticket: Resolved | None,
        survey: int,
        channel: str,
        showcase: str | None,
    ) -> None:
        """Invite for one event and play out the answer (and recovery) that follows."""
        if ticket is None:
            row = self.rows[k]
            invite = self._invite(
                key=f"demo:visit:{k}",  # the visit's place in the plan: the same on every database
                survey=survey,
                location=row.location,
                customer=plan,
                staff=row.staff,
                at=at,
                channel=channel,
                trigger=Trigger.VISIT,
                visit_id=self.visit_ids[k],
            )
            wait = row.wait_seconds or 0
        else:
            invite = self._invite(
                key=f"demo:ticket:{ticket.public_id}:{ticket.reopened}",
                survey=survey,
                location=ticket.location,
                customer=plan,
                staff=ticket.assignee,
                at=at,
                channel=channel,
                trigger=Trigger.TICKET_RESOLVED,
                visit_id=ticket.visit_id,
                ticket_id=ticket.pk,
            )
            wait = 0
        self.last_invited[plan.index] = at
        mood = self._mood(invite, self._trait(plan), wait, ticket)
        if self._stays_away(plan, at):
            mood += STAYS_AWAY_LEAN
        if showcase is not None:
            mood = -2.2
        answer = self._answer(invite, mood, plan, sure=showcase is not None)
        if answer is None or not answer.detractor:
            return
        rescue = self._rescue(invite, plan, showcase)
        ended = rescue.closed_at if rescue.status in (R.RECOVERED, R.LOST) else None
        self.blocked_until[plan.index] = ended or self.now + timedelta(days=1)
        if rescue.resurvey is not None:
            self.last_invited[plan.index] = rescue.resurvey.created_at

    def _walk_ins(self) -> None:
        rng = self.rng
        for k, row in enumerate(self.rows):
            if row.customer is not None or row.channel != Channel.IN_PERSON:
                continue
            survey = self.first_survey[(Trigger.VISIT, row.location)]
            if rng.random() * 100 >= SURVEYS[survey].sampling:
                continue
            if rng.random() >= ANONYMOUS_RECEIPT_TAKEN:
                continue
            invite = self._invite(
                key=f"demo:visit:{k}",  # the visit's place in the plan: the same on every database
                survey=survey,
                location=row.location,
                customer=None,
                staff=row.staff,
                at=row.at,
                channel=InviteChannel.RECEIPT,
                trigger=Trigger.VISIT,
                visit_id=self.visit_ids[k],
            )
            mood = self._mood(invite, rng.gauss(0, 0.45), row.wait_seconds or 0, None)
            self._answer(invite, mood, None)

    # -- showcases ----------------------------------------------------------------------

    def _showcases(
        self, by_customer: dict[int, list[tuple[datetime, int, Resolved | None]]]
    ) -> None:
        """At each location, a regular who was unhappy in the past week and whom the
        rules allowed to ask: the counter card shows them, a recovery under way."""
        states = (R.CONTACTED, R.OPEN, R.REMEDY)
        earliest, latest = self.now - timedelta(days=7), self.now - timedelta(days=2)
        cooldown = timedelta(days=COOLDOWN_DAYS)
        for index in range(len(self.wheres)):
            candidates = []
            for plan in self.plans:
                if (
                    plan.home != index
                    or plan.rhythm not in (Rhythm.DAILY, Rhythm.WEEKLY, Rhythm.MONTHLY)
                    or plan.index in self.busy_now
                    or plan.index in self.complaints
                    or plan.index in self.blocked_until
                ):
                    continue
                last = self.last_invited.get(plan.index)
                recent = [
                    k
                    for at, k, ticket in by_customer.get(plan.index, [])
                    if ticket is None
                    and earliest <= at <= latest
                    and (last is None or at - last >= cooldown)
                    and self.rows[k].location == index
                    and self.rows[k].channel == Channel.IN_PERSON
                ]
                if recent:
                    candidates.append((plan, max(recent)))
            if not candidates:
                continue
            plan, k = self.rng.choice(candidates)
            at = self.rows[k].at
            survey = self.first_survey[(Trigger.VISIT, index)]
            channel = self._channel(plan, at, True) or InviteChannel.RECEIPT
            self._event(plan, at, k, None, survey, channel, states[index % len(states)])
            self.out.showcases.append(Showcase(plan.index, k, states[index % len(states)]))

    # -- one invitation ---------------------------------------------------------------

    def _new_id(self) -> str:
        made = public_id(self.rng)
        while made in self.ids:
            made = public_id(self.rng)
        self.ids.add(made)
        return made

    def _short_code(self) -> str:
        alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as feedback.tokens
        code = "".join(self.rng.choices(alphabet, k=10))
        while code in self.codes:
            code = "".join(self.rng.choices(alphabet, k=10))
        self.codes.add(code)
        return code

    def _channel(self, plan: CustomerPlan, at: datetime, in_person: bool) -> str | None:
        rule = ChannelRule.EMAIL_OR_RECEIPT  # every demo survey
        if rule != ChannelRule.RECEIPT and plan.fields.get("email"):
            day, granted = at.date(), None
            for consent in sorted(plan.consents, key=lambda c: c.days_after_met):
                if (
                    consent.channel == "email"
                    and plan.met + timedelta(consent.days_after_met) <= day
                ):
                    granted = consent.granted
            if granted:
                return InviteChannel.EMAIL
        return InviteChannel.RECEIPT if in_person else None

    def _language(self, plan: CustomerPlan | None, location: int) -> str:
        code = str(plan.fields.get("language") or "") if plan is not None else ""
        return code if code in LANGUAGES else LOCATIONS[location].language

    def _invite(
        self,
        *,
        key: str,
        survey: int,
        location: int,
        customer: CustomerPlan | None,
        staff: str | None,
        at: datetime,
        channel: str,
        trigger: str,
        visit_id: int | None = None,
        ticket_id: int | None = None,
    ) -> Invite:
        invite = Invite(
            key=key,
            survey=survey,
            location=location,
            customer=None if customer is None else customer.index,
            staff=staff,
            visit_id=visit_id,
            ticket_id=ticket_id,
            trigger=trigger,
            channel=channel,
            language=self._language(customer, location),
            created_at=at,
            public_id=self._new_id(),
            nonce=base64.urlsafe_b64encode(self.rng.randbytes(9)).decode(),
            short_code=self._short_code(),
        )
        if channel == InviteChannel.EMAIL:
            invite.status = InvitationStatus.SENT
            invite.sent_at = at + timedelta(seconds=self.rng.randint(2, 40))
        self.out.invites.append(invite)
        return invite

    # -- answers ------------------------------------------------------------------------

    def _trait(self, plan: CustomerPlan) -> float:
        if plan.index not in self.traits:
            lean = -0.4 if plan.rhythm == Rhythm.LAPSED else 0.0
            self.traits[plan.index] = self.rng.gauss(lean, 0.45)
        return self.traits[plan.index]

    def _mood(self, invite: Invite, trait: float, wait: int, ticket: Resolved | None) -> float:
        mood = 0.4 + 0.75 * self.rng.gauss(0, 1) + trait
        mood += STAFF_LEAN.get(invite.staff or "", 0.0)
        mood += LOCATION_LEAN[LOCATIONS[invite.location].name]
        if wait > 600:
            mood -= 0.5
        elif wait > 300:
            mood -= 0.2
        if ticket is not None and ticket.complaint:
            mood -= 0.3
        return mood

    def _stays_away(self, plan: CustomerPlan, at: datetime) -> bool:
        """No visit in the 90 days after ``at`` (with those 90 days over by now)."""
        horizon = at + timedelta(days=COOLDOWN_DAYS)
        if horizon > self.now:
            return False
        times = self.visit_times.get(plan.index, [])
        later = bisect.bisect_right(times, at)
        return later == len(times) or times[later] > horizon

    def _delay(self) -> timedelta:
        hours = min(self.rng.lognormvariate(math.log(7), 1.1), LINK_DAYS * 24 - 2)
        return timedelta(hours=hours)

    def _answer(
        self, invite: Invite, mood: float, plan: CustomerPlan | None, *, sure: bool = False
    ) -> Answer | None:
        rng = self.rng
        rate = ANSWER_RATE[invite.channel] if plan is not None else ANONYMOUS_ANSWER_RATE
        answers = rng.random() < rate or sure
        at = invite.created_at + (timedelta(hours=rng.uniform(2, 6)) if sure else self._delay())
        if not answers or at > self.now:
            opened = invite.created_at + self._delay()
            if rng.random() < 0.3 and opened <= self.now:
                invite.opened_at = opened
            return None
        survey = SURVEYS[invite.survey]
        given = self._scores(survey, mood)
        level = level_of(given)
        self._texts(given, invite, level, sure=sure)
        if I.QUALITY in survey.instruments:
            self._quality(given, mood, invite)
        remembered = None
        if survey.asks_remembered and rng.random() < 0.85:
            regular = plan is not None and plan.rhythm in (Rhythm.DAILY, Rhythm.WEEKLY)
            chance = min(0.95, max(0.05, 0.3 + (0.4 if regular else 0.0) + 0.15 * mood))
            remembered = int(rng.random() < chance)
        answer = self._finish(invite, given, at, remembered)
        return answer

    def _finish(
        self, invite: Invite, given: SurveyAnswers, at: datetime, remembered: int | None
    ) -> Answer:
        text = "\n".join(t for t in (given.why, given.comment) if t)
        analysis = _analyse(text, invite.language) if text else None
        answer = Answer(
            public_id=self._new_id(),
            at=at,
            answers=given,
            analysis=analysis,
            detractor=is_detractor(given, analysis),
            remembered=remembered,
        )
        invite.answer = answer
        invite.status = InvitationStatus.ANSWERED
        invite.opened_at = at - timedelta(minutes=self.rng.randint(2, 9))
        return answer

    def _scores(self, survey: SurveySpec, mood: float, *, floor: bool = False) -> SurveyAnswers:
        return scores(self.rng, survey.instruments, mood, floor=floor)

    def _texts(self, given: SurveyAnswers, invite: Invite, level: str, *, sure: bool) -> None:
        cold = invite.visit_id is not None and invite.staff == COLD
        comments(self.rng, given, invite.trigger, invite.language, level, sure=sure, cold=cold)

    def _quality(self, given: SurveyAnswers, mood: float, invite: Invite) -> None:
        quality(self.rng, given, mood)

    # -- recoveries ---------------------------------------------------------------------

    def _rescue(self, invite: Invite, plan: CustomerPlan, state: str | None) -> Rescue:
        rng, desk = self.rng, self.desk
        where = self.wheres[invite.location]
        answer = invite.answer
        assert answer is not None  # noqa: S101 - only answered invitations come here
        opened = answer.at
        manager = where.manager
        play = Play(
            desk,
            where,
            kind=TicketKind.COMPLAINT,
            priority=Priority.HIGH,
            customer=Customer(self.customer_pks[plan.index], plan),
            visit_id=None,
            subject=recovery_subject(
                nps=answer.answers.nps,
                csat=answer.answers.csat,
                language=where.location.language,
            ),
            takeover=False,
        )
        said = "\n".join(t for t in (answer.answers.why, answer.answers.comment) if t)
        play.created_at = play.clock = opened
        play.assignee = manager
        play.due_at = recovery_due(where.location, opened)
        play.escalate_at = play.due_at + timedelta(seconds=rng.randint(*CRON_DELAY))
        play.events.append(
            (opened, None, TicketEventKind.CREATED, "", TicketStatus.OPEN, manager, said)
        )
        rescue = Rescue(self._new_id(), invite, play)
        self.out.rescues.append(rescue)
        writes = where.writes(manager)
        path = state or rng.choices(("resurvey", "direct", "lost"), (0.45, 0.27, 0.28))[0]
        try:
            if state == R.OPEN:
                raise Stop
            quick = rng.random() < 0.85
            contacted = where.after(
                opened, rng.uniform(20, 480) if quick else rng.uniform(700, 1500)
            )
            rescue.contacted_at, rescue.status = self._reach(contacted), R.CONTACTED
            rescue.note = say(CALLED, writes)
            if state == R.CONTACTED:
                raise Stop
            if path != "lost" or rng.random() < 0.5:
                given = where.after(contacted, rng.uniform(5, 600))
                rescue.remedy_at, rescue.status = self._reach(given), R.REMEDY
                rescue.remedy = say(rng.choice(REMEDIES), writes)
            if state is not None:
                raise Stop
            since = rescue.remedy_at or contacted
            if path == "resurvey" or (path == "lost" and rng.random() < 0.4):
                asked = self._reach(since + timedelta(days=rng.uniform(4, 12)))
                rescue.resurveyed_at, rescue.status = asked, R.RESURVEYED
                rescue.resurvey = self._resurvey(rescue, plan, asked)
                if path == "resurvey":
                    answered = self._reach(asked + self._delay())
                    self._happy_again(rescue.resurvey, answered)
                    with translation.override(invite.language):
                        text = gettext("Happy when asked again.")
                    self._end(rescue, R.RECOVERED, answered, text)
                else:
                    self._end(
                        rescue, R.LOST, self._reach(asked + timedelta(days=rng.uniform(15, 25)))
                    )
            elif path == "direct":
                self._end(
                    rescue, R.RECOVERED, self._reach(since + timedelta(days=rng.uniform(1, 6)))
                )
            else:
                self._end(rescue, R.LOST, self._reach(since + timedelta(days=rng.uniform(3, 20))))
        except Stop:
            pass
        play.finish()
        return rescue

    def _reach(self, moment: datetime) -> datetime:
        if moment > self.now:
            raise Stop
        return moment

    def _end(self, rescue: Rescue, status: str, at: datetime, text: str | None = None) -> None:
        play, where = rescue.play, rescue.play.where
        rescue.status, rescue.closed_at = status, at
        if status == R.LOST:
            rescue.note = f"{rescue.note}\n{say(GONE, where.writes(where.manager))}".strip()
        if text is None:
            text = self.desk.label(where.manager, lambda: str(R(status).label))
        # The recovery's rule resolves the ticket: no one in the timeline did.
        play.move(at, None, TicketStatus.RESOLVED, text)  # type: ignore[arg-type]
        follow_up = play.follow_ups[-1]
        if follow_up.due_on >= where.today:
            return
        outcome = (
            FollowUpOutcome.ALL_RIGHT if status == R.RECOVERED else FollowUpOutcome.UNREACHABLE
        )
        note = next(n for o, _share, n in OUTCOMES if o == outcome)
        asked = where.during(self.rng, follow_up.due_on)
        if asked <= self.now:
            play.follow_up(asked, outcome, say(note, where.writes(where.manager)))

    def _resurvey(self, rescue: Rescue, plan: CustomerPlan, at: datetime) -> Invite:
        original = rescue.invite
        channel = self._channel(plan, at, True) or InviteChannel.RECEIPT
        return self._invite(
            key=f"demo:recovery:{rescue.public_id}",
            survey=original.survey,
            location=original.location,
            customer=plan,
            staff=None,
            at=at,
            channel=channel,
            trigger=Trigger.RECOVERY,
        )

    def _happy_again(self, invite: Invite, at: datetime) -> None:
        survey = SURVEYS[invite.survey]
        mood = 1.3 + self.rng.gauss(0, 0.3)
        given = self._scores(survey, mood, floor=True)
        if self.rng.random() < 0.4:
            given.comment = say(WON_BACK, invite.language)
        if I.QUALITY in survey.instruments:
            self._quality(given, mood, invite)
        remembered = 1 if survey.asks_remembered else None
        answer = self._finish(invite, given, at, remembered)
        if answer.detractor:  # the analysis misread the thanks: keep the scores only
            given.comment = ""
            answer.analysis, answer.detractor = None, is_detractor(given, None)
