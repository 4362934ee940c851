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
from regulars.service.flow import (
    ACTIVE,
    FollowUpOutcome,
    Priority,
    PromiseStatus,
    Remedy,
    ReturnReason,
    TicketKind,
    TicketStatus,
)
from regulars.service.items import had_from


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")


# The active statuses in a fixed order, as the queries name them (SQLite uses a partial
# index only for a query whose terms match its condition exactly).
ACTIVE_STATUSES = sorted(ACTIVE)


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
    # Resolved straight from open, never reopened: a first-contact resolution.
    first_contact = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # The submitting form's one-time key: sending the same form twice opens one ticket.
    request_key = models.CharField(max_length=36, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # A location's queue: its active tickets, soonest due first.
            models.Index(fields=["location", "status", "due_at"], name="ticket_queue"),
            # The same for the active tickets only, in the queue's order: the first page
            # reads its fifty rows and stops, however scattered old active tickets are
            # in the table (PostgreSQL); the load per person is counted from the index.
            models.Index(
                fields=["location", "due_at", "created_at", "id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_queue",
            ),
            models.Index(
                fields=["location", "assignee", "kind", "due_at"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="ticket_active_load",
            ),
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


class FollowUpRule(models.Model):
    """How many days after a ticket of a kind is resolved someone asks the customer
    whether everything is all right now; set by managers. ``days`` empty: no
    follow-up for that kind. Kinds without a rule use ``followups.DEFAULT_DAYS``."""

    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices, unique=True)
    days = models.PositiveSmallIntegerField(_("days after resolving"), null=True, blank=True)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.days}"


class Return(models.Model):
    """What a customer brought back, why, and what they got instead: the details of a
    return or exchange ticket. Reasons are kept for analysis (a return after a pushed
    sale is a signal of pushy selling); a return is not a lost customer."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="return_details")
    reason = models.CharField(_("reason"), max_length=12, choices=ReturnReason.choices)
    remedy = models.CharField(_("remedy"), max_length=12, choices=Remedy.choices)
    # Refunded or credited, in the location's currency; empty for a like-for-like exchange.
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "reason"], name="return_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | ~models.Q(currency=""),
                name="return_amount_has_currency",
            )
        ]

    def __str__(self) -> str:
        return f"return {self.reason}/{self.remedy} on {self.ticket_id}"


class ReturnItem(models.Model):
    """One thing brought back: a line of the visit it was bought in, or described."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="items")
    visit_line = models.ForeignKey(
        VisitLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("item"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=3, default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class Promise(models.Model):
    """Something staff promised a customer (call back by Tuesday 10:00, delivery by
    Friday, part ordered), with a due time and an owner; kept or broken when closed."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="promises"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="promises"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="promises")
    text = models.CharField(_("promise"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="promises_owned",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("due"))
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    request_key = models.CharField(max_length=36, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("promise")
        verbose_name_plural = _("promises")
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="promise_owner"),
            models.Index(fields=["location", "status", "due_at"], name="promise_location"),
            models.Index(fields=["customer", "status"], name="promise_customer"),
            models.Index(fields=["status", "remind_at"], name="promise_remind"),
            models.Index(fields=["location", "due_at"], name="promise_due"),
        ]

    def __str__(self) -> str:
        return f"promise {self.public_id}"


class FollowUp(models.Model):
    """ "Is everything all right now?": asked some days after a complaint, return or
    repair was resolved. One per resolution (``round`` is the ticket's reopen count),
    so resolving again after a reopening asks again, and a retry never asks twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    round = models.PositiveIntegerField(default=0)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="follow_ups"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="follow_ups")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    # The location's calendar day on which to ask.
    due_on = models.DateField(_("due"))
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=FollowUpOutcome.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round"], name="one_follow_up_per_round")
        ]
        indexes = [
            models.Index(fields=["location", "done_at", "due_on"], name="follow_up_location"),
            models.Index(fields=["owner", "done_at", "due_on"], name="follow_up_owner"),
            models.Index(fields=["customer", "done_at"], name="follow_up_customer"),
            models.Index(fields=["due_on"], name="follow_up_due"),
        ]

    def __str__(self) -> str:
        return f"follow-up of {self.ticket_id} on {self.due_on}"


class Wait(models.Model):
    """A customer (or an anonymous walk-in) waiting at a location: marked when they
    started waiting and when they were served. The wait goes onto their visit
    (``Visit.wait_seconds``), from which the wait figures are computed."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="waits")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="waits"
    )
    started_at = models.DateTimeField(default=timezone.now)
    served_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    visit = models.OneToOneField(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="wait"
    )

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # Who is waiting now at a location (not yet served), oldest first.
            models.Index(fields=["location", "served_at", "started_at"], name="wait_location"),
            models.Index(fields=["customer", "started_at"], name="wait_customer"),
        ]

    def __str__(self) -> str:
        return f"wait @ {self.location_id} from {self.started_at:%H:%M}"

    @property
    def seconds(self) -> int | None:
        if self.served_at is None:
            return None
        return max(0, round((self.served_at - self.started_at).total_seconds()))
