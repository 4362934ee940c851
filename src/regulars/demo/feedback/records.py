"""What the demo's feedback history is planned as, before it is written: the surveys
as rules, and the invitations, answers and recoveries planned on the demo's events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from regulars.demo.service_desk.play import Play
from regulars.feedback.answers import SurveyAnswers
from regulars.feedback.instruments import Instrument
from regulars.feedback.models import InvitationStatus, RecoveryStatus, Trigger
from regulars.text.comments import CommentAnalysis

COOLDOWN_DAYS = 90  # at most one survey per customer in this many days
LINK_DAYS = 14  # survey links stay valid this long
I = Instrument
R = RecoveryStatus


@dataclass(frozen=True)
class SurveySpec:
    name: str
    trigger: str
    instruments: tuple[str, ...]
    sampling: int  # percent
    location: str | None  # location name; None: every location
    asks_remembered: bool = False  # the custom question "Did we remember what you like?"


# In rule order (the first that matches an event applies). The quality survey is long,
# so it runs at one location only, ahead of the general one there, on a tenth of the
# visits; it asks for recommendation too, so both cafés have an NPS.
SURVEYS: tuple[SurveySpec, ...] = (
    SurveySpec("Service quality", Trigger.VISIT, (I.QUALITY, I.CSAT, I.NPS), 10, "Copenhagen"),
    SurveySpec("After a visit", Trigger.VISIT, (I.CSAT, I.NPS), 20, None, asks_remembered=True),
    SurveySpec("After a resolved request", Trigger.TICKET_RESOLVED, (I.CES, I.CSAT), 100, None),
)


@dataclass
class Answer:
    public_id: str
    at: datetime
    answers: SurveyAnswers
    analysis: CommentAnalysis | None
    detractor: bool
    remembered: int | None = None  # the custom question: 1 yes, 0 no


@dataclass
class Invite:
    key: str
    survey: int  # index into SURVEYS
    location: int
    customer: int | None  # CustomerPlan.index
    staff: str | None
    visit_id: int | None
    ticket_id: int | None
    trigger: str
    channel: str
    language: str
    created_at: datetime
    public_id: str
    nonce: str
    short_code: str
    status: str = InvitationStatus.CREATED
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    answer: Answer | None = None

    @property
    def expires_at(self) -> datetime:
        return self.created_at + timedelta(days=LINK_DAYS)


@dataclass
class Rescue:
    """A service recovery and the complaint ticket it opened."""

    public_id: str
    invite: Invite
    play: Play
    status: str = R.OPEN
    contacted_at: datetime | None = None
    remedy_at: datetime | None = None
    resurveyed_at: datetime | None = None
    closed_at: datetime | None = None
    remedy: str = ""
    note: str = ""
    resurvey: Invite | None = None


@dataclass(frozen=True)
class Resolved:
    """A resolved service-desk ticket, as the ticket survey sees it."""

    pk: int
    public_id: str  # the same on every database (the key of its invitation)
    customer: int  # CustomerPlan.index
    location: int
    assignee: str | None
    at: datetime
    reopened: int
    visit_id: int | None
    complaint: bool


@dataclass
class Showcase:
    customer: int  # CustomerPlan.index
    visit: int  # position in the visits
    state: str  # the recovery's state now


@dataclass
class Planned:
    invites: list[Invite] = field(default_factory=list)
    rescues: list[Rescue] = field(default_factory=list)
    showcases: list[Showcase] = field(default_factory=list)
