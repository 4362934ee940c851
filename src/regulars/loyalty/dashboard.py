"""The loyalty dashboard's figures, as shown: the state of the snapshot runs, the stage
sizes, the moves between stages, cohort retention, the value of the customer base and
the check of the models on held-out visits. Nothing is computed here that the snapshot
job has not already computed; this module reads ``Snapshot.figures`` (every key may be
missing in an older snapshot) and the standings of the reader's locations, and formats
them for the reader's locale.

What a reader sees is bounded by a :class:`Reader`: the locations they look at (their
own where they may see loyalty, or one of them), whether that is the whole business,
and where they may see money.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date, format_time
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regulars.accounts.models import Location
from regulars.core.charts import bar_chart, line_chart
from regulars.core.localtime import zone
from regulars.core.money import format_money
from regulars.core.numbers import active_locale, format_number, format_share
from regulars.loyalty import queries
from regulars.loyalty.models import Method, RunStatus, Snapshot, Stage

COHORTS_CHARTED = 6  # lines in the retention chart (one per colour and dash) ...
COHORTS_SPACING = 2  # ... for every second monthly cohort, the newest first
COHORTS_LISTED = 24  # the table under the chart goes back two years

# The identifier of each stage in URLs and in ``Snapshot.figures``: "at_risk", ...
STAGE_KEYS: dict[Stage, str] = {stage: stage.name.lower() for stage in Stage}
STAGE_OF_KEY: dict[str, Stage] = {key: stage for stage, key in STAGE_KEYS.items()}
FIRST_SEEN = "none"  # the flows' "from" of customers not in the previous snapshot

SLIPPING = frozenset({Stage.AT_RISK, Stage.LAPSED})
MODEL_NAMES = {"bgnbd": "BG/NBD", "gammagamma": "Gamma-Gamma", "paretonbd": "Pareto/NBD"}


@dataclass(frozen=True)
class Reader:
    """Who reads and what they look at.

    ``scope``: location ids, or None for the whole business (the reader looks at every
    location and may see loyalty at each); ``money_at``: the ids where they may see
    money; ``tz_name``: the zone dates are shown in."""

    locations: list[Location]
    scope: list[int] | None
    money_at: frozenset[int]
    tz_name: str

    @property
    def whole_business(self) -> bool:
        return self.scope is None

    @property
    def money(self) -> bool:
        """Money for everything in view (every location looked at)."""
        return bool(self.locations) and all(loc.pk in self.money_at for loc in self.locations)

    def money_for(self, location_id: int | None) -> bool:
        """Money of a customer who comes most to ``location_id`` (None: no location)."""
        if location_id is None:
            return self.whole_business and self.money
        return location_id in self.money_at


# --- reading the figures defensively ------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value: Any) -> int:
    number = _num(value)
    return int(number) if number is not None else 0


# --- formatting ---------------------------------------------------------------------------


def when(moment: datetime, tz_name: str) -> str:
    """A moment in the reader's zone, to the minute: "3 Nov 2026, 02:10"."""
    local = moment.astimezone(zone_of(tz_name))
    locale = active_locale()
    return "{}, {}".format(
        format_date(local.date(), format="medium", locale=locale),
        format_time(local, format="short", locale=locale),
    )


def day(on: date) -> str:
    return str(format_date(on, format="medium", locale=active_locale()))


def month(on: date) -> str:
    """ "Mar 2025"."""
    return str(format_date(on, format="MMM y", locale=active_locale()))


def zone_of(tz_name: str) -> Any:
    """The zone of a name, UTC for a bad one (a page never fails on a location's zone)."""
    try:
        return zone(tz_name)
    except ValueError:
        return zone("UTC")


def money(amount: Decimal | float | None, currency: str) -> str:
    if amount is None or not currency:
        return ""
    value = amount if isinstance(amount, Decimal) else Decimal(str(round(amount, 2)))
    try:
        return format_money(value, currency, translation.get_language() or "en")
    except (ValueError, KeyError):
        return f"{format_number(float(value), 2)} {currency}"


def stage_label(stage: Stage) -> str:
    return str(stage.label)


def stage_link(stage: Stage, location: str = "") -> str:
    url = reverse("loyalty:stage", kwargs={"kind": STAGE_KEYS[stage]})
    return f"{url}?location={location}" if location else url


