"""The public one-click unsubscribe page under /o/u/<token>/ (no sign-in).

GET shows one button ("Stop e-mails from <business>?", or texts, post, calls,
everything) in the customer's language and changes nothing: mail scanners open links.
POST records the withdrawal as a new ``Consent`` row (granted=False) for the link's
channel, or for every channel, and confirms it; repeating it adds nothing. A mail
client's RFC 8058 one-click POST (body ``List-Unsubscribe=One-Click``) withdraws the
link's channel directly. A made-up or altered link gets a 404 page in the browser's
language and changes nothing.

Like the survey pages: rate-limited per address, never cached, no referrer sent (the
token is in the URL), not indexed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from regulars.accounts.models import Location
from regulars.core.models import Source
from regulars.customers.models import ConsentChannel, Customer
from regulars.customers.queries import consent_in_force
from regulars.customers.services import record_consent
from regulars.feedback.survey_views import open_page
from regulars.outreach.links import ALL, BadLink, UnsubscribeKey, read_token

METHOD = "unsubscribe link"  # Consent.method of every withdrawal made here
ONE_CLICK = "One-Click"  # RFC 8058: the body is List-Unsubscribe=One-Click
USER_AGENT_MAX = 200

# Per channel: the question (heading), the button, the confirmation.
WORDING: dict[str, tuple[Promise, Promise, Promise]] = {
    ConsentChannel.EMAIL: (
        _("Stop e-mails from %(business)s?"),
        _("Stop e-mails"),
        _("You will get no more e-mails from %(business)s."),
    ),
    ConsentChannel.SMS: (
        _("Stop text messages from %(business)s?"),
        _("Stop text messages"),
        _("You will get no more text messages from %(business)s."),
    ),
    ConsentChannel.POST: (
        _("Stop post from %(business)s?"),
        _("Stop post"),
        _("You will get no more post from %(business)s."),
    ),
    ConsentChannel.PHONE: (
        _("Stop phone calls from %(business)s?"),
        _("Stop phone calls"),
        _("You will get no more phone calls from %(business)s."),
    ),
    ALL: (
        _("Stop everything from %(business)s?"),
        _("Stop everything"),
        _("You will get no more e-mails, text messages, post or phone calls from %(business)s."),
    ),
}


# Open to anyone, rate-limited per address, never cached, sending no referrer.
public_page = open_page("unsubscribe")


# --- Withdrawing consent --------------------------------------------------------------


def channels_of(channel: str) -> list[str]:
    """The consent channels a link's channel stands for."""
    return list(ConsentChannel.values) if channel == ALL else [channel]


def withdrawn(customer: Customer, channel: str) -> bool:
    """True when consent for ``channel`` (every channel, for "all") is withdrawn now."""
    state = consent_in_force(customer)
    return all((c := state[name]) is not None and not c.granted for name in channels_of(channel))


def withdraw(customer: Customer, channel: str, *, proof: str) -> list[str]:
    """Record a withdrawal for ``channel`` (or every channel for "all") where consent is
    not already withdrawn; the channels newly withdrawn. Rows are only ever added."""
    with transaction.atomic():
        # Two clicks at once (a double click, a mail client and its user): lock the
        # customer so the second sees the first's rows and adds none.
        Customer.objects.select_for_update().filter(pk=customer.pk).exists()
        state = consent_in_force(customer)
        newly = []
        for name in channels_of(channel):
            latest = state[name]
            if latest is not None and not latest.granted:
                continue
            record_consent(
                actor=None,
                customer=customer,
                channel=name,
                granted=False,
                method=METHOD,
                proof=proof,
                source=Source.OFFERED,
            )
            newly.append(name)
    return newly


def _proof(request: HttpRequest, channel: str, *, one_click: bool) -> str:
    """What the withdrawal's record keeps: the link's channel, how and when, the
    browser or mail client; never the address it came from."""
    how = "one-click (RFC 8058)" if one_click else "unsubscribe page"
    agent = str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
    at = timezone.now().isoformat(timespec="seconds")
    return f"link for {channel}; {how}; at {at}; user agent: {agent or '-'}"


# --- The page -------------------------------------------------------------------------


def _business(customer: Customer) -> Location | None:
    """The business the customer hears from: their home location, else the location
    of their latest message, else the first location."""
    if customer.home_location is not None:
        return customer.home_location
    latest = customer.messages.select_related("location").order_by("-created_at", "-id").first()
    if latest is not None:
        return latest.location
    return Location.objects.order_by("id").first()


def _language(customer: Customer, business: Location | None) -> str:
    return customer.language or (business.language if business else "") or settings.LANGUAGE_CODE


def _render(
    request: HttpRequest,
    template: str,
    customer: Customer,
    key: UnsubscribeKey,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """A page in the customer's language, saying which language it is in."""
    business = _business(customer)
    language = _language(customer, business)
    values = {"business": business.name if business else ""}
    with translation.override(language):
        question, button, done = WORDING[key.channel]
        page = {
            "business": values["business"],
            "channel": key.channel,
            "is_all": key.channel == ALL,
            "question": str(question) % values,
            "button": str(button),
            "done": str(done) % values,
            "done_all": str(WORDING[ALL][2]) % values,
            "all_withdrawn": withdrawn(customer, ALL),
            **(context or {}),
        }
        response = render(request, template, page)
    response["Content-Language"] = language
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    """A made-up, altered or cut link, or a customer no longer stored: nothing to do,
    said in the browser's language (LocaleMiddleware chose it)."""
    return render(request, "outreach/unsubscribe_invalid.html", status=404)


@csrf_protect
def _page(request: HttpRequest, customer: Customer, key: UnsubscribeKey) -> HttpResponse:
    """The one-button page (GET) and its form (POST, CSRF-checked: it has a token)."""
    if request.method == "POST":
        channel = ALL if request.POST.get("scope") == ALL else key.channel
        withdraw(customer, channel, proof=_proof(request, key.channel, one_click=False))
        chosen = UnsubscribeKey(key.customer_public_id, channel)
        return _render(request, "outreach/unsubscribe_done.html", customer, chosen)
    return _render(
        request,
        "outreach/unsubscribe.html",
        customer,
        key,
        {"already": withdrawn(customer, key.channel)},
    )


def _one_click(request: HttpRequest, customer: Customer, key: UnsubscribeKey) -> HttpResponse:
    """RFC 8058: the mail client posts ``List-Unsubscribe=One-Click``; withdraw and say 200."""
    withdraw(customer, key.channel, proof=_proof(request, key.channel, one_click=True))
    return _render(request, "outreach/unsubscribe_done.html", customer, key)


# csrf_exempt only so that the RFC 8058 one-click POST can arrive: a mail client posts
# it without any cookie or form token, from outside any page of ours. The signed token
# in the URL is the authority for that request (it cannot be made up or altered, and
# it only ever withdraws consent); every other POST is the page's own form and goes
# through ``_page``, which checks the CSRF token as usual.
@public_page
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        key = read_token(token)
    except BadLink:
        return _invalid(request)
    customer = (
        Customer.objects.select_related("home_location")
        .filter(public_id=key.customer_public_id)
        .first()
    )
    if customer is None:
        return _invalid(request)
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == ONE_CLICK:
        return _one_click(request, customer, key)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    return _page(request, customer, key)
