"""``regulars import customers|visits FILE``: parse, run, print a summary."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from django.db import DatabaseError
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.customers.importers.base import ImportFailure, ImportKind, ImportSummary
from regulars.customers.importers.runner import describe, run_import

# Files from this size on are read and checked in a second process while this one
# writes: below it, starting the process costs more than it saves.
PARALLEL_FROM_BYTES = 4 << 20


def use_parallel(path: Path) -> bool:
    return path.stat().st_size >= PARALLEL_FROM_BYTES


class ProgressBar:
    """A one-line progress bar on a terminal (redrawn at most ten times a second);
    on a pipe, a plain line every tenth of the file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_tenth = -1

    def __call__(self, done: int, total: int, summary: ImportSummary) -> None:
        fraction = min(1.0, done / total) if total else 1.0
        now = time.monotonic()
        elapsed = max(now - self.started, 1e-6)
        rate = summary.rows / elapsed
        text = _("%(rows)d rows, %(rate)d rows/s, %(bad)d bad") % {
            "rows": summary.rows,
            "rate": rate,
            "bad": summary.bad,
        }
        if self.tty:
            if now - self.last_draw < 0.1 and fraction < 1.0:
                return
            self.last_draw = now
            width = 30
            filled = int(width * fraction)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%}  {text}\x1b[K")
        else:
            tenth = int(fraction * 10)
            if tenth == self.last_tenth:
                return
            self.last_tenth = tenth
            self.stream.write(f"{fraction:4.0%}  {text}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.last_draw:
            self.stream.write("\n")
            self.stream.flush()


def _location(choice: str | None) -> Location:
    locations = Location.objects.order_by("id")
    if not choice:
        first = locations.first()
        if first is None:
            raise ImportFailure(_("There is no location yet: run “regulars createowner” first."))
        return first
    found = locations.filter(pk=int(choice)) if choice.isdigit() else locations.none()
    if not found:
        found = locations.filter(name__iexact=choice.strip())
    location = found.first()
    if location is None:
        names = ", ".join(locations.values_list("name", flat=True)[:20])
        raise ImportFailure(
            _("No location “%(name)s”. The locations are: %(names)s.")
            % {"name": choice, "names": names}
        )
    return location


def run_from_cli(args: argparse.Namespace) -> int:
    """Exit status: 0 all rows good, 1 some rows bad (see the report), 2 nothing done."""
    path = args.file
    if not path.is_file():
        print(_("error: no such file: %(path)s") % {"path": path}, file=sys.stderr)
        return 2
    bar = None if args.quiet else ProgressBar(sys.stderr)
    try:
        summary = run_import(
            kind=ImportKind(args.kind),
            path=path,
            location=_location(args.location),
            encoding=args.encoding,
            mapping=args.mapping or "auto",
            dry_run=args.dry_run,
            report_path=args.report,
            progress=bar,
            parallel=use_parallel(path),
        )
    except ImportFailure as exc:
        if bar is not None:
            bar.finish()
        print(_("error: %(message)s") % {"message": exc.message}, file=sys.stderr)
        return 2
    except DatabaseError as exc:
        if bar is not None:
            bar.finish()
        print(
            _(
                "error: the database refused a batch (%(error)s). Every finished batch is "
                "saved; run the same command again to finish."
            )
            % {"error": str(exc)[:200]},
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        if bar is not None:
            bar.finish()
        print(
            _("Interrupted. Every finished batch is saved; run the same command again to finish."),
            file=sys.stderr,
        )
        return 130
    if bar is not None:
        bar.finish()
    print(describe(summary))
    for note in summary.notes:
        print("  " + note)
    if summary.encoding:
        print("  " + _("Encoding: %(encoding)s.") % {"encoding": summary.encoding})
    if summary.report_path:
        print("  " + _("Bad rows are listed in %(path)s.") % {"path": summary.report_path})
    return 1 if summary.bad else 0
