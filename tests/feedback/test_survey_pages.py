"""The public survey pages through the HTTP layer: a customer walks the steps in their
language, answers are checked where they are asked, drafts survive closing the page,
one submit records one response, and bad links, codes and floods get friendly pages
that change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.html import escape

from regulars.customers.models import AddressForm, Customer
from regulars.feedback.instruments import DIMENSIONS, ITEMS
from regulars.feedback.models import (
    CustomAnswer,
    Invitation,
    InvitationStatus,
    QualityAnswer,
    Question,
    QuestionKind,
    Response,
    Survey,
)
from regulars.feedback.tokens import shown_short_code
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.feedback.helpers import invitation, make_survey, token_of

ALL = ("csat", "nps", "ces", "quality")
# The steps of a survey with every instrument: the quality survey takes two.
STEPS = ["csat", "nps", "ces", "quality", "importance", "comment"]
IMPORTANCE = {
    "reliability": 30,
    "responsiveness": 20,
    "assurance": 20,
    "empathy": 20,
    "tangibles": 10,
}


@pytest.fixture(autouse=True)
def _roomy_rate_limit(settings: Any) -> None:
    """Each test starts with an empty rate-limit count and room for a whole survey (the
    language the pages activate is reset by the suite's ``_default_language``)."""
    settings.SURVEY_RATE_LIMIT = 1000
    cache.clear()


@pytest.fixture
def giulia(world: World) -> Customer:
    customer: Customer = CustomerFactory(
        given_name="Giulia",
        family_name="Rossi",
        email="giulia.rossi@example.com",
        address_form=AddressForm.INFORMAL,
        language="it",
        home_location=world.bologna,
    )
    return customer


@pytest.fixture
def survey(world: World) -> Survey:
    return make_survey(instruments=ALL)


@pytest.fixture
def invited(world: World, survey: Survey, giulia: Customer) -> Invitation:
    return invitation(survey, world.bologna, giulia, staff=world.users["staff"])


def link(invited: Invitation, step: str = "") -> str:
    url = reverse("survey:answer", kwargs={"token": token_of(invited)})
    return f"{url}?step={step}" if step else url


def post(client: Client, invited: Invitation, step: str, action: str = "next", **data: Any) -> Any:
    return client.post(link(invited), {"step": step, "action": action, **data})


def html(response: Any) -> str:
    return str(response.content.decode())


def in_language(lang: str, msgid: str | Promise, context: str = "", **values: Any) -> str:
    """The text a customer reading ``lang`` sees for ``msgid``, taken from the catalogue
    now, with ``values`` filled in. A text left untranslated fails here rather than
    letting an English page pass for a translated one."""

    def lookup() -> str:
        if isinstance(msgid, Promise):
            return str(msgid)
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)

    with translation.override(lang):
        text = lookup()
    if lang != "en":
        with translation.override("en"):
            english = lookup()
        assert text != english, f"{english!r} has no {lang} translation"
    return text % values if values else text


def step_of(lang: str, number: int, count: int) -> str:
    """The progress line of a survey step, as the template's blocktranslate renders it."""
    return in_language(lang, "Step %(number)s of %(count)s", number=number, count=count)


def quality_answers() -> dict[str, str]:
    answers = {}
    for item in ITEMS:
        answers[f"q-{item.dimension}-{item.number}-e"] = "6"
        answers[f"q-{item.dimension}-{item.number}-p"] = "5"
    answers["q-empathy-2-e"] = ""  # no opinion
    return answers


def points(**given: int) -> dict[str, str]:
    return {f"imp-{dim}": str(p) for dim, p in ({**IMPORTANCE, **given}).items()}


def snapshot(invited: Invitation) -> tuple[Any, ...]:
    invited.refresh_from_db()
    return (
        Response.objects.count(),
        QualityAnswer.objects.count(),
        invited.status,
        invited.draft,
        invited.opened_at,
        invited.answered_at,
    )


# --- walking the survey ----------------------------------------------------------------


