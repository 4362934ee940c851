"""Forms of the customer pages: the list filter, the profile form and the inline editors.

Forms validate and translate input into the arguments of ``customers.services``; the
services do every write.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.forms import CleanTextMixin
from regulars.core.models import Source
from regulars.core.occasions import validate_month_day
from regulars.customers import queries, services
from regulars.customers.models import (
    ConsentChannel,
    ContactRole,
    Customer,
    CustomerKind,
    CustomOccasion,
    HouseholdMember,
    Pet,
    PhoneLabel,
    Preference,
    Tag,
)
from regulars.customers.phones import PhoneError, normalize_phone

# --- Shared pieces ------------------------------------------------------------------

# Facts typed in by a user are offered by the customer or noted by staff; "imported" is
# for importers only.
SOURCE_CHOICES = [
    (Source.OFFERED.value, Source.OFFERED.label),
    (Source.STAFF.value, Source.STAFF.label),
]


def source_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Source"),
        choices=SOURCE_CHOICES,
        initial=Source.STAFF.value,
        help_text=_("Who gave us this information."),
    )


def _number_choice(
    label: Any, prompt: Any, options: list[tuple[str, str]], *, required: bool = False
) -> forms.TypedChoiceField:
    """A select of numbered options (a month, a day) cleaned to an int."""
    return forms.TypedChoiceField(
        label=label,
        choices=[("", prompt), *options],
        coerce=int,
        empty_value=None,
        required=required,
    )


def month_field(label: Any, *, required: bool = False) -> forms.TypedChoiceField:
    months = [(str(n), name) for n, name in MONTHS.items()]
    return _number_choice(label, _("Month"), months, required=required)


def day_field(label: Any, *, required: bool = False) -> forms.TypedChoiceField:
    days = [(str(n), str(n)) for n in range(1, 32)]
    return _number_choice(label, _("Day"), days, required=required)


def year_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1850,
        max_value=2200,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": _("Year (optional)"), "size": 6}),
    )


class OccasionsMixin:
    """Validates month, day and optional year of each occasion together.

    ``occasions`` names the field prefixes (``birth`` → birth_month, birth_day and, if
    the form has it, birth_year; ``""`` → month, day, year). 29 February without a year
    is accepted.
    """

    occasions: ClassVar[tuple[str, ...]] = ()

    if TYPE_CHECKING:
        cleaned_data: dict[str, Any]
        errors: Any

        def add_error(self, field: str | None, error: Any) -> None: ...

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        for prefix in self.occasions:
            self._check_occasion(prefix)
        return cleaned

    def _check_occasion(self, prefix: str) -> None:
        month_name, day_name, year_name = (
            f"{prefix}_{part}" if prefix else part for part in ("month", "day", "year")
        )
        month = self.cleaned_data.get(month_name)
        day = self.cleaned_data.get(day_name)
        year = self.cleaned_data.get(year_name)
        if month is None and day is None:
            if year is not None:
                self.add_error(year_name, _("A year needs a month and a day."))
            return
        if month is None or day is None:
            missing = month_name if month is None else day_name
            if missing not in self.errors:  # a required field already says so
                self.add_error(missing, _("Give both the month and the day, or neither."))
            return
        try:
            validate_month_day(month, day, year)
        except ValueError:
            if year is not None:
                message = _("%(month)s %(year)s has no day %(day)s.")
            else:
                message = _("%(month)s has no day %(day)s.")
            self.add_error(day_name, message % {"month": MONTHS[month], "day": day, "year": year})


def entered_phone(raw: str, region: str) -> str:
    """A phone number typed by staff, in E.164: ``normalize_phone``, and refused when no
    country gives out such a number (right length, impossible digits), since a text to
    it could never arrive. Raises PhoneError with a translated reason."""
    number = normalize_phone(raw, region)
    if not phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
        raise PhoneError(
            _("“%(phone)s” is not a phone number in use: check the digits and the country code.")
            % {"phone": raw.strip()[:40]}
        )
    return number


def check_mail_domain(email: str) -> None:
    """Refuse an address that passes the syntax check but cannot receive mail from
    here: a domain without a dot ("anna@localhost", "anna@gmail") or an IP address."""
    domain = email.rpartition("@")[2]
    if email and ("." not in domain or domain.startswith("[")):
        raise forms.ValidationError(
            _("“%(email)s” cannot receive mail: after the @ comes a domain such as example.com.")
            % {"email": email[:254]}
        )


def parse_tags(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- The customer list filter --------------------------------------------------------

SEEN_DAYS = {"7": 7, "30": 30, "90": 90}
LAPSED = "lapsed"
LAPSED_DAYS = 90


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or email"), required=False, max_length=100)
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.all(),
        to_field_name="name",
        required=False,
        empty_label=_("Any tag"),
    )
    location = forms.ModelChoiceField(
        label=_("Home location"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=_("Any location"),
    )
    seen = forms.ChoiceField(
        label=_("Last visit"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("7", _("Seen in the last 7 days")),
            ("30", _("Seen in the last 30 days")),
            ("90", _("Seen in the last 90 days")),
            (LAPSED, _("Not seen for 90 days or more")),
        ],
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("recent", _("Most recent visit")),
            ("name", _("Name")),
            ("visits", _("Most visits")),
        ],
    )

    def to_filter(self, now: datetime) -> queries.CustomerFilter:
        """The filter the form describes; an invalid form filters nothing."""
        if not self.is_bound or not self.is_valid():
            return queries.CustomerFilter()
        data = self.cleaned_data
        seen = data.get("seen") or ""
        location = data.get("location")
        tag = data.get("tag")
        return queries.CustomerFilter(
            tag=tag.name if tag else "",
            location_id=location.pk if location else None,
            seen_since=now - timedelta(days=SEEN_DAYS[seen]) if seen in SEEN_DAYS else None,
            not_seen_since=now - timedelta(days=LAPSED_DAYS) if seen == LAPSED else None,
            query=data.get("q") or "",
            order=data.get("order") or "recent",
        )


# --- Creating and editing a customer -------------------------------------------------


class CustomerForm(CleanTextMixin, OccasionsMixin, forms.ModelForm):  # type: ignore[type-arg]
    """Create or edit a customer. On creation it also takes a first phone and tags
    (afterwards they are edited inline on the profile).

    ``default_region`` is the country used for phone numbers when the customer has no
    home location.
    """

    occasions = ("birth", "nameday")

    birth_month = month_field(_("Birthday month"))
    birth_day = day_field(_("Birthday day"))
    birth_year = year_field(_("Birth year"))
    nameday_month = month_field(_("Name day month"))
    nameday_day = day_field(_("Name day day"))
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    phone_label = forms.ChoiceField(
        label=_("Phone label"), choices=PhoneLabel.choices, initial=PhoneLabel.MOBILE
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Separate tags with commas."),
    )
    source = source_field()

    class Meta:
        model = Customer
        # Everything a user edits; the point-of-sale id is the importers' to set.
        fields = tuple(f for f in services.EDITABLE_FIELDS if f != "external_ref")
        widgets: ClassVar[dict[str, forms.Widget]] = {
            "first_met_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, default_region: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_region = default_region
        if self.instance.pk:
            for name in ("phone", "phone_label", "tags"):
                del self.fields[name]
        self.fields["home_location"].empty_label = _("No home location")  # type: ignore[attr-defined]
        self.fields["language"].choices = [("", _("Not known")), *settings.LANGUAGES]  # type: ignore[attr-defined]

    @property
    def is_new(self) -> bool:
        return self.instance.pk is None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        names = ("given_name", "family_name", "preferred_name")
        if kind == CustomerKind.ORGANISATION:
            if not cleaned.get("organisation_name") and "organisation_name" not in self.errors:
                self.add_error("organisation_name", _("An organisation needs its name."))
        elif not any(cleaned.get(n) for n in names) and "given_name" not in self.errors:
            self.add_error("given_name", _("Give at least a given name or a family name."))
        raw_phone = cleaned.get("phone")
        if raw_phone:
            try:
                cleaned["phone"] = entered_phone(raw_phone, self.region())
            except PhoneError as exc:
                self.add_error("phone", str(exc))
        return cleaned

    def clean_email(self) -> str:
        email: str = self.cleaned_data.get("email") or ""
        check_mail_domain(email)
        return email

    def region(self) -> str:
        location = self.cleaned_data.get("home_location")
        return location.country if location is not None else self.default_region

    def customer_fields(self) -> dict[str, Any]:
        """The Customer fields as ``services.create_customer``/``update_customer`` take them."""
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}

    def phones(self) -> list[tuple[str, str]]:
        number = self.cleaned_data.get("phone")
        return [(number, self.cleaned_data["phone_label"])] if number else []

    def tag_names(self) -> list[str]:
        return parse_tags(self.cleaned_data.get("tags") or "")


# --- Inline editors on the profile ---------------------------------------------------


class InlineEditor(Protocol):
    """What the profile's inline sections need from their forms."""

    def is_valid(self) -> bool: ...

    def commit(self, *, actor: Any) -> None: ...


