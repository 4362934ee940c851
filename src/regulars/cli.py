"""The ``regulars`` command: thin verbs that parse, call a service and report."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_BIND = "127.0.0.1:8000"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regulars.settings")
    import django

    django.setup()


def _data_dir() -> Path:
    from django.conf import settings

    path = Path(settings.DATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    _data_dir()
    call_command("migrate", interactive=False, verbosity=args.verbosity)
    _reindex_if_stale()
    return 0


def _reindex_if_stale() -> None:
    """A database from before the recognition index existed gets it built once, and
    one written in an older format of the index is rebuilt (``index_is_stale``)."""
    from regulars.customers.search import index_is_stale, rebuild_index

    if index_is_stale():
        print("Building the customer search index…", flush=True)
        count = rebuild_index()
        print(f"Indexed {count:,} customers.", flush=True)


def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild the recognition index from customer memory (one transaction)."""
    import time

    from regulars.customers.search import rebuild_index

    started = time.monotonic()

    def progress(done: int) -> None:
        if not args.quiet:
            print(f"\r{done:,} customers", end="", file=sys.stderr, flush=True)

    count = rebuild_index(progress=progress)
    if not args.quiet:
        print(file=sys.stderr)
    print(f"Indexed {count:,} customers in {time.monotonic() - started:.1f} s.")
    return 0


def cmd_run_due(args: argparse.Namespace) -> int:
    """Do what is due now: escalate overdue tickets to their location's manager, remind
    owners of promises coming due, and take the nightly loyalty snapshot once a day.
    Run it every few minutes (cron or a systemd timer) until the worker does it."""
    from regulars.loyalty.services import snapshot_if_due
    from regulars.service.promises import send_reminders
    from regulars.service.tickets import escalate_overdue

    print(f"Escalated {escalate_overdue():,} overdue tickets.")
    print(f"Reminded the owners of {send_reminders():,} promises.")
    run = snapshot_if_due()
    if run is not None:
        _print_snapshot(run)
    return 0 if run is None or run.status != "failed" else 1


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the background worker: the schedule (send outreach, plan the day, what
    ``run-due`` does) and the task queue, until SIGTERM or Ctrl+C; ``--once`` runs what
    is due and exits."""
    from regulars.outreach.worker import run_worker

    return run_worker(interval_s=args.interval, once=args.once, reclaim_after_s=args.reclaim_after)


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Take the loyalty snapshot now (whatever the hour; once per business day unless
    the day's run failed)."""
    from regulars.loyalty.services import take_snapshot

    run = take_snapshot()
    if run is None:
        print("Today's snapshot is already taken or being taken; nothing to do.")
        return 0
    _print_snapshot(run)
    return 0 if run.status != "failed" else 1


def _print_snapshot(run: Any) -> None:
    if run.status == "failed":
        print(f"Loyalty snapshot failed, the previous one stays: {run.error}", file=sys.stderr)
        return
    seconds = (run.finished_at - run.started_at).total_seconds()
    print(
        f"Loyalty snapshot of {run.customers:,} customers and {run.visits:,} visits "
        f"({run.method}) in {seconds:.1f} s."
    )
    for warning in run.warnings:
        print(f"  warning: {warning}")


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent snapshot of the live database while the app runs."""
    from regulars.core.backup import BackupError, backup_database

    try:
        result = backup_database(to=args.to)
    except BackupError as exc:
        print(f"regulars backup: {exc}", file=sys.stderr)
        return 1
    print(f"Backup written to {result.path} ({result.size:,} bytes).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup, then migrate it (an older backup is upgraded)."""
    from django.core.management import call_command

    from regulars.core.backup import (
        BackupError,
        check_backup,
        describe_database,
        restore_database,
    )

    try:
        check_backup(args.path)
        if not args.yes:
            question = f"Replace everything in {describe_database()} with {args.path}?"
            if not sys.stdin.isatty():
                print(
                    f"regulars restore: {question} Refused: pass --yes (no terminal to ask).",
                    file=sys.stderr,
                )
                return 2
            try:
                answer = input(f"{question} Type yes to go on: ")
            except (EOFError, KeyboardInterrupt):
                answer = ""
            if answer.strip().lower() != "yes":
                print("\nNothing restored.")
                return 1
        restore_database(source=args.path)
    except BackupError as exc:
        print(f"regulars restore: {exc}", file=sys.stderr)
        return 1
    call_command("migrate", interactive=False, verbosity=0)
    _reindex_if_stale()
    print(f"Restored {args.path}. Restart the server and the worker.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check", deploy=args.deploy, fail_level="WARNING" if args.deploy else "ERROR")
    except SystemCheckError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Production-style server: gunicorn on the WSGI app."""
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "regulars.wsgi:application",
    ]
    run()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import signal
    import time

    from django.core.management import call_command

    from regulars.demo.generator import DEMO_PASSWORD, ensure_demo_business

    started = time.monotonic()
    _data_dir()
    call_command("migrate", interactive=False, verbosity=0)
    _reindex_if_stale()
    summary = ensure_demo_business(seed=args.seed)
    print(summary.describe())
    print()
    if not summary.logins:
        print(f"This database already holds a business: sign in at http://{args.bind}/")
        print("with your own account (regulars createowner NAME makes one).")
    else:
        print("Sign in at http://" + args.bind + "/ with one of:")
    for username, role, location in summary.logins:
        print(f"  {username:<8} {role:<8} {location:<14} password: {DEMO_PASSWORD}")
    print(f"\nReady in {time.monotonic() - started:.1f} s. Press Ctrl+C to stop.", flush=True)
    if args.no_serve:
        return 0
    worker = _start_worker()
    # Stopped by a signal rather than Ctrl+C (a closed terminal, kill), the server still
    # stops its worker on the way out.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_args: sys.exit(0))
    try:
        call_command("runserver", args.bind, use_reloader=False, skip_checks=True)
    finally:
        _stop_worker(worker)
    return 0


def _start_worker() -> Any:
    """The background worker beside the demo's web server, so outreach is planned and
    sent (e-mails under var/mail, texts in var/sms) as it would be in production."""
    import subprocess

    print("Starting the background worker (outreach, reminders, snapshots).", flush=True)
    return subprocess.Popen(
        [sys.executable, "-m", "regulars.cli", "worker"], stdin=subprocess.DEVNULL
    )


def _stop_worker(worker: Any) -> None:
    import subprocess

    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


def cmd_createowner(args: argparse.Namespace) -> int:
    import getpass

    from regulars.accounts.services import create_owner

    password = os.environ.get("REGULARS_OWNER_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            print("Set REGULARS_OWNER_PASSWORD or run in a terminal.", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
    try:
        user = create_owner(
            username=args.username,
            password=password,
            email=args.email or "",
            location_name=args.location,
            timezone_name=args.timezone,
            currency=args.currency,
            country=args.country,
            language=args.language,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Owner {user.username} created.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from regulars.customers.importers.cli import run_from_cli

    return run_from_cli(args)


def cmd_compilemessages(args: argparse.Namespace) -> int:
    """Compile .po catalogues to .mo with Babel (no gettext tools needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    locale_dir = Path(__file__).resolve().parent / "locale"
    count = 0
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parts[-3])
        with po_path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        count += 1
    print(f"compiled {count} catalogue(s)")
    return 0


