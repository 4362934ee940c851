"""Logging visits: from a customer's profile or as an anonymous walk-in. Thin: the form
validates, ``services.log_visit`` writes."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import Location
from regulars.core.permissions import Capability
from regulars.customers.queries import get_customer_for
from regulars.service import after_visit, services
from regulars.service.forms import VisitForm
from regulars.service.models import Visit


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _logging_locations(request: HttpRequest) -> list[Location]:
    """The user's locations where they may log visits, in name order."""
    return access_for(request.user).locations_with(Capability.LOG_VISITS)


def _offer_links(request: HttpRequest, visit: Visit) -> None:
    """What the apps above offer right after a visit (e.g. the survey slip to print with
    the receipt), as messages on the next page."""
    for label, url in after_visit.links_after(visit):
        messages.info(request, format_html('<a href="{}">{}</a>', url, label))


@requires(Capability.LOG_VISITS)
def log_visit(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    customer = get_customer_for(request.user, public_id)
    contacts = (
        [c.person for c in customer.contacts.select_related("person")]
        if customer.is_organisation
        else []
    )
    form = VisitForm(
        request.POST if request.method == "POST" else None,
        locations=_logging_locations(request),
        default_location=customer.home_location,
        contacts=contacts,
    )
    if request.method == "POST" and form.is_valid():
        visit = services.log_visit(actor=request.user, customer=customer, **form.visit_values())
        messages.success(request, _("Visit of %(name)s logged.") % {"name": customer.display_name})
        _offer_links(request, visit)
        return redirect("customers:detail", public_id=customer.public_id)
    template = "service/_visit_form.html" if request.htmx else "service/log.html"
    return render(request, template, {"form": form, "customer": customer})


@requires(Capability.LOG_VISITS)
def walk_in(request: HttpRequest) -> HttpResponse:
    form = VisitForm(
        request.POST if request.method == "POST" else None,
        locations=_logging_locations(request),
    )
    if request.method == "POST" and form.is_valid():
        visit = services.log_visit(actor=request.user, customer=None, **form.visit_values())
        messages.success(request, _("Walk-in visit logged."))
        _offer_links(request, visit)
        return redirect("service:walk_in")
    return render(request, "service/log.html", {"form": form, "customer": None})
