"""Forms of the survey settings: a survey's rule, a question of the business's own (its
wording in each language) and the survey limits. They validate what was typed and give
the ``surveys`` services a spec; the services check everything again and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from regulars.accounts.forms import location_or_everywhere_field, offer_locations
from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin
from regulars.feedback.instruments import Instrument
from regulars.feedback.models import ChannelRule, QuestionKind, Trigger
from regulars.feedback.surveys import (
    COOLDOWN_DAYS,
    LINK_VALID_DAYS,
    MAX_NAME,
    MAX_POSITION,
    MAX_QUESTION_TEXT,
    QuestionSpec,
    SurveySpec,
)

TEXT_PREFIX = "text_"


def _filled_in(message: Any, values: dict[str, Any]) -> Any:
    """``message % values``, translated when shown (not when this module is imported)."""
    return lazy(lambda: str(message) % values, str)()


POSITION_MESSAGE = _filled_in(
    _("The position is a whole number from 0 to %(high)s."), {"high": MAX_POSITION}
)
POSITION_ERRORS = dict.fromkeys(("required", "invalid", "min_value", "max_value"), POSITION_MESSAGE)


def _position_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=MAX_POSITION,
        initial=0,
        error_messages=POSITION_ERRORS,
        help_text=_("Lower numbers come first."),
        widget=forms.NumberInput(attrs={"size": 5}),
    )


class SurveyForm(CleanTextMixin, forms.Form):
    """A survey's rule. ``locations`` are those the user manages; empty means every
    location."""

    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME,
        error_messages={"required": _("Give the survey a name.")},
    )
    trigger = forms.ChoiceField(
        label=_("Asked after"),
        choices=[(t.value, t.label) for t in (Trigger.VISIT, Trigger.TICKET_RESOLVED)],
        initial=Trigger.VISIT,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("A survey follows a visit or a resolved ticket."),
            "invalid_choice": _("A survey follows a visit or a resolved ticket."),
        },
    )
    location = location_or_everywhere_field()
    instruments = forms.MultipleChoiceField(
        label=_("Instruments"),
        choices=Instrument.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one instrument."),
            "invalid_choice": _("“%(value)s” is not an instrument."),
        },
    )
    channel = forms.ChoiceField(
        label=_("Sent"),
        choices=ChannelRule.choices,
        initial=ChannelRule.EMAIL_OR_RECEIPT,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how the survey is sent."),
            "invalid_choice": _("Choose how the survey is sent."),
        },
    )
    sampling_percent = forms.IntegerField(
        label=_("Share of events invited (%)"),
        min_value=0,
        max_value=100,
        initial=100,
        help_text=_("100: everyone the rules allow; 30: about three in ten."),
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value", "max_value"),
            _("The share of events invited is a whole number from 0 to 100."),
        ),
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = _position_field()

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_locations(self, locations)

    def spec(self) -> SurveySpec:
        data = self.cleaned_data
        return SurveySpec(
            name=data["name"],
            trigger=data["trigger"],
            location=data["location"],
            instruments=list(data["instruments"]),
            channel=data["channel"],
            sampling_percent=data["sampling_percent"],
            active=data["active"],
            position=data["position"],
        )


class QuestionForm(CleanTextMixin, forms.Form):
    """A question of the business's own: the kind of answer, whether it is required, its
    place, and one wording field per language of Regulars (at least one filled)."""

    kind = forms.ChoiceField(
        label=_("Answered with"),
        choices=QuestionKind.choices,
        initial=QuestionKind.SCALE_5,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the kind of answer."),
            "invalid_choice": _("Choose the kind of answer."),
        },
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    position = _position_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            self.fields[TEXT_PREFIX + code] = forms.CharField(
                label=name,
                required=False,
                max_length=MAX_QUESTION_TEXT,
                widget=forms.Textarea(attrs={"rows": 2, "lang": code}),
            )

    @staticmethod
    def initial_for(
        kind: str, texts: dict[str, str], required: bool, position: int
    ) -> dict[str, Any]:
        values: dict[str, Any] = {"kind": kind, "required": required, "position": position}
        values.update({TEXT_PREFIX + code: text for code, text in texts.items()})
        return values

    def text_fields(self) -> list[forms.BoundField]:
        return [self[TEXT_PREFIX + code] for code, _name in settings.LANGUAGES]

    def other_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("kind", "required", "position")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(
            str(data.get(TEXT_PREFIX + code) or "").strip() for code, _name in settings.LANGUAGES
        ) and not any(TEXT_PREFIX in name for name in self.errors):
            raise forms.ValidationError(
                _("Write the question in at least one language."), code="no_text"
            )
        return data

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        return QuestionSpec(
            kind=data["kind"],
            texts={code: data.get(TEXT_PREFIX + code) or "" for code, _name in settings.LANGUAGES},
            required=data["required"],
            position=data["position"],
        )


def _days_field(label: Any, bounds: tuple[int, int], message: Any) -> forms.IntegerField:
    low, high = bounds
    text = _filled_in(message, {"low": low, "high": high})
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), text),
        widget=forms.NumberInput(attrs={"size": 4}),
    )


class PolicyForm(forms.Form):
    """The survey limits for the whole business."""

    cooldown_days = _days_field(
        _("At most one survey per customer in (days)"),
        COOLDOWN_DAYS,
        _("At most one survey per customer in %(low)s to %(high)s days."),
    )
    link_valid_days = _days_field(
        _("Survey links stay valid (days)"),
        LINK_VALID_DAYS,
        _("A link stays valid %(low)s to %(high)s days."),
    )
