"""Forms of the plays pages: a play (audience, schedule, holdout), its arms, the filter
of the held-back page and the contact budget. They check what was typed and hand the
``plays`` services a spec; the services check everything again and write."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from regulars.accounts.forms import location_or_everywhere_field, offer_locations
from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin
from regulars.outreach import plays
from regulars.outreach.models import (
    ArmChannel,
    OccasionKind,
    Play,
    PlayKind,
    VoucherKind,
)


def _filled_in(message: Any, values: dict[str, Any]) -> Any:
    """``message % values``, translated when shown (not when this module is imported)."""
    return lazy(lambda: str(message) % values, str)()


def _whole(label: Any, bounds: tuple[int, int], message: Any, **extra: Any) -> forms.IntegerField:
    low, high = bounds
    text = _filled_in(message, {"low": low, "high": high})
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), text),
        widget=forms.NumberInput(attrs={"size": 4}),
        **extra,
    )


HELD_DAYS = 30  # the held-back page looks this far back unless told otherwise
DAY_CHOICES = (7, 30, 90)
HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]

# The audience fields each kind shows (the rest are not asked).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    PlayKind.OCCASION: ("occasion", "lead_days"),
    PlayKind.WELCOME: ("after_days",),
    PlayKind.CHECK_IN: (),
    PlayKind.WIN_BACK: ("min_days",),
    PlayKind.RECOVERY: (),
    PlayKind.THANK_YOU: ("milestones",),
}
COMMON_FIELDS = ("name", "kind", "location")
SCHEDULE_FIELDS = ("send_hour", "holdout_percent")

# Who each kind reaches, in plain words (shown under the kind).
KIND_HELP: dict[str, Any] = {
    PlayKind.OCCASION: _("Customers on an occasion of theirs: a birthday, a name day, …"),
    PlayKind.WELCOME: _("New customers, a few days after their first visit."),
    PlayKind.CHECK_IN: _("Regulars who are overdue by their own rhythm."),
    PlayKind.WIN_BACK: _("Customers who stopped coming, by their own rhythm."),
    PlayKind.RECOVERY: _("Customers who were dissatisfied, once their complaint is resolved."),
    PlayKind.THANK_YOU: _("Customers who reach a number of visits."),
}


def parse_milestones(text: str) -> list[int]:
    """ "10, 50 100" -> [10, 50, 100]; a word that is not a whole number raises
    ValueError."""
    parts = text.replace(";", " ").replace(",", " ").split()
    return [int(part) for part in parts]


class PlayForm(CleanTextMixin, forms.Form):
    """A play's audience and schedule. ``locations`` are those the user manages;
    empty means every location (which the services allow only to someone who manages
    all of them)."""

    name = forms.CharField(
        label=_("Name"),
        max_length=plays.MAX_NAME,
        error_messages={"required": _("Give the play a name.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of play"),
        choices=PlayKind.choices,
        error_messages={
            "required": _("Choose what kind of play this is."),
            "invalid_choice": _("Choose what kind of play this is."),
        },
    )
    location = location_or_everywhere_field()
    occasion = forms.ChoiceField(
        label=_("Occasion"),
        choices=[("", "—"), *OccasionKind.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose the occasion.")},
    )
    lead_days = _whole(
        _("Days before the occasion"),
        plays.LEAD_DAYS,
        _("Send %(low)s to %(high)s days before the occasion."),
        initial=0,
        help_text=_("0: on the day itself."),
    )
    after_days = _whole(
        _("Days after the first visit"),
        plays.WELCOME_AFTER_DAYS,
        _("A welcome goes %(low)s to %(high)s days after the first visit."),
        initial=plays.DEFAULT_PARAMS[PlayKind.WELCOME]["after_days"],
    )
    min_days = _whole(
        _("Only those away at least this many days"),
        plays.WINBACK_MIN_DAYS,
        _("A customer is lapsed after %(low)s to %(high)s days away."),
        help_text=_("Empty: everyone the nightly snapshot counts as lapsed by their own rhythm."),
    )
    milestones = forms.CharField(
        label=_("Thank at these numbers of visits"),
        max_length=100,
        initial=", ".join(str(m) for m in plays.DEFAULT_PARAMS[PlayKind.THANK_YOU]["milestones"]),
        help_text=_("Whole numbers separated by commas, e.g. 10, 50, 100."),
    )
    send_hour = forms.TypedChoiceField(
        label=_("Send at (the customer's local time)"),
        choices=HOUR_CHOICES,
        coerce=int,
        initial=10,
        help_text=_("Never during the quiet hours: a message planned then waits for them to end."),
    )
    holdout_percent = _whole(
        _("Holdout (percent kept as a control)"),
        plays.HOLDOUT_PERCENT,
        _("The holdout is a whole percentage from %(low)s to %(high)s."),
        initial=0,
        help_text=_(
            "This share of the audience gets nothing, so the experiment report can "
            "show what the play changes. 0: everyone gets it."
        ),
    )

    def __init__(
        self,
        *args: Any,
        locations: Sequence[Location],
        everywhere: bool,
        fields_url: str,
        **kwargs: Any,
    ) -> None:
        """``locations``: where the user manages outreach; ``everywhere``: they manage
        every location (only then is "every location" offered). ``fields_url``: the page
        itself, asked again (htmx) when the kind changes, so the form shows the fields of
        the chosen kind."""
        super().__init__(*args, **kwargs)
        field = offer_locations(self, locations)
        if not everywhere:
            field.required = True
            field.empty_label = None
            field.error_messages["required"] = _("Choose one of your locations.")
            field.error_messages["invalid_choice"] = _("Choose one of your locations.")
        # Asked only for the chosen kind (see ``kind_fields``).
        for name in ("after_days", "min_days", "milestones"):
            self.fields[name].required = False
        self.fields["kind"].widget.attrs.update(
            {
                "hx-get": fields_url,
                "hx-include": "this",
                "hx-select": "#kind-fields",
                "hx-target": "#kind-fields",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )

    @staticmethod
    def initial_for(play: Play) -> dict[str, Any]:
        params = dict(play.params or {})
        values: dict[str, Any] = {
            "name": play.name,
            "kind": play.kind,
            "location": play.location_id,
            "occasion": play.occasion,
            "lead_days": play.lead_days,
            "send_hour": play.send_hour,
            "holdout_percent": play.holdout_percent,
        }
        if "after_days" in params:
            values["after_days"] = params["after_days"]
        if "min_days" in params:
            values["min_days"] = params["min_days"]
        if params.get("milestones"):
            values["milestones"] = ", ".join(str(m) for m in params["milestones"])
        return values

    def chosen_kind(self) -> str:
        """The kind the form shows fields for: the one typed, else the initial one."""
        typed = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        kind = typed or self.initial.get("kind") or self.fields["kind"].initial
        return str(kind) if kind in KIND_FIELDS else PlayKind.OCCASION

    def kind_help(self) -> Any:
        return KIND_HELP.get(self.chosen_kind(), "")

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in COMMON_FIELDS]

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in KIND_FIELDS[self.chosen_kind()]]

    def schedule_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SCHEDULE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        asked = KIND_FIELDS.get(str(kind), ())
        if kind == PlayKind.OCCASION and "occasion" not in self.errors and not data.get("occasion"):
            self.add_error("occasion", _("Choose the occasion."))
        for name in ("after_days",):
            if name in asked and data.get(name) is None and name not in self.errors:
                self.add_error(name, self.fields[name].error_messages["required"])
        if "milestones" in asked and "milestones" not in self.errors:
            try:
                data["milestones"] = parse_milestones(str(data.get("milestones") or ""))
            except ValueError:
                self.add_error("milestones", _("Write whole numbers separated by commas."))
        return data

    def spec(self) -> plays.PlaySpec:
        data = self.cleaned_data
        kind = data["kind"]
        params: dict[str, Any] = {}
        if kind == PlayKind.WELCOME:
            params["after_days"] = data["after_days"]
        elif kind == PlayKind.WIN_BACK and data.get("min_days") is not None:
            params["min_days"] = data["min_days"]
        elif kind == PlayKind.THANK_YOU:
            params["milestones"] = data["milestones"]
        return plays.PlaySpec(
            name=data["name"],
            kind=kind,
            occasion=data.get("occasion") or "",
            location=data.get("location"),
            params=params,
            lead_days=data.get("lead_days") or 0,
            send_hour=data["send_hour"],
            holdout_percent=data["holdout_percent"],
        )


class ArmForm(CleanTextMixin, forms.Form):
    """One arm (A, B, C or D). Arm A is always used; the others only when ticked."""

    used = forms.BooleanField(label=_("Use this arm"), required=False)
    channel = forms.ChoiceField(
        label=_("How"),
        choices=ArmChannel.choices,
        initial=ArmChannel.AUTO,
        error_messages={"invalid_choice": _("Choose how it is sent.")},
    )
    voucher_kind = forms.ChoiceField(
        label=_("Voucher"),
        choices=VoucherKind.choices,
        required=False,
        error_messages={"invalid_choice": _("Choose a voucher, or none.")},
    )
    voucher_value = forms.DecimalField(
        label=_("Voucher value (percent or amount)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"size": 6, "step": "0.01"}),
    )
    voucher_text = forms.CharField(
        label=_("What the voucher gives"),
        required=False,
        max_length=plays.MAX_VOUCHER_TEXT,
        help_text=_("e.g. a coffee; for a free item, required."),
    )
    voucher_days = _whole(
        _("Voucher valid for (days)"),
        plays.VOUCHER_DAYS,
        _("A voucher is valid %(low)s to %(high)s days."),
        initial=30,
    )
    weight = _whole(
        pgettext_lazy("an arm's weight", "Share"),
        plays.WEIGHT,
        _("A share is a whole number from %(low)s to %(high)s."),
        initial=1,
        help_text=_("Arms split the audience by their shares: 1 and 1 is half and half."),
    )

    def __init__(self, data: Any, *, label: str, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, prefix=f"arm{label}", initial=initial)
        self.label = label
        self.always = label == plays.LABELS[0]
        if self.always:
            del self.fields["used"]

    def is_used(self) -> bool:
        if self.always:
            return True
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("used"))

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "used"]

    def spec(self) -> plays.ArmSpec:
        data = self.cleaned_data
        return plays.ArmSpec(
            channel=data["channel"],
            voucher_kind=data.get("voucher_kind") or "",
            voucher_value=data.get("voucher_value"),
            voucher_text=data.get("voucher_text") or "",
            voucher_days=data["voucher_days"],
            weight=data["weight"],
        )


def arm_forms(data: Any, play: Play | None) -> list[ArmForm]:
    """One form per possible arm, filled with the play's arms when not posted."""
    current = {arm.label: arm for arm in play.arms.all()} if play is not None else {}
    forms_: list[ArmForm] = []
    for label in plays.LABELS:
        arm = current.get(label)
        initial: dict[str, Any] = {}
        if arm is not None:
            initial = {
                "used": True,
                "channel": arm.channel,
                "voucher_kind": arm.voucher_kind,
                "voucher_value": arm.voucher_value,
                "voucher_text": arm.voucher_text,
                "voucher_days": arm.voucher_days,
                "weight": arm.weight,
            }
        forms_.append(ArmForm(data, label=label, initial=initial))
    return forms_