# --- the runs ------------------------------------------------------------------------------


def warning_text(warning: Any) -> str:
    """One warning of a run in the reader's language (a generic line for an unknown
    code; never raises)."""
    w = _dict(warning)
    code = str(w.get("code", ""))
    count = _int(w.get("count"))
    number = format_number(count, 0)
    if code == "thin_data":
        reasons = {
            "too_few_customers": _("few customers (%(count)s)")
            % {"count": format_number(_int(w.get("customers")), 0)},
            "too_few_repeat_customers": _("few who came back (%(count)s)")
            % {"count": format_number(_int(w.get("repeat_customers")), 0)},
            "short_history": _("a short history of visits"),
            "too_few_spenders": _("few visits with an amount"),
        }
        said = [reasons.get(str(r), str(r)) for r in _list(w.get("reasons"))]
        if not said:
            return _("There is little data yet: read the figures with care.")
        return _("There is little data yet (%(reasons)s): read the figures with care.") % {
            "reasons": ", ".join(said)
        }
    if code == "future_visits":
        return ngettext(
            "%(count)s visit dated in the future was left out.",
            "%(count)s visits dated in the future were left out.",
            count,
        ) % {"count": number}
    if code == "duplicate_visits":
        return ngettext(
            "%(count)s visit logged twice was counted once.",
            "%(count)s visits logged twice were counted once.",
            count,
        ) % {"count": number}
    if code == "non_positive_amounts":
        return ngettext(
            "%(count)s visit with a zero or negative amount was left out of the spend.",
            "%(count)s visits with a zero or negative amount were left out of the spend.",
            count,
        ) % {"count": number}
    if code == "no_amounts":
        return _("No visit has an amount, so there is no spend or value per customer.")
    model = MODEL_NAMES.get(str(w.get("model", "")), str(w.get("model", "")))
    if code == "fit_not_converged":
        return _("The %(model)s model did not settle on a fit: its figures are rough.") % {
            "model": model
        }
    if code == "parameter_at_bound":
        return _(
            "A parameter of the %(model)s model reached its limit: its figures may be off."
        ) % {"model": model}
    return _("The snapshot noted something unusual (%(code)s).") % {"code": code or "?"}


@dataclass(frozen=True)
class RunState:
    """What the page says about the runs: the snapshot shown, and a newer run that
    failed or is still running."""

    shown: Snapshot | None
    taken: str = ""
    method: str = ""
    rules: bool = False
    warnings: tuple[str, ...] = ()
    failed: Snapshot | None = None
    failed_at: str = ""
    running: Snapshot | None = None
    running_since: str = ""
    customers: str = ""
    visits: str = ""


def run_state(reader: Reader) -> RunState:
    shown = queries.latest_done()
    newest = queries.newest_run()
    newer = newest if newest is not None and (shown is None or newest.pk != shown.pk) else None
    failed = newer if newer is not None and newer.status == RunStatus.FAILED else None
    running = newer if newer is not None and newer.status == RunStatus.RUNNING else None
    if shown is None:
        return RunState(
            shown=None,
            failed=failed,
            failed_at=when(failed.as_of, reader.tz_name) if failed else "",
            running=running,
            running_since=when(running.started_at, reader.tz_name) if running else "",
        )
    method = Method(shown.method).label if shown.method in Method.values else ""
    return RunState(
        shown=shown,
        taken=when(shown.as_of, reader.tz_name),
        method=str(method),
        rules=shown.method == Method.RULES,
        warnings=tuple(warning_text(w) for w in _list(shown.warnings)),
        failed=failed,
        failed_at=when(failed.as_of, reader.tz_name) if failed else "",
        running=running,
        running_since=when(running.started_at, reader.tz_name) if running else "",
        customers=format_number(shown.customers, 0),
        visits=format_number(shown.visits, 0),
    )


# --- stage sizes and flows ------------------------------------------------------------------


@dataclass(frozen=True)
class StageSize:
    key: str
    label: str
    count: int
    shown: str
    link: str


