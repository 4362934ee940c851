"""Form helpers shared by every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _

from regulars.core.textclean import find_control_character, normalize_text


class CleanTextMixin:
    """Refuse control characters in every text field with a clear message, NFC-normalise
    the rest. Letters of any script and emoji pass untouched."""

    if TYPE_CHECKING:
        fields: dict[str, forms.Field]
        cleaned_data: dict[str, Any]

        def add_error(self, field: str | None, error: Any) -> None: ...

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if not isinstance(value, str) or not isinstance(field, forms.CharField):
                continue
            multiline = isinstance(field.widget, forms.Textarea)
            bad = find_control_character(value, multiline=multiline)
            if bad is not None:
                self.add_error(
                    name,
                    _("This text contains an invisible control character (U+%(code)04X).")
                    % {"code": ord(bad)},
                )
                continue
            self.cleaned_data[name] = normalize_text(value, multiline=multiline)
