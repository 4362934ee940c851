"""Cell parsers of the importers: phones, dates, birthdays, amounts, waits, headers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
import pytest

from regulars.customers.importers.base import ImportKind
from regulars.customers.importers.columns import header_key, resolve_columns
from regulars.customers.importers.values import (
    CellError,
    clean_email,
    clean_phone,
    parse_birthday,
    parse_moment,
    parse_money,
    parse_wait,
)
from regulars.customers.phones import PhoneError, normalize_phone

ROME = ZoneInfo("Europe/Rome")
TODAY = date(2025, 6, 1)


def _reference(text: str, region: str) -> str | None:
    try:
        return normalize_phone(text, region)
    except PhoneError:
        return None


def _result(text: str, region: str) -> str | None:
    try:
        return clean_phone(text, region)
    except CellError:
        return None


def test_the_fast_phone_path_agrees_with_phonenumbers_on_many_numbers() -> None:
    rng = random.Random(20240331)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    disagreements = []
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.3 and len(digits) > 4:
            digits = digits[:3] + rng.choice(" -.") + digits[3:]
        prefix = rng.choice(["+", "00", "", ""])
        text = f"{prefix}{rng.choice(codes)} {digits}" if prefix else digits
        region = rng.choice([*regions, "IT", "DK", "ES", "RU", "GB"])
        if _result(text, region) != _reference(text, region):
            disagreements.append((text, region))
    assert disagreements == []


@pytest.mark.parametrize(
    "written",
    ["+39 333 1234567", "+393331234567", "0039 3331234567", "0039-333-1234567", "333 1234567"],
)
def test_phones_in_every_usual_format_become_e164(written: str) -> None:
    assert clean_phone(written, "IT") == "+393331234567"


def test_a_bad_phone_gives_the_reason() -> None:
    with pytest.raises(CellError, match="is not a phone number"):
        clean_phone("call the shop", "IT")


@pytest.mark.parametrize(
    ("text", "time_text", "expected"),
    [
        ("2024-03-31", "", datetime(2024, 3, 30, 23, 0, tzinfo=UTC)),
        ("31/03/2024 14:30", "", datetime(2024, 3, 31, 12, 30, tzinfo=UTC)),
        ("31.03.2024", "9:05", datetime(2024, 3, 31, 7, 5, tzinfo=UTC)),
        ("2024-01-15T10:00:00Z", "", datetime(2024, 1, 15, 10, 0, tzinfo=UTC)),
        ("2024-01-15 10:00:00+02:00", "", datetime(2024, 1, 15, 8, 0, tzinfo=UTC)),
        ("15/01/24 2:30 PM", "", datetime(2024, 1, 15, 13, 30, tzinfo=UTC)),
    ],
)
def test_visit_moments_are_local_to_the_location_and_stored_in_utc(
    text: str, time_text: str, expected: datetime
) -> None:
    assert parse_moment(text, ROME, time_text) == expected


@pytest.mark.parametrize(
    "text", ["31/02/2024", "2024-13-01", "yesterday", "1/2", "2024-03-31 25:00"]
)
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_moment(text, ROME)


def test_a_visit_far_in_the_future_is_refused() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(CellError, match="in the future"):
        parse_moment("2099-01-01", ROME, now=now)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31/03/1985", (3, 31, 1985)),
        ("1985-03-31", (3, 31, 1985)),
        ("31.03.1985", (3, 31, 1985)),
        ("31.03.", (3, 31, None)),
        ("--03-31", (3, 31, None)),
        ("0000-03-31", (3, 31, None)),
        ("29/02/2000", (2, 29, 2000)),
    ],
)
def test_birthdays_with_or_without_a_year(text: str, expected: tuple[int, int, int | None]) -> None:
    assert parse_birthday(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["29/02/2001", "31/04/1990", "01/01/1700", "01/01/2030"])
def test_impossible_birthdays_are_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_birthday(text, today=TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4,50", "4.50"), ("1.234,50", "1234.50"), ("€ 7", "7.00"), ("12.345", "12345.00")],
)
def test_amounts_in_the_usual_notations(text: str, expected: str) -> None:
    assert parse_money(text, "EUR") == Decimal(expected)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(CellError, match="negative"):
        parse_money("-3", "EUR")


@pytest.mark.parametrize(
    ("text", "seconds", "expected"),
    [("4", False, 240), ("4,5", False, 270), ("04:30", False, 270), ("90", True, 90)],
)
def test_queue_waits(text: str, seconds: bool, expected: int) -> None:
    assert parse_wait(text, seconds=seconds) == expected


def test_emails_are_lowercased_and_checked() -> None:
    assert clean_email(" Anna.Rossi@Example.COM ") == "anna.rossi@example.com"
    assert clean_email("anna@bücher.de") == "anna@bücher.de"
    with pytest.raises(CellError):
        clean_email("anna@@example.com")


def test_header_names_match_whatever_their_spelling() -> None:
    assert header_key(" E-Mail ") == header_key("email")
    assert header_key("Teléfono") == header_key("TELEFONO")
    columns = resolve_columns(
        ["Nome", "Cognome", "Cellulare", "Data di nascita", "Colore preferito"],
        ImportKind.CUSTOMERS,
    )
    assert columns.columns == {"given_name": 0, "family_name": 1, "mobile": 2, "birthday": 3}
    assert columns.ignored == ("Colore preferito",)


@pytest.mark.parametrize(
    "header",
    [
        ["Fornavn", "Efternavn", "Telefon", "E-mail", "Fødselsdag"],
        ["Имя", "Фамилия", "Телефон", "Эл. почта", "Дата рождения"],
        ["Nombre", "Apellidos", "Teléfono", "Correo electrónico", "Fecha de nacimiento"],
        ["First Name", "Last Name", "Phone", "Email", "Birthday"],
    ],
)
def test_headers_in_each_language_are_recognised(header: list[str]) -> None:
    columns = resolve_columns(header, ImportKind.CUSTOMERS)
    assert set(columns.columns) == {"given_name", "family_name", "phone", "email", "birthday"}
