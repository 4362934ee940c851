"""Experiment reports for managers: ``/outreach/experiments/`` (every play with a
holdout or several arms, with its headline figures) and
``/outreach/experiments/<public_id>/`` (one play, arm by arm).

Thin: ``experiments`` counts, ``analytics.uplift`` decides, this module words and
formats. MANAGE_OUTREACH to see a report (a play of a location one does not manage is
a 404, as on the play pages); amounts only with VIEW_MONEY (``experiments.sees_money``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from regulars.accounts.access import requires
from regulars.analytics.stats import SMALL_SAMPLE, Interval, MeanEstimate
from regulars.analytics.uplift import Comparison, Decision, Verdict
from regulars.core.numbers import format_number, format_share
from regulars.core.permissions import Capability
from regulars.loyalty.display import day as format_day
from regulars.loyalty.display import money as format_money
from regulars.outreach import experiments
from regulars.outreach.experiments import Group, PlayReport
from regulars.outreach.models import VoucherKind
from regulars.outreach.plays import get_play_for

DASH = "–"


# --- numbers in words --------------------------------------------------------------------------


def _points(value: float | None, *, signed: bool = True) -> str:
    """A difference of rates in percentage points, to a tenth: "+4.3"."""
    if value is None:
        return ""
    shown = format_number(value * 100, 1)
    if signed and value * 100 >= 0.05:
        shown = "+" + shown
    return shown.replace("-", "−")


def _share_range(ci: Interval | None) -> str:
    if ci is None:
        return ""
    return f"{format_share(ci.low)}{DASH}{format_share(ci.high)}"


def _points_range(ci: Interval | None) -> str:
    if ci is None:
        return ""
    return pgettext("percentage points", "%(low)s to %(high)s points") % {
        "low": _points(ci.low),
        "high": _points(ci.high),
    }


def _money(amount: float | Decimal | None, currency: str, *, signed: bool = False) -> str:
    if amount is None:
        return ""
    shown = format_money(amount, currency)
    if signed and amount > 0:
        shown = "+" + shown
    return shown.replace("-", "−")


def _money_range(ci: Interval | None, currency: str, *, signed: bool = False) -> str:
    if ci is None:
        return ""
    return _("%(low)s to %(high)s") % {
        "low": _money(ci.low, currency, signed=signed),
        "high": _money(ci.high, currency, signed=signed),
    }


def _count(value: int) -> str:
    return format_number(value, 0)


# --- groups and verdicts ------------------------------------------------------------------------


def group_name(group: Group) -> str:
    """ "the holdout" / "arm A", as it reads inside a sentence."""
    if group.arm is None:
        return _("the holdout")
    return _("arm %(label)s") % {"label": group.arm.label}


def group_title(group: Group) -> str:
    """What the group got: "Holdout: nothing sent" / "A: Printed card, with a voucher"."""
    if group.arm is None:
        return _("Holdout: nothing sent")
    how = group.arm.get_channel_display()
    if group.arm.voucher_kind != VoucherKind.NONE:
        how = _("%(how)s, with a voucher") % {"how": how}
    return f"{group.arm.label}: {how}"


VERDICT_SHORT = {
    Verdict.ARM_BETTER: "better",
    Verdict.ARM_WORSE: "worse",
    Verdict.NO_DIFFERENCE: "no_difference",
    Verdict.NOT_ENOUGH_DATA: "not_enough_data",
}


def verdict_label(verdict: Verdict) -> str:
    return {
        Verdict.ARM_BETTER: _("brings more back"),
        Verdict.ARM_WORSE: _("brings fewer back"),
        Verdict.NO_DIFFERENCE: _("no detectable difference"),
        Verdict.NOT_ENOUGH_DATA: _("not enough data yet"),
    }[verdict]


def verdict_text(group: Group, reference: Group, versus: Comparison, days: int) -> str:
    """The verdict on ``group`` against ``reference`` in a sentence."""
    return capfirst(_verdict_text(group, reference, versus, days))


def _verdict_text(group: Group, reference: Group, versus: Comparison, days: int) -> str:
    decision = versus.decision
    names = {
        "arm": group_name(group),
        "reference": group_name(reference),
        "days": days,
        "mde": _points(decision.mde, signed=False),
    }
    if decision.verdict in (Verdict.ARM_BETTER, Verdict.ARM_WORSE):
        words = {
            **names,
            "difference": _points(versus.rate.difference),
            "range": _points_range(versus.rate.ci),
        }
        if decision.verdict == Verdict.ARM_BETTER:
            return (
                _(
                    "%(arm)s brings more customers back within %(days)s days than "
                    "%(reference)s: %(difference)s percentage points (%(range)s)."
                )
                % words
            )
        return (
            _(
                "%(arm)s brings fewer customers back within %(days)s days than "
                "%(reference)s: %(difference)s percentage points (%(range)s)."
            )
            % words
        )
    if decision.verdict == Verdict.NO_DIFFERENCE:
        return (
            _(
                "No detectable difference between %(arm)s and %(reference)s: with this many "
                "customers, a difference of %(mde)s percentage points or more would very "
                "likely have shown."
            )
            % names
        )
    return _not_enough(decision, names)


def _not_enough(decision: Decision, names: dict[str, object]) -> str:
    if decision.more_arm is None or decision.more_control is None:
        return (
            _(
                "Not enough data yet: nobody in %(reference)s has had their %(days)s days "
                "yet, so there is nothing to compare with."
            )
            % names
        )
    return _(
        "Not enough data yet: to tell a difference of %(mde)s percentage points, about "
        "%(more_arm)s more customers are needed in %(arm)s and %(more_control)s more "
        "in %(reference)s (counted once their %(days)s days have passed)."
    ) % {
        **names,
        "more_arm": _count(decision.more_arm),
        "more_control": _count(decision.more_control),
    }


def sizes_text(group: Group, reference: Group, decision: Decision, days: int) -> str:
    """How many customers each side needs to decide, for the MDE and for the difference
    seen so far."""
    parts: list[str] = []
    if decision.for_mde is not None:
        parts.append(
            _(
                "To tell a difference of %(mde)s percentage points: about %(arm_n)s customers "
                "in %(arm)s and %(reference_n)s in %(reference)s whose %(days)s days have "
                "passed (now %(arm_now)s and %(reference_now)s)."
            )
            % {
                "mde": _points(decision.mde, signed=False),
                "arm_n": _count(decision.for_mde.arm),
                "reference_n": _count(decision.for_mde.control),
                "arm": group_name(group),
                "reference": group_name(reference),
                "days": days,
                "arm_now": _count(group.mature),
                "reference_now": _count(reference.mature),
            }
        )
    if decision.for_observed is not None:
        parts.append(
            _("To be sure of the difference seen so far: about %(arm_n)s and %(reference_n)s.")
            % {
                "arm_n": _count(decision.for_observed.arm),
                "reference_n": _count(decision.for_observed.control),
            }
        )
    return " ".join(parts)


# --- rows for the templates -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    is_reference: bool
    customers: str
    messages: str
    sent: str
    mature: str
    returned: str
    rate: str
    rate_range: str
    small_sample: bool
    spend: str
    spend_range: str
    spend_total: str
    uplift: str
    uplift_range: str
    relative: str
    p_value: str
    spend_uplift: str
    spend_uplift_range: str
    vouchers_issued: str
    vouchers_redeemed: str
    verdict: str  # the short key (data attribute), "" for the reference
    verdict_label: str
    verdict_text: str
    sizes_text: str


def _spend(estimate: MeanEstimate | None, currency: str) -> tuple[str, str]:
    if estimate is None or estimate.mean is None:
        return "", ""
    return _money(estimate.mean, currency), _money_range(estimate.ci, currency)


def rows(report: PlayReport) -> list[Row]:
    reference = report.reference_group
    out: list[Row] = []
    for group in report.groups:
        versus = group.versus
        spend, spend_range = _spend(group.spend, report.currency)
        row = {
            "uplift": "",
            "uplift_range": "",
            "relative": "",
            "p_value": "",
            "spend_uplift": "",
            "spend_uplift_range": "",
            "verdict": "",
            "verdict_label": "",
            "verdict_text": "",
            "sizes_text": "",
        }
        if versus is not None and reference is not None:
            relative = versus.rate.relative
            row.update(
                uplift=_points(versus.rate.difference),
                uplift_range=_points_range(versus.rate.ci),
                relative=("+" if relative and relative > 0 else "")
                + format_share(relative).replace("-", "−")
                if relative is not None
                else "",
                p_value=format_number(versus.rate.p_value, 3)
                if versus.rate.p_value is not None
                else "",
                verdict=VERDICT_SHORT[versus.decision.verdict],
                verdict_label=verdict_label(versus.decision.verdict),
                verdict_text=verdict_text(group, reference, versus, report.window_days),
                sizes_text=sizes_text(group, reference, versus.decision, report.window_days),
            )
            if versus.spend is not None:
                row.update(
                    spend_uplift=_money(versus.spend.difference, report.currency, signed=True),
                    spend_uplift_range=_money_range(versus.spend.ci, report.currency, signed=True),
                )
        out.append(
            Row(
                key=group.key,
                title=group_title(group),
                is_reference=group.key == report.reference,
                customers=_count(group.customers),
                messages=_count(group.messages),
                sent=_count(group.sent) if group.arm is not None else "",
                mature=_count(group.mature),
                returned=_count(group.returned),
                rate=format_share(group.rate.rate),
                rate_range=_share_range(group.rate.ci),
                small_sample=group.rate.small_sample,
                spend=spend,
                spend_range=spend_range,
                spend_total=_money(group.spend_total, report.currency),
                vouchers_issued=_count(group.vouchers_issued) if group.arm is not None else "",
                vouchers_redeemed=_count(group.vouchers_redeemed) if group.arm is not None else "",
                **row,
            )
        )
    return out


def pending_text(report: PlayReport) -> str:
    return ngettext(
        "%(count)s customer has not had their %(days)s days yet and is not counted yet.",
        "%(count)s customers have not had their %(days)s days yet and are not counted yet.",
        report.pending,
    ) % {"count": _count(report.pending), "days": report.window_days}


# --- views ----------------------------------------------------------------------------------------


@requires(Capability.MANAGE_OUTREACH)
def experiment_list(request: HttpRequest) -> HttpResponse:
    entries = []
    for play in experiments.experiment_plays(request.user):
        report = experiments.play_report(play)
        entries.append(
            {
                "play": play,
                "rows": rows(report),
                "customers": _count(report.customers),
                "mature": _count(report.mature),
            }
        )
    return render(
        request,
        "outreach/experiment_list.html",
        {"entries": entries, "days": experiments.WINDOW_DAYS},
    )


@requires(Capability.MANAGE_OUTREACH)
def experiment(request: HttpRequest, public_id: str) -> HttpResponse:
    play = get_play_for(request.user, public_id)
    report = experiments.play_report(play)
    reference = report.reference_group
    context = {
        "play": play,
        "report": report,
        "rows": rows(report),
        "money": bool(report.currency) and experiments.sees_money(request.user, play),
        "reference": reference,
        "reference_name": group_name(reference) if reference is not None else "",
        "pending": pending_text(report) if report.pending else "",
        "first_day": format_day(report.first_day) if report.first_day else "",
        "last_day": format_day(report.last_day) if report.last_day else "",
        "today": format_day(report.today),
        "mde": _points(report.mde, signed=False),
        "small_sample": SMALL_SAMPLE,
    }
    return render(request, "outreach/experiment.html", context)
