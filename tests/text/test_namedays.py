"""Name-day calendars (``regulars.text.namedays``): no database, no Django."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from regulars.text.namedays import (
    COUNTRIES_BY_LANGUAGE,
    DATA_DIR,
    Calendar,
    NameDay,
    calendar,
    countries_for,
    country_code,
    find_name_day,
    fold_name,
    name_candidates,
    name_day,
    shipped_countries,
)


def _rows(code: str) -> list[dict[str, str]]:
    with (DATA_DIR / f"{code}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- folding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("Giuseppe", "giuseppe"),
        ("  JOSÉ ", "jose"),
        ("Søren", "soren"),
        ("Anne-Marie", "annemarie"),
        ("D'Angelo", "dangelo"),
        ("Татьяна", "tatyana"),
        ("Пётр", "petr"),
        ("Jürgen", "jurgen"),
        ("Straße", "strasse"),
        ("42", ""),
        ("", ""),
    ],
)
def test_fold_name_keeps_only_ascii_letters(name: str, folded: str) -> None:
    assert fold_name(name) == folded


def test_name_candidates_try_the_whole_name_then_its_first_part() -> None:
    assert name_candidates("Maria Teresa") == ("mariateresa", "maria")
    assert name_candidates("Jean-Pierre") == ("jeanpierre", "jean")
    assert name_candidates("Anna") == ("anna",)
    assert name_candidates("  ") == ()


# --- the shipped calendars -------------------------------------------------------------


def test_the_expected_countries_ship_and_the_abalin_russian_list_does_not() -> None:
    expected = {"dk", "se", "cz", "sk", "pl", "hu", "at", "fi", "lv", "lt", "ee", "es", "it", "ru"}
    assert expected <= set(shipped_countries())
    # The Russian calendar is our curated Cyrillic one, not abalin's Latin women-only list.
    assert all(any("\u0400" <= ch <= "\u04ff" for ch in row["name"]) for row in _rows("ru"))


@pytest.mark.parametrize("code", ["it", "ru", "dk", "se", "cz", "pl", "hu", "es", "at"])
def test_every_shipped_row_is_a_real_day_with_a_name(code: str) -> None:
    rows = _rows(code)
    assert rows, code
    for row in rows:
        month, day = int(row["month"]), int(row["day"])
        NameDay(month, day)
        assert 1 <= month <= 12
        assert 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
        assert fold_name(row["name"]), row


@pytest.mark.parametrize("code", ["it", "ru"])
def test_the_curated_calendars_give_each_name_exactly_one_day(code: str) -> None:
    counts = Counter(fold_name(row["name"]) for row in _rows(code))
    assert [name for name, n in counts.items() if n > 1] == []


def test_the_curated_calendars_are_large_enough() -> None:
    assert len(calendar("it")) >= 250
    assert len(calendar("ru")) >= 150


@pytest.mark.parametrize(
    ("name", "month", "day"),
    [
        ("Giuseppe", 3, 19),
        ("Giuseppina", 3, 19),
        ("Giovanni", 6, 24),
        ("Francesco", 10, 4),
        ("Marco", 4, 25),
        ("Luca", 10, 18),
        ("Antonio", 6, 13),
        ("Anna", 7, 26),
        ("Lucia", 12, 13),
        ("Chiara", 8, 11),
        ("Pietro", 6, 29),
        ("Paolo", 6, 29),
        ("Maria", 8, 15),
        ("Stefano", 12, 26),
        ("Andrea", 11, 30),
        ("Matteo", 9, 21),
        ("Alessandro", 8, 26),
        ("Giulia", 5, 22),
        ("Francesca", 3, 9),
        ("Elena", 8, 18),
        ("Sara", 10, 9),
        ("Martina", 1, 30),
        ("Valentina", 2, 14),
        ("Valentino", 2, 14),
        ("Lorenzo", 8, 10),
        ("Davide", 12, 29),
        ("Simone", 10, 28),
        ("Roberto", 6, 7),
        ("Michele", 9, 29),
        ("Salvatore", 8, 6),
        ("Gennaro", 9, 19),
    ],
)
def test_the_italian_calendar_has_the_main_onomastici(name: str, month: int, day: int) -> None:
    assert calendar("it").days_for(name) == (NameDay(month, day),)


@pytest.mark.parametrize(
    ("name", "month", "day"),
    [
        ("Татьяна", 1, 25),
        ("Ольга", 7, 24),
        ("Владимир", 7, 28),
        ("Николай", 12, 19),
        ("Сергей", 10, 8),
        ("Александр", 12, 6),
        ("Мария", 8, 4),
        ("Екатерина", 12, 7),
        ("Елена", 6, 3),
        ("Наталья", 9, 8),
        ("Наталия", 9, 8),
        ("Ирина", 5, 18),
        ("Светлана", 2, 26),
        ("Дмитрий", 11, 8),
        ("Андрей", 12, 13),
        ("Михаил", 11, 21),
        ("Иван", 7, 7),
        ("Пётр", 7, 12),
        ("Петр", 7, 12),
        ("Павел", 7, 12),
        ("Георгий", 5, 6),
        ("Юрий", 5, 6),
        ("Алексей", 3, 30),
        ("Людмила", 9, 29),
        ("Вера", 9, 30),
        ("Надежда", 9, 30),
        ("Любовь", 9, 30),
        ("Софья", 9, 30),
        ("София", 9, 30),
        ("Ксения", 2, 6),
        ("Анастасия", 1, 4),
    ],
)
def test_the_russian_calendar_has_the_main_imeniny(name: str, month: int, day: int) -> None:
    assert calendar("ru").days_for(name) == (NameDay(month, day),)


@pytest.mark.parametrize(
    "spelling",
    ["Tatiana", "Tatyana", "Tatjana", "TATIANA", "tat'yana", "Татьяна", "татьяна"],
)
def test_latin_spellings_of_a_russian_name_find_the_cyrillic_entry(spelling: str) -> None:
    assert calendar("ru").days_for(spelling) == (NameDay(1, 25),)


@pytest.mark.parametrize(
    ("spelling", "month", "day"),
    [
        ("Natalia", 9, 8),
        ("Natalya", 9, 8),
        ("Yuri", 5, 6),
        ("Yuriy", 5, 6),
        ("Sergei", 10, 8),
        ("Sergey", 10, 8),
        ("Alexander", 12, 6),
        ("Aleksandr", 12, 6),
        ("Lyudmila", 9, 29),
        ("Ludmila", 9, 29),
        ("Pyotr", 7, 12),
        ("Fyodor", 2, 21),
        ("Yekaterina", 12, 7),
        ("Yevgeny", 12, 26),
        ("Xenia", 2, 6),
        ("Darya", 4, 1),
        ("Dmitry", 11, 8),
    ],
)
def test_common_transliterations_match(spelling: str, month: int, day: int) -> None:
    assert calendar("ru").days_for(spelling)[:1] == (NameDay(month, day),)


def test_names_on_lists_the_names_of_a_day_as_spelled() -> None:
    assert {"Pietro", "Paolo"} <= set(calendar("it").names_on(6, 29))
    assert {"Вера", "Надежда", "Любовь", "Софья"} <= set(calendar("ru").names_on(9, 30))
    assert calendar("ru").names_on(2, 30) == ()


def test_29_february_entries_are_kept() -> None:
    assert calendar("it").days_for("Osvaldo") == (NameDay(2, 29),)
    assert "Osvaldo" in calendar("it").names_on(2, 29)
    leap_day_names = [
        row["name"] for row in _rows("dk") if (row["month"], row["day"]) == ("2", "29")
    ]
    assert leap_day_names
    assert NameDay(2, 29) in calendar("dk").days_for(leap_day_names[0])


def test_an_unknown_name_or_country_has_no_name_day() -> None:
    assert calendar("it").days_for("Zzyzx") == ()
    assert name_day("Zzyzx", ["it", "ru", "dk"]) is None
    assert name_day("Giuseppe", ["xx"]) is None
    assert len(calendar("us")) == 0
    assert name_day("", ["it"]) is None


def test_calendars_are_read_once_per_process() -> None:
    assert calendar("IT") is calendar("it")


# --- countries and the lookup ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "country", "expected"),
    [
        ("ru", "IT", ("ru", "it")),
        ("it", "IT", ("it",)),
        ("da", "DK", ("dk",)),
        ("en", "DK", ("dk",)),
        ("es", "dk", ("es", "dk")),
        ("it-ch", "CH", ("it", "ch")),
        ("pt_BR", "", ()),
        ("", "SE", ("se",)),
        ("ru", "", ("ru",)),
        ("cs", "CZ", ("cz",)),
        ("en", "UK", ("gb",)),
    ],
)
def test_countries_for_puts_the_language_first_then_the_location(
    language: str, country: str, expected: tuple[str, ...]
) -> None:
    assert countries_for(language, country) == expected


def test_the_five_languages_map_to_their_countries() -> None:
    assert COUNTRIES_BY_LANGUAGE["it"] == "it"
    assert COUNTRIES_BY_LANGUAGE["da"] == "dk"
    assert COUNTRIES_BY_LANGUAGE["ru"] == "ru"
    assert COUNTRIES_BY_LANGUAGE["es"] == "es"
    assert "en" not in COUNTRIES_BY_LANGUAGE


def test_country_code_accepts_iso_codes_in_any_case() -> None:
    assert country_code("DK") == "dk"
    assert country_code(" se ") == "se"
    assert country_code("Denmark") == ""
    assert country_code("") == ""


def test_the_first_country_that_knows_the_name_wins() -> None:
    # Maria: 4 August in the Russian calendar, 15 August in the Italian one.
    assert name_day("Maria", ["ru", "it"]) == (8, 4)
    assert name_day("Maria", ["it", "ru"]) == (8, 15)
    # Giuseppe is not in the Russian calendar: the Italian one answers.
    found = find_name_day("Giuseppe", ["ru", "it"])
    assert found is not None
    assert (found.month, found.day, found.country, found.imported) == (3, 19, "it", False)


def test_imported_entries_come_before_the_shipped_calendar_of_their_country() -> None:
    extra = {"it": {"giuseppe": (3, 20)}}
    found = find_name_day("Giuseppe", ["it"], extra)
    assert found is not None
    assert (found.month, found.day, found.imported) == (3, 20, True)
    # ... but not before an earlier country's calendar.
    assert name_day("Maria", ["ru", "it"], {"it": {"maria": (9, 12)}}) == (8, 4)


def test_a_compound_name_falls_back_to_its_first_part() -> None:
    assert name_day("Maria Teresa", ["it"]) == (8, 15)
    assert name_day("Anna-Lisa", ["it"]) == (7, 26)
    assert name_day("Mariateresa", ["it"], {"it": {"mariateresa": (10, 15)}}) == (10, 15)


def test_a_calendar_built_from_rows_puts_the_main_day_first() -> None:
    rows = [(1, 3, "Piotr"), (6, 29, "Piotr"), (1, 14, "Piotr"), (5, 1, "Józef")]
    built = Calendar.from_rows("pl", rows, main={"piotr": NameDay(6, 29)})
    assert built.days_for("Piotr") == (NameDay(6, 29), NameDay(1, 3), NameDay(1, 14))
    assert built.days_for("Jozef") == (NameDay(5, 1),)
    assert built.names_on(1, 3) == ("Piotr",)


@pytest.mark.parametrize(
    ("country", "name", "month", "day"),
    [
        ("pl", "Piotr", 6, 29),
        ("pl", "Stefan", 12, 26),
        ("es", "Francisco", 10, 4),
        ("es", "Antonio", 6, 13),
        ("fr", "François", 10, 4),
        ("de", "Johannes", 6, 24),
        ("at", "Josef", 3, 19),
        ("hr", "Ivan", 6, 24),
        ("hr", "Josip", 3, 19),
    ],
)
def test_names_with_several_days_get_their_main_day_first(
    country: str, name: str, month: int, day: int
) -> None:
    days = calendar(country).days_for(name)
    assert days[0] == NameDay(month, day)
    assert len(days) > 1
    assert name in calendar(country).names_on(month, day)


@pytest.mark.parametrize("code", ["de", "fr", "hr", "es", "at", "cz", "dk", "se", "pl"])
def test_the_cleaned_calendars_hold_names_not_fragments(code: str) -> None:
    for row in _rows(code):
        name = row["name"]
        assert name[:1].isupper(), row
        assert not any(ch in name for ch in ".()[]—,"), row
        assert name not in {"Mariä", "Herrn", "Himmelfahrt", "Epiphanie", "Toussaint", "Gospa"}


def test_main_days_refer_to_shipped_calendars() -> None:
    with (DATA_DIR / "main.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        assert row["country"] in shipped_countries(), row
        when = NameDay(int(row["month"]), int(row["day"]))
        assert calendar(row["country"]).days_for(row["name"])[0] == when, row