def cmd_makemessages(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    package = Path(__file__).resolve().parent
    os.chdir(package)
    call_command(
        "makemessages",
        locale=["it", "da", "ru", "es"],
        ignore_patterns=["migrations/*", "demo/data/*"],
        no_obsolete=True,
        no_location=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="regulars", description="Regulars customer service")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="migrate, create the demo business if empty, and serve")
    p.add_argument("--bind", default=DEFAULT_BIND)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-serve", action="store_true", help="set up and exit")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve with gunicorn")
    p.add_argument("--bind", default=DEFAULT_BIND)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_serve, needs_django=False)

    p = sub.add_parser("migrate", help="create or upgrade the database")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("reindex", help="rebuild the customer search index")
    p.add_argument("--quiet", action="store_true", help="no progress")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser(
        "run-due",
        help="do what is due now (escalate overdue tickets, promise reminders, the "
        "nightly loyalty snapshot)",
    )
    p.set_defaults(func=cmd_run_due)

    p = sub.add_parser(
        "worker",
        help="run the background worker: send outreach, plan the day, and what run-due does",
    )
    p.add_argument("--interval", type=float, default=30.0, help="seconds between schedule checks")
    p.add_argument("--once", action="store_true", help="run what is due once, then exit")
    p.add_argument(
        "--reclaim-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="send again the messages a stopped worker left half-sent after this long "
        "(default 600)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("snapshot", help="take the nightly loyalty snapshot now")
    p.set_defaults(func=cmd_snapshot)

    p = sub.add_parser("backup", help="write a consistent backup of the database (online)")
    p.add_argument(
        "--to",
        type=Path,
        help="file or folder (default: $REGULARS_DATA_DIR/backups/regulars-<UTC time>)",
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with a backup, then migrate")
    p.add_argument("path", type=Path)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("check", help="check the configuration")
    p.add_argument("--deploy", action="store_true", help="also the production checks")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("createowner", help="create an owner (and a first location)")
    p.add_argument("username")
    p.add_argument("--email", default="")
    p.add_argument("--location", default="Main")
    p.add_argument("--timezone", default="Europe/Rome")
    p.add_argument("--currency", default="EUR")
    p.add_argument("--country", default="IT")
    p.add_argument("--language", default="en")
    p.set_defaults(func=cmd_createowner)

    p = sub.add_parser("import", help="import customers or visits from a CSV file")
    p.add_argument("kind", choices=["customers", "visits"])
    p.add_argument("file", type=Path)
    p.add_argument("--location", help="location name or id (default: the first)")
    p.add_argument("--encoding", choices=["auto", "utf-8", "utf-8-sig", "cp1252"], default="auto")
    p.add_argument(
        "--mapping",
        help="columns: auto (recognise the header names, the default), a preset "
        "(generic-pos, square, shopify), or 'Column=field; Column=field'",
    )
    p.add_argument("--report", type=Path, help="where to write the bad-row report CSV")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("compilemessages", help="compile translations")
    p.set_defaults(func=cmd_compilemessages, needs_django=False)

    p = sub.add_parser("makemessages", help="extract translatable strings (needs gettext)")
    p.set_defaults(func=cmd_makemessages)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from django.core.exceptions import ImproperlyConfigured

    try:
        if getattr(args, "needs_django", True):
            _setup()
        return int(args.func(args))
    except ImproperlyConfigured as exc:  # a bad REGULARS_* value: one clear line
        print(f"regulars: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
