"""The import pages: upload, progress (polled with htmx), bad-row report download."""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.accounts.access import requires
from regulars.core.permissions import Capability
from regulars.customers.importers import jobs
from regulars.customers.importers.base import ImportFailure, ImportKind
from regulars.customers.importers.columns import CUSTOMER_ALIASES, FIELD_LABELS, VISIT_ALIASES
from regulars.customers.importers.forms import ImportForm
from regulars.customers.importers.queries import get_import_job_for, recent_jobs
from regulars.customers.models import ImportJob

logger = logging.getLogger(__name__)


@requires(Capability.IMPORT_DATA)
def start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.create_import_job(
                actor=request.user,
                kind=ImportKind(form.cleaned_data["kind"]),
                location=form.cleaned_data["location"],
                upload=form.cleaned_data["file"],
                encoding=form.cleaned_data["encoding"],
                mapping=form.mapping_spec(),
                dry_run=form.cleaned_data["dry_run"],
            )
        except ImportFailure as exc:
            form.add_error("file", exc.message)
        except OSError:
            logger.exception("storing an import upload failed")
            form.add_error(
                "file",
                _(
                    "The file could not be stored on the server. Ask the administrator to "
                    "check the import folder."
                ),
            )
        else:
            return redirect("importers:job", public_id=job.public_id)
    return render(
        request,
        "customers/import/start.html",
        {
            "form": form,
            "jobs": recent_jobs(request.user),
            "customer_columns": _examples(CUSTOMER_ALIASES),
            "visit_columns": _examples(VISIT_ALIASES),
        },
    )


def _examples(aliases: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(field, what it is, the header names recognised) for the help table of the page."""
    return [
        (name, str(FIELD_LABELS.get(name, name)), ", ".join(names))
        for name, names in aliases.items()
    ]


def _job_context(job: ImportJob) -> dict[str, object]:
    return {"job": job, "stalled": jobs.is_stalled(job)}


@requires(Capability.IMPORT_DATA)
def job(request: HttpRequest, public_id: str) -> HttpResponse:
    found = get_import_job_for(request.user, public_id)
    return render(request, "customers/import/job.html", _job_context(found))


@requires(Capability.IMPORT_DATA)
def progress(request: HttpRequest, public_id: str) -> HttpResponse:
    """The progress block alone, for htmx polling (it stops polling once finished)."""
    found = get_import_job_for(request.user, public_id)
    return render(request, "customers/import/_progress.html", _job_context(found))


@requires(Capability.IMPORT_DATA)
def report(request: HttpRequest, public_id: str) -> FileResponse:
    found = get_import_job_for(request.user, public_id)
    path = Path(found.report_path) if found.report_path else None
    if path is None or not path.is_file():
        raise Http404
    name = Path(found.file_name).stem or "import"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{name}-bad-rows.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_POST
@requires(Capability.IMPORT_DATA)
def again(request: HttpRequest, public_id: str) -> HttpResponse:
    """Import the same file again: for real after a dry run, or to finish an
    interrupted import (rows already imported are recognised as duplicates)."""
    found = get_import_job_for(request.user, public_id)
    try:
        new = jobs.rerun_import_job(actor=request.user, job=found, dry_run=False)
    except ImportFailure as exc:
        messages.error(request, exc.message)
        return redirect("importers:job", public_id=found.public_id)
    return redirect("importers:job", public_id=new.public_id)
