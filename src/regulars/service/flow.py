"""How a ticket moves: its kinds, statuses and the moves allowed between statuses.

open → in progress → waiting on the customer → resolved → closed, and back: work can
resume while waiting, a resolved or closed ticket can be reopened. A ticket may be
resolved straight from open (answered on the spot: a first-contact resolution). Every
other move is refused with a message saying what may come next.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class TicketKind(models.TextChoices):
    REQUEST = "request", gettext_lazy("Request")
    QUESTION = "question", gettext_lazy("Question")
    COMPLAINT = "complaint", gettext_lazy("Complaint")
    RETURN = "return", gettext_lazy("Return")
    EXCHANGE = "exchange", gettext_lazy("Exchange")
    REPAIR = "repair", gettext_lazy("Repair or maintenance")


class TicketStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    IN_PROGRESS = "in_progress", gettext_lazy("In progress")
    WAITING = "waiting", gettext_lazy("Waiting on the customer")
    RESOLVED = "resolved", gettext_lazy("Resolved")
    CLOSED = "closed", gettext_lazy("Closed")


class Priority(models.TextChoices):
    LOW = "low", gettext_lazy("Low")
    NORMAL = "normal", gettext_lazy("Normal")
    HIGH = "high", gettext_lazy("High")
    URGENT = "urgent", gettext_lazy("Urgent")


class ReturnReason(models.TextChoices):
    CHANGED_MIND = "changed_mind", gettext_lazy("Changed their mind")
    DEFECT = "defect", gettext_lazy("Defect")
    WRONG_SIZE = "wrong_size", gettext_lazy("Wrong size")
    PUSHED = "pushed", gettext_lazy("Pushed into buying")
    OTHER = "other", gettext_lazy("Other")


class Remedy(models.TextChoices):
    REFUND = "refund", gettext_lazy("Refund")
    EXCHANGE = "exchange", gettext_lazy("Exchange")
    STORE_CREDIT = "credit", gettext_lazy("Store credit")


class PromiseStatus(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    KEPT = "kept", gettext_lazy("Kept")
    BROKEN = "broken", gettext_lazy("Broken")


class FollowUpOutcome(models.TextChoices):
    ALL_RIGHT = "all_right", gettext_lazy("All right now")
    STILL_UNHAPPY = "unhappy", gettext_lazy("Still not happy")
    UNREACHABLE = "unreachable", gettext_lazy("Could not reach them")


S = TicketStatus
MOVES: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.WAITING, S.RESOLVED}),
    S.WAITING: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),
}
# Statuses in which the ticket is still someone's work (the queue, the SLA clock).
ACTIVE = frozenset({S.OPEN, S.IN_PROGRESS, S.WAITING})
# Moves that reopen a ticket rather than advance it.
REOPENING = frozenset({(S.RESOLVED, S.OPEN), (S.CLOSED, S.OPEN)})


class IllegalMove(ValueError):
    """A status change the flow does not allow; the message says what is allowed."""


def check_move(current: str, wanted: str) -> None:
    """Raise IllegalMove unless a ticket in ``current`` may move to ``wanted``."""
    if wanted not in MOVES:
        raise IllegalMove(_("“%(status)s” is not a ticket status.") % {"status": wanted})
    if wanted == current:
        raise IllegalMove(
            _("The ticket is already “%(status)s”.") % {"status": TicketStatus(current).label}
        )
    allowed = MOVES[current]
    if wanted not in allowed:
        raise IllegalMove(
            _(
                "A ticket that is “%(current)s” cannot become “%(wanted)s”; it can become: %(allowed)s."
            )
            % {
                "current": TicketStatus(current).label,
                "wanted": TicketStatus(wanted).label,
                "allowed": ", ".join(
                    f"“{status.label}”" for status in TicketStatus if status in allowed
                ),
            }
        )
