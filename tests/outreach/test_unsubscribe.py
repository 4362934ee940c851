"""The public unsubscribe page: opening the link changes nothing, pressing the button
records a withdrawal once (per channel or for everything), a mail client's one-click
POST works without a CSRF token, and an altered link is a 404 that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from regulars.customers.models import Consent, ConsentChannel, Customer
from regulars.customers.queries import consent_in_force
from regulars.customers.services import record_consent
from regulars.outreach.links import make_token, unsubscribe_path
from tests.conftest import World
from tests.factories import CustomerFactory

CHANNELS = list(ConsentChannel.values)


@pytest.fixture(autouse=True)
def _roomy_rate_limit(settings: Any) -> None:
    settings.SURVEY_RATE_LIMIT = 1000
    cache.clear()


@pytest.fixture
def giulia(world: World) -> Customer:
    customer: Customer = CustomerFactory(
        given_name="Giulia", family_name="Rossi", language="it", home_location=world.bologna
    )
    for channel in CHANNELS:
        record_consent(
            actor=None, customer=customer, channel=channel, granted=True, method="at the counter"
        )
    return customer


def _granted(customer: Customer) -> dict[str, bool]:
    return {
        channel: bool(consent and consent.granted)
        for channel, consent in consent_in_force(customer).items()
    }


def _rows(customer: Customer) -> int:
    return Consent.objects.filter(customer=customer).count()


def test_opening_the_link_changes_nothing_and_offers_one_button(giulia: Customer) -> None:
    response = Client().get(unsubscribe_path(giulia.public_id, "email"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="unsubscribe-channel"' in html
    assert "Bologna" in html
    assert _rows(giulia) == len(CHANNELS)
    assert all(_granted(giulia).values())


def test_pressing_the_button_withdraws_that_channel_only(giulia: Customer) -> None:
    response = Client().post(
        unsubscribe_path(giulia.public_id, "email"),
        {"scope": "email"},
        HTTP_USER_AGENT="Mail/1.0",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 200
    assert 'data-testid="unsubscribe-done"' in response.content.decode()
    assert _granted(giulia) == {"email": False, "sms": True, "post": True, "phone": True}
    withdrawal = consent_in_force(giulia)["email"]
    assert withdrawal is not None
    assert withdrawal.method == "unsubscribe link"
    assert withdrawal.source == "offered"
    assert "email" in withdrawal.proof
    assert "Mail/1.0" in withdrawal.proof
    assert "203.0.113.7" not in withdrawal.proof
    assert withdrawal.recorded_by is None


def test_a_repeated_post_adds_no_row(giulia: Customer) -> None:
    path = unsubscribe_path(giulia.public_id, "sms")
    Client().post(path, {"scope": "sms"})
    rows = _rows(giulia)
    again = Client().post(path, {"scope": "sms"})
    assert again.status_code == 200
    assert _rows(giulia) == rows == len(CHANNELS) + 1


def test_an_all_link_withdraws_every_channel(giulia: Customer) -> None:
    Client().post(unsubscribe_path(giulia.public_id, "all"), {"scope": "all"})
    assert _granted(giulia) == dict.fromkeys(CHANNELS, False)
    assert _rows(giulia) == 2 * len(CHANNELS)


def test_a_channel_link_also_offers_to_stop_everything(giulia: Customer) -> None:
    path = unsubscribe_path(giulia.public_id, "post")
    assert 'data-testid="unsubscribe-all"' in Client().get(path).content.decode()
    Client().post(path, {"scope": "all"})
    assert _granted(giulia) == dict.fromkeys(CHANNELS, False)


def test_only_channels_not_yet_withdrawn_get_a_row(giulia: Customer) -> None:
    Client().post(unsubscribe_path(giulia.public_id, "email"), {"scope": "email"})
    Client().post(unsubscribe_path(giulia.public_id, "all"), {"scope": "all"})
    assert _rows(giulia) == 2 * len(CHANNELS)
    assert Consent.objects.filter(customer=giulia, channel="email", granted=False).count() == 1


def test_a_customer_who_never_said_yes_still_gets_the_refusal_recorded(world: World) -> None:
    silent = CustomerFactory(home_location=world.bologna)
    Client().post(unsubscribe_path(silent.public_id, "phone"), {"scope": "phone"})
    phone = consent_in_force(silent)["phone"]
    assert phone is not None
    assert phone.granted is False


def test_the_page_says_so_when_the_channel_is_already_withdrawn(giulia: Customer) -> None:
    path = unsubscribe_path(giulia.public_id, "email")
    Client().post(path, {"scope": "email"})
    html = Client().get(path).content.decode()
    assert 'data-testid="unsubscribe-channel"' not in html
    # Giulia reads Italian: the page says it in her language.
    with translation.override("it"):
        done = gettext("You will get no more e-mails from %(business)s.") % {"business": "Bologna"}
    assert done != "You will get no more e-mails from Bologna."
    assert done in html


def test_the_one_click_post_works_without_a_csrf_token(giulia: Customer) -> None:
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        unsubscribe_path(giulia.public_id, "email"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert _granted(giulia)["email"] is False
    withdrawal = consent_in_force(giulia)["email"]
    assert withdrawal is not None
    assert "one-click" in withdrawal.proof


def test_the_pages_own_form_still_needs_its_csrf_token(giulia: Customer) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(unsubscribe_path(giulia.public_id, "email"), {"scope": "all"})
    assert response.status_code == 403
    assert all(_granted(giulia).values())


def test_the_form_with_its_token_works_under_csrf_checks(giulia: Customer) -> None:
    browser = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(giulia.public_id, "email")
    page = browser.get(path)
    token = page.cookies["csrftoken"].value
    response = browser.post(path, {"scope": "email", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert _granted(giulia)["email"] is False


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_altered_link_is_a_404_in_the_browsers_language_and_changes_nothing(
    giulia: Customer, method: str
) -> None:
    token = make_token(giulia.public_id, "email")
    forged = token.replace(".email:", ".all:")
    rows = _rows(giulia)
    for bad in (forged, token[:-2], "made-up"):
        url = reverse("outreach-public:unsubscribe", kwargs={"token": bad})
        client = Client(HTTP_ACCEPT_LANGUAGE="da")
        response = getattr(client, method)(url, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 404
        assert '<html lang="da"' in response.content.decode()
    assert _rows(giulia) == rows
    assert all(_granted(giulia).values())


def test_a_link_of_a_customer_no_longer_stored_is_a_404(world: World) -> None:
    response = Client().get(unsubscribe_path("NOSUCHCUSTOMER", "email"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("customer_language", "expected"), [("it", "it"), ("ru", "ru"), ("", "it")]
)
def test_the_page_speaks_the_customers_language_else_the_locations(
    world: World, customer_language: str, expected: str
) -> None:
    customer = CustomerFactory(language=customer_language, home_location=world.bologna)
    path = unsubscribe_path(customer.public_id, "email")
    client = Client(HTTP_ACCEPT_LANGUAGE="da")  # the browser's language does not decide
    for response in (client.get(path), client.post(path, {"scope": "email"})):
        assert response["Content-Language"] == expected
        assert f'<html lang="{expected}"' in response.content.decode()


def test_the_page_is_not_cached_indexed_or_referred(giulia: Customer) -> None:
    response = Client().get(unsubscribe_path(giulia.public_id, "email"))
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]


def test_a_flood_from_one_address_is_slowed_down(settings: Any, giulia: Customer) -> None:
    settings.SURVEY_RATE_LIMIT = 2
    client = Client()
    path = unsubscribe_path(giulia.public_id, "email")
    statuses = [client.get(path).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 429
    assert all(_granted(giulia).values())