def stage_sizes(snapshot: Snapshot, reader: Reader, location: str) -> list[StageSize]:
    stored = _dict(_dict(snapshot.figures).get("stages"))
    if reader.whole_business and stored:
        counts = {stage.value: _int(stored.get(STAGE_KEYS[stage])) for stage in Stage}
    else:
        counts = queries.stage_counts(snapshot, reader.scope)
    return [
        StageSize(
            key=STAGE_KEYS[stage],
            label=stage_label(stage),
            count=counts.get(stage.value, 0),
            shown=format_number(counts.get(stage.value, 0), 0),
            link=stage_link(stage, location),
        )
        for stage in Stage
    ]


def stage_chart(sizes: Sequence[StageSize]) -> SafeString:
    return bar_chart(
        [s.label for s in sizes],
        [s.count for s in sizes],
        title=_("Customers in each stage"),
        unit=_("customers"),
        width=800,
        value_format=lambda v: format_number(v, 0),
    )


@dataclass(frozen=True)
class FlowRow:
    before: str
    now: str
    customers: str
    count: int
    matters: str  # "slipping", "won_back" or ""
    note: str


def _flow_matters(before: Stage | None, now: Stage) -> str:
    if now in SLIPPING and before not in SLIPPING:
        return "slipping"
    if now == Stage.LAPSED and before == Stage.AT_RISK:
        return "slipping"
    if now == Stage.WON_BACK and before != Stage.WON_BACK:
        return "won_back"
    return ""


@dataclass(frozen=True)
class Flows:
    rows: list[FlowRow] = field(default_factory=list)
    stayed: str = ""
    since: str = ""
    whole_business: bool = True
    known: bool = False


def _stored_flows(figures: dict[str, Any]) -> list[queries.Flow] | None:
    stored = _dict(figures.get("flows"))
    sources, targets, counts = (
        _list(stored.get("from")),
        _list(stored.get("to")),
        _list(stored.get("counts")),
    )
    if not sources or not targets or len(counts) != len(sources):
        return None
    out = []
    for name, row in zip(sources, counts, strict=True):
        before = None if name == FIRST_SEEN else STAGE_OF_KEY.get(str(name))
        if before is None and name != FIRST_SEEN:
            continue
        for target, n in zip(targets, _list(row), strict=False):
            now = STAGE_OF_KEY.get(str(target))
            if now is not None and _int(n) > 0:
                out.append(
                    queries.Flow(
                        before=None if before is None else before.value,
                        now=now.value,
                        customers=_int(n),
                    )
                )
    return out


def flows(snapshot: Snapshot, reader: Reader) -> Flows:
    """The moves since the previous snapshot: the stored matrix for the whole business,
    the standings of the reader's locations otherwise."""
    figures = _dict(snapshot.figures)
    found = _stored_flows(figures) if reader.whole_business else None
    previous_as_of = figures.get("previous_as_of")
    since = ""
    if found is None:
        previous = queries.previous_done(snapshot)
        if previous is None:
            return Flows(whole_business=reader.whole_business)
        found = queries.flows(snapshot, previous, reader.scope)
        since = when(previous.as_of, reader.tz_name)
    elif isinstance(previous_as_of, str):
        try:
            since = when(datetime.fromisoformat(previous_as_of), reader.tz_name)
        except ValueError:
            since = ""
    elif previous_as_of is None and "previous_as_of" in figures:
        return Flows(whole_business=reader.whole_business)  # the first snapshot ever
    rows, stayed = [], 0
    for flow in found:
        before = Stage(flow.before) if flow.before in Stage.values else None
        now = Stage(flow.now)
        if before == now:
            stayed += flow.customers
            continue
        matters = _flow_matters(before, now)
        rows.append(
            FlowRow(
                before=stage_label(before) if before is not None else _("Not seen before"),
                now=stage_label(now),
                customers=format_number(flow.customers, 0),
                count=flow.customers,
                matters=matters,
                note={"slipping": _("Slipping away"), "won_back": _("Won back")}.get(matters, ""),
            )
        )
    order = {"slipping": 0, "won_back": 1, "": 2}
    rows.sort(key=lambda r: (order[r.matters], -r.count, r.before, r.now))
    return Flows(
        rows=rows,
        stayed=format_number(stayed, 0),
        since=since,
        whole_business=reader.whole_business,
        known=True,
    )


