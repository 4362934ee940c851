"""Visits: every time a customer (or an anonymous walk-in) is served."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.ids import new_public_id
from regulars.customers.models import Customer
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
