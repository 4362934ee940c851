"""What customers read: the built-in wording in five languages for every purpose, the
voucher line, the unsubscribe link, the manager's own templates, the checks that keep a
broken template from being saved, and the editor's pages."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest

from regulars.customers.models import AddressForm, Customer
from regulars.outreach import links, wording
from regulars.outreach.models import Template, VoucherKind
from regulars.outreach.vouchers import issue_for, shown_code
from regulars.outreach.wording import check, render
from regulars.outreach.wording.names import long_date
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.outreach._wording_helpers import message_for

NAMES = {"en": "Emma", "it": "Giulia", "da": "Mette", "ru": "Анна", "es": "Lucía"}
OCCASION_NAMES = {"household_birthday": "Oliver", "pet_birthday": "Rex", "custom": "Jubilee"}
CHANNELS = ("email", "sms", "card", "call")
URL = re.compile(r"https?://\S+/o/u/(\S+?)/")


def _customer(language: str, **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "given_name": NAMES[language],
        "family_name": "Rossi",
        "language": language,
        "address_form": AddressForm.INFORMAL,
    }
    values.update(fields)
    return CustomerFactory(**values)


def _leftovers(text: str) -> list[str]:
    return [mark for mark in ("{{", "}}", "{%", "%}") if mark in text]


# --- Built-in wording ------------------------------------------------------------------


@pytest.mark.parametrize("language", wording.LANGUAGES)
def test_every_purpose_renders_in_every_language_with_the_customers_name(
    world: World, language: str
) -> None:
    customer = _customer(language)
    for purpose in wording.PURPOSES:
        occasion_name = OCCASION_NAMES.get(purpose, "")
        for channel in CHANNELS:
            message = message_for(
                customer,
                world.bologna,
                purpose=purpose,
                channel=channel,
                occasion_name=occasion_name,
                occasion_on=date(2026, 3, 18),
            )
            shown = render(message, None)
            where = f"{language}/{purpose}/{channel}"
            assert shown.body.strip(), where
            assert NAMES[language] in shown.body, where
            if occasion_name:
                assert occasion_name in shown.body, where
            assert _leftovers(shown.body + shown.subject) == [], where
            assert (shown.subject != "") == (channel == "email"), where
            assert (shown.html is not None) == (channel == "email"), where


@pytest.mark.parametrize("language", ["it", "ru", "es"])
def test_formal_customers_are_addressed_formally(world: World, language: str) -> None:
    formal = _customer(language, address_form=AddressForm.FORMAL, family_name="Bianchi")
    informal = _customer(language)
    polite = {"it": "Le auguriamo", "ru": "желает Вам", "es": "le desea"}[language]
    familiar = {"it": "ti auguriamo", "ru": "желает тебе", "es": "te desea"}[language]
    to_formal = render(message_for(formal, world.bologna, channel="card"), None).body
    to_informal = render(message_for(informal, world.bologna, channel="card"), None).body
    assert polite in to_formal
    assert familiar not in to_formal
    assert familiar in to_informal
    assert polite not in to_informal
    assert f"{NAMES[language]} Bianchi" in to_formal


def test_a_title_and_surname_open_an_italian_letter_gently(world: World) -> None:
    customer = _customer(
        "it", title="Sig.ra", family_name="Rossi", address_form=AddressForm.TITLE_SURNAME
    )
    body = render(message_for(customer, world.bologna, channel="email"), None).body
    assert body.startswith("Gentile Sig.ra Rossi,")


def test_spanish_formal_opening_agrees_with_the_title(world: World) -> None:
    customer = _customer(
        "es", title="Sra.", family_name="García", address_form=AddressForm.TITLE_SURNAME
    )
    body = render(message_for(customer, world.bologna, channel="card"), None).body
    assert body.startswith("Estimada Sra. García:")


@pytest.mark.parametrize(
    ("first_year", "expected"),
    [
        (2025, "прошёл уже год"),
        (2023, "прошло уже 3 года"),
        (2021, "прошло уже 5 лет"),
        (2005, "прошло уже 21 год"),
    ],
)
def test_russian_years_take_the_right_plural(world: World, first_year: int, expected: str) -> None:
    customer = _customer("ru", first_met_on=date(first_year, 3, 18))
    message = message_for(
        customer,
        world.bologna,
        purpose="first_visit",
        channel="card",
        occasion_on=date(2026, 3, 18),
    )
    assert expected in render(message, None).body


def test_the_thank_you_names_the_visit_count(world: World) -> None:
    customer = _customer("en", visit_count=50)
    body = render(message_for(customer, world.bologna, purpose="thankyou", channel="card"), None)
    assert "50 times" in body.body


def test_the_language_is_the_messages_then_the_customers_then_the_locations(
    world: World,
) -> None:
    customer = _customer("da")
    assert "Tillykke" in render(message_for(customer, world.bologna, channel="card"), None).body
    assert (
        "Happy birthday"
        in render(message_for(customer, world.bologna, channel="card", language="en"), None).body
    )
    nobody = CustomerFactory(given_name="Paolo", family_name="Verdi", language="")
    assert (
        "Buon compleanno" in render(message_for(nobody, world.bologna, channel="card"), None).body
    )


def test_a_customer_without_a_name_gets_no_dangling_commas(world: World) -> None:
    customer = CustomerFactory(given_name="", family_name="", language="en")
    body = render(message_for(customer, world.bologna, channel="sms"), None).body
    assert body.startswith("Happy birthday! Warm wishes")
    assert ", !" not in body
    assert " ," not in body


# --- Voucher line ----------------------------------------------------------------------


@pytest.mark.parametrize("language", wording.LANGUAGES)
def test_a_voucher_line_gives_the_code_what_it_gives_and_the_date(
    world: World, language: str
) -> None:
    customer = _customer(language)
    for channel in ("email", "sms", "card"):
        message = message_for(
            customer,
            world.bologna,
            channel=channel,
            voucher_kind=VoucherKind.PERCENT,
            voucher_value=Decimal(10),
        )
        voucher = issue_for(message)
        assert voucher is not None
        body = render(message, voucher).body
        assert shown_code(voucher.code) in body
        assert "10" in body
        assert "%" in body
        assert long_date(voucher.expires_on, language) in body
    no_voucher = render(message_for(customer, world.bologna, channel="card"), None).body
    assert re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b", no_voucher) is None


def test_the_voucher_date_is_written_in_the_customers_language(world: World) -> None:
    customer = _customer("ru")
    message = message_for(
        customer,
        world.bologna,
        channel="card",
        voucher_kind=VoucherKind.AMOUNT,
        voucher_value=Decimal(5),
    )
    voucher = issue_for(message)
    assert voucher is not None
    body = render(message, voucher).body
    month = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ][voucher.expires_on.month - 1]
    assert f"{voucher.expires_on.day} {month} {voucher.expires_on.year}" in body
    assert "покажи код" in body
    assert "на кассе" in body
    assert "5,00" in body
    assert "€" in body


def test_a_managers_template_without_the_voucher_still_gets_its_line(world: World) -> None:
    Template.objects.create(
        purpose="birthday", channel="card", language="en", body="Happy day, {{ name }}!"
    )
    customer = _customer("en")
    message = message_for(
        customer,
        world.bologna,
        channel="card",
        voucher_kind=VoucherKind.ITEM,
        voucher_text="a free slice of cake",
    )
    voucher = issue_for(message)
    assert voucher is not None
    body = render(message, voucher).body
    assert body.startswith("Happy day, Emma!")
    assert "a free slice of cake" in body
    assert shown_code(voucher.code) in body


# --- Unsubscribe -------------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "consent"), [("email", "email"), ("sms", "sms")])
def test_emails_and_texts_end_with_a_working_unsubscribe_link(
    world: World, channel: str, consent: str
) -> None:
    customer = _customer("it")
    shown = render(message_for(customer, world.bologna, channel=channel), None)
    last_line = shown.body.strip().splitlines()[-1]
    found = URL.search(last_line)
    assert found is not None
    key = links.read_token(found.group(1))
    assert key.customer_public_id == customer.public_id
    assert key.channel == consent
    if channel == "email":
        url = found.group(0)
        assert shown.headers["List-Unsubscribe"] == f"<{url}>"
        assert shown.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f'href="{url}"' in (shown.html or "")
        assert urlsplit(url).path.startswith("/o/u/")
    else:
        assert shown.headers == {}


def test_cards_carry_no_unsubscribe_link(world: World) -> None:
    shown = render(message_for(_customer("en"), world.bologna, channel="card"), None)
    assert URL.search(shown.body) is None


def test_the_html_part_escapes_what_the_customer_typed(world: World) -> None:
    customer = _customer("en", given_name="<b>Emma</b>")
    shown = render(message_for(customer, world.bologna, channel="email"), None)
    assert "&lt;b&gt;Emma&lt;/b&gt;" in (shown.html or "")
    assert "<b>Emma</b>" not in (shown.html or "")
    assert "<b>Emma</b>" in shown.body  # the text part is text


# --- The manager's templates -------------------------------------------------------------


def test_the_managers_template_is_used_over_the_built_in_one(world: World) -> None:
    Template.objects.create(
        purpose="winback",
        channel="email",
        language="it",
        subject="Da {{ business }} con affetto",
        body="Ciao {{ given_name }}, torna quando vuoi!",
    )
    customer = _customer("it")
    shown = render(message_for(customer, world.bologna, purpose="winback"), None)
    assert shown.subject == "Da Bologna con affetto"
    assert shown.body.startswith("Ciao Giulia, torna quando vuoi!")
    assert URL.search(shown.body) is not None  # the unsubscribe link is added
    other_language = render(message_for(_customer("en"), world.bologna, purpose="winback"), None)
    assert "We miss you" in other_language.subject


def test_a_broken_template_in_the_database_falls_back_to_the_built_in_one(
    world: World,
) -> None:
    Template.objects.create(
        purpose="birthday", channel="card", language="en", body="{% if name %}Unclosed"
    )
    body = render(message_for(_customer("en"), world.bologna, channel="card"), None).body
    assert body.startswith("Hi Emma,")
    assert "Happy birthday" in body


# --- check() -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", wording.LANGUAGES)
def test_the_built_in_wording_passes_its_own_checks(language: str) -> None:
    for purpose in wording.PURPOSES:
        for channel in CHANNELS:
            subject, body = wording.builtin_source(purpose, channel, language)
            problems = check(subject, body, channel=channel, language=language, purpose=purpose)
            assert problems == [], f"{language}/{purpose}/{channel}: {problems}"


def test_check_names_a_syntax_error_with_its_line() -> None:
    problems = check("", "Hello {{ name }}\n{% if formal %}\nDear", channel="card", language="en")
    assert len(problems) == 1
    assert "line" in problems[0]


def test_check_names_an_unknown_filter_with_its_line() -> None:
    problems = check("", "Hi\n{{ name|shout }}", channel="card", language="en")
    assert problems == ["Message, line 2: there is no filter “shout”."]


def test_check_finds_an_unknown_name() -> None:
    problems = check("Hi", "Hello {{ nmae }}!", channel="email", language="en")
    assert any("nmae" in p for p in problems)


def test_check_finds_an_unknown_name_inside_a_branch_never_taken() -> None:
    problems = check("", "{% if 0 %}{{ secret.key }}{% endif %}Hi", channel="card", language="en")
    assert any("secret.key" in p for p in problems)


def test_check_finds_a_misspelt_voucher_field() -> None:
    problems = check(
        "", "Hi{% if voucher %} {{ voucher.cod }}{% endif %}", channel="card", language="en"
    )
    assert any("voucher.cod" in p for p in problems)


def test_check_finds_a_voucher_field_outside_if_voucher() -> None:
    problems = check("", "Your code: {{ voucher.code }}", channel="card", language="en")
    assert any("{% if voucher %}" in p for p in problems)


@pytest.mark.parametrize(
    "tag",
    [
        '{% include "web/base.html" %}',
        "{% load i18n %}",
        '{% extends "web/base.html" %}',
        "{% debug %}",
        '{% ssi "/etc/passwd" %}',
        "{% url 'web:home' %}",
        "{% now 'Y' %}",
    ],
)
def test_check_refuses_tags_outside_the_basics(tag: str) -> None:
    problems = check("", f"Hello\n{tag}", channel="card", language="en")
    word = tag.split()[1]
    assert problems == [f"Message, line 2: the tag {{% {word} %}} is not allowed here."]


def test_a_template_cannot_reach_django_internals() -> None:
    underscores = check("", "{{ name.__class__ }}", channel="card", language="en")
    assert len(underscores) == 1
    assert "line 1" in underscores[0]
    settings = check("", "{{ settings.SECRET_KEY }}", channel="card", language="en")
    assert any("settings.SECRET_KEY" in p for p in settings)


def test_check_refuses_a_text_message_that_is_too_long() -> None:
    problems = check("", "Hello {{ name }}! " + "x" * 320, channel="sms", language="en")
    assert len(problems) == 1
    assert "characters" in problems[0]
    assert check("", "Hello {{ name }}! " + "x" * 100, channel="sms", language="en") == []


def test_check_asks_an_email_for_a_subject_but_not_for_the_unsubscribe_link() -> None:
    assert check("", "Hello", channel="email", language="en") == ["An e-mail needs a subject."]
    assert check("Hi", "Hello {{ name }}", channel="email", language="en") == []


def test_loops_and_with_blocks_may_bind_their_own_names() -> None:
    body = (
        "{% with who=given_name %}{{ who }}{% endwith %}{% for c in business %}{{ c }}{% endfor %}"
    )
    assert check("", body, channel="card", language="en") == []
