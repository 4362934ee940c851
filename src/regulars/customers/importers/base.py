"""Shared types of the importers: what kind of file, what went wrong, what was done."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    VISITS = "visits", _("Visits")


class ImportFailure(Exception):
    """The whole file cannot be imported (no header, unknown encoding, ...).

    ``message`` is already translated into the user's language.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: ``line`` is the row's first line in the file (1-based)."""

    line: int
    column: str
    reason: str


def extra_cells_error(line: int, fields: list[str], width: int) -> list[RowError] | None:
    """The error for a row with non-empty cells past the header's columns, else None."""
    if len(fields) > width and any(f.strip() for f in fields[width:]):
        message = gettext(
            "This row has %(found)d cells but the header names %(expected)d columns."
        ) % {"found": len(fields), "expected": width}
        return [RowError(line, "", message)]
    return None


@dataclass(slots=True)
class BatchResult:
    """What one batch write did; ``errors`` are rows refused while writing, as
    (raw cells, problems)."""

    created: int = 0
    merged: int = 0
    duplicates: int = 0
    bad: int = 0
    errors: list[tuple[list[str], list[RowError]]] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.created += other.created
        self.merged += other.merged
        self.duplicates += other.duplicates
        self.bad += other.bad


@dataclass
class ImportSummary:
    kind: ImportKind
    file_name: str
    encoding: str = ""
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    merged: int = 0
    duplicates: int = 0
    bad: int = 0
    blank: int = 0
    seconds: float = 0.0
    report_path: str = ""
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "merged": self.merged,
            "duplicates": self.duplicates,
            "bad": self.bad,
        }
