from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from regulars.core.money import Money, format_money, parse_amount, quantize
from regulars.core.occasions import MonthDay, validate_month_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", "12.50"),
        ("12,50", "12.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("€ 7", "7"),
        ("kr. 1.250", "1250"),
        ("-3,5", "-3.5"),
    ],
)
def test_it_parses_amounts_written_the_local_way(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "€", "1e999", "12 apples", "1,2,3.4.5x"])
def test_it_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(text)


def test_money_rounds_to_the_currency_minor_unit() -> None:
    assert quantize(Decimal("2.345"), "EUR") == Decimal("2.34")
    assert quantize(Decimal("2.355"), "EUR") == Decimal("2.36")
    assert quantize(Decimal("1234.5"), "JPY") == Decimal(1234)


def test_money_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(TypeError):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="currency"):
        Money(Decimal(1), "XYZ")


def test_money_is_formatted_per_locale() -> None:
    assert format_money(Decimal("1234.5"), "EUR", "it") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert format_money(Decimal("1234.5"), "DKK", "da") == "1.234,50\xa0kr."


def test_the_29th_of_february_falls_on_the_28th_in_other_years() -> None:
    leap_day = MonthDay(2, 29)
    assert leap_day.in_year(2027) == date(2027, 2, 28)
    assert leap_day.in_year(2028) == date(2028, 2, 29)


def test_the_next_occasion_is_this_year_or_next() -> None:
    birthday = MonthDay(3, 14)
    assert birthday.next_on_or_after(date(2026, 3, 14)) == date(2026, 3, 14)
    assert birthday.next_on_or_after(date(2026, 3, 15)) == date(2027, 3, 14)


@pytest.mark.parametrize(("month", "day", "year"), [(2, 30, None), (13, 1, None), (2, 29, 2027)])
def test_impossible_dates_are_refused(month: int, day: int, year: int | None) -> None:
    with pytest.raises(ValueError, match="month|day"):
        validate_month_day(month, day, year)
