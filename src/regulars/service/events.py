"""What the service desk tells the apps above it, after the change is committed.

Higher apps (feedback, later loyalty and outreach) subscribe in their ``AppConfig.ready``;
the service desk never imports them. Each signal is sent from ``transaction.on_commit``,
so a receiver sees committed data and a rolled-back change sends nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from regulars.service.models import Ticket, Visit

# visit=Visit: a visit was logged at the counter or from a form (not by bulk imports).
visit_logged = Signal()
# ticket=Ticket: a ticket was resolved (also one resolved on the spot).
ticket_resolved = Signal()


def after_visit_logged(visit: Visit) -> None:
    transaction.on_commit(lambda: visit_logged.send(sender=Visit, visit=visit))


def after_ticket_resolved(ticket: Ticket) -> None:
    transaction.on_commit(lambda: ticket_resolved.send(sender=Ticket, ticket=ticket))
