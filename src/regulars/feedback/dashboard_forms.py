"""The feedback dashboard's GET filter: period, location, staff member, channel and
trigger (blank dates mean the last 90 days); the comments drill-down adds a topic or a
quality dimension."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from regulars.accounts.period_filter import PeriodFilterForm
from regulars.feedback.dashboard import FeedbackFilter
from regulars.feedback.instruments import Dimension
from regulars.feedback.models import InviteChannel, Trigger


class DashboardForm(PeriodFilterForm):
    """The period, location and staff filter of the figures pages, plus the channel
    and the event that asked."""

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

    def to_filter(self) -> FeedbackFilter:
        """The filter of a valid form."""
        locations = self.chosen_locations()
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
