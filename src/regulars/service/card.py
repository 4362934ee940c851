"""The service desk's sections of the counter's greeting card: the customer's open
tickets, open promises and follow-ups due, so whoever serves them knows what is pending
before they have to ask.

Registered with ``customers.greeting.register_card_part`` by ``ServiceConfig.ready``
(``PARTS``); one query each.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from regulars.accounts.models import Location, person_name
from regulars.core.dates import weekday_day_time
from regulars.core.localtime import local_today
from regulars.customers.greeting import ASK, INFO, WARNING, CardBuilder, CardPart, Hint
from regulars.customers.models import Customer
from regulars.service.flow import ACTIVE, PromiseStatus, TicketKind, TicketStatus
from regulars.service.models import FollowUp, Promise, Ticket

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


def open_promises_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    """What was promised to the customer and is not yet done, soonest due first."""
    promises = list(
        Promise.objects.filter(customer=customer, status=PromiseStatus.OPEN)
        .select_related("location", "owner")
        .order_by("due_at", "id")[:SHOWN]
    )
    if not promises:
        return None
    items = []
    for promise in promises:
        values = {
            "text": promise.text,
            "due": weekday_day_time(
                promise.due_at, promise.location.timezone, translation.get_language() or "en"
            ),
            "owner": person_name(promise.owner) if promise.owner else "—",
        }
        text = _("“%(text)s”, due %(due)s (%(owner)s)") % values
        if promise.due_at < now:
            items.append(Hint(kind="promise", text=text + " " + _("(overdue)"), level=WARNING))
        else:
            items.append(Hint(kind="promise", text=text, level=INFO))
    return CardPart(key="promises", title=_("Promised"), items=tuple(items), order=ORDER + 1)


def follow_ups_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    """Follow-ups due by today: ask whether everything is all right now."""
    follow_ups = list(
        FollowUp.objects.filter(
            customer=customer,
            done_at__isnull=True,
            due_on__lte=local_today(location.timezone, now),
        )
        .select_related("ticket")
        .order_by("due_on", "id")[:SHOWN]
    )
    if not follow_ups:
        return None
    items = tuple(
        Hint(
            kind="follow_up",
            text=_("Is everything all right now after: %(kind)s “%(subject)s”?")
            % {"kind": TicketKind(f.ticket.kind).label, "subject": f.ticket.subject},
            level=ASK,
        )
        for f in follow_ups
    )
    return CardPart(key="follow_ups", title=_("Ask how it went"), items=items, order=ORDER + 2)


PARTS: dict[str, CardBuilder] = {
    KEY: open_tickets_part,
    "promises": open_promises_part,
    "follow_ups": follow_ups_part,
}
