"""Customer memory pages: the list, the profile with its inline editors, create, edit
and delete. Thin: forms validate, ``services`` write, ``queries`` read."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import Location
from regulars.core.models import Fact, Source
from regulars.core.permissions import Capability
from regulars.customers import queries, services
from regulars.customers.forms import (
    ConsentForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    CustomOccasionForm,
    HouseholdForm,
    InlineEditor,
    PetForm,
    PhoneForm,
    PreferenceForm,
    TagsForm,
)
from regulars.customers.models import (
    Customer,
    CustomOccasion,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    Preference,
)

LIST_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 50
PROFILE_TICKETS = 10
PROFILE_ANSWERS = 5  # survey answers shown on the profile, newest first


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Section:
    """One inline-editable part of the profile: its form and, for removable facts,
    the model and the field naming the customer that owns a row."""

    form: Callable[..., InlineEditor]
    model: type[Fact] | None = None
    owner: str = "customer"


SECTIONS: dict[str, Section] = {
    "phones": Section(PhoneForm, Phone),
    "tags": Section(TagsForm),
    "household": Section(HouseholdForm, HouseholdMember),
    "pets": Section(PetForm, Pet),
    "occasions": Section(CustomOccasionForm, CustomOccasion),
    "preferences": Section(PreferenceForm, Preference),
    "consent": Section(ConsentForm),
    "contacts": Section(ContactForm, OrganisationContact, owner="organisation"),
}


def _user_locations(request: HttpRequest) -> list[Location]:
    return access_for(request.user).locations()


def _default_region(request: HttpRequest) -> str:
    locations = _user_locations(request)
    return locations[0].country if locations else settings.DEFAULT_REGION


def _page_zone(request: HttpRequest) -> str:
    """Dates on a page are shown in the time zone of the user's first location."""
    locations = _user_locations(request)
    return locations[0].timezone if locations else settings.TIME_ZONE


def _region_of(request: HttpRequest, customer: Customer) -> str:
    if customer.home_location is not None:
        return customer.home_location.country
    return _default_region(request)


# --- List ---------------------------------------------------------------------------


@requires(Capability.VIEW_CUSTOMERS)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    customers = queries.customer_list(form.to_filter(timezone.now()))
    page = Paginator(customers, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "customers/list.html",
        {"form": form, "page": page, "page_zone": _page_zone(request)},
    )


# --- Profile --------------------------------------------------------------------------


def _profile_context(
    request: HttpRequest, customer: Customer, bound: dict[str, InlineEditor] | None = None
) -> dict[str, Any]:
    access = access_for(request.user)
    region = _region_of(request, customer)
    section_forms = {
        name: section.form(prefix=name, customer=customer, region=region)
        for name, section in SECTIONS.items()
    }
    section_forms.update(bound or {})
    custom_occasions = list(customer.occasions.select_related("entered_by"))
    for occasion in custom_occasions:
        occasion.provenance = queries.fact_provenance(occasion)  # type: ignore[attr-defined]
    return {
        "customer": customer,
        "profile": queries.customer_profile(customer),
        "custom_occasions": custom_occasions,
        "forms": section_forms,
        "money_locations": {
            loc for loc in access.location_ids if access.can(Capability.VIEW_MONEY, loc)
        },
        "page_zone": _page_zone(request),
        # The newest tickets (lazy: read only where the profile shows them), through the
        # reverse relation so this app needs no import from the service app above it.
        "tickets": customer.tickets.select_related("location").order_by("-created_at", "-id")[
            :PROFILE_TICKETS
        ],
        "ticket_locations": {
            loc for loc in access.location_ids if access.can(Capability.HANDLE_TICKETS, loc)
        },
        # Their newest survey answers with any service recovery, the same way (the
        # feedback app sits above this one).
        "survey_answers": customer.responses.select_related("location", "recovery").order_by(
            "-submitted_at", "-id"
        )[:PROFILE_ANSWERS],
    }


@requires(Capability.VIEW_CUSTOMERS)
def customer_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = queries.get_customer_for(request.user, public_id)
    services.record_view(actor=request.user, customer=customer)
    return render(request, "customers/detail.html", _profile_context(request, customer))


