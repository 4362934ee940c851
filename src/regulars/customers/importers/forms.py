"""The upload form of the import page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.accounts.models import Location
from regulars.customers.importers.base import ImportKind
from regulars.customers.importers.columns import PRESETS
from regulars.customers.importers.queries import import_locations

ENCODING_CHOICES = [
    ("auto", gettext_lazy("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", gettext_lazy("UTF-8 with BOM (Excel “CSV UTF-8”)")),
    ("cp1252", gettext_lazy("Windows-1252 (older Excel, Western Europe)")),
]


def _preset_choices() -> list[tuple[str, Any]]:
    names = sorted({name for presets in PRESETS.values() for name in presets})
    labels = {
        "generic-pos": gettext_lazy("Generic point-of-sale export"),
        "square": "Square",
        "shopify": "Shopify",
    }
    return [("auto", gettext_lazy("Recognise the column names"))] + [
        (name, labels.get(name, name)) for name in names
    ]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportKind.choices)
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        label=gettext_lazy("Location"),
        queryset=None,  # set per user in __init__
        empty_label=None,
        help_text=gettext_lazy(
            "Phone numbers without a country prefix, dates, times and amounts are read "
            "as at this location."
        ),
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )
    mapping = forms.ChoiceField(
        label=gettext_lazy("Columns"), choices=_preset_choices, initial="auto"
    )
    custom_mapping = forms.CharField(
        label=gettext_lazy("Own column names (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Cell=mobile; Nome=given_name"}),
        help_text=gettext_lazy(
            "For columns that are not recognised: one “Column name=field” per line."
        ),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"), choices=ENCODING_CHOICES, initial="auto"
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every row, write nothing"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        location.queryset = import_locations(user)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(limit)d MB. Split it, or import it with the "
                    "command “regulars import”."
                )
                % {"limit": limit}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload

    def mapping_spec(self) -> str:
        custom = (self.cleaned_data.get("custom_mapping") or "").strip()
        return custom if custom else self.cleaned_data.get("mapping") or "auto"
