"""What staff type on the customer form and the profile is checked before it is kept: the
gift preference is chosen and shown, e-mail addresses that cannot receive mail and phone
numbers nobody can call are refused with a clear, translated reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from regulars.core.models import AuditAction, AuditEntry
from regulars.customers import services
from regulars.customers.models import Customer, Gifts
from tests.conftest import World
from tests.customers.test_forms import _form_data

NO_MAIL = "“%s” cannot receive mail: after the @ comes a domain such as example.com."
NOT_IN_USE = "“%s” is not a phone number in use: check the digits and the country code."


@pytest.fixture
def customer(world: World) -> Customer:
    return services.create_customer(
        actor=world.users["staff"],
        given_name="Giulia",
        family_name="Rossi",
        home_location=world.bologna,
    )


# --- Gifts ------------------------------------------------------------------------------


def test_the_edit_form_offers_the_gift_preference_and_saves_it(
    world: World, customer: Customer
) -> None:
    client = world.client("staff")
    url = reverse("customers:edit", args=[customer.public_id])
    form = client.get(url).context["form"]
    assert [value for value, _label in form.fields["gifts"].choices] == ["", "no_gifts", "words"]
    changes = _form_data(gifts="no_gifts", source="offered", home_location=world.bologna.pk)
    response = client.post(url, changes)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.gifts == Gifts.NO_GIFTS
    assert customer.provenance["gifts"]["source"] == "offered"
    assert AuditEntry.objects.get(action=AuditAction.CHANGE).fields == ["gifts"]


@pytest.mark.parametrize(
    ("gifts", "shown"), [("no_gifts", "No gifts, please"), ("words", "Just words")]
)
def test_the_profile_shows_the_gift_preference_by_the_consent(
    world: World, customer: Customer, gifts: str, shown: str
) -> None:
    Customer.objects.filter(pk=customer.pk).update(gifts=gifts)
    html = world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    page = html.content.decode()
    consent = page.index('id="section-consent"')
    badge = page.index(f'data-gifts="{gifts}"')
    assert consent < badge < page.index("</section>", consent)
    assert shown in page[badge:]


def test_the_profile_says_nothing_about_gifts_when_they_welcome_them(
    world: World, customer: Customer
) -> None:
    page = world.client("staff").get(reverse("customers:detail", args=[customer.public_id]))
    assert "data-gifts" not in page.content.decode()


def test_a_new_customer_can_say_just_words_from_the_start(world: World) -> None:
    response = world.client("staff").post(reverse("customers:new"), _form_data(gifts="words"))
    assert response.status_code == 302
    assert Customer.objects.get().gifts == Gifts.JUST_WORDS


# --- E-mail addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("giulia.rossi", "Enter a valid email address."),
        ("giulia@", "Enter a valid email address."),
        ("giulia rossi@example.com", "Enter a valid email address."),
        ("giulia@example", "Enter a valid email address."),
        ("giulia@localhost", NO_MAIL % "giulia@localhost"),
        ("giulia@[192.168.0.1]", NO_MAIL % "giulia@[192.168.0.1]"),
    ],
)
def test_an_address_that_cannot_receive_mail_is_refused_and_nothing_is_saved(
    world: World, email: str, error: str
) -> None:
    response = world.client("staff").post(reverse("customers:new"), _form_data(email=email))
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [error]
    assert Customer.objects.count() == 0


def test_editing_to_a_bad_address_keeps_the_good_one(world: World, customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(email="giulia@example.com")
    url = reverse("customers:edit", args=[customer.public_id])
    response = world.client("staff").post(url, _form_data(email="giulia@example"))
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "giulia@example.com"


def test_the_reason_an_address_is_refused_is_in_the_staffs_language(world: World) -> None:
    response = world.client("staff").post(
        reverse("customers:new"), _form_data(email="giulia"), HTTP_ACCEPT_LANGUAGE="it"
    )
    with translation.override("it"):
        expected = str(translation.gettext("Enter a valid email address."))
    assert expected != "Enter a valid email address."
    assert response.context["form"].errors["email"] == [expected]


def test_a_good_address_is_kept_in_lower_case(world: World) -> None:
    world.client("staff").post(reverse("customers:new"), _form_data(email="Giulia@Example.COM"))
    assert Customer.objects.get().email == "giulia@example.com"


# --- Phone numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("12", "“12” does not look like a complete phone number."),
        ("ciao", "“ciao” is not a phone number."),
        ("+39 000 000 0000", NOT_IN_USE % "+39 000 000 0000"),
        ("+1 555 0100 123", NOT_IN_USE % "+1 555 0100 123"),
    ],
)
def test_a_number_nobody_can_call_is_refused_on_the_new_customer_form(
    world: World, phone: str, error: str
) -> None:
    response = world.client("staff").post(reverse("customers:new"), _form_data(phone=phone))
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [error]
    assert Customer.objects.count() == 0


def test_a_number_nobody_can_call_is_refused_on_the_profile(
    world: World, customer: Customer
) -> None:
    response = world.client("staff").post(
        reverse("customers:phones_add", args=[customer.public_id]),
        {"phones-number": "123 456 7890", "phones-label": "home", "phones-source": "staff"},
    )
    assert response.status_code == 200
    assert response.context["forms"]["phones"].errors["number"] == [NOT_IN_USE % "123 456 7890"]
    assert not customer.phones.exists()


def test_a_real_number_is_kept_in_international_form(world: World, customer: Customer) -> None:
    world.client("staff").post(
        reverse("customers:phones_add", args=[customer.public_id]),
        {"phones-number": "051 123456", "phones-label": "home", "phones-source": "staff"},
    )
    assert list(customer.phones.values_list("number", flat=True)) == ["+39051123456"]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("new-phone", "+39 000 000 0000", NOT_IN_USE % "+39 000 000 0000"),
        (
            "new-email",
            "anna@localhost",
            "“anna@localhost” cannot receive mail: after the @ comes a domain such as example.com.",
        ),
    ],
)
def test_quick_add_at_the_counter_refuses_what_could_never_be_reached(
    world: World, field: str, value: str, error: str
) -> None:
    response = world.client("staff").post(
        reverse("counter:quick_add"),
        {"location": str(world.bologna.pk), "new-given_name": "Anna", field: value},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # the form again, with the reason
    assert error in response.content.decode()
    assert Customer.objects.count() == 0