def horizons_text(snapshot: Snapshot) -> str:
    horizons = _dict(_dict(snapshot.figures).get("horizons"))
    risk, lapse = _num(horizons.get("risk_days")), _num(horizons.get("lapse_days"))
    if risk is None or lapse is None:
        return ""
    return _(
        "A customer without a rhythm of their own is at risk after %(risk)s days away "
        "and lapsed after %(lapse)s days."
    ) % {"risk": format_number(risk, 0), "lapse": format_number(lapse, 0)}


# --- cohorts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohorts:
    chart: SafeString
    months: list[str]
    rows: list[tuple[str, str, list[str]]]  # (cohort, size, shares; "" where not yet seen)


def _cohort_label(label: Any) -> str:
    try:
        year, mon = str(label).split("-")[:2]
        return month(date(int(year), int(mon), 1))
    except ValueError:
        return str(label)


def cohorts(snapshot: Snapshot) -> Cohorts | None:
    """Retention by month since the first visit of recent cohorts (those seen past their
    first month; every second one when there are more than fit); a cohort's months not yet
    observable are left empty (the triangle)."""
    stored = _dict(_dict(snapshot.figures).get("cohorts"))
    labels, sizes = _list(stored.get("labels")), _list(stored.get("sizes"))
    retention, observable = _list(stored.get("retention")), _list(stored.get("observable"))
    if not labels or not (len(labels) == len(sizes) == len(retention)):
        return None

    def share(i: int, k: int) -> float | None:
        row = _list(retention[i])
        seen = _list(observable[i]) if i < len(observable) else []
        if k >= len(row) or (k < len(seen) and seen[k] is not True):
            return None
        return _num(row[k])

    with_people = [i for i in range(len(labels)) if _int(sizes[i]) > 0]
    # A cohort seen only in its first month says nothing yet (everyone came that month);
    # every second of the others spreads the lines over about a year of curves.
    followed = [i for i in with_people if share(i, 1) is not None]
    recent = followed[-COHORTS_CHARTED * COHORTS_SPACING :]
    step = COHORTS_SPACING if len(recent) > COHORTS_CHARTED else 1
    charted = sorted(recent[::-1][::step][:COHORTS_CHARTED])
    width = max((len(_list(retention[i])) for i in with_people), default=0)
    horizon = max(
        (k + 1 for i in charted for k in range(width) if share(i, k) is not None), default=0
    )
    months = [format_number(k, 0) for k in range(horizon)]
    series = []
    for i in charted:
        name = _("%(cohort)s (%(customers)s)") % {
            "cohort": _cohort_label(labels[i]),
            "customers": format_number(_int(sizes[i]), 0),
        }
        values = [share(i, k) for k in range(horizon)]
        series.append((name, [None if v is None else v * 100 for v in values]))
    chart = line_chart(
        months,
        series,
        title=_("Share of each month's new customers still coming, month by month"),
        unit="%",
        x_label=_("Months since the first visit"),
        width=800,
        value_format=lambda v: format_number(v, 0),
    )
    listed = with_people[-COHORTS_LISTED:]
    all_months = [format_number(k, 0) for k in range(width)]
    rows = [
        (
            _cohort_label(labels[i]),
            format_number(_int(sizes[i]), 0),
            [format_share(share(i, k)) for k in range(width)],
        )
        for i in reversed(listed)
    ]
    return Cohorts(chart=chart, months=all_months, rows=rows)


# --- value ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    total: str
    chart: SafeString | None
    rows: list[tuple[str, str]]
    top_decile: str
    clv_days: str


def value(snapshot: Snapshot, reader: Reader) -> Value | None:
    """The value of the customer base and its distribution, for a reader who may see
    money at every location in view (None otherwise, or when the run has no values)."""
    if not reader.money:
        return None
    figures = _dict(snapshot.figures)
    stored = _dict(figures.get("value"))
    currency = str(stored.get("currency") or snapshot.currency or "")
    total = queries.total_value(snapshot, reader.scope)
    if total is None or not currency:
        return None
    edges = [e for e in (_num(x) for x in _list(stored.get("edges"))) if e is not None]
    counts = [_int(c) for c in _list(stored.get("counts"))]
    chart = None
    rows: list[tuple[str, str]] = []
    if len(edges) >= 2 and len(counts) == len(edges) - 1:
        if not reader.whole_business:
            counts = queries.value_counts(snapshot, edges, reader.scope)
        labels = [
            f"{format_number(lo, 0)}–{format_number(hi, 0)}" for lo, hi in itertools.pairwise(edges)
        ]
        chart = bar_chart(
            labels,
            counts,
            title=_("Customers by their value over the coming year"),
            unit=_("customers"),
            x_label=_("Value (%(currency)s)") % {"currency": currency},
            width=800,
            value_format=lambda v: format_number(v, 0),
        )
        rows = [
            (f"{money(lo, currency)} – {money(hi, currency)}", format_number(n, 0))
            for lo, hi, n in zip(edges, edges[1:], counts, strict=False)
        ]
    top = _num(stored.get("top_decile_share")) if reader.whole_business else None
    clv_days = _num(figures.get("clv_days"))
    return Value(
        total=money(total, currency),
        chart=chart,
        rows=rows,
        top_decile=format_share(top),
        clv_days=format_number(clv_days or 365, 0),
    )


