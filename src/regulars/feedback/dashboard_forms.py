"""The feedback dashboard's GET filter: period, location, staff member, channel and
trigger (blank dates mean the last 90 days); the comments drill-down adds a topic or a
quality dimension."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from regulars.accounts.models import Location, person_name
from regulars.feedback.dashboard import FeedbackFilter
from regulars.feedback.instruments import Dimension
from regulars.feedback.models import InviteChannel, Trigger

DEFAULT_DAYS = 90  # the last 90 days, today included
MAX_DAYS = 3 * 365 + 1  # three years, one leap day included


class _PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class DashboardForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    location = forms.ChoiceField(label=gettext_lazy("Location"), required=False)
    staff = _PersonChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[("", gettext_lazy("Any channel")), *InviteChannel.choices],
    )
    trigger = forms.ChoiceField(
        label=gettext_lazy("Asked"),
        required=False,
        choices=[("", gettext_lazy("After anything")), *Trigger.choices],
    )

    def __init__(
        self, data: Any, *, locations: list[Location], people: QuerySet[Any], today: date
    ) -> None:
        filled = data.copy()
        defaults = {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today}
        for key, value in defaults.items():
            if not filled.get(key):
                filled[key] = value.isoformat()
        super().__init__(filled)
        self.locations = locations
        location = cast(forms.ChoiceField, self.fields["location"])
        location.choices = [("", _("Any location"))] + [
            (str(loc.pk), loc.name) for loc in locations
        ]
        cast(_PersonChoiceField, self.fields["staff"]).queryset = people

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None:
            if end < start:
                self.add_error("end", _("The end date is before the start date."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        return cleaned

    def to_filter(self) -> FeedbackFilter:
        """The filter of a valid form."""
        picked = self.cleaned_data.get("location")
        locations = (
            [loc for loc in self.locations if str(loc.pk) == picked] if picked else self.locations
        )
        staff = self.cleaned_data.get("staff")
        return FeedbackFilter(
            start=self.cleaned_data["start"],
            end=self.cleaned_data["end"],
            locations=locations,
            staff_id=None if staff is None else staff.pk,
            channel=self.cleaned_data.get("channel") or "",
            trigger=self.cleaned_data.get("trigger") or "",
        )


class CommentsForm(DashboardForm):
    """The dashboard's filter plus what a figure was about."""

    topic = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    negative = forms.BooleanField(required=False, widget=forms.HiddenInput)
    dimension = forms.ChoiceField(
        required=False,
        choices=[("", ""), *Dimension.choices],
        widget=forms.HiddenInput,
    )
