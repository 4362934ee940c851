"""The send rate of outreach e-mail: ``delivery.send_due`` against a local SMTP sink.

``measure_send_rate(n)`` (called by ``bench.outreach``, which prints the result line)
runs in a child process of its own: a fresh SQLite database with ``n`` queued e-mail
messages to ``n`` customers who consented, and an aiosmtpd sink in another process
(so the server does not share the sender's interpreter). It sends them with
``send_due`` until none is due, three times (the messages are queued again between
runs), and reports the median rate. Each run is checked: the sink received exactly
``n`` messages and every message is ``sent``.

The baseline, measured in the same child on the same messages: the naive way, one
``send_mail`` call per message (a new SMTP connection each), after rendering it and
followed by saving it as sent — what a loop over the messages would do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, figure, free_port, median, setup_django, temp_dir

TARGET_PER_S = 200.0
RUNS = 3
WARM_UP = 20
_SINK = """
import sys
from aiosmtpd.controller import Controller
out = open(sys.argv[2], "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        out.write("1\\n")
        return "250 2.0.0 Accepted"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""
_CHILD = (
    "import sys; from bench._outreach_send import child_main; sys.exit(child_main(sys.argv[1:]))"
)


def measure_send_rate(n: int) -> dict[str, Any]:
    """Messages per second sent by ``send_due`` to a local SMTP sink (median of three
    runs of ``n`` messages) and the per-message ``send_mail`` baseline; see the module."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench._outreach_send failed with status {proc.returncode}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


class _Sink:
    """aiosmtpd in a process of its own, counting what it accepts in a file."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.log = folder / "received.txt"
        self.log.touch()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SINK, str(self.port), str(self.log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout is None or self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def received(self) -> int:
        return len(self.log.read_text().splitlines())

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _seed(n: int) -> list[int]:
    from datetime import timedelta

    from django.utils import timezone

    from regulars.accounts.models import Location
    from regulars.customers.models import Consent, Customer
    from regulars.outreach.models import (
        Arm,
        Channel,
        Message,
        MessageStatus,
        OccasionKind,
        Play,
        PlayKind,
    )

    now = timezone.now()
    location = Location.objects.create(
        name="Bottega", country="IT", timezone="Europe/Rome", currency="EUR", language="it"
    )
    play = Play.objects.create(
        name="Birthdays", kind=PlayKind.OCCASION, occasion=OccasionKind.BIRTHDAY
    )
    arm = Arm.objects.create(play=play)
    languages = ("it", "en", "da", "ru", "es")
    customers = Customer.objects.bulk_create(
        Customer(
            given_name=f"Cliente{i}",
            family_name="Rossi",
            email=f"c{i}@example.com",
            language=languages[i % len(languages)],
            home_location=location,
        )
        for i in range(n)
    )
    Consent.objects.bulk_create(
        Consent(customer=c, channel="email", granted=True, at=now, method="bench")
        for c in customers
    )
    messages = Message.objects.bulk_create(
        Message(
            key=f"birthday:{play.pk}:{c.pk}:{now:%Y}",
            play=play,
            arm=arm,
            customer=c,
            location=location,
            day=now.date(),
            occasion=OccasionKind.BIRTHDAY,
            channel=Channel.EMAIL,
            language=c.language,
            status=MessageStatus.SENT,  # each run queues its own again
            send_after=now - timedelta(minutes=1),
        )
        for c in customers
    )
    return [m.pk for m in messages]


def _requeue(ids: list[int]) -> None:
    from regulars.outreach.models import Message, MessageStatus

    Message.objects.filter(pk__in=ids).update(
        status=MessageStatus.QUEUED,
        attempts=0,
        sent_at=None,
        next_attempt_at=None,
        claimed_at=None,
        provider_ref="",
        error="",
    )


def _sent(ids: list[int]) -> int:
    from regulars.outreach.models import Message, MessageStatus

    return Message.objects.filter(pk__in=ids, status=MessageStatus.SENT).count()


def _run_send_due(ids: list[int], sink: _Sink) -> float:
    from regulars.outreach.delivery import send_due

    _requeue(ids)
    before = sink.received()
    started = time.perf_counter()
    while send_due().claimed:
        pass
    seconds = time.perf_counter() - started
    if sink.received() - before != len(ids) or _sent(ids) != len(ids):
        raise RuntimeError("send_due did not send every message exactly once")
    return seconds


def _run_naive(ids: list[int], sink: _Sink) -> float:
    """One ``send_mail`` per message, a new connection each: the loop one would write."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.utils import timezone

    from regulars.outreach.models import Message, MessageStatus
    from regulars.outreach.wording import render

    _requeue(ids)
    before = sink.received()
    started = time.perf_counter()
    for message in Message.objects.filter(pk__in=ids).select_related("customer", "location"):
        words = render(message, None)
        send_mail(
            words.subject,
            words.body,
            settings.EMAIL_FROM,
            [message.customer.email],
            html_message=words.html,
        )
        message.status = MessageStatus.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["status", "sent_at"])
    seconds = time.perf_counter() - started
    if sink.received() - before != len(ids):
        raise RuntimeError("the baseline did not send every message")
    return seconds


def child_main(argv: list[str]) -> int:
    import os
    import shutil

    n = int(argv[0])
    folder = temp_dir("outreach-send")
    sink = _Sink(folder)
    try:
        os.environ.update(
            REGULARS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            REGULARS_SMTP_HOST="127.0.0.1",
            REGULARS_SMTP_PORT=str(sink.port),
            REGULARS_LOG_LEVEL="WARNING",
        )
        setup_django(folder / "data")
        seeded = _seed(WARM_UP + n)
        warm, ids = seeded[:WARM_UP], seeded[WARM_UP:]
        _run_send_due(warm, sink)  # first-use costs (URL resolver, templates) paid here
        sends = [_run_send_due(ids, sink) for _ in range(RUNS)]
        naive = [_run_naive(ids, sink) for _ in range(RUNS)]
    finally:
        sink.stop()
        shutil.rmtree(folder, ignore_errors=True)
    rate = n / median(sends)
    baseline = n / median(naive)
    result = {
        "n": n,
        "messages_per_s": round(rate, 1),
        "runs_s": [round(s, 3) for s in sends],
        "baseline_messages_per_s": round(baseline, 1),
        "baseline_runs_s": [round(s, 3) for s in naive],
        "ratio_vs_send_mail": round(rate / baseline, 2),
        "figures": {
            "send_messages_per_s": figure(rate, "messages/s", TARGET_PER_S, "higher"),
        },
    }
    print(json.dumps(result), flush=True)
    return 0
