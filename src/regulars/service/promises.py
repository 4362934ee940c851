"""Promises: anything staff promised a customer (call back by Tuesday 10:00, delivery by
Friday, part ordered), with a due time and an owner, a reminder before it is due, and
kept or broken recorded when it is closed.

Reminders are sent by ``regulars run-due`` (``send_reminders``): an email to the owner,
in their language, once per promise, 24 hours before it is due (halfway, when it was
made less than a day before).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location, person_name
from regulars.core import audit
from regulars.core.dates import weekday_day_time
from regulars.core.models import AuditAction
from regulars.core.permissions import Capability
from regulars.core.versioned import write_if_unchanged
from regulars.customers.models import Customer
from regulars.service.flow import PromiseStatus
from regulars.service.models import Promise, Ticket

REMIND_BEFORE = timedelta(hours=24)


class StalePromise(Exception):
    """The promise changed since the actor last saw it; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            _("Someone else changed this promise meanwhile. Nothing was saved: look again.")
        )


def remind_time(made_at: datetime, due_at: datetime) -> datetime:
    """When the owner is reminded: a day before it is due, or halfway when sooner."""
    return max(due_at - REMIND_BEFORE, made_at + (due_at - made_at) / 2)


@transaction.atomic
def make_promise(
    *,
    actor: Any,
    location: Location,
    customer: Customer,
    text: str,
    due_at: datetime,
    owner: Any = None,
    ticket: Ticket | None = None,
    at: datetime | None = None,
    request_key: str | None = None,
) -> Promise:
    """Record a promise to ``customer``, owned by ``owner`` (default: the actor), who
    must handle tickets at ``location``. A due time in the past is refused.
    ``request_key``: a promise already made with it is returned, not made twice."""
    check(actor, Capability.HANDLE_TICKETS, location.pk)
    if request_key:
        existing = Promise.objects.filter(request_key=request_key).first()
        if existing is not None:
            return existing
    moment = at or timezone.now()
    if timezone.is_naive(due_at) or timezone.is_naive(moment):
        raise ValueError("promise times must be timezone-aware")
    text = text.strip()
    if not text:
        raise ValueError(_("Say what was promised."))
    if due_at <= moment:
        raise ValueError(_("A promise must be due in the future."))
    owner = owner or actor
    if not access_for(owner).can(Capability.HANDLE_TICKETS, location.pk):
        raise ValueError(
            _("%(name)s does not work at this location.") % {"name": person_name(owner)}
        )
    if ticket is not None and (
        ticket.customer_id != customer.pk or ticket.location_id != location.pk
    ):
        raise ValueError(_("The ticket is not this customer's ticket at this location."))
    promise = Promise.objects.create(
        customer=customer,
        ticket=ticket,
        location=location,
        text=text[:200],
        owner=owner,
        due_at=due_at,
        remind_at=remind_time(moment, due_at),
        created_by=actor,
        created_at=moment,
        request_key=request_key or None,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        subject="promise",
        customer_ref=customer.public_id,
        fields=["promise"],
    )
    return promise


@transaction.atomic
def close_promise(
    *,
    actor: Any,
    promise: Promise,
    kept: bool,
    expected_version: int,
    note: str = "",
    at: datetime | None = None,
) -> Promise:
    """Record that the promise was kept or broken. Once: a promise already closed, or
    changed since the actor saw it, is refused and nothing is written."""
    check(actor, Capability.HANDLE_TICKETS, promise.location_id)
    if promise.status != PromiseStatus.OPEN:
        raise ValueError(_("This promise has already been closed."))
    moment = at or timezone.now()
    status = PromiseStatus.KEPT if kept else PromiseStatus.BROKEN
    changes = {"status": status, "closed_at": moment, "closed_by": actor, "note": note.strip()}
    write_if_unchanged(promise, expected_version, StalePromise, **changes)
    return promise


@transaction.atomic
def reschedule_promise(
    *,
    actor: Any,
    promise: Promise,
    due_at: datetime,
    expected_version: int,
    at: datetime | None = None,
) -> Promise:
    """Move an open promise's due time (the customer agreed to a new time); the
    reminder follows. A time in the past is refused."""
    check(actor, Capability.HANDLE_TICKETS, promise.location_id)
    moment = at or timezone.now()
    if promise.status != PromiseStatus.OPEN:
        raise ValueError(_("This promise has already been closed."))
    if due_at <= moment:
        raise ValueError(_("A promise must be due in the future."))
    changes = {"due_at": due_at, "remind_at": remind_time(moment, due_at), "reminded_at": None}
    write_if_unchanged(promise, expected_version, StalePromise, **changes)
    return promise


def _reminder(promise: Promise) -> tuple[str, str, str] | None:
    """(address, subject, body) of the reminder to the owner, in their language."""
    owner = promise.owner
    if owner is None or not owner.email:
        return None
    profile = getattr(owner, "profile", None)
    language = (profile.language if profile else "") or promise.location.language
    with translation.override(language):
        due = weekday_day_time(promise.due_at, promise.location.timezone, language)
        name = promise.customer.display_name if promise.customer else _("a customer")
        values = {"name": name, "due": due, "text": promise.text}
        subject = _("Reminder: your promise to %(name)s is due %(due)s") % values
        body = (
            _("You promised %(name)s: “%(text)s”, due %(due)s. When it is done, mark it kept.")
            % values
        )
    return owner.email, subject, body


@transaction.atomic
def send_reminders(now: datetime | None = None) -> int:
    """Remind the owners of open promises whose reminder time has come, once each
    (``reminded_at``; run by ``regulars run-due``, safe to run twice at once). The emails
    go after the transaction commits. Returns how many promises were reminded."""
    moment = now or timezone.now()
    due = list(
        Promise.objects.select_for_update(of=("self",))
        .filter(status=PromiseStatus.OPEN, remind_at__lte=moment, reminded_at__isnull=True)
        .select_related("owner__profile", "customer", "location")
        .order_by("id")
    )
    Promise.objects.filter(pk__in=[p.pk for p in due], reminded_at__isnull=True).update(
        reminded_at=moment
    )
    messages = [m for m in (_reminder(promise) for promise in due) if m is not None]
    if messages:
        transaction.on_commit(lambda: _send(messages))
    return len(due)


def _send(messages: list[tuple[str, str, str]]) -> None:
    for address, subject, body in messages:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
