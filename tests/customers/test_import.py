"""Importing customers and visits from CSV files (customers.importers)."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from regulars.core.models import AuditAction, AuditEntry, Source
from regulars.customers.importers.base import ImportFailure, ImportKind, ImportSummary
from regulars.customers.importers.runner import default_report_path, run_import
from regulars.customers.models import Customer, Phone, Tag
from regulars.service.models import Visit
from tests.conftest import World
from tests.factories import CustomerFactory, PhoneFactory

CUSTOMERS = """\
Customer ID,First Name,Last Name,Email,Phone,Birthday,Tags,Notes
C1,Mario,Rossi,mario@example.com,+39 333 1234567,31/03/1985,VIP;caffè,Window seat
C2,Giulia,Bianchi,GIULIA@Example.com,0039 3331234568,1990-07-14,,
C3,José,García,jose@example.es,not a phone,31/02/1990,,
C4,Søren,Nielsen,,+45 20 12 34 56,05.05.1979,,
C5,,,,,,,
C6,Анна,Иванова,anna@example.ru,+7 916 123-45-67,,чай,Любит чай 🍋
"""


def write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    """The report's rows; it may hold a huge cell of the input, so the csv module's
    limit is raised while reading (and put back: it is global)."""
    previous = csv.field_size_limit(16 << 20)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    finally:
        csv.field_size_limit(previous)


def import_customers(path: Path, world: World, **options: Any) -> ImportSummary:
    options.setdefault("location", world.bologna)
    return run_import(kind=ImportKind.CUSTOMERS, path=path, **options)


def snapshot() -> list[tuple[Any, ...]]:
    """The content of customer memory, without ids, public ids or timestamps."""
    rows = []
    for customer in Customer.objects.prefetch_related("phones", "tags").order_by(
        "external_ref", "family_name", "given_name"
    ):
        rows.append(
            (
                customer.external_ref,
                customer.given_name,
                customer.family_name,
                customer.email,
                customer.notes,
                (customer.birth_day, customer.birth_month, customer.birth_year),
                customer.import_key,
                sorted(p.number for p in customer.phones.all()),
                sorted(t.name for t in customer.tags.all()),
                sorted(customer.provenance),
            )
        )
    return rows


def test_it_imports_every_good_row_and_reports_every_bad_one(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, CUSTOMERS)
    summary = import_customers(path, world, actor=world.users["owner"])

    assert (summary.rows, summary.created, summary.bad) == (6, 4, 2)
    names = sorted(Customer.objects.values_list("given_name", flat=True))
    assert names == ["Giulia", "Mario", "Søren", "Анна"]
    mario = Customer.objects.get(external_ref="C1")
    assert (mario.birth_day, mario.birth_month, mario.birth_year) == (31, 3, 1985)
    assert list(mario.phones.values_list("number", flat=True)) == ["+393331234567"]
    assert sorted(mario.tags.values_list("name", flat=True)) == ["VIP", "caffè"]
    assert Customer.objects.get(external_ref="C2").email == "giulia@example.com"
    assert Customer.objects.get(external_ref="C6").notes == "Любит чай 🍋"

    report = read_report(default_report_path(path))
    assert [(r["line"], r["column"]) for r in report] == [
        ("4", "Birthday"),
        ("4", "Phone"),
        ("6", ""),
    ]
    assert "not a phone" in report[1]["reason"]
    assert "31/02/1990" in report[0]["reason"]
    assert report[2]["reason"] == "This row has no name."
    assert report[0]["First Name"] == "José"  # the raw row follows, under its own header


def test_imported_facts_carry_their_provenance_and_one_audit_entry_per_run(
    world: World, tmp_path: Path
) -> None:
    owner = world.users["owner"]
    import_customers(write(tmp_path, CUSTOMERS), world, actor=owner)

    mario = Customer.objects.get(external_ref="C1")
    assert mario.provenance["given_name"]["source"] == Source.IMPORTED
    assert mario.provenance["given_name"]["by"] == owner.pk
    assert mario.home_location == world.bologna
    phone = mario.phones.get()
    assert (phone.source, phone.entered_by) == (Source.IMPORTED, owner)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.subject) == (AuditAction.IMPORT, owner, "customer")
    assert "created=4" in entry.detail
    assert "bad=2" in entry.detail


def test_running_the_same_file_again_creates_no_duplicates(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, CUSTOMERS + ",Senza,Chiavi,,,,,\n")
    first = import_customers(path, world)
    before = snapshot()
    second = import_customers(path, world)

    assert first.created == 5
    assert (second.created, second.merged, second.duplicates, second.bad) == (0, 0, 5, 2)
    assert snapshot() == before
    assert Phone.objects.count() == 4


def test_an_interrupted_import_run_again_ends_like_one_clean_run(
    world: World, tmp_path: Path
) -> None:
    lines = ["Customer ID,First Name,Last Name,Email,Phone,Tags,Notes"]
    for i in range(40):
        # Every fifth row repeats an earlier customer (same phone, other format) and
        # brings a note and a tag: merged rows must end up the same too.
        if i % 5 == 4:
            j = i - 3
            lines.append(f",Again{j},,,0039 333 {j:07d},late,note {j}")
        elif i % 7 == 0:
            lines.append(f",Nokey{i},Person,,,,")  # no key: found again by content
        else:
            lines.append(f"P{i},Name{i},Family{i},p{i}@example.com,+39 333 {i:07d},t{i % 3},")
    path = write(tmp_path, "\n".join(lines) + "\n")

    class Killed(Exception):
        pass

    batches = 0

    def die_after_three_batches(done: int, total: int, summary: ImportSummary) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise Killed

    with pytest.raises(Killed):
        import_customers(path, world, batch_size=4, progress=die_after_three_batches)
    # Three batches of four rows committed (two of the twelve merged), no more.
    assert Customer.objects.count() == 10
    import_customers(path, world, batch_size=4)
    resumed = snapshot()

    Customer.objects.all().delete()
    Tag.objects.all().delete()
    import_customers(path, world, batch_size=4)
    assert snapshot() == resumed


def test_reading_in_a_second_process_gives_the_same_end_state(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, CUSTOMERS + "C1,Mario,Rossi,,,,regular,\n")
    parallel = import_customers(path, world, parallel=True, batch_size=2)
    in_parallel = snapshot()
    Customer.objects.all().delete()
    single = import_customers(path, world, batch_size=2)

    assert parallel.counts() == single.counts()
    assert snapshot() == in_parallel


def test_a_matched_customer_only_gets_blank_fields_filled(world: World, tmp_path: Path) -> None:
    existing = CustomerFactory(given_name="Maria", family_name="Rossi", email="", notes="")
    PhoneFactory(customer=existing, number="+393331234567")
    existing.provenance = {"given_name": {"source": "staff", "by": None, "at": "2024-01-01"}}
    existing.save()
    path = write(
        tmp_path,
        "Nome,Cognome,Telefono,Email,Note\n"
        "Mario,Bianchi,333 123 4567,maria@example.com,Likes tea\n",
    )
    summary = import_customers(path, world)

    existing.refresh_from_db()
    assert (summary.created, summary.merged) == (0, 1)
    assert (existing.given_name, existing.family_name) == ("Maria", "Rossi")
    assert (existing.email, existing.notes) == ("maria@example.com", "Likes tea")
    assert existing.provenance["given_name"]["source"] == "staff"
    assert existing.provenance["email"]["source"] == "imported"


def test_it_dedupes_by_phone_written_in_different_formats(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "First Name,Phone,Notes\nLuca,+39 333 1234567,\nLuca,0039 3331234567,Second visit\n",
    )
    summary = import_customers(path, world)

    assert (summary.created, summary.merged) == (1, 1)
    customer = Customer.objects.get()
    assert customer.notes == "Second visit"
    assert list(customer.phones.values_list("number", flat=True)) == ["+393331234567"]


def test_it_dedupes_by_email_and_point_of_sale_id_across_batches(
    world: World, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "Customer ID,Name,E-mail\nA1,Ada Lovelace,ada@example.com\n"
        "B2,Grace Hopper,grace@example.com\nA1,Ada L.,\n,Ada,ADA@example.com\n",
    )
    summary = import_customers(path, world, batch_size=1)

    assert (summary.created, summary.duplicates) == (2, 2)
    ada = Customer.objects.get(external_ref="A1")
    assert (ada.given_name, ada.family_name) == ("Ada", "Lovelace")


def test_a_cp1252_file_is_detected_and_decoded(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Fornavn;Efternavn;Telefon\r\nSøren;Kierkegaard;+45 20 12 34 56\r\nJosé;Müller;\r\n",
        encoding="cp1252",
    )
    summary = import_customers(path, world)

    assert summary.encoding == "cp1252"
    assert sorted(Customer.objects.values_list("given_name", "family_name")) == [
        ("José", "Müller"),
        ("Søren", "Kierkegaard"),
    ]


def test_a_utf8_file_with_a_byte_order_mark_reads_its_first_column(
    world: World, tmp_path: Path
) -> None:
    path = write(tmp_path, "Имя,Фамилия,Телефон\nАнна,Иванова,+7 916 123 45 67\n", "bom.csv")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    summary = import_customers(path, world)

    assert summary.encoding == "utf-8-sig"
    customer = Customer.objects.get()
    assert (customer.given_name, customer.family_name) == ("Анна", "Иванова")


def test_broken_bytes_in_a_utf8_file_make_only_their_row_bad(world: World, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes("First Name,Last Name\nJosé,García\n".encode() + b"Bad\xff\xfe,Row\nAnna,Ek\n")
    summary = import_customers(path, world)

    assert (summary.created, summary.bad) == (2, 1)
    report = read_report(default_report_path(path))
    assert [r["line"] for r in report] == ["3"]
    assert "not utf-8 text" in report[0]["reason"]


def test_a_missing_required_column_is_a_clear_error(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "Phone,Email\n+39 333 1234567,a@example.com\n")
    with pytest.raises(ImportFailure) as caught:
        import_customers(path, world)

    assert "no column for the customer's name" in caught.value.message
    assert "“First Name”" in caught.value.message
    assert Customer.objects.count() == 0


def test_the_error_is_in_the_language_of_the_user(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with translation.override("it"):
        italian = translation.gettext("The file is empty.")
        with pytest.raises(ImportFailure) as caught:
            import_customers(path, world)

    assert caught.value.message == italian


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"PK\x03\x04rest-of-a-zip", "This is a XLSX file, not CSV text."),
        (b"a\x00b\x00c\x00d\x00" * 50, "not CSV text"),
        (b"Colour,Size\nred,XL\n", "None of the columns is known"),
    ],
)
def test_files_that_cannot_work_fail_with_a_reason(
    world: World, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailure) as caught:
        import_customers(path, world)
    assert expected in caught.value.message


def test_a_one_megabyte_cell_is_a_bad_row_and_the_import_goes_on(
    world: World, tmp_path: Path
) -> None:
    huge = "x" * 1_000_000
    path = write(
        tmp_path,
        f'First Name,Notes\nAnna,short\nBruno,{huge}\nCarla,"quoted {huge}"\nDora,end\n',
    )
    summary = import_customers(path, world)

    assert sorted(Customer.objects.values_list("given_name", flat=True)) == ["Anna", "Dora"]
    assert summary.bad == 2
    report = read_report(default_report_path(path))
    assert [r["line"] for r in report] == ["3", "4"]
    assert all("longer than" in r["reason"] for r in report)


def test_nul_bytes_control_characters_and_emoji(world: World, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'First Name,Notes\nAnna,ok 😀\nBruno,bad\x00nul\nCarla,bell\x07\nDora,"tab\tand\nnewline"\n',
    )
    summary = import_customers(path, world)

    assert sorted(Customer.objects.values_list("given_name", flat=True)) == ["Anna", "Dora"]
    assert Customer.objects.get(given_name="Anna").notes == "ok 😀"
    assert Customer.objects.get(given_name="Dora").notes == "tab\tand\nnewline"
    assert summary.bad == 2
    reasons = [r["reason"] for r in read_report(default_report_path(path))]
    assert reasons == [
        "This text contains an invisible control character (U+0000).",
        "This text contains an invisible control character (U+0007).",
    ]


def test_an_excel_unicode_text_file_is_read(world: World, tmp_path: Path) -> None:
    path = tmp_path / "excel.txt"
    path.write_bytes("Nome\tCognome\r\nNiccolò\tRossi\r\n".encode("utf-16"))
    summary = import_customers(path, world)

    assert summary.encoding == "utf-16"
    assert Customer.objects.get().given_name == "Niccolò"


def _outcome(path: Path, world: World) -> str:
    """ "refused" (a whole-file reason), "imported" (every row counted), or what went
    wrong; any other exception fails the test."""
    try:
        summary = import_customers(path, world)
    except ImportFailure as exc:
        return "refused" if exc.message.strip() else "refused without a reason"
    counted = summary.created + summary.merged + summary.duplicates + summary.bad
    return "imported" if counted == summary.rows else "rows lost"


def test_random_bytes_never_crash_the_import(world: World, tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = [
        b"First Name",
        b"Phone",
        b",",
        b";",
        b'"',
        b"\n",
        b"\r",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"\xa9",
        "Søren".encode(),
        "Анна".encode(),
        b"+39 333",
        b"\t",
    ]
    outcomes = set()
    for attempt in range(150):
        content = b"First Name,Phone,Notes\n" if attempt % 2 else b""
        content += b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        path = tmp_path / f"fuzz{attempt}.csv"
        path.write_bytes(content)
        outcomes.add(_outcome(path, world))
    assert outcomes == {"refused", "imported"}


def test_a_row_with_more_cells_than_the_header_is_bad(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "First Name;Last Name\nAnna;Rossi;extra\nBruno\n")
    summary = import_customers(path, world)

    assert (summary.created, summary.bad) == (1, 1)
    assert Customer.objects.get().given_name == "Bruno"


def test_a_dry_run_writes_nothing_and_reports_the_same_bad_rows(
    world: World, tmp_path: Path
) -> None:
    path = write(tmp_path, CUSTOMERS + "C1,Mario,Rossi,,,,,\n")
    dry_report = tmp_path / "dry.csv"
    dry = import_customers(path, world, dry_run=True, report_path=dry_report, batch_size=2)

    assert Customer.objects.count() == 0
    assert Phone.objects.count() == Tag.objects.count() == AuditEntry.objects.count() == 0
    real = import_customers(path, world, batch_size=2)
    assert dry.counts() == real.counts()
    assert read_report(dry_report) == read_report(default_report_path(path))


def test_full_names_split_and_russian_fio_keep_the_family_name_first(
    world: World, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "Name,Company\nMaria Grazia Rossi,\n,Bar Sport\n",
        name="names.csv",
    )
    import_customers(path, world)
    fio = write(tmp_path, "ФИО,Телефон\nИванов Пётр Сергеевич,+7 916 000 00 01\n", name="fio.csv")
    import_customers(fio, world)

    people = {c.display_name: c for c in Customer.objects.all()}
    assert (people["Maria Grazia Rossi"].given_name, people["Maria Grazia Rossi"].family_name) == (
        "Maria Grazia",
        "Rossi",
    )
    assert people["Bar Sport"].kind == "organisation"
    petr = people["Пётр Иванов"]
    assert (petr.family_name, petr.patronymic) == ("Иванов", "Сергеевич")


def test_a_preset_names_the_columns_it_needs(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "First Name,Last Name\nAnna,Rossi\n")
    with pytest.raises(ImportFailure) as caught:
        import_customers(path, world, mapping="shopify")
    assert "“Customer ID”" in caught.value.message

    custom = write(tmp_path, "Cliente,Cell\nAnna,333 1234567\n", name="custom.csv")
    import_customers(custom, world, mapping="Cliente=given_name; Cell=mobile")
    assert Customer.objects.get().phones.get().number == "+393331234567"


# --- visits -------------------------------------------------------------------------------


def test_visits_update_the_customers_counters_and_a_rerun_does_not_double_them(
    world: World, tmp_path: Path
) -> None:
    anna = CustomerFactory(external_ref="C1", given_name="Anna")
    bruno = CustomerFactory(given_name="Bruno")
    PhoneFactory(customer=bruno, number="+393331234567")
    path = write(
        tmp_path,
        "Receipt;Customer ID;Phone;Date;Time;Amount;Items;Staff;Wait\n"
        "R1;C1;;2024-03-01;09:15;4,50;Cappuccino;staff;3\n"
        "R2;C1;;02/03/2024;;1.234,50;Party;Maria;4:30\n"
        "R3;;333 1234567;03.03.2024 18:30;;7;;;\n"
        ";;;04/03/2024;11:00;2,00;Espresso;;\n"
        "R5;C9;;05/03/2024;;3;;;\n"
        "R6;C1;;2024-02-30;;3;;;\n",
    )
    first = run_import(kind=ImportKind.VISITS, path=path, location=world.bologna)
    second = run_import(kind=ImportKind.VISITS, path=path, location=world.bologna)

    assert (first.created, first.bad) == (4, 2)
    assert (second.created, second.duplicates, second.bad) == (0, 4, 2)
    assert Visit.objects.count() == 4
    anna.refresh_from_db()
    bruno.refresh_from_db()
    assert anna.visit_count == 2
    # 2 March 2024 at midnight in Rome is 23:00 UTC the day before.
    assert anna.last_visit_at == datetime(2024, 3, 1, 23, 0, tzinfo=UTC)
    assert anna.first_visit_at == datetime(2024, 3, 1, 8, 15, tzinfo=UTC)
    assert (bruno.visit_count, bruno.last_visit_at) == (1, datetime(2024, 3, 3, 17, 30, tzinfo=UTC))
    first_visit = Visit.objects.get(at=datetime(2024, 3, 1, 8, 15, tzinfo=UTC))
    assert (first_visit.amount, first_visit.currency) == (Decimal("4.50"), "EUR")
    assert (first_visit.wait_seconds, first_visit.staff) == (180, world.users["staff"])
    party = Visit.objects.get(had="Party")
    assert (party.amount, party.wait_seconds) == (Decimal("1234.50"), 270)
    assert party.note == "Served by: Maria"
    walk_in = Visit.objects.get(had="Espresso")
    assert walk_in.customer is None
    report = read_report(default_report_path(path))
    assert [(r["line"], r["Receipt"]) for r in report] == [("6", "R5"), ("7", "R6")]
    assert "C9" in report[0]["reason"]


def test_visits_at_another_location_use_its_time_zone_and_currency(
    world: World, tmp_path: Path
) -> None:
    CustomerFactory(external_ref="C1")
    path = write(tmp_path, "Customer ID,Date,Amount,Location\nC1,2024-07-01 12:00,45,Copenhagen\n")
    run_import(kind=ImportKind.VISITS, path=path, location=world.bologna)

    visit = Visit.objects.get()
    assert visit.location == world.copenhagen
    assert (visit.amount, visit.currency) == (Decimal("45.00"), "DKK")
    assert visit.at == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)


def test_a_visit_file_without_a_date_column_is_refused(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, "Customer ID,Amount\nC1,4\n")
    with pytest.raises(ImportFailure) as caught:
        run_import(kind=ImportKind.VISITS, path=path, location=world.bologna)
    assert "date of the visit" in caught.value.message


def _repeating_customers(rows: int, seed: int) -> str:
    """Rows whose point-of-sale ids, phones, e-mails and whole contents repeat across
    the file, in every combination."""
    rng = random.Random(seed)
    lines = ["Customer ID,First Name,Last Name,Email,Phone,Notes"]
    for i in range(rows):
        n = rng.randrange(rows // 3)
        ref = f"R{n}" if rng.random() < 0.4 else ""
        email = f"c{rng.randrange(rows // 3)}@example.com" if rng.random() < 0.4 else ""
        phone = f"+39 333 {rng.randrange(rows // 3):07d}" if rng.random() < 0.4 else ""
        notes = rng.choice(["", "", "tea", f"note {i}"])
        lines.append(f"{ref},Name{n % 7},Family{n % 5},{email},{phone},{notes}")
    return "\n".join(lines) + "\n"


def test_a_parallel_import_into_an_empty_table_dedupes_like_a_single_process_one(
    world: World, tmp_path: Path
) -> None:
    # Into empty tables the writing process looks up only keys the reading process
    # says an earlier row may have had: the end state must not differ.
    path = write(tmp_path, _repeating_customers(600, seed=5))
    Customer.objects.all().delete()
    parallel = import_customers(path, world, parallel=True, batch_size=25)
    in_parallel = sorted(map(repr, snapshot()))  # rows of equal names in any order
    Customer.objects.all().delete()
    single = import_customers(path, world, batch_size=25)

    assert parallel.counts() == single.counts()
    assert parallel.merged + parallel.duplicates > 100
    assert sorted(map(repr, snapshot())) == in_parallel


def test_a_parallel_import_into_a_table_with_customers_still_finds_them(
    world: World, tmp_path: Path
) -> None:
    Customer.objects.all().delete()
    existing = CustomerFactory(given_name="Maria", family_name="Rossi", email="", notes="")
    PhoneFactory(customer=existing, number="+393331234567")
    path = write(
        tmp_path,
        "Nome,Cognome,Telefono,Email\nAda,Verdi,,ada@example.com\n"
        "Mario,Bianchi,333 123 4567,maria@example.com\n",
    )
    summary = import_customers(path, world, parallel=True, batch_size=1)

    existing.refresh_from_db()
    assert (summary.created, summary.merged) == (1, 1)
    assert existing.email == "maria@example.com"
    assert Customer.objects.count() == 2


def test_the_key_filter_never_forgets_a_key_it_has_seen() -> None:
    from regulars.customers.importers.runner import KeyFilter

    class Row:
        def __init__(self, keys: tuple[tuple[str, str], ...]) -> None:
            self.keys = keys

    rng = random.Random(3)
    keys = [
        (rng.choice(["ref", "phone", "email"]), f"{rng.getrandbits(40):x}") for _ in range(5000)
    ]
    seen = KeyFilter()
    first = seen.maybe_seen([Row(tuple(keys[i : i + 3])) for i in range(0, 3000, 3)])
    again = seen.maybe_seen([Row((key,)) for key in keys])

    assert again[:3000] == keys[:3000]
    assert len(first) < 30  # distinct keys: only rare false "maybe"
    assert len(again) < 3000 + 30
