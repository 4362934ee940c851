"""What a play and its arms may hold: the bounds, the specs a manager fills in, and the
checks every write runs again (whatever the form did). A check that fails raises
``PlayError`` naming the form field at fault, in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.accounts.models import Location
from regulars.outreach.models import (
    ArmChannel,
    OccasionKind,
    Play,
    PlayKind,
    PlayStatus,
    VoucherKind,
)

MAX_NAME = 100
MAX_PER_30_DAYS = (1, 10)  # the contact budget's bounds
MAX_ARMS = 4
LABELS = "ABCD"  # arm labels in order; len(LABELS) == MAX_ARMS
HOLDOUT_PERCENT = (0, 50)
LEAD_DAYS = (0, 60)
SEND_HOUR = (0, 23)
WEIGHT = (1, 100)
VOUCHER_DAYS = (1, 365)
PERCENT_OFF = (Decimal(1), Decimal(100))
MAX_AMOUNT = Decimal("99999999.99")  # max_digits=10, decimal_places=2
MAX_VOUCHER_TEXT = 100
# Audience settings by kind (see ``Play.params``).
WELCOME_AFTER_DAYS = (0, 365)
WINBACK_MIN_DAYS = (14, 3650)
MILESTONE = (1, 100000)
MAX_MILESTONES = 10
# Filled in when a play does not say (the planner's own defaults, ``audiences``); a
# win-back without ``min_days`` reaches everyone the nightly snapshot counts as lapsed.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    PlayKind.WELCOME: {"after_days": 2},
    PlayKind.THANK_YOU: {"milestones": [10, 25, 50, 100]},
}

# The moves a manager may make: action -> (from statuses, to status).
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": ((PlayStatus.DRAFT,), PlayStatus.APPROVED),
    "pause": ((PlayStatus.APPROVED,), PlayStatus.PAUSED),
    "resume": ((PlayStatus.PAUSED,), PlayStatus.APPROVED),
}


# How a move reads in "it cannot be approved now".
MOVE_WORDS: dict[str, Any] = {
    "approve": gettext_lazy("approved"),
    "pause": gettext_lazy("paused"),
    "resume": gettext_lazy("resumed"),
}


class PlayError(ValueError):
    """Input a play or its arms cannot take, or a move its status does not allow;
    ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PlaySpec:
    """What a manager chooses for a play (audience, schedule, holdout)."""

    name: str
    kind: str
    occasion: str = ""
    location: Location | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    lead_days: int = 0
    send_hour: int = 10
    holdout_percent: int = 0

    @classmethod
    def of(cls, play: Play) -> PlaySpec:
        """A play's current values (``dataclasses.replace`` it to change a few)."""
        return cls(
            name=play.name,
            kind=play.kind,
            occasion=play.occasion,
            location=play.location,
            params=dict(play.params or {}),
            lead_days=play.lead_days,
            send_hour=play.send_hour,
            holdout_percent=play.holdout_percent,
        )


@dataclass(frozen=True)
class ArmSpec:
    """One gesture: how it reaches the customer and the voucher it carries, if any."""

    channel: str = ArmChannel.AUTO
    voucher_kind: str = VoucherKind.NONE
    voucher_value: Decimal | None = None
    voucher_text: str = ""
    voucher_days: int = 30
    weight: int = 1


# --- checks -------------------------------------------------------------------------------


