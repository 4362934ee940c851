"""Customers' name days (``customers.namedays``): own choice, the business's imported
calendar, the shipped calendars; the import of a calendar CSV; the name-day page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regulars.core.models import AuditAction, AuditEntry
from regulars.customers.models import CustomerKind, NameDayEntry
from regulars.customers.namedays import (
    MAX_IMPORT_ROWS,
    NameDayAnswer,
    NameDayResolver,
    NameDaySource,
    import_calendar,
    imported_index,
    name_day_for,
)
from tests.factories import CustomerFactory, LocationFactory

URL = "/customers/name-days/"


@pytest.fixture
def manager(world: Any) -> Any:
    return world.users["manager"]


def _entries(country: str = "it") -> list[tuple[int, int, str]]:
    return list(
        NameDayEntry.objects.filter(country=country)
        .order_by("month", "day", "name")
        .values_list("month", "day", "name")
    )


# --- which day ------------------------------------------------------------------------


def test_the_customers_own_choice_beats_the_calendar(world: Any) -> None:
    customer = CustomerFactory(
        given_name="Giuseppe",
        language="it",
        home_location=world.bologna,
        nameday_month=5,
        nameday_day=1,
    )
    assert name_day_for(customer) == NameDayAnswer(5, 1, NameDaySource.OWN, "")


def test_the_shipped_calendar_answers_by_name_and_country(world: Any) -> None:
    customer = CustomerFactory(given_name="Giuseppe", language="it", home_location=world.bologna)
    assert name_day_for(customer) == NameDayAnswer(3, 19, NameDaySource.CALENDAR, "it")


def test_the_customers_language_comes_before_the_location_country(world: Any) -> None:
    # A Russian-speaking Maria in Bologna: 4 August (Mary Magdalene), not 15 August.
    customer = CustomerFactory(given_name="Maria", language="ru", home_location=world.bologna)
    assert name_day_for(customer) == NameDayAnswer(8, 4, NameDaySource.CALENDAR, "ru")
    # A Russian speaker with an Italian name the Russian calendar lacks: Italy answers.
    other = CustomerFactory(given_name="Giuseppe", language="ru", home_location=world.bologna)
    assert name_day_for(other) == NameDayAnswer(3, 19, NameDaySource.CALENDAR, "it")


def test_latin_spelled_russian_names_find_the_cyrillic_calendar(world: Any) -> None:
    customer = CustomerFactory(given_name="Tatiana", language="ru", home_location=world.bologna)
    assert name_day_for(customer) == NameDayAnswer(1, 25, NameDaySource.CALENDAR, "ru")


def test_without_a_home_location_the_first_locations_country_is_used(world: Any) -> None:
    customer = CustomerFactory(given_name="Søren", language="en", home_location=None)
    # Bologna (IT) is the first location and has no Søren; a Copenhagen customer does.
    assert name_day_for(customer) is None
    dane = CustomerFactory(given_name="Søren", language="en", home_location=world.copenhagen)
    assert name_day_for(dane) == NameDayAnswer(10, 23, NameDaySource.CALENDAR, "dk")


def test_imported_entries_beat_the_shipped_calendar(world: Any, manager: Any) -> None:
    import_calendar("month,day,name\n3,20,Giuseppe\n", country="IT", replace=False, user=manager)
    customer = CustomerFactory(given_name="Giuseppe", language="it", home_location=world.bologna)
    assert name_day_for(customer) == NameDayAnswer(3, 20, NameDaySource.IMPORTED, "it")


def test_an_unknown_name_or_an_organisation_has_no_name_day(world: Any) -> None:
    assert name_day_for(CustomerFactory(given_name="Zzyzx", home_location=world.bologna)) is None
    organisation = CustomerFactory(
        kind=CustomerKind.ORGANISATION,
        given_name="Giuseppe",
        organisation_name="Bar Giuseppe",
        home_location=world.bologna,
    )
    assert name_day_for(organisation) is None


def test_the_preferred_name_is_used_when_there_is_no_given_name(world: Any) -> None:
    customer = CustomerFactory(
        given_name="", preferred_name="Lucia", language="it", home_location=world.bologna
    )
    assert name_day_for(customer) == NameDayAnswer(12, 13, NameDaySource.CALENDAR, "it")


# --- the resolver (bulk) --------------------------------------------------------------


def test_the_resolver_answers_like_name_day_for(world: Any, manager: Any) -> None:
    import_calendar("month,day,name\n3,20,Giuseppe\n", country="IT", replace=False, user=manager)
    resolver = NameDayResolver()
    assert resolver.resolve("Giuseppe", "it", "IT") == (3, 20)
    assert resolver.resolve("Maria", "ru", "IT") == (8, 4)
    assert resolver.resolve("Mette", "da", "DK") == (10, 3)
    assert resolver.resolve("Zzyzx", "it", "IT") is None
    assert resolver.resolve("", "it", "IT") is None
    # "" means the first location's country (Bologna, Italy).
    assert resolver.resolve("Lucia", "en", "") == (12, 13)
    answer = resolver.answer("Giuseppe", "it", "IT")
    assert answer == NameDayAnswer(3, 20, NameDaySource.IMPORTED, "it")


def test_the_resolver_reads_the_database_once(
    world: Any, manager: Any, django_assert_num_queries: Any
) -> None:
    import_calendar("month,day,name\n3,20,Giuseppe\n", country="IT", replace=False, user=manager)
    with django_assert_num_queries(2):  # imported entries, first location
        resolver = NameDayResolver()
    with django_assert_num_queries(0):
        answers = [
            resolver.resolve(name, "it", "IT") for name in ["Giuseppe", "Anna", "giuseppe"] * 50
        ]
    assert answers[:3] == [(3, 20), (7, 26), (3, 20)]


def test_the_resolver_honours_the_customers_own_choice(world: Any) -> None:
    resolver = NameDayResolver()
    customer = CustomerFactory(
        given_name="Anna", home_location=world.bologna, nameday_month=2, nameday_day=29
    )
    assert resolver.for_customer(customer) == NameDayAnswer(2, 29, NameDaySource.OWN, "")
    customer.nameday_month = customer.nameday_day = None
    assert resolver.for_customer(customer) == NameDayAnswer(7, 26, NameDaySource.CALENDAR, "it")


# --- importing a calendar -------------------------------------------------------------


def test_an_import_keeps_good_rows_and_reports_bad_ones_by_line(world: Any, manager: Any) -> None:
    text = (
        "month,day,name\n"  # line 1
        "3,20,Giuseppe\n"  # 2: good
        "2,31,Bad Date\n"  # 3: no 31 February
        "13,1,Bad Month\n"  # 4
        "5,1,\n"  # 5: empty name
        "\n"  # 6: blank, skipped
        f"6,1,{'x' * 101}\n"  # 7: too long
        "3,20,giuseppe\n"  # 8: duplicate of line 2
        "2,29,Osvaldo\n"  # 9: good (leap day)
        "x,1,Nobody\n"  # 10: month not a number
        "4,2,---\n"  # 11: no letters
    )
    report = import_calendar(text, country="it", replace=False, user=manager)
    assert report.ok
    assert report.added == 2
    assert [p.line for p in report.problems] == [3, 4, 5, 7, 8, 10, 11]
    reasons = {p.line: p.reason for p in report.problems}
    assert reasons[3] == "There is no day 31 in month 2."
    assert reasons[4] == "The month must be a number from 1 to 12."
    assert reasons[5] == "The name is empty."
    assert reasons[7] == "The name is longer than 100 characters."
    assert reasons[8] == "The same name and day as line 2."
    assert reasons[11] == "“---” has no letters."
    assert _entries() == [(2, 29, "Osvaldo"), (3, 20, "Giuseppe")]
    assert NameDayEntry.objects.get(name="Giuseppe").key == "giuseppe"


def test_a_reimport_adds_nothing_twice(world: Any, manager: Any) -> None:
    text = "month,day,name\n3,19,Peppe\n8,15,Assunta\n"
    first = import_calendar(text, country="it", replace=False, user=manager)
    second = import_calendar(text, country="it", replace=False, user=manager)
    assert (first.added, first.unchanged) == (2, 0)
    assert (second.added, second.unchanged, second.removed) == (0, 2, 0)
    assert NameDayEntry.objects.count() == 2


def test_replace_removes_what_the_file_no_longer_holds(world: Any, manager: Any) -> None:
    import_calendar(
        "month,day,name\n3,19,Peppe\n8,15,Assunta\n", country="it", replace=False, user=manager
    )
    import_calendar("month,day,name\n6,24,Hans\n", country="dk", replace=False, user=manager)
    report = import_calendar(
        "month,day,name\n3,19,Peppe\n1,17,Toni\n", country="it", replace=True, user=manager
    )
    assert (report.added, report.unchanged, report.removed) == (1, 1, 1)
    assert _entries("it") == [(1, 17, "Toni"), (3, 19, "Peppe")]
    assert _entries("dk") == [(6, 24, "Hans")]  # other countries untouched


def test_headers_in_any_order_language_and_separator(world: Any, manager: Any) -> None:
    text = "Nome;Giorno;Mese\nPeppe;19;3\n"
    report = import_calendar(text.encode("utf-8"), country="it", replace=False, user=manager)
    assert report.added == 1
    assert _entries() == [(3, 19, "Peppe")]
    russian = "имя,день,месяц\nТатьяна,25,1\n"
    report = import_calendar(russian.encode("utf-8-sig"), country="ru", replace=False, user=manager)
    assert report.added == 1
    assert _entries("ru") == [(1, 25, "Татьяна")]


def test_a_country_column_sends_rows_to_their_country(world: Any, manager: Any) -> None:
    text = "country,month,day,name\nDK,6,24,Hans\n,3,19,Peppe\nZZZ,1,1,Nobody\n"
    report = import_calendar(text, country="it", replace=False, user=manager)
    assert report.added == 2
    assert set(report.countries) == {"dk", "it"}
    assert _entries("dk") == [(6, 24, "Hans")]
    assert _entries("it") == [(3, 19, "Peppe")]
    assert [p.line for p in report.problems] == [4]


def test_windows_1252_files_are_read(world: Any, manager: Any) -> None:
    report = import_calendar(
        "month,day,name\n1,31,Niccolò\n".encode("cp1252"), country="it", replace=False, user=manager
    )
    assert report.added == 1
    assert _entries() == [(1, 31, "Niccolò")]


def test_a_file_without_header_is_read_as_month_day_name(world: Any, manager: Any) -> None:
    report = import_calendar(
        "3,19,Peppe\n8,15,Assunta\n", country="it", replace=False, user=manager
    )
    assert report.added == 2


def test_several_names_in_one_cell(world: Any, manager: Any) -> None:
    report = import_calendar(
        'month,day,name\n6,29,"Pietro, Paolo"\n', country="it", replace=False, user=manager
    )
    assert report.added == 2
    assert _entries() == [(6, 29, "Paolo"), (6, 29, "Pietro")]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("", "The file is empty."),
        ("name,when\nPeppe,19/3\n", "The first line must name the columns"),
    ],
)
def test_an_unreadable_file_writes_nothing(world: Any, manager: Any, data: str, error: str) -> None:
    report = import_calendar(data, country="it", replace=True, user=manager)
    assert not report.ok
    assert report.error.startswith(error)
    assert NameDayEntry.objects.count() == 0


def test_an_import_needs_a_country(world: Any, manager: Any) -> None:
    report = import_calendar("3,19,Peppe\n", country="Italy", replace=False, user=manager)
    assert not report.ok
    assert NameDayEntry.objects.count() == 0


def test_too_many_rows_are_cut_and_reported(world: Any, manager: Any, monkeypatch: Any) -> None:
    from regulars.customers import namedays

    monkeypatch.setattr(namedays, "MAX_IMPORT_ROWS", 3)
    text = "month,day,name\n" + "".join(f"1,{d},Name{chr(96 + d)}\n" for d in range(1, 6))
    report = import_calendar(text, country="it", replace=False, user=manager)
    assert report.truncated
    assert report.added == 3
    assert MAX_IMPORT_ROWS == 20_000


def test_an_import_is_audited(world: Any, manager: Any) -> None:
    import_calendar("month,day,name\n3,19,Peppe\n", country="it", replace=False, user=manager)
    entry = AuditEntry.objects.get(subject="name_day")
    assert entry.action == AuditAction.IMPORT
    assert entry.actor == manager
    assert "1 added" in entry.detail


def test_imported_index_keeps_the_first_imported_day_of_a_name(world: Any, manager: Any) -> None:
    import_calendar(
        "month,day,name\n3,19,Peppe\n3,20,Peppe\n", country="it", replace=False, user=manager
    )
    assert imported_index() == {"it": {"peppe": (3, 19)}}


# --- the page -------------------------------------------------------------------------


def test_the_url_is_named() -> None:
    assert reverse("namedays:page") == URL


@pytest.mark.parametrize(
    ("persona", "status"), [("owner", 200), ("manager", 200), ("staff", 403), ("outsider", 403)]
)
def test_only_managers_see_the_page(world: Any, persona: str, status: int) -> None:
    assert world.client(persona).get(URL).status_code == status
    assert world.client(persona).post(URL, {}).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(world: Any) -> None:
    response = world.client("anonymous").get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_staff_cannot_import(world: Any) -> None:
    upload = SimpleUploadedFile("cal.csv", b"month,day,name\n3,19,Peppe\n", "text/csv")
    response = world.client("staff").post(URL, {"country": "it", "file": upload})
    assert response.status_code == 403
    assert NameDayEntry.objects.count() == 0


def test_a_manager_uploads_a_calendar_and_sees_the_report(world: Any) -> None:
    upload = SimpleUploadedFile("cal.csv", b"month,day,name\n3,19,Peppe\n2,30,Nobody\n", "text/csv")
    response = world.client("manager").post(URL, {"country": "it", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-report" in page
    assert 'data-line="3"' in page
    assert "There is no day 30 in month 2." in page
    assert _entries() == [(3, 19, "Peppe")]
    # The counts per country list Italy with one entry.
    listed = world.client("manager").get(URL).content.decode()
    assert 'data-country="it"' in listed
    shown = world.client("manager").get(URL, {"show": "it"}).content.decode()
    assert "Peppe" in shown
    assert "19 March" in shown


def test_replace_from_the_page(world: Any, manager: Any) -> None:
    import_calendar("month,day,name\n8,15,Assunta\n", country="it", replace=False, user=manager)
    upload = SimpleUploadedFile("cal.csv", b"month,day,name\n3,19,Peppe\n", "text/csv")
    response = world.client("manager").post(URL, {"country": "it", "file": upload, "replace": "on"})
    assert response.status_code == 200
    assert _entries() == [(3, 19, "Peppe")]


def test_a_country_outside_the_choices_is_refused(world: Any) -> None:
    upload = SimpleUploadedFile("cal.csv", b"month,day,name\n3,19,Peppe\n", "text/csv")
    response = world.client("manager").post(URL, {"country": "zz", "file": upload})
    assert response.status_code == 200
    assert NameDayEntry.objects.count() == 0


def test_the_lookup_shows_the_day_and_its_source(world: Any, manager: Any) -> None:
    client = world.client("manager")
    page = client.get(URL, {"name": "Giuseppe", "country": "it"}).content.decode()
    assert 'data-source="calendar"' in page
    assert "19 March" in page
    import_calendar("month,day,name\n3,20,Giuseppe\n", country="it", replace=False, user=manager)
    page = client.get(URL, {"name": "Giuseppe", "country": "it"}).content.decode()
    assert 'data-source="imported"' in page
    assert "20 March" in page
    assert "your own calendar" in page
    russian = client.get(URL, {"name": "Tatiana", "country": "ru"}).content.decode()
    assert "25 January" in russian
    missing = client.get(URL, {"name": "Zzyzx", "country": "it"}).content.decode()
    assert "has no name day" in missing


def test_the_page_speaks_the_users_language(world: Any) -> None:
    client = world.client("manager")
    page = client.get(
        URL, {"name": "Giuseppe", "country": "it"}, HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "19 марта" in page


def test_a_second_location_adds_its_country_to_the_choices(world: Any) -> None:
    LocationFactory(name="Lyon", country="FR")
    page = world.client("manager").get(URL).content.decode()
    assert 'value="fr"' in page


def test_the_page_costs_a_bounded_number_of_queries(
    world: Any, manager: Any, django_assert_max_num_queries: Any
) -> None:
    rows = "".join(f"{1 + i % 12},{1 + i % 28},Name{chr(97 + i % 26)}{i}\n" for i in range(150))
    import_calendar("month,day,name\n" + rows, country="it", replace=False, user=manager)
    client = world.client("manager")
    client.get(URL)  # the session and the user are loaded once
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"show": "it", "name": "Giuseppe", "country": "it"})
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") >= 100  # one page of entries
