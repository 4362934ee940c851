"""The counter: recognise a customer from a few keystrokes, see how to greet them, log
the visit in one click, or add a new customer with only what they offer.

Works with htmx (results as staff type, the card without a page load) and without
JavaScript (every form also posts or gets a whole page). Thin: search, the greeting
card and the writes live in ``customers.search``, ``customers.greeting`` and the
services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from regulars.accounts.access import access_for, chosen_location, requires
from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.core.permissions import Capability
from regulars.customers import services as customer_services
from regulars.customers.greeting import build_greeting_card
from regulars.customers.models import Customer
from regulars.customers.queries import get_customer_for
from regulars.customers.quickadd import QuickAddForm
from regulars.customers.search import search_customers
from regulars.service import after_visit, followups, services, waiting
from regulars.service.forms import CounterVisitForm

RESULTS = 8
FOLLOW_UPS_SHOWN = 10  # the oldest follow-ups due at the location; the rest in "mine"
SESSION_LOCATION = "counter_location"
# Links offered after a visit was logged (the survey slip), kept for the page that a
# plain form post redirects to: {"customer": public id, "links": [[label, url], ...]}.
SESSION_AFTER_VISIT = "counter_after_visit"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def counter_locations(user: Any) -> list[Location]:
    """The user's locations where they may serve at the counter (log visits)."""
    return access_for(user).locations_with(Capability.LOG_VISITS)


def counter_location(request: HttpRequest) -> Location:
    """The counter's location: the one asked for (and remembered), else the last used,
    else the user's first. A location the user may not serve at is refused."""
    return chosen_location(request, counter_locations(request.user), SESSION_LOCATION)


def _counter_url(**params: str) -> str:
    query = {k: v for k, v in params.items() if v}
    url = reverse("counter:page")
    return f"{url}?{urlencode(query)}" if query else url


def _hits(request: HttpRequest, location: Location, text: str) -> list[Any]:
    if not access_for(request.user).can(Capability.VIEW_CUSTOMERS):
        raise PermissionDenied
    return search_customers(text, location=location, limit=RESULTS)


def _card_context(request: HttpRequest, customer: Customer, location: Location) -> dict[str, Any]:
    customer_services.record_view(actor=request.user, customer=customer)
    return {
        "card": build_greeting_card(customer, location=location),
        "customer": customer,
        "visit_form": CounterVisitForm(location=location, prefix="visit"),
        "location": location,
    }


def _done(
    request: HtmxHttpRequest,
    customer: Customer,
    location: Location,
    notice: str,
    links: list[after_visit.AfterVisitLink] | None = None,
) -> HttpResponse:
    """After a write: the customer's card with the notice (htmx), or the counter page
    showing it (a plain form post: redirect, then the message). ``links`` are offered
    beside the notice (what to do next, such as printing the survey slip)."""
    if not request.htmx:
        messages.success(request, notice)
        if links:
            request.session[SESSION_AFTER_VISIT] = {
                "customer": customer.public_id,
                "links": [list(link) for link in links],
            }
        return redirect(_counter_url(customer=customer.public_id, location=str(location.pk)))
    context = _card_context(request, customer, location) | {
        "notice": notice,
        "after_visit": links or [],
    }
    return render(request, "service/_counter_card.html", context)


@requires(Capability.LOG_VISITS)
def page(request: HtmxHttpRequest) -> HttpResponse:
    """The counter page; ``?q=`` and ``?customer=`` render results and a card without
    JavaScript."""
    location = counter_location(request)
    text = request.GET.get("q", "")
    context: dict[str, Any] = {
        "location": location,
        "locations": counter_locations(request.user),
        "q": text,
        "hits": _hits(request, location, text) if text.strip() else None,
        "quick_add": None,
        "waiting": list(waiting.waiting_now(location)),
        "follow_ups": list(
            followups.due_follow_ups(
                today=local_today(location.timezone), location_ids=[location.pk]
            )[:FOLLOW_UPS_SHOWN]
        ),
    }
    public_id = request.GET.get("customer", "")
    if public_id:
        context |= _card_context(request, get_customer_for(request.user, public_id), location)
        kept = request.session.pop(SESSION_AFTER_VISIT, None)
        if kept and kept.get("customer") == public_id:
            context["after_visit"] = [tuple(link) for link in kept.get("links", [])]
    return render(request, "service/counter.html", context)


@requires(Capability.LOG_VISITS)
def search(request: HtmxHttpRequest) -> HttpResponse:
    location = counter_location(request)
    text = request.GET.get("q", "")
    if not request.htmx:
        return redirect(_counter_url(q=text, location=str(location.pk)))
    hits = _hits(request, location, text) if text.strip() else None
    return render(
        request,
        "service/_counter_results.html",
        {"hits": hits, "q": text, "location": location},
    )


@requires(Capability.LOG_VISITS)
def card(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    location = counter_location(request)
    customer = get_customer_for(request.user, public_id)
    if not request.htmx:
        return redirect(_counter_url(customer=customer.public_id, location=str(location.pk)))
    return render(request, "service/_counter_card.html", _card_context(request, customer, location))


@requires(Capability.LOG_VISITS)
def log_visit(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """POST: log a visit now at the counter's location; the card comes back updated."""
    if request.method != "POST":
        return redirect(_counter_url(customer=public_id))
    location = counter_location(request)
    customer = get_customer_for(request.user, public_id)
    form = CounterVisitForm(request.POST, location=location, prefix="visit")
    if form.is_valid():
        visit = services.log_visit(actor=request.user, customer=customer, **form.visit_values())
        notice = _("Visit of %(name)s logged.") % {"name": customer.display_name}
        return _done(request, customer, location, notice, after_visit.links_after(visit))
    context = _card_context(request, customer, location) | {"visit_form": form}
    if not request.htmx:
        return render(
            request,
            "service/counter.html",
            context | {"locations": counter_locations(request.user), "q": "", "hits": None},
        )
    return render(request, "service/_counter_card.html", context)


@requires(Capability.EDIT_CUSTOMERS)
def quick_add(request: HtmxHttpRequest) -> HttpResponse:
    """A new customer from what they offer; then their card, ready to log the visit."""
    location = counter_location(request)
    data = request.POST if request.method == "POST" else None
    initial = _initial_from_query(request.GET.get("q", ""))
    form = QuickAddForm(data, initial=initial, region=location.country, prefix="new")
    if request.method == "POST" and form.is_valid():
        customer = customer_services.create_customer(
            actor=request.user, home_location=location, **form.create_values()
        )
        notice = _("%(name)s added.") % {"name": customer.display_name}
        return _done(request, customer, location, notice)
    context = {"quick_add": form, "form": form, "location": location, "existing": form.existing}
    if request.htmx:
        return render(request, "service/_counter_quick_add.html", context)
    return render(
        request,
        "service/counter.html",
        context | {"locations": counter_locations(request.user), "q": "", "hits": None},
    )


def _initial_from_query(text: str) -> dict[str, str]:
    """What staff already typed in the search box, as a head start: digits become the
    phone, an address with @ the email, words the given and family name."""
    text = " ".join(text.split())[:200]
    if not text:
        return {}
    if "@" in text:
        return {"email": text}
    if sum(ch.isdigit() for ch in text) >= 3 and not any(ch.isalpha() for ch in text):
        return {"phone": text}
    given, _sep, family = text.partition(" ")
    return {"given_name": given.title(), "family_name": family.title()}
