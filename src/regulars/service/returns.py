"""Returns and exchanges without friction: what comes back, why, and what the customer
gets instead (refund, exchange or store credit), recorded in one step as a ticket
resolved on the spot, so a follow-up asks later whether all is well.

The reason is kept for analysis: returns after a pushed sale are a signal of pushy
selling. A return is service, not a lost customer: nothing here touches the customer's
visit history or standing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core.money import quantize
from regulars.customers.models import Customer
from regulars.service import tickets
from regulars.service.flow import Remedy, ReturnReason, TicketKind, TicketStatus
from regulars.service.models import Return, ReturnItem, Ticket, Visit, VisitLine


@dataclass(frozen=True, slots=True)
class ReturnedItem:
    """One thing brought back: a line of the visit (``visit_line_id``) or described."""

    description: str
    quantity: Decimal = Decimal(1)
    visit_line_id: int | None = None


def _checked_items(items: list[ReturnedItem], visit: Visit | None) -> list[ReturnedItem]:
    """The items, with visit lines' descriptions filled in; ValueError when an item is
    empty, not from this visit, or more than was bought (less what came back before)."""
    if not items:
        raise ValueError(_("Choose at least one thing that is brought back."))
    lines: dict[int, VisitLine] = {}
    returned: dict[int, Decimal] = defaultdict(Decimal)
    if visit is not None:
        lines = {line.pk: line for line in visit.lines.all()}
        for row in (
            ReturnItem.objects.filter(visit_line__visit=visit)
            .values("visit_line_id")
            .annotate(q=Sum("quantity"))
        ):
            returned[row["visit_line_id"]] = row["q"]
    checked = []
    for item in items:
        if item.quantity <= 0:
            raise ValueError(_("A returned quantity must be more than zero."))
        if item.visit_line_id is None:
            if not item.description.strip():
                raise ValueError(_("Say what is brought back."))
            checked.append(item)
            continue
        line = lines.get(item.visit_line_id)
        if line is None:
            raise ValueError(_("That item is not from this visit."))
        returned[line.pk] += item.quantity
        if returned[line.pk] > line.quantity:
            raise ValueError(
                _("More of “%(item)s” would come back than was bought.")
                % {"item": line.description}
            )
        checked.append(ReturnedItem(line.description, item.quantity, line.pk))
    return checked


def _checked_amount(
    amount: Decimal | None, currency: str, remedy: str, location: Location
) -> Decimal | None:
    if amount is None:
        if remedy != Remedy.EXCHANGE:
            raise ValueError(_("Give the amount refunded or credited."))
        return None
    if currency and currency.upper() != location.currency:
        raise ValueError(
            _("Amounts at %(location)s are in %(currency)s, not %(given)s.")
            % {"location": location.name, "currency": location.currency, "given": currency}
        )
    if amount < 0:
        raise ValueError(_("An amount cannot be negative."))
    return quantize(amount, location.currency)


@transaction.atomic
def record_return(
    *,
    actor: Any,
    location: Location,
    customer: Customer,
    items: list[ReturnedItem],
    reason: ReturnReason | str,
    remedy: Remedy | str,
    amount: Decimal | None = None,
    currency: str = "",
    visit: Visit | None = None,
    note: str = "",
    at: datetime | None = None,
    request_key: str | None = None,
) -> Return:
    """Record a return (or an exchange) in one go: a ticket of kind return or exchange
    is opened and resolved on the spot, with the items, the reason and the remedy.

    ``amount`` (refunded, credited, or an exchange's difference) is in the location's
    currency; ``currency``, when given, must be it. ``visit`` is where it was bought.
    ``request_key``: a return already recorded with it is returned, not recorded twice.
    """
    if request_key:
        existing = Return.objects.filter(ticket__request_key=request_key).first()
        if existing is not None:
            return existing
    if reason not in ReturnReason.values:
        raise ValueError(_("“%(reason)s” is not a reason for a return.") % {"reason": reason})
    if remedy not in Remedy.values:
        raise ValueError(_("“%(remedy)s” is not a remedy.") % {"remedy": remedy})
    checked = _checked_items(items, visit)
    value = _checked_amount(amount, currency, remedy, location)
    moment = at or timezone.now()
    kind = TicketKind.EXCHANGE if remedy == Remedy.EXCHANGE else TicketKind.RETURN
    what = ", ".join(item.description.strip() for item in checked)
    ticket: Ticket = tickets.open_ticket(
        actor=actor,
        location=location,
        customer=customer,
        kind=kind,
        subject=what,
        text=note,
        visit=visit,
        assignee=actor,
        at=moment,
        request_key=request_key,
    )
    details = Return.objects.create(
        ticket=ticket,
        reason=reason,
        remedy=remedy,
        amount=value,
        currency=location.currency if value is not None else "",
        created_at=moment,
    )
    ReturnItem.objects.bulk_create(
        ReturnItem(
            ret=details,
            visit_line_id=item.visit_line_id,
            description=item.description.strip()[:200],
            quantity=item.quantity,
        )
        for item in checked
    )
    tickets.move_ticket(
        actor=actor,
        ticket=ticket,
        status=TicketStatus.RESOLVED,
        expected_version=ticket.version,
        text=" · ".join(str(label) for label in (ReturnReason(reason).label, Remedy(remedy).label)),
        at=moment,
    )
    return details
