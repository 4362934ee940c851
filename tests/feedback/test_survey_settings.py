"""The survey rules managers set: which survey follows which event, questions of their
own in each language, the limits; who may change what; and a survey made on the page
inviting a customer after their visit (once within the cooldown)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from regulars.feedback import surveys
from regulars.feedback.invitations import policy, survey_url
from regulars.feedback.models import (
    ChannelRule,
    FeedbackPolicy,
    Invitation,
    InviteChannel,
    Question,
    Survey,
    Trigger,
)
from regulars.feedback.settings_views import rule_in_words
from regulars.feedback.surveys import QuestionSpec, SurveyError, SurveySpec
from regulars.service.services import log_visit
from tests.conftest import World
from tests.feedback.helpers import emailable_customer, invitation, make_survey

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def spec(**changes: Any) -> SurveySpec:
    values: dict[str, Any] = {
        "name": "After a visit",
        "trigger": Trigger.VISIT,
        "location": None,
        "instruments": ["nps", "csat"],
        "channel": ChannelRule.EMAIL_OR_RECEIPT,
        "sampling_percent": 100,
    }
    values.update(changes)
    return SurveySpec(**values)


def text_of(response: Any) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "After a visit",
        "trigger": "visit",
        "location": "",
        "instruments": ["csat", "nps"],
        "channel": "either",
        "sampling_percent": "100",
        "active": "on",
        "position": "0",
    }
    data.update(changes)
    return data


def error_of(response: Any, field: str) -> str:
    """The errors shown with one field of the page's form."""
    form = response.context["form"]
    return " ".join(str(e) for e in form.errors.get(field, []))


# --- the services -------------------------------------------------------------------------


def test_a_manager_creates_a_survey_with_its_instruments_once_each_in_their_fixed_order(
    world: World,
) -> None:
    survey = surveys.create_survey(
        actor=world.users["manager"],
        spec=spec(name="  Counter survey ", instruments=["nps", "csat", "nps"]),
    )
    survey.refresh_from_db()
    assert (survey.name, survey.instruments) == ("Counter survey", ["csat", "nps"])


def test_a_survey_needs_at_least_one_instrument(world: World) -> None:
    with pytest.raises(SurveyError, match="Choose at least one instrument.") as refused:
        surveys.create_survey(actor=world.users["manager"], spec=spec(instruments=[]))
    assert refused.value.field == "instruments"
    assert Survey.objects.count() == 0


def test_an_unknown_instrument_is_refused(world: World) -> None:
    with pytest.raises(SurveyError, match="“mood” is not an instrument.") as refused:
        surveys.create_survey(actor=world.users["manager"], spec=spec(instruments=["csat", "mood"]))
    assert refused.value.field == "instruments"
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("percent", [-1, 101, 1000])
def test_sampling_outside_0_to_100_percent_is_refused(world: World, percent: int) -> None:
    with pytest.raises(SurveyError, match="a whole number from 0 to 100") as refused:
        surveys.create_survey(actor=world.users["manager"], spec=spec(sampling_percent=percent))
    assert refused.value.field == "sampling_percent"
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("percent", [0, 100])
def test_sampling_may_be_anything_from_0_to_100_percent(world: World, percent: int) -> None:
    survey = surveys.create_survey(
        actor=world.users["manager"], spec=spec(sampling_percent=percent)
    )
    assert Survey.objects.get(pk=survey.pk).sampling_percent == percent


def test_the_recovery_trigger_and_an_unknown_channel_cannot_be_chosen(world: World) -> None:
    with pytest.raises(SurveyError, match="follows a visit or a resolved ticket"):
        surveys.create_survey(actor=world.users["manager"], spec=spec(trigger=Trigger.RECOVERY))
    with pytest.raises(SurveyError, match="Choose how the survey is sent."):
        surveys.create_survey(actor=world.users["manager"], spec=spec(channel="pigeon"))
    with pytest.raises(SurveyError, match="Give the survey a name."):
        surveys.create_survey(actor=world.users["manager"], spec=spec(name="   "))
    assert Survey.objects.count() == 0


def test_staff_cannot_change_surveys_and_a_manager_only_their_own_locations(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied):
        surveys.create_survey(actor=world.users["staff"], spec=spec())
    with pytest.raises(PermissionDenied):
        surveys.create_survey(actor=world.users["manager"], spec=spec(location=world.copenhagen))
    copenhagen = make_survey(location=world.copenhagen)
    with pytest.raises(PermissionDenied):
        surveys.change_survey(
            actor=world.users["manager"], survey=copenhagen, spec=spec(location=world.bologna)
        )
    with pytest.raises(PermissionDenied):
        surveys.set_policy(actor=world.users["staff"], cooldown_days=30, link_valid_days=7)
    assert list(Survey.objects.values_list("location__name", flat=True)) == ["Copenhagen"]


