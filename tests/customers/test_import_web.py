"""The import pages (owners only) and the ``regulars import`` command."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from regulars.cli import main
from regulars.core.models import AuditAction, AuditEntry
from regulars.customers.importers import jobs
from regulars.customers.models import Customer, ImportJob, ImportJobStatus
from regulars.service.models import Visit
from tests.conftest import World

SMALL = (
    "Nome;Cognome;Telefono;Email\n"
    "Mario;Rossi;333 1234567;mario@example.com\n"
    "Giulia;Bianchi;telefono rotto;giulia@example.com\n"
    "Søren;Kierkegaard;+45 20 12 34 56;\n"
)


def upload(text: str, name: str = "clienti.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def import_dir(settings: Any, tmp_path: Path) -> Path:
    settings.IMPORT_DIR = tmp_path / "imports"
    return tmp_path / "imports"


@pytest.mark.django_db(transaction=True)
def test_an_owner_uploads_a_file_and_follows_the_import_to_the_end(
    world: World, import_dir: Path
) -> None:
    client = world.client("owner")
    response = client.post(
        reverse("importers:start"),
        {
            "kind": "customers",
            "location": world.bologna.pk,
            "file": upload(SMALL),
            "mapping": "auto",
            "encoding": "auto",
        },
    )
    # In-memory SQLite shares tables between threads with table locks: let the
    # import thread finish before this one reads.
    jobs.wait_for_jobs(timeout=30)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("importers:job", args=[job.public_id])
    assert (job.status, job.rows, job.created, job.bad) == (ImportJobStatus.DONE, 3, 2, 1)
    assert sorted(Customer.objects.values_list("given_name", flat=True)) == ["Mario", "Søren"]
    assert AuditEntry.objects.get(action=AuditAction.IMPORT).actor == world.users["owner"]
    page = client.get(reverse("importers:progress", args=[job.public_id]))
    assert page.status_code == 200
    assert b"hx-trigger" not in page.content  # finished: the page stops polling
    report = client.get(reverse("importers:report", args=[job.public_id]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert [row[:2] for row in rows[1:]] == [["3", "Telefono"]]
    assert rows[1][3:] == ["Giulia", "Bianchi", "telefono rotto", "giulia@example.com"]
    # The upload itself is not kept once its rows are in the database.
    assert not any(import_dir.glob("*/upload.csv"))


@pytest.mark.django_db(transaction=True)
def test_a_web_dry_run_writes_nothing_and_can_then_import_for_real(
    world: World, import_dir: Path
) -> None:
    client = world.client("owner")
    client.post(
        reverse("importers:start"),
        {
            "kind": "customers",
            "location": world.bologna.pk,
            "file": upload(SMALL),
            "mapping": "auto",
            "encoding": "auto",
            "dry_run": "on",
        },
    )
    jobs.wait_for_jobs(timeout=30)
    dry = ImportJob.objects.get()
    assert (dry.status, dry.created, dry.bad) == (ImportJobStatus.DONE, 2, 1)
    assert Customer.objects.count() == 0

    response = client.post(reverse("importers:again", args=[dry.public_id]))
    jobs.wait_for_jobs(timeout=30)
    real = ImportJob.objects.exclude(pk=dry.pk).get()
    assert response["Location"] == reverse("importers:job", args=[real.public_id])
    assert (real.status, real.created, real.dry_run) == (ImportJobStatus.DONE, 2, False)
    assert Customer.objects.count() == 2


def test_a_file_without_a_name_column_is_refused_on_the_form(
    world: World, import_dir: Path
) -> None:
    response = world.client("owner").post(
        reverse("importers:start"),
        {
            "kind": "customers",
            "location": world.bologna.pk,
            "file": upload("Telefono\n333 1234567\n"),
            "mapping": "auto",
            "encoding": "auto",
        },
    )
    assert response.status_code == 200
    assert "no column for the customer&#x27;s name" in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert not any(import_dir.glob("*/*"))


def test_a_file_over_the_size_limit_is_refused(
    world: World, import_dir: Path, settings: Any
) -> None:
    settings.IMPORT_MAX_UPLOAD_MB = 1
    response = world.client("owner").post(
        reverse("importers:start"),
        {
            "kind": "customers",
            "location": world.bologna.pk,
            "file": upload("First Name\n" + "Anna\n" * 300_000),
            "mapping": "auto",
            "encoding": "auto",
        },
    )
    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("persona", ["manager", "staff", "outsider"])
def test_only_owners_may_import(world: World, import_dir: Path, persona: str) -> None:
    client = world.client(persona)
    assert client.get(reverse("importers:start")).status_code == 403
    response = client.post(
        reverse("importers:start"),
        {"kind": "customers", "location": world.bologna.pk, "file": upload(SMALL)},
    )
    assert response.status_code == 403
    assert ImportJob.objects.count() == Customer.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(world: World) -> None:
    response = world.client("anonymous").get(reverse("importers:start"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["manager", "staff", "outsider"])
def test_only_owners_see_a_job_and_its_report(world: World, persona: str) -> None:
    job = ImportJob.objects.create(
        kind="customers", location=world.bologna, file_name="x.csv", status="done"
    )
    client = world.client(persona)
    for name in ("job", "progress", "report"):
        assert client.get(reverse(f"importers:{name}", args=[job.public_id])).status_code == 403


def test_an_owner_sees_no_job_of_a_location_that_is_not_theirs(world: World) -> None:
    from tests.factories import LocationFactory

    elsewhere = LocationFactory(name="Madrid", country="ES")
    job = ImportJob.objects.create(kind="customers", location=elsewhere, file_name="x.csv")
    response = world.client("owner").get(reverse("importers:job", args=[job.public_id]))
    assert response.status_code == 404


def test_a_job_that_breaks_ends_failed_with_a_message_not_an_error_page(
    world: World, import_dir: Path
) -> None:
    job = ImportJob.objects.create(
        kind="customers",
        location=world.bologna,
        created_by=world.users["owner"],
        file_name="gone.csv",
        stored_path=str(import_dir / "missing" / "upload.csv"),
    )
    jobs.run_import_job(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "run it again" in job.message
    page = world.client("owner").get(reverse("importers:job", args=[job.public_id]))
    assert page.status_code == 200
    assert job.message in page.content.decode()


def test_a_job_whose_thread_is_gone_offers_to_run_it_again(world: World, import_dir: Path) -> None:
    stored = import_dir / "old" / "upload.csv"
    stored.parent.mkdir(parents=True)
    stored.write_text(SMALL, encoding="utf-8")
    long_ago = timezone.now() - timedelta(hours=1)
    job = ImportJob.objects.create(
        kind="customers",
        location=world.bologna,
        file_name="clienti.csv",
        stored_path=str(stored),
        status=ImportJobStatus.RUNNING,
        updated_at=long_ago,
    )
    page = world.client("owner").get(reverse("importers:progress", args=[job.public_id]))
    text = page.content.decode()
    assert "hx-trigger" not in text
    assert reverse("importers:again", args=[job.public_id]) in text


def test_the_import_page_lists_recent_jobs_and_the_known_columns(world: World) -> None:
    ImportJob.objects.create(
        kind="visits", location=world.bologna, file_name="cassa-marzo.csv", status="done"
    )
    response = world.client("owner").get(reverse("importers:start"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "cassa-marzo.csv" in text
    assert "Codice cliente" in text


# --- the command line -------------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clienti.csv"
    path.write_text(SMALL, encoding="utf-8")
    status = main(["import", "customers", str(path), "--location", "Bologna"])

    out, err = capsys.readouterr()
    assert status == 1  # some rows were bad
    assert "3 rows — 2 customers created, 0 merged into existing customers" in out
    assert str(tmp_path / "clienti.errors.csv") in out
    assert "100%" in err  # the progress on stderr
    assert Customer.objects.count() == 2


def test_the_command_dry_run_and_quiet(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "visite.csv"
    path.write_text("Data,Importo\n2024-03-01,4.50\n", encoding="utf-8")
    report = tmp_path / "out" / "bad.csv"
    status = main(["import", "visits", str(path), "--dry-run", "--quiet", "--report", str(report)])

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert "Nothing was written." in out
    assert Visit.objects.count() == 0


def test_the_command_explains_a_file_it_cannot_import(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    status = main(["import", "customers", str(path), "--location", "Nowhere"])

    _out, err = capsys.readouterr()
    assert status == 2
    assert "No location “Nowhere”" in err
    assert "Traceback" not in err
