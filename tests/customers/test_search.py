"""Recognition search, with the index filled the way the app fills it: through the
services (create, update, phones, household, tags, visits, delete, import).

Runs on SQLite (FTS5 trigram) and on PostgreSQL (pg_trgm): every expectation here is
the same on both. Expected customers are named by hand from the fixtures below, never
computed with the code under test.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
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
    SearchIndexFormat,
    SearchTerm,
)
from regulars.customers.search import (
    backends,
    documents,
    index,
    index_is_stale,
    rebuild_index,
    search_customers,
)
from regulars.customers.search.backends import Term, backend, word_starts
from regulars.service.services import log_visit
from regulars.text.normalise import words
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


def entries() -> set[tuple[int, str, str, str, int | None, int]]:
    return set(
        SearchDoc.objects.values_list(
            "customer_id", "doc", "starts", "terms", "home_location_id", "visits"
        )
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


def test_a_number_ending_in_00_digits_is_found_by_its_typed_ending(world: World) -> None:
    ending = add(world, "Irene", "Galli", phones=[("+39 333 1006874", "mobile")])
    for n in range(3):  # numbers ending in 6874 without the 00 before it
        add(world, "Altro", f"Cliente{n}", phones=[(f"+39 333 12{n}6874", "mobile")])
    assert found_ids("006874")[0] == ending.pk
    assert found_ids("1006874") == [ending.pk]


def test_a_swapped_pair_of_letters_is_corrected_among_many_similar_words(world: World) -> None:
    marta = add(world, "Marta", "Conti")
    for family in ("Martorana", "Marini", "Mariani", "Amato", "Ratti", "Rota"):
        add(world, "Mara", family)
    assert found_ids("mrata conti") == [marta.pk]
    assert found_ids("mrata")[0] == marta.pk


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


def test_each_typed_word_needs_a_word_of_its_own(world: World) -> None:
    """ "михаил михайлников" names Михаил, not every Михайлников: one family name
    starting with both typed words does not make a full match."""
    mikhail = add(world, "Михаил", "Михайлников", home_location=world.copenhagen)
    relative = add(world, "Юрий", "Михайлников", home_location=world.bologna)
    visit(world, relative, days_ago=1, times=5)  # a regular here, seen yesterday

    hits = found_ids("михаил михайлников", location=world.bologna)
    assert hits[0] == mikhail.pk
    assert relative.pk in hits  # still shown, after the full match
    # A typed word that only fits inside the word another typed word starts still
    # finds the customer ("mc donald" for McDonald).
    mcdonald = add(world, "Ronald", "McDonald")
    assert found_ids("mc donald") == [mcdonald.pk]


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


def test_the_index_is_stale_when_customers_have_no_entries(world: World) -> None:
    assert index_is_stale() is False  # no customers, nothing to index
    add(world, "Ludovico", "Bruni")
    assert index_is_stale() is False
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_searchdoc")
    assert index_is_stale() is True
    rebuild_index()
    assert index_is_stale() is False
    assert found("ludovico") == ["Ludovico Bruni"]


def test_the_index_is_stale_when_written_in_an_older_format(world: World) -> None:
    add(world, "Ludovico", "Bruni")
    # Written by this code: the first entries recorded the format.
    assert SearchIndexFormat.objects.get().format == documents.INDEX_FORMAT
    SearchIndexFormat.objects.update(format=documents.INDEX_FORMAT - 1)  # an older release
    add(world, "Carla", "Bruni")  # new entries do not make the old ones current
    assert index_is_stale() is True
    rebuild_index()
    assert SearchIndexFormat.objects.get().format == documents.INDEX_FORMAT
    assert index_is_stale() is False


def test_regulars_migrate_rebuilds_a_stale_index(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    bruni = add(world, "Ludovico", "Bruni")
    SearchIndexFormat.objects.update(format=documents.INDEX_FORMAT - 1)
    with connection.cursor() as cursor:  # the entry as an older format wrote it
        cursor.execute(
            "UPDATE customers_searchdoc SET doc = ' ludovico ~ ' WHERE customer_id = %s",
            [bruni.pk],
        )
    assert found("bruni") == []
    cli._reindex_if_stale()
    assert "Indexed 1 customers." in capsys.readouterr().out
    assert found("bruni") == ["Ludovico Bruni"]
    assert index_is_stale() is False


def stored_index() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every column of every entry and vocabulary word, as stored."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key, customer_id, doc, terms, home_location_id, visits "
            "FROM customers_searchdoc ORDER BY customer_id"
        )
        docs = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("SELECT term, entries FROM customers_searchterm ORDER BY term")
        return docs, [tuple(row) for row in cursor.fetchall()]


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rebuilds of any size build their entries in a child process, two customers per
    batch (so several batches cross the pipe); the list counts the children started."""
    if not index._can_fork():
        pytest.skip("this platform cannot fork a second process")
    started: list[int] = []
    real = index._map_in_child

    def counted(function: Any, items: Any) -> Any:
        started.append(1)
        return real(function, items)

    monkeypatch.setattr(index, "_map_in_child", counted)
    monkeypatch.setattr(index, "PARALLEL_MIN_CUSTOMERS", 1)
    monkeypatch.setattr(index, "REBUILD_BATCH", 2)
    return started


