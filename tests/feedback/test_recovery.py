"""Service recovery: an unhappy answer becomes a ticket, a state and an outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from regulars.customers.greeting import build_greeting_card
from regulars.feedback import recovery as service
from regulars.feedback.invitations import Skip, invite_after
from regulars.feedback.models import Invitation, Recovery, RecoveryStatus, Trigger
from regulars.feedback.responses import submit_response
from regulars.service.flow import TicketStatus
from regulars.service.services import log_visit
from tests.conftest import World
from tests.feedback.helpers import emailable_customer, invitation, make_survey

# Monday 10:00 in Bologna (09:00 UTC); the test locations open Mondays 08:00-19:00 only.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def unhappy(world: World) -> Recovery:
    customer = emailable_customer(world.bologna)
    invited = invitation(
        make_survey(), world.bologna, customer, staff=world.users["staff"], now=MONDAY
    )
    response = submit_response(
        invited, {"csat": "2", "nps": "3", "why": "Nobody helped me"}, now=MONDAY
    )
    return Recovery.objects.get(response=response)


def test_an_unhappy_answer_opens_a_complaint_for_the_manager(
    world: World, unhappy: Recovery
) -> None:
    ticket = unhappy.ticket
    assert ticket is not None
    assert (ticket.kind, ticket.priority, ticket.status) == ("complaint", "high", "open")
    assert ticket.assignee == world.users["manager"]
    assert ticket.customer == unhappy.customer
    assert "Nobody helped me" in ticket.events.get(kind="created").text


def test_the_recovery_is_due_within_one_business_day(unhappy: Recovery) -> None:
    # One business day = 11 open hours (Mondays 08:00-19:00): 9 hours on Monday from
    # 10:00, then 2 hours from 08:00 the next Monday, local time (UTC+1).
    assert unhappy.ticket is not None
    assert unhappy.ticket.due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_a_happy_answer_opens_no_recovery(world: World) -> None:
    invited = invitation(make_survey(), world.bologna, emailable_customer(world.bologna))
    submit_response(invited, {"csat": "5", "nps": "10"})
    assert Recovery.objects.count() == 0


def test_the_counter_card_shows_the_dissatisfied_customer(world: World, unhappy: Recovery) -> None:
    card = build_greeting_card(unhappy.customer, location=world.bologna, now=MONDAY)
    part = next(p for p in card.parts if p.key == "dissatisfied")
    texts = [hint.text for hint in part.items]
    assert any("recovery" in text and "2" in text for text in texts)
    assert "“Nobody helped me”" in texts


def test_no_other_survey_goes_to_a_dissatisfied_customer(world: World, unhappy: Recovery) -> None:
    # Past the cooldown, and the complaint ticket resolved: still the recovery blocks.
    later = MONDAY + timedelta(days=120)
    assert unhappy.ticket is not None
    service.resolve_ticket_by_rule(ticket=unhappy.ticket, at=later)
    visit = log_visit(
        actor=world.users["staff"], location=world.bologna, customer=unhappy.customer, at=later
    )
    made = invite_after(
        trigger=Trigger.VISIT,
        location=world.bologna,
        customer=unhappy.customer,
        staff=None,
        visit=visit,
        now=later,
    )
    assert isinstance(made, Skip)
    assert "recovery" in made.reason


def _advance(world: World, item: Recovery, status: str, **kwargs: Any) -> Recovery:
    return service.advance_recovery(
        actor=world.users["manager"],
        recovery=item,
        status=status,
        expected_version=item.version,
        **kwargs,
    )


def test_a_recovery_goes_from_contact_to_remedy_to_a_happy_resurvey(
    world: World, unhappy: Recovery, django_capture_on_commit_callbacks: Any
) -> None:
    _advance(world, unhappy, RecoveryStatus.CONTACTED, note="Called her")
    _advance(world, unhappy, RecoveryStatus.REMEDY, remedy="Free coffee for a week")
    with django_capture_on_commit_callbacks(execute=True):
        _advance(world, unhappy, RecoveryStatus.RESURVEYED)
    again = Invitation.objects.get(pk=unhappy.resurvey_id)
    assert (again.trigger, again.channel) == (Trigger.RECOVERY, "email")
    submit_response(again, {"csat": "5", "nps": "9"})
    unhappy.refresh_from_db()
    assert unhappy.status == RecoveryStatus.RECOVERED
    assert unhappy.closed_at is not None
    assert unhappy.remedy == "Free coffee for a week"
    assert unhappy.ticket is not None
    unhappy.ticket.refresh_from_db()
    assert unhappy.ticket.status == TicketStatus.RESOLVED
    # A recovery's re-survey is not itself unhappy enough to open another one.
    assert Recovery.objects.count() == 1


def test_an_unhappy_resurvey_leaves_the_recovery_to_the_manager(
    world: World, unhappy: Recovery
) -> None:
    _advance(world, unhappy, RecoveryStatus.CONTACTED)
    _advance(world, unhappy, RecoveryStatus.RESURVEYED)
    again = Invitation.objects.get(pk=unhappy.resurvey_id)
    submit_response(again, {"csat": "1", "nps": "2"})
    unhappy.refresh_from_db()
    assert unhappy.status == RecoveryStatus.RESURVEYED
    _advance(world, unhappy, RecoveryStatus.LOST, note="Moved to a competitor")
    unhappy.refresh_from_db()
    assert unhappy.status == RecoveryStatus.LOST
    assert Recovery.objects.count() == 1


def test_a_remedy_must_say_what_was_given(world: World, unhappy: Recovery) -> None:
    with pytest.raises(ValueError, match="make it right"):
        _advance(world, unhappy, RecoveryStatus.REMEDY)
    unhappy.refresh_from_db()
    assert unhappy.status == RecoveryStatus.OPEN


def test_an_illegal_move_names_both_states(world: World, unhappy: Recovery) -> None:
    with pytest.raises(ValueError, match="cannot become"):
        _advance(world, unhappy, RecoveryStatus.RESURVEYED)


def test_a_stale_version_writes_nothing(world: World, unhappy: Recovery) -> None:
    stale_copy = Recovery.objects.get(pk=unhappy.pk)
    _advance(world, unhappy, RecoveryStatus.CONTACTED)
    with pytest.raises(service.StaleRecovery):
        _advance(world, stale_copy, RecoveryStatus.LOST)
    unhappy.refresh_from_db()
    assert unhappy.status == RecoveryStatus.CONTACTED


def test_staff_cannot_move_a_recovery(world: World, unhappy: Recovery) -> None:
    with pytest.raises(PermissionDenied):
        service.advance_recovery(
            actor=world.users["staff"],
            recovery=unhappy,
            status=RecoveryStatus.CONTACTED,
            expected_version=unhappy.version,
        )


def test_the_manager_moves_a_recovery_on_its_page(world: World, unhappy: Recovery) -> None:
    client = world.client("manager")
    page = client.get(f"/feedback/recoveries/{unhappy.public_id}/")
    assert page.status_code == 200
    assert "Nobody helped me" in page.content.decode()
    answer = client.post(
        f"/feedback/recoveries/{unhappy.public_id}/",
        {"status": "contacted", "expected_version": unhappy.version, "note": "Rang her"},
    )
    assert answer.status_code == 302
    unhappy.refresh_from_db()
    assert (unhappy.status, unhappy.note) == ("contacted", "Rang her")
    listed = client.get("/feedback/recoveries/").content.decode()
    assert f'data-recovery="{unhappy.public_id}"' in listed


def test_a_manager_of_another_location_does_not_see_the_recovery(
    world: World, unhappy: Recovery
) -> None:
    from tests.factories import MembershipFactory, UserFactory

    other = UserFactory(username="kim")
    MembershipFactory(user=other, location=world.copenhagen, role="manager")
    from django.test import Client

    client = Client()
    client.force_login(other)
    assert client.get(f"/feedback/recoveries/{unhappy.public_id}/").status_code == 404
    assert unhappy.public_id not in client.get("/feedback/recoveries/").content.decode()


def test_the_complaint_is_worded_for_the_location_s_staff_not_in_the_customer_s_language(
    world: World,
) -> None:
    from django.utils import translation

    danish = emailable_customer(world.bologna, language="da", email="bo@example.com")
    invited = invitation(make_survey(), world.bologna, danish, now=MONDAY)
    with translation.override("da"):  # the survey page runs in the customer's language
        response = submit_response(invited, {"csat": "1", "nps": "2"}, now=MONDAY)
    ticket = Recovery.objects.get(response=response).ticket
    assert ticket is not None
    with translation.override(world.bologna.language):
        expected = translation.gettext("Unhappy survey answer (%(scores)s)") % {
            "scores": ", ".join(
                [
                    translation.gettext("NPS %(score)s") % {"score": 2},
                    translation.gettext("CSAT %(score)s") % {"score": 1},
                ]
            )
        }
    assert ticket.subject == expected
    assert expected.startswith("Unhappy") is False  # the Italian wording, not the English
