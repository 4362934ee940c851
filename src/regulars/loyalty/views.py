"""The loyalty dashboard (``/loyalty/``) and the customers of one stage
(``/loyalty/stage/<kind>/``), for managers. Thin: the form picks the locations,
``loyalty.queries`` reads, ``loyalty.dashboard`` and ``loyalty.people`` format."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import Location
from regulars.core.numbers import format_number
from regulars.core.permissions import Capability
from regulars.loyalty import dashboard as figures
from regulars.loyalty import display, queries, runs
from regulars.loyalty.forms import LocationForm
from regulars.loyalty.models import Method, Stage
from regulars.loyalty.people import customer_rows

PAGE_SIZE = 50


def _setup(request: HttpRequest) -> tuple[LocationForm, display.Reader | None]:
    """The filter form and, when it is valid, who reads and what they look at."""
    access = access_for(request.user)
    locations = access.locations_with(Capability.VIEW_LOYALTY)
    form = LocationForm(request.GET, locations=locations)
    if not form.is_valid():
        return form, None
    chosen = form.chosen_locations()
    everywhere = not form.cleaned_data.get("location") and len(locations) == (
        Location.objects.count()
    )
    reader = display.Reader(
        locations=chosen,
        scope=None if everywhere else [loc.pk for loc in chosen],
        money_at=frozenset(loc.pk for loc in chosen if access.can(Capability.VIEW_MONEY, loc.pk)),
        tz_name=chosen[0].timezone,
    )
    return form, reader


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@requires(Capability.VIEW_LOYALTY)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, reader = _setup(request)
    context: dict[str, Any] = {"form": form, "state": None}
    if reader is None:
        return render(request, "loyalty/dashboard.html", context)
    state = runs.run_state(reader)
    context["state"] = state
    snapshot = state.shown
    if snapshot is not None:
        location = form.cleaned_data.get("location") or ""
        sizes = figures.stage_sizes(snapshot, reader, location)
        at_risk = sizes[Stage.AT_RISK].count
        page = _page(request, queries.in_stage(snapshot, Stage.AT_RISK, reader.scope))
        context.update(
            {
                "reader": reader,
                "rules": snapshot.method == Method.RULES,
                "sizes": sizes,
                "stage_chart": figures.stage_chart(sizes),
                "horizons": figures.horizons_text(snapshot),
                "flows": figures.flows(snapshot, reader),
                "cohorts": figures.cohorts(snapshot),
                "value": figures.value(snapshot, reader),
                "holdout": figures.holdout(snapshot),
                "page": page,
                "rows": customer_rows(page.object_list, reader),
                "at_risk_count": format_number(at_risk, 0),
                "at_risk_link": display.stage_link(Stage.AT_RISK, location),
                "page_query": urlencode({"location": location} if location else {}),
            }
        )
    return render(request, "loyalty/dashboard.html", context)


@requires(Capability.VIEW_LOYALTY)
def stage_list(request: HttpRequest, kind: str) -> HttpResponse:
    stage = display.STAGE_OF_KEY.get(kind)
    if stage is None:
        raise Http404
    form, reader = _setup(request)
    context: dict[str, Any] = {
        "form": form,
        "stage": stage,
        "stage_key": kind,
        "stage_label": display.stage_label(stage),
        "snapshot": None,
    }
    snapshot = queries.latest_done() if reader is not None else None
    if reader is not None and snapshot is not None:
        location = form.cleaned_data.get("location") or ""
        page = _page(request, queries.in_stage(snapshot, stage, reader.scope))
        count = page.paginator.count
        context.update(
            {
                "snapshot": snapshot,
                "taken": display.when(snapshot.as_of, reader.tz_name),
                "reader": reader,
                "rules": snapshot.method == Method.RULES,
                "page": page,
                "rows": customer_rows(page.object_list, reader),
                "total": ngettext("%(count)s customer", "%(count)s customers", count)
                % {"count": format_number(count, 0)},
                "page_query": urlencode({"location": location} if location else {}),
                "back_query": urlencode({"location": location} if location else {}),
            }
        )
    return render(request, "loyalty/stage.html", context)
