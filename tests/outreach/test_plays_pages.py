"""The manager's outreach pages: the plays by kind, the form of a play and its arms, a
play's page (who would receive it today, what they would read, its latest messages),
what the policy held back and the contact budget; who may see and do what on each, and
that a manager of one location never sees another location's customers."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regulars.outreach import plays, policy, reasons
from regulars.outreach.models import (
    MessageStatus,
    Play,
    PlayStatus,
)
from regulars.outreach.plays import ArmSpec
from tests.conftest import PERSONAS, World
from tests.factories import CustomerFactory
from tests.feedback.helpers import emailable_customer
from tests.outreach._plays_helpers import (
    ENGLISH,
    make_play,
    message,
    play_data,
    spec,
    text_of,
)

# --- the pages: who may see and do what -----------------------------------------------------

PAGE_STATUS = {"owner": 200, "manager": 200, "staff": 403, "outsider": 403}


def _answers_as_the_policy_says(response: Any, persona: str) -> None:
    if persona == "anonymous":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == PAGE_STATUS[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "name", ["outreach:plays", "outreach:play_new", "outreach:held", "outreach:policy"]
)
def test_the_outreach_pages_are_for_managers_and_owners(
    world: World, persona: str, name: str
) -> None:
    response = world.client(persona).get(reverse(name), **ENGLISH)
    _answers_as_the_policy_says(response, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_play_is_changed_only_by_managers_and_owners(world: World, persona: str) -> None:
    play = make_play(world)
    response = world.client(persona).get(reverse("outreach:play_edit", args=[play.public_id]))
    _answers_as_the_policy_says(response, persona)
    response = world.client(persona).post(reverse("outreach:play_approve", args=[play.public_id]))
    play.refresh_from_db()
    if persona in ("owner", "manager"):
        assert response.status_code == 302
        assert play.status == PlayStatus.APPROVED
        assert play.approved_by == world.users[persona]
    else:
        _answers_as_the_policy_says(response, persona)
        assert play.status == PlayStatus.DRAFT


def test_approving_pausing_and_resuming_need_a_post(world: World) -> None:
    play = make_play(world)
    client = world.client("manager")
    for action in ("approve", "pause", "resume", "delete"):
        url = reverse(f"outreach:play_{action}", args=[play.public_id])
        assert client.get(url).status_code == 405
    play.refresh_from_db()
    assert play.status == PlayStatus.DRAFT


def test_the_buttons_move_a_play_and_say_so(world: World) -> None:
    play = make_play(world)
    client = world.client("manager")
    for action, status in (("approve", "approved"), ("pause", "paused"), ("resume", "approved")):
        response = client.post(
            reverse(f"outreach:play_{action}", args=[play.public_id]), follow=True, **ENGLISH
        )
        play.refresh_from_db()
        assert play.status == status
        assert response.redirect_chain[-1][0] == reverse("outreach:play", args=[play.public_id])
    refused = client.post(
        reverse("outreach:play_resume", args=[play.public_id]), follow=True, **ENGLISH
    )
    assert "cannot be resumed now" in text_of(refused)


def test_a_manager_elsewhere_does_not_see_a_play_of_another_location(world: World) -> None:
    play = make_play(world, location=world.copenhagen, name="Copenhagen birthdays")
    client = world.client("manager")
    for name in ("outreach:play_edit", "outreach:play_approve", "outreach:play_delete"):
        method = client.get if name == "outreach:play_edit" else client.post
        assert method(reverse(name, args=[play.public_id])).status_code == 404
    assert "Copenhagen birthdays" not in text_of(client.get(reverse("outreach:plays"), **ENGLISH))
    owner_page = world.client("owner").get(reverse("outreach:plays"), **ENGLISH)
    assert "Copenhagen birthdays" in text_of(owner_page)


def test_a_play_for_every_location_is_changed_only_by_who_manages_them_all(world: World) -> None:
    play = plays.create_play(
        actor=world.users["owner"], spec=spec(location=None, name="Everywhere"), arms=[ArmSpec()]
    )
    client = world.client("manager")
    assert "Everywhere" in text_of(client.get(reverse("outreach:plays"), **ENGLISH))
    assert client.get(reverse("outreach:play_edit", args=[play.public_id])).status_code == 403
    assert client.post(reverse("outreach:play_approve", args=[play.public_id])).status_code == 403
    play.refresh_from_db()
    assert play.status == PlayStatus.DRAFT


# --- the pages: the form --------------------------------------------------------------------


def test_a_play_made_on_the_form_is_a_draft_with_its_arms(world: World) -> None:
    data = play_data(
        location=str(world.bologna.pk),
        **{
            "armB-used": "on",
            "armB-channel": "card",
            "armB-voucher_kind": "percent",
            "armB-voucher_value": "10",
            "armB-voucher_days": "60",
            "armB-weight": "1",
            # Arm C is filled in but not ticked: not used.
            "armC-channel": "sms",
            "armC-voucher_days": "30",
            "armC-weight": "1",
        },
    )
    response = world.client("manager").post(reverse("outreach:play_new"), data, **ENGLISH)
    play = Play.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:play", args=[play.public_id])
    assert (play.status, play.location, play.holdout_percent) == ("draft", world.bologna, 10)
    assert [
        (a.label, a.channel, a.voucher_kind, a.voucher_value, a.voucher_days)
        for a in play.arms.all()
    ] == [
        ("A", "auto", "", None, 30),
        ("B", "card", "percent", Decimal("10.00"), 60),
    ]


def test_the_form_shows_the_services_refusals_and_saves_nothing(world: World) -> None:
    client = world.client("manager")
    every = client.post(reverse("outreach:play_new"), play_data(location=""), **ENGLISH)
    assert every.status_code == 200
    assert "Choose one of your locations." in text_of(every)
    elsewhere = client.post(
        reverse("outreach:play_new"), play_data(location=str(world.copenhagen.pk)), **ENGLISH
    )
    assert "Choose one of your locations." in text_of(elsewhere)
    voucher = client.post(
        reverse("outreach:play_new"),
        play_data(location=str(world.bologna.pk), **{"armA-voucher_kind": "amount"}),
        **ENGLISH,
    )
    assert "Arm A: an amount off is more than zero." in text_of(voucher)
    holdout = client.post(
        reverse("outreach:play_new"),
        play_data(location=str(world.bologna.pk), holdout_percent="60"),
        **ENGLISH,
    )
    assert "The holdout is a whole percentage from 0 to 50." in text_of(holdout)
    assert not Play.objects.exists()


def test_every_location_is_offered_only_to_who_manages_them_all(world: World) -> None:
    def choices(persona: str) -> list[str]:
        page = world.client(persona).get(reverse("outreach:play_new"), **ENGLISH)
        return [str(label) for _value, label in page.context["form"].fields["location"].choices]

    assert choices("owner") == ["Every location", "Bologna", "Copenhagen"]
    assert choices("manager") == ["Bologna"]


def test_the_form_asks_for_the_fields_of_the_chosen_kind(world: World) -> None:
    client = world.client("manager")
    winback = client.get(reverse("outreach:play_new"), {"kind": "winback"}, **ENGLISH)
    fields = [bound.name for bound in winback.context["form"].kind_fields()]
    assert fields == ["min_days"]
    assert 'name="min_days"' in winback.content.decode()
    assert 'name="occasion"' not in winback.content.decode()
    occasion = client.get(reverse("outreach:play_new"), **ENGLISH)
    assert 'name="occasion"' in occasion.content.decode()
    assert 'hx-get="/outreach/plays/new/"' in occasion.content.decode()


def test_a_thank_you_play_takes_its_milestones_in_words(world: World) -> None:
    client = world.client("manager")
    data = play_data(
        kind="thankyou", location=str(world.bologna.pk), milestones="100, 10; 50", occasion=""
    )
    client.post(reverse("outreach:play_new"), data, **ENGLISH)
    assert Play.objects.get().params == {"milestones": [10, 50, 100]}
    bad = client.post(
        reverse("outreach:play_new"), {**data, "name": "Other", "milestones": "ten"}, **ENGLISH
    )
    assert "Write whole numbers separated by commas." in text_of(bad)


def test_changing_an_approved_play_on_the_form_needs_approval_again(world: World) -> None:
    play = make_play(world)
    plays.approve(play, world.users["manager"])
    client = world.client("manager")
    page = client.get(reverse("outreach:play_edit", args=[play.public_id]), **ENGLISH)
    assert "sends it back to draft" in text_of(page)
    client.post(
        reverse("outreach:play_edit", args=[play.public_id]),
        play_data(location=str(world.bologna.pk), lead_days="2", holdout_percent="0"),
        **ENGLISH,
    )
    play.refresh_from_db()
    assert (play.lead_days, play.status, play.approved_at) == (2, "draft", None)


def test_a_draft_is_deleted_from_its_page_once_confirmed(world: World) -> None:
    play = make_play(world)
    client = world.client("manager")
    url = reverse("outreach:play_delete", args=[play.public_id])
    client.post(url, {})
    assert Play.objects.filter(pk=play.pk).exists()
    response = client.post(url, {"confirm": "yes"})
    assert response["Location"] == reverse("outreach:plays")
    assert not Play.objects.filter(pk=play.pk).exists()


# --- the pages: the list --------------------------------------------------------------------


def test_the_list_shows_plays_by_kind_with_last_weeks_sent_and_held(world: World) -> None:
    play = make_play(world, name="Birthdays")
    make_play(world, name="Welcome", kind="welcome")
    customer = CustomerFactory()
    today = timezone.localdate()
    message(play, customer, world.bologna, status=MessageStatus.SENT)
    message(play, customer, world.bologna, status=MessageStatus.SENT, day=today - timedelta(days=6))
    message(play, customer, world.bologna, status=MessageStatus.SENT, day=today - timedelta(days=7))
    message(play, customer, world.bologna, status=MessageStatus.HELD, reason="budget")
    message(play, customer, world.copenhagen, status=MessageStatus.HELD, reason="budget")
    response = world.client("manager").get(reverse("outreach:plays"), **ENGLISH)
    groups = {group.kind: group for group in response.context["groups"]}
    assert list(groups) == ["occasion", "welcome"]
    row = groups["occasion"].rows[0]
    # Two sent in the last 7 days; the Copenhagen message is not the manager's.
    assert (row.play.name, row.sent, row.held) == ("Birthdays", 2, 1)
    owner = world.client("owner").get(reverse("outreach:plays"), **ENGLISH)
    assert next(g for g in owner.context["groups"] if g.kind == "occasion").rows[0].held == 2


# --- the pages: held back -------------------------------------------------------------------


def held_world(world: World) -> dict[str, Any]:
    play = plays.create_play(
        actor=world.users["owner"], spec=spec(location=None, name="Birthdays"), arms=[ArmSpec()]
    )
    winback = make_play(world, kind="winback", name="We miss you")
    anna = CustomerFactory(given_name="Anna", family_name="Rossi")
    mette = CustomerFactory(given_name="Mette", family_name="Jensen")
    message(
        play,
        anna,
        world.bologna,
        status=MessageStatus.HELD,
        reason="budget",
        reason_params={"count": 2},
    )
    message(play, mette, world.copenhagen, status=MessageStatus.HELD, reason="complaint")
    message(winback, anna, world.bologna, status=MessageStatus.HELD, reason="today")
    message(winback, anna, world.bologna, status=MessageStatus.SENT)
    message(
        winback,
        anna,
        world.bologna,
        status=MessageStatus.HELD,
        reason="complaint",
        day=timezone.localdate() - timedelta(days=40),
    )
    return {"play": play, "winback": winback}


def test_held_back_shows_each_message_with_its_reason_in_words(world: World) -> None:
    held_world(world)
    response = world.client("owner").get(reverse("outreach:held"), **ENGLISH)
    text = text_of(response)
    assert "Held: 2 messages in the last 30 days" in text
    assert "Held: a complaint of theirs is open" in text
    assert "Held: already contacted today" in text
    assert "Anna Rossi" in text
    assert "Mette Jensen" in text
    counts = {row.code: row.count for row in response.context["counts"]}
    assert counts == {"budget": 1, "complaint": 1, "today": 1}  # the 40-day-old one is out


def test_a_bologna_manager_does_not_see_what_was_held_for_copenhagen(world: World) -> None:
    held_world(world)
    response = world.client("manager").get(reverse("outreach:held"), **ENGLISH)
    text = text_of(response)
    assert "Anna Rossi" in text
    assert "Mette Jensen" not in text
    assert "Held: a complaint of theirs is open" not in text
    assert {row.code for row in response.context["counts"]} == {"budget", "today"}
    asked = world.client("manager").get(
        reverse("outreach:held"), {"location": str(world.copenhagen.pk)}, **ENGLISH
    )
    assert "Mette Jensen" not in text_of(asked)
    assert asked.context["rows"] == []


def test_held_back_filters_by_play_reason_and_days(world: World) -> None:
    made = held_world(world)
    client = world.client("owner")
    by_play = client.get(
        reverse("outreach:held"), {"play": made["winback"].public_id, "days": "90"}, **ENGLISH
    )
    assert [row.message.reason for row in by_play.context["rows"]] == ["today", "complaint"]
    by_reason = client.get(reverse("outreach:held"), {"reason": "complaint"}, **ENGLISH)
    assert [row.message.customer.given_name for row in by_reason.context["rows"]] == ["Mette"]
    # The counts stay for every reason, so the manager sees the whole picture.
    assert by_reason.context["total"] == 3


# --- the pages: the contact budget ----------------------------------------------------------


def test_the_budget_page_says_the_rules_in_plain_words(world: World) -> None:
    text = text_of(world.client("manager").get(reverse("outreach:policy"), **ENGLISH))
    assert (
        "At most 2 messages per customer in any 30 days, one a day, never between 20:00 "
        "and 09:00 in the customer's time zone." in text
    )
    assert "survey invitations and follow-up calls" in text


def test_the_budget_is_saved_from_its_page(world: World) -> None:
    client = world.client("owner")
    data = {"max_per_30_days": "3", "quiet_start": "21:00", "quiet_end": "08:30", "plan_hour": "5"}
    response = client.post(reverse("outreach:policy"), data, follow=True, **ENGLISH)
    assert "At most 3 messages per customer in any 30 days" in text_of(response)
    stored = policy.current()
    assert (stored.max_per_30_days, stored.quiet_start, stored.quiet_end, stored.plan_hour) == (
        3,
        time(21, 0),
        time(8, 30),
        5,
    )


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"max_per_30_days": "0"}, "From 1 to 10 messages in 30 days."),
        ({"max_per_30_days": "11"}, "From 1 to 10 messages in 30 days."),
        ({"quiet_end": "20:00"}, "The quiet hours must end at another time than they start."),
        ({"quiet_start": "25:00"}, "Give a time such as 20:00."),
        ({"plan_hour": "24"}, "Select a valid choice"),
    ],
)
def test_a_budget_out_of_bounds_is_refused_on_its_page(
    world: World, changes: dict[str, str], shown: str
) -> None:
    data = {"max_per_30_days": "2", "quiet_start": "20:00", "quiet_end": "09:00", "plan_hour": "6"}
    data.update(changes)
    response = world.client("manager").post(reverse("outreach:policy"), data, **ENGLISH)
    assert response.status_code == 200
    assert shown in text_of(response)
    stored = policy.current()
    assert (stored.max_per_30_days, stored.quiet_start, stored.plan_hour) == (2, time(20, 0), 6)


# --- the pages: queries ---------------------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **ENGLISH).status_code == 200
    return len(queries)


def test_the_busiest_pages_read_in_a_fixed_number_of_queries(world: World) -> None:
    client = world.client("owner")
    play = make_play(world, arms=2)

    def add(count: int) -> None:
        for _ in range(count):
            customer = CustomerFactory()
            message(play, customer, world.bologna, status=MessageStatus.HELD, reason="budget")
            message(play, customer, world.copenhagen, status=MessageStatus.SENT)
            make_play(world, kind="welcome")

    add(2)
    few = (_queries(client, reverse("outreach:held")), _queries(client, reverse("outreach:plays")))
    add(8)
    many = (_queries(client, reverse("outreach:held")), _queries(client, reverse("outreach:plays")))
    assert many == few


# --- the pages: a play and who would receive it ---------------------------------------------


def welcome_world(world: World) -> dict[str, Any]:
    """Three customers who first came two days ago (a welcome's audience today): Anna and
    Mette may be e-mailed, Bruno gave no consent; Mette's home is Copenhagen."""
    first = timezone.now() - timedelta(days=2)
    anna = emailable_customer(
        world.bologna, given_name="Anna", family_name="Rossi", first_visit_at=first
    )
    mette = emailable_customer(
        world.copenhagen,
        given_name="Mette",
        family_name="Jensen",
        email="mette@example.com",
        first_visit_at=first,
    )
    bruno = CustomerFactory(
        given_name="Bruno", family_name="Bianchi", home_location=world.bologna, first_visit_at=first
    )
    play = plays.create_play(
        actor=world.users["owner"],
        spec=spec(kind="welcome", location=None, name="Welcome", params={"after_days": 2}),
        arms=[ArmSpec()],
    )
    return {"play": play, "anna": anna, "mette": mette, "bruno": bruno}


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_plays_page_is_for_managers_and_owners(world: World, persona: str) -> None:
    play = make_play(world)
    response = world.client(persona).get(reverse("outreach:play", args=[play.public_id]))
    _answers_as_the_policy_says(response, persona)


def test_the_play_page_shows_who_would_receive_it_and_who_is_held(world: World) -> None:
    made = welcome_world(world)
    response = world.client("owner").get(
        reverse("outreach:play", args=[made["play"].public_id]), **ENGLISH
    )
    preview = response.context["preview"]
    assert sorted(line.name for line in preview.lines) == ["Anna Rossi", "Mette Jensen"]
    assert {line.channel for line in preview.lines} == {"E-mail"}
    assert (preview.total, preview.receive, preview.held_total, preview.hidden) == (3, 2, 1, 0)
    text = text_of(response)
    assert f"{reasons.label('consent')}: 1" in text
    assert "Bruno" not in text
    assert "Approve: start it" in text


def test_a_manager_of_one_location_sees_only_its_customers_in_the_preview(world: World) -> None:
    made = welcome_world(world)
    response = world.client("manager").get(
        reverse("outreach:play", args=[made["play"].public_id]), **ENGLISH
    )
    preview = response.context["preview"]
    assert [line.name for line in preview.lines] == ["Anna Rossi"]
    assert (preview.receive, preview.hidden) == (2, 1)
    text = text_of(response)
    assert "Mette" not in text
    assert "only someone who manages every location can change" in text
    assert "Approve: start it" not in text


def test_the_play_page_lists_its_latest_messages_with_why_they_were_held(world: World) -> None:
    play = make_play(world)
    anna = CustomerFactory(given_name="Anna", family_name="Rossi")
    mette = CustomerFactory(given_name="Mette", family_name="Jensen")
    message(play, anna, world.bologna, status=MessageStatus.SENT)
    message(
        play,
        anna,
        world.bologna,
        status=MessageStatus.HELD,
        reason="budget",
        reason_params={"count": 2},
    )
    message(play, mette, world.copenhagen, status=MessageStatus.SENT)
    response = world.client("manager").get(
        reverse("outreach:play", args=[play.public_id]), **ENGLISH
    )
    text = text_of(response)
    assert "Held: 2 messages in the last 30 days" in text
    assert [line.message.customer.given_name for line in response.context["recent"]] == [
        "Anna",
        "Anna",
    ]
    assert "Mette" not in text  # the Copenhagen message is not this manager's to see
    experiment = reverse("outreach:experiment", args=[play.public_id])
    assert f'href="{experiment}"' in response.content.decode()


def test_a_recipient_s_message_is_shown_as_they_would_read_it(world: World) -> None:
    made = welcome_world(world)
    url = reverse("outreach:play", args=[made["play"].public_id])
    response = world.client("owner").get(url, {"read": made["anna"].public_id}, **ENGLISH)
    reading = response.context["reading"]
    assert reading.name == "Anna Rossi"
    assert "What Anna Rossi would read" in text_of(response)
    assert reading.subject
    assert "Bologna" in reading.body
    editor = reverse("outreach:template_edit", args=["welcome", "email", "it"])
    assert f'href="{editor}"' in response.content.decode()
    # Mette's home is Copenhagen: not this manager's to read.
    hidden = world.client("manager").get(url, {"read": made["mette"].public_id}, **ENGLISH)
    assert hidden.context["reading"] is None
    assert "Mette" not in text_of(hidden)