def whole_between(
    value: Any, bounds: tuple[int, int], message: str, field_name: str, **names: Any
) -> int:
    """``value`` when it is a whole number within ``bounds``; else the error ``message``
    with ``%(low)s``, ``%(high)s`` and ``names`` filled in."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlayError(message % {"low": low, "high": high, **names}, field_name)
    return value


def _clean_welcome(params: Mapping[str, Any]) -> dict[str, Any]:
    after = params.get("after_days", DEFAULT_PARAMS[PlayKind.WELCOME]["after_days"])
    return {
        "after_days": whole_between(
            after,
            WELCOME_AFTER_DAYS,
            _("A welcome goes %(low)s to %(high)s days after the first visit."),
            "after_days",
        )
    }


def _clean_winback(params: Mapping[str, Any]) -> dict[str, Any]:
    days = params.get("min_days")
    if days is None:
        return {}
    return {
        "min_days": whole_between(
            days,
            WINBACK_MIN_DAYS,
            _("A customer is lapsed after %(low)s to %(high)s days away."),
            "min_days",
        )
    }


def _clean_thankyou(params: Mapping[str, Any]) -> dict[str, Any]:
    given = params.get("milestones", DEFAULT_PARAMS[PlayKind.THANK_YOU]["milestones"])
    if not isinstance(given, list | tuple) or not given:
        raise PlayError(_("Give at least one milestone (a number of visits)."), "milestones")
    message = _("A milestone is a number of visits from %(low)s to %(high)s.")
    milestones = sorted({whole_between(m, MILESTONE, message, "milestones") for m in given})
    if len(milestones) > MAX_MILESTONES:
        raise PlayError(
            _("At most %(count)s milestones.") % {"count": MAX_MILESTONES}, "milestones"
        )
    return {"milestones": milestones}


def _no_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {}


# The audience settings each kind takes, checked and with defaults filled in.
PARAM_CLEANERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    PlayKind.OCCASION: _no_params,
    PlayKind.WELCOME: _clean_welcome,
    PlayKind.CHECK_IN: _no_params,
    PlayKind.WIN_BACK: _clean_winback,
    PlayKind.RECOVERY: _no_params,
    PlayKind.THANK_YOU: _clean_thankyou,
}


def clean_play(spec: PlaySpec) -> dict[str, Any]:
    name = " ".join(spec.name.split())
    if not name:
        raise PlayError(_("Give the play a name."), "name")
    if len(name) > MAX_NAME:
        raise PlayError(_("A name has at most %(count)s characters.") % {"count": MAX_NAME}, "name")
    if spec.kind not in PARAM_CLEANERS:
        raise PlayError(_("Choose what kind of play this is."), "kind")
    occasion = ""
    lead_days = 0
    if spec.kind == PlayKind.OCCASION:
        if spec.occasion not in OccasionKind.values:
            raise PlayError(_("Choose the occasion."), "occasion")
        occasion = spec.occasion
        lead_days = whole_between(
            spec.lead_days,
            LEAD_DAYS,
            _("Send %(low)s to %(high)s days before the occasion."),
            "lead_days",
        )
    return {
        "name": name,
        "kind": spec.kind,
        "occasion": occasion,
        "location": spec.location,
        "params": PARAM_CLEANERS[spec.kind](spec.params or {}),
        "lead_days": lead_days,
        "send_hour": whole_between(
            spec.send_hour, SEND_HOUR, _("The hour is from %(low)s to %(high)s."), "send_hour"
        ),
        "holdout_percent": whole_between(
            spec.holdout_percent,
            HOLDOUT_PERCENT,
            _("The holdout is a whole percentage from %(low)s to %(high)s."),
            "holdout_percent",
        ),
    }


def _clean_value(spec: ArmSpec, label: str) -> Decimal | None:
    if spec.voucher_kind not in (VoucherKind.PERCENT, VoucherKind.AMOUNT):
        return None
    value = spec.voucher_value
    try:
        value = None if value is None else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if spec.voucher_kind == VoucherKind.PERCENT:
        low, high = PERCENT_OFF
        if value is None or not value.is_finite() or not low <= value <= high:
            raise PlayError(
                _("Arm %(label)s: a percentage off is from 1 to 100.") % {"label": label},
                "voucher_value",
            )
    elif value is None or not value.is_finite() or not Decimal(0) < value <= MAX_AMOUNT:
        raise PlayError(
            _("Arm %(label)s: an amount off is more than zero.") % {"label": label},
            "voucher_value",
        )
    if value != value.quantize(Decimal("0.01")):
        raise PlayError(
            _("Arm %(label)s: the voucher value has at most two decimals.") % {"label": label},
            "voucher_value",
        )
    return value.quantize(Decimal("0.01"))


def _clean_arm(spec: ArmSpec, label: str) -> dict[str, Any]:
    if spec.channel not in ArmChannel.values:
        raise PlayError(_("Arm %(label)s: choose how it is sent.") % {"label": label}, "channel")
    if spec.voucher_kind not in VoucherKind.values:
        raise PlayError(
            _("Arm %(label)s: choose a voucher, or none.") % {"label": label}, "voucher_kind"
        )
    with_voucher = spec.voucher_kind != VoucherKind.NONE
    text = " ".join(spec.voucher_text.split()) if with_voucher else ""
    if len(text) > MAX_VOUCHER_TEXT:
        raise PlayError(
            _("Arm %(label)s: the voucher's text has at most %(count)s characters.")
            % {"label": label, "count": MAX_VOUCHER_TEXT},
            "voucher_text",
        )
    if spec.voucher_kind == VoucherKind.ITEM and not text:
        raise PlayError(
            _("Arm %(label)s: say which item the voucher gives.") % {"label": label},
            "voucher_text",
        )
    days = 30
    if with_voucher:
        days = whole_between(
            spec.voucher_days,
            VOUCHER_DAYS,
            _("Arm %(label)s: a voucher is valid %(low)s to %(high)s days."),
            "voucher_days",
            label=label,
        )
    return {
        "label": label,
        "channel": spec.channel,
        "voucher_kind": spec.voucher_kind,
        "voucher_value": _clean_value(spec, label),
        "voucher_text": text,
        "voucher_days": days,
        "weight": whole_between(
            spec.weight,
            WEIGHT,
            _("Arm %(label)s: its share is a whole number from %(low)s to %(high)s."),
            "weight",
            label=label,
        ),
    }


def clean_arms(arms: Sequence[ArmSpec]) -> list[dict[str, Any]]:
    if len(arms) > MAX_ARMS:
        raise PlayError(_("A play has at most %(count)s arms.") % {"count": MAX_ARMS})
    return [_clean_arm(spec, LABELS[index]) for index, spec in enumerate(arms)]
