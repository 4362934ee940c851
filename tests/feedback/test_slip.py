"""The survey slip staff print with the receipt, and the counter's link to it after a
visit is logged: only staff of the invitation's location see it, only while it can
still be answered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from regulars.feedback import links
from regulars.feedback.invitations import survey_path
from regulars.feedback.models import (
    ChannelRule,
    Invitation,
    InvitationStatus,
    InviteChannel,
    Survey,
)
from regulars.feedback.slip_views import qr_svg
from regulars.feedback.tokens import shown_short_code
from regulars.service import after_visit
from tests.conftest import World
from tests.factories import CustomerFactory, MembershipFactory, UserFactory, VisitFactory
from tests.feedback.helpers import invitation, make_survey


@pytest.fixture
def survey(world: World) -> Survey:
    return make_survey(instruments=("csat",), channel=ChannelRule.RECEIPT)


@pytest.fixture
def receipt(world: World, survey: Survey) -> Invitation:
    customer = CustomerFactory(language="ru", home_location=world.bologna)
    visit = VisitFactory(customer=customer, location=world.bologna)
    return invitation(survey, world.bologna, customer, key=f"visit:{visit.pk}")


def slip_url(invited: Invitation) -> str:
    return reverse("feedback:slip", kwargs={"public_id": invited.public_id})


def test_staff_of_the_location_get_a_printable_slip_with_qr_code_address_and_code(
    world: World, receipt: Invitation, settings: Any
) -> None:
    response = world.client("staff").get(slip_url(receipt))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page
    assert shown_short_code(receipt.short_code) in page
    assert f"{settings.PUBLIC_URL}/s/" in page
    assert "Bologna" in page
    assert '<main class="slip" lang="ru"' in page
    assert "@media print" in page
    assert "80mm" in page


def test_the_qr_code_holds_the_whole_survey_link(
    world: World, receipt: Invitation, settings: Any
) -> None:
    page = world.client("staff").get(slip_url(receipt)).content.decode()
    assert qr_svg(settings.PUBLIC_URL + survey_path(receipt)) in page


def test_the_expiry_date_is_printed_in_the_customers_language(
    world: World, receipt: Invitation
) -> None:
    Invitation.objects.filter(pk=receipt.pk).update(
        expires_at=datetime(2099, 12, 20, 12, 0, tzinfo=UTC)
    )
    page = world.client("staff").get(slip_url(receipt)).content.decode()
    assert "декабря" in page  # the genitive month, as Russian dates read


def test_an_outsider_is_refused(world: World, receipt: Invitation) -> None:
    assert world.client("outsider").get(slip_url(receipt)).status_code == 403


def test_staff_of_another_location_do_not_learn_the_slip_exists(
    world: World, receipt: Invitation
) -> None:
    elsewhere = UserFactory(username="copenhagen-staff")
    MembershipFactory(user=elsewhere, location=world.copenhagen, role="staff")
    client = Client()
    client.force_login(elsewhere)
    assert client.get(slip_url(receipt)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(receipt: Invitation) -> None:
    response = Client().get(slip_url(receipt))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "spoil",
    [
        {"status": InvitationStatus.ANSWERED},
        {"expires_at": timezone.now() - timedelta(minutes=1)},
        {"channel": InviteChannel.EMAIL},
    ],
    ids=["answered", "expired", "sent-by-email"],
)
def test_there_is_no_slip_for_an_answered_expired_or_emailed_invitation(
    world: World, receipt: Invitation, spoil: dict[str, Any]
) -> None:
    Invitation.objects.filter(pk=receipt.pk).update(**spoil)
    assert world.client("staff").get(slip_url(receipt)).status_code == 404


def test_an_unknown_invitation_has_no_slip(world: World) -> None:
    url = reverse("feedback:slip", kwargs={"public_id": "nothing-here"})
    assert world.client("owner").get(url).status_code == 404


# --- the counter's link after logging a visit ------------------------------------------


@pytest.fixture
def slip_link_connected() -> Iterator[None]:
    """Feedback's builder in the service desk's registry, as ``FeedbackConfig.ready``
    leaves it (connecting again replaces it: registering is idempotent)."""
    links.connect()
    yield
    assert "survey_slip" in after_visit._BUILDERS


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db(transaction=True)  # the invitation is made when the visit commits
@pytest.mark.usefixtures("slip_link_connected")
@pytest.mark.parametrize("way", ["htmx", "plain"])
def test_after_logging_a_visit_staff_see_a_link_to_print_the_survey_slip(
    world: World, survey: Survey, way: str
) -> None:
    customer = CustomerFactory(home_location=world.bologna, email="")
    client = world.client("staff")
    data = {"location": str(world.bologna.pk), "visit-location": str(world.bologna.pk)}
    url = reverse("counter:log_visit", args=[customer.public_id])
    if way == "htmx":
        page = client.post(url, data, **HTMX).content.decode()
    else:
        response = client.post(url, data)
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    invited = Invitation.objects.get(customer=customer)
    assert invited.channel == InviteChannel.RECEIPT
    assert "Print the survey slip" in page
    assert f'href="{slip_url(invited)}"' in page


@pytest.mark.usefixtures("slip_link_connected")
def test_no_slip_link_after_a_visit_that_got_no_receipt_invitation(world: World) -> None:
    customer = CustomerFactory(home_location=world.bologna)
    response = world.client("staff").post(
        reverse("counter:log_visit", args=[customer.public_id]),
        {"location": str(world.bologna.pk), "visit-location": str(world.bologna.pk)},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Visit of" in response.content.decode()
    assert "Print the survey slip" not in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the invitation is made when the visit commits
@pytest.mark.parametrize("page", ["profile", "walk_in"])
def test_the_visit_forms_offer_the_slip_too(world: World, survey: Survey, page: str) -> None:
    customer = CustomerFactory(home_location=world.bologna, email="")
    client = world.client("staff")
    data = {"location": str(world.bologna.pk), "channel": "in_person", "had": "", "note": ""}
    url = (
        reverse("service:log", args=[customer.public_id])
        if page == "profile"
        else reverse("service:walk_in")
    )
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    invited = Invitation.objects.get(visit__location=world.bologna)
    assert invited.customer == (customer if page == "profile" else None)
    assert f'href="{slip_url(invited)}"' in response.content.decode()