@requires(Capability.VIEW_CUSTOMERS)
def visit_history(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = queries.get_customer_for(request.user, public_id)
    access = access_for(request.user)
    page = Paginator(queries.visit_history(customer), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    services.record_view(actor=request.user, customer=customer)
    return render(
        request,
        "customers/visits.html",
        {
            "customer": customer,
            "page": page,
            "money_locations": {
                loc for loc in access.location_ids if access.can(Capability.VIEW_MONEY, loc)
            },
        },
    )


# --- Create, edit, delete -------------------------------------------------------------


@requires(Capability.EDIT_CUSTOMERS)
def customer_new(request: HttpRequest) -> HttpResponse:
    locations = _user_locations(request)
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        default_region=_default_region(request),
        initial={"home_location": locations[0].pk if len(locations) == 1 else None},
    )
    if request.method == "POST" and form.is_valid():
        customer = services.create_customer(
            actor=request.user,
            source=Source(form.cleaned_data["source"]),
            phones=form.phones(),
            tags=form.tag_names(),
            region=form.region(),
            **form.customer_fields(),
        )
        messages.success(request, _("%(name)s is saved.") % {"name": customer.display_name})
        return redirect("customers:detail", public_id=customer.public_id)
    return render(request, "customers/form.html", {"form": form, "customer": None})


@requires(Capability.EDIT_CUSTOMERS)
def customer_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = queries.get_customer_for(request.user, public_id, Capability.EDIT_CUSTOMERS)
    # A ModelForm writes the submitted values onto its instance while validating; give
    # it a copy so the service sees the stored values and records only real changes.
    form = CustomerForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(customer),
        default_region=_default_region(request),
    )
    if request.method == "POST" and form.is_valid():
        changed = services.update_customer(
            actor=request.user,
            customer=customer,
            changes=form.customer_fields(),
            source=Source(form.cleaned_data["source"]),
        )
        if changed:
            messages.success(request, _("Your changes are saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("customers:detail", public_id=customer.public_id)
    return render(request, "customers/form.html", {"form": form, "customer": customer})


@requires(Capability.DELETE_CUSTOMERS)
def customer_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    customer = queries.get_customer_for(request.user, public_id, Capability.DELETE_CUSTOMERS)
    if request.method == "POST":
        name = customer.display_name
        services.delete_customer(actor=request.user, customer=customer)
        messages.success(
            request, _("%(name)s and everything we knew about them is deleted.") % {"name": name}
        )
        return redirect("customers:list")
    return render(request, "customers/confirm_delete.html", {"customer": customer})


# --- Inline editing (htmx, with a plain POST + redirect fallback) ---------------------


def _section_response(
    request: HtmxHttpRequest,
    customer: Customer,
    name: str,
    bound: InlineEditor | None = None,
) -> HttpResponse:
    """The re-rendered section for htmx, else the whole profile (showing any errors)."""
    context = _profile_context(request, customer, {name: bound} if bound is not None else None)
    if request.htmx:
        context["oob"] = True
        return render(request, f"customers/sections/{name}.html", context)
    return render(request, "customers/detail.html", context)


def _section(name: str) -> Section:
    try:
        return SECTIONS[name]
    except KeyError as exc:
        raise Http404 from exc


def _anchor(customer: Customer, name: str) -> str:
    return reverse("customers:detail", args=[customer.public_id]) + f"#section-{name}"


@requires(Capability.EDIT_CUSTOMERS)
def section_add(request: HtmxHttpRequest, public_id: str, section: str) -> HttpResponse:
    spec = _section(section)
    customer = queries.get_customer_for(request.user, public_id, Capability.EDIT_CUSTOMERS)
    if request.method != "POST":
        return redirect(_anchor(customer, section))
    form = spec.form(
        request.POST, prefix=section, customer=customer, region=_region_of(request, customer)
    )
    if not form.is_valid():
        return _section_response(request, customer, section, form)
    form.commit(actor=request.user)
    if request.htmx:
        return _section_response(request, customer, section)
    messages.success(request, _("Saved."))
    return redirect(_anchor(customer, section))


@requires(Capability.EDIT_CUSTOMERS)
@require_POST
def section_remove(
    request: HtmxHttpRequest, public_id: str, section: str, fact_id: int
) -> HttpResponse:
    spec = _section(section)
    if spec.model is None:
        raise Http404
    customer = queries.get_customer_for(request.user, public_id, Capability.EDIT_CUSTOMERS)
    fact = spec.model._default_manager.filter(pk=fact_id, **{spec.owner: customer}).first()
    if fact is None:
        raise Http404
    services.remove_fact(actor=request.user, fact=fact)
    if request.htmx:
        return _section_response(request, customer, section)
    messages.success(request, _("Removed."))
    return redirect(_anchor(customer, section))