class InlineMixin:
    """An inline editor of one section of a customer's profile.

    Constructed with the ``customer`` it edits; ``commit`` performs the write through
    ``customers.services`` once the form is valid.
    """

    if TYPE_CHECKING:
        cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, customer: Customer, region: str = "", **kwargs: Any) -> None:
        self.customer = customer
        self.region = region
        super().__init__(*args, **kwargs)

    def commit(self, *, actor: Any) -> None:
        raise NotImplementedError


class FactForm(InlineMixin, CleanTextMixin, OccasionsMixin, forms.ModelForm):  # type: ignore[type-arg]
    """Adds one household member, pet or preference through ``services.add_fact``."""

    source = source_field()

    def commit(self, *, actor: Any) -> None:
        values = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        services.add_fact(
            self._meta.model,
            actor=actor,
            customer=self.customer,
            source=Source(self.cleaned_data["source"]),
            **values,
        )


class HouseholdForm(FactForm):
    occasions = ("birth",)
    birth_month = month_field(_("Birthday month"))
    birth_day = day_field(_("Birthday day"))
    birth_year = year_field(_("Birth year"))

    class Meta:
        model = HouseholdMember
        fields = ("name", "relation", "birth_month", "birth_day", "birth_year")


class PetForm(FactForm):
    occasions = ("birth",)
    birth_month = month_field(_("Birthday month"))
    birth_day = day_field(_("Birthday day"))
    birth_year = year_field(_("Birth year"))

    class Meta:
        model = Pet
        fields = ("name", "kind", "birth_month", "birth_day", "birth_year")
        labels: ClassVar[dict[str, Any]] = {"kind": _("Animal")}


