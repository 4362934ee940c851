"""Shared base models: provenance of personal facts and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """Where a personal fact came from."""

    OFFERED = "offered", _("Offered by the customer")
    STAFF = "staff", _("Noted by staff")
    IMPORTED = "imported", _("Imported")


class Fact(models.Model):
    """Abstract base for every row that holds a personal fact: it records its provenance."""

    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.STAFF
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")


# What each audit subject is called on the owner's audit page.
SUBJECT_LABELS = {
    "customer": _("Customer"),
    "phone": _("Phone"),
    "preference": _("Preference"),
    "household": _("Household member"),
    "pet": _("Pet"),
    "contact": _("Organisation contact"),
    "consent": _("Consent"),
    "visit": _("Visit"),
    "demo": _("Demo business"),
    "occasion": _("Date to remember"),
    "name_day": _("Name-day calendar"),
    "play": _("Outreach play"),
    "outreach_policy": _("Contact budget"),
    "outreach_template": _("Message wording"),
}


class AuditEntry(models.Model):
    """Who touched a customer's personal data, how and when.

    Keeps the names of the fields touched, never their values, so an erasure leaves
    nothing personal behind. ``customer_ref`` is the customer's public id as text so the
    entry outlives the customer row.
    """

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    customer_ref = models.CharField(max_length=32, blank=True)
    subject = models.CharField(max_length=40)  # e.g. "customer", "preference", "household"
    fields = models.JSONField(default=list, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The owner's audit page: newest first, optionally for one customer.
            models.Index(fields=["customer_ref", "-at"], name="audit_customer_at"),
            models.Index(fields=["-at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject} {self.customer_ref}"

    @property
    def subject_label(self) -> str:
        return str(SUBJECT_LABELS.get(self.subject, self.subject))
