"""Visits (every time a customer, or an anonymous walk-in, is served) and tickets
(what customers asked for, complained about or brought back, and its handling)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.ids import new_public_id
from regulars.customers.models import Customer
from regulars.service.flow import Priority, TicketKind, TicketStatus
from regulars.service.items import had_from


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")


class Visit(models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        help_text=_("Empty for an anonymous walk-in."),
    )
    contact_person = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits_as_contact",
        verbose_name=_("contact person"),
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="visits")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits_served",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.IN_PERSON
    )
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    had = models.TextField(_("what they had"), blank=True)
    wait_seconds = models.PositiveIntegerField(_("queue wait (seconds)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Content hash (or the point-of-sale's id) of the import row: re-runs find it again.
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # A customer's visit history on the profile, newest first.
            models.Index(fields=["customer", "-at"], name="visit_customer_at"),
            # Today at a location (home page) and per-location date ranges.
            models.Index(fields=["location", "at"], name="visit_location_at"),
            # Business-wide date ranges (dashboard charts).
            models.Index(fields=["at"], name="visit_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | ~models.Q(currency=""),
                name="visit_amount_has_currency",
            )
        ]

    def __str__(self) -> str:
        return f"visit {self.public_id} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def had_shown(self) -> str:
        """ "What they had" for the history: empty when it only repeats the item lines
        (the log form fills it from them). Prefetch ``lines``."""
        lines = list(self.lines.all())
        if lines and self.had == had_from([line.description for line in lines]):
            return ""
        return self.had


class VisitLine(models.Model):
    """An item line of a visit, when the point of sale gives them."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("item"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=3, default=1)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    @property
    def quantity_shown(self) -> Decimal:
        """The quantity without trailing zeros (2, 1.5), for templates to localise."""
        q = self.quantity
        return q.quantize(Decimal(1)) if q == q.to_integral_value() else q.normalize()


class Ticket(models.Model):
    """Something a customer asked for, complained about or brought back, and its
    handling until it is closed. Every change is kept in its timeline
    (``TicketEvent``); ``version`` goes up with each, so two people changing the same
    ticket at once cannot overwrite each other unseen (``services`` checks it)."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    # Empty only once the customer has been erased (the ticket stays for the figures).
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="tickets"
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("visit"),
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets_assigned",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="tickets_created",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the service level says it must be resolved (business hours of the location).
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # A location's queue: its active tickets, soonest due first.
            models.Index(fields=["location", "status", "due_at"], name="ticket_queue"),
            # "Mine" and each person's open load.
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            # A customer's tickets on the profile and the counter card.
            models.Index(fields=["customer", "-created_at"], name="ticket_customer"),
            # Service figures over a date range.
            models.Index(fields=["created_at"], name="ticket_created"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.public_id}"


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Opened")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    HANDOFF = "handoff", _("Handed over")
    PRIORITY = "priority", _("Priority changed")
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Said to the customer")
    ESCALATED = "escalated", _("Escalated")


class TicketEvent(models.Model):
    """One entry of a ticket's timeline: who did what, when. Internal notes are kept
    apart from what was said to the customer by their kind."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=TicketEventKind.choices)
    from_status = models.CharField(max_length=12, choices=TicketStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=TicketStatus.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_at")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id} @ {self.at:%Y-%m-%d %H:%M}"


class ServiceLevel(models.Model):
    """How long a ticket of a kind and priority may take to resolve, counted in the
    location's opening hours; set by managers. Without one, a ticket has no due time."""

    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    resolve_within = models.DurationField(_("resolve within (opening hours)"))

    class Meta:
        ordering = ["kind", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "priority"], name="one_service_level"),
            models.CheckConstraint(
                condition=models.Q(resolve_within__gt=timedelta(0)),
                name="service_level_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.priority}: {self.resolve_within}"
