"""Calls staff make for a play: a CALL message stays queued (on the agenda) until
someone records the call, which marks it sent with who called and how it went.

``record_call`` is idempotent: the update only matches a call still queued, so a second
submit of the same form (a double click, a second tab, a colleague at the same moment)
changes nothing and keeps the first outcome.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation

from regulars.accounts.access import check
from regulars.core.dates import weekday_and_day
from regulars.core.permissions import Capability
from regulars.outreach.models import Channel, Message, MessageStatus, OccasionKind

OUTCOME_MAX = 200  # Message.outcome's length


def calls_due(location_id: int, now: datetime) -> QuerySet[Message]:
    """The location's calls to make: CALL messages queued and due, oldest first, with
    the customer, their phones and the play in the same few queries."""
    return (
        Message.objects.filter(
            location_id=location_id, channel=Channel.CALL, status=MessageStatus.QUEUED
        )
        .filter(Q(send_after__isnull=True) | Q(send_after__lte=now))
        .select_related("customer", "play")
        .prefetch_related("customer__phones")
        .order_by("day", "id")
    )


def call_reason(
    *, play_name: str, occasion: str, occasion_name: str, occasion_on: date | None
) -> str:
    """Why staff call, in the active language: "Birthday greetings · Birthday in the
    household: Marco, Thursday 14 March" (the play, then the occasion when there is one)."""
    parts = [play_name] if play_name else []
    if occasion in OccasionKind.values:
        what = str(OccasionKind(occasion).label)
        if occasion_name:
            what = f"{what}: {occasion_name}"
        if occasion_on is not None:
            what = f"{what}, {weekday_and_day(occasion_on, translation.get_language() or 'en')}"
        parts.append(what)
    return " · ".join(parts)


def reason_of(message: Message) -> str:
    return call_reason(
        play_name=message.play.name,
        occasion=message.occasion,
        occasion_name=message.occasion_name,
        occasion_on=message.occasion_on,
    )


def get_call_for(user: Any, public_id: str) -> Message:
    """The one way a view finds a call: 404 unless it is a call, 403 unless the user
    sees the agenda at its location."""
    message = (
        Message.objects.select_related("customer", "location", "play")
        .filter(public_id=public_id, channel=Channel.CALL)
        .first()
    )
    if message is None:
        raise Http404
    check(user, Capability.VIEW_AGENDA, message.location_id)
    return message


def record_call(message: Message, user: Any, outcome: str) -> bool:
    """Mark a queued call made by ``user`` with a short note of how it went.

    True when this call recorded it; False when it was already recorded (or is no longer
    queued), in which case nothing changes. PermissionDenied unless ``user`` sees the
    agenda at the call's location; ValueError for a message that is not a call.
    """
    if message.channel != Channel.CALL:
        raise ValueError("only calls are recorded by staff")
    check(user, Capability.VIEW_AGENDA, message.location_id)
    now = timezone.now()
    note = " ".join(outcome.split())[:OUTCOME_MAX]
    updated = Message.objects.filter(
        pk=message.pk, channel=Channel.CALL, status=MessageStatus.QUEUED
    ).update(status=MessageStatus.SENT, sent_at=now, done_by=user, outcome=note)
    if updated:
        message.status = MessageStatus.SENT
        message.sent_at = now
        message.done_by = user
        message.outcome = note
    return updated == 1
