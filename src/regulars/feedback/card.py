"""The feedback section of the counter's greeting card: a customer whose last answer was
unhappy and whose recovery is under way, so whoever serves them knows before they
speak. Registered by ``FeedbackConfig.ready``; one query."""

from __future__ import annotations

from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core.dates import weekday_day_time
from regulars.customers.greeting import WARNING, CardBuilder, CardPart, Hint
from regulars.customers.models import Customer
from regulars.feedback.models import RECOVERY_OPEN, Recovery, RecoveryStatus

ORDER = 5  # before the open tickets: how the customer feels comes first


def _scores(recovery: Recovery) -> str:
    response = recovery.response
    parts = []
    if response.csat is not None:
        parts.append(_("satisfaction %(score)s of 5") % {"score": response.csat})
    if response.nps is not None:
        parts.append(_("recommendation %(score)s of 10") % {"score": response.nps})
    return ", ".join(parts)


def dissatisfied_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    recovery = (
        Recovery.objects.filter(customer=customer, status__in=RECOVERY_OPEN)
        .select_related("response", "location")
        .order_by("-opened_at")
        .first()
    )
    if recovery is None:
        return None
    response = recovery.response
    when = weekday_day_time(
        response.submitted_at, location.timezone, translation.get_language() or "en"
    )
    values = {
        "when": when,
        "scores": _scores(recovery) or _("a negative comment"),
        "status": RecoveryStatus(recovery.status).label.lower(),
    }
    items = [
        Hint(
            kind="dissatisfied",
            text=_("Unhappy in the survey of %(when)s (%(scores)s); recovery: %(status)s") % values,
            level=WARNING,
        )
    ]
    said = (response.why or response.comment).strip()
    if said:
        items.append(Hint(kind="said", text=f"“{said[:140]}”", level=WARNING))
    return CardPart(key="dissatisfied", title=_("Make it right"), items=tuple(items), order=ORDER)


PARTS: dict[str, CardBuilder] = {"dissatisfied": dissatisfied_part}
