"""The staff's agenda page, recording a call, and redeeming a voucher by its code or
from a customer's counter card. Thin: the agenda is ``outreach.agenda``, the writes are
``outreach.calls.record_call`` and ``outreach.redeem.redeem``.

Every form also works without JavaScript (plain posts, then a redirect with a message).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.accounts.access import access_for, chosen_location, requires
from regulars.accounts.models import Location
from regulars.core.localtime import day_bounds_utc, local_today
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.queries import get_customer_for
from regulars.outreach import redeem as redemption
from regulars.outreach.agenda import build_agenda
from regulars.outreach.calls import get_call_for, record_call
from regulars.outreach.models import Voucher
from regulars.outreach.vouchers import shown_code
from regulars.service.models import Visit

SESSION_LOCATION = "agenda_location"


def agenda_locations(user: Any) -> list[Location]:
    return access_for(user).locations_with(Capability.VIEW_AGENDA)


def redeem_locations(user: Any) -> list[Location]:
    return access_for(user).locations_with(Capability.LOG_VISITS)


def _agenda_url(location_id: int) -> str:
    return f"{reverse('outreach:agenda')}?{urlencode({'location': location_id})}"


@requires(Capability.VIEW_AGENDA)
def agenda(request: HttpRequest) -> HttpResponse:
    """Today's and this week's occasions, calls to make, cards waiting, and a box to
    redeem a voucher by its code."""
    locations = agenda_locations(request.user)
    location = chosen_location(request, locations, SESSION_LOCATION)
    context = {
        "agenda": build_agenda(location, user=request.user),
        "location": location,
        "locations": locations,
        "can_redeem": access_for(request.user).can(Capability.LOG_VISITS, location.pk),
    }
    return render(request, "outreach/agenda.html", context)


@requires(Capability.VIEW_AGENDA)
@require_POST
def call_done(request: HttpRequest) -> HttpResponseBase:
    """Record a call as made, with a note of how it went. A second submit of the same
    call says so and keeps the first note."""
    message = get_call_for(request.user, str(request.POST.get("message", ""))[:16])
    name = message.customer.display_name
    if record_call(message, request.user, str(request.POST.get("outcome", ""))):
        messages.success(request, _("Call to %(name)s recorded.") % {"name": name})
    else:
        messages.info(request, _("The call to %(name)s was already recorded.") % {"name": name})
    return redirect(_agenda_url(message.location_id))


# --- Vouchers -----------------------------------------------------------------------


def _visit_today(voucher: Voucher, location: Location) -> Visit | None:
    """The customer's latest visit at ``location`` today, to link the redemption to."""
    start, end = day_bounds_utc(local_today(location.timezone), location.timezone)
    return (
        Visit.objects.filter(
            customer_id=voucher.customer_id, location=location, at__gte=start, at__lt=end
        )
        .order_by("-at", "-id")
        .first()
    )


def _card_customer(request: HttpRequest) -> Customer | None:
    """The customer whose counter card the redemption came from, if any."""
    public_id = str(request.POST.get("customer") or request.GET.get("customer") or "")[:16]
    return get_customer_for(request.user, public_id) if public_id else None


def _counter_url(customer: Customer, location: Location) -> str:
    query = urlencode({"customer": customer.public_id, "location": str(location.pk)})
    return f"{reverse('counter:page')}?{query}"


@requires(Capability.LOG_VISITS)
def redeem(request: HttpRequest) -> HttpResponse:
    """GET ``?code=``: whose voucher it is and what it gives, with a button to redeem it.
    POST: redeem it (from that page, or from a customer's counter card with
    ``customer``), then back where the clerk came from."""
    locations = redeem_locations(request.user)
    location = chosen_location(request, locations, SESSION_LOCATION)
    customer = _card_customer(request)
    typed = str(request.POST.get("code") or request.GET.get("code") or "")[:40]
    if request.method == "POST":
        return _redeem_post(request, typed, location, customer)
    context: dict[str, Any] = {"typed": typed, "location": location, "locations": locations}
    if typed.strip():
        voucher = redemption.find_voucher(typed)
        if voucher is None:
            context["error"] = _(
                "No voucher has this code. Check the letters and numbers and try again."
            )
        else:
            context["found"] = redemption.describe(voucher, location=location, customer=customer)
    status = 404 if context.get("error") else 200
    return render(request, "outreach/agenda_redeem.html", context, status=status)


def _redeem_post(
    request: HttpRequest, typed: str, location: Location, customer: Customer | None
) -> HttpResponse:
    voucher = redemption.find_voucher(typed)
    try:
        done = redemption.redeem(
            voucher if voucher is not None else typed,
            user=request.user,
            location=location,
            visit=_visit_today(voucher, location) if voucher is not None else None,
            customer=customer,
        )
    except redemption.CannotRedeem as refused:
        if customer is not None:
            messages.error(request, refused.message)
            return redirect(_counter_url(customer, location))
        context: dict[str, Any] = {
            "typed": typed,
            "location": location,
            "locations": redeem_locations(request.user),
            "error": refused.message,
        }
        if refused.voucher is not None:
            context["found"] = redemption.describe(refused.voucher, location=location)
        status = 409 if refused.voucher is not None else 404
        return render(request, "outreach/agenda_redeem.html", context, status=status)
    messages.success(
        request,
        _("Voucher %(code)s redeemed: %(gives)s.")
        % {"code": shown_code(done.code), "gives": redemption.voucher_gives(done)},
    )
    if customer is not None:
        return redirect(_counter_url(customer, location))
    return redirect(_agenda_url(location.pk))
