"""Quick-add at the counter: a new customer from only what they offer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.core.forms import CleanTextMixin
from regulars.core.models import Source
from regulars.customers.forms import check_mail_domain, entered_phone
from regulars.customers.models import Customer, Phone
from regulars.customers.phones import PhoneError

OFFERED_FIELDS = ("given_name", "family_name", "preferred_name", "email", "language", "notes")


class QuickAddForm(CleanTextMixin, forms.Form):
    """Every field optional, but at least a name, a phone or an email. A phone or email
    that already belongs to a customer is refused, naming who it belongs to, so staff
    open that customer instead of making a twin."""

    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=100, required=False)
    preferred_name = forms.CharField(
        label=gettext_lazy("Preferred name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("What they like to be called, if they say."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254, required=False)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("Not given")), *settings.LANGUAGES],
    )
    notes = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, region: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region
        self.existing: Customer | None = None

    def clean_phone(self) -> str:
        raw = (self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return ""
        try:
            number = entered_phone(raw, self.region)
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc
        holder = Phone.objects.filter(number=number).select_related("customer").first()
        if holder is not None:
            self.existing = holder.customer
            raise forms.ValidationError(
                _("This phone number already belongs to %(name)s.")
                % {"name": holder.customer.display_name}
            )
        return number

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip().lower()
        check_mail_domain(email)
        if email:
            holder = Customer.objects.filter(email=email).first()
            if holder is not None:
                self.existing = holder
                raise forms.ValidationError(
                    _("This email already belongs to %(name)s.") % {"name": holder.display_name}
                )
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        offered = [data.get(name) for name in ("given_name", "family_name", "preferred_name")]
        nothing = not any(offered) and not data.get("phone") and not data.get("email")
        if nothing and not self.errors:
            raise forms.ValidationError(_("Give at least a name, a phone number or an email."))
        return data

    def create_values(self) -> dict[str, Any]:
        """Keyword arguments for ``customers.services.create_customer``."""
        data = self.cleaned_data
        values: dict[str, Any] = {name: data[name] for name in OFFERED_FIELDS if data.get(name)}
        values["source"] = Source.OFFERED
        values["phones"] = [(data["phone"], "mobile")] if data.get("phone") else []
        values["region"] = self.region
        return values
