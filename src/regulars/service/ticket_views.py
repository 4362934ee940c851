"""The service desk's pages: a location's queue with each person's load, "mine", opening
a ticket for a customer, a ticket with its timeline and actions, and the managers'
service levels.

Every page works without JavaScript (forms post and redirect; messages say what
happened); htmx only spares page loads. Thin: forms validate, ``tickets`` (and
``followups``) write, ``queries`` read. A change refused by the service (someone else
changed the ticket first, a move the flow does not allow, bad input) writes nothing
and tells the user why, in their language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from regulars.accounts.access import chosen_location, requires
from regulars.accounts.models import Location, person_name
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.queries import get_customer_for
from regulars.service import followups, queries, tickets
from regulars.service.flow import ACTIVE, Priority, TicketStatus
from regulars.service.models import Ticket, Visit
from regulars.service.ticket_forms import (
    HandOverForm,
    MoveForm,
    NoteForm,
    OpenTicketForm,
    PriorityForm,
    QueueFilterForm,
    ServiceLevelsForm,
    find_visit,
)

PAGE_SIZE = 50
SESSION_LOCATION = "tickets_location"

# What the button moving a ticket to a status says.
MOVE_LABELS: dict[str, Any] = {
    TicketStatus.IN_PROGRESS: gettext_lazy("Start working on it"),
    TicketStatus.WAITING: gettext_lazy("Wait for the customer"),
    TicketStatus.RESOLVED: gettext_lazy("Resolve"),
    TicketStatus.CLOSED: gettext_lazy("Close"),
    TicketStatus.OPEN: gettext_lazy("Reopen"),
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _queue_location(request: HttpRequest, locations: list[Location]) -> Location:
    """The queue's location: the one asked for (and remembered), else the last one
    shown, else the user's first (``accounts.access.chosen_location``)."""
    return chosen_location(request, locations, SESSION_LOCATION)


# --- the queue and "mine" ----------------------------------------------------------------


@requires(Capability.HANDLE_TICKETS)
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """A location's active tickets, soonest due first, with each person's load beside
    them. With htmx, changing a filter replaces only the list."""
    locations = queries.ticket_locations(request.user)
    location = _queue_location(request, locations)
    handlers = queries.ticket_handlers(location)
    form = QueueFilterForm(request.GET, handlers=handlers, me=request.user)
    now = timezone.now()
    tickets_shown = queries.location_queue(location, form.to_filter(), now=now)
    page = Paginator(tickets_shown, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "location": location,
        "locations": locations,
        "form": form,
        "page": page,
        "now": now,
    }
    if request.htmx and request.htmx.target == "ticket-queue":
        return render(request, "service/tickets/_queue.html", context)
    context["load"] = queries.location_load(location, handlers=handlers, now=now)
    return render(request, "service/tickets/queue.html", context)


