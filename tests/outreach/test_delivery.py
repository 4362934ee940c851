"""Sending outreach: ``delivery.send_due`` against a real SMTP server (aiosmtpd) and a
real HTTP SMS provider stand-in, both on loopback ports (``sinks``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from regulars.customers.models import Consent, Customer
from regulars.outreach import policy
from regulars.outreach.channels.email import message_id_for
from regulars.outreach.delivery import send_due
from regulars.outreach.models import (
    Bounce,
    Channel,
    Message,
    MessageStatus,
    Play,
    PlayKind,
    Voucher,
)
from regulars.outreach.wording import render
from regulars.service.flow import TicketKind, TicketStatus
from regulars.service.models import Ticket
from tests.conftest import World
from tests.outreach._delivery_helpers import fresh, make_play, queue_message, reachable_customer
from tests.outreach.sinks import SmsProvider, SmtpSink, free_port, sms_provider, smtp_sink


@pytest.fixture
def sink(settings: Any) -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = running.port
        settings.EMAIL_TIMEOUT = 5
        settings.EMAIL_FROM = "Regulars <hello@regulars.example>"
        yield running


@pytest.fixture
def provider(settings: Any) -> Iterator[SmsProvider]:
    with sms_provider() as running:
        settings.SMS_URL = running.url
        settings.SMS_TOKEN = running.token
        settings.SMS_SENDER = "Bottega"
        settings.SMS_TIMEOUT_S = 0.5
        yield running


# --- Quiet hours -----------------------------------------------------------------------


def test_a_message_due_in_quiet_hours_waits_for_their_end_without_an_attempt(
    world: World, sink: SmtpSink
) -> None:
    customer = reachable_customer(world.bologna, email="late@example.com")
    message = queue_message(customer, world.bologna)
    rules = policy.current()
    rules.quiet_start, rules.quiet_end = time(20), time(9)
    rules.save()
    rome = ZoneInfo("Europe/Rome")
    evening = datetime(2026, 3, 10, 22, 30, tzinfo=rome)  # the worker was down all day
    Message.objects.filter(pk=message.pk).update(send_after=evening - timedelta(hours=12))

    report = send_due(now=evening)

    assert (report.claimed, report.sent) == (1, 0)
    assert sink.received() == []
    waiting = fresh(message)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.attempts == 0
    assert waiting.next_attempt_at == datetime(2026, 3, 11, 9, 0, tzinfo=rome)

    assert send_due(now=datetime(2026, 3, 11, 8, 59, tzinfo=rome)).claimed == 0
    report = send_due(now=datetime(2026, 3, 11, 9, 1, tzinfo=rome))
    assert report.sent == 1
    assert [r.recipients for r in sink.received()] == [("late@example.com",)]


# --- E-mail --------------------------------------------------------------------------


def test_an_email_goes_out_with_its_words_its_headers_and_a_message_id_from_its_key(
    world: World, sink: SmtpSink
) -> None:
    customer = reachable_customer(world.bologna, email="giulia@example.com")
    message = queue_message(customer, world.bologna)
    expected = render(message, None)

    report = send_due()

    assert (report.claimed, report.sent) == (1, 1)
    [received] = sink.received()
    assert received.recipients == ("giulia@example.com",)
    email = received.email
    assert email["Message-ID"] == message_id_for(message.key)
    assert email["Subject"] == expected.subject
    # A URL this long is folded onto a line of its own: whitespace, as RFC 5322 allows.
    assert email["List-Unsubscribe"].strip() == expected.headers["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Bologna" in email["From"]
    assert "hello@regulars.example" in email["From"]
    parts = {part.get_content_type(): part for part in email.walk()}
    text = parts["text/plain"].get_content().replace("\r\n", "\n")
    assert text.strip() == expected.body.strip()
    assert "/o/u/" in text  # the one-click unsubscribe link
    assert "text/html" in parts
    sent = fresh(message)
    assert sent.status == MessageStatus.SENT
    assert sent.sent_at is not None
    assert (sent.address, sent.subject, sent.body) == (
        "giulia@example.com",
        expected.subject,
        expected.body,
    )
    assert sent.provider_ref == message_id_for(message.key)
    assert sent.attempts == 1


def test_one_smtp_session_carries_every_message_of_a_run(world: World, sink: SmtpSink) -> None:
    play, arm = make_play()
    for _ in range(7):
        queue_message(reachable_customer(world.bologna), world.bologna, play=play, arm=arm)

    assert send_due(batch_size=3).sent == 7

    received = sink.received()
    assert len(received) == 7
    assert len({r.peer for r in received}) == 1


def test_the_message_id_is_the_same_for_the_same_key_and_differs_between_keys() -> None:
    assert message_id_for("birthday:1:2:2026") == message_id_for("birthday:1:2:2026")
    assert message_id_for("birthday:1:2:2026") != message_id_for("birthday:1:3:2026")
    assert message_id_for("a key with spaces/and:colons").startswith("<")


def test_a_temporary_refusal_is_retried_after_a_backoff_and_then_sent_exactly_once(
    world: World, sink: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_RETRY_BASE_S = 60
    message = queue_message(reachable_customer(world.bologna), world.bologna)
    sink.answer_data("451 4.3.0 Mailbox busy, try later")
    now = timezone.now()

    first = send_due(now)

    assert (first.sent, first.retrying) == (0, 1)
    waiting = fresh(message)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.attempts == 1
    assert "451" in waiting.error
    assert waiting.next_attempt_at is not None
    assert now + timedelta(seconds=45) <= waiting.next_attempt_at <= now + timedelta(seconds=76)
    assert send_due(now + timedelta(seconds=30)).claimed == 0  # not due again yet

    again = send_due(now + timedelta(minutes=2))

    assert again.sent == 1
    done = fresh(message)
    assert (done.status, done.attempts, done.error) == (MessageStatus.SENT, 2, "")
    assert sink.message_ids() == [message_id_for(message.key)]


def test_the_backoff_doubles_with_each_attempt(world: World, sink: SmtpSink, settings: Any) -> None:
    settings.OUTREACH_RETRY_BASE_S = 100
    message = queue_message(reachable_customer(world.bologna), world.bologna)
    sink.answer_data(*["451 4.3.0 later"] * 3)
    now = timezone.now()
    waits = []
    for _ in range(3):
        send_due(now)
        waiting = fresh(message)
        assert waiting.next_attempt_at is not None
        waits.append((waiting.next_attempt_at - now).total_seconds())
        now = waiting.next_attempt_at

    assert 75 <= waits[0] <= 125
    assert 150 <= waits[1] <= 250
    assert 300 <= waits[2] <= 500


def test_a_message_gives_up_after_the_last_attempt_and_keeps_the_error(
    world: World, sink: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = 3
    message = queue_message(reachable_customer(world.bologna), world.bologna)
    sink.answer_data(*["452 4.2.2 Mailbox full"] * 3)
    now = timezone.now()

    for day in range(3):
        send_due(now + timedelta(days=day))
    assert send_due(now + timedelta(days=5)).claimed == 0

    failed = fresh(message)
    assert failed.status == MessageStatus.FAILED
    assert failed.attempts == 3
    assert failed.reason == "send_failed"
    assert "452" in failed.error
    assert "Mailbox full" in failed.error
    assert sink.received() == []


def test_a_refused_recipient_bounces_and_the_address_is_flagged(
    world: World, sink: SmtpSink
) -> None:
    customer = reachable_customer(world.bologna, email="nobody@example.com")
    message = queue_message(customer, world.bologna)
    sink.refuse_recipient("nobody@example.com", "550 5.1.1 No such user here")

    report = send_due()

    assert report.bounced == 1
    bounced = fresh(message)
    assert bounced.status == MessageStatus.BOUNCED
    assert "550" in bounced.error
    [bounce] = Bounce.objects.all()
    assert (bounce.customer, bounce.channel, bounce.address, bounce.message) == (
        customer,
        Channel.EMAIL,
        "nobody@example.com",
        bounced,
    )
    assert "No such user" in bounce.reason
    assert sink.received() == []
    # The policy now stops using the address: the next message is cancelled unsent.
    later = queue_message(customer, world.bologna)
    assert send_due().cancelled == 1
    assert (fresh(later).status, fresh(later).reason) == (MessageStatus.CANCELLED, "bounced")


def test_a_421_closes_the_session_and_the_next_message_goes_on_a_new_one(
    world: World, sink: SmtpSink
) -> None:
    play, arm = make_play()
    first = queue_message(reachable_customer(world.bologna), world.bologna, play=play, arm=arm)
    second = queue_message(reachable_customer(world.bologna), world.bologna, play=play, arm=arm)
    sink.answer_data("421 4.3.2 Service shutting down")

    report = send_due()

    assert (report.retrying, report.sent) == (1, 1)
    assert fresh(first).status == MessageStatus.QUEUED
    assert fresh(second).status == MessageStatus.SENT
    assert sink.message_ids() == [message_id_for(second.key)]


def test_a_server_slower_than_the_timeout_is_a_temporary_failure(
    world: World, sink: SmtpSink, settings: Any
) -> None:
    settings.EMAIL_TIMEOUT = 0.3
    message = queue_message(reachable_customer(world.bologna), world.bologna)
    sink.delay_s = 1.0

    assert send_due().retrying == 1

    waiting = fresh(message)
    assert waiting.status == MessageStatus.QUEUED
    assert "timed out" in waiting.error.lower()


def test_with_the_smtp_server_down_every_message_waits_and_none_is_lost(
    world: World, settings: Any
) -> None:
    down = SmtpSink()  # its port is reserved, nothing listens yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", down.port, 2
    play, arm = make_play()
    messages = [
        queue_message(reachable_customer(world.bologna), world.bologna, play=play, arm=arm)
        for _ in range(5)
    ]
    now = timezone.now()

    report = send_due(now)

    assert (report.claimed, report.retrying, report.sent) == (5, 5, 0)
    for message in messages:
        waiting = fresh(message)
        assert waiting.status == MessageStatus.QUEUED
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at > now
        assert "cannot connect" in waiting.error or "unreachable" in waiting.error

    down.start()
    try:
        assert send_due(now + timedelta(hours=1)).sent == 5
        assert sorted(down.message_ids()) == sorted(message_id_for(m.key) for m in messages)
    finally:
        down.stop()


def test_consent_withdrawn_after_planning_cancels_the_message_and_nothing_is_sent(
    world: World, sink: SmtpSink
) -> None:
    customer = reachable_customer(world.bologna)
    message = queue_message(customer, world.bologna)
    Consent.objects.create(customer=customer, channel="email", granted=False, method="by phone")

    report = send_due()

    assert report.cancelled == 1
    cancelled = fresh(message)
    assert (cancelled.status, cancelled.reason) == (MessageStatus.CANCELLED, "consent")
    assert cancelled.reason_params == {"channel": "email"}
    assert sink.received() == []


def test_messages_not_yet_due_wait(world: World, sink: SmtpSink) -> None:
    customer = reachable_customer(world.bologna)
    later = queue_message(customer, world.bologna, send_after=timezone.now() + timedelta(hours=2))
    retry = queue_message(reachable_customer(world.bologna), world.bologna)
    Message.objects.filter(pk=retry.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5), attempts=1
    )

    assert send_due().claimed == 0
    assert fresh(later).status == fresh(retry).status == MessageStatus.QUEUED
    assert sink.received() == []


def test_a_run_sends_no_more_than_its_limit(world: World, sink: SmtpSink) -> None:
    play, arm = make_play()
    for _ in range(5):
        queue_message(reachable_customer(world.bologna), world.bologna, play=play, arm=arm)

    assert send_due(limit=3, batch_size=2).sent == 3

    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 2
    assert len(sink.received()) == 3


def test_a_message_left_sending_by_a_stopped_worker_is_sent_again_under_the_same_key(
    world: World, sink: SmtpSink
) -> None:
    now = timezone.now()
    abandoned = queue_message(reachable_customer(world.bologna), world.bologna)
    in_hand = queue_message(reachable_customer(world.bologna), world.bologna)
    Message.objects.filter(pk=abandoned.pk).update(
        status=MessageStatus.SENDING, claimed_at=now - timedelta(minutes=11)
    )
    Message.objects.filter(pk=in_hand.pk).update(
        status=MessageStatus.SENDING, claimed_at=now - timedelta(minutes=1)
    )

    report = send_due(now)

    assert (report.claimed, report.reclaimed, report.sent) == (1, 1, 1)
    assert fresh(abandoned).status == MessageStatus.SENT
    assert fresh(in_hand).status == MessageStatus.SENDING  # another worker still has it
    assert sink.message_ids() == [message_id_for(abandoned.key)]


def test_a_voucher_is_issued_once_and_its_code_is_in_the_words(
    world: World, sink: SmtpSink
) -> None:
    message = queue_message(reachable_customer(world.bologna), world.bologna, with_voucher=True)

    assert send_due().sent == 1

    voucher = Voucher.objects.get(message=message)
    body = fresh(message).body
    assert voucher.code[:4] in body
    assert voucher.code[4:] in body
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.QUEUED)
    send_due()
    assert Voucher.objects.filter(message=message).count() == 1


def test_calls_are_left_for_staff(world: World, sink: SmtpSink) -> None:
    call = queue_message(reachable_customer(world.bologna), world.bologna, channel=Channel.CALL)

    assert send_due().claimed == 0
    assert fresh(call).status == MessageStatus.QUEUED


# --- Text messages ---------------------------------------------------------------------


def test_a_text_goes_to_the_provider_with_the_token_the_key_and_the_words(
    world: World, provider: SmsProvider
) -> None:
    customer = reachable_customer(world.bologna, mobile="+393331112222")
    message = queue_message(customer, world.bologna, channel=Channel.SMS)
    expected = render(message, None)

    assert send_due().sent == 1

    [request] = provider.requests
    assert request.key == message.key
    assert request.authorization == f"Bearer {provider.token}"
    assert request.payload == {
        "to": "+393331112222",
        "from": "Bottega",
        "text": expected.body,
        "reference": message.key,
    }
    sent = fresh(message)
    assert sent.status == MessageStatus.SENT
    assert sent.provider_ref == provider.delivered[message.key]["id"]
    assert (sent.address, sent.body) == ("+393331112222", expected.body)


@pytest.mark.parametrize(
    "answer",
    [(500, {"error": "internal"}), (429, {"error": "slow down"}), (503, {}), "timeout"],
)
def test_a_provider_failure_is_retried_and_then_sent_once(
    world: World, provider: SmsProvider, answer: Any
) -> None:
    message = queue_message(reachable_customer(world.bologna), world.bologna, channel=Channel.SMS)
    provider.fail_next(answer)
    now = timezone.now()

    assert send_due(now).retrying == 1
    waiting = fresh(message)
    assert (waiting.status, waiting.attempts) == (MessageStatus.QUEUED, 1)
    assert waiting.error

    assert send_due(now + timedelta(hours=1)).sent == 1
    assert len(provider.delivered) == 1
    assert fresh(message).status == MessageStatus.SENT


def test_an_invalid_number_bounces_and_is_flagged(world: World, provider: SmsProvider) -> None:
    customer = reachable_customer(world.bologna, mobile="+393339999999")
    message = queue_message(customer, world.bologna, channel=Channel.SMS)
    provider.invalid_numbers.add("+393339999999")

    assert send_due().bounced == 1

    bounced = fresh(message)
    assert bounced.status == MessageStatus.BOUNCED
    assert "400" in bounced.error
    assert "invalid destination" in bounced.error
    [bounce] = Bounce.objects.all()
    assert (bounce.channel, bounce.address) == (Channel.SMS, "+393339999999")
    assert provider.delivered == {}


def test_a_number_that_is_not_international_bounces_without_asking_the_provider(
    world: World, provider: SmsProvider
) -> None:
    customer = reachable_customer(world.bologna, mobile="3331234")
    message = queue_message(customer, world.bologna, channel=Channel.SMS)

    assert send_due().bounced == 1

    assert fresh(message).status == MessageStatus.BOUNCED
    assert provider.requests == []
    assert Bounce.objects.get().address == "3331234"


def test_a_text_sent_again_is_dropped_by_the_provider_as_a_repeat(
    world: World, provider: SmsProvider
) -> None:
    message = queue_message(reachable_customer(world.bologna), world.bologna, channel=Channel.SMS)
    assert send_due().sent == 1
    first_ref = fresh(message).provider_ref
    # As if the worker had died after the provider's answer, before recording it.
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )

    assert send_due().sent == 1

    assert len(provider.requests) == 2
    assert len(provider.delivered) == 1
    assert fresh(message).provider_ref == first_ref


def test_with_the_provider_down_texts_wait_and_none_is_lost(world: World, settings: Any) -> None:
    settings.SMS_URL = f"http://127.0.0.1:{free_port()}/v1/messages"
    settings.SMS_TOKEN = "test-token"
    message = queue_message(reachable_customer(world.bologna), world.bologna, channel=Channel.SMS)

    assert send_due().retrying == 1

    waiting = fresh(message)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.next_attempt_at is not None
    assert "cannot connect" in waiting.error


# --- Suppression, cards ------------------------------------------------------------------


def _complaint(customer: Any) -> Ticket:
    return Ticket.objects.create(
        location=customer.home_location,
        customer=customer,
        kind=TicketKind.COMPLAINT,
        subject="Waited 40 minutes",
        status=TicketStatus.OPEN,
    )


def test_a_complaint_opened_since_planning_holds_back_all_but_the_recovery(
    world: World, sink: SmtpSink
) -> None:
    customer = reachable_customer(world.bologna)
    greeting = queue_message(customer, world.bologna)
    recovery_play = Play.objects.create(name="Sorry", kind=PlayKind.RECOVERY)
    apology = queue_message(customer, world.bologna, play=recovery_play)
    _complaint(customer)

    report = send_due()

    assert (report.cancelled, report.sent) == (1, 1)
    assert (fresh(greeting).status, fresh(greeting).reason) == (
        MessageStatus.CANCELLED,
        "complaint",
    )
    assert fresh(apology).status == MessageStatus.SENT
    assert sink.message_ids() == [message_id_for(apology.key)]


def test_due_cards_go_into_a_print_batch_and_are_sent(
    world: World, sink: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    customer = reachable_customer(world.bologna, consents=("post",))
    Customer.objects.filter(pk=customer.pk).update(postal_address="Via Roma 1\n40121 Bologna")
    nowhere = reachable_customer(world.bologna, consents=("post",))
    card = queue_message(customer, world.bologna, channel=Channel.CARD)
    lost = queue_message(nowhere, world.bologna, channel=Channel.CARD)

    report = send_due()

    assert (report.printed, report.cancelled) == (1, 1)
    printed = fresh(card)
    assert printed.status == MessageStatus.SENT
    assert printed.batch is not None
    assert printed.batch.cards == 1
    assert (tmp_path / "print" / printed.batch.cards_path).read_bytes().startswith(b"%PDF")
    assert (fresh(lost).status, fresh(lost).reason) == (MessageStatus.CANCELLED, "no_address")
    assert sink.received() == []
    assert send_due().claimed == 0


def test_without_a_provider_the_demo_writes_texts_to_an_outbox_file(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.SMS_URL, settings.PRODUCTION, settings.DATA_DIR = None, False, tmp_path
    customer = reachable_customer(world.bologna, mobile="+393334445555")
    message = queue_message(customer, world.bologna, channel=Channel.SMS)

    assert send_due().sent == 1

    [line] = (tmp_path / "sms" / "outbox.jsonl").read_text().splitlines()
    written = json.loads(line)
    assert (written["to"], written["reference"]) == ("+393334445555", message.key)
    assert written["text"] == fresh(message).body


def test_without_a_provider_production_retries_and_says_why(
    world: World, settings: Any, tmp_path: Path
) -> None:
    settings.SMS_URL, settings.PRODUCTION, settings.DATA_DIR = None, True, tmp_path
    message = queue_message(reachable_customer(world.bologna), world.bologna, channel=Channel.SMS)

    assert send_due().retrying == 1

    assert "REGULARS_SMS_URL" in fresh(message).error
    assert not (tmp_path / "sms").exists()
