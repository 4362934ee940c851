"""Reads of the import pages, and the permission-checked getter of import jobs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location
from regulars.core.permissions import Capability
from regulars.customers.models import ImportJob


def import_location_ids(user: Any) -> list[int]:
    """The locations where ``user`` may import data (where they are an owner)."""
    access = access_for(user)
    return [i for i in access.location_ids if access.can(Capability.IMPORT_DATA, i)]


def import_locations(user: Any) -> QuerySet[Location]:
    return Location.objects.filter(id__in=import_location_ids(user)).order_by("name", "id")


def recent_jobs(user: Any, limit: int = 10) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(location_id__in=import_location_ids(user))
        .select_related("location", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def get_import_job_for(user: Any, public_id: str) -> ImportJob:
    """The one way a view finds an import job: 403 without IMPORT_DATA, 404 when it is
    not at one of the user's own locations."""
    check(user, Capability.IMPORT_DATA)
    job = (
        ImportJob.objects.select_related("location", "created_by")
        .filter(public_id=public_id, location_id__in=import_location_ids(user))
        .first()
    )
    if job is None:
        raise Http404
    return job