# --- the check on held-out visits ---------------------------------------------------------


@dataclass(frozen=True)
class Holdout:
    split: str
    end: str
    days: str
    alive_chart: SafeString | None
    alive_rows: list[dict[str, str]]
    visits_chart: SafeString | None
    visits_rows: list[dict[str, str]]
    total_predicted: str
    total_actual: str


def _iso_day(value: Any) -> str:
    try:
        return day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return ""


def holdout(snapshot: Snapshot) -> Holdout | None:
    """How the models did on visits they were not fitted on (None without the check)."""
    stored = _dict(_dict(snapshot.figures).get("holdout"))
    if not stored:
        return None
    bins = [_dict(b) for b in _list(stored.get("alive"))]
    bins = [b for b in bins if _num(b.get("lo")) is not None and _num(b.get("hi")) is not None]
    alive_labels = [
        f"{format_number((_num(b['lo']) or 0) * 100, 0)}–{format_share(_num(b['hi']))}"
        for b in bins
    ]
    alive_chart = None
    if bins:
        alive_chart = line_chart(
            alive_labels,
            [
                (_("Predicted"), [_pct(b.get("predicted")) for b in bins]),
                (_("Actual"), [_pct(b.get("actual")) for b in bins]),
            ],
            title=_("Still a customer: predicted against what happened"),
            unit="%",
            x_label=_("Predicted chance of still being a customer"),
            width=800,
            value_format=lambda v: format_number(v, 0),
        )
    alive_rows = [
        {
            "bin": label,
            "customers": format_number(_int(b.get("customers")), 0),
            "predicted": format_share(_num(b.get("predicted"))),
            "actual": format_share(_num(b.get("actual"))),
        }
        for label, b in zip(alive_labels, bins, strict=True)
    ]
    groups = [_dict(g) for g in _list(stored.get("groups"))]
    visits_chart = None
    if groups:
        visits_chart = line_chart(
            [str(g.get("frequency", "")) for g in groups],
            [
                (_("Predicted"), [_num(g.get("predicted")) for g in groups]),
                (_("Actual"), [_num(g.get("actual")) for g in groups]),
            ],
            title=_("Repeat visits in the held-out period: predicted against actual"),
            unit=_("visits"),
            x_label=_("Repeat visits before the split"),
            width=800,
            value_format=lambda v: format_number(v, 1),
        )
    visits_rows = [
        {
            "frequency": str(g.get("frequency", "")),
            "customers": format_number(_int(g.get("customers")), 0),
            "predicted": format_number(_num(g.get("predicted")), 1),
            "actual": format_number(_num(g.get("actual")), 1),
        }
        for g in groups
    ]
    return Holdout(
        split=_iso_day(stored.get("split")),
        end=_iso_day(stored.get("end")),
        days=format_number(_int(stored.get("days")), 0),
        alive_chart=alive_chart,
        alive_rows=alive_rows,
        visits_chart=visits_chart,
        visits_rows=visits_rows,
        total_predicted=format_number(_num(stored.get("total_predicted")), 1),
        total_actual=format_number(_num(stored.get("total_actual")), 1),
    )


def _pct(value: Any) -> float | None:
    number = _num(value)
    return None if number is None else number * 100


def horizon_days(snapshot: Snapshot | None) -> int:
    """The days of the expected visits and P(return) (90 when not recorded)."""
    days = _num(_dict(snapshot.figures).get("horizon_days")) if snapshot else None
    return int(days) if days else 90
