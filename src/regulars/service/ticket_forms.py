"""The service desk's forms: the queue's filters, opening a ticket, the actions on a
ticket (each names the version the person saw) and the managers' service levels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.formats import localize
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location, person_name
from regulars.core.forms import CleanTextMixin
from regulars.service.flow import ACTIVE, Priority, TicketKind, TicketStatus
from regulars.service.followups import DEFAULT_DAYS
from regulars.service.models import Ticket, Visit
from regulars.service.queries import NOBODY, QueueFilter

MAX_TEXT = 5000
# The most a service level may give (in opening hours): over a year of full days.
MAX_HOURS = 10000
# Follow-ups come between these many days after resolving (as followups.py checks).
MIN_FOLLOW_UP_DAYS, MAX_FOLLOW_UP_DAYS = 1, 365

ANY = [("", _("Any"))]
# The out-of-date form: a version missing or unreadable is as stale as an old one.
VERSION_ERRORS = {
    "required": _("This form is out of date: look at the ticket again and repeat your change."),
    "invalid": _("This form is out of date: look at the ticket again and repeat your change."),
    "min_value": _("This form is out of date: look at the ticket again and repeat your change."),
}


def _version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, error_messages=VERSION_ERRORS)


def _person_choices(people: list[Any], me: Any) -> list[tuple[str, str]]:
    """The user first, as "Me (name)", then the others by name."""
    mine = [(str(me.pk), gettext("Me (%(name)s)") % {"name": person_name(me)})]
    mine = mine if any(p.pk == me.pk for p in people) else []
    return mine + [(str(p.pk), person_name(p)) for p in people if p.pk != me.pk]


# --- the queue ----------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). A value that is not one of the choices is ignored."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All active"))] + [(s.value, s.label) for s in TicketStatus if s in ACTIVE],
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=ANY + TicketKind.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=ANY + Priority.choices
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, handlers: list[Any], me: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
        field.choices = [*ANY, (NOBODY, _("Nobody yet")), *_person_choices(handlers, me)]

    def to_filter(self) -> QueueFilter:
        data = self.cleaned_data if self.is_valid() else self._valid_part()
        assignee = data.get("assignee") or None
        if assignee is not None and assignee != NOBODY:
            assignee = int(assignee)
        return QueueFilter(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            priority=data.get("priority") or "",
            assignee=assignee,
            overdue=bool(data.get("overdue")),
        )

    def _valid_part(self) -> dict[str, Any]:
        """The fields that passed (a bad value in one filter leaves the others)."""
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


# --- opening a ticket ---------------------------------------------------------------------


class OpenTicketForm(CleanTextMixin, forms.Form):
    """The arguments of ``tickets.open_ticket`` besides who, for whom and which visit.

    ``locations`` are those where the user handles tickets; ``handlers_at`` gives who
    handles tickets at a location (the assignee's choices follow the chosen location).
    ``request_key`` is a one-time key: the same form sent twice opens one ticket.
    """

    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices)
    subject = forms.CharField(
        label=pgettext_lazy("ticket", "Subject"),
        max_length=200,
        help_text=_("A few words the whole team will recognise, like “Cold coffee”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    text = forms.CharField(
        label=_("What the customer said"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), empty_label=None
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        required=False,
        error_messages={
            "invalid_choice": _(
                "This person does not handle tickets at the location chosen: choose again."
            )
        },
    )
    request_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=36)

    def __init__(
        self,
        *args: Any,
        locations: list[Location],
        default_location: Location | None,
        handlers_at: Any,
        me: Any,
        refresh_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.locations = {loc.pk: loc for loc in locations}
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
        field.queryset = Location.objects.filter(pk__in=list(self.locations))
        if default_location is None or default_location.pk not in self.locations:
            default_location = locations[0] if locations else None
        field.initial = default_location.pk if default_location else None
        if len(locations) == 1:
            field.widget = forms.HiddenInput()
        elif refresh_url:
            # With htmx, choosing another location brings that location's people into
            # the assignee's choices (without it, a wrong pick is refused on sending).
            field.widget.attrs.update(
                {
                    "hx-get": refresh_url,
                    "hx-trigger": "change",
                    "hx-target": "#field-assignee",
                    "hx-select": "#field-assignee",
                    "hx-swap": "outerHTML",
                }
            )
        self.fields["request_key"].initial = str(uuid.uuid4())
        # The assignee's choices: who handles tickets at the location chosen (or shown).
        chosen = self._chosen_location() or default_location
        self.handlers = handlers_at(chosen) if chosen is not None else []
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)  # noqa: S101
        assignee.choices = [("", _("Nobody yet")), *_person_choices(self.handlers, me)]
        if any(p.pk == me.pk for p in self.handlers):
            assignee.initial = str(me.pk)

    def _chosen_location(self) -> Location | None:
        raw = self.data.get(self.add_prefix("location")) if self.is_bound else None
        if raw is None:
            raw = self.initial.get("location")
        try:
            return self.locations.get(int(str(raw)))
        except (TypeError, ValueError):
            return None

    def clean_request_key(self) -> str:
        """A key that is not a uuid (a hand-made post) is replaced by a fresh one."""
        key = self.cleaned_data.get("request_key") or ""
        try:
            return str(uuid.UUID(key))
        except ValueError:
            return str(uuid.uuid4())

    def ticket_values(self) -> dict[str, Any]:
        """Keyword arguments for ``open_ticket`` (besides actor, customer and visit)."""
        data = self.cleaned_data
        by_pk = {str(p.pk): p for p in self.handlers}
        return {
            "kind": data["kind"],
            "subject": data["subject"],
            "text": data["text"],
            "priority": data["priority"],
            "location": data["location"],
            "assignee": by_pk.get(data.get("assignee") or ""),
            "request_key": data["request_key"],
        }


def find_visit(customer_pk: int, public_id: str) -> Visit | None:
    """The customer's visit with ``public_id`` (None when it is not one of theirs)."""
    return (
        Visit.objects.filter(public_id=public_id, customer_id=customer_pk)
        .select_related("location")
        .first()
    )


# --- actions on a ticket --------------------------------------------------------------------


class _OnTheTicketPage(forms.Form):
    """A form among several on the ticket's page: ids prefixed so none is shared."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class MoveForm(CleanTextMixin, _OnTheTicketPage):
    """Move to another status (the flow decides which), with an optional word.
    ``status`` is checked by the flow, which says what may come next."""

    id_prefix = "move"

    version = _version_field()
    status = forms.CharField(max_length=12)
    text = forms.CharField(
        label=_("A word about it (optional)"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HandOverForm(CleanTextMixin, _OnTheTicketPage):
    """Give the ticket to a colleague who handles tickets at its location (or take it)."""

    id_prefix = "hand-over"

    version = _version_field()
    to = forms.ChoiceField(label=pgettext_lazy("hand over to", "To"))
    note = forms.CharField(
        label=_("Note for them"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, ticket: Ticket, handlers: list[Any], me: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.people = [p for p in handlers if p.pk != ticket.assignee_id]
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
        field.choices = _person_choices(self.people, me)
        self.fields["version"].initial = ticket.version

    def colleague(self) -> Any:
        return next(p for p in self.people if str(p.pk) == self.cleaned_data["to"])


class NoteForm(CleanTextMixin, _OnTheTicketPage):
    """An internal note, or what was said to the customer. Notes change nothing on the
    ticket and need no version: two people may write at once."""

    id_prefix = "note"

    INTERNAL, TO_CUSTOMER = "internal", "customer"

    text = forms.CharField(
        label=_("Note"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("A note needs some text.")},
    )
    audience = forms.ChoiceField(
        label=_("This is"),
        choices=[
            (INTERNAL, _("An internal note (only for the team)")),
            (TO_CUSTOMER, _("What was said to the customer")),
        ],
        initial=INTERNAL,
        widget=forms.RadioSelect,
    )

    @property
    def to_customer(self) -> bool:
        return bool(self.cleaned_data["audience"] == self.TO_CUSTOMER)


class PriorityForm(_OnTheTicketPage):
    id_prefix = "priority"
    version = _version_field()
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)

    def __init__(self, *args: Any, ticket: Ticket | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ticket is not None:
            self.fields["version"].initial = ticket.version
            self.fields["priority"].initial = ticket.priority


# --- service levels and follow-up days -----------------------------------------------------


def hours_text(within: timedelta | None) -> str:
    """A resolve-within time as the hours a manager typed: "8", "1,5" in Italian."""
    if within is None:
        return ""
    hours = Decimal(int(within.total_seconds())) / 3600
    hours = hours.quantize(Decimal("0.01")).normalize()
    if hours == hours.to_integral_value():
        return str(int(hours))
    return str(localize(hours))


def parse_hours(text: str) -> timedelta | None:
    """The hours a manager typed ("8", "1.5", "1,5") as a duration; empty is None.
    ValidationError for anything else, for 0 or less, and above MAX_HOURS."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        hours = Decimal("NaN")
    if not hours.is_finite():
        raise forms.ValidationError(
            _("“%(text)s” is not a number of hours. Write it like 8 or 1.5."),
            params={"text": text},
            code="invalid",
        )
    if hours <= 0:
        raise forms.ValidationError(
            _("Give more than 0 hours, or leave it empty for no service level."),
            code="min_value",
        )
    if hours > MAX_HOURS:
        raise forms.ValidationError(
            _("At most %(max)s hours."), params={"max": MAX_HOURS}, code="max_value"
        )
    seconds = int((hours * 3600).to_integral_value())
    return timedelta(seconds=seconds)


class HoursField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> timedelta | None:
        return parse_hours(super().clean(value) or "")


@dataclass(frozen=True)
class Change:
    """One setting the manager changed: which, and its new value."""

    kind: str
    priority: str  # "" for follow-up days
    value: Any


class ServiceLevelsForm(forms.Form):
    """The grid of service levels (kind × priority, hours of opening time, empty for
    none) and the follow-up days per kind (empty for no follow-up). Only what differs
    from ``levels`` and ``days`` (the values in force) is a change."""

    def __init__(
        self,
        *args: Any,
        levels: dict[tuple[str, str], timedelta],
        days: dict[str, int | None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.levels, self.days = levels, days
        for kind in TicketKind:
            for priority in Priority:
                label = gettext("%(kind)s, %(priority)s: hours") % {
                    "kind": kind.label,
                    "priority": priority.label,
                }
                self.fields[self.level_name(kind, priority)] = HoursField(
                    label=label, initial=hours_text(levels.get((kind, priority)))
                )
            self.fields[self.days_name(kind)] = forms.IntegerField(
                label=gettext("%(kind)s: days after resolving") % {"kind": kind.label},
                required=False,
                min_value=MIN_FOLLOW_UP_DAYS,
                max_value=MAX_FOLLOW_UP_DAYS,
                initial=days.get(kind),
                error_messages={
                    "invalid": _("Write a whole number of days, like 3."),
                    "min_value": _(
                        "At least %(limit_value)s day; leave it empty for no follow-up."
                    ),
                    "max_value": _("At most %(limit_value)s days."),
                },
                widget=forms.NumberInput(attrs={"size": 4}),
            )

    @staticmethod
    def level_name(kind: str, priority: str) -> str:
        return f"level_{kind}_{priority}"

    @staticmethod
    def days_name(kind: str) -> str:
        return f"days_{kind}"

    def level_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(kind label, its field per priority) for the grid."""
        return [
            (str(kind.label), [self[self.level_name(kind, p)] for p in Priority])
            for kind in TicketKind
        ]

    def days_rows(self) -> list[tuple[str, forms.BoundField, int | None]]:
        """(kind label, its field, the default when nobody set it)."""
        return [
            (str(kind.label), self[self.days_name(kind)], DEFAULT_DAYS.get(kind))
            for kind in TicketKind
        ]

    def changes(self) -> tuple[list[Change], list[Change]]:
        """(service levels, follow-up days) that differ from what is in force."""
        data = self.cleaned_data
        levels = [
            Change(kind, priority, data[self.level_name(kind, priority)])
            for kind in TicketKind.values
            for priority in Priority.values
            if data[self.level_name(kind, priority)] != self.levels.get((kind, priority))
        ]
        days = [
            Change(kind, "", data[self.days_name(kind)])
            for kind in TicketKind.values
            if data[self.days_name(kind)] != self.days.get(kind)
        ]
        return levels, days
