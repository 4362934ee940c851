"""Recognition search, with the index filled the way the app fills it: through the
services (create, update, phones, household, tags, visits, delete, import).

Runs on SQLite (FTS5 trigram) and on PostgreSQL (pg_trgm): every expectation here is
the same on both. Expected customers are named by hand from the fixtures below, never
computed with the code under test.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from regulars import cli
from regulars.customers import services
from regulars.customers.importers.base import ImportKind
from regulars.customers.importers.runner import run_import
from regulars.customers.models import (
    Customer,
    HouseholdMember,
    Phone,
    Relation,
    SearchDoc,
    SearchTerm,
)
from regulars.customers.search import (
    index_is_missing,
    rebuild_index,
    search_customers,
)
from regulars.service.services import log_visit
from tests.conftest import World

pytestmark = pytest.mark.django_db


# --- helpers --------------------------------------------------------------------------


def add(world: World, given: str = "", family: str = "", **fields: Any) -> Customer:
    """A customer created as staff create one (the index is filled by the service)."""
    fields.setdefault("region", "IT")
    return services.create_customer(
        actor=world.users["staff"], given_name=given, family_name=family, **fields
    )


def found(text: str, **options: Any) -> list[str]:
    """The display names search returns for ``text``, best first."""
    options.setdefault("limit", 20)
    return [hit.customer.display_name for hit in search_customers(text, **options)]


def found_ids(text: str, **options: Any) -> list[int]:
    options.setdefault("limit", 20)
    return [hit.customer_id for hit in search_customers(text, **options)]


def visit(world: World, customer: Customer, *, days_ago: float, times: int = 1) -> None:
    """``times`` visits at Bologna, ``days_ago`` days ago (the owner serves everywhere)."""
    moment = timezone.now() - timedelta(days=days_ago)
    for n in range(times):
        log_visit(
            actor=world.users["owner"],
            location=world.bologna,
            customer=customer,
            at=moment - timedelta(minutes=n),
        )


def vocabulary() -> dict[str, int]:
    return dict(SearchTerm.objects.values_list("term", "entries"))


def entries() -> set[tuple[int, str, str, int | None, int]]:
    return set(
        SearchDoc.objects.values_list("customer_id", "doc", "terms", "home_location_id", "visits")
    )


# --- what matches ---------------------------------------------------------------------


@pytest.fixture
def people(world: World) -> dict[str, Customer]:
    giuseppe = add(
        world,
        "Giuseppe",
        "Verdi",
        preferred_name="Peppino",
        phones=[("+39 333 1234567", "mobile")],
        email="pixel.fan@posteo.de",
        tags=["vegano"],
    )
    services.add_fact(
        HouseholdMember,
        actor=world.users["staff"],
        customer=giuseppe,
        name="Beatrice",
        relation=Relation.CHILD,
    )
    return {
        "giuseppe": giuseppe,
        "soren": add(world, "Søren", "Nielsen", phones=[("+45 20 12 34 56", "mobile")]),
        "anna": add(world, "Anna", "Bianchi", email="anna.bianchi@example.com"),
    }


@pytest.mark.parametrize(
    "query",
    [
        "Giuseppe",  # given name
        "verdi",  # family name
        "Peppino",  # preferred name
        "Beatrice",  # a household member
        "vegano",  # a tag
        "pixel",  # the start of the email
        "pixel.fan",  # the email's local part
        "pixel.fan@posteo.de",  # the whole email
        "+39 333",  # phone, international with a plus
        "0039 333 123",  # phone, international with 00
        "333-12",  # phone, national with a dash
        "333 123 4567",  # phone, the whole national number
        "34567",  # phone, the last digits
        "(333) 1234",  # phone, with brackets
    ],
)
def test_it_finds_a_customer_by_every_word_staff_may_know(
    people: dict[str, Customer], query: str
) -> None:
    assert found(query) == ["Giuseppe Verdi"]


def test_it_finds_a_danish_number_by_its_national_digits(people: dict[str, Customer]) -> None:
    assert found("20 12 34") == ["Søren Nielsen"]
    assert found("+45 2012") == ["Søren Nielsen"]


def test_a_word_nobody_has_finds_nobody(people: dict[str, Customer]) -> None:
    assert found("Zebedeo") == []
    assert found("777 888") == []


# --- typos, accents, case, scripts -----------------------------------------------------


@pytest.fixture
def spellings(world: World) -> None:
    for given, family in [
        ("Giuseppe", "Verdi"),
        ("Olga", "Petrova"),
        ("José", "García"),
        ("Søren", "Kierkegaard"),
        ("Hans", "Müller"),
        ("Maria", "Conti"),
        ("Ольга", "Смирнова"),
        ("Sergei", "Ivanov"),
        ("Sergey", "Orlov"),
        ("Paolo", "Neri"),
    ]:
        add(world, given, family)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Giusepe", ["Giuseppe Verdi"]),  # one letter missing
        ("Guiseppe", ["Giuseppe Verdi"]),  # two letters swapped
        ("Giuzeppe", ["Giuseppe Verdi"]),  # one letter wrong
        ("Guizeppe", ["Giuseppe Verdi"]),  # two edits: a swap and a wrong letter
        # A four-letter name, one letter wrong (Ольга is an Olga too).
        ("Olha", ["Olga Petrova", "Ольга Смирнова"]),
        ("Petorva", ["Olga Petrova"]),  # a swap in the family name
    ],
)
def test_it_forgives_one_or_two_typos(spellings: None, query: str, expected: list[str]) -> None:
    assert sorted(found(query)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose", ["José García"]),
        ("JOSE GARCIA", ["José García"]),
        ("soren", ["Søren Kierkegaard"]),
        ("Soeren", ["Søren Kierkegaard"]),  # one edit away after folding
        ("MULLER", ["Hans Müller"]),
        ("müller", ["Hans Müller"]),
    ],
)
def test_it_ignores_accents_and_case(spellings: None, query: str, expected: list[str]) -> None:
    assert found(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Мария", {"Maria Conti"}),
        ("olga", {"Olga Petrova", "Ольга Смирнова"}),
        ("Ольга", {"Olga Petrova", "Ольга Смирнова"}),
        ("smirnova", {"Ольга Смирнова"}),
        ("Сергей", {"Sergei Ivanov", "Sergey Orlov"}),
        ("sergej", {"Sergei Ivanov", "Sergey Orlov"}),
        ("Иванов", {"Sergei Ivanov"}),
    ],
)
def test_it_finds_names_across_scripts_both_ways(
    spellings: None, query: str, expected: set[str]
) -> None:
    hits = found(query)
    assert sorted(hits) == sorted(expected)


# --- short queries --------------------------------------------------------------------


def test_queries_shorter_than_a_trigram_still_find_customers(world: World) -> None:
    add(world, "Marco", "Rossi")
    add(world, "Giulia", "Rossi")
    add(world, "Anna", "Marini")
    add(world, "Paolo", "Neri")

    assert sorted(found("ma")) == ["Anna Marini", "Marco Rossi"]
    assert sorted(found("m")) == ["Anna Marini", "Marco Rossi"]
    assert found("g r") == ["Giulia Rossi"]
    assert found("ne") == ["Paolo Neri"]
    # Two letters match the start of a word only: "ri" is inside Marini and Neri.
    assert found("ri") == []


# --- ranking --------------------------------------------------------------------------


def test_regulars_here_come_first_then_recent_customers_then_the_rest(world: World) -> None:
    stranger = add(world, "Carla", "Ferri")  # never seen, based nowhere
    old_friend = add(world, "Dario", "Ferri")
    visit(world, old_friend, days_ago=200)  # seen, but long ago
    recent = add(world, "Elena", "Ferri", home_location=world.copenhagen)
    visit(world, recent, days_ago=2)  # seen lately, based elsewhere
    regular = add(world, "Bruno", "Ferri", home_location=world.bologna)
    visit(world, regular, days_ago=40, times=3)  # a regular here, not seen as lately
    copenhagen_regular = add(world, "Frida", "Ferri", home_location=world.copenhagen)
    visit(world, copenhagen_regular, days_ago=30, times=4)

    at_bologna = found("ferri", location=world.bologna)
    assert at_bologna[:2] == ["Bruno Ferri", "Elena Ferri"]
    assert set(at_bologna[2:]) == {"Carla Ferri", "Dario Ferri", "Frida Ferri"}
    assert stranger.display_name in at_bologna

    at_copenhagen = found("ferri", location=world.copenhagen)
    # Copenhagen's regular is first there; Elena is based there and seen lately.
    assert at_copenhagen[:2] == ["Frida Ferri", "Elena Ferri"]


def test_an_exact_own_name_beats_a_household_name_at_equal_familiarity(world: World) -> None:
    own = add(world, "Chiara", "Verdi")
    relative = add(world, "Paolo", "Neri")
    # Created after Chiara, so recency alone would put Paolo first.
    services.add_fact(HouseholdMember, actor=world.users["staff"], customer=relative, name="Chiara")

    assert found_ids("chiara") == [own.pk, relative.pk]


def test_the_order_is_stable_and_ties_are_settled_by_id(world: World) -> None:
    moment = timezone.now() - timedelta(days=3)
    twins = [add(world, "Luca", "Bianchi") for _ in range(5)]
    for twin in twins:
        # All seen in the same minute: nothing but the id tells them apart.
        log_visit(actor=world.users["owner"], location=world.bologna, customer=twin, at=moment)

    first = found_ids("luca bianchi", location=world.bologna)
    second = found_ids("luca bianchi", location=world.bologna)

    assert first == second
    assert sorted(first) == sorted(t.pk for t in twins)
    assert first == sorted(first, reverse=True)


def test_limit_caps_the_hits(world: World) -> None:
    for n in range(6):
        add(world, "Teresa", f"Fabbri{'abcdef'[n]}")
    assert len(search_customers("teresa", limit=4)) == 4
    assert search_customers("teresa", limit=0) == []


# --- the index follows every change ------------------------------------------------------


def test_a_new_customer_is_found_at_once(world: World) -> None:
    assert found("Ludovico") == []
    add(world, "Ludovico", "Bruni")
    assert found("Ludovico") == ["Ludovico Bruni"]


def test_a_renamed_customer_is_found_by_the_new_name_only(world: World) -> None:
    customer = add(world, "Ludovico", "Bruni")
    services.update_customer(
        actor=world.users["staff"], customer=customer, changes={"given_name": "Teodoro"}
    )

    assert found("Teodoro") == ["Teodoro Bruni"]
    assert found("Ludovico") == []
    assert "ludovico" not in vocabulary()
    assert vocabulary()["teodoro"] == 1


def test_phones_added_and_removed_are_found_and_forgotten(world: World) -> None:
    customer = add(world, "Ludovico", "Bruni")
    assert found("347 555") == []

    phone = services.add_phone(
        actor=world.users["staff"], customer=customer, raw="347 555 0101", region="IT"
    )
    assert found("347 555") == ["Ludovico Bruni"]
    assert found("+39 347-555") == ["Ludovico Bruni"]

    services.remove_fact(actor=world.users["staff"], fact=Phone.objects.get(pk=phone.pk))
    assert found("347 555") == []


def test_household_members_added_and_removed_are_found_and_forgotten(world: World) -> None:
    customer = add(world, "Ludovico", "Bruni")
    member = services.add_fact(
        HouseholdMember, actor=world.users["staff"], customer=customer, name="Ottilia"
    )
    assert found("Ottilia") == ["Ludovico Bruni"]
    assert found("Otilia") == ["Ludovico Bruni"]

    services.remove_fact(actor=world.users["staff"], fact=member)
    assert found("Ottilia") == []
    # The name leaves the typo vocabulary with its only entry.
    assert "otilia" not in vocabulary()


def test_tags_set_and_cleared_are_found_and_forgotten(world: World) -> None:
    customer = add(world, "Ludovico", "Bruni")
    services.set_tags(actor=world.users["staff"], customer=customer, names=["Cioccolato"])
    assert found("cioccolato") == ["Ludovico Bruni"]

    services.set_tags(actor=world.users["staff"], customer=customer, names=[])
    assert found("cioccolato") == []


def test_a_deleted_customer_leaves_the_index_and_their_own_words_the_vocabulary(
    world: World,
) -> None:
    gone = add(world, "Ludovico", "Bruni")
    add(world, "Marta", "Bruni")
    assert vocabulary()["bruni"] == 2

    services.delete_customer(actor=world.users["owner"], customer=gone)

    assert found("bruni") == ["Marta Bruni"]
    assert found("Ludovico") == []
    assert not SearchDoc.objects.filter(customer_id=gone.pk).exists()
    assert "ludovico" not in vocabulary()
    assert vocabulary()["bruni"] == 1  # Marta still has it
    assert vocabulary()["marta"] == 1


def test_a_deletion_outside_the_services_also_clears_the_vocabulary(world: World) -> None:
    gone = add(world, "Ludovico", "Bruni")
    Customer.objects.filter(pk=gone.pk).delete()

    assert found("Ludovico") == []
    assert vocabulary() == {}


def test_a_visit_moves_a_customer_up_in_recency(world: World) -> None:
    earlier = add(world, "Irene", "Galli")
    later = add(world, "Nadia", "Galli")
    # Same familiarity (none), same match: the more recently seen comes first.
    assert found_ids("galli") == [later.pk, earlier.pk]

    log_visit(actor=world.users["owner"], location=world.bologna, customer=earlier)

    assert found_ids("galli") == [earlier.pk, later.pk]
    assert SearchDoc.objects.get(customer=earlier).visits == 1


def test_a_rolled_back_write_leaves_the_index_as_it_was(world: World) -> None:
    customer = add(world, "Ludovico", "Bruni", phones=[("347 555 0101", "mobile")])
    before = (entries(), vocabulary())

    @transaction.atomic
    def failing_write() -> None:
        services.update_customer(
            actor=world.users["staff"], customer=customer, changes={"given_name": "Teodoro"}
        )
        services.add_fact(
            HouseholdMember, actor=world.users["staff"], customer=customer, name="Ottilia"
        )
        add(world, "Rosalba", "Conte")
        assert found("Teodoro") == ["Teodoro Bruni"]  # seen inside the transaction
        raise RuntimeError("the write fails after the index was updated")

    with pytest.raises(RuntimeError, match="after the index was updated"):
        failing_write()

    assert (entries(), vocabulary()) == before
    assert found("Ludovico") == ["Ludovico Bruni"]
    assert found("Teodoro") == []
    assert found("Ottilia") == []
    assert found("Rosalba") == []


# --- rebuilding -----------------------------------------------------------------------

QUERIES = [
    "giusepe",
    "verdi",
    "ma",
    "m",
    "olha",
    "Мария",
    "sergei",
    "+39 333",
    "4567",
    "beatrice",
    "vip",
    "pixel",
    "g v",
    "ferri",
]


@pytest.fixture
def business(world: World) -> list[Customer]:
    staff = world.users["staff"]
    giuseppe = add(
        world,
        "Giuseppe",
        "Verdi",
        home_location=world.bologna,
        phones=[("+39 333 1234567", "mobile")],
        email="pixel@example.com",
        tags=["VIP"],
    )
    services.add_fact(HouseholdMember, actor=staff, customer=giuseppe, name="Beatrice")
    visit(world, giuseppe, days_ago=5, times=3)
    olga = add(world, "Ольга", "Смирнова", phones=[("+7 916 123-45-67", "mobile")], region="RU")
    visit(world, olga, days_ago=90)
    customers = [giuseppe, olga]
    for given, family in [
        ("Maria", "Ferri"),
        ("Marco", "Ferri"),
        ("Sergey", "Volkov"),
        ("Gina", "Vitale"),
    ]:
        customers.append(add(world, given, family, home_location=world.copenhagen))
    visit(world, customers[-1], days_ago=1)
    return customers


def results(location: Any) -> list[list[int]]:
    return [found_ids(q, location=location) for q in QUERIES]


def test_a_rebuild_gives_the_same_index_and_results_as_the_incremental_one(
    world: World, business: list[Customer]
) -> None:
    before = (results(world.bologna), results(None), entries(), vocabulary())
    # Every query finds someone: the comparison below compares real results.
    assert all(before[0])

    assert rebuild_index() == len(business)

    assert (results(world.bologna), results(None), entries(), vocabulary()) == before


def test_the_index_keeps_working_incrementally_after_a_rebuild(world: World) -> None:
    add(world, "Ludovico", "Bruni")
    rebuild_index()
    add(world, "Ottilia", "Bruni")
    customer = Customer.objects.get(given_name="Ludovico")
    services.delete_customer(actor=world.users["owner"], customer=customer)

    assert found("bruni") == ["Ottilia Bruni"]
    assert found("ludovco") == []
    assert vocabulary() == {"bruni": 1, "otilia": 1}


def test_regulars_reindex_rebuilds_and_prints_the_count(
    world: World, business: list[Customer], capsys: pytest.CaptureFixture[str]
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_searchdoc")
        cursor.execute("DELETE FROM customers_searchterm")
    assert found("verdi") == []

    assert cli.main(["reindex", "--quiet"]) == 0

    out = capsys.readouterr()
    assert out.out.startswith(f"Indexed {len(business)} customers in ")
    assert out.err == ""
    assert found("verdi") == ["Giuseppe Verdi"]
    assert SearchDoc.objects.count() == len(business)


def test_the_index_is_missing_when_customers_have_no_entries(world: World) -> None:
    assert index_is_missing() is False  # no customers, nothing to index
    add(world, "Ludovico", "Bruni")
    assert index_is_missing() is False
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_searchdoc")
    assert index_is_missing() is True
    rebuild_index()
    assert index_is_missing() is False
    assert found("ludovico") == ["Ludovico Bruni"]


# --- the importer -----------------------------------------------------------------------

CSV = """\
Customer ID,First Name,Last Name,Email,Phone,Tags
C1,Ermenegildo,Zanetti,ermes@example.com,+39 333 7654321,caffè
C2,Анастасия,Кузнецова,,+7 916 765-43-21,
"""


def test_imported_customers_are_found(world: World, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(CSV, encoding="utf-8")

    summary = run_import(
        kind=ImportKind.CUSTOMERS, path=path, location=world.bologna, actor=world.users["owner"]
    )

    assert summary.created == 2
    assert found("Ermenegildo") == ["Ermenegildo Zanetti"]
    assert found("Ermenegido") == ["Ermenegildo Zanetti"]  # a typo, from the vocabulary
    assert found("333 765") == ["Ermenegildo Zanetti"]
    assert found("caffe") == ["Ermenegildo Zanetti"]
    assert found("anastasia kuznetsova") == ["Анастасия Кузнецова"]
    assert found("8 916 765") == ["Анастасия Кузнецова"]


# --- bad input ---------------------------------------------------------------------------


@pytest.fixture
def few(world: World) -> None:
    add(world, "Mario", "Rossi", phones=[("+39 333 1234567", "mobile")])
    add(world, "Giulia", "Bianchi")
    add(world, "Anna", "Conti")


SYNTAX = ['"', "*", "NEAR", "'--", "%", "_", "AND OR NOT", "^", ":", "(", ")", "-", "+", "'"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\t\n  \r",
        "\x00\x07\x1b[2J",
        "ь",
        "Ъ",
        "🙂",
        "🙂🍕",
        "\u200b\u200d",
        "🍕" * 10_000,
        "x" * 10_000,
        "' OR 1=1 --",
        "'; DROP TABLE customers_searchdoc; --",
        'doc:"x" OR "y"',
        "NEAR(mario rossi, 2)",
        *SYNTAX,
    ],
)
def test_bad_input_never_raises_and_finds_no_one_it_should_not(few: None, text: str) -> None:
    hits = search_customers(text, limit=50)

    # None of these holds a word any of the three customers has.
    assert hits == []
    assert SearchDoc.objects.count() == 3  # the index survived


def test_ten_thousand_letters_are_cut_to_what_they_mean(few: None) -> None:
    # 10,000 a's fold to one word "a": the customers with a word starting with a.
    assert found("a" * 10_000) == ["Anna Conti"]
    assert found("rossi " * 2_000) == ["Mario Rossi"]


@pytest.mark.parametrize("syntax", SYNTAX)
def test_syntax_around_a_name_is_ignored(few: None, syntax: str) -> None:
    # Syntax that is also a word (NEAR, AND OR NOT) is searched as a word: nobody has it.
    expected = [] if any(ch.isalpha() for ch in syntax) else ["Mario Rossi"]
    for text in (f"rossi{syntax}", f"{syntax}rossi", f"{syntax} rossi {syntax}"):
        assert found(text) == expected, text


def test_phone_digits_with_syntax_are_still_a_phone(few: None) -> None:
    assert found("+39 (333) 123-45") == ["Mario Rossi"]
    assert found("333%") == ["Mario Rossi"]
    assert found("%_333") == ["Mario Rossi"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Марио Rossi", ["Mario Rossi"]),  # mixed scripts, one name each
        ("🍕 rossi 🍕", ["Mario Rossi"]),
        ("ro\u200bssi", ["Mario Rossi"]),  # a zero-width space inside the word
        ("rossi\x00\x07", ["Mario Rossi"]),
        ("Rоssi", ["Mario Rossi"]),  # a Cyrillic о inside a Latin word
    ],
)
def test_odd_but_meaningful_input_finds_the_customer(
    few: None, text: str, expected: list[str]
) -> None:
    assert found(text) == expected


def test_a_query_does_a_bounded_number_of_queries_whatever_the_hits(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        add(world, "Sofia", f"Greco{n}")
    with django_assert_max_num_queries(4):
        hits = search_customers("sofia", location=world.bologna, limit=20)
    assert len(hits) == 20