def test_a_customer_answers_every_step_in_italian_and_one_response_is_recorded(
    invited: Invitation,
) -> None:
    client = Client()
    first = client.get(link(invited))
    assert first.status_code == 200
    assert '<html lang="it"' in html(first)
    assert step_of("it", 1, 6) in html(first)
    steps = [
        ("csat", {"csat": "4"}),
        ("nps", {"nps": "9", "why": "Il caffè era ottimo"}),
        ("ces", {"ces": "6"}),
        ("quality", quality_answers()),
        ("importance", points()),
    ]
    for number, (step, answers) in enumerate(steps):
        response = post(client, invited, step, **answers)
        assert response.status_code == 302, html(response)
        assert response["Location"] == link(invited, STEPS[number + 1])
        page = client.get(response["Location"])
        assert '<html lang="it"' in html(page)
    done = post(client, invited, "comment", "submit", comment="Tutto perfetto, grazie")
    assert done.status_code == 302
    assert done["Location"] == reverse("survey:thanks", kwargs={"token": token_of(invited)})
    thanks = client.get(done["Location"])
    assert thanks.status_code == 200
    assert '<html lang="it"' in html(thanks)
    assert in_language("it", "Thank you!") in html(thanks)
    assert "Bologna" in html(thanks)

    response = Response.objects.get()
    assert (response.csat, response.nps, response.ces) == (4, 9, 6)
    assert response.why == "Il caffè era ottimo"
    assert response.comment == "Tutto perfetto, grazie"
    assert response.importance == IMPORTANCE
    assert response.language == "it"
    assert QualityAnswer.objects.filter(response=response).count() == 15
    assert QualityAnswer.objects.get(dimension="empathy", item=2).expected is None
    invited.refresh_from_db()
    assert invited.status == InvitationStatus.ANSWERED
    assert invited.draft == {}


def test_each_step_says_where_the_customer_is_and_offers_back_after_the_first(
    invited: Invitation,
) -> None:
    client = Client()
    first = html(client.get(link(invited, "csat")))
    third = html(client.get(link(invited, "ces")))
    last = html(client.get(link(invited, "comment")))
    assert step_of("it", 1, 6) in first
    assert step_of("it", 3, 6) in third
    assert 'value="back"' not in first
    assert 'value="back"' in third
    assert 'value="next"' in third
    assert in_language("it", "Next", "survey step") in third
    assert in_language("it", "Back") in third
    assert 'value="submit"' in last
    assert in_language("it", "Send my answers") in last
    assert 'value="next"' not in last


def test_scales_are_labelled_radio_groups_with_their_anchors(invited: Invitation) -> None:
    page = html(Client().get(link(invited, "nps")))
    assert "<fieldset" in page
    assert "<legend" in page
    assert page.count('type="radio" id="f-nps-') == 11
    assert "0 = " + escape(in_language("it", "Not at all likely")) in page
    assert "10 = " + escape(in_language("it", "Extremely likely")) in page
    assert 'name="why"' in page


def test_the_quality_step_asks_fifteen_pairs_with_no_opinion_and_importance_shares_100(
    invited: Invitation,
) -> None:
    client = Client()
    quality = html(client.get(link(invited, "quality")))
    assert quality.count("<fieldset") == 30
    assert quality.count(escape(in_language("it", "No opinion"))) == 30
    assert escape(in_language("it", ITEMS[0].expectation)) in quality
    assert escape(in_language("it", ITEMS[0].perception)) in quality
    importance = html(client.get(link(invited, "importance")))
    for dim in DIMENSIONS:
        assert f'name="imp-{dim}"' in importance
    assert 'type="number"' in importance


