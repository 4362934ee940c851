"""The loyalty dashboard's figures, as shown: the stage sizes, the moves between stages,
cohort retention, the value of the customer base and the check of the models on
held-out visits. Nothing is computed here that the snapshot job has not already
computed; this module reads ``Snapshot.figures`` and the standings of the reader's
locations (``loyalty.queries``) and formats them for the reader's locale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_name
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from regulars.core.charts import bar_chart, line_chart
from regulars.core.numbers import active_locale, format_number, format_share
from regulars.loyalty import queries
from regulars.loyalty.display import (
    STAGE_KEYS,
    STAGE_OF_KEY,
    Reader,
    as_dict,
    as_int,
    as_list,
    as_number,
    day,
    money,
    month,
    stage_label,
    stage_link,
    when,
)
from regulars.loyalty.models import Snapshot, Stage

COHORTS_CHARTED = 6  # lines in the retention chart (one per colour and dash) ...
COHORTS_SPACING = 2  # ... for every second monthly cohort, the newest first
COHORTS_LISTED = 24  # the table under the chart goes back two years

CURRENCY_CODE = re.compile(r"[A-Z]{3}")

FIRST_SEEN = "none"  # the flows' "from" of customers not in the previous snapshot
SLIPPING = frozenset({Stage.AT_RISK, Stage.LAPSED})


# --- stage sizes and flows ------------------------------------------------------------------


@dataclass(frozen=True)
class StageSize:
    key: str
    label: str
    count: int
    shown: str
    link: str


def stage_sizes(snapshot: Snapshot, reader: Reader, location: str) -> list[StageSize]:
    stored = as_dict(as_dict(snapshot.figures).get("stages"))
    if reader.whole_business and stored:
        counts = {stage.value: as_int(stored.get(STAGE_KEYS[stage])) for stage in Stage}
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
    stored = as_dict(figures.get("flows"))
    sources, targets, counts = (
        as_list(stored.get("from")),
        as_list(stored.get("to")),
        as_list(stored.get("counts")),
    )
    if not sources or not targets or len(counts) != len(sources):
        return None
    out = []
    for name, row in zip(sources, counts, strict=True):
        before = None if name == FIRST_SEEN else STAGE_OF_KEY.get(str(name))
        if before is None and name != FIRST_SEEN:
            continue
        for target, n in zip(targets, as_list(row), strict=False):
            now = STAGE_OF_KEY.get(str(target))
            if now is not None and as_int(n) > 0:
                out.append(
                    queries.Flow(
                        before=None if before is None else before.value,
                        now=now.value,
                        customers=as_int(n),
                    )
                )
    return out


def flows(snapshot: Snapshot, reader: Reader) -> Flows:
    """The moves since the previous snapshot: the stored matrix for the whole business,
    the standings of the reader's locations otherwise."""
    figures = as_dict(snapshot.figures)
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
    horizons = as_dict(as_dict(snapshot.figures).get("horizons"))
    risk, lapse = as_number(horizons.get("risk_days")), as_number(horizons.get("lapse_days"))
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
    stored = as_dict(as_dict(snapshot.figures).get("cohorts"))
    labels, sizes = as_list(stored.get("labels")), as_list(stored.get("sizes"))
    retention, observable = as_list(stored.get("retention")), as_list(stored.get("observable"))
    if not labels or not (len(labels) == len(sizes) == len(retention)):
        return None

    def share(i: int, k: int) -> float | None:
        row = as_list(retention[i])
        seen = as_list(observable[i]) if i < len(observable) else []
        if k >= len(row) or (k < len(seen) and seen[k] is not True):
            return None
        return as_number(row[k])

    with_people = [i for i in range(len(labels)) if as_int(sizes[i]) > 0]
    # A cohort seen only in its first month says nothing yet (everyone came that month);
    # every second of the others spreads the lines over about a year of curves.
    followed = [i for i in with_people if share(i, 1) is not None]
    recent = followed[-COHORTS_CHARTED * COHORTS_SPACING :]
    step = COHORTS_SPACING if len(recent) > COHORTS_CHARTED else 1
    charted = sorted(recent[::-1][::step][:COHORTS_CHARTED])
    width = max((len(as_list(retention[i])) for i in with_people), default=0)
    horizon = max(
        (k + 1 for i in charted for k in range(width) if share(i, k) is not None), default=0
    )
    months = [format_number(k, 0) for k in range(horizon)]
    series = []
    for i in charted:
        name = _("%(cohort)s (%(customers)s)") % {
            "cohort": _cohort_label(labels[i]),
            "customers": format_number(as_int(sizes[i]), 0),
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
            format_number(as_int(sizes[i]), 0),
            [format_share(share(i, k)) for k in range(width)],
        )
        for i in reversed(listed)
    ]
    return Cohorts(chart=chart, months=all_months, rows=rows)


