"""Import jobs of the web page: store the upload, run the import in a background
thread of the web process, keep the job row up to date for the progress page.

(The background worker of a later release replaces the thread; the job row and the
page stay the same.)
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.customers.importers.base import ImportFailure, ImportKind, ImportSummary
from regulars.customers.importers.queries import import_location_ids
from regulars.customers.importers.runner import check_header, describe, run_import
from regulars.customers.models import ImportJob, ImportJobStatus

logger = logging.getLogger(__name__)

# Jobs running in this process: the page of a job whose thread is gone (the server
# restarted) says so and offers to run it again.
_THREADS: dict[int, threading.Thread] = {}
# A running job whose row was not updated for this long has lost its thread.
STALLED_AFTER = timedelta(minutes=10)


def import_dir(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / job.public_id


@transaction.atomic
def create_import_job(
    *,
    actor: Any,
    kind: ImportKind,
    location: Location,
    upload: UploadedFile[bytes],
    encoding: str = "auto",
    mapping: str = "auto",
    dry_run: bool = False,
) -> ImportJob:
    """Store an uploaded CSV under IMPORT_DIR and queue its import.

    The header is checked at once: a file that cannot work (empty, not CSV, a required
    column missing) raises ImportFailure and leaves nothing behind. The import itself
    starts after commit, in a background thread (``launch_import_job``).
    """
    job = ImportJob(
        kind=kind,
        location=location,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=os.path.basename(upload.name or "upload.csv")[:255],
        encoding=encoding or "auto",
        mapping=mapping or "auto",
        dry_run=dry_run,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    folder = import_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / "upload.csv"
    try:
        with stored.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        check_header(kind=kind, path=stored, encoding=job.encoding, mapping=job.mapping)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job.stored_path = str(stored)
    job.size_bytes = stored.stat().st_size
    job.save()
    transaction.on_commit(partial(launch_import_job, job.pk))
    return job


@transaction.atomic
def rerun_import_job(*, actor: Any, job: ImportJob, dry_run: bool = False) -> ImportJob:
    """A new job on the file of ``job`` (after a dry run, or to finish an interrupted
    one: the dedupe makes rows already imported count as duplicates)."""
    source = Path(job.stored_path)
    if not job.stored_path or not source.is_file():
        raise ImportFailure(_("The uploaded file is no longer kept; upload it again."))
    again = ImportJob(
        kind=job.kind,
        location=job.location,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=job.file_name,
        encoding=job.encoding,
        mapping=job.mapping,
        dry_run=dry_run,
        language=translation.get_language() or job.language,
        size_bytes=job.size_bytes,
    )
    folder = import_dir(again)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / "upload.csv"
    shutil.copyfile(source, stored)
    again.stored_path = str(stored)
    again.save()
    transaction.on_commit(partial(launch_import_job, again.pk))
    return again


def launch_import_job(job_id: int) -> threading.Thread:
    """Run the job in a daemon thread of this process (the worker arrives later)."""
    for finished in [key for key, thread in _THREADS.items() if not thread.is_alive()]:
        del _THREADS[finished]
    thread = threading.Thread(
        target=_in_thread, args=(job_id,), name=f"import-{job_id}", daemon=True
    )
    _THREADS[job_id] = thread
    thread.start()
    return thread


def _in_thread(job_id: int) -> None:
    try:
        run_import_job(job_id)
    finally:
        connection.close()  # this thread's own connection


def wait_for_jobs(timeout: float | None = None) -> None:
    """Block until every import thread started by this process has ended (a graceful
    shutdown, the tests)."""
    for thread in list(_THREADS.values()):
        thread.join(timeout)


def is_stalled(job: ImportJob, now: datetime | None = None) -> bool:
    if not job.is_active:
        return False
    thread = _THREADS.get(job.pk)
    if thread is not None and thread.is_alive():
        return False
    return (now or timezone.now()) - job.updated_at > STALLED_AFTER


def run_import_job(job_id: int) -> None:
    """The body of a job's thread: run the import, keep the row up to date, never raise."""
    try:
        job = ImportJob.objects.select_related("location", "created_by").get(pk=job_id)
        with translation.override(job.language or settings.LANGUAGE_CODE):
            now = timezone.now()
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJobStatus.RUNNING, started_at=now, updated_at=now
            )
            # Visit rows may name only locations where the uploader may import.
            allowed = import_location_ids(job.created_by)

            def progress(done: int, total: int, summary: ImportSummary) -> None:
                ImportJob.objects.filter(pk=job.pk).update(
                    done_bytes=done,
                    size_bytes=total,
                    updated_at=timezone.now(),
                    **summary.counts(),
                )

            try:
                summary = run_import(
                    kind=ImportKind(job.kind),
                    path=Path(job.stored_path),
                    location=job.location,
                    actor=job.created_by,
                    encoding=job.encoding,
                    mapping=job.mapping,
                    dry_run=job.dry_run,
                    report_path=import_dir(job) / "report.csv",
                    progress=progress,
                    allowed_location_ids=allowed,
                    display_name=job.file_name,
                )
            except ImportFailure as exc:
                _finish_job(job, ImportJobStatus.FAILED, exc.message)
                return
            _finish_job(
                job,
                ImportJobStatus.DONE,
                describe(summary),
                summary=summary,
            )
            if not job.dry_run:
                # The rows are in the database now; keep no second copy of personal data.
                Path(job.stored_path).unlink(missing_ok=True)
                ImportJob.objects.filter(pk=job.pk).update(stored_path="")
    except Exception:
        logger.exception("import job %s failed", job_id)
        with translation.override(settings.LANGUAGE_CODE):
            ImportJob.objects.filter(pk=job_id).update(
                status=ImportJobStatus.FAILED,
                message=_(
                    "The import stopped because of an unexpected error. Everything imported "
                    "so far is saved; run it again to finish (nothing will be duplicated)."
                ),
                finished_at=timezone.now(),
                updated_at=timezone.now(),
            )


def _finish_job(
    job: ImportJob, status: str, message: str, summary: ImportSummary | None = None
) -> None:
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": status,
        "message": message,
        "finished_at": now,
        "updated_at": now,
    }
    if summary is not None:
        changes.update(summary.counts())
        changes["notes"] = list(summary.notes)
        changes["report_path"] = summary.report_path
        changes["done_bytes"] = job.size_bytes
    ImportJob.objects.filter(pk=job.pk).update(**changes)
