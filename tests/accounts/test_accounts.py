from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from regulars.accounts import services
from regulars.accounts.hours import parse_hours_text, validate_hours
from regulars.accounts.models import Location, Membership, Profile
from regulars.cli import main as regulars_main
from tests.conftest import PASSWORD, World


def test_a_user_signs_in_with_username_and_password(world: World) -> None:
    from django.test import Client

    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("web:home")).status_code == 200


def test_a_wrong_password_keeps_the_user_out(world: World) -> None:
    from django.test import Client

    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "staff", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(world: World) -> None:
    client = world.client("staff")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_user_changes_their_password(world: World) -> None:
    client = world.client("manager")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much better passphrase 42",
            "new_password2": "a much better passphrase 42",
        },
    )
    assert response.status_code == 302
    world.users["manager"].refresh_from_db()
    assert world.users["manager"].check_password("a much better passphrase 42") is True


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "Preferenze"), ("da", "Indstillinger"), ("ru", "Настройки"), ("es", "Preferencias")],
)
def test_staff_choose_their_interface_language(world: World, language: str, expected: str) -> None:
    client = world.client("staff")
    client.post(reverse("accounts:preferences"), {"language": language})
    page = client.get(reverse("accounts:preferences"))
    assert language == page.wsgi_request.LANGUAGE_CODE
    assert f'lang="{language}"' in page.content.decode()
    assert expected in page.content.decode()


def test_an_unknown_language_is_refused(world: World) -> None:
    client = world.client("staff")
    response = client.post(reverse("accounts:preferences"), {"language": "xx"})
    assert response.status_code == 200
    assert (
        list(Profile.objects.filter(user=world.users["staff"]).values_list("language", flat=True))
        == []
    )


def test_an_owner_creates_a_location_and_owns_it(world: World) -> None:
    client = world.client("owner")
    response = client.post(
        reverse("accounts:location_new"),
        {
            "name": "Madrid",
            "address": "Calle Mayor 1",
            "country": "es",
            "timezone": "Europe/Madrid",
            "currency": "eur",
            "language": "es",
            "hours_text": "mon 09:00-14:00, 17:00-20:30\nsat 10:00-14:00",
        },
    )
    assert response.status_code == 302
    madrid = Location.objects.get(name="Madrid")
    assert (madrid.country, madrid.currency) == ("ES", "EUR")
    assert madrid.opening_hours == {
        "mon": [["09:00", "14:00"], ["17:00", "20:30"]],
        "sat": [["10:00", "14:00"]],
    }
    assert Membership.objects.get(location=madrid).user == world.users["owner"]


def test_a_location_with_an_unknown_time_zone_is_refused(world: World) -> None:
    client = world.client("owner")
    response = client.post(
        reverse("accounts:location_new"),
        {
            "name": "X",
            "country": "IT",
            "timezone": "Mars/Olympus",
            "currency": "EUR",
            "language": "it",
            "hours_text": "",
        },
    )
    assert response.status_code == 200
    assert not Location.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    "text",
    [
        "mon 09:00",
        "mon 19:00-09:00",
        "mon 09:00-12:00, 11:00-13:00",
        "xyz 09:00-10:00",
        "mon 25:00-26:00",
    ],
)
def test_impossible_opening_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by problem
        parse_hours_text(text)


def test_opening_hours_are_kept_sorted() -> None:
    assert validate_hours({"fri": [["15:00", "19:00"], ["08:00", "12:00"]]}) == {
        "fri": [["08:00", "12:00"], ["15:00", "19:00"]]
    }


@pytest.mark.django_db
def test_createowner_makes_an_owner_and_a_first_location(monkeypatch: Any) -> None:
    monkeypatch.setenv("REGULARS_OWNER_PASSWORD", "owner passphrase 1")
    assert (
        regulars_main(
            [
                "createowner",
                "lucia",
                "--location",
                "Sevilla",
                "--timezone",
                "Europe/Madrid",
                "--country",
                "ES",
            ]
        )
        == 0
    )
    user = get_user_model().objects.get(username="lucia")
    assert user.check_password("owner passphrase 1") is True
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.location.name) == ("owner", "Sevilla")


@pytest.mark.django_db
def test_createowner_refuses_a_short_password(monkeypatch: Any) -> None:
    monkeypatch.setenv("REGULARS_OWNER_PASSWORD", "short")
    assert regulars_main(["createowner", "lucia"]) == 2
    assert not get_user_model().objects.filter(username="lucia").exists()


@pytest.mark.django_db
def test_a_second_user_with_the_same_name_is_refused() -> None:
    location = services.create_location(
        name="A", timezone_name="Europe/Rome", currency="EUR", country="IT"
    )
    services.create_staff(username="anna", password="x" * 12, location=location)
    with pytest.raises(ValueError, match="already exists"):
        services.create_staff(username="anna", password="y" * 12, location=location)
