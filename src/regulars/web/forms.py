"""Filter forms of the web pages (GET forms: they never write)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import person_name
from regulars.core.forms import CleanTextMixin
from regulars.core.models import AuditAction
from regulars.web.queries import AuditFilter


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A user by full name, or by username when the name is blank."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class AuditFilterForm(CleanTextMixin, forms.Form):
    customer = forms.CharField(
        label=_("Customer id"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    actor = PersonChoiceField(
        label=_("Who"), queryset=None, required=False, empty_label=_("Anyone")
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("Any action")), *AuditAction.choices],
        required=False,
    )

    def __init__(self, *args: Any, actors: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["actor"]).queryset = actors

    def filters(self) -> AuditFilter:
        """The filter the form describes; an invalid or empty form filters nothing."""
        if not self.is_bound or not self.is_valid():
            return AuditFilter()
        actor = self.cleaned_data.get("actor")
        return AuditFilter(
            customer_ref=(self.cleaned_data.get("customer") or "").strip(),
            actor_id=actor.pk if actor is not None else None,
            action=self.cleaned_data.get("action") or "",
        )
