"""Locations, staff memberships (a role per location) and staff profiles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.accounts.hours import validate_hours
from regulars.core.localtime import is_valid_zone
from regulars.core.money import CURRENCIES
from regulars.core.permissions import Role


def person_name(user: Any) -> str:
    """How a colleague is named to others: full name, or username when it is blank."""
    return str(user.get_full_name() or user.get_username())


def _validate_zone(value: str) -> None:
    if not is_valid_zone(value):
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value})


def _validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(_("Unknown currency code: %(code)s"), params={"code": value})


def _validate_hours(value: object) -> None:
    try:
        validate_hours(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from exc


class Location(models.Model):
    name = models.CharField(_("name"), max_length=120)
    address = models.TextField(_("address"), blank=True)
    country = models.CharField(
        _("country"), max_length=2, help_text=_("ISO country code, used for phone numbers")
    )
    timezone = models.CharField(_("time zone"), max_length=64, validators=[_validate_zone])
    currency = models.CharField(_("currency"), max_length=3, validators=[_validate_currency])
    language = models.CharField(
        _("default language"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    opening_hours = models.JSONField(
        _("opening hours"), default=dict, blank=True, validators=[_validate_hours]
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role at one location. A user with no membership is an outsider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "location"], name="one_role_per_location")
        ]
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} @ {self.location}: {self.role}"


class Profile(models.Model):
    """Per-user preferences; created on first need."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("interface language"), max_length=5, choices=settings.LANGUAGES, blank=True
    )

    def __str__(self) -> str:
        return f"profile of {self.user}"