@pytest.mark.parametrize(
    ("cooldown", "valid", "field"),
    [
        (0, 14, "cooldown_days"),
        (366, 14, "cooldown_days"),
        (90, 0, "link_valid_days"),
        (90, 91, "link_valid_days"),
    ],
)
def test_the_limits_out_of_bounds_are_refused(
    world: World, cooldown: int, valid: int, field: str
) -> None:
    with pytest.raises(SurveyError) as refused:
        surveys.set_policy(
            actor=world.users["manager"], cooldown_days=cooldown, link_valid_days=valid
        )
    assert refused.value.field == field
    assert (policy().cooldown_days, policy().link_valid_days) == (90, 14)


@pytest.mark.parametrize(("cooldown", "valid"), [(1, 1), (365, 90)])
def test_the_limits_at_their_bounds_are_saved(world: World, cooldown: int, valid: int) -> None:
    surveys.set_policy(actor=world.users["manager"], cooldown_days=cooldown, link_valid_days=valid)
    assert list(FeedbackPolicy.objects.values_list("cooldown_days", "link_valid_days")) == [
        (cooldown, valid)
    ]


def test_a_survey_with_invitations_cannot_be_deleted_but_can_be_deactivated(
    world: World,
) -> None:
    survey = make_survey()
    invitation(survey, world.bologna, None)
    with pytest.raises(SurveyError, match="deactivate it instead"):
        surveys.delete_survey(actor=world.users["manager"], survey=survey)
    surveys.set_survey_active(actor=world.users["manager"], survey=survey, active=False)
    assert list(Survey.objects.values_list("active", flat=True)) == [False]
    assert Invitation.objects.filter(survey=survey).count() == 1


def test_a_survey_nobody_was_invited_to_is_deleted_with_its_questions(world: World) -> None:
    survey = make_survey()
    surveys.add_question(
        actor=world.users["manager"],
        survey=survey,
        spec=QuestionSpec(kind="yesno", texts={"en": "Hi?"}),
    )
    surveys.delete_survey(actor=world.users["manager"], survey=survey)
    assert (Survey.objects.count(), Question.objects.count()) == (0, 0)


def test_a_question_keeps_its_wording_per_language_and_needs_at_least_one(world: World) -> None:
    survey = make_survey()
    question = surveys.add_question(
        actor=world.users["manager"],
        survey=survey,
        spec=QuestionSpec(
            kind="scale5",
            texts={"it": "  Il caffè  era caldo? ", "en": "Was the coffee hot?", "da": ""},
        ),
    )
    question.refresh_from_db()
    assert question.texts == {"en": "Was the coffee hot?", "it": "Il caffè era caldo?"}
    with pytest.raises(SurveyError, match="at least one language"):
        surveys.add_question(
            actor=world.users["manager"],
            survey=survey,
            spec=QuestionSpec(kind="scale5", texts={"en": " ", "it": ""}),
        )
    with pytest.raises(SurveyError, match="not a language of Regulars"):
        surveys.add_question(
            actor=world.users["manager"],
            survey=survey,
            spec=QuestionSpec(kind="scale5", texts={"fr": "Le café?"}),
        )
    with pytest.raises(SurveyError, match="Choose the kind of answer."):
        surveys.add_question(
            actor=world.users["manager"],
            survey=survey,
            spec=QuestionSpec(kind="stars", texts={"en": "Stars?"}),
        )
    assert Question.objects.count() == 1


def test_a_rule_reads_as_one_line_of_words(world: World) -> None:
    survey = make_survey(location=world.bologna, sampling_percent=30)
    with translation.override("en"):
        line = rule_in_words(survey)
    assert line == (
        "After a visit · Bologna · CSAT, NPS · by email, else on the receipt · "
        "30 % of visits · active"
    )


