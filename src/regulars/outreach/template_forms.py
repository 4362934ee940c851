"""Forms of the template editor: the wording itself, and what to preview it with."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from regulars.outreach import wording
from regulars.outreach.models import Channel
from regulars.outreach.wording.engine import SUBJECT_MAX_CHARS

BODY_MAX_CHARS = 5000


class TemplateForm(forms.Form):
    """A manager's wording for one purpose, channel and language; refused when
    ``wording.check`` finds a problem (each becomes a form error)."""

    subject = forms.CharField(
        label=pgettext_lazy("e-mail", "Subject"), max_length=SUBJECT_MAX_CHARS, required=False
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "true"}),
    )

    def __init__(self, *args: Any, purpose: str, channel: str, language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.purpose, self.channel, self.language = purpose, channel, language
        self.fields["body"].widget.attrs["lang"] = language
        self.fields["subject"].widget.attrs["lang"] = language
        if channel != Channel.EMAIL:
            del self.fields["subject"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "body" in data:
            problems = wording.check(
                data.get("subject", ""),
                data["body"],
                channel=self.channel,
                language=self.language,
                purpose=self.purpose,
            )
            if problems:
                raise ValidationError([ValidationError(p) for p in problems])
        return data


class PreviewForm(forms.Form):
    """What the preview shows the wording with: a sample customer (formal or informal)
    or a real one, with or without a voucher."""

    customer = forms.CharField(
        label=_("Customer (id from their profile; empty: a sample customer)"),
        max_length=16,
        required=False,
    )
    formal = forms.BooleanField(label=_("Sample customer addressed formally"), required=False)
    voucher = forms.BooleanField(label=_("With a voucher"), required=False, initial=True)
