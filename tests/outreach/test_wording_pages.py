"""The template editor's pages: who may open them, the live preview, saving (refused
while the checks find a problem) and going back to the built-in wording."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regulars.core.models import AuditEntry
from regulars.outreach.models import Template
from tests.conftest import World
from tests.factories import CustomerFactory

EDIT = ("birthday", "email", "it")


def _url(name: str, target: tuple[str, str, str] = EDIT) -> str:
    return reverse(f"outreach:{name}", args=target)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("manager", 200), ("staff", 403), ("outsider", 403)],
)
def test_only_managers_open_the_editor(world: World, persona: str, status: int) -> None:
    client = world.client(persona)
    assert client.get(reverse("outreach:templates")).status_code == status
    assert client.get(_url("template_edit")).status_code == status
    preview = client.post(_url("template_preview"), {"subject": "Hi", "body": "Hello"})
    assert preview.status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = world.client("anonymous").get(reverse("outreach:templates"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_list_shows_every_purpose_channel_and_language(world: World) -> None:
    Template.objects.create(
        purpose="winback", channel="sms", language="ru", body="{{ name }}, ждём Вас!"
    )
    page = world.client("manager").get(reverse("outreach:templates")).content.decode()
    assert page.count('data-language="ru"') == 11 * 4
    assert 'data-customised="1"' in page
    assert page.count("data-own") == 1
    assert _url("template_edit", ("winback", "sms", "ru")) in page


def test_an_unknown_purpose_channel_or_language_is_not_found(world: World) -> None:
    client = world.client("manager")
    for target in (("nope", "email", "it"), ("birthday", "fax", "it"), ("birthday", "email", "de")):
        assert client.get(_url("template_edit", target)).status_code == 404


def test_the_editor_starts_from_the_built_in_wording_with_its_preview(world: World) -> None:
    page = world.client("manager").get(_url("template_edit")).content.decode()
    assert 'data-source="built-in"' in page
    assert "Buon compleanno" in page
    assert 'data-problems="0"' in page
    assert "Ciao Giulia," in page  # the sample customer of the language


def test_the_preview_renders_what_is_typed_for_a_sample_customer(world: World) -> None:
    response = world.client("manager").post(
        _url("template_preview"),
        {
            "subject": "Auguri!",
            "body": "Tanti auguri, {{ name }}, da {{ business }}!",
            "voucher": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tanti auguri, Giulia, da" in page
    assert 'data-problems="0"' in page


def test_the_preview_shows_a_real_customer_when_asked(world: World) -> None:
    customer = CustomerFactory(given_name="Beatrice", family_name="Neri", language="it")
    page = (
        world.client("manager")
        .post(
            _url("template_preview"),
            {
                "subject": "Auguri!",
                "body": "Auguri {{ given_name }}!",
                "customer": customer.public_id,
            },
        )
        .content.decode()
    )
    assert "Auguri Beatrice!" in page


def test_the_preview_lists_the_problems_of_a_broken_template(world: World) -> None:
    page = (
        world.client("manager")
        .post(
            _url("template_preview"),
            {"subject": "Auguri!", "body": "Ciao {{ nome }}\n{% include 'x.html' %}"},
        )
        .content.decode()
    )
    assert 'data-problems="1"' in page
    assert "Message, line 2: the tag {% include %} is not allowed here." in page


def test_a_broken_template_is_not_saved(world: World) -> None:
    response = world.client("manager").post(
        _url("template_edit"), {"subject": "Auguri!", "body": "Ciao {{ nome }}!"}
    )
    assert response.status_code == 400
    assert "nome" in response.content.decode()
    assert not Template.objects.exists()


def test_a_good_template_is_saved_audited_and_used(world: World) -> None:
    client = world.client("manager")
    response = client.post(
        _url("template_edit"),
        {"subject": "Auguri, {{ name }}!", "body": "Tanti auguri da {{ business }}!"},
    )
    assert response.status_code == 302
    saved = Template.objects.get(purpose="birthday", channel="email", language="it")
    assert saved.body == "Tanti auguri da {{ business }}!"
    assert saved.updated_by == world.users["manager"]
    assert AuditEntry.objects.filter(subject="outreach_template").count() == 1
    page = client.get(_url("template_edit")).content.decode()
    assert 'data-source="own"' in page


def test_reset_goes_back_to_the_built_in_wording(world: World) -> None:
    Template.objects.create(
        purpose="birthday", channel="email", language="it", subject="x", body="y"
    )
    assert world.client("staff").post(_url("template_reset")).status_code == 403
    assert Template.objects.count() == 1
    response = world.client("manager").post(_url("template_reset"))
    assert response.status_code == 302
    assert not Template.objects.exists()


def test_the_list_reads_the_same_few_queries_however_many_templates(world: World) -> None:
    client = world.client("manager")
    client.get(reverse("outreach:templates"))  # session and caches warm
    Template.objects.create(purpose="birthday", channel="sms", language="it", body="Auguri!")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("outreach:templates"))
    for language in ("en", "da", "ru", "es"):
        Template.objects.create(purpose="birthday", channel="sms", language=language, body="Hi")
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("outreach:templates"))
    assert len(five) == len(one)
