"""Why the policy held a message: a machine code (``Message.reason``) with its figures
(``Message.reason_params``), and the sentence a manager reads (``describe``).

The codes are stored, so they never change; the sentences are translated when shown,
in the reader's language. The policy's rules (``outreach.policy.RULES``) hold with
these codes, in the order listed in ``ORDER``; the planner adds ``ANOTHER_FIRST`` when
another message takes the customer's one message of the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

UNSUBSCRIBED = "unsubscribed"
CONSENT = "consent"
NO_ADDRESS = "no_address"
BOUNCED = "bounced"
COMPLAINT = "complaint"
DETRACTOR = "detractor"
BUDGET = "budget"
TODAY = "today"
ANOTHER_FIRST = "another_first"

ORDER: tuple[str, ...] = (
    UNSUBSCRIBED,
    CONSENT,
    NO_ADDRESS,
    BOUNCED,
    COMPLAINT,
    DETRACTOR,
    BUDGET,
    TODAY,
    ANOTHER_FIRST,
)

# "No consent for ..." per channel (Channel values): a whole sentence each, so every
# language can phrase it its own way.
_NO_CONSENT: dict[str, Promise] = {
    "email": gettext_lazy("Held: no consent for e-mail"),
    "sms": gettext_lazy("Held: no consent for text messages"),
    "card": gettext_lazy("Held: no consent for post"),
    "call": gettext_lazy("Held: no consent for phone calls"),
}
_BOUNCED: dict[str, Promise] = {
    "email": gettext_lazy("Held: the e-mail address bounced"),
    "sms": gettext_lazy("Held: the mobile number bounced"),
    "card": gettext_lazy("Held: the postal address bounced"),
    "call": gettext_lazy("Held: the phone number bounced"),
}
_FIXED: dict[str, Promise] = {
    UNSUBSCRIBED: gettext_lazy("Held: unsubscribed from everything"),
    NO_ADDRESS: gettext_lazy("Held: no address or number for this channel"),
    COMPLAINT: gettext_lazy("Held: a complaint of theirs is open"),
    DETRACTOR: gettext_lazy("Held: a detractor not yet recovered"),
    TODAY: gettext_lazy("Held: already contacted today"),
}


def _count(params: Mapping[str, Any]) -> int:
    try:
        return int(params.get("count", 0))
    except (TypeError, ValueError):
        return 0


def describe(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The sentence for a held message in the active language. Never raises: an
    unknown code or missing figures still give a readable sentence."""
    values = params if isinstance(params, Mapping) else {}
    channel = str(values.get("channel", ""))
    if code == BUDGET:
        count = _count(values)
        return ngettext(
            "Held: %(count)s message in the last 30 days",
            "Held: %(count)s messages in the last 30 days",
            count,
        ) % {"count": count}
    if code == CONSENT:
        return str(_NO_CONSENT.get(channel, _("Held: no consent for this channel")))
    if code == BOUNCED:
        return str(_BOUNCED.get(channel, _("Held: the address bounced")))
    if code == ANOTHER_FIRST:
        play = str(values.get("play", "")).strip()
        if play:
            return _("Held: another message goes first today (%(play)s)") % {"play": play}
        return _("Held: another message goes first today")
    fixed = _FIXED.get(code)
    return str(fixed) if fixed is not None else _("Held by the contact policy")


_LABELS: dict[str, Promise] = {
    UNSUBSCRIBED: gettext_lazy("Unsubscribed"),
    CONSENT: gettext_lazy("No consent"),
    NO_ADDRESS: gettext_lazy("No address"),
    BOUNCED: gettext_lazy("Bounced"),
    COMPLAINT: gettext_lazy("Open complaint"),
    DETRACTOR: gettext_lazy("Detractor not recovered"),
    BUDGET: gettext_lazy("Contact budget used"),
    TODAY: gettext_lazy("Already contacted today"),
    ANOTHER_FIRST: gettext_lazy("Another message first"),
}


def label(code: str) -> str:
    """A short name of the reason, without figures (filters, counts per reason)."""
    found = _LABELS.get(code)
    return str(found) if found is not None else code


__all__ = ["ORDER", "describe", "label"]
