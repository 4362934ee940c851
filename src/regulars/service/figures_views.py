"""The service figures page: a GET form (period, location, staff member) over
``figures.service_figures``, with headline rates and charts. Thin: the form picks, the
figures module computes, this module only formats for the user's locale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regulars.accounts.access import access_for, requires
from regulars.accounts.period_filter import PeriodFilterForm
from regulars.core.charts import bar_chart, line_chart
from regulars.core.localtime import local_today
from regulars.core.numbers import format_number, format_share
from regulars.core.permissions import Capability
from regulars.service.figures import Rate, ServiceFigures, service_figures
from regulars.service.flow import ReturnReason, TicketKind


class FiguresForm(PeriodFilterForm):
    """The service figures' filter: period, location, staff member."""


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str  # the share, formatted; "" when there was nothing to count
    count: str  # how many were judged ("n = ..."), formatted
    basis: str  # what was counted
    extra: str = ""  # what is still open


@requires(Capability.VIEW_SERVICE_FIGURES)
def page(request: HttpRequest) -> HttpResponse:
    locations = access_for(request.user).locations_with(Capability.VIEW_SERVICE_FIGURES)
    people = (
        get_user_model()
        .objects.filter(memberships__location__in=locations)
        .distinct()
        .order_by("username")
    )
    form = FiguresForm(
        request.GET, locations=locations, people=people, today=local_today(locations[0].timezone)
    )
    context: dict[str, Any] = {"form": form, "figures": None}
    if form.is_valid():
        figures = service_figures(
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            locations=form.chosen_locations(),
            staff=form.cleaned_data.get("staff"),
        )
        context.update(_presented(figures))
    return render(request, "service/figures.html", context)


# --- presentation -------------------------------------------------------------------------


def _percent(rate: Rate) -> str:
    return format_share(rate.share)


def _number(value: float) -> str:
    return format_number(value)


def _headline(key: str, label: str, rate: Rate, basis: str, extra: str = "") -> Headline:
    return Headline(key, label, _percent(rate), _number(rate.total), basis, extra)


def _presented(figures: ServiceFigures) -> dict[str, Any]:
    overdue, promises_overdue, not_done = (
        figures.overdue_now,
        figures.promises_overdue,
        figures.follow_ups_not_done,
    )
    headlines = [
        _headline(
            "first_contact",
            _("First-contact resolution"),
            figures.first_contact,
            _("resolved tickets"),
        ),
        _headline(
            "service_level",
            _("Resolved within the service level"),
            figures.service_level,
            _("resolved tickets with a due time"),
            ngettext(
                "%(count)s open ticket overdue now",
                "%(count)s open tickets overdue now",
                overdue,
            )
            % {"count": _number(overdue)},
        ),
        _headline(
            "promises",
            _("Promises kept"),
            figures.promises_kept,
            _("promises kept or broken"),
            ngettext(
                "%(count)s open promise overdue",
                "%(count)s open promises overdue",
                promises_overdue,
            )
            % {"count": _number(promises_overdue)},
        ),
        _headline(
            "follow_ups",
            _("Follow-ups done on time"),
            figures.follow_ups_on_time,
            _("follow-ups due"),
            ngettext(
                "%(count)s follow-up not done",
                "%(count)s follow-ups not done",
                not_done,
            )
            % {"count": _number(not_done)},
        ),
    ]
    return {
        "figures": figures,
        "headlines": headlines,
        "resolve_rows": [
            (
                TicketKind(r.kind).label,
                _number(r.count),
                _number(r.median_hours),
                _number(r.p90_hours),
            )
            for r in figures.resolve_times
        ],
        "returns_rows": [
            (
                ReturnReason(r.reason).label,
                _number(r.count),
                _percent(Rate(r.count, figures.returns_total)),
                r.pushed and r.count > 0,  # flagged: returns after pushed sales
            )
            for r in figures.returns
        ],
        **_charts(figures),
    }


def _charts(figures: ServiceFigures) -> dict[str, SafeString]:
    kinds = [str(TicketKind(r.kind).label) for r in figures.resolve_times]
    hours = _("hours")
    returns = [r for r in figures.returns if figures.returns_total]
    waits = {w.hour: w for w in figures.waits}
    span = range(min(waits), max(waits) + 1) if waits else range(0)
    return {
        "median_chart": bar_chart(
            kinds,
            [r.median_hours for r in figures.resolve_times],
            title=_("Median time to resolve, by kind"),
            unit=hours,
            value_format=_number,
        ),
        "p90_chart": bar_chart(
            kinds,
            [r.p90_hours for r in figures.resolve_times],
            title=_("90th percentile of the time to resolve, by kind"),
            unit=hours,
            value_format=_number,
        ),
        "returns_chart": bar_chart(
            [str(ReturnReason(r.reason).label) for r in returns],
            [r.count for r in returns],
            title=_("Returns by reason"),
            width=800,
            unit=_("returns"),
        ),
        "waits_chart": line_chart(
            [f"{hour:02d}:00" for hour in span],
            [
                (
                    _("Median"),
                    [waits[h].median_seconds / 60 if h in waits else None for h in span],
                ),
                (
                    _("90th percentile"),
                    [waits[h].p90_seconds / 60 if h in waits else None for h in span],
                ),
            ],
            title=_("Queue wait by hour of day"),
            width=800,
            unit=_("minutes"),
            x_label=_("Hour of day (local time)"),
            value_format=_number,
        ),
    }
