"""The home page ("today at a glance") and the owners' audit log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, requires
from regulars.core.charts import bar_chart
from regulars.core.permissions import Capability
from regulars.web import queries
from regulars.web.forms import AuditFilterForm

AUDIT_PAGE_SIZE = 50
CHART_DAYS = 14


@requires(Capability.USE_APP)
def home(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    now = timezone.now()
    today = queries.today_at_a_glance(access, now=now)
    daily = queries.visits_per_day([item.location for item in today], now=now, days=CHART_DAYS)
    chart = bar_chart(
        [date_format(day, "D j") for day in daily.days],
        daily.counts,
        title=_("Visits per day, last %(days)s days") % {"days": CHART_DAYS},
        unit=_("visits"),
        width=800,
    )
    return render(
        request,
        "web/home.html",
        {"today": today, "chart": chart, "show_money": access.can(Capability.VIEW_MONEY)},
    )


@requires(Capability.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    form = AuditFilterForm(request.GET or None, actors=queries.audit_actors(access))
    entries = queries.audit_entries(form.filters())
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    locations = access.locations()
    tz_name = locations[0].timezone if locations else "UTC"
    return render(
        request,
        "web/audit_log.html",
        {"form": form, "page": page, "tz_name": tz_name},
    )
