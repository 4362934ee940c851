"""The loyalty pages' GET filter: one of the reader's locations, or all of them."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.accounts.models import Location


class LocationForm(forms.Form):
    """A blank choice means every location the reader may see loyalty at; a location
    of someone else is refused (the form is invalid and the page shows no figures)."""

    location = forms.ChoiceField(label=gettext_lazy("Location"), required=False)

    def __init__(self, data: Any, *, locations: list[Location]) -> None:
        super().__init__(data)
        self.locations = locations
        field = cast(forms.ChoiceField, self.fields["location"])
        field.choices = [("", _("Any location"))] + [(str(loc.pk), loc.name) for loc in locations]

    def chosen_locations(self) -> list[Location]:
        """The location picked (of a valid form), or all the reader's."""
        picked = self.cleaned_data.get("location")
        if not picked:
            return self.locations
        return [loc for loc in self.locations if str(loc.pk) == picked]
