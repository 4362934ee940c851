"""Feedback listens to the service desk: after a visit is logged or a ticket resolved
(``service.events``), the survey rules decide whether to invite the customer."""

from __future__ import annotations

import logging
from typing import Any

from regulars.feedback.invitations import invite_after
from regulars.feedback.models import Trigger
from regulars.service.events import ticket_resolved, visit_logged
from regulars.service.models import Ticket, Visit

log = logging.getLogger(__name__)


def on_visit_logged(sender: Any, visit: Visit, **kwargs: Any) -> None:
    try:
        _invite_after_visit(visit)
    except Exception:  # the visit is committed: a survey problem must not fail its page
        log.exception("no survey invitation after visit %s", visit.public_id)


def on_ticket_resolved(sender: Any, ticket: Ticket, **kwargs: Any) -> None:
    try:
        _invite_after_resolution(ticket)
    except Exception:  # the resolution is committed: a survey problem must not fail it
        log.exception("no survey invitation after ticket %s", ticket.public_id)


def _invite_after_visit(visit: Visit) -> None:
    result = invite_after(
        trigger=Trigger.VISIT,
        location=visit.location,
        customer=visit.customer,
        staff=visit.staff,
        visit=visit,
    )
    log.debug("visit %s: %s", visit.public_id, result)


def _invite_after_resolution(ticket: Ticket) -> None:
    if hasattr(ticket, "recovery"):
        return  # a recovery's own ticket: the recovery asks again itself
    result = invite_after(
        trigger=Trigger.TICKET_RESOLVED,
        location=ticket.location,
        customer=ticket.customer,
        staff=ticket.assignee,
        visit=ticket.visit,
        ticket=ticket,
    )
    log.debug("ticket %s: %s", ticket.public_id, result)


def connect() -> None:
    visit_logged.connect(on_visit_logged, dispatch_uid="feedback.visit_logged")
    ticket_resolved.connect(on_ticket_resolved, dispatch_uid="feedback.ticket_resolved")