def test_a_rebuild_in_a_second_process_stores_exactly_what_one_in_process_stores(
    world: World, business: list[Customer], forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    services.add_fact(HouseholdMember, actor=world.users["staff"], customer=business[2], name="Ugo")
    monkeypatch.setattr(index, "PARALLEL_MIN_CUSTOMERS", len(business) + 1)
    assert rebuild_index() == len(business)
    in_process = stored_index()
    assert forked == []
    assert len(in_process[0]) == len(business)

    monkeypatch.setattr(index, "PARALLEL_MIN_CUSTOMERS", len(business))
    assert rebuild_index() == len(business)

    assert forked == [1]
    assert stored_index() == in_process
    assert found_ids("verdi") == [business[0].pk]
    assert found_ids("ugo") == [business[2].pk]


def test_a_failure_in_the_second_process_leaves_the_old_index(
    world: World, business: list[Customer], forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_index()

    def broken(source: Any) -> Any:
        raise ValueError("a bug in building entries")

    monkeypatch.setattr(index, "_rows_of", broken)
    with pytest.raises(RuntimeError, match="a bug in building entries"):
        rebuild_index()

    assert forked == [1]
    assert stored_index() == before
    assert found("verdi") == ["Giuseppe Verdi"]


def test_entries_of_ids_read_as_a_range_leave_out_the_ids_not_asked_for(
    world: World, business: list[Customer]
) -> None:
    ids = sorted(c.pk for c in business)
    asked = [ids[0], ids[2], ids[3], ids[5]]  # a range with gaps: read as one range

    assert [e.customer_id for e in documents.build_entries(asked)] == asked
    assert [e.customer_id for e in documents.build_entries([ids[0], ids[5] + 10**6])] == [ids[0]]


@pytest.mark.parametrize(
    "email",
    [
        "pixel.fan@posteo.de",
        "giuseppe.verdi83@example.it",
        "x1y2z3@mail.com",
        "jack99@example.com",
        "phil.kh2@x.org",
        "Søren.Ølgaard7@eksempel.dk",
        "мария.иванова12@пример.рф",
        "o'brien 2024@x.ie",
        "1234@5678.99",
    ],
)
def test_email_words_are_the_words_of_the_email(email: str) -> None:
    """The index caches skeletons by the word without its trailing digits; that must
    give what ``words`` gives (it would not if a skeleton rule involved digits)."""
    assert documents.email_words(email) == words(email)
    assert documents.email_words(email) == documents.email_words(email)  # cached


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


def _vocabulary_lookups(text: str) -> tuple[list[int], int]:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        ids = found_ids(text, limit=5)
    return ids, sum("customers_searchterm" in q["sql"] for q in captured.captured_queries)


def test_words_matched_exactly_as_typed_pay_for_no_typo_lookups(world: World) -> None:
    chiara = add(world, "Chiara", "Verdi", email="chiara.verdi77@example.it")
    add(world, "Chiara", "Verdini")

    assert _vocabulary_lookups("chiara verdi") == ([chiara.pk, chiara.pk + 1], 0)
    assert _vocabulary_lookups("chiara.verdi77") == ([chiara.pk], 0)
    # A typo, and a prefix that is not a whole word, still look for corrections.
    ids, lookups = _vocabulary_lookups("chiara vedri")
    assert chiara.pk in ids
    assert lookups > 0
    assert _vocabulary_lookups("chiar")[1] > 0


def test_each_vocabulary_lookup_runs_once_per_search(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "zuldrumbo" matches nothing, as typed or corrected: both typo stages run, and the
    # second (two edits, every word) reuses what the first looked up about zuldrumbo.
    add(world, "Marta", "Conti")
    engine = type(backend())
    asked: list[tuple[str, str]] = []
    for name in ("similar_terms", "containing"):
        method = getattr(engine, name)

        def counting(self: Any, *args: Any, _name: str = name, _method: Any = method) -> Any:
            asked.append((_name, args[-2] if _name == "similar_terms" else args[0]))
            return _method(self, *args)

        monkeypatch.setattr(engine, name, counting)

    assert found("zuldrumbo conti") == []
    assert sorted(asked) == [
        ("containing", "conti"),
        ("containing", "zuldrumbo"),
        ("similar_terms", "conti"),
        ("similar_terms", "zuldrumbo"),
    ]


def _similar_terms_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    engine = type(backend())
    method = engine.similar_terms
    asked: list[str] = []

    def counting(self: Any, trigrams: Any, word: str, limit: int) -> list[str]:
        asked.append(word)
        return method(self, trigrams, word, limit)

    monkeypatch.setattr(engine, "similar_terms", counting)
    return asked


def test_four_letters_starting_a_known_name_are_not_corrected_while_someone_matches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    marta = add(world, "Marta", "Conti")
    add(world, "Martina", "Rossi")
    asked = _similar_terms_asked(monkeypatch)

    assert found_ids("mart cont") == [marta.pk]
    assert asked == []  # both are starts of names: still being typed
    # A mistyped start that starts no name is corrected (marv → mart).
    assert found_ids("marv cont") == [marta.pk]
    assert asked == ["marv"]


def test_a_start_taken_as_typed_right_is_corrected_when_nobody_matches(world: World) -> None:
    # "mari" starts Mario, so it waits; with "conti" it matches nobody as typed, and
    # the last stage corrects it to the start of Marta.
    marta = add(world, "Marta", "Conti")
    add(world, "Mario", "Rossi")
    assert found_ids("mari conti") == [marta.pk]


def test_known_names_are_corrected_when_nobody_matches_them_together(world: World) -> None:
    # Both words are known names (Marta, Conti), so neither is corrected while someone
    # matches; nobody is Marta Conti, and the last stage finds Marta Conte.
    conte = add(world, "Marta", "Conte")
    add(world, "Paolo", "Conti")
    assert found_ids("marta conti") == [conte.pk]


# --- the backends' plans --------------------------------------------------------------


def test_a_word_with_digits_is_found_as_written(world: World) -> None:
    # A text-search parser would read "1e5abc" as the number 1e5 and the word "abc".
    add(world, "Ugo", "Neri", email="1e5abc@posteo.de")
    add(world, "Ida", "Neri", email="abc@posteo.de")

    assert found("1e5ab") == ["Ugo Neri"]
    assert found("1e5abc") == ["Ugo Neri"]
    assert found("1e5") == ["Ugo Neri"]


@pytest.mark.parametrize(
    ("probe_rows", "gin_row_cost"),
    [(1_000, 1.0), (2, 0.0), (2, 1e9)],
    ids=["as-tuned", "word-index", "walk"],
)
def test_matching_gives_the_most_recent_matches_whatever_the_plan(
    world: World, monkeypatch: pytest.MonkeyPatch, probe_rows: int, gin_row_cost: float
) -> None:
    # PostgreSQL picks a plan by the share of matches among the most recent entries
    # (SQLite has one plan); every plan must give the same entries in the same order.
    # Terms are normalised words: "Rossi" is indexed as "rosi", "Bianchi" as "bianci".
    monkeypatch.setattr(backends, "PROBE_ROWS", probe_rows)
    monkeypatch.setattr(backends, "GIN_ROW_COST", gin_row_cost)
    people = {
        name: add(world, *name.split())
        for name in (
            "Mara Rossi",
            "Marco Bianchi",
            "Ada Marini",
            "Maria Rossi",
            "Paolo Neri",
            "Marta Rossetti",
            "Omar Rossi",
            "Marisa Bianchi",
        )
    }
    for days_ago, name in enumerate(people):
        visit(world, people[name], days_ago=10 - days_ago)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_searchdoc")  # the walk needs a known size

    def matching(*clauses: list[Term], limit: int = 3) -> list[str]:
        return [
            Customer.objects.get(pk=c.customer_id).display_name
            for c in backend().matching(clauses, limit)
        ]

    assert matching([Term("mar", prefix=True)]) == [
        "Marisa Bianchi",
        "Marta Rossetti",
        "Maria Rossi",
    ]
    assert matching([Term("mar", prefix=True)], limit=20) == [
        "Marisa Bianchi",
        "Marta Rossetti",
        "Maria Rossi",
        "Ada Marini",
        "Marco Bianchi",
        "Mara Rossi",
    ]
    assert matching([Term("mar", prefix=True)], [Term("rosi", prefix=False)]) == [
        "Maria Rossi",
        "Mara Rossi",
    ]
    assert matching(
        [Term("omar", prefix=False), Term("marc", prefix=True)],
        [Term("bianci", prefix=False), Term("ros", prefix=True)],
    ) == ["Omar Rossi", "Marco Bianchi"]
    assert matching([Term("mari", prefix=False)]) == []
    assert matching([Term("ros", prefix=True)], [Term("nobody", prefix=True)]) == []


# --- how the entries are stored -------------------------------------------------------


def test_word_starts_are_the_first_two_to_four_letters_of_each_word_once() -> None:
    # Words starting with a digit, one letter or the others mark have none; "ab1c"
    # starts with two letters only; giulia's first three starts are giuseppe's.
    assert word_starts(" giuseppe al 3912 ab1c ~ giulia x ") == "^gi ^giu ^gius ^al ^ab ^giul"
    assert word_starts(" ~ 39 ") == ""


def test_entries_store_their_word_starts_where_the_word_index_reads_them(
    people: dict[str, Customer],
) -> None:
    stored = SearchDoc.objects.get(customer=people["soren"]).starts
    if connection.vendor == "postgresql":
        assert set(stored.split()) == {"^so", "^sor", "^sore", "^ni", "^nie", "^niel"}
    else:  # FTS5 keeps prefix indexes of its own
        assert stored == ""


def test_the_word_starts_migration_stores_the_starts_written_entries_have(
    people: dict[str, Customer], world: World
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the migration fills the word starts on PostgreSQL only")
    add(world, "Ab1c", "Ugo-Neri", phones=[("+39 02 1234 5678", "home")], tags=["x", "vip2"])
    written = dict(SearchDoc.objects.values_list("customer_id", "starts"))
    migration = importlib.import_module(
        "regulars.customers.migrations.0007_search_word_starts_stored"
    )
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL_STARTS)
    filled = dict(SearchDoc.objects.values_list("customer_id", "starts"))
    assert len(written) == 4
    assert {k: set(v.split()) for k, v in filled.items()} == {
        k: set(v.split()) for k, v in written.items()
    }


def test_a_rebuild_leaves_foreign_keys_checked_at_commit(world: World) -> None:
    add(world, "Ugo", "Neri")
    rebuild_index()
    with connection.cursor() as cursor:  # an entry of nobody: accepted until the check
        cursor.execute(
            "INSERT INTO customers_searchdoc (key, customer_id, doc, terms, visits) "
            "VALUES (2147483647, 2147483647, ' ugo ', '', 0)"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        connection.check_constraints()
    SearchDoc.objects.filter(customer_id=2147483647).delete()  # the test's own teardown checks


def test_a_rebuild_leaves_the_fts5_index_merged_and_merging_as_it_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("FTS5 is the SQLite backend's index")
    # One customer per batch, each seen before the one added before: every batch
    # starts below the last one's keys, so FTS5 writes each as a segment of its own.
    for days_ago, name in enumerate(("Ugo Neri", "Ada Marini", "Omar Rossi"), start=1):
        visit(world, add(world, *name.split()), days_ago=days_ago)
    monkeypatch.setattr(index, "REBUILD_BATCH", 1)
    rebuild_index()
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM customers_search_fts_config WHERE k = 'automerge'")
        assert cursor.fetchall() == [(4,)]  # the rebuild turned it off while writing
        # One segment after the rebuild's merge: the structure record lists each.
        cursor.execute("SELECT count(*) FROM customers_search_fts_idx")
        assert cursor.fetchone() == (1,)
