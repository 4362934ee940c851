"""Nightly loyalty snapshots: one ``Snapshot`` per run (the models' parameters, checks,
warnings and business-wide figures) and one ``Standing`` per customer and run (stage,
rhythm, P(alive), expected visits and value), kept as history.

A run's standings are written in batches while the run is ``running`` and become
visible only when the run is marked ``done`` (pages read the latest done run); a failed
or interrupted run is never shown, and the previous snapshot stays in place.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.accounts.models import Location
from regulars.analytics.lifecycle import Stage as StageCode
from regulars.customers.models import Customer


class Stage(models.IntegerChoices):
    """Lifecycle stages, with the codes of ``analytics.lifecycle.Stage``."""

    NEW = StageCode.NEW, _("New")
    DEVELOPING = StageCode.DEVELOPING, _("Developing")
    REGULAR = StageCode.REGULAR, _("Regular")
    AT_RISK = StageCode.AT_RISK, _("At risk")
    LAPSED = StageCode.LAPSED, _("Lapsed")
    DISSATISFIED = StageCode.DISSATISFIED, _("Dissatisfied")
    WON_BACK = StageCode.WON_BACK, _("Won back")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Method(models.TextChoices):
    MODEL = "model", _("Models (BG/NBD and Gamma-Gamma)")
    RULES = "rules", _("Simple rules (too little data for the models)")


class Snapshot(models.Model):
    """One run of the nightly snapshot."""

    day = models.DateField(_("business day"))
    as_of = models.DateTimeField(_("as of"))
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why a run failed (for the owner and the log), in English: an operator's message.
    error = models.TextField(blank=True)
    # Machine-readable warnings: [{"code": ..., "count"/"value": ...}], phrased by the UI.
    warnings = models.JSONField(default=list, blank=True)
    # Fitted parameters, standard errors and log-likelihoods per model.
    parameters = models.JSONField(default=dict, blank=True)
    # Business-wide figures the dashboard draws: stage sizes, flows, cohorts, value
    # distribution, the holdout check, input counts.
    figures = models.JSONField(default=dict, blank=True)
    customers = models.PositiveIntegerField(default=0)
    visits = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    total_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        get_latest_by = "as_of"
        constraints = [
            # One live (running or done) snapshot per business day: two schedulers at
            # once cannot both run it; a failed run leaves the day free to try again.
            models.UniqueConstraint(
                fields=["day"],
                condition=models.Q(status__in=["running", "done"]),
                name="snapshot_one_live_per_day",
            )
        ]
        indexes = [models.Index(fields=["status", "-as_of"], name="snapshot_status_as_of")]

    def __str__(self) -> str:
        return f"snapshot {self.day} ({self.status})"


class Standing(models.Model):
    """One customer in one snapshot. Money in ``currency``; days as floats."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="standings")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="standings")
    # Where they come most (for per-location lists).
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    stage_since = models.DateTimeField(_("in this stage since"))
    visits = models.PositiveIntegerField(default=0)
    visit_days = models.PositiveIntegerField(default=0)
    first_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)
    # Rhythm: usual gap range (q25–q75 of gaps, days; null with too few gaps), usual
    # weekdays (bit 0 = Monday), usual part of day (0–3, null for none), overdue.
    gap_median = models.FloatField(null=True, blank=True)
    gap_low = models.FloatField(null=True, blank=True)
    gap_high = models.FloatField(null=True, blank=True)
    weekdays = models.PositiveSmallIntegerField(default=0)
    part_of_day = models.PositiveSmallIntegerField(null=True, blank=True)
    overdue = models.BooleanField(default=False)
    overdue_ratio = models.FloatField(default=0.0)
    # Models (null when the business is on simple rules): P(alive), expected visits and
    # P(at least one visit) in the next ``horizon`` days, expected spend per visit, and
    # the discounted value over a year.
    p_alive = models.FloatField(null=True, blank=True)
    expected_visits = models.FloatField(null=True, blank=True)
    p_return = models.FloatField(null=True, blank=True)
    expected_spend = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # What a year of this customer was worth, weighted by the chance they are gone:
    # ranks "who to check on".
    value_at_risk = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # The value at risk as a multiple of a typical customer's year in the same currency
    # (in visits when nothing is known of their spend): ranks across currencies.
    risk_score = models.FloatField(default=0.0)
    # Money of this customer is in their own currency (the one most of their visits are
    # paid in): a chain across countries never adds kroner to euros.
    currency = models.CharField(max_length=3, blank=True)
    rfm = models.PositiveSmallIntegerField(default=0)  # cell 111–555

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "customer"], name="standing_one_per_run")
        ]
        indexes = [
            # A customer's history on the profile, newest first.
            models.Index(fields=["customer", "-snapshot"], name="standing_customer"),
            # "Who to check on": a run's customers in one stage by what is at stake.
            models.Index(fields=["snapshot", "stage", "-risk_score"], name="standing_stage_risk"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.snapshot_id}: {self.get_stage_display()}"
