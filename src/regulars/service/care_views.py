"""Pages of the service desk beyond tickets: a return or exchange (at most three steps:
which visit, what/why/how, done), promises, follow-ups, and marking a queue wait at the
counter. Thin: the forms validate, the services check the rules and write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.accounts.access import requires
from regulars.accounts.models import Location, person_name
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.queries import get_customer_for
from regulars.service import followups, promises, queries, returns, waiting
from regulars.service.care_forms import (
    ClosePromiseForm,
    FollowUpForm,
    PromiseForm,
    ReturnForm,
)
from regulars.service.counter import counter_location
from regulars.service.models import Ticket, Visit, VisitLine

RECENT_VISITS = 6  # visits offered in the return's first step


def _back(request: HttpRequest, customer: Customer) -> str:
    """Where to go after a write: ``next`` when it is a page of this site, else the
    customer's profile."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("customers:detail", kwargs={"public_id": customer.public_id})


def _visit_of(customer: Customer, public_id: str) -> Visit:
    try:
        return Visit.objects.prefetch_related("lines").get(public_id=public_id, customer=customer)
    except Visit.DoesNotExist as exc:
        raise Http404 from exc


@requires(Capability.HANDLE_TICKETS)
def return_new(request: HttpRequest, public_id: str) -> HttpResponse:
    """Step 1: which visit it was bought in (skipped when the link names it or the
    customer has none with items); step 2: what, why and how, in one form."""
    customer = get_customer_for(request.user, public_id)
    locations = queries.ticket_locations(request.user)
    if not locations:
        raise PermissionDenied
    asked = request.GET.get("visit", "")
    next_url = request.GET.get("next", "")
    if not asked:
        recent = list(
            Visit.objects.filter(customer=customer, lines__isnull=False)
            .distinct()
            .select_related("location")
            .prefetch_related(Prefetch("lines", queryset=VisitLine.objects.order_by("id")))
            .order_by("-at", "-id")[:RECENT_VISITS]
        )
        if recent:
            return render(
                request,
                "service/care/return_visit.html",
                {"customer": customer, "visits": recent, "next": next_url},
            )
    visit = _visit_of(customer, asked) if asked and asked != "none" else None
    default = visit.location if visit is not None else customer.home_location
    form = ReturnForm(
        request.POST if request.method == "POST" else None,
        locations=locations,
        default_location=default,
        visit=visit,
    )
    if request.method == "POST" and form.is_valid():
        try:
            details = returns.record_return(
                actor=request.user, customer=customer, **form.return_values()
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Return of %(name)s recorded: %(what)s.")
                % {"name": customer.display_name, "what": details.ticket.subject},
            )
            return redirect(_back(request, customer))
    return render(
        request,
        "service/care/return_form.html",
        {"customer": customer, "visit": visit, "form": form, "next": next_url},
    )


def _people(locations: list[Location]) -> list[tuple[int, str]]:
    """Everyone who handles tickets at one of ``locations``, by name."""
    users = {
        user.pk: person_name(user) for loc in locations for user in queries.ticket_handlers(loc)
    }
    return sorted(users.items(), key=lambda item: item[1].casefold())


@requires(Capability.HANDLE_TICKETS)
def promise_new(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = get_customer_for(request.user, public_id)
    locations = queries.ticket_locations(request.user)
    if not locations:
        raise PermissionDenied
    ticket = None
    if request.GET.get("ticket"):
        ticket = Ticket.objects.filter(
            public_id=request.GET["ticket"], customer=customer, location__in=locations
        ).first()
        if ticket is None:
            raise Http404
    form = PromiseForm(
        request.POST if request.method == "POST" else None,
        locations=locations,
        default_location=ticket.location if ticket else customer.home_location,
        people=_people(locations),
        me=int(request.user.pk or 0),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = get_user_model().objects.get(pk=data["owner"])  # one of those offered
        try:
            promises.make_promise(
                actor=request.user,
                location=data["location"],
                customer=customer,
                text=data["text"],
                due_at=form.due_at(),
                owner=owner,
                ticket=ticket,
                request_key=data["request_key"],
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Promise to %(name)s recorded.") % {"name": customer.display_name}
            )
            return redirect(_back(request, customer))
    return render(
        request,
        "service/care/promise_form.html",
        {"customer": customer, "form": form, "ticket": ticket, "next": request.GET.get("next", "")},
    )


@require_POST
@requires(Capability.HANDLE_TICKETS)
def promise_close(request: HttpRequest, promise_id: str) -> HttpResponse:
    promise = queries.get_promise_for(request.user, promise_id)
    form = ClosePromiseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the promise was kept or broken."))
    else:
        data = form.cleaned_data
        try:
            promises.close_promise(
                actor=request.user,
                promise=promise,
                kept=data["kept"],
                expected_version=data["version"],
                note=data["note"],
            )
        except (ValueError, promises.StalePromise) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Promise closed."))
    if promise.customer is None:
        return redirect("tickets:mine")
    return redirect(_back(request, promise.customer))


@requires(Capability.HANDLE_TICKETS)
def follow_up(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    """The follow-up: what it is about, and its outcome once the customer was asked."""
    item = queries.get_follow_up_for(request.user, follow_up_id)
    form = FollowUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            followups.record_follow_up(
                actor=request.user,
                follow_up=item,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Follow-up recorded."))
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("care:follow_up", follow_up_id=item.pk)
    return render(request, "service/care/follow_up.html", {"item": item, "form": form})


# --- Waiting at the counter ---------------------------------------------------------------


def _to_counter(location: Location, customer: Customer | None = None) -> HttpResponse:
    url = reverse("counter:page") + f"?location={location.pk}"
    if customer is not None:
        url += f"&customer={customer.public_id}"
    return redirect(url)


@require_POST
@requires(Capability.LOG_VISITS)
def wait_start(request: HttpRequest) -> HttpResponse:
    """Someone (a customer, or an anonymous walk-in) started waiting at the counter's
    location (the one posted, else the counter's current one)."""
    location = counter_location(request)
    public_id = request.POST.get("customer", "")
    customer = get_customer_for(request.user, public_id) if public_id else None
    waiting.start_waiting(actor=request.user, location=location, customer=customer)
    return _to_counter(location, customer)


@require_POST
@requires(Capability.LOG_VISITS)
def wait_served(request: HttpRequest, wait_id: int) -> HttpResponse:
    wait = queries.get_wait_for(request.user, wait_id)
    try:
        waiting.serve(actor=request.user, wait=wait)
    except ValueError as exc:
        messages.error(request, str(exc))
    return _to_counter(wait.location, wait.customer)


@require_POST
@requires(Capability.LOG_VISITS)
def wait_cancel(request: HttpRequest, wait_id: int) -> HttpResponse:
    wait = queries.get_wait_for(request.user, wait_id)
    try:
        waiting.cancel_waiting(actor=request.user, wait=wait)
    except ValueError as exc:
        messages.error(request, str(exc))
    return _to_counter(wait.location)