# --- value ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrencyValue:
    """The value of the customers valued in one currency, every amount in it."""

    currency: str
    name: str  # "Danish Krone (DKK)" in the reader's language
    total: str
    chart: SafeString | None
    rows: list[tuple[str, str]]
    top_decile: str  # "" outside the whole business


@dataclass(frozen=True)
class Value:
    blocks: list[CurrencyValue]  # the main currency first
    several: bool  # the business values its customers in more than one currency: each
    # block is headed by its currency, also when only one is in view
    clv_days: str


def _stored_values(snapshot: Snapshot) -> list[tuple[str, dict[str, Any]]]:
    """(currency, figures) of each currency the snapshot valued customers in, the main
    one first: ``figures["values"]``, or for a snapshot taken before customers had
    their own currency the one ``figures["value"]`` (possibly empty) in the snapshot's
    currency. Anything but a 3-letter code is left out (it also names the chart's id)."""
    figures = as_dict(snapshot.figures)
    listed = figures.get("values")
    stored = (
        [as_dict(v) for v in listed]
        if isinstance(listed, list)
        else [as_dict(figures.get("value"))]
    )
    out: list[tuple[str, dict[str, Any]]] = []
    for one in stored:
        currency = str(one.get("currency") or snapshot.currency or "")
        if CURRENCY_CODE.fullmatch(currency) and all(currency != seen for seen, _one in out):
            out.append((currency, one))
    return out


def _currency_name(currency: str) -> str:
    """ "Danish Krone (DKK)" in the reader's language (the code alone for one babel does
    not know)."""
    name = str(get_currency_name(currency, locale=active_locale()))
    if name == currency:
        return currency
    return f"{name[:1].upper()}{name[1:]} ({currency})"


def _currency_value(
    snapshot: Snapshot, reader: Reader, currency: str, stored: dict[str, Any]
) -> CurrencyValue | None:
    """One currency's block; None when no customer in view has a value in it. The whole
    business reads the stored figures; a narrower view counts its standings in that
    currency."""
    total: Decimal | float | None = (
        as_number(stored.get("total")) if reader.whole_business else None
    )
    if total is None:
        total = queries.total_value(snapshot, reader.scope, currency=currency)
    if total is None:
        return None
    edges = [e for e in (as_number(x) for x in as_list(stored.get("edges"))) if e is not None]
    counts = [as_int(c) for c in as_list(stored.get("counts"))]
    chart = None
    rows: list[tuple[str, str]] = []
    if len(edges) >= 2 and len(counts) == len(edges) - 1:
        if not reader.whole_business:
            counts = queries.value_counts(snapshot, edges, reader.scope, currency=currency)
        # Each band by where it starts: short labels that fit under every bar (the
        # table below the chart gives each band in full).
        chart = bar_chart(
            [format_number(lo, 0) for lo in edges[:-1]],
            counts,
            title=_("Customers by their value over the coming year, in %(currency)s")
            % {"currency": currency},
            unit=_("customers"),
            x_label=_("Value from (%(currency)s)") % {"currency": currency},
            width=800,
            value_format=lambda v: format_number(v, 0),
            chart_id=f"chart-value-{currency.lower()}",
        )
        last = len(counts) - 1
        rows = [
            (
                _("%(low)s or more") % {"low": money(lo, currency)}
                if i == last
                else f"{money(lo, currency)} – {money(hi, currency)}",
                format_number(n, 0),
            )
            for i, (lo, hi, n) in enumerate(zip(edges, edges[1:], counts, strict=False))
        ]
    top = as_number(stored.get("top_decile_share")) if reader.whole_business else None
    return CurrencyValue(
        currency=currency,
        name=_currency_name(currency),
        total=money(total, currency),
        chart=chart,
        rows=rows,
        top_decile=format_share(top),
    )


