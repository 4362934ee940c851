"""Outreach: plays (audience + gesture + schedule), the messages they plan, the
contact-pressure policy, vouchers, print batches, bounces and templates.

A ``Message`` is one planned touch of one customer. The planner (``planning``) writes
it once per idempotency ``key`` (play, customer, occasion or day), already decided:
``queued`` to be sent, ``held`` by the policy with the reason, or ``holdout`` when an
experiment keeps the customer as its control. The sender (``delivery``) claims queued
messages, sends each through its channel and records the outcome; a crash leaves a
``sending`` message that the next run resends under the same key.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.ids import new_public_id
from regulars.customers.models import Customer
from regulars.service.models import Visit


class PlayKind(models.TextChoices):
    OCCASION = "occasion", _("Occasion")
    WELCOME = "welcome", _("Welcome")
    CHECK_IN = "checkin", _("Check-in")
    WIN_BACK = "winback", _("Win-back")
    RECOVERY = "recovery", _("Recovery")
    THANK_YOU = "thankyou", _("Thank-you")


class OccasionKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    NAME_DAY = "name_day", _("Name day")
    FIRST_VISIT = "first_visit", _("Anniversary of the first visit")
    HOUSEHOLD_BIRTHDAY = "household_birthday", _("Birthday in the household")
    PET_BIRTHDAY = "pet_birthday", _("Pet's birthday")
    CUSTOM = "custom", _("Custom date")


class PlayStatus(models.TextChoices):
    DRAFT = "draft", _("Draft: waiting for approval")
    APPROVED = "approved", _("Approved: running")
    PAUSED = "paused", _("Paused")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")
    CARD = "card", _("Printed card")
    CALL = "call", _("Call by staff")


class ArmChannel(models.TextChoices):
    """How an arm reaches the customer: ``auto`` takes e-mail, then a text message,
    whichever the customer consented to."""

    AUTO = "auto", _("E-mail or text, as they allow")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")
    CARD = "card", _("Printed card")
    CALL = "call", _("Call by staff")


class VoucherKind(models.TextChoices):
    NONE = "", _("No voucher")
    PERCENT = "percent", _("Percent off")
    AMOUNT = "amount", _("Amount off")
    ITEM = "item", _("A free item")


class OutreachPolicy(models.Model):
    """The business's contact-pressure budget (one row; ``policy.current``)."""

    max_per_30_days = models.PositiveSmallIntegerField(
        _("at most this many messages per customer in 30 days"), default=2
    )
    quiet_start = models.TimeField(_("quiet hours from"), default=time(20, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=time(9, 0))
    plan_hour = models.PositiveSmallIntegerField(
        _("plan the day's outreach at this hour"), default=6
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.max_per_30_days} per 30 days"


class Play(models.Model):
    """Audience + gesture (its arms) + schedule + policy. Runs once approved; any
    change to an approved play sends it back to draft."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=PlayKind.choices)
    occasion = models.CharField(
        _("occasion"), max_length=20, choices=OccasionKind.choices, blank=True
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
        help_text=_("Empty: every location."),
    )
    # Audience settings by kind: welcome {"after_days"}, winback {"min_days"},
    # thankyou {"milestones": [10, 50, 100]}; checkin reads the nightly snapshot.
    params = models.JSONField(default=dict, blank=True)
    lead_days = models.PositiveSmallIntegerField(
        _("days ahead"), default=0, help_text=_("Send this many days before the occasion.")
    )
    send_hour = models.PositiveSmallIntegerField(_("send at (local hour)"), default=10)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (percent kept as a control)"), default=0
    )
    status = models.CharField(max_length=10, choices=PlayStatus.choices, default=PlayStatus.DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "occasion", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Arm(models.Model):
    """One gesture of a play; several arms split the audience A/B by ``weight``."""

    play = models.ForeignKey(Play, on_delete=models.CASCADE, related_name="arms")
    label = models.CharField(_("arm"), max_length=20, default="A")
    channel = models.CharField(
        _("how"), max_length=6, choices=ArmChannel.choices, default=ArmChannel.AUTO
    )
    voucher_kind = models.CharField(
        _("voucher"), max_length=8, choices=VoucherKind.choices, blank=True, default=""
    )
    voucher_value = models.DecimalField(
        _("voucher value"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    voucher_text = models.CharField(_("what the voucher gives"), max_length=100, blank=True)
    voucher_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=30)
    weight = models.PositiveSmallIntegerField(_("share"), default=1)

    class Meta:
        ordering = ["play", "label", "id"]
        constraints = [models.UniqueConstraint(fields=["play", "label"], name="arm_label_once")]

    def __str__(self) -> str:
        return f"{self.play_id}/{self.label}"


class Template(models.Model):
    """A manager's wording for one purpose, channel and language (Django template
    syntax over a fixed set of names; checked when saved and previewed). Without one,
    the built-in wording of ``outreach.wording`` is used."""

    purpose = models.CharField(_("for"), max_length=20)  # a PlayKind or an OccasionKind
    channel = models.CharField(_("channel"), max_length=6, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["purpose", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "channel", "language"], name="template_once")
        ]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.channel}/{self.language}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    HELD = "held", _("Held by the policy")
    HOLDOUT = "holdout", _("Control group: not sent")
    FAILED = "failed", _("Could not be sent")
    BOUNCED = "bounced", _("Bounced")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses that count against the contact-pressure budget: sent or on their way.
COUNTED = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)


class PrintBatch(models.Model):
    """A PDF of A6 postcards and a sheet of address labels, for one location."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    cards = models.PositiveIntegerField(default=0)
    cards_path = models.CharField(max_length=500, blank=True)  # under DATA_DIR/print
    labels_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.cards})"


