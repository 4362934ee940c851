"""What the loyalty pages say about the snapshot runs: the snapshot shown, a newer run
that failed (with its error) or is under way, and the run's warnings in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regulars.core.numbers import format_number
from regulars.loyalty import queries
from regulars.loyalty.display import Reader, as_dict, as_int, as_list, when
from regulars.loyalty.models import Method, RunStatus, Snapshot

MODEL_NAMES = {"bgnbd": "BG/NBD", "gammagamma": "Gamma-Gamma", "paretonbd": "Pareto/NBD"}


def warning_text(warning: Any) -> str:
    """One warning of a run in the reader's language (a generic line for an unknown
    code; never raises)."""
    w = as_dict(warning)
    code = str(w.get("code", ""))
    count = as_int(w.get("count"))
    number = format_number(count, 0)
    if code == "thin_data":
        currency = str(w.get("currency") or "")
        if currency:  # the spend of one currency's customers, fitted on its own
            return _(
                "Too few customers paying in %(currency)s came back to estimate their value, "
                "so none is shown for them."
            ) % {"currency": currency}
        few_spenders = _("few visits with an amount")
        short = _("a short history of visits")
        reasons = {
            "too_few_customers": _("few customers (%(count)s)")
            % {"count": format_number(as_int(w.get("customers")), 0)},
            "too_few_repeat_customers": _("few who came back (%(count)s)")
            % {"count": format_number(as_int(w.get("repeat_customers")), 0)},
            "history_too_short": short,
            "short_history": short,
            "too_few_spend_customers": few_spenders,
            "too_few_spenders": few_spenders,
        }
        said = [reasons.get(str(r), str(r)) for r in as_list(w.get("reasons"))]
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
    if code in ("fit_not_converged", "not_converged"):
        return _("The %(model)s model did not settle on a fit: its figures are rough.") % {
            "model": model
        }
    if code == "parameter_at_bound":
        return _(
            "A parameter of the %(model)s model reached its limit: its figures may be off."
        ) % {"model": model}
    if code == "parameter_not_finite":
        return _("A parameter of the %(model)s model could not be estimated.") % {"model": model}
    if code == "no_standard_errors":
        return _("The %(model)s model gave no margins of error: read its figures with care.") % {
            "model": model
        }
    if code == "fit_failed":
        return _(
            "The %(model)s model could not be fitted, so simple rules place the customers."
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
        warnings=tuple(warning_text(w) for w in as_list(shown.warnings)),
        failed=failed,
        failed_at=when(failed.as_of, reader.tz_name) if failed else "",
        running=running,
        running_since=when(running.started_at, reader.tz_name) if running else "",
        customers=format_number(shown.customers, 0),
        visits=format_number(shown.visits, 0),
    )