class CustomOccasionForm(FactForm):
    """A date the customer cares about: a label, month and day, and a year if known."""

    occasions = ("",)
    month = month_field(_("Month"), required=True)
    day = day_field(_("Day"), required=True)
    year = year_field(_("Year"))

    class Meta:
        model = CustomOccasion
        fields = ("label", "month", "day", "year")
        labels: ClassVar[dict[str, Any]] = {"label": _("Occasion")}
        help_texts: ClassVar[dict[str, Any]] = {
            "label": _("For example “wedding anniversary” or “opened their shop”.")
        }


class PreferenceForm(FactForm):
    class Meta:
        model = Preference
        fields = ("kind", "text")


class PhoneForm(InlineMixin, CleanTextMixin, forms.Form):
    number = forms.CharField(label=_("Phone"), max_length=40)
    label = forms.ChoiceField(label=_("Label"), choices=PhoneLabel.choices)
    source = source_field()

    def clean_number(self) -> str:
        try:
            return entered_phone(self.cleaned_data["number"], self.region)
        except PhoneError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def commit(self, *, actor: Any) -> None:
        services.add_phone(
            actor=actor,
            customer=self.customer,
            raw=self.cleaned_data["number"],
            region=self.region,
            label=self.cleaned_data["label"],
            source=Source(self.cleaned_data["source"]),
        )


class TagsForm(InlineMixin, CleanTextMixin, forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=400,
        help_text=_("Separate tags with commas; leave empty to remove them all."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.customer.pk:
            self.fields["tags"].initial = ", ".join(t.name for t in self.customer.tags.all())

    def commit(self, *, actor: Any) -> None:
        services.set_tags(
            actor=actor, customer=self.customer, names=parse_tags(self.cleaned_data["tags"])
        )


class ConsentForm(InlineMixin, CleanTextMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("granted", _("Granted")), ("withdrawn", _("Withdrawn"))],
    )
    method = forms.CharField(
        label=_("How"),
        max_length=100,
        help_text=_("For example “asked at the counter” or “signed the paper form”."),
    )
    proof = forms.CharField(
        label=_("Proof"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What they said or signed, word for word where possible."),
    )
    source = source_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = Source.OFFERED.value

    def commit(self, *, actor: Any) -> None:
        services.record_consent(
            actor=actor,
            customer=self.customer,
            channel=self.cleaned_data["channel"],
            granted=self.cleaned_data["decision"] == "granted",
            method=self.cleaned_data["method"],
            proof=self.cleaned_data["proof"],
            source=Source(self.cleaned_data["source"]),
        )


class ContactForm(InlineMixin, CleanTextMixin, forms.Form):
    """Links a person to an organisation; the person is found by name, email or id."""

    person = forms.CharField(
        label=_("Person"),
        max_length=100,
        help_text=_("Type the person’s name, email or customer id."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=ContactRole.choices)
    source = source_field()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not self.customer.is_organisation:
            raise forms.ValidationError(_("Only an organisation has contacts."))
        text = cleaned.get("person")
        if not text:
            return cleaned
        matches = queries.find_people(text)
        if not matches:
            self.add_error("person", _("No person matches “%(text)s”.") % {"text": text})
        elif len(matches) > 1:
            names = ", ".join(f"{p.display_name} ({p.public_id})" for p in matches[:5])
            self.add_error(
                "person",
                _("Several people match: %(names)s. Type more of the name, or the id.")
                % {"names": names},
            )
        else:
            cleaned["person"] = matches[0]
        return cleaned

    def commit(self, *, actor: Any) -> None:
        services.link_contact(
            actor=actor,
            organisation=self.customer,
            person=self.cleaned_data["person"],
            role=self.cleaned_data["role"],
            source=Source(self.cleaned_data["source"]),
        )
