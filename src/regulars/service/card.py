"""The service desk's section of the counter's greeting card: the customer's open
tickets, so whoever serves them knows what is pending before they have to ask.

Registered with ``customers.greeting.register_card_part`` by ``ServiceConfig.ready``.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.customers.greeting import ASK, INFO, WARNING, CardPart, Hint
from regulars.customers.models import Customer
from regulars.service.flow import ACTIVE, TicketKind, TicketStatus
from regulars.service.models import Ticket

KEY = "tickets"
ORDER = 10  # first among the parts: what the customer is waiting for
SHOWN = 5  # the oldest open tickets shown; the rest are on the customer's page


def _hint(ticket: Ticket, location: Location, now: datetime) -> Hint:
    values = {
        "kind": TicketKind(ticket.kind).label,
        "subject": ticket.subject,
        "status": TicketStatus(ticket.status).label.lower(),
        "location": ticket.location.name,
    }
    if ticket.location_id == location.pk:
        text = _("%(kind)s “%(subject)s”, %(status)s") % values
    else:
        text = _("%(kind)s “%(subject)s” at %(location)s, %(status)s") % values
    if ticket.due_at is not None and ticket.due_at < now:
        return Hint(kind="ticket", text=text + " " + _("(overdue)"), level=WARNING)
    # Waiting on the customer: they can answer it now. A complaint: acknowledge it.
    asks = ticket.status == TicketStatus.WAITING or ticket.kind == TicketKind.COMPLAINT
    return Hint(kind="ticket", text=text, level=ASK if asks else INFO)


def open_tickets_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    """The customer's open tickets at any location, oldest first (one query)."""
    tickets = list(
        Ticket.objects.filter(customer=customer, status__in=ACTIVE)
        .select_related("location")
        .order_by("created_at", "id")[:SHOWN]
    )
    if not tickets:
        return None
    return CardPart(
        key=KEY,
        title=_("Open requests"),
        items=tuple(_hint(ticket, location, now) for ticket in tickets),
        order=ORDER,
    )