# --- who may open the pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("owner", 200), ("manager", 200), ("staff", 403), ("outsider", 403)]
)
def test_only_managers_and_owners_open_the_survey_rules(
    world: World, persona: str, status: int
) -> None:
    survey = make_survey()
    client = world.client(persona)
    for url in (
        reverse("feedback:surveys"),
        reverse("feedback:survey_new"),
        reverse("feedback:survey", args=[survey.pk]),
        reverse("feedback:survey_preview", args=[survey.pk]),
        reverse("feedback:survey_question_new", args=[survey.pk]),
    ):
        assert client.get(url).status_code == status, url
    refused = client.post(reverse("feedback:survey_new"), form_data(name="Sneaky"))
    assert Survey.objects.filter(name="Sneaky").exists() is (status == 200)
    assert refused.status_code == (302 if status == 200 else 403)


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    survey = make_survey()
    client = world.client("anonymous")
    for url in (reverse("feedback:surveys"), reverse("feedback:survey", args=[survey.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_a_bologna_manager_cannot_see_or_change_a_copenhagen_only_survey(world: World) -> None:
    copenhagen = make_survey(location=world.copenhagen)
    question = surveys.add_question(
        actor=world.users["owner"],
        survey=copenhagen,
        spec=QuestionSpec(kind="yesno", texts={"da": "Var kaffen varm?"}),
    )
    manager = world.client("manager")
    for url in (
        reverse("feedback:survey", args=[copenhagen.pk]),
        reverse("feedback:survey_preview", args=[copenhagen.pk]),
        reverse("feedback:survey_question_new", args=[copenhagen.pk]),
        reverse("feedback:survey_question", args=[question.pk]),
    ):
        assert manager.get(url).status_code == 404, url
    assert (
        manager.post(reverse("feedback:survey", args=[copenhagen.pk]), form_data()).status_code
        == 404
    )
    assert (
        manager.post(
            reverse("feedback:survey_delete", args=[copenhagen.pk]), {"confirm": "yes"}
        ).status_code
        == 404
    )
    assert (
        manager.post(
            reverse("feedback:survey_question_delete", args=[question.pk]), {"confirm": "yes"}
        ).status_code
        == 404
    )
    assert copenhagen.name not in text_of(manager.get(reverse("feedback:surveys")))
    assert "After a visit" in text_of(world.client("owner").get(reverse("feedback:surveys")))
    copenhagen.refresh_from_db()
    assert (copenhagen.location, copenhagen.instruments) == (world.copenhagen, ["csat", "nps"])
    assert Question.objects.filter(pk=question.pk).exists()


def test_a_manager_cannot_move_a_survey_to_a_location_they_do_not_manage(world: World) -> None:
    page = world.client("manager").post(
        reverse("feedback:survey_new"), form_data(location=str(world.copenhagen.pk)), **ENGLISH
    )
    assert page.status_code == 200
    assert "Choose one of your locations" in error_of(page, "location")
    assert Survey.objects.count() == 0


# --- the pages ---------------------------------------------------------------------------


def test_the_list_shows_each_rule_in_words_the_rules_in_plain_words_and_the_limits(
    world: World,
) -> None:
    make_survey(location=world.bologna, sampling_percent=30)
    surveys.set_policy(actor=world.users["manager"], cooldown_days=60, link_valid_days=10)
    page = world.client("manager").get(reverse("feedback:surveys"), **ENGLISH)
    text = text_of(page)
    assert (
        "After a visit · Bologna · CSAT, NPS · by email, else on the receipt · "
        "30 % of visits · active"
    ) in text
    assert "A customer is asked at most once every 60 days." in text
    assert "while a complaint of theirs is open or a service recovery is under way" in text
    assert "only to customers who agreed to receive e-mail" in text
    assert "the receipt carries a code" in text
    assert "A link works once, for 10 days." in text
    html = page.content.decode()
    assert re.search(r'name="cooldown_days"[^>]*value="60"', html)
    assert re.search(r'name="link_valid_days"[^>]*value="10"', html)


def test_the_list_says_when_an_earlier_survey_always_comes_first(world: World) -> None:
    everywhere = make_survey()
    Survey.objects.create(
        name="Bologna only",
        trigger="visit",
        location=world.bologna,
        instruments=["ces"],
        position=5,
    )
    text = text_of(world.client("manager").get(reverse("feedback:surveys"), **ENGLISH))
    assert f"Never used: “{everywhere.name}” comes first for the same events." in text


def test_the_list_reads_the_same_number_of_queries_however_many_surveys(
    world: World,
) -> None:
    manager = world.client("manager")
    make_survey()
    manager.get(reverse("feedback:surveys"))  # session and policy row made once
    with CaptureQueriesContext(connection) as few:
        manager.get(reverse("feedback:surveys"))
    for number in range(6):
        survey = make_survey(location=world.bologna)
        Question.objects.create(survey=survey, texts={"en": f"Question {number}?"})
    with CaptureQueriesContext(connection) as many:
        manager.get(reverse("feedback:surveys"))
    assert len(many) == len(few)


def test_the_limits_are_changed_on_the_list_page_and_bad_values_save_nothing(
    world: World,
) -> None:
    manager = world.client("manager")
    url = reverse("feedback:survey_policy")
    bad = manager.post(url, {"cooldown_days": "0", "link_valid_days": "120"}, **ENGLISH)
    assert bad.status_code == 200
    form = bad.context["policy_form"]
    assert form.errors["cooldown_days"] == ["At most one survey per customer in 1 to 365 days."]
    assert form.errors["link_valid_days"] == ["A link stays valid 1 to 90 days."]
    assert (policy().cooldown_days, policy().link_valid_days) == (90, 14)

    saved = manager.post(
        url, {"cooldown_days": "30", "link_valid_days": "7"}, follow=True, **ENGLISH
    )
    assert "The survey limits are saved." in text_of(saved)
    assert (policy().cooldown_days, policy().link_valid_days) == (30, 7)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"instruments": []}, "instruments", "Choose at least one instrument."),
        ({"instruments": ["csat", "mood"]}, "instruments", "“mood” is not an instrument."),
        ({"sampling_percent": "150"}, "sampling_percent", "a whole number from 0 to 100"),
        ({"sampling_percent": "-5"}, "sampling_percent", "a whole number from 0 to 100"),
        ({"sampling_percent": "lots"}, "sampling_percent", "a whole number from 0 to 100"),
        ({"trigger": "recovery"}, "trigger", "follows a visit or a resolved ticket"),
        ({"channel": "pigeon"}, "channel", "Choose how the survey is sent."),
        ({"name": ""}, "name", "Give the survey a name."),
        ({"position": "-1"}, "position", "from 0 to 32767"),
    ],
)
def test_bad_input_on_the_survey_page_shows_a_field_error_and_saves_nothing(
    world: World, changes: dict[str, Any], field: str, error: str
) -> None:
    page = world.client("manager").post(
        reverse("feedback:survey_new"), form_data(**changes), **ENGLISH
    )
    assert page.status_code == 200
    assert error in error_of(page, field)
    assert "nothing was saved" in text_of(page)
    assert Survey.objects.count() == 0