def used_arms_valid(arm_list: Sequence[ArmForm]) -> bool:
    """True when every arm in use is valid (an unticked arm is not checked)."""
    ok = True
    for form in arm_list:
        if not form.is_bound:
            return False
        if form.always or form.data.get(form.add_prefix("used")):
            ok = form.is_valid() and ok
    return ok


class PolicyForm(forms.Form):
    """The contact budget for the whole business."""

    max_per_30_days = _whole(
        _("At most this many messages per customer in any 30 days"),
        plays.MAX_PER_30_DAYS,
        _("From %(low)s to %(high)s messages in 30 days."),
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": _("Give the time the quiet hours start."),
            "invalid": _("Give a time such as 20:00."),
        },
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": _("Give the time the quiet hours end."),
            "invalid": _("Give a time such as 09:00."),
        },
    )
    plan_hour = forms.TypedChoiceField(
        label=_("Plan the day's outreach at"),
        choices=HOUR_CHOICES,
        coerce=int,
        help_text=_(
            "Every morning at this hour (the first location's time); each message then "
            "goes at its play's hour."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if isinstance(start, time) and isinstance(end, time) and start == end:
            self.add_error(
                "quiet_end", _("The quiet hours must end at another time than they start.")
            )
        return data


class HeldFilterForm(forms.Form):
    """The held-back page's filter: how far back, where, which play, which reason."""

    days = forms.ChoiceField(
        label=_("In the last"),
        choices=[
            (str(days), _filled_in(_("%(days)s days"), {"days": days})) for days in DAY_CHOICES
        ],
        required=False,
    )
    location = forms.ChoiceField(label=_("Location"), required=False)
    play = forms.ChoiceField(label=_("Play"), required=False)
    reason = forms.ChoiceField(label=_("Reason"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        locations: Sequence[Location],
        play_choices: Sequence[tuple[str, str]],
        reason_choices: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        self.locations = list(locations)
        self._set("location", [(str(loc.pk), loc.name) for loc in locations], _("Any location"))
        self._set("play", play_choices, _("Any play"))
        self._set("reason", reason_choices, _("Any reason"))

    def _set(self, name: str, choices: Sequence[tuple[str, Any]], anything: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
        field.choices = [("", anything), *choices]

    def chosen_days(self) -> int:
        return int(self.cleaned_data.get("days") or HELD_DAYS)

    def chosen_locations(self) -> list[Location]:
        picked = self.cleaned_data.get("location")
        if not picked:
            return self.locations
        return [loc for loc in self.locations if str(loc.pk) == picked]
