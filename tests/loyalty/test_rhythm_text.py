"""The rhythm in words: usual days, part of day and gap, in each of the five languages
(Russian with its three plural forms)."""

from __future__ import annotations

import pytest
from django.utils import translation

from regulars.loyalty.rhythm_text import (
    days_ago_phrase,
    days_phrase,
    gap_phrase,
    overdue_line,
    usual_line,
    when_phrase,
)

MON, TUE, WED, THU, FRI, SAT, SUN = (1 << i for i in range(7))


def usual(
    weekdays: int = 0, part: int | None = None, low: float | None = None, high: float | None = None
) -> str:
    return usual_line(weekdays=weekdays, part_of_day=part, gap_low=low, gap_high=high)


def test_a_weekday_morning_regular_every_two_to_three_days() -> None:
    assert usual(MON | TUE | WED | THU | FRI, 0, 2.0, 3.0) == (
        "Usually weekday mornings, every 2–3 days"
    )


def test_a_saturday_customer_about_every_week() -> None:
    assert usual(SAT, None, 6.6, 7.4) == "Usually Saturdays, about every week"


def test_an_overdue_customer_is_told_their_gap_and_how_long_ago() -> None:
    assert overdue_line(gap_low=5.0, gap_high=7.0, days_away=19) == (
        "Overdue: usually every 5–7 days, last here 19 days ago"
    )
    assert overdue_line(gap_low=None, gap_high=None, days_away=1) == "Overdue: last here yesterday"


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        (MON | TUE | WED | THU | FRI, "weekdays"),
        (SAT | SUN, "weekends"),
        (SAT, "Saturdays"),
        (MON | THU, "Mondays and Thursdays"),
        (MON | WED | FRI, "Mondays, Wednesdays and Fridays"),
        (MON | TUE | THU | SAT, ""),  # four scattered days: no usual day
        (0, ""),
    ],
)
def test_usual_days_are_named_sensibly(mask: int, expected: str) -> None:
    assert days_phrase(mask) == expected


@pytest.mark.parametrize(
    ("mask", "part", "expected"),
    [
        (SAT | SUN, 3, "weekend evenings"),
        (SAT, 3, "Saturdays in the evening"),
        (0, 2, "in the afternoon"),
        (0, 9, ""),  # an unknown part of day says nothing
    ],
)
def test_days_and_part_of_day_together(mask: int, part: int, expected: str) -> None:
    assert when_phrase(mask, part) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (1.0, 1.0, "every day"),
        (0.6, 1.4, "every day"),
        (1.0, 2.0, "every 1–2 days"),
        (4.0, 4.2, "about every 4 days"),
        (9.0, 12.0, "every 9–12 days"),
        (14.0, 15.0, "about every 2 weeks"),
        (14.0, 21.0, "every 2–3 weeks"),
        (6.0, 20.0, "every 1–3 weeks"),
        (25.0, 31.0, "about every 4 weeks"),
        (28.0, 62.0, "every 1–2 months"),
        (61.0, 92.0, "every 2–3 months"),
        (29.0, 70.0, "every 1–2 months"),
        (88.0, 95.0, "about every 3 months"),
        (None, 5.0, ""),
        (float("nan"), 5.0, ""),
    ],
)
def test_gaps_are_rounded_to_days_weeks_or_months(
    low: float | None, high: float | None, expected: str
) -> None:
    assert gap_phrase(low, high) == expected


def test_a_rhythm_of_only_a_gap_or_only_days() -> None:
    assert usual(0, None, 2.0, 3.0) == "Usually comes every 2–3 days"
    assert usual(SAT, 0) == "Usually Saturdays in the morning"
    assert usual() == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("it", "Di solito nei giorni feriali di mattina, ogni 2–3 giorni"),
        ("da", "Som regel hverdagsmorgener, hver 2.–3. dag"),
        ("es", "Normalmente entre semana por la mañana, cada 2–3 días"),
        ("ru", "Обычно по будним дням утром, каждые 2–3 дня"),
    ],
)
def test_the_rhythm_in_each_language(language: str, expected: str) -> None:
    with translation.override(language):
        assert usual(MON | TUE | WED | THU | FRI, 0, 2.0, 3.0) == expected


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (2.0, 3.0, "каждые 2–3 дня"),
        (5.0, 7.0, "каждые 5–7 дней"),
        (1.0, 2.0, "каждые 1–2 дня"),
        (550.0, 640.0, "каждые 18–21 месяц"),  # the form of 21 is that of 1
        (639.0, 640.0, "примерно каждый 21 месяц"),
        (4.0, 4.0, "примерно каждые 4 дня"),
        (11.0, 11.0, "примерно каждые 11 дней"),
        (14.0, 21.0, "каждые 2–3 недели"),
        (35.0, 35.0, "примерно каждые 5 недель"),
        (150.0, 160.0, "примерно каждые 5 месяцев"),
        (1.0, 1.0, "каждый день"),
    ],
)
def test_russian_gaps_take_the_plural_form_of_their_number(
    low: float, high: float, expected: str
) -> None:
    with translation.override("ru"):
        assert gap_phrase(low, high) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, "вчера"), (2, "2 дня назад"), (5, "5 дней назад"), (21, "21 день назад")],
)
def test_russian_days_ago(days: int, expected: str) -> None:
    with translation.override("ru"):
        assert days_ago_phrase(days) == expected


def test_russian_overdue_line() -> None:
    with translation.override("ru"):
        assert overdue_line(gap_low=5.0, gap_high=7.0, days_away=19) == (
            "Пропускает: обычно каждые 5–7 дней, последний раз 19 дней назад"
        )
