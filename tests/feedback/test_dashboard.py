"""The feedback dashboard: figures from answers submitted through the real services,
filters, who may see it, the comments behind a figure, the small-sample warning, the
customer's answers on their profile, and the array computation on a hand-checked set."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from regulars.customers.models import Customer
from regulars.feedback.dashboard import (
    NO_STAFF,
    FeedbackArrays,
    FeedbackFilter,
    QualityArrays,
    compute_dashboard,
    load_arrays,
)
from regulars.feedback.models import Response, Survey
from regulars.feedback.responses import submit_response
from regulars.service.models import Visit
from tests.conftest import World
from tests.factories import CustomerFactory
from tests.feedback.helpers import invitation, make_survey


@dataclass
class Answer:
    where: str  # "bologna" or "copenhagen"
    served_by: str  # persona
    csat: int
    nps: int
    comment: str = ""
    topics: tuple[str, ...] = ()
    days_ago: int = 3


ANSWERS = [
    Answer("bologna", "staff", 5, 10, "Lovely coffee, quick service", ("coffee", "speed")),
    Answer("bologna", "staff", 4, 9),
    Answer("bologna", "manager", 3, 7, "The wait was long", ("speed",)),
    Answer("bologna", "manager", 1, 2, "Cold coffee and a long wait", ("coffee", "speed")),
    Answer("bologna", "staff", 4, 8),
    Answer("copenhagen", "owner", 2, 3, "Rude", ("staff",)),
    Answer("copenhagen", "owner", 5, 10),
]


def nps_of(scores: list[int]) -> int:
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return round(100 * (promoters - detractors) / len(scores))


def submit(
    world: World,
    survey: Survey,
    answer: Answer,
    key: str,
    customer: Customer | None = None,
    **extra: str,
) -> Response:
    location = getattr(world, answer.where)
    moment = timezone.now() - timedelta(days=answer.days_ago)
    invited = invitation(
        survey,
        location,
        customer or CustomerFactory(home_location=location),
        staff=world.users[answer.served_by],
        key=key,
        now=moment,
    )
    data = {"csat": str(answer.csat), "nps": str(answer.nps), "comment": answer.comment, **extra}
    response = submit_response(invited, data, now=moment)
    # What the comment analyser read is fixed here, so the drill-down test does not
    # depend on its lexicons.
    Response.objects.filter(pk=response.pk).update(topics=list(answer.topics))
    return response


@pytest.fixture
def answered(world: World) -> list[Response]:
    survey = make_survey(instruments=("csat", "nps"))
    return [submit(world, survey, a, f"test:{i}") for i, a in enumerate(ANSWERS)]


def figure_of(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}".*?<dd data-value>(.*?)</dd>', html, flags=re.DOTALL)
    assert match is not None, f"no figure {key}"
    return match.group(1).strip()


def card_of(html: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}"(.*?)</article>', html, flags=re.DOTALL)
    assert match is not None, f"no figure {key}"
    return match.group(1)


def test_the_dashboard_shows_the_nps_of_the_managers_locations(
    world: World, answered: list[Response]
) -> None:
    response = world.client("manager").get("/feedback/")
    assert response.status_code == 200
    html = response.content.decode()
    bologna = [a.nps for a in ANSWERS if a.where == "bologna"]
    assert figure_of(html, "nps") == str(nps_of(bologna))
    assert "n = 5" in card_of(html, "nps")
    csat = [a.csat for a in ANSWERS if a.where == "bologna"]
    assert figure_of(html, "csat") == f"{sum(csat) / len(csat):.2f}".rstrip("0").rstrip(".")


def test_choosing_a_location_or_a_staff_member_changes_the_figures(
    world: World, answered: list[Response]
) -> None:
    client = world.client("owner")
    everywhere = client.get("/feedback/").content.decode()
    assert figure_of(everywhere, "nps") == str(nps_of([a.nps for a in ANSWERS]))

    copenhagen = client.get("/feedback/", {"location": world.copenhagen.pk}).content.decode()
    assert figure_of(copenhagen, "nps") == str(
        nps_of([a.nps for a in ANSWERS if a.where == "copenhagen"])
    )

    staff = world.users["staff"]
    served = client.get("/feedback/", {"staff": staff.pk}).content.decode()
    assert figure_of(served, "nps") == str(
        nps_of([a.nps for a in ANSWERS if a.served_by == "staff"])
    )
    assert "n = 3" in card_of(served, "nps")


def test_an_answer_outside_the_period_is_not_counted(world: World) -> None:
    survey = make_survey()
    submit(world, survey, Answer("bologna", "staff", 5, 10, days_ago=2), "test:in")
    submit(world, survey, Answer("bologna", "staff", 1, 0, days_ago=120), "test:out")
    html = world.client("manager").get("/feedback/").content.decode()
    assert figure_of(html, "nps") == "100"
    older = (timezone.localdate() - timedelta(days=200)).isoformat()
    html = world.client("manager").get("/feedback/", {"start": older}).content.decode()
    assert figure_of(html, "nps") == "0"  # one promoter, one detractor


@pytest.mark.parametrize("path", ["/feedback/", "/feedback/comments/"])
def test_staff_and_outsiders_are_refused(world: World, path: str) -> None:
    assert world.client("staff").get(path).status_code == 403
    assert world.client("outsider").get(path).status_code == 403


@pytest.mark.parametrize("path", ["/feedback/", "/feedback/comments/"])
def test_anonymous_visitors_are_sent_to_sign_in(world: World, path: str) -> None:
    response = world.client("anonymous").get(path)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_manager_cannot_ask_for_a_location_of_someone_else(
    world: World, answered: list[Response]
) -> None:
    html = (
        world.client("manager")
        .get("/feedback/", {"location": world.copenhagen.pk})
        .content.decode()
    )
    assert "data-figure" not in html  # the form refuses the choice: no figures at all


def test_the_navigation_links_the_dashboard_for_managers_only(world: World) -> None:
    assert 'href="/feedback/"' in world.client("manager").get("/").content.decode()
    assert 'href="/feedback/"' not in world.client("staff").get("/").content.decode()


def comments_listed(html: str) -> list[str]:
    return re.findall(r'data-response="([^"]+)"', html)


def test_the_comments_of_a_topic_are_exactly_those_mentioning_it(
    world: World, answered: list[Response]
) -> None:
    client = world.client("owner")
    html = client.get("/feedback/comments/", {"topic": "coffee"}).content.decode()
    expected = [r.public_id for r in answered if "coffee" in ANSWERS[answered.index(r)].topics]
    assert sorted(comments_listed(html)) == sorted(expected)
    assert len(expected) == 2
    html = client.get(
        "/feedback/comments/", {"topic": "speed", "location": world.bologna.pk}
    ).content.decode()
    assert len(comments_listed(html)) == 3


def test_the_comments_link_to_the_customers_profile(world: World, answered: list[Response]) -> None:
    html = world.client("manager").get("/feedback/comments/", {"topic": "coffee"}).content.decode()
    first = Response.objects.get(pk=answered[0].pk)
    assert first.customer is not None
    assert f'href="/customers/{first.customer.public_id}/"' in html
    assert "Lovely coffee, quick service" in html


def test_the_comments_of_a_staff_member_are_only_theirs(
    world: World, answered: list[Response]
) -> None:
    html = (
        world.client("manager")
        .get("/feedback/comments/", {"staff": world.users["manager"].pk})
        .content.decode()
    )
    expected = [
        r.public_id
        for r, a in zip(answered, ANSWERS, strict=True)
        if a.served_by == "manager" and a.comment
    ]
    assert sorted(comments_listed(html)) == sorted(expected)


def test_the_dashboard_links_each_topic_to_its_comments(
    world: World, answered: list[Response]
) -> None:
    html = world.client("manager").get("/feedback/").content.decode()
    assert re.search(r'href="/feedback/comments/\?[^"]*topic=coffee', html)


def test_fewer_than_30_answers_are_marked_to_read_with_care(world: World) -> None:
    survey = make_survey()
    for i in range(29):
        submit(world, survey, Answer("bologna", "staff", 4, 9), f"test:{i}")
    html = world.client("manager").get("/feedback/").content.decode()
    assert "fewer than 30 answers: read with care" in card_of(html, "nps")

    submit(world, survey, Answer("bologna", "staff", 4, 9), "test:30")
    html = world.client("manager").get("/feedback/").content.decode()
    assert "n = 30" in card_of(html, "nps")
    assert "read with care" not in card_of(html, "nps")


def test_the_number_of_queries_does_not_grow_with_the_answers(
    world: World, django_assert_max_num_queries: Any
) -> None:
    survey = make_survey(instruments=("csat", "nps", "ces", "quality"))
    quality = {
        f"q-{d}-{n}-{s}": "5" for d in ("reliability", "empathy") for n in (1, 2, 3) for s in "ep"
    }
    for i in range(40):
        submit(
            world,
            survey,
            Answer("bologna", ("staff", "manager")[i % 2], 1 + i % 5, i % 11, f"comment {i}"),
            f"test:{i}",
            ces=str(1 + i % 7),
            **quality,
        )
    client = world.client("manager")
    with django_assert_max_num_queries(15):
        response = client.get("/feedback/")
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        response = client.get("/feedback/comments/")
    assert len(comments_listed(response.content.decode())) == 25


def test_the_profile_shows_the_customers_answers_to_staff(world: World) -> None:
    survey = make_survey()
    giulia = CustomerFactory(home_location=world.bologna)
    marco = CustomerFactory(home_location=world.bologna)
    mine = submit(world, survey, Answer("bologna", "staff", 2, 4, "Cold coffee"), "a", giulia)
    other = submit(world, survey, Answer("bologna", "staff", 5, 10, "Perfect"), "b", marco)

    html = world.client("staff").get(f"/customers/{giulia.public_id}/").content.decode()
    assert f'data-response="{mine.public_id}"' in html
    assert "Cold coffee" in html
    assert "Satisfaction 2 of 5" in html
    assert 'data-recovery="open"' in html  # the unhappy answer opened a recovery
    assert f'data-response="{other.public_id}"' not in html
    assert "Perfect" not in html

    html = world.client("staff").get(f"/customers/{marco.public_id}/").content.decode()
    assert f'data-response="{other.public_id}"' in html
    assert f'data-response="{mine.public_id}"' not in html
    assert "data-recovery" not in html


# --- loading and computing ---------------------------------------------------------------


def test_came_back_counts_a_visit_within_90_days_and_leaves_out_recent_answers(
    world: World,
) -> None:
    survey = make_survey()
    back, away, recent = (CustomerFactory(home_location=world.bologna) for _ in range(3))
    submit(world, survey, Answer("bologna", "staff", 5, 10, days_ago=150), "a", back)
    submit(world, survey, Answer("bologna", "staff", 5, 10, days_ago=140), "b", away)
    submit(world, survey, Answer("bologna", "staff", 5, 10, days_ago=20), "c", recent)
    now = timezone.now()
    Visit.objects.create(customer=back, location=world.bologna, at=now - timedelta(days=100))
    Visit.objects.create(customer=away, location=world.bologna, at=now - timedelta(days=10))
    Visit.objects.create(customer=recent, location=world.bologna, at=now - timedelta(days=5))
    today = timezone.localdate()
    arrays, _topics = load_arrays(
        FeedbackFilter(start=today - timedelta(days=200), end=today, locations=[world.bologna])
    )
    by_csat_day = sorted(zip(arrays.day.tolist(), arrays.came_back.tolist(), strict=True))
    assert by_csat_day[0][1] == 1.0  # 150 days ago, back 50 days later
    assert by_csat_day[1][1] == 0.0  # 140 days ago, back only 130 days later
    assert math.isnan(by_csat_day[2][1])  # 20 days ago: too early to tell


def hand_checked() -> FeedbackArrays:
    # Two weeks: Monday 2025-03-03 (day 20150) and Monday 2025-03-10 (day 20157).
    day = np.array([20150, 20150, 20151, 20152, 20157, 20158], dtype=np.int64)
    nan = np.nan
    expectations = np.full((2, 15), nan)
    perceptions = np.full((2, 15), nan)
    expectations[:, 0:3] = [[6, 6, 6], [7, 7, 7]]  # reliability
    perceptions[:, 0:3] = [[5, 5, 5], [4, 4, 4]]
    importance = np.array([[40, 20, 20, 10, 10], [nan] * 5])
    return FeedbackArrays(
        day=day,
        location=np.array([1, 1, 1, 2, 2, 2], dtype=np.int64),
        staff=np.array([7, 7, 8, 9, 9, NO_STAFF], dtype=np.int64),
        csat=np.array([5, 4, 3, 2, 1, nan]),
        nps=np.array([10, 9, 8, 6, 0, 10]),
        ces=np.array([7, 5, nan, 3, 1, 2]),
        came_back=np.array([1, 1, 0, 0, nan, 1]),
        commented=np.array([True, True, False, True, True, False]),
        topic_names=("coffee", "wait"),
        topics=np.array([[1, 0], [1, 1], [0, 0], [0, 1], [0, 1], [0, 0]], dtype=np.bool_),
        negative_topics=np.array([[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]], dtype=np.bool_),
        quality=QualityArrays(expectations, perceptions, importance),
    )


def test_the_dashboard_figures_of_a_hand_checked_set() -> None:
    f = compute_dashboard(hand_checked(), period="week")
    assert f.n == 6
    # NPS: promoters 10, 9, 10; passive 8; detractors 6, 0 → (3 − 2) / 6.
    assert f.nps.score == pytest.approx(100 / 6)
    assert (f.nps.promoters, f.nps.passives, f.nps.detractors) == (3, 1, 2)
    assert f.csat.mean == pytest.approx(3.0)
    assert f.csat.top2_box == pytest.approx(2 / 5)
    assert f.ces.mean == pytest.approx(18 / 5)
    assert f.bucket_starts == (date(2025, 3, 3), date(2025, 3, 10))
    first, second = f.trend.buckets
    assert (first.n, first.csat_mean) == (4, pytest.approx(3.5))
    assert second.nps == pytest.approx(0.0)  # 0 and 10: one detractor, one promoter

    assert f.quality is not None
    reliability = f.quality.dimensions[0]
    assert reliability.dimension == "reliability"
    assert reliability.gap == pytest.approx(-2.0)  # −1 and −3
    assert (reliability.mean_expectation, reliability.mean_perception) == (6.5, 4.5)
    assert f.quality.weighted_gap == pytest.approx(-2.0)  # only reliability has a gap

    staff = {g.label: g for g in f.staff_consistency.groups}
    assert set(staff) == {7, 8, 9}  # the response nobody served is left out
    assert staff[7].mean == pytest.approx(4.5)
    assert {g.label: g.n for g in f.location_consistency.groups} == {1: 3, 2: 2}

    csat_levels = {lv.level: (lv.n, lv.returned) for lv in f.loyalty_csat.levels}
    assert csat_levels == {1: (0, 0), 2: (1, 0), 3: (1, 0), 4: (1, 1), 5: (1, 1)}
    assert f.loyalty_csat.pending == 1
    nps_levels = {lv.level: (lv.n, lv.returned) for lv in f.loyalty_nps.levels}
    assert nps_levels == {0: (1, 0), 1: (1, 0), 2: (3, 3)}

    assert f.commented == 4
    assert f.commented_by_bucket == (3, 1)
    topics = {t.topic: t for t in f.topics}
    assert topics["wait"].mentions == 3
    assert topics["wait"].share == pytest.approx(3 / 4)
    assert topics["wait"].negative_share == pytest.approx(2 / 3)
    assert topics["wait"].by_bucket == (pytest.approx(2 / 3), pytest.approx(1.0))
    assert topics["coffee"].by_bucket == (pytest.approx(2 / 3), pytest.approx(0.0))
    assert [t.topic for t in f.topics] == ["wait", "coffee"]  # most mentioned first


def test_recent_answers_point_to_the_same_period_ninety_days_earlier(
    world: World, answered: list[Response]
) -> None:
    html = (
        world.client("manager")
        .get("/feedback/", {"start": "2026-09-01", "end": "2026-12-07"})
        .content.decode()
    )
    match = re.search(r'data-loyalty-earlier>.*?href="\?([^"]+)"', html, flags=re.DOTALL)
    assert match is not None
    shifted = match.group(1).replace("&amp;", "&")
    assert "start=2026-06-03" in shifted
    assert "end=2026-09-08" in shifted


def test_the_dashboard_leads_managers_to_the_recoveries_and_the_survey_rules(
    world: World,
) -> None:
    html = world.client("manager").get("/feedback/").content.decode()
    assert 'href="/feedback/recoveries/" data-testid="recoveries-link"' in html
    assert 'href="/feedback/surveys/" data-testid="survey-rules-link"' in html


def test_topics_are_named_in_the_reader_s_language_not_by_their_keys(world: World) -> None:
    from django.utils import translation

    survey = make_survey(instruments=("csat", "nps"))
    answer = Answer("bologna", "staff", 2, 4, "Si aspetta troppo", ("waiting",))
    submit(world, survey, answer, "topic:1")
    client = world.client("manager")
    dashboard = client.get("/feedback/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    comments = client.get(
        "/feedback/comments/", {"topic": "waiting"}, HTTP_ACCEPT_LANGUAGE="it"
    ).content.decode()
    with translation.override("it"):
        waiting = translation.pgettext("comment topic", "Waiting")
    assert waiting != "Waiting"
    row = re.search(r'data-topic="waiting">\s*<th scope="row"><a [^>]*>([^<]*)</a>', dashboard)
    assert row is not None
    assert row.group(1) == waiting
    assert f'<span class="badge">{waiting}</span>' in comments
