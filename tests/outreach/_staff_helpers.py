"""Data for the staff-side outreach tests (agenda, calls, vouchers, counter card,
unsubscribe): plays, messages and vouchers made directly, as the planner would."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.customers.models import Customer
from regulars.outreach.models import (
    Channel,
    Message,
    MessageStatus,
    OccasionKind,
    Play,
    PlayKind,
    PlayStatus,
    Voucher,
    VoucherKind,
)
from regulars.outreach.vouchers import new_code

_keys = count(1)


def today_at(location: Location) -> date:
    return local_today(location.timezone)


def make_play(name: str = "Birthday greetings", location: Location | None = None) -> Play:
    return Play.objects.create(
        name=name,
        kind=PlayKind.OCCASION,
        occasion=OccasionKind.BIRTHDAY,
        location=location,
        status=PlayStatus.APPROVED,
    )


def make_message(
    customer: Customer,
    location: Location,
    *,
    play: Play | None = None,
    channel: str = Channel.CALL,
    status: str = MessageStatus.QUEUED,
    send_after: Any = None,
    occasion: str = OccasionKind.BIRTHDAY,
    occasion_on: date | None = None,
) -> Message:
    return Message.objects.create(
        key=f"test:{next(_keys)}",
        play=play or make_play(),
        customer=customer,
        location=location,
        day=today_at(location),
        occasion=occasion,
        occasion_on=occasion_on,
        channel=channel,
        status=status,
        send_after=send_after if send_after is not None else timezone.now() - timedelta(hours=1),
    )


def make_voucher(
    customer: Customer,
    *,
    expires_on: date,
    kind: str = VoucherKind.PERCENT,
    value: Decimal | None = Decimal("10.00"),
    currency: str = "",
    text: str = "",
) -> Voucher:
    return Voucher.objects.create(
        code=new_code(),
        customer=customer,
        kind=kind,
        value=value,
        currency=currency,
        text=text,
        expires_on=expires_on,
    )
