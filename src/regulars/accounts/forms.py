from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from regulars.accounts.hours import hours_as_text, parse_hours_text
from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin


def location_or_everywhere_field() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """A location, or empty for every location (survey rules, outreach plays); the form
    offers the user's own locations with ``offer_locations``."""
    return forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=_("Every location"),
        error_messages={"invalid_choice": _("Choose one of your locations, or every location.")},
    )


def offer_locations(form: forms.Form, locations: Iterable[Location]) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Limit the form's ``location`` field to ``locations``, by name; the field."""
    field = form.fields["location"]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
    field.queryset = Location.objects.filter(pk__in=[loc.pk for loc in locations]).order_by("name")
    return field


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Interface language"),
        choices=[("", _("Same as my browser"))] + list(settings.LANGUAGES),
        required=False,
    )


class LocationForm(CleanTextMixin, forms.ModelForm):  # type: ignore[type-arg]
    hours_text = forms.CharField(
        label=_("Opening hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("One line per day, e.g. “mon 08:00-12:30, 15:00-19:00”."),
    )

    class Meta:
        model = Location
        fields = ["name", "address", "country", "timezone", "currency", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["hours_text"].initial = hours_as_text(self.instance.opening_hours)

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def clean_hours_text(self) -> dict[str, list[list[str]]]:
        try:
            return parse_hours_text(self.cleaned_data.get("hours_text") or "")
        except ValueError as exc:
            raise forms.ValidationError(
                _("Opening hours: %(problem)s"), params={"problem": str(exc)}
            ) from exc

    def save(self, commit: bool = True) -> Location:
        self.instance.opening_hours = self.cleaned_data["hours_text"]
        return super().save(commit=commit)  # type: ignore[no-any-return]