@requires(Capability.HANDLE_TICKETS)
def mine(request: HttpRequest) -> HttpResponse:
    """What the user has to do: their active tickets at every location, soonest due
    first, their open promises and the follow-ups due by today."""
    page = Paginator(queries.my_tickets(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "now": timezone.now()} | queries.my_care(request.user)
    return render(request, "service/tickets/mine.html", context)


# --- opening a ticket ---------------------------------------------------------------------


def _new_url(public_id: str, visit_id: str = "") -> str:
    url = reverse("tickets:new", args=[public_id])
    return f"{url}?{urlencode({'visit': visit_id})}" if visit_id else url


def _open_once(
    request: HttpRequest, customer: Customer, visit: Visit | None, values: dict[str, Any]
) -> Ticket:
    """Open the ticket; a form sent twice opens it once (``open_ticket`` returns the
    ticket opened with the same key, and when both requests ran at the very same
    moment the unique key refuses the second, which then finds the first's)."""
    try:
        return tickets.open_ticket(actor=request.user, customer=customer, visit=visit, **values)
    except IntegrityError:
        found = Ticket.objects.filter(request_key=values["request_key"]).first()
        if found is None:
            raise
        return found


@requires(Capability.HANDLE_TICKETS)
def new(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Open a ticket for a customer, optionally about one of their visits (``?visit=``).
    The form carries a one-time key, so sending it twice opens one ticket."""
    customer = get_customer_for(request.user, public_id)
    locations = queries.ticket_locations(request.user)
    visit_id = request.GET.get("visit", "")
    visit = find_visit(customer.pk, visit_id) if visit_id else None
    visit_error = ""
    if visit_id and visit is None:
        visit_error = _(
            "The visit “%(visit)s” is not one of %(name)s’s visits: open the ticket from "
            "the visit on their profile."
        ) % {"visit": visit_id, "name": customer.display_name}
    by_id = {str(loc.pk): loc for loc in locations}
    default_location = (
        by_id.get(request.GET.get("location", ""))
        or (visit.location if visit is not None else None)
        or customer.home_location
    )
    form = OpenTicketForm(
        request.POST if request.method == "POST" else None,
        locations=locations,
        default_location=default_location,
        handlers_at=queries.ticket_handlers,
        me=request.user,
        refresh_url=_new_url(customer.public_id, visit_id),
    )
    if request.method == "POST" and not visit_error and form.is_valid():
        try:
            ticket = _open_once(request, customer, visit, form.ticket_values())
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Ticket “%(subject)s” opened.") % {"subject": ticket.subject}
            )
            return redirect("tickets:detail", ticket_id=ticket.public_id)
    return render(
        request,
        "service/tickets/new.html",
        {"form": form, "customer": customer, "visit": visit, "visit_error": visit_error},
    )


# --- a ticket -------------------------------------------------------------------------------


@requires(Capability.HANDLE_TICKETS)
def detail(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """The ticket: what it is about, its timeline, and what can be done with it now."""
    ticket = queries.get_ticket_for(request.user, ticket_id)
    active = ticket.status in ACTIVE
    handlers = queries.ticket_handlers(ticket.location_id) if active else []
    context = {
        "ticket": ticket,
        "events": queries.ticket_timeline(ticket),
        "overdue": queries.is_overdue(ticket),
        "moves": [(status, MOVE_LABELS[status]) for status in queries.allowed_moves(ticket)],
        "move_form": MoveForm(initial={"version": ticket.version}),
        "hand_over_form": (
            HandOverForm(ticket=ticket, handlers=handlers, me=request.user) if active else None
        ),
        "note_form": NoteForm(),
        "priority_form": PriorityForm(ticket=ticket),
    }
    return render(request, "service/tickets/detail.html", context)


def _act(
    request: HttpRequest,
    ticket: Ticket,
    form: Any,
    change: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Apply ``change`` when the form is valid; either way back to the ticket, with a
    message saying what happened or why nothing did (someone else changed the ticket
    first, a move the flow does not allow, bad input)."""
    if not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, " ".join(dict.fromkeys(problems)))
    else:
        try:
            notice = change(form.cleaned_data)
        except (tickets.StaleTicket, ValueError) as exc:  # IllegalMove is a ValueError
            messages.error(request, str(exc))
        else:
            messages.success(request, notice)
    return redirect("tickets:detail", ticket_id=ticket.public_id)


@requires(Capability.HANDLE_TICKETS)
@require_POST
def move(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = queries.get_ticket_for(request.user, ticket_id)

    def change(data: dict[str, Any]) -> str:
        tickets.move_ticket(
            actor=request.user,
            ticket=ticket,
            status=data["status"],
            expected_version=data["version"],
            text=data["text"],
        )
        return _("The ticket is now “%(status)s”.") % {"status": TicketStatus(ticket.status).label}

    return _act(request, ticket, MoveForm(request.POST), change)


@requires(Capability.HANDLE_TICKETS)
@require_POST
def hand_over(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = queries.get_ticket_for(request.user, ticket_id)
    handlers = queries.ticket_handlers(ticket.location_id)
    form = HandOverForm(request.POST, ticket=ticket, handlers=handlers, me=request.user)

    def change(data: dict[str, Any]) -> str:
        colleague = form.colleague()
        tickets.hand_over(
            actor=request.user,
            ticket=ticket,
            to=colleague,
            expected_version=data["version"],
            note=data["note"],
        )
        if colleague.pk == request.user.pk:
            return _("The ticket is now yours.")
        return _("The ticket is now with %(name)s.") % {"name": person_name(colleague)}

    return _act(request, ticket, form, change)


@requires(Capability.HANDLE_TICKETS)
@require_POST
def note(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = queries.get_ticket_for(request.user, ticket_id)
    form = NoteForm(request.POST)

    def change(data: dict[str, Any]) -> str:
        tickets.add_note(
            actor=request.user, ticket=ticket, text=data["text"], to_customer=form.to_customer
        )
        if form.to_customer:
            return _("What was said to the customer is noted.")
        return _("Internal note added.")

    return _act(request, ticket, form, change)


@requires(Capability.HANDLE_TICKETS)
@require_POST
def priority(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = queries.get_ticket_for(request.user, ticket_id)

    def change(data: dict[str, Any]) -> str:
        tickets.set_priority(
            actor=request.user,
            ticket=ticket,
            priority=data["priority"],
            expected_version=data["version"],
        )
        return _("The priority is now “%(priority)s”.") % {
            "priority": Priority(ticket.priority).label
        }

    return _act(request, ticket, PriorityForm(request.POST), change)


# --- service levels -----------------------------------------------------------------------


@requires(Capability.MANAGE_SERVICE_LEVELS)
def service_levels(request: HttpRequest) -> HttpResponse:
    """Managers set, per kind and priority, how long a ticket may take to resolve (in
    opening hours), and per kind how many days after resolving the follow-up comes.
    Any bad value: nothing is saved, the error stands next to the field."""
    form = ServiceLevelsForm(
        request.POST if request.method == "POST" else None,
        levels=queries.service_level_hours(),
        days=queries.follow_up_day_settings(),
    )
    if request.method == "POST" and form.is_valid():
        levels, days = form.changes()
        try:
            with transaction.atomic():  # all of them or none
                for level in levels:
                    tickets.set_service_level(
                        actor=request.user,
                        kind=level.kind,
                        priority=level.priority,
                        resolve_within=level.value,
                    )
                for rule in days:
                    followups.set_follow_up_days(
                        actor=request.user, kind=rule.kind, days=rule.value
                    )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            if levels or days:
                messages.success(request, _("Service levels saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("tickets:service_levels")
    return render(
        request,
        "service/tickets/service_levels.html",
        {"form": form, "priorities": Priority.choices},
    )
