"""Surveys (which instrument follows which event, and the rules for inviting),
invitations (one signed single-use link each), responses with their answers, and
service recoveries opened by unhappy answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.core.ids import new_public_id
from regulars.customers.models import Customer
from regulars.service.models import Ticket, Visit


class Trigger(models.TextChoices):
    VISIT = "visit", _("After a visit")
    TICKET_RESOLVED = "ticket", _("After a resolved ticket")
    RECOVERY = "recovery", _("Asking again after a recovery")


class InviteChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    RECEIPT = "receipt", _("Printed on the receipt")


class ChannelRule(models.TextChoices):
    EMAIL = "email", _("By email only")
    RECEIPT = "receipt", _("On the receipt only")
    EMAIL_OR_RECEIPT = "either", _("By email, else on the receipt")


class QuestionKind(models.TextChoices):
    SCALE_5 = "scale5", _("Scale 1–5")
    YES_NO = "yesno", _("Yes or no")
    TEXT = "text", _("Free text")


class FeedbackPolicy(models.Model):
    """The business's survey limits (one row; ``feedback.rules.policy()`` reads it)."""

    cooldown_days = models.PositiveSmallIntegerField(
        _("at most one survey per customer in this many days"), default=90
    )
    link_valid_days = models.PositiveSmallIntegerField(
        _("survey links stay valid for this many days"), default=14
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"policy: {self.cooldown_days} days"


class Survey(models.Model):
    """A rule: which instruments follow which event, where, how often and how sent.

    When several active surveys match an event, the first by ``position`` applies.
    """

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(
        _("after"), max_length=10, choices=Trigger.choices, default=Trigger.VISIT
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("location"),
        help_text=_("Empty: every location."),
    )
    instruments = models.JSONField(_("instruments"), default=list)
    channel = models.CharField(
        _("sent"), max_length=8, choices=ChannelRule.choices, default=ChannelRule.EMAIL_OR_RECEIPT
    )
    sampling_percent = models.PositiveSmallIntegerField(
        _("share of events invited (%)"), default=100
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A question of the business's own, asked after the instruments."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(
        _("kind"), max_length=8, choices=QuestionKind.choices, default=QuestionKind.SCALE_5
    )
    # The question in each language it was written in: {"en": "...", "it": "..."}.
    texts = models.JSONField(_("wording"), default=dict)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return next(iter(self.texts.values()), "")

    def text_in(self, language: str) -> str:
        """The wording in ``language``, else English, else any."""
        for code in (language, "en"):
            if self.texts.get(code):
                return str(self.texts[code])
        return str(next((t for t in self.texts.values() if t), ""))


class InvitationStatus(models.TextChoices):
    CREATED = "created", _("Ready to print")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    PARTIAL = "partial", _("Partly answered")
    ANSWERED = "answered", _("Answered")
    FAILED = "failed", _("Could not be sent")


class Invitation(models.Model):
    """One invitation to answer a survey, through one signed single-use link.

    The link's token signs ``public_id`` and ``nonce`` with the secret key (see
    ``feedback.tokens``): it cannot be guessed or altered, it can be printed again, and
    it stops working once answered or after ``expires_at``. ``event_key`` names the
    event that caused it, so the same event never invites twice.
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    nonce = models.CharField(max_length=16)
    # Typed from a printed receipt at /s/ (upper case, no separators).
    short_code = models.CharField(max_length=12, unique=True)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="invitations")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=InviteChannel.choices)
    language = models.CharField(max_length=5)
    event_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=InvitationStatus.choices,
        default=InvitationStatus.CREATED,
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Answers given so far, kept while the customer goes through the pages.
    draft = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "Was this customer invited in the last 90 days?" (the cooldown rule).
            models.Index(fields=["customer", "-created_at"], name="invitation_customer"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.public_id}"


class Response(models.Model):
    """One submitted survey: scores, the comment and what was read from it.

    Staff, location, channel and time are copied from the invitation so every figure
    can be filtered without joins. ``detractor`` is NPS ≤ 6, CSAT ≤ 2 or a clearly
    negative comment.
    """

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="responses")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=InviteChannel.choices)
    language = models.CharField(max_length=5)
    submitted_at = models.DateTimeField(default=timezone.now)
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    nps = models.PositiveSmallIntegerField(null=True, blank=True)
    ces = models.PositiveSmallIntegerField(null=True, blank=True)
    why = models.TextField(_("reason for the score"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # {dimension: points}, summing to 100, when the quality survey was answered.
    importance = models.JSONField(default=dict, blank=True)
    comment_language = models.CharField(max_length=5, blank=True)
    sentiment = models.CharField(max_length=8, blank=True)  # positive / neutral / negative
    sentiment_score = models.FloatField(null=True, blank=True)
    topics = models.JSONField(default=list, blank=True)
    negative_topics = models.JSONField(default=list, blank=True)
    detractor = models.BooleanField(default=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # The dashboard over a period, business-wide and per location.
            models.Index(fields=["submitted_at"], name="response_submitted"),
            models.Index(fields=["location", "submitted_at"], name="response_location"),
            # A customer's answers on their profile.
            models.Index(fields=["customer", "-submitted_at"], name="response_customer"),
        ]

    def __str__(self) -> str:
        return f"response {self.public_id}"


class QualityAnswer(models.Model):
    """One item of the five-dimension survey: expected (of a business like this) and
    perceived (here), each 1–7; either may be skipped."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="quality")
    dimension = models.CharField(max_length=16)
    item = models.PositiveSmallIntegerField()
    expected = models.PositiveSmallIntegerField(null=True)
    perceived = models.PositiveSmallIntegerField(null=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "dimension", "item"], name="quality_answer_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension}.{self.item}: {self.expected} → {self.perceived}"


class CustomAnswer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="custom")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    score = models.SmallIntegerField(null=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text or str(self.score)


class RecoveryStatus(models.TextChoices):
    OPEN = "open", _("To contact")
    CONTACTED = "contacted", _("Contacted")
    REMEDY = "remedy", _("Remedy given")
    RESURVEYED = "resurveyed", _("Asked again")
    RECOVERED = "recovered", _("Recovered")
    LOST = "lost", _("Lost")


RECOVERY_OPEN = frozenset(
    {
        RecoveryStatus.OPEN,
        RecoveryStatus.CONTACTED,
        RecoveryStatus.REMEDY,
        RecoveryStatus.RESURVEYED,
    }
)


class Recovery(models.Model):
    """Winning back a customer who answered unhappily. Open until recovered or lost;
    while open, the customer counts as dissatisfied and gets no other survey."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="recovery")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="recoveries"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="recoveries")
    ticket = models.OneToOneField(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="recovery"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    contacted_at = models.DateTimeField(null=True, blank=True)
    remedy_at = models.DateTimeField(null=True, blank=True)
    resurveyed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    remedy = models.CharField(_("remedy"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    resurvey = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="recovery_of"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # "Is this customer dissatisfied?" (the counter card, the survey rules).
            models.Index(fields=["customer", "status"], name="recovery_customer"),
            # The recovery funnel over a period.
            models.Index(fields=["opened_at"], name="recovery_opened"),
        ]

    def __str__(self) -> str:
        return f"recovery {self.public_id}"
