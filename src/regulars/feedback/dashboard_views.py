"""The feedback dashboard for managers (``/feedback/``) and the comments behind each of
its figures (``/feedback/comments/``). Thin: the form picks the responses,
``feedback.dashboard`` loads and computes, this module formats for the user's locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import person_name
from regulars.analytics.consistency import ConsistencyResult
from regulars.analytics.loyalty_link import LoyaltyLinkResult
from regulars.analytics.stats import Interval
from regulars.core.charts import interval_chart, line_chart
from regulars.core.localtime import local_today
from regulars.core.numbers import active_locale, format_number, format_share
from regulars.core.permissions import Capability
from regulars.feedback.dashboard import (
    RETURN_DAYS,
    DashboardFigures,
    FeedbackFilter,
    RecoveryFunnel,
    comment_ids,
    compute_dashboard,
    load_arrays,
    recovery_funnel,
)
from regulars.feedback.dashboard_forms import CommentsForm, DashboardForm
from regulars.feedback.instruments import Dimension, topic_label
from regulars.feedback.models import Response

COMMENTS_PAGE_SIZE = 25
TOPICS_CHARTED = 5  # the most mentioned topics get a line in the chart over time
FILTER_FIELDS = ("start", "end", "location", "staff", "channel", "trigger")


def _setup(request: HttpRequest, form_class: type[DashboardForm]) -> DashboardForm:
    locations = access_for(request.user).locations_with(Capability.VIEW_FEEDBACK)
    people: QuerySet[Any] = (
        get_user_model()
        .objects.filter(memberships__location__in=locations)
        .distinct()
        .order_by("username")
    )
    return form_class(
        request.GET, locations=locations, people=people, today=local_today(locations[0].timezone)
    )


@requires(Capability.VIEW_FEEDBACK)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _setup(request, DashboardForm)
    context: dict[str, Any] = {"form": form, "figures": None}
    if form.is_valid():
        flt = form.to_filter()
        arrays, _topics = load_arrays(flt)
        figures = compute_dashboard(arrays, period=flt.period)
        context.update(_Presenter(form, flt).present(figures, recovery_funnel(flt)))
        context["loyalty_earlier"] = _earlier_period_query(request, form.cleaned_data)
    return render(request, "feedback/dashboard.html", context)


def _earlier_period_query(request: HttpRequest, data: dict[str, Any]) -> str:
    """The same filter, every date 90 days earlier: answers whose 90 days have passed,
    for the "do they come back?" section when the chosen period is too recent."""
    query = request.GET.copy()
    for name in ("start", "end"):
        if data.get(name):
            query[name] = (data[name] - timedelta(days=RETURN_DAYS)).isoformat()
    return query.urlencode()


@requires(Capability.VIEW_FEEDBACK)
def comments(request: HttpRequest) -> HttpResponse:
    form = _setup(request, CommentsForm)
    context: dict[str, Any] = {"form": form, "page": None}
    if form.is_valid():
        flt = form.to_filter()
        data = form.cleaned_data
        ids = comment_ids(
            flt,
            topic=data.get("topic") or "",
            negative=bool(data.get("negative")),
            dimension=data.get("dimension") or "",
        )
        page = Paginator(ids, COMMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(
            Response.objects.filter(id__in=list(page.object_list))
            .select_related("customer", "location", "staff")
            .order_by("-submitted_at", "-id")
        )
        query = {k: v for k, v in request.GET.items() if k != "page"}
        context.update(
            {
                "page": page,
                "rows": rows,
                "total": format_number(len(ids)),
                "about": _about(data),
                "page_query": urlencode(query),
                "back_query": urlencode({k: v for k, v in query.items() if k in FILTER_FIELDS}),
            }
        )
    return render(request, "feedback/dashboard_comments.html", context)


def _about(data: dict[str, Any]) -> str:
    parts = []
    if data.get("topic"):
        template = (
            _("mentioning “%(topic)s” negatively")
            if data.get("negative")
            else _("mentioning “%(topic)s”")
        )
        parts.append(template % {"topic": topic_label(data["topic"])})
    if data.get("dimension"):
        parts.append(
            _("below expectations in “%(dimension)s”")
            % {"dimension": Dimension(data["dimension"]).label}
        )
    return ", ".join(parts)


# --- formatting ---------------------------------------------------------------------------


def _interval(ci: Interval | None, digits: int = 1, *, percent: bool = False) -> str:
    if ci is None:
        return ""
    fmt = format_share if percent else (lambda v: format_number(v, digits))
    return f"{fmt(ci.low)} – {fmt(ci.high)}"


def _day(day: date) -> str:
    return str(format_date(day, format="medium", locale=active_locale()))


@dataclass(frozen=True)
class Figure:
    """One headline number as shown: the value, its 95 % interval and its n."""

    key: str
    label: str
    value: str
    interval: str
    n: str
    small_sample: bool
    note: str = ""


class _Presenter:
    def __init__(self, form: DashboardForm, flt: FeedbackFilter) -> None:
        self.flt = flt
        self.base = {
            key: value for key in FILTER_FIELDS if (value := form.data.get(key)) not in (None, "")
        }

    def link(self, **changes: Any) -> str:
        query = {**self.base, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
        return reverse("feedback:comments") + "?" + urlencode(query)

    def present(self, figures: DashboardFigures, funnel: RecoveryFunnel) -> dict[str, Any]:
        return {
            "figures": figures,
            "headlines": self.headlines(figures),
            "period_label": _("by month") if figures.period == "month" else _("by week"),
            "trend_rows": self.trend_rows(figures),
            **self.trend_charts(figures),
            **self.quality(figures),
            "consistency": [
                self.consistency(_("Between staff members"), figures.staff_consistency, "staff"),
                self.consistency(_("Between locations"), figures.location_consistency, "location"),
            ],
            "loyalty": [
                self.loyalty(
                    _("By satisfaction (CSAT)"),
                    figures.loyalty_csat,
                    {level: str(level) for level in range(1, 6)},
                ),
                self.loyalty(
                    _("By recommendation (NPS group)"),
                    figures.loyalty_nps,
                    {0: _("Detractors (0–6)"), 1: _("Passives (7–8)"), 2: _("Promoters (9–10)")},
                ),
            ],
            "funnel": self.funnel(funnel),
            **self.topics(figures),
        }

    def headlines(self, f: DashboardFigures) -> list[Figure]:
        return [
            Figure(
                "nps",
                _("Net Promoter Score"),
                format_number(f.nps.score, 0),
                _interval(f.nps.ci, 0),
                format_number(f.nps.n, 0),
                f.nps.small_sample,
                _("%(promoters)s promoters, %(passives)s passives, %(detractors)s detractors")
                % {
                    "promoters": format_number(f.nps.promoters, 0),
                    "passives": format_number(f.nps.passives, 0),
                    "detractors": format_number(f.nps.detractors, 0),
                },
            ),
            Figure(
                "csat",
                _("Satisfaction (CSAT, mean of 1–5)"),
                format_number(f.csat.mean, 2),
                _interval(f.csat.mean_ci, 2),
                format_number(f.csat.n, 0),
                f.csat.small_sample,
            ),
            Figure(
                "csat_top2",
                _("Satisfied (CSAT 4 or 5)"),
                format_share(f.csat.top2_box),
                _interval(f.csat.top2_box_ci, percent=True),
                format_number(f.csat.n, 0),
                f.csat.small_sample,
            ),
            Figure(
                "ces",
                _("Effort (CES, mean of 1–7, higher is easier)"),
                format_number(f.ces.mean, 2),
                _interval(f.ces.mean_ci, 2),
                format_number(f.ces.n, 0),
                f.ces.small_sample,
                _("%(share)s found it easy (5–7)") % {"share": format_share(f.ces.easy_share)}
                if f.ces.n
                else "",
            ),
        ]

    def bucket_end(self, start: date, period: str) -> date:
        if period == "week":
            end = start + timedelta(days=6)
        else:
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            end = following - timedelta(days=1)
        return min(end, self.flt.end)

    def trend_rows(self, f: DashboardFigures) -> list[dict[str, Any]]:
        rows = []
        for b in f.trend.buckets:
            start = max(b.start, self.flt.start)
            rows.append(
                {
                    "label": _day(b.start),
                    "n": format_number(b.n, 0),
                    "nps": format_number(b.nps, 0),
                    "nps_ci": _interval(b.nps_ci, 0),
                    "csat": format_number(b.csat_mean, 2),
                    "csat_ci": _interval(b.csat_mean_ci, 2),
                    "small_sample": b.n < 30,
                    "link": self.link(
                        start=start.isoformat(),
                        end=self.bucket_end(b.start, f.period).isoformat(),
                    ),
                }
            )
        return rows

    def trend_charts(self, f: DashboardFigures) -> dict[str, SafeString]:
        labels = [_day(b.start) for b in f.trend.buckets]
        buckets = f.trend.buckets
        x_label = _("Month starting") if f.period == "month" else _("Week starting")

        def chart(
            name: str, values: list[Any], intervals: list[Any], title: str, digits: int
        ) -> SafeString:
            return interval_chart(
                labels,
                [
                    (
                        name,
                        values,
                        [ci.low if ci else None for ci in intervals],
                        [ci.high if ci else None for ci in intervals],
                    )
                ],
                title=title,
                x_label=x_label,
                width=800,
                value_format=lambda v: format_number(v, digits),
            )

        return {
            "nps_chart": chart(
                _("NPS"),
                [b.nps for b in buckets],
                [b.nps_ci for b in buckets],
                # xgettext:no-python-format
                _("Net Promoter Score with its 95% interval"),
                0,
            ),
            "csat_chart": chart(
                _("CSAT"),
                [b.csat_mean for b in buckets],
                [b.csat_mean_ci for b in buckets],
                # xgettext:no-python-format
                _("Mean satisfaction (1–5) with its 95% interval"),
                2,
            ),
        }

    def quality(self, f: DashboardFigures) -> dict[str, Any]:
        q = f.quality
        if q is None:
            return {"quality": None}
        rows = [
            {
                "label": Dimension(d.dimension).label,
                "n": format_number(d.n, 0),
                "gap": format_number(d.gap, 2),
                "gap_ci": _interval(d.gap_ci, 2),
                "expectation": format_number(d.mean_expectation, 2),
                "perception": format_number(d.mean_perception, 2),
                "alpha_perception": format_number(d.alpha_perception, 2),
                "alpha_expectation": format_number(d.alpha_expectation, 2),
                "importance": format_number(d.mean_importance, 1),
                "small_sample": d.small_sample,
                "link": self.link(dimension=d.dimension),
            }
            for d in q.dimensions
        ]
        chart = interval_chart(
            [str(Dimension(d.dimension).label) for d in q.dimensions],
            [
                (
                    _("Perception − expectation"),
                    [d.gap for d in q.dimensions],
                    [d.gap_ci.low if d.gap_ci else None for d in q.dimensions],
                    [d.gap_ci.high if d.gap_ci else None for d in q.dimensions],
                )
            ],
            # xgettext:no-python-format
            title=_("Quality gap by dimension with its 95% interval"),
            joined=False,
            width=800,
            value_format=lambda v: format_number(v, 2),
        )
        return {
            "quality": {
                "rows": rows,
                "chart": chart,
                "weighted_gap": format_number(q.weighted_gap, 2),
                "weighted_gap_ci": _interval(q.weighted_gap_ci, 2),
                "weighted_n": format_number(q.weighted_n, 0),
                "with_importance": format_number(q.with_importance, 0),
                "small_sample": q.small_sample,
            }
        }

    def consistency(self, title: str, c: ConsistencyResult, kind: str) -> dict[str, Any]:
        names = self._names(c, kind)
        groups = [
            {
                "name": names.get(g.label, str(g.label)),
                "n": format_number(g.n, 0),
                "mean": format_number(g.mean, 2),
                "ci": _interval(g.ci, 2),
                "difference": format_number(g.difference, 2),
                "p": format_number(g.p_adjusted, 3) if g.p_adjusted is not None else "",
                "differs": g.differs,
                "higher": g.difference > 0,
                "small_sample": g.small_sample,
                "link": self.link(**{kind: g.label}),
            }
            for g in sorted(c.groups, key=lambda g: g.mean, reverse=True)
        ]
        return {
            "kind": kind,
            "title": title,
            "n": format_number(c.n, 0),
            "groups_count": format_number(c.n_groups, 0),
            "icc": format_number(c.icc1, 3),
            "icc_ci": _interval(c.icc1_ci, 3),
            "share": format_share(c.variance_between_share),
            "p": format_number(c.p_value, 3) if c.p_value is not None else "",
            "small_sample": c.n < 30,
            "groups": groups,
            "differing": [g for g in groups if g["differs"]],
        }

    def _names(self, c: ConsistencyResult, kind: str) -> dict[Any, str]:
        ids = [g.label for g in c.groups]
        if kind == "location":
            return {loc.pk: loc.name for loc in self.flt.locations if loc.pk in ids}
        users = get_user_model().objects.filter(pk__in=ids) if ids else []
        return {user.pk: person_name(user) for user in users}

    def loyalty(
        self, title: str, result: LoyaltyLinkResult, labels: dict[Any, str]
    ) -> dict[str, Any]:
        rows = [
            {
                "label": labels.get(level.level, str(level.level)),
                "n": format_number(level.n, 0),
                "returned": format_number(level.returned, 0),
                "rate": format_share(level.rate),
                "ci": _interval(level.ci, percent=True),
                "small_sample": level.small_sample,
            }
            for level in result.levels
        ]
        chart = interval_chart(
            [str(r["label"]) for r in rows],
            [
                (
                    _("Came back within 90 days"),
                    [None if lv.rate is None else lv.rate * 100 for lv in result.levels],
                    [lv.ci.low * 100 if lv.ci else None for lv in result.levels],
                    [lv.ci.high * 100 if lv.ci else None for lv in result.levels],
                )
            ],
            title=title,
            unit="%",
            joined=False,
            value_format=lambda v: format_number(v, 0),
        )
        return {
            "title": title,
            "rows": rows,
            "chart": chart,
            "n": format_number(result.n, 0),
            "pending": format_number(result.pending, 0),
            "trend_p": format_number(result.trend_p, 3) if result.trend_p is not None else "",
            "small_sample": result.n < 30,
        }

    def funnel(self, r: RecoveryFunnel) -> dict[str, Any]:
        steps = [
            (_("Unhappy answers (detractors)"), r.detractors),
            (_("Recoveries opened"), r.opened),
            (_("Contacted"), r.contacted),
            (_("Remedy given"), r.remedy),
            (_("Asked again"), r.resurveyed),
            (_("Recovered"), r.recovered),
            (_("Lost"), r.lost),
            (_("Still under way"), r.still_open),
        ]
        return {
            "steps": [(label, format_number(count, 0)) for label, count in steps],
            "rate": format_share(r.rate),
            "rate_ci": _interval(r.rate_ci, percent=True),
            "ended": format_number(r.recovered + r.lost, 0),
            "median_hours": format_number(r.median_hours, 1),
            "small_sample": r.small_sample,
        }

    def topics(self, f: DashboardFigures) -> dict[str, Any]:
        rows = [
            {
                "topic": t.topic,
                "label": topic_label(t.topic),
                "mentions": format_number(t.mentions, 0),
                "share": format_share(t.share),
                "share_ci": _interval(t.share_ci, percent=True),
                "negative": format_number(t.negative, 0),
                "negative_share": format_share(t.negative_share),
                "small_sample": t.small_sample,
                "link": self.link(topic=t.topic),
                "negative_link": self.link(topic=t.topic, negative="on") if t.negative else "",
            }
            for t in f.topics
        ]
        charted = f.topics[:TOPICS_CHARTED]
        chart = line_chart(
            [_day(start) for start in f.bucket_starts],
            [
                (topic_label(t.topic), [None if s is None else s * 100 for s in t.by_bucket])
                for t in charted
            ],
            title=_("Share of comments mentioning each topic"),
            unit="%",
            x_label=_("Month starting") if f.period == "month" else _("Week starting"),
            width=800,
            value_format=lambda v: format_number(v, 0),
        )
        return {
            "topic_rows": rows,
            "topics_chart": chart,
            "commented": format_number(f.commented, 0),
            "all_comments_link": self.link(),
        }