class Message(models.Model):
    """One touch of one customer, planned once per ``key``."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    key = models.CharField(max_length=120, unique=True)  # the idempotency key
    play = models.ForeignKey(Play, on_delete=models.CASCADE, related_name="messages")
    arm = models.ForeignKey(Arm, on_delete=models.SET_NULL, null=True, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("planned for"))  # the business day it was planned for
    occasion = models.CharField(max_length=20, choices=OccasionKind.choices, blank=True)
    occasion_on = models.DateField(null=True, blank=True)
    occasion_name = models.CharField(max_length=100, blank=True)  # household member, pet, label
    channel = models.CharField(max_length=6, choices=Channel.choices, blank=True)
    with_voucher = models.BooleanField(default=False)
    language = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    # Why it was held, failed or bounced: a code and its figures, phrased by ``reasons``.
    reason = models.CharField(max_length=24, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    send_after = models.DateTimeField(null=True, blank=True)  # quiet hours respected
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    address = models.CharField(max_length=254, blank=True)  # where it was sent
    subject = models.CharField(max_length=200, blank=True)  # what was sent
    body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    batch = models.ForeignKey(
        PrintBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    done_by = models.ForeignKey(  # the staff member who made the call
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(max_length=200, blank=True)  # a call's note
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        indexes = [
            # The sender: "queued messages due now", oldest first.
            models.Index(fields=["status", "send_after"], name="message_due"),
            # The budget: "this customer's touches since ...".
            models.Index(fields=["customer", "created_at"], name="message_customer"),
            # The held-back page and the play's report.
            models.Index(fields=["play", "status", "day"], name="message_play"),
            models.Index(fields=["location", "channel", "status"], name="message_channel"),
        ]

    def __str__(self) -> str:
        return self.key


class Voucher(models.Model):
    """A single-use code with an expiry, redeemed at the counter."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vouchers")
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="voucher"
    )
    play = models.ForeignKey(Play, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=8, choices=VoucherKind.choices)
    value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    text = models.CharField(max_length=100, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(_("valid until"))
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeemed_location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["customer", "expires_on"], name="voucher_customer")]

    def __str__(self) -> str:
        return self.code


class Bounce(models.Model):
    """An address or number that a provider rejected for good. The policy stops using
    it until the customer's address changes."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bounces")
    channel = models.CharField(max_length=6, choices=Channel.choices)
    address = models.CharField(max_length=254)
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel"], name="bounce_customer")]

    def __str__(self) -> str:
        return f"{self.channel} {self.at:%Y-%m-%d}"


class PlanRun(models.Model):
    """One planning of one business day (``planning.plan_day``): re-running it plans
    nothing twice (message keys), and its counts say what was planned and held."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # {"queued": n, "held": {code: n}, ...}
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return str(self.day)
