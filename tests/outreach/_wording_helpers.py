"""Plays, arms and messages for the wording and print tests."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from regulars.accounts.models import Location
from regulars.customers.models import Customer
from regulars.outreach.models import (
    Arm,
    Message,
    MessageStatus,
    OccasionKind,
    Play,
    PlayKind,
    PlayStatus,
)

_keys = itertools.count(1)


def purpose_play(purpose: str, location: Location | None = None) -> Play:
    """A play for ``purpose`` (an occasion kind or a play kind)."""
    if purpose in OccasionKind.values:
        kind, occasion = PlayKind.OCCASION, purpose
    else:
        kind, occasion = purpose, ""
    return Play.objects.create(
        name=f"{purpose} play",
        kind=kind,
        occasion=occasion,
        location=location,
        status=PlayStatus.APPROVED,
    )


def message_for(
    customer: Customer,
    location: Location,
    *,
    purpose: str = "birthday",
    channel: str = "email",
    occasion_name: str = "",
    occasion_on: date | None = None,
    voucher_kind: str = "",
    voucher_value: Decimal | None = None,
    voucher_text: str = "",
    status: str = MessageStatus.QUEUED,
    language: str = "",
    play: Play | None = None,
    **fields: Any,
) -> Message:
    play = play or purpose_play(purpose, location)
    arm = Arm.objects.create(
        play=play,
        label=f"A{next(_keys)}",
        channel=channel,
        voucher_kind=voucher_kind,
        voucher_value=voucher_value,
        voucher_text=voucher_text,
        voucher_days=30,
    )
    return Message.objects.create(
        key=f"test-{next(_keys)}",
        play=play,
        arm=arm,
        customer=customer,
        location=location,
        day=occasion_on or date(2026, 3, 18),
        occasion=purpose if purpose in OccasionKind.values else "",
        occasion_on=occasion_on,
        occasion_name=occasion_name,
        channel=channel,
        with_voucher=bool(voucher_kind),
        language=language,
        status=status,
        **fields,
    )
