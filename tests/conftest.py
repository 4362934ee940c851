"""Fixed personas for every test: owner, manager, staff, outsider and anonymous.

Two locations: Bologna (the personas' own) and Copenhagen (only the owner's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from regulars.accounts.models import Location
from tests.factories import LocationFactory, MembershipFactory, UserFactory

PASSWORD = "correct horse battery"
PERSONAS = ("owner", "manager", "staff", "outsider", "anonymous")


@dataclass
class World:
    bologna: Location
    copenhagen: Location
    users: dict[str, Any]

    def client(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(self.users[persona])
        return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Full-strength PBKDF2 costs ~0.4 s per persona, most of a test's time; the tests
    need working password checks, not strong hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language: a page answered in Russian (the locale
    middleware activates the browser's language and leaves it active in the thread)
    must not turn the next test's messages Russian."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def world(db: Any) -> World:
    bologna = LocationFactory(
        name="Bologna", country="IT", timezone="Europe/Rome", currency="EUR", language="it"
    )
    copenhagen = LocationFactory(
        name="Copenhagen",
        country="DK",
        timezone="Europe/Copenhagen",
        currency="DKK",
        language="da",
    )
    users = {name: UserFactory(username=name) for name in ("owner", "manager", "staff", "outsider")}
    MembershipFactory(user=users["owner"], location=bologna, role="owner")
    MembershipFactory(user=users["owner"], location=copenhagen, role="owner")
    MembershipFactory(user=users["manager"], location=bologna, role="manager")
    MembershipFactory(user=users["staff"], location=bologna, role="staff")
    return World(bologna=bologna, copenhagen=copenhagen, users=users)


@pytest.fixture
def owner(world: World) -> Any:
    return world.users["owner"]


@pytest.fixture
def staff(world: World) -> Any:
    return world.users["staff"]
