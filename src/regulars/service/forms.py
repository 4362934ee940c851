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
from regulars.service import items as item_lines
from regulars.service.models import Channel

MAX_WAIT_SECONDS = 86400

# What is wrong with an item line, by ItemLineError.problem.
ITEM_LINE_ERRORS = {
    item_lines.NO_DESCRIPTION: _("Line %(line)s: “%(text)s” names no item."),
    item_lines.BAD_QUANTITY: _(
        "Line %(line)s: the quantity of “%(text)s” has more than three decimals."
    ),
    item_lines.QUANTITY_RANGE: _(
        "Line %(line)s: the quantity of “%(text)s” must be more than 0 and at most "
        "%(max_quantity)s."
    ),
    item_lines.BAD_AMOUNT: _(
        "Line %(line)s: the amount of “%(text)s” cannot be read. Write it like 12,50 or 12.50."
    ),
    item_lines.NEGATIVE_AMOUNT: _("Line %(line)s: the amount of “%(text)s” is negative."),
    item_lines.TOO_LONG: _("Line %(line)s: the item is longer than %(max_length)s characters."),
    item_lines.TOO_MANY: _(
        "At most %(max_lines)s items per visit (line %(line)s is one too many)."
    ),
}


def amount_from_text(text: str) -> Decimal | None:
    """An amount as typed in a form (None when empty); ValidationError otherwise."""
    text = text.strip()
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


def location_field(
    field: forms.Field, locations: list[Location], default: Location | None = None
) -> None:
    """Offer ``locations`` in a location choice, preselect ``default`` when it is among
    them (else the first), and hide the choice when there is only one."""
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
    field.queryset = Location.objects.filter(pk__in=[loc.pk for loc in locations])
    ids = [loc.pk for loc in locations]
    if default is not None and default.pk in ids:
        field.initial = default.pk
    elif ids:
        field.initial = locations[0].pk
    if len(locations) == 1:
        field.widget = forms.HiddenInput()


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
    items = forms.CharField(
        label=_("Items"),
        required=False,
        max_length=10000,
        help_text=_(
            "Optional, one item per line: “2 x cappuccino 3,00”, “tagliere misto 12.50”. "
            "The quantity and the line's total are optional."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=30,
        help_text=_("Optional, e.g. 12,50 or 12.50. Left empty, the total of the items' amounts."),
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
        location_field(self.fields["location"], locations, default_location)
        contact_field = self.fields["contact_person"]
        assert isinstance(contact_field, forms.ModelChoiceField)  # noqa: S101
        if contacts:
            contact_field.queryset = Customer.objects.filter(pk__in=[c.pk for c in contacts])
        else:
            del self.fields["contact_person"]

    def clean_amount(self) -> Decimal | None:
        return amount_from_text(self.cleaned_data.get("amount") or "")

    def clean(self) -> dict[str, Any]:
        """Read the item lines (after the text was normalised); without a "what they had",
        their descriptions stand in for it so lists and search show them."""
        data = super().clean() or self.cleaned_data
        data["lines"] = []
        if "items" not in data:
            return data
        try:
            lines = item_lines.parse_item_lines(data["items"])
        except item_lines.ItemLineError as exc:
            self.add_error(
                "items",
                forms.ValidationError(
                    ITEM_LINE_ERRORS[exc.problem],
                    code=exc.problem,
                    params={
                        "line": exc.line,
                        "text": exc.text,
                        "max_quantity": item_lines.MAX_QUANTITY,
                        "max_length": item_lines.MAX_DESCRIPTION,
                        "max_lines": item_lines.MAX_LINES,
                    },
                ),
            )
            return data
        data["lines"] = lines
        if lines and not data.get("had"):
            data["had"] = item_lines.had_from([line.description for line in lines])
        return data

    def visit_values(self) -> dict[str, Any]:
        """Keyword arguments for ``log_visit`` (besides actor and customer)."""
        data = self.cleaned_data
        return {
            "location": data["location"],
            "channel": data.get("channel") or Channel.IN_PERSON,
            "amount": data["amount"],
            "had": data["had"],
            "lines": [line.as_tuple() for line in data["lines"]],
            "wait_seconds": data.get("wait_seconds"),
            "note": data["note"],
            "contact_person": data.get("contact_person"),
        }


class CounterVisitForm(VisitForm):
    """The counter's one-click visit: at the counter's location, in person; what they
    had, the amount and a note are all optional."""

    def __init__(self, *args: Any, location: Location, **kwargs: Any) -> None:
        super().__init__(*args, locations=[location], default_location=location, **kwargs)
        for name in ("channel", "wait_seconds", "contact_person", "items"):
            self.fields.pop(name, None)
        self.fields["had"].widget = forms.TextInput(attrs={"autocomplete": "off"})
        self.fields["note"].widget = forms.TextInput(attrs={"autocomplete": "off"})
