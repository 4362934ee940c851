"""Vouchers at the counter: redeemed once, never after their expiry, never for someone
else; the counter card shows the open ones with a Redeem button, and staff can look a
typed code up from the agenda before redeeming it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from regulars.customers.greeting import _BUILDERS, build_greeting_card
from regulars.customers.models import Customer
from regulars.outreach.card import OutreachPart, outreach_part
from regulars.outreach.models import MessageStatus, Voucher, VoucherKind
from regulars.outreach.redeem import CannotRedeem, redeem, voucher_gives
from regulars.outreach.vouchers import shown_code
from tests.conftest import World
from tests.factories import CustomerFactory, VisitFactory
from tests.outreach._staff_helpers import make_message, make_voucher, today_at


@pytest.fixture
def giulia(world: World) -> Customer:
    return CustomerFactory(given_name="Giulia", family_name="Rossi", home_location=world.bologna)


@pytest.fixture
def marco(world: World) -> Customer:
    return CustomerFactory(given_name="Marco", family_name="Bianchi", home_location=world.bologna)


@pytest.fixture
def voucher(world: World, giulia: Customer) -> Voucher:
    return make_voucher(giulia, expires_on=today_at(world.bologna) + timedelta(days=10))


def _fresh(voucher: Voucher) -> Voucher:
    return Voucher.objects.get(pk=voucher.pk)


# --- redeem() --------------------------------------------------------------------------


def test_a_voucher_is_redeemed_once_with_who_where_and_when(world: World, voucher: Voucher) -> None:
    done = redeem(voucher.code, user=world.users["staff"], location=world.bologna)
    assert done.redeemed_at is not None
    assert done.redeemed_by == world.users["staff"]
    assert done.redeemed_location == world.bologna


def test_a_second_redemption_is_refused_and_changes_nothing(world: World, voucher: Voucher) -> None:
    first = redeem(voucher.code, user=world.users["staff"], location=world.bologna)
    with pytest.raises(CannotRedeem) as refused:
        redeem(voucher.code, user=world.users["manager"], location=world.bologna)
    assert "already redeemed" in refused.value.message
    assert shown_code(voucher.code) in refused.value.message
    again = _fresh(voucher)
    assert again.redeemed_by == world.users["staff"]
    assert again.redeemed_at == first.redeemed_at


def test_two_clerks_holding_the_same_open_voucher_cannot_both_redeem_it(
    world: World, voucher: Voucher
) -> None:
    # Both counters loaded the voucher while it was open; the conditional UPDATE lets
    # only the first through, although the second's copy still says "not redeemed".
    first_copy, second_copy = _fresh(voucher), _fresh(voucher)
    redeem(first_copy, user=world.users["staff"], location=world.bologna)
    assert second_copy.redeemed_at is None
    with pytest.raises(CannotRedeem) as refused:
        redeem(second_copy, user=world.users["manager"], location=world.bologna)
    assert "already redeemed" in refused.value.message
    assert _fresh(voucher).redeemed_by == world.users["staff"]


def test_an_expired_voucher_is_refused_with_its_expiry_date(world: World, giulia: Customer) -> None:
    expired = make_voucher(giulia, expires_on=today_at(world.bologna) - timedelta(days=1))
    with pytest.raises(CannotRedeem) as refused:
        redeem(expired.code, user=world.users["staff"], location=world.bologna)
    assert "expired on" in refused.value.message
    assert str(expired.expires_on.day) in refused.value.message
    assert str(expired.expires_on.year) in refused.value.message
    assert _fresh(expired).redeemed_at is None


def test_a_voucher_is_still_good_on_its_last_day(world: World, giulia: Customer) -> None:
    last_day = make_voucher(giulia, expires_on=today_at(world.bologna))
    assert redeem(last_day.code, user=world.users["staff"], location=world.bologna).redeemed_at


def test_another_customers_voucher_is_refused_on_a_customers_card(
    world: World, voucher: Voucher, marco: Customer
) -> None:
    with pytest.raises(CannotRedeem) as refused:
        redeem(voucher.code, user=world.users["staff"], location=world.bologna, customer=marco)
    assert "another customer" in refused.value.message
    assert _fresh(voucher).redeemed_at is None


def test_a_typed_code_is_folded_before_looking_it_up(world: World, voucher: Voucher) -> None:
    typed = f"  {voucher.code[:4].lower()} - {voucher.code[4:].lower()} "
    assert redeem(typed, user=world.users["staff"], location=world.bologna).pk == voucher.pk


def test_an_unknown_code_is_refused(world: World, voucher: Voucher) -> None:
    with pytest.raises(CannotRedeem) as refused:
        redeem("ZZZZ-ZZZZ", user=world.users["staff"], location=world.bologna)
    assert "No voucher has this code" in refused.value.message


def test_only_staff_of_the_location_may_redeem_there(world: World, voucher: Voucher) -> None:
    with pytest.raises(PermissionDenied):
        redeem(voucher.code, user=world.users["staff"], location=world.copenhagen)
    with pytest.raises(PermissionDenied):
        redeem(voucher.code, user=world.users["outsider"], location=world.bologna)
    assert _fresh(voucher).redeemed_at is None


def test_the_redemption_is_linked_to_a_visit_of_the_same_customer_only(
    world: World, voucher: Voucher, marco: Customer
) -> None:
    other = VisitFactory(customer=marco, location=world.bologna)
    with pytest.raises(CannotRedeem):
        redeem(voucher.code, user=world.users["staff"], location=world.bologna, visit=other)
    own = VisitFactory(customer=voucher.customer, location=world.bologna)
    done = redeem(voucher.code, user=world.users["staff"], location=world.bologna, visit=own)
    assert done.redeemed_visit == own


@pytest.mark.parametrize(
    ("kind", "value", "currency", "text", "expected"),
    [
        (VoucherKind.PERCENT, Decimal("10.00"), "", "", "10% off"),
        (VoucherKind.PERCENT, Decimal("12.50"), "", "", "12.5% off"),
        (VoucherKind.AMOUNT, Decimal("5.00"), "EUR", "", "€5.00 off"),
        (VoucherKind.ITEM, None, "", "a free cappuccino", "a free cappuccino"),
        (VoucherKind.ITEM, None, "", "", "A free item"),
    ],
)
def test_staff_read_what_a_voucher_gives(
    kind: str, value: Decimal | None, currency: str, text: str, expected: str
) -> None:
    voucher = Voucher(kind=kind, value=value, currency=currency, text=text)
    assert voucher_gives(voucher) == expected


# --- The counter card ------------------------------------------------------------------


def test_the_outreach_part_is_registered_on_the_counter_card() -> None:
    assert _BUILDERS["outreach"] is outreach_part


def test_the_card_shows_open_vouchers_and_not_redeemed_or_expired_ones(
    world: World, giulia: Customer, voucher: Voucher
) -> None:
    today = today_at(world.bologna)
    used = make_voucher(giulia, expires_on=today + timedelta(days=5))
    used.redeemed_at = timezone.now()
    used.save(update_fields=["redeemed_at"])
    expired = make_voucher(giulia, expires_on=today - timedelta(days=1))
    card = build_greeting_card(giulia, location=world.bologna)
    part = next(p for p in card.parts if p.key == "outreach")
    assert isinstance(part, OutreachPart)
    assert [v.code for v in part.vouchers] == [voucher.code]
    texts = " ".join(item.text for item in part.items)
    assert shown_code(voucher.code) in texts
    assert shown_code(used.code) not in texts
    assert shown_code(expired.code) not in texts


def test_the_card_says_nothing_without_vouchers_or_calls(world: World, giulia: Customer) -> None:
    make_voucher(giulia, expires_on=today_at(world.bologna) - timedelta(days=3))
    assert outreach_part(giulia, world.bologna, timezone.now()) is None


def test_the_card_shows_a_call_planned_for_the_customer(
    world: World, giulia: Customer, voucher: Voucher
) -> None:
    make_message(giulia, world.bologna)
    make_message(giulia, world.bologna, status=MessageStatus.SENT)
    part = outreach_part(giulia, world.bologna, timezone.now())
    assert isinstance(part, OutreachPart)
    assert len(part.calls) == 1
    assert "Birthday greetings" in part.calls[0].why
    assert [v.code for v in part.vouchers] == [voucher.code]  # not doubled by the join
    assert [item.kind for item in part.items] == ["voucher", "call"]


def test_the_card_part_costs_one_query(
    world: World, giulia: Customer, voucher: Voucher, django_assert_num_queries: Any
) -> None:
    make_message(giulia, world.bologna)
    with django_assert_num_queries(1):
        part = outreach_part(giulia, world.bologna, timezone.now())
    assert part is not None


def test_the_card_partial_offers_a_redeem_button_for_each_open_voucher(
    world: World, giulia: Customer, voucher: Voucher
) -> None:
    part = outreach_part(giulia, world.bologna, timezone.now())
    assert isinstance(part, OutreachPart)
    html = render_to_string(
        part.template, {"part": part, "customer": giulia, "location": world.bologna}
    )
    forms = re.findall(r"<form.*?</form>", html, re.DOTALL)
    assert len(forms) == 1
    assert f'action="{reverse("outreach:redeem")}"' in forms[0]
    assert f'name="code" value="{voucher.code}"' in forms[0]
    assert f'name="customer" value="{giulia.public_id}"' in forms[0]
    assert "valid until" in html


def test_the_counter_page_shows_the_customers_open_voucher(
    world: World, giulia: Customer, voucher: Voucher
) -> None:
    response = world.client("staff").get(
        reverse("counter:page"), {"customer": giulia.public_id, "location": world.bologna.pk}
    )
    assert response.status_code == 200
    assert shown_code(voucher.code) in response.content.decode()


# --- The pages -------------------------------------------------------------------------


def test_staff_look_a_code_up_and_see_whose_it_is_before_redeeming(
    world: World, voucher: Voucher
) -> None:
    response = world.client("staff").get(
        reverse("outreach:redeem"), {"code": voucher.code.lower(), "location": world.bologna.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Giulia Rossi" in html
    assert "10% off" in html
    assert 'data-testid="redeem-confirm"' in html
    assert _fresh(voucher).redeemed_at is None  # looking changes nothing


def test_looking_up_an_unknown_code_says_so(world: World) -> None:
    response = world.client("staff").get(
        reverse("outreach:redeem"), {"code": "ABCD-EFGH", "location": world.bologna.pk}
    )
    assert response.status_code == 404
    assert "No voucher has this code" in response.content.decode()


def test_redeeming_from_the_agenda_box_redeems_and_returns_to_the_agenda(
    world: World, voucher: Voucher
) -> None:
    client = world.client("staff")
    url = reverse("outreach:redeem")
    response = client.post(url, {"code": voucher.code, "location": world.bologna.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("outreach:agenda"))
    assert _fresh(voucher).redeemed_by == world.users["staff"]
    again = client.post(url, {"code": voucher.code, "location": world.bologna.pk})
    assert again.status_code == 409
    assert "already redeemed" in again.content.decode()


def test_redeeming_from_the_card_links_todays_visit_and_returns_to_the_card(
    world: World, giulia: Customer, voucher: Voucher
) -> None:
    visit = VisitFactory(customer=giulia, location=world.bologna)
    response = world.client("staff").post(
        reverse("outreach:redeem"),
        {"code": voucher.code, "customer": giulia.public_id, "location": world.bologna.pk},
        follow=True,
    )
    assert response.redirect_chain[0][0].startswith(reverse("counter:page"))
    assert f"Voucher {shown_code(voucher.code)} redeemed" in response.content.decode()
    assert _fresh(voucher).redeemed_visit == visit


def test_another_customers_voucher_from_a_card_is_refused_and_unchanged(
    world: World, voucher: Voucher, marco: Customer
) -> None:
    response = world.client("staff").post(
        reverse("outreach:redeem"),
        {"code": voucher.code, "customer": marco.public_id, "location": world.bologna.pk},
        follow=True,
    )
    assert "belongs to another customer" in response.content.decode()
    assert _fresh(voucher).redeemed_at is None


def test_staff_cannot_redeem_at_a_location_they_do_not_serve(
    world: World, voucher: Voucher
) -> None:
    response = world.client("staff").post(
        reverse("outreach:redeem"), {"code": voucher.code, "location": world.copenhagen.pk}
    )
    assert response.status_code == 403
    assert _fresh(voucher).redeemed_at is None


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
def test_outsiders_and_strangers_cannot_redeem(
    world: World, voucher: Voucher, persona: str
) -> None:
    response = world.client(persona).post(
        reverse("outreach:redeem"), {"code": voucher.code, "location": world.bologna.pk}
    )
    assert response.status_code == (403 if persona == "outsider" else 302)
    assert _fresh(voucher).redeemed_at is None
