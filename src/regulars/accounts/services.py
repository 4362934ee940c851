"""Every write to accounts: owners, staff, memberships, locations, preferences."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from regulars.accounts.hours import validate_hours
from regulars.accounts.models import Location, Membership, Profile
from regulars.core.permissions import Role


@transaction.atomic
def create_location(
    *,
    name: str,
    timezone_name: str,
    currency: str,
    country: str,
    language: str = "en",
    address: str = "",
    opening_hours: dict[str, list[list[str]]] | None = None,
) -> Location:
    location = Location(
        name=name,
        address=address,
        timezone=timezone_name,
        currency=currency.upper(),
        country=country.upper(),
        language=language,
        opening_hours=validate_hours(opening_hours or {}),
    )
    try:
        location.full_clean()
    except ValidationError as exc:
        raise ValueError("; ".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
    location.save()
    return location


@transaction.atomic
def create_staff(
    *,
    username: str,
    password: str,
    location: Location,
    role: Role | str = Role.STAFF,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "",
) -> Any:
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"a user named {username!r} already exists")
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    Membership.objects.create(user=user, location=location, role=role)
    Profile.objects.create(user=user, language=language)
    return user


@transaction.atomic
def create_owner(
    *,
    username: str,
    password: str,
    email: str = "",
    location_name: str = "Main",
    timezone_name: str = "Europe/Rome",
    currency: str = "EUR",
    country: str = "IT",
    language: str = "en",
) -> Any:
    """An owner of every location; creates a first location when there is none."""
    if len(password) < 8:
        raise ValueError("the password needs at least 8 characters")
    locations = list(Location.objects.all())
    if not locations:
        locations = [
            create_location(
                name=location_name,
                timezone_name=timezone_name,
                currency=currency,
                country=country,
                language=language,
            )
        ]
    user = create_staff(
        username=username,
        password=password,
        email=email,
        location=locations[0],
        role=Role.OWNER,
        language=language,
    )
    for extra in locations[1:]:
        Membership.objects.create(user=user, location=extra, role=Role.OWNER)
    return user


@transaction.atomic
def set_language(*, user: Any, language: str) -> None:
    """The interface language a staff member chose ("" follows the browser)."""
    Profile.objects.update_or_create(user=user, defaults={"language": language})


@transaction.atomic
def save_location(*, form: Any, actor: Any) -> Location:
    """Save a validated LocationForm; whoever creates a location owns it."""
    is_new = form.instance.pk is None
    location: Location = form.save()
    if is_new:
        Membership.objects.get_or_create(
            user=actor, location=location, defaults={"role": Role.OWNER}
        )
    return location
