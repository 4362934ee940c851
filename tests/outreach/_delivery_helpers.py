"""Data for the delivery tests: reachable customers and queued messages made directly,
as the planner would leave them, and the child-process side of the crash tests
(``child_main``: seed a database, report what it holds)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.customers.models import Consent, Customer, Phone, PhoneLabel
from regulars.outreach import policy
from regulars.outreach.models import (
    Arm,
    ArmChannel,
    Channel,
    Message,
    MessageStatus,
    OccasionKind,
    Play,
    PlayKind,
    VoucherKind,
)

_numbers = count(1)


def open_all_hours() -> None:
    """These tests are about sending, not about the hour: the business keeps no quiet
    hours (start = end), so they pass at any time of day. Quiet hours at send time have
    their own test, at a fixed clock."""
    rules = policy.current()
    rules.quiet_start = rules.quiet_end = dt_time(9)
    rules.save()


def make_play(*, voucher: bool = False) -> tuple[Play, Arm]:
    open_all_hours()
    # A draft play: the planner leaves it alone, so only the messages made here exist.
    play = Play.objects.create(
        name="Birthday greetings", kind=PlayKind.OCCASION, occasion=OccasionKind.BIRTHDAY
    )
    arm = Arm.objects.create(
        play=play,
        channel=ArmChannel.AUTO,
        voucher_kind=VoucherKind.PERCENT if voucher else VoucherKind.NONE,
        voucher_value=Decimal("10.00") if voucher else None,
        voucher_text="10% off" if voucher else "",
    )
    return play, arm


def reachable_customer(
    location: Location,
    *,
    email: str | None = None,
    mobile: str | None = None,
    language: str = "it",
    consents: Sequence[str] = ("email", "sms"),
) -> Customer:
    n = next(_numbers)
    customer = Customer.objects.create(
        given_name="Giulia",
        family_name=f"Rossi{n}",
        email=email if email is not None else f"giulia{n}@example.com",
        language=language,
        home_location=location,
    )
    Phone.objects.create(
        customer=customer,
        number=mobile if mobile is not None else f"+39333{n:07d}",
        label=PhoneLabel.MOBILE,
    )
    for channel in consents:
        Consent.objects.create(
            customer=customer,
            channel=channel,
            granted=True,
            at=timezone.now() - timedelta(days=30),
            method="asked at the counter",
        )
    return customer


def queue_message(
    customer: Customer,
    location: Location,
    *,
    channel: str = Channel.EMAIL,
    play: Play | None = None,
    arm: Arm | None = None,
    send_after: datetime | None = None,
    with_voucher: bool = False,
    key: str | None = None,
) -> Message:
    if play is None:
        play, arm = make_play(voucher=with_voucher)
    return Message.objects.create(
        key=key or f"birthday:{play.pk}:{customer.pk}:{next(_numbers)}",
        play=play,
        arm=arm,
        customer=customer,
        location=location,
        day=local_today(location.timezone),
        occasion=OccasionKind.BIRTHDAY,
        channel=channel,
        with_voucher=with_voucher,
        language=customer.language,
        status=MessageStatus.QUEUED,
        send_after=send_after or timezone.now() - timedelta(minutes=5),
    )


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


# --- The crash tests' child processes -------------------------------------------------


def seed(n: int, channel: str) -> list[str]:
    """A location, ``n`` reachable customers and one queued message each; the keys."""
    location = Location.objects.create(
        name="Bologna", country="IT", timezone="Europe/Rome", currency="EUR", language="it"
    )
    play, arm = make_play()
    return [
        queue_message(
            reachable_customer(location), location, channel=channel, play=play, arm=arm
        ).key
        for _ in range(n)
    ]


def report() -> dict[str, dict[str, Any]]:
    return {
        m.key: {"status": m.status, "attempts": m.attempts, "provider_ref": m.provider_ref}
        for m in Message.objects.order_by("id")
    }


def send_when_told(go: Path) -> dict[str, Any]:
    """Say "ready", wait for the file ``go``, then send until nothing is due."""
    from regulars.outreach.delivery import SendReport, send_due

    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    total = SendReport()
    while (report := send_due(batch_size=10)).claimed:
        total.add(report)
    return total.as_dict()


def child_main(argv: Sequence[str]) -> int:
    """``migrate``, ``seed N CHANNEL``, ``report`` or ``send GO_FILE``: one JSON line
    on stdout. Run after ``django.setup()`` in a process of its own."""
    from django.core.management import call_command

    if argv[0] == "migrate":
        call_command("migrate", interactive=False, verbosity=0)
        print(json.dumps("migrated"))
    elif argv[0] == "seed":
        with transaction.atomic():
            keys = seed(int(argv[1]), argv[2])
        print(json.dumps(keys))
    elif argv[0] == "send":
        print(json.dumps(send_when_told(Path(argv[1]))))
    else:
        print(json.dumps(report()))
    return 0
