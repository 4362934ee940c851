"""Optimistic concurrency for rows with a ``version`` column: a change is written only
if the row is still at the version the person saw, in one conditional ``UPDATE`` (no
lock held while someone reads), so two people cannot overwrite each other unseen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import F


def write_if_unchanged(
    row: models.Model, expected_version: int, stale: Callable[[], Exception], **changes: Any
) -> None:
    """Write ``changes`` and the next version to ``row``, unless someone else wrote
    since ``expected_version``: then nothing is written and ``stale()`` is raised. The
    instance is updated to what was written."""
    written = (
        type(row)
        ._default_manager.filter(pk=row.pk, version=expected_version)
        .update(version=F("version") + 1, **changes)
    )
    if not written:
        raise stale()
    for name, value in changes.items():
        setattr(row, name, value)
    row.version = expected_version + 1  # type: ignore[attr-defined]
