"""The GET filter the figures pages share: a period (blank dates mean the last 90 days,
at most three years), one of the user's locations or all of them, and a staff member
or anyone. The service figures and the feedback dashboard build on it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from regulars.accounts.models import Location, person_name

DEFAULT_DAYS = 90  # the last 90 days, today included
MAX_DAYS = 3 * 365 + 1  # three years, one leap day included


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class PeriodFilterForm(forms.Form):
    """Blank dates mean the default period: the last 90 days ending today."""

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
    staff = PersonChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )

    def __init__(
        self,
        data: Any,
        *,
        locations: list[Location],
        people: QuerySet[Any],
        today: date,
    ) -> None:
        # Blank or missing dates show (and mean) the default period.
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
        cast(PersonChoiceField, self.fields["staff"]).queryset = people

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None:
            if end < start:
                self.add_error("end", _("The end date is before the start date."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        return cleaned

    def chosen_locations(self) -> list[Location]:
        """The location picked (of a valid form), or all the user's."""
        picked = self.cleaned_data.get("location")
        if not picked:
            return self.locations
        return [loc for loc in self.locations if str(loc.pk) == picked]