def test_the_survey_in_russian_uses_the_russian_wording_of_the_business_questions(
    world: World,
) -> None:
    survey = make_survey(instruments=("csat",))
    Question.objects.create(
        survey=survey,
        kind=QuestionKind.SCALE_5,
        texts={"en": "How was the coffee?", "ru": "Как вам кофе?"},
        required=True,
        position=1,
    )
    Question.objects.create(
        survey=survey, kind=QuestionKind.YES_NO, texts={"en": "Did you find a seat?"}, position=2
    )
    Question.objects.create(
        survey=survey, kind=QuestionKind.TEXT, texts={"en": "What should we add?"}, position=3
    )
    customer = CustomerFactory(language="ru", home_location=world.bologna)
    invited = invitation(survey, world.bologna, customer)
    client = Client()
    page = html(client.get(link(invited, "questions")))
    assert '<html lang="ru"' in page
    assert "Как вам кофе?" in page
    assert "How was the coffee?" not in page
    assert "Did you find a seat?" in page  # no Russian wording: English
    assert step_of("ru", 2, 3) in page

    coffee, seat, add = survey.questions.all()
    assert post(client, invited, "csat", csat="5").status_code == 302
    missing = post(client, invited, "questions", **{f"custom-{seat.pk}": "1"})
    assert missing.status_code == 400
    assert escape(in_language("ru", "Please choose an answer.")) in html(missing)
    answered = post(
        client,
        invited,
        "questions",
        **{f"custom-{coffee.pk}": "4", f"custom-{seat.pk}": "0", f"custom-{add.pk}": "Пирожные"},
    )
    assert answered.status_code == 302
    assert post(client, invited, "comment", "submit").status_code == 302
    answers = {a.question_id: (a.score, a.text) for a in CustomAnswer.objects.all()}
    assert answers == {coffee.pk: (4, ""), seat.pk: (0, ""), add.pk: (None, "Пирожные")}


def test_the_greeting_uses_the_given_name_and_shows_nothing_else_personal(
    invited: Invitation,
) -> None:
    page = html(Client().get(link(invited)))
    assert "Giulia" in page
    assert "Rossi" not in page
    assert "giulia.rossi@example.com" not in page


def test_a_formally_addressed_customer_is_greeted_without_a_name(
    world: World, survey: Survey
) -> None:
    customer = CustomerFactory(
        given_name="Marco", family_name="Bianchi", address_form=AddressForm.FORMAL
    )
    page = html(Client().get(link(invitation(survey, world.bologna, customer))))
    greeting = in_language(
        customer.language, "Thank you for coming to %(business)s.", business="Bologna"
    )
    assert "Marco" not in page
    assert "Bianchi" not in page
    assert greeting in page


def test_survey_pages_show_no_staff_navigation_even_to_signed_in_staff(
    world: World, invited: Invitation
) -> None:
    page = html(world.client("manager").get(link(invited)))
    assert "Sign out" not in page
    assert "web/regulars.css" not in page
    assert "feedback/survey.css" in page


def test_survey_pages_are_never_cached_and_send_no_referrer(invited: Invitation) -> None:
    for url in (link(invited), reverse("survey:code")):
        response = Client().get(url)
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"


def test_the_survey_sets_no_cookies_and_needs_none(invited: Invitation) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(link(invited))
    answered = post(client, invited, "csat", csat="5")
    assert page.cookies == {}
    assert answered.status_code == 302
    assert answered.cookies == {}
    assert client.cookies == {}


def test_the_page_names_the_invitations_language_whatever_the_browser_asks(
    invited: Invitation,
) -> None:
    response = Client().get(link(invited), HTTP_ACCEPT_LANGUAGE="da")
    assert response["Content-Language"] == "it"
    assert '<html lang="it"' in html(response)


def test_opening_the_link_marks_the_invitation_opened(invited: Invitation) -> None:
    assert invited.opened_at is None
    Client().get(link(invited))
    invited.refresh_from_db()
    assert invited.opened_at is not None


