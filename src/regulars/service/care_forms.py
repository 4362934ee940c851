"""Forms of the service desk beyond tickets: a return or exchange in one page, a
promise, closing a promise, a follow-up's outcome. They validate what was typed; the
services (returns, promises, followups) check the rules and write."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin
from regulars.core.localtime import zone
from regulars.core.money import currency_of, quantize
from regulars.service.flow import FollowUpOutcome, Remedy, ReturnReason
from regulars.service.forms import amount_from_text, location_field
from regulars.service.models import Visit
from regulars.service.returns import ReturnedItem

LINE_PREFIX = "line_"


def new_request_key() -> str:
    return str(uuid.uuid4())


class ReturnForm(CleanTextMixin, forms.Form):
    """What comes back (the visit's lines with a quantity each, or a description when it
    was not bought in a logged visit), why, and what the customer gets instead."""

    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), empty_label=None
    )
    description = forms.CharField(label=_("What is brought back"), required=False, max_length=200)
    quantity = forms.DecimalField(
        label=_("How many"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=9,
        decimal_places=3,
    )
    reason = forms.ChoiceField(
        label=_("Why"), choices=ReturnReason.choices, widget=forms.RadioSelect
    )
    remedy = forms.ChoiceField(
        label=_("What they get instead"), choices=Remedy.choices, widget=forms.RadioSelect
    )
    amount = forms.CharField(
        label=_("Amount refunded or credited"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label=_("What the customer said"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=36)

    def __init__(
        self,
        *args: Any,
        locations: list[Location],
        default_location: Location | None,
        visit: Visit | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"request_key": new_request_key(), "quantity": 1})
        super().__init__(*args, **kwargs)
        self.visit = visit
        location_field(self.fields["location"], locations, default_location)
        self.lines = list(visit.lines.all()) if visit is not None else []
        if self.lines:
            del self.fields["description"], self.fields["quantity"]
            for line in self.lines:
                self.fields[f"{LINE_PREFIX}{line.pk}"] = forms.DecimalField(
                    label=line.description,
                    required=False,
                    min_value=Decimal(0),
                    max_value=line.quantity,
                    max_digits=9,
                    decimal_places=3,
                    initial=0,
                )
            # The lines come first: what comes back is the first question.
            names = [f"{LINE_PREFIX}{line.pk}" for line in self.lines]
            self.order_fields(["location", *names])
        self.fields["amount"].help_text = _(
            "In the location's currency. Left empty: the price paid for what comes back."
        )

    def line_fields(self) -> list[forms.BoundField]:
        return [self[f"{LINE_PREFIX}{line.pk}"] for line in self.lines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        items: list[ReturnedItem] = []
        paid = Decimal(0)
        priced = True
        for line in self.lines:
            quantity = data.get(f"{LINE_PREFIX}{line.pk}") or Decimal(0)
            if quantity > 0:
                items.append(ReturnedItem(line.description, quantity, line.pk))
                if line.amount is None:
                    priced = False
                else:
                    paid += line.amount * quantity / line.quantity
        if not self.lines and (data.get("description") or "").strip():
            items.append(ReturnedItem(data["description"], data.get("quantity") or Decimal(1)))
        if not items and not self.errors:
            raise forms.ValidationError(_("Choose at least one thing that is brought back."))
        data["items"] = items
        text = data.get("amount") or ""
        data["currency"] = currency_of(text) or ""
        try:
            data["amount_value"] = amount_from_text(text)
        except forms.ValidationError as exc:
            self.add_error("amount", exc)
            return data
        location = data.get("location")
        if (
            data["amount_value"] is None
            and data.get("remedy") != Remedy.EXCHANGE
            and items
            and self.lines
            and priced
            and location is not None
        ):
            data["amount_value"] = quantize(paid, location.currency)
        return data

    def return_values(self) -> dict[str, Any]:
        """Keyword arguments for ``returns.record_return`` (besides actor and customer)."""
        data = self.cleaned_data
        return {
            "location": data["location"],
            "items": data["items"],
            "reason": data["reason"],
            "remedy": data["remedy"],
            "amount": data["amount_value"],
            "currency": data["currency"],
            "visit": self.visit,
            "note": data.get("note") or "",
            "request_key": data["request_key"],
        }


class PromiseForm(CleanTextMixin, forms.Form):
    """A promise: what, by when (the location's wall clock), who keeps it."""

    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), empty_label=None
    )
    text = forms.CharField(
        label=_("What was promised"),
        max_length=200,
        help_text=_("For example: call back about the part, delivery of the blue one."),
    )
    due_date = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(label=_("at"), widget=forms.TimeInput(attrs={"type": "time"}))
    owner = forms.ChoiceField(label=_("Who keeps it"))
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=36)

    def __init__(
        self,
        *args: Any,
        locations: list[Location],
        default_location: Location | None,
        people: list[tuple[int, str]],
        me: int,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"request_key": new_request_key(), "owner": me})
        super().__init__(*args, **kwargs)
        location_field(self.fields["location"], locations, default_location)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)  # noqa: S101 - narrows the type
        owner.choices = [(str(pk), name) for pk, name in people]

    def due_at(self) -> datetime:
        """The due time as an aware instant, read on the location's wall clock."""
        data = self.cleaned_data
        local = datetime.combine(data["due_date"], data["due_time"])
        return local.replace(tzinfo=zone(data["location"].timezone))


class ClosePromiseForm(CleanTextMixin, forms.Form):
    kept = forms.TypedChoiceField(
        choices=[("1", _("Kept")), ("0", _("Broken"))], coerce=lambda v: v == "1"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class FollowUpForm(CleanTextMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("How is it now?"), choices=FollowUpOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
