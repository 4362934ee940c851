"""The counter through the HTTP layer: the page, search as staff type (htmx and without
JavaScript), the greeting card, one-click visits, quick-add, the counter's location and
who may use it at all."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from regulars.core.models import AuditAction, AuditEntry, Source
from regulars.customers import services
from regulars.customers.models import (
    AddressForm,
    Customer,
    Phone,
    Preference,
    PreferenceKind,
)
from regulars.service.counter import SESSION_LOCATION
from regulars.service.models import Visit
from tests.conftest import World

HTMX = {"HTTP_HX_REQUEST": "true"}
# Forms come back in an htmx fragment and, without JavaScript, in the whole page:
# tests of what a form shows run both ways.
WAYS: dict[str, dict[str, str]] = {"htmx": HTMX, "plain": {}}
# What staff say to Giulia (informal, English), whatever the time of day.
GIULIA_SALUTATIONS = ("Morning, Giulia!", "Hi Giulia!", "Evening, Giulia!")


def add(world: World, given: str, family: str = "", **fields: Any) -> Customer:
    fields.setdefault("region", "IT")
    return services.create_customer(
        actor=world.users["staff"], given_name=given, family_name=family, **fields
    )


@pytest.fixture
def giulia(world: World) -> Customer:
    customer = add(
        world,
        "Giulia",
        "Rossi",
        language="en",
        address_form=AddressForm.INFORMAL,
        home_location=world.bologna,
        phones=[("333 123 4567", "mobile")],
    )
    for kind, text in [(PreferenceKind.ALLERGY, "peanuts"), (PreferenceKind.DISLIKE, "olives")]:
        services.add_fact(
            Preference, actor=world.users["staff"], customer=customer, kind=kind, text=text
        )
    return customer


@pytest.fixture
def marco(world: World) -> Customer:
    return add(world, "Marco", "Bianchi", home_location=world.bologna)


def text_of(response: Any) -> str:
    return unescape(response.content.decode())


def hits_in(response: Any) -> list[str]:
    """The public ids of the results listed, in order."""
    return re.findall(r'<li role="option"[^>]*data-customer="([^"]+)"', response.content.decode())


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def counter(name: str, *args: str) -> str:
    return reverse(f"counter:{name}", args=args)


# --- the page and search ----------------------------------------------------------------


def test_the_page_renders_with_the_search_input_autofocused(world: World) -> None:
    response = world.client("staff").get(counter("page"))

    assert response.status_code == 200
    inputs = re.findall(r"<input[^>]*>", response.content.decode())
    search_box = [tag for tag in inputs if 'name="q"' in tag]
    assert len(search_box) == 1
    assert re.search(r"\sautofocus[\s>]", search_box[0])
    assert hits_in(response) == []


def test_a_search_with_htmx_returns_the_results_fragment(
    world: World, giulia: Customer, marco: Customer
) -> None:
    response = world.client("staff").get(counter("search"), {"q": "giulai"}, **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert hits_in(response) == [giulia.public_id]
    assert "Giulia Rossi" in text_of(response)


def test_a_search_by_phone_digits_finds_the_customer(
    world: World, giulia: Customer, marco: Customer
) -> None:
    response = world.client("staff").get(counter("search"), {"q": "333-12"}, **HTMX)

    assert hits_in(response) == [giulia.public_id]


def test_a_search_that_finds_nobody_says_so_and_offers_quick_add(
    world: World, giulia: Customer
) -> None:
    response = world.client("staff").get(counter("search"), {"q": "Zebedeo"}, **HTMX)

    assert hits_in(response) == []
    assert "Nobody matches “Zebedeo”." in text_of(response)
    assert f"{counter('quick_add')}?location={world.bologna.pk}&q=Zebedeo" in text_of(response)


def test_an_empty_search_lists_nothing(world: World, giulia: Customer) -> None:
    response = world.client("staff").get(counter("search"), {"q": "   "}, **HTMX)

    assert response.status_code == 200
    assert hits_in(response) == []
    assert "Nobody matches" not in text_of(response)


def test_a_search_without_htmx_redirects_to_the_page_with_the_query(
    world: World, giulia: Customer
) -> None:
    response = world.client("staff").get(counter("search"), {"q": "rossi g"})

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == counter("page")
    assert query_of(response["Location"]) == {
        "q": ["rossi g"],
        "location": [str(world.bologna.pk)],
    }


def test_the_page_with_a_query_lists_the_results_without_javascript(
    world: World, giulia: Customer, marco: Customer
) -> None:
    response = world.client("staff").get(counter("page"), {"q": "rossi"})

    assert response.status_code == 200
    assert hits_in(response) == [giulia.public_id]
    assert 'value="rossi"' in response.content.decode()
    # Each hit links to the page with its card, so a plain link works too.
    assert f"{counter('page')}?customer={giulia.public_id}&location={world.bologna.pk}" in (
        text_of(response)
    )


def test_the_page_with_a_customer_shows_their_greeting_card(world: World, giulia: Customer) -> None:
    response = world.client("staff").get(counter("page"), {"customer": giulia.public_id})

    assert response.status_code == 200
    page = text_of(response)
    assert f'data-testid="counter-card" data-customer="{giulia.public_id}"' in page
    assert sum(s in page for s in GIULIA_SALUTATIONS) == 1
    assert "peanuts" in page


def test_the_page_with_an_unknown_customer_is_not_found(world: World) -> None:
    response = world.client("staff").get(counter("page"), {"customer": "nobody-here"})

    assert response.status_code == 404


# --- the greeting card --------------------------------------------------------------------


def test_the_card_shows_the_salutation_allergy_and_dislike(world: World, giulia: Customer) -> None:
    response = world.client("staff").get(counter("card", giulia.public_id), **HTMX)

    assert response.status_code == 200
    card = text_of(response)
    assert "<html" not in card
    salutations = re.findall(r'data-testid="greeting-salutation">([^<]*)<', card)
    assert len(salutations) == 1
    assert salutations[0] in GIULIA_SALUTATIONS
    allergies = re.search(r'data-testid="greeting-allergies">(.*?)</ul>', card, re.DOTALL)
    assert allergies is not None
    assert "peanuts" in allergies.group(1)
    dislikes = re.search(r'data-testid="greeting-dislikes">(.*?)</ul>', card, re.DOTALL)
    assert dislikes is not None
    assert "olives" in dislikes.group(1)
    assert f'action="{counter("log_visit", giulia.public_id)}"' in card


def test_opening_the_card_is_audited_as_a_view(world: World, giulia: Customer) -> None:
    AuditEntry.objects.all().delete()

    world.client("staff").get(counter("card", giulia.public_id), **HTMX)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.subject, entry.customer_ref, entry.actor) == (
        AuditAction.VIEW,
        "customer",
        giulia.public_id,
        world.users["staff"],
    )


def test_the_card_without_htmx_redirects_to_the_page_with_the_customer(
    world: World, giulia: Customer
) -> None:
    response = world.client("staff").get(counter("card", giulia.public_id))

    assert response.status_code == 302
    assert query_of(response["Location"]) == {
        "customer": [giulia.public_id],
        "location": [str(world.bologna.pk)],
    }


def test_the_card_of_an_unknown_customer_is_not_found(world: World) -> None:
    response = world.client("staff").get(counter("card", "nobody-here"), **HTMX)

    assert response.status_code == 404


# --- logging a visit --------------------------------------------------------------------


def visit_data(location_id: int, **values: str) -> dict[str, str]:
    return {"location": str(location_id), "visit-location": str(location_id)} | {
        f"visit-{name}": value for name, value in values.items()
    }


def test_one_click_logs_exactly_one_visit_with_the_amount_and_note(
    world: World, giulia: Customer
) -> None:
    response = world.client("staff").post(
        counter("log_visit", giulia.public_id),
        visit_data(world.bologna.pk, amount="12,50", note="window seat", had="cappuccino"),
        **HTMX,
    )

    assert response.status_code == 200
    visit = Visit.objects.get()
    assert visit.customer == giulia
    assert visit.location == world.bologna
    assert visit.staff == world.users["staff"]
    assert visit.amount == Decimal("12.50")
    assert visit.currency == "EUR"
    assert (visit.note, visit.had) == ("window seat", "cappuccino")
    assert "Visit of Giulia Rossi logged." in text_of(response)
    assert f'data-customer="{giulia.public_id}"' in text_of(response)
    assert Customer.objects.get(pk=giulia.pk).visit_count == 1


def test_a_visit_without_an_amount_is_logged_without_one(world: World, giulia: Customer) -> None:
    world.client("staff").post(
        counter("log_visit", giulia.public_id), visit_data(world.bologna.pk), **HTMX
    )

    visit = Visit.objects.get()
    assert (visit.amount, visit.currency, visit.location) == (None, "", world.bologna)


def test_a_visit_without_htmx_redirects_to_the_card(world: World, giulia: Customer) -> None:
    response = world.client("staff").post(
        counter("log_visit", giulia.public_id), visit_data(world.bologna.pk, amount="3")
    )

    assert response.status_code == 302
    assert query_of(response["Location"])["customer"] == [giulia.public_id]
    assert Visit.objects.get().amount == Decimal("3.00")


def test_a_bad_amount_shows_the_error_and_logs_nothing(world: World, giulia: Customer) -> None:
    response = world.client("staff").post(
        counter("log_visit", giulia.public_id),
        visit_data(world.bologna.pk, amount="twelve", note="window seat"),
        **HTMX,
    )

    assert response.status_code == 200
    assert "“twelve” is not an amount. Write it like 12,50 or 12.50." in text_of(response)
    assert "logged" not in text_of(response)
    assert not Visit.objects.exists()
    assert Customer.objects.get(pk=giulia.pk).visit_count == 0


def test_a_negative_amount_is_refused(world: World, giulia: Customer) -> None:
    response = world.client("staff").post(
        counter("log_visit", giulia.public_id), visit_data(world.bologna.pk, amount="-5"), **HTMX
    )

    assert "An amount cannot be negative." in text_of(response)
    assert not Visit.objects.exists()


def test_getting_the_visit_url_logs_nothing(world: World, giulia: Customer) -> None:
    response = world.client("staff").get(
        counter("log_visit", giulia.public_id), visit_data(world.bologna.pk, amount="5")
    )

    assert response.status_code == 302
    assert not Visit.objects.exists()


def test_a_visit_is_logged_at_the_counters_location_not_the_customers(
    world: World, giulia: Customer
) -> None:
    owner = world.client("owner")
    response = owner.post(
        counter("log_visit", giulia.public_id),
        visit_data(world.copenhagen.pk, amount="40"),
        **HTMX,
    )

    assert response.status_code == 200
    visit = Visit.objects.get()
    assert (visit.location, visit.amount, visit.currency) == (
        world.copenhagen,
        Decimal("40.00"),
        "DKK",
    )


def test_a_visit_for_another_location_than_the_counters_is_refused(
    world: World, giulia: Customer
) -> None:
    # The counter is at Bologna; the form may not be pointed at Copenhagen.
    data = visit_data(world.bologna.pk, amount="40") | {"visit-location": str(world.copenhagen.pk)}
    response = world.client("owner").post(counter("log_visit", giulia.public_id), data, **HTMX)

    assert response.status_code == 200
    assert not Visit.objects.exists()


# --- quick-add ----------------------------------------------------------------------------


@pytest.fixture(params=["htmx", "plain"])
def way(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_quick_add_with_only_a_phone_creates_a_customer_here(world: World) -> None:
    response = world.client("staff").post(
        counter("quick_add"),
        {"location": str(world.bologna.pk), "new-phone": "333 765 4321"},
        **HTMX,
    )

    assert response.status_code == 200
    customer = Customer.objects.get()
    assert list(customer.phones.values_list("number", "source")) == [
        ("+393337654321", Source.OFFERED)
    ]
    assert customer.home_location == world.bologna
    assert (customer.given_name, customer.family_name, customer.email) == ("", "", "")
    assert customer.provenance["home_location"]["source"] == Source.OFFERED
    assert {stamp["source"] for stamp in customer.provenance.values()} == {Source.OFFERED}
    # The card of the new customer comes back, ready to log the visit.
    assert f'data-customer="{customer.public_id}"' in text_of(response)
    # And the counter finds them by the digits at once.
    search = world.client("staff").get(counter("search"), {"q": "765 43"}, **HTMX)
    assert hits_in(search) == [customer.public_id]


def test_quick_add_with_a_name_and_email(world: World) -> None:
    world.client("staff").post(
        counter("quick_add"),
        {
            "location": str(world.bologna.pk),
            "new-given_name": "Anna",
            "new-email": "Anna@Example.com",
        },
        **HTMX,
    )

    customer = Customer.objects.get()
    assert (customer.given_name, customer.email) == ("Anna", "anna@example.com")
    assert customer.provenance["given_name"]["source"] == Source.OFFERED


def test_quick_add_with_nothing_asks_for_at_least_something(world: World, way: str) -> None:
    response = world.client("staff").post(
        counter("quick_add"), {"location": str(world.bologna.pk)}, **WAYS[way]
    )

    assert response.status_code == 200
    assert "Give at least a name, a phone number or an email." in text_of(response)
    assert not Customer.objects.exists()


def test_quick_add_refuses_a_phone_someone_has_and_offers_to_open_them(
    world: World, giulia: Customer, way: str
) -> None:
    response = world.client("staff").post(
        counter("quick_add"),
        {"location": str(world.bologna.pk), "new-given_name": "G", "new-phone": "+39 333 1234567"},
        **WAYS[way],
    )

    page = text_of(response)
    assert "This phone number already belongs to Giulia Rossi." in page
    assert f'hx-get="{counter("card", giulia.public_id)}?location={world.bologna.pk}"' in page
    assert "Open Giulia Rossi" in page
    assert list(Customer.objects.values_list("pk", flat=True)) == [giulia.pk]
    assert Phone.objects.count() == 1


def test_quick_add_without_htmx_redirects_to_the_new_card(world: World) -> None:
    response = world.client("staff").post(
        counter("quick_add"), {"location": str(world.bologna.pk), "new-given_name": "Ada"}
    )

    customer = Customer.objects.get()
    assert response.status_code == 302
    assert query_of(response["Location"])["customer"] == [customer.public_id]


@pytest.mark.parametrize(
    ("q", "field", "value"),
    [
        ("anna bianchi", "new-given_name", "Anna"),
        ("anna bianchi", "new-family_name", "Bianchi"),
        ("333 123 45", "new-phone", "333 123 45"),
        ("anna@example.com", "new-email", "anna@example.com"),
    ],
)
def test_the_quick_add_form_is_prefilled_from_the_query(
    world: World, q: str, field: str, value: str, way: str
) -> None:
    response = world.client("staff").get(
        counter("quick_add"), {"q": q, "location": str(world.bologna.pk)}, **WAYS[way]
    )

    assert response.status_code == 200
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', response.content.decode())
    assert tag is not None
    assert f'value="{value}"' in unescape(tag.group(0))
    assert not Customer.objects.exists()


# --- the counter's location -------------------------------------------------------------


def test_staff_may_not_choose_a_location_they_do_not_serve(world: World) -> None:
    client = world.client("staff")
    other = {"location": str(world.copenhagen.pk)}

    assert client.get(counter("page"), other).status_code == 403
    assert client.get(counter("search"), other | {"q": "rossi"}, **HTMX).status_code == 403
    assert client.get(counter("quick_add"), other).status_code == 403


def test_a_location_that_does_not_exist_is_refused(world: World) -> None:
    response = world.client("owner").get(counter("page"), {"location": "999999"})

    assert response.status_code == 403


def test_the_chosen_location_is_remembered(world: World, giulia: Customer) -> None:
    client = world.client("owner")
    chosen = client.get(counter("page"), {"location": str(world.copenhagen.pk)})
    assert chosen.status_code == 200
    assert client.session[SESSION_LOCATION] == str(world.copenhagen.pk)

    page = client.get(counter("page")).content.decode()
    assert f'<option value="{world.copenhagen.pk}" selected>' in page

    # Later requests without a location work at Copenhagen.
    client.post(counter("quick_add"), {"new-given_name": "Karen"}, **HTMX)
    assert Customer.objects.get(given_name="Karen").home_location == world.copenhagen
    search = client.get(counter("search"), {"q": "giulia"}, **HTMX)
    assert f"location={world.copenhagen.pk}" in text_of(search)


def test_without_a_choice_the_counter_is_at_the_users_location(world: World) -> None:
    response = world.client("staff").get(counter("page"))

    assert response.context["location"] == world.bologna


# --- who may use the counter ------------------------------------------------------------


def every_counter_request(client: Client, public_id: str) -> list[Any]:
    return [
        client.get(counter("page")),
        client.get(counter("page"), {"q": "rossi"}),
        client.get(counter("search"), {"q": "rossi"}, **HTMX),
        client.get(counter("card", public_id), **HTMX),
        client.post(counter("log_visit", public_id), visit_data(1, amount="5"), **HTMX),
        client.get(counter("quick_add")),
        client.post(counter("quick_add"), {"new-given_name": "Intruder"}, **HTMX),
    ]


def test_an_outsider_is_refused_everywhere_at_the_counter(world: World, giulia: Customer) -> None:
    responses = every_counter_request(world.client("outsider"), giulia.public_id)

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert not Visit.objects.exists()
    assert list(Customer.objects.values_list("pk", flat=True)) == [giulia.pk]


def test_anonymous_users_are_sent_to_sign_in(world: World, giulia: Customer) -> None:
    responses = every_counter_request(world.client("anonymous"), giulia.public_id)

    login = reverse("accounts:login")
    assert [r.status_code for r in responses] == [302] * len(responses)
    assert all(urlsplit(r["Location"]).path == login for r in responses)
    assert not Visit.objects.exists()
    assert list(Customer.objects.values_list("pk", flat=True)) == [giulia.pk]


@pytest.mark.parametrize("persona", ["owner", "manager", "staff"])
def test_every_role_at_the_location_may_use_the_counter(
    world: World, giulia: Customer, persona: str
) -> None:
    client = world.client(persona)
    assert client.get(counter("page")).status_code == 200
    assert client.get(counter("search"), {"q": "rossi"}, **HTMX).status_code == 200
    assert client.get(counter("card", giulia.public_id), **HTMX).status_code == 200


# --- query count ----------------------------------------------------------------------------


def count_queries(client: Client, url: str, data: dict[str, str], **extra: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data, **extra)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("view", ["page", "search"])
def test_the_results_do_a_bounded_number_of_queries_whatever_the_hits(
    world: World, django_assert_max_num_queries: Any, view: str
) -> None:
    client = world.client("staff")
    add(world, "Sofia", "Greco", home_location=world.bologna)
    extra = HTMX if view == "search" else {}
    client.get(counter(view), {"q": "sofia"}, **extra)  # the session is warm from here on
    one = count_queries(client, counter(view), {"q": "sofia"}, **extra)

    for n in range(12):
        add(world, "Sofia", f"Greco{'abcdefghijkl'[n]}", home_location=world.bologna)
    with django_assert_max_num_queries(one):
        response = client.get(counter(view), {"q": "sofia"}, **extra)

    assert len(hits_in(response)) == 8  # the counter shows at most eight
    # The page also lists who is waiting and the follow-ups due there (one query each).
    with django_assert_max_num_queries(12 if view == "page" else 10):
        client.get(counter(view), {"q": "sofia"}, **extra)