def test_the_survey_page_reads_few_rows(
    invited: Invitation, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    with django_assert_max_num_queries(4):
        response = client.get(link(invited, "quality"))
    assert response.status_code == 200


# --- drafts ----------------------------------------------------------------------------


def test_answers_are_kept_so_the_link_continues_where_the_customer_left_off(
    invited: Invitation,
) -> None:
    post(Client(), invited, "csat", csat="2")
    post(Client(), invited, "nps", nps="3", why="Troppa attesa")

    later = Client()  # the page closed, the link opened again
    resumed = html(later.get(link(invited)))
    assert step_of("it", 3, 6) in resumed
    csat = html(later.get(link(invited, "csat")))
    assert 'id="f-csat-2" name="csat" value="2" checked' in csat
    nps = html(later.get(link(invited, "nps")))
    assert "Troppa attesa" in nps
    invited.refresh_from_db()
    assert invited.status == InvitationStatus.PARTIAL
    assert Response.objects.count() == 0


def test_back_keeps_this_steps_answers_and_returns_to_the_one_before(
    invited: Invitation,
) -> None:
    client = Client()
    response = post(client, invited, "ces", "back", ces="5")
    assert response.status_code == 302
    assert response["Location"] == link(invited, "nps")
    invited.refresh_from_db()
    assert invited.draft["ces"] == "5"


# --- answers checked where they are asked ----------------------------------------------


@pytest.mark.parametrize(
    ("step", "field", "value", "low", "high"),
    [
        ("csat", "csat", "0", 1, 5),
        ("nps", "nps", "11", 0, 10),
        ("ces", "ces", "eight", 1, 7),
    ],
)
def test_an_answer_out_of_range_is_shown_at_its_field_and_not_recorded(
    invited: Invitation, step: str, field: str, value: str, low: int, high: int
) -> None:
    response = post(Client(), invited, step, **{field: value})
    page = html(response)
    message = escape(
        in_language("it", "Choose a number from %(low)s to %(high)s.", low=low, high=high)
    )
    assert response.status_code == 400
    assert f'<p class="sv-error" id="err-{field}">{message}</p>' in page
    assert f'aria-describedby="err-{field}"' in page
    assert 'aria-invalid="true"' in page
    assert f'href="#f-{field}-' in page  # the summary links to the field
    invited.refresh_from_db()
    assert field not in invited.draft
    assert Response.objects.count() == 0


def test_points_that_do_not_add_up_to_100_are_refused_on_their_step(
    invited: Invitation,
) -> None:
    response = post(Client(), invited, "importance", **points(tangibles=0))
    assert response.status_code == 400
    refused = in_language(
        "it",
        "The points add up to %(total)s; please share out exactly %(points)s.",
        total=90,
        points=100,
    )
    assert escape(refused) in html(response)
    assert 'href="#f-imp-reliability"' in html(response)
    assert Response.objects.count() == 0


def test_moving_on_without_a_required_answer_asks_for_it(invited: Invitation) -> None:
    response = post(Client(), invited, "csat")
    assert response.status_code == 400
    assert escape(in_language("it", "Please choose an answer.")) in html(response)
    assert step_of("it", 1, 6) in html(response)


def test_submitting_with_an_answer_missing_returns_to_its_step_and_records_nothing(
    invited: Invitation,
) -> None:
    client = Client()
    post(client, invited, "csat", csat="5")
    post(client, invited, "importance", "back", **points(tangibles=0))  # kept as a draft
    before = Response.objects.count()
    response = post(client, invited, "comment", "submit", comment="Bello")
    page = html(response)
    assert response.status_code == 400
    assert step_of("it", 2, 6) in page  # nps, the first step with a problem
    assert 'id="err-nps"' in page
    assert Response.objects.count() == before == 0
    invited.refresh_from_db()
    assert invited.status == InvitationStatus.PARTIAL
    assert invited.draft["comment"] == "Bello"


# --- one response only ---------------------------------------------------------------


def answer_all(client: Client, invited: Invitation) -> None:
    for step, data in [
        ("csat", {"csat": "5"}),
        ("nps", {"nps": "10"}),
        ("ces", {"ces": "7"}),
        ("quality", quality_answers()),
        ("importance", points()),
    ]:
        assert post(client, invited, step, **data).status_code == 302


def test_submitting_twice_records_one_response_and_the_second_hears_it_was_answered(
    invited: Invitation,
) -> None:
    client = Client()
    answer_all(client, invited)
    first = post(client, invited, "comment", "submit", comment="Grazie")
    second = post(client, invited, "comment", "submit", comment="Grazie")
    assert first.status_code == 302
    assert second.status_code == 409
    assert in_language("it", "Thank you, you have already answered") in html(second)
    assert '<html lang="it"' in html(second)
    assert Response.objects.count() == 1


def test_a_second_tab_submitting_after_the_first_records_nothing_more(
    invited: Invitation,
) -> None:
    tab_one, tab_two = Client(), Client()
    answer_all(tab_one, invited)
    assert post(tab_one, invited, "comment", "submit").status_code == 302
    late = post(tab_two, invited, "csat", csat="1")
    assert late.status_code == 409
    assert Response.objects.get().csat == 5


# --- links that cannot be answered ---------------------------------------------------


def test_a_made_up_link_is_a_404_in_the_browsers_language_and_changes_nothing(
    invited: Invitation,
) -> None:
    before = snapshot(invited)
    spoiled = token_of(invited)[:-2] + "xx"
    for method in ("get", "post"):
        response = getattr(Client(), method)(
            reverse("survey:answer", kwargs={"token": spoiled}),
            {"step": "csat", "csat": "5"} if method == "post" else None,
            HTTP_ACCEPT_LANGUAGE="da",
        )
        assert response.status_code == 404
        assert '<html lang="da"' in html(response)
        assert in_language("da", "We could not open this survey") in html(response)
    assert snapshot(invited) == before


def test_an_expired_link_is_a_410_in_the_invitations_language_and_changes_nothing(
    invited: Invitation,
) -> None:
    Invitation.objects.filter(pk=invited.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    before = snapshot(invited)
    for response in (
        Client().get(link(invited), HTTP_ACCEPT_LANGUAGE="da"),
        post(Client(), invited, "csat", csat="5"),
    ):
        assert response.status_code == 410
        assert '<html lang="it"' in html(response)
        assert in_language("it", "This survey has closed") in html(response)
    assert snapshot(invited) == before


def test_an_answered_link_says_thank_you_again_and_changes_nothing(
    invited: Invitation,
) -> None:
    client = Client()
    answer_all(client, invited)
    post(client, invited, "comment", "submit")
    before = snapshot(invited)
    again = Client().get(link(invited), HTTP_ACCEPT_LANGUAGE="da")
    assert again.status_code == 200
    assert '<html lang="it"' in html(again)
    assert in_language("it", "Thank you, you have already answered") in html(again)
    assert snapshot(invited) == before


def test_the_thank_you_page_before_answering_leads_back_to_the_survey(
    invited: Invitation,
) -> None:
    response = Client().get(reverse("survey:thanks", kwargs={"token": token_of(invited)}))
    assert response.status_code == 302
    assert response["Location"] == link(invited)


# --- the code from the receipt -------------------------------------------------------


def test_the_code_from_the_receipt_opens_the_survey_in_lower_case_with_a_dash(
    invited: Invitation,
) -> None:
    typed = shown_short_code(invited.short_code).lower()
    assert "-" in typed
    response = Client().post(reverse("survey:code"), {"code": f" {typed} "})
    assert response.status_code == 302
    assert response["Location"] == link(invited)


@pytest.mark.parametrize("typed", ["ZZZZZ-ZZZZZ", "12", "", "<script>"])
def test_a_wrong_code_gets_the_same_message_whatever_was_typed(
    invited: Invitation, typed: str
) -> None:
    before = snapshot(invited)
    response = Client().post(reverse("survey:code"), {"code": typed})
    assert response.status_code == 400
    assert "We could not find a survey with this code." in html(response)
    assert 'aria-invalid="true"' in html(response)
    assert snapshot(invited) == before


def test_the_code_page_asks_for_the_code_in_the_browsers_language() -> None:
    response = Client().get(reverse("survey:code"), HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert '<html lang="es"' in html(response)
    assert 'name="code"' in html(response)


def test_the_code_of_an_expired_survey_leads_to_its_closed_page(invited: Invitation) -> None:
    Invitation.objects.filter(pk=invited.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = Client()
    response = client.post(reverse("survey:code"), {"code": invited.short_code})
    assert response["Location"] == link(invited)
    assert client.get(response["Location"]).status_code == 410


# --- too many requests -----------------------------------------------------------------


def test_too_many_requests_get_a_friendly_429_with_retry_after(
    invited: Invitation, settings: Any
) -> None:
    settings.SURVEY_RATE_LIMIT = 3
    client = Client()
    statuses = [client.get(link(invited)).status_code for _ in range(3)]
    over = client.post(reverse("survey:code"), {"code": "ZZZZZ-ZZZZZ"}, HTTP_ACCEPT_LANGUAGE="ru")
    assert statuses == [200, 200, 200]
    assert over.status_code == 429
    assert int(over["Retry-After"]) > 0
    assert '<html lang="ru"' in html(over)
    assert over["Cache-Control"] == "no-store"
    invited.refresh_from_db()
    assert Response.objects.count() == 0