def test_a_manager_edits_a_survey_on_its_page(world: World) -> None:
    survey = make_survey()
    manager = world.client("manager")
    url = reverse("feedback:survey", args=[survey.pk])
    assert 'value="After a visit"' in manager.get(url).content.decode()
    saved = manager.post(
        url,
        form_data(
            name="Tickets",
            trigger="ticket",
            location=str(world.bologna.pk),
            instruments=["ces"],
            channel="email",
            sampling_percent="25",
            active="",
            position="3",
        ),
        follow=True,
        **ENGLISH,
    )
    assert "The survey “Tickets” is saved." in text_of(saved)
    survey.refresh_from_db()
    with translation.override("en"):
        line = rule_in_words(survey)
    assert line == (
        "After a resolved ticket · Bologna · CES · by email only · 25 % of resolved tickets · "
        "inactive"
    )
    assert survey.position == 3


def test_a_survey_without_invitations_is_deleted_only_once_confirmed(world: World) -> None:
    survey = make_survey()
    manager = world.client("manager")
    url = reverse("feedback:survey_delete", args=[survey.pk])
    unconfirmed = manager.post(url, {}, follow=True, **ENGLISH)
    assert "Tick the box to confirm" in text_of(unconfirmed)
    assert Survey.objects.count() == 1
    deleted = manager.post(url, {"confirm": "yes"}, follow=True, **ENGLISH)
    assert "The survey “After a visit” is deleted." in text_of(deleted)
    assert Survey.objects.count() == 0


def test_a_survey_with_invitations_is_deactivated_on_its_page_not_deleted(world: World) -> None:
    survey = make_survey()
    invitation(survey, world.bologna, None)
    manager = world.client("manager")
    page = text_of(manager.get(reverse("feedback:survey", args=[survey.pk]), **ENGLISH))
    assert "Deactivate the survey" in page
    assert "Delete the survey" not in page
    refused = manager.post(
        reverse("feedback:survey_delete", args=[survey.pk]),
        {"confirm": "yes"},
        follow=True,
        **ENGLISH,
    )
    assert "deactivate it instead" in text_of(refused)
    manager.post(reverse("feedback:survey_deactivate", args=[survey.pk]))
    assert list(Survey.objects.values_list("active", flat=True)) == [False]


