"""Logging a visit: from a customer's profile, or an anonymous walk-in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin
from regulars.core.money import parse_amount
from regulars.customers.models import Customer
from regulars.service.models import Channel

MAX_WAIT_SECONDS = 86400


class VisitForm(CleanTextMixin, forms.Form):
    """The arguments of ``service.services.log_visit`` except who and whom.

    ``locations`` are those where the user may log visits (the first is the default
    unless ``default_location`` is among them). For an organisation with contact
    people, ``contacts`` offers who came on its behalf.
    """

    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), empty_label=None
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    had = forms.CharField(
        label=_("What they had"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=30,
        help_text=_("Optional, e.g. 12,50 or 12.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    wait_seconds = forms.IntegerField(
        label=_("Queue wait (seconds)"),
        required=False,
        min_value=0,
        max_value=MAX_WAIT_SECONDS,
    )
    contact_person = forms.ModelChoiceField(
        label=_("On behalf of the organisation"),
        queryset=Customer.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=_("Nobody in particular"),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        locations: list[Location],
        default_location: Location | None = None,
        contacts: list[Customer] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        field.queryset = Location.objects.filter(pk__in=[loc.pk for loc in locations])
        ids = [loc.pk for loc in locations]
        if default_location is not None and default_location.pk in ids:
            field.initial = default_location.pk
        elif ids:
            field.initial = locations[0].pk
        if len(locations) == 1:
            field.widget = forms.HiddenInput()
        contact_field = self.fields["contact_person"]
        assert isinstance(contact_field, forms.ModelChoiceField)  # noqa: S101
        if contacts:
            contact_field.queryset = Customer.objects.filter(pk__in=[c.pk for c in contacts])
        else:
            del self.fields["contact_person"]

    def clean_amount(self) -> Decimal | None:
        text = (self.cleaned_data.get("amount") or "").strip()
        if not text:
            return None
        try:
            value = parse_amount(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("“%(text)s” is not an amount. Write it like 12,50 or 12.50."),
                params={"text": text},
            ) from exc
        if value < 0:
            raise forms.ValidationError(_("An amount cannot be negative."))
        return value

    def visit_values(self) -> dict[str, Any]:
        """Keyword arguments for ``log_visit`` (besides actor and customer)."""
        data = self.cleaned_data
        return {
            "location": data["location"],
            "channel": data["channel"],
            "amount": data["amount"],
            "had": data["had"],
            "wait_seconds": data["wait_seconds"],
            "note": data["note"],
            "contact_person": data.get("contact_person"),
        }