def value(snapshot: Snapshot, reader: Reader) -> Value | None:
    """The value of the customer base and its distribution, one block per currency
    (amounts of different currencies are never added), for a reader who may see money
    at every location in view (None otherwise, or when no customer in view has a
    value)."""
    if not reader.money:
        return None
    stored = _stored_values(snapshot)
    blocks = [
        block
        for currency, one in stored
        if (block := _currency_value(snapshot, reader, currency, one)) is not None
    ]
    if not blocks:
        return None
    clv_days = as_number(as_dict(snapshot.figures).get("clv_days"))
    return Value(
        blocks=blocks,
        several=len(stored) > 1,
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
    relative_error: str  # how far the predicted total was off, as a share ("" unknown)
    calibration_points: str  # mean gap of P(alive) to what happened, in points


def _iso_day(value: Any) -> str:
    try:
        return day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return ""


def holdout(snapshot: Snapshot) -> Holdout | None:
    """How the models did on visits they were not fitted on (None without the check)."""
    stored = as_dict(as_dict(snapshot.figures).get("holdout"))
    if not stored:
        return None
    bins = [as_dict(b) for b in as_list(stored.get("alive"))]
    bins = [
        b for b in bins if as_number(b.get("lo")) is not None and as_number(b.get("hi")) is not None
    ]
    alive_labels = [
        f"{format_number((as_number(b['lo']) or 0) * 100, 0)}–{format_share(as_number(b['hi']))}"
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
            title=_("A visit in those days: predicted against what happened"),
            unit="%",
            x_label=_("Predicted chance of a visit"),
            width=800,
            value_format=lambda v: format_number(v, 0),
        )
    alive_rows = [
        {
            "bin": label,
            "customers": format_number(as_int(b.get("customers")), 0),
            "predicted": format_share(as_number(b.get("predicted"))),
            "actual": format_share(as_number(b.get("actual"))),
        }
        for label, b in zip(alive_labels, bins, strict=True)
    ]
    groups = [as_dict(g) for g in as_list(stored.get("groups"))]
    visits_chart = None
    if groups:
        visits_chart = line_chart(
            [str(g.get("frequency", "")) for g in groups],
            [
                (_("Predicted"), [as_number(g.get("predicted")) for g in groups]),
                (_("Actual"), [as_number(g.get("actual")) for g in groups]),
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
            "customers": format_number(as_int(g.get("customers")), 0),
            "predicted": format_number(as_number(g.get("predicted")), 1),
            "actual": format_number(as_number(g.get("actual")), 1),
        }
        for g in groups
    ]
    return Holdout(
        split=_iso_day(stored.get("split")),
        end=_iso_day(stored.get("end")),
        days=format_number(as_int(stored.get("days")), 0),
        alive_chart=alive_chart,
        alive_rows=alive_rows,
        visits_chart=visits_chart,
        visits_rows=visits_rows,
        total_predicted=format_number(as_number(stored.get("total_predicted")), 1),
        total_actual=format_number(as_number(stored.get("total_actual")), 1),
        relative_error=_signed_share(as_number(stored.get("relative_error"))),
        calibration_points=format_number(_pct(stored.get("calibration_error")), 1),
    )


def _signed_share(share: float | None) -> str:
    if share is None:
        return ""
    text = format_share(abs(share))
    return f"+{text}" if share > 0 else f"−{text}" if share < 0 else text


def _pct(value: Any) -> float | None:
    number = as_number(value)
    return None if number is None else number * 100