# --- questions of their own ---------------------------------------------------------------


def test_a_question_added_on_the_page_shows_which_languages_lack_their_own_wording(
    world: World,
) -> None:
    survey = make_survey()
    manager = world.client("manager")
    added = manager.post(
        reverse("feedback:survey_question_new", args=[survey.pk]),
        {
            "kind": "yesno",
            "required": "on",
            "position": "0",
            "text_en": "Was the coffee hot?",
            "text_it": "Il caffè era caldo?",
        },
        follow=True,
        **ENGLISH,
    )
    text = text_of(added)
    assert "The question is added." in text
    assert "Was the coffee hot?" in text
    assert "Customers in Danish will see the English wording." in text
    assert "Customers in Russian will see the English wording." in text
    assert "Customers in Italian will see" not in text
    question = Question.objects.get()
    assert (question.kind, question.required, question.texts) == (
        "yesno",
        True,
        {"en": "Was the coffee hot?", "it": "Il caffè era caldo?"},
    )


def test_a_question_without_any_wording_is_refused_on_the_page(world: World) -> None:
    survey = make_survey()
    page = world.client("manager").post(
        reverse("feedback:survey_question_new", args=[survey.pk]),
        {"kind": "scale5", "position": "0", "text_en": "  "},
        **ENGLISH,
    )
    assert page.status_code == 200
    assert "Write the question in at least one language." in text_of(page)
    assert Question.objects.count() == 0


def test_a_question_is_edited_and_removed_once_confirmed(world: World) -> None:
    survey = make_survey()
    question = surveys.add_question(
        actor=world.users["manager"],
        survey=survey,
        spec=QuestionSpec(kind="text", texts={"en": "Why?"}),
    )
    manager = world.client("manager")
    url = reverse("feedback:survey_question", args=[question.pk])
    assert "Why?" in manager.get(url).content.decode()
    manager.post(url, {"kind": "text", "position": "2", "text_en": "Why?", "text_da": "Hvorfor?"})
    question.refresh_from_db()
    assert (question.position, question.texts) == (2, {"en": "Why?", "da": "Hvorfor?"})
    delete = reverse("feedback:survey_question_delete", args=[question.pk])
    manager.post(delete, {})
    assert Question.objects.count() == 1
    manager.post(delete, {"confirm": "yes"})
    assert Question.objects.count() == 0


def test_the_preview_shows_each_language_as_its_customers_see_it(world: World) -> None:
    survey = make_survey(instruments=("nps",))
    surveys.add_question(
        actor=world.users["manager"],
        survey=survey,
        spec=QuestionSpec(
            kind="yesno", texts={"en": "Was the coffee hot?", "it": "Il caffè era caldo?"}
        ),
    )
    page = world.client("manager").get(
        reverse("feedback:survey_preview", args=[survey.pk]), **ENGLISH
    )
    html = page.content.decode()
    sections = dict(re.findall(r'data-language="(\w+)">(.*?)</section>', html, flags=re.DOTALL))
    assert set(sections) == {"en", "it", "da", "ru", "es"}
    assert "Il caffè era caldo?" in unescape(sections["it"])
    assert "Was the coffee hot?" not in unescape(sections["it"])
    danish = unescape(sections["da"])
    assert "Was the coffee hot?" in danish
    assert "No wording in Danish: shown in English." in danish
    assert "How likely is it that you would recommend us" in unescape(sections["en"])


# --- a survey made on the page, at work ----------------------------------------------------


def test_a_survey_made_on_the_page_invites_after_a_visit_and_not_again_within_the_cooldown(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    created = world.client("manager").post(
        reverse("feedback:survey_new"),
        form_data(name="Bologna visits", location=str(world.bologna.pk), channel="email"),
    )
    survey = Survey.objects.get(name="Bologna visits")
    assert created["Location"] == reverse("feedback:survey", args=[survey.pk])
    customer = emailable_customer(world.bologna, email="giulia@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        first = log_visit(actor=world.users["staff"], location=world.bologna, customer=customer)
    sent = Invitation.objects.get()
    assert (sent.survey, sent.visit, sent.channel) == (survey, first, InviteChannel.EMAIL)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["giulia@example.com"]
    assert survey_url(sent) in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        log_visit(
            actor=world.users["staff"],
            location=world.bologna,
            customer=customer,
            at=datetime.now(UTC) + timedelta(days=1),
        )
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
