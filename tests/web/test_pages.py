"""The page shell, error pages and the account pages render and behave."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from regulars.accounts.models import Location, Profile
from tests.conftest import PASSWORD, World


def nav(html: str) -> str:
    return html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


# --- the shell ------------------------------------------------------------------------


def test_the_page_language_follows_the_users_chosen_language(world: World) -> None:
    Profile.objects.create(user=world.users["staff"], language="it")
    html = world.client("staff").get("/").content.decode()
    assert re.search(r'<html lang="it"', html)


def test_every_page_has_a_skip_link_to_the_main_landmark(world: World) -> None:
    html = world.client("staff").get("/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html


def test_htmx_is_served_from_our_own_static_files_with_the_csrf_header(world: World) -> None:
    html = world.client("staff").get("/").content.decode()
    assert '<script src="/static/web/vendor/htmx.min.js" defer>' in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{64}\"\}'>", html)
    assert "https://" not in html.split("</head>", 1)[0]


def test_staff_see_only_the_links_they_may_use(world: World) -> None:
    links = nav(world.client("staff").get("/").content.decode())
    assert reverse("web:home") in links
    assert reverse("accounts:locations") in links
    assert reverse("accounts:preferences") in links
    assert reverse("web:audit") not in links


def test_owners_see_the_audit_link_in_the_menu(world: World) -> None:
    links = nav(world.client("owner").get("/").content.decode())
    assert reverse("web:audit") in links


def test_signing_out_is_a_post_form(world: World) -> None:
    links = nav(world.client("staff").get("/").content.decode())
    assert re.search(
        rf'<form method="post" action="{reverse("accounts:logout")}">\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken"',
        links,
    )


def test_messages_are_shown_as_alerts(world: World) -> None:
    client = world.client("staff")
    response = client.post(reverse("accounts:preferences"), {"language": "en"}, follow=True)
    assert re.search(r'<div class="alert alert-success" role="status">', response.content.decode())


# --- error pages ----------------------------------------------------------------------


def test_an_unknown_address_gets_the_not_found_page(world: World) -> None:
    response = world.client("staff").get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_refused_page_says_so_and_offers_the_way_home(world: World) -> None:
    response = world.client("staff").get(reverse("web:audit"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your role does not include this page" in html
    assert f'href="{reverse("web:home")}"' in html


def test_the_server_error_page_renders_without_a_request() -> None:
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert "{%" not in html
    assert "<link" not in html  # self-contained: no static file that could fail too


# --- account pages --------------------------------------------------------------------


def test_the_sign_in_page_asks_for_username_and_password(db: object) -> None:
    html = Client().get(reverse("accounts:login")).content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'autocomplete="current-password"' in html


def test_signing_in_leads_to_the_home_page(world: World) -> None:
    response = Client().post(
        reverse("accounts:login"), {"username": "staff", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert response.status_code == 200


def test_a_wrong_password_shows_an_error_next_to_the_form(world: World) -> None:
    response = Client().post(reverse("accounts:login"), {"username": "staff", "password": "wrong"})
    assert response.status_code == 200
    assert re.search(r'class="alert alert-error" role="alert"', response.content.decode())


def test_the_password_change_page_has_the_three_fields(world: World) -> None:
    html = world.client("staff").get(reverse("accounts:password_change")).content.decode()
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in html


def test_changing_the_password_ends_on_the_done_page(world: World) -> None:
    response = world.client("staff").post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:password_change_done")
    assert "Password changed" in response.content.decode()


def test_the_preferences_page_offers_every_interface_language(world: World) -> None:
    html = world.client("outsider").get(reverse("accounts:preferences")).content.decode()
    for code in ("en", "it", "da", "ru", "es"):
        assert f'<option value="{code}"' in html


@pytest.mark.parametrize("persona", ["staff", "manager"])
def test_the_location_list_shows_own_locations_without_edit_links_below_owner(
    world: World, persona: str
) -> None:
    html = world.client(persona).get(reverse("accounts:locations")).content.decode()
    assert "Bologna" in html
    assert "Copenhagen" not in html
    assert reverse("accounts:location_new") not in html
    assert reverse("accounts:location_edit", args=[world.bologna.pk]) not in html


def test_owners_get_new_and_edit_links_on_the_location_list(world: World) -> None:
    html = world.client("owner").get(reverse("accounts:locations")).content.decode()
    assert reverse("accounts:location_new") in html
    assert reverse("accounts:location_edit", args=[world.copenhagen.pk]) in html


def test_the_location_form_saves_a_new_location(world: World) -> None:
    client = world.client("owner")
    assert 'name="timezone"' in client.get(reverse("accounts:location_new")).content.decode()
    response = client.post(
        reverse("accounts:location_new"),
        {
            "name": "Roma",
            "address": "",
            "country": "it",
            "timezone": "Europe/Rome",
            "currency": "eur",
            "language": "it",
            "hours_text": "mon 08:00-13:00",
        },
    )
    assert response.status_code == 302
    assert Location.objects.get(name="Roma").opening_hours == {"mon": [["08:00", "13:00"]]}


def test_the_location_form_shows_errors_beside_the_field(world: World) -> None:
    response = world.client("owner").post(
        reverse("accounts:location_new"),
        {"name": "Roma", "country": "IT", "timezone": "Mars/Olympus", "currency": "EUR"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_timezone_error">', html)
    assert re.search(
        r'aria-invalid="true"[^>]*id="id_timezone"|id="id_timezone"[^>]*aria-invalid="true"', html
    )


def test_the_vendored_htmx_and_our_stylesheet_are_served(world: World) -> None:
    client = world.client("staff")
    for path, start in (
        ("/static/web/vendor/htmx.min.js", b"var htmx="),
        ("/static/web/regulars.css", b"/* Regulars"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(start)
