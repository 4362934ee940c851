"""The sender: claims the queued messages that are due, sends each through its
channel and records what happened.

``send_due`` works in small batches:

1. **Claim** (one short transaction): queued messages whose ``send_after`` and
   ``next_attempt_at`` have passed, plus messages left ``sending`` by a worker that
   stopped (``claimed_at`` older than ``RECLAIM_AFTER``), become ``sending`` with a
   fresh ``claimed_at`` stamp. On PostgreSQL the rows are picked with ``SELECT … FOR
   UPDATE SKIP LOCKED`` so several workers take disjoint batches; SQLite serialises
   the claim (its transactions take the write lock when they begin). The claim
   commits before anything leaves the building.
2. **Send**: the contact policy is asked again for the whole batch (``recheck``, the
   rules of ``policy.channel_allowed`` but the budget: consent withdrawn, unsubscribed,
   bounced, a complaint opened since the message was planned → ``cancelled`` with that
   reason); then, one message at a time, the voucher is issued (once per message), the
   words rendered, and the channel adapter sends, in a thread of its own, so that
   waiting for the provider's reply overlaps rendering the next message (which is
   sent only once the previous outcome is recorded).
3. **Record** (one short transaction per message, only while the claim is still
   ours): ``sent`` with the address, words and provider reference; a temporary
   failure goes back to ``queued`` with ``next_attempt_at = now + base · 2^attempts``
   (±25 % jitter), and ``failed`` after ``OUTREACH_MAX_ATTEMPTS``; a permanent refusal
   is ``bounced`` with a ``Bounce`` row flagging the address.

Printed cards that are due go to ``channels.print.make_batches`` (one PDF batch per
location); calls are never claimed: staff make them from the agenda.

Exactly once, honestly
----------------------
A message's idempotency key never changes, and every attempt uses it: the e-mail's
Message-ID is derived from it and the SMS provider gets it as ``Idempotency-Key``.

- Killed before the provider accepted the message: the claim stays ``sending``; after
  ``RECLAIM_AFTER`` any worker claims it again and sends it once.
- Killed after our commit: it is ``sent``; nothing is sent again.
- Killed between the provider's acceptance and our commit (the few milliseconds
  between the SMTP server's 250 or the provider's 2xx and our UPDATE, which at most
  waits for the next message to be rendered): the message is sent again under the
  same key. The SMS provider drops the repeat (idempotency key); an SMTP server has no
  such rule, so the recipient may get the same e-mail twice, with the same
  Message-ID, which mail stores that deduplicate by Message-ID (Gmail does) show once.
  That window cannot be closed without a two-phase commit with the provider, which
  SMTP does not offer.

A claim older than ``RECLAIM_AFTER`` is taken as abandoned. A worker renews the stamp
of its batch when a third of that time has passed, so a slow but living worker keeps
its messages; a single send outlasting ``RECLAIM_AFTER`` (far above the SMTP and SMS
timeouts) could be sent twice, under the same key again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from regulars.customers.models import Phone
from regulars.outreach import policy, reasons
from regulars.outreach.channels import ChannelAdapter, Outcome, Rendered
from regulars.outreach.models import Bounce, Channel, Message, MessageStatus, PlayKind
from regulars.outreach.policy import Held

log = logging.getLogger(__name__)

RECLAIM_AFTER = timedelta(minutes=10)
BATCH_SIZE = 50
CLAIMED_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.CARD)

# The policy's rules asked again right before sending (``recheck``): all but the budget.
SEND_RULES = tuple(r for r in policy.RULES if r.code not in (reasons.BUDGET, reasons.TODAY))
# Why a message failed (``Message.reason``; bounced and cancelled use ``reasons``' codes).
REASON_FAILED = "send_failed"


@dataclass
class SendReport:
    claimed: int = 0
    reclaimed: int = 0  # of the claimed: left ``sending`` by a worker that stopped
    sent: int = 0
    printed: int = 0  # cards put into a print batch
    retrying: int = 0  # temporary failures, queued again
    failed: int = 0
    bounced: int = 0
    cancelled: int = 0
    lost: int = 0  # claims that another worker took over (ours had expired)
    errors: list[str] = field(default_factory=list)  # the first few, for the log

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, other: SendReport) -> None:
        for name, value in asdict(other).items():
            if name == "errors":
                self.errors.extend(value[: max(0, 5 - len(self.errors))])
            else:
                setattr(self, name, getattr(self, name) + value)

    def __str__(self) -> str:
        counts = {k: v for k, v in self.as_dict().items() if k != "errors" and v}
        return ", ".join(f"{name} {value}" for name, value in counts.items()) or "nothing due"


def default_channels() -> dict[str, ChannelAdapter]:
    from regulars.outreach.channels.email import EmailChannel
    from regulars.outreach.channels.sms import SmsChannel

    return {Channel.EMAIL: EmailChannel(), Channel.SMS: SmsChannel()}


def retry_delay(attempts_before: int, *, base_s: float | None = None) -> timedelta:
    """Backoff before the next attempt: base · 2^attempts, ±25 % so a crowd of
    messages that failed together does not come back together."""
    base = float(settings.OUTREACH_RETRY_BASE_S if base_s is None else base_s)
    jitter = 0.75 + random.random() / 2  # noqa: S311 - spreading retries, not a secret
    return timedelta(seconds=base * 2**attempts_before * jitter)


@dataclass
class _Claim:
    ids: list[int]
    stamp: datetime
    reclaimed: int
    renewed_at: float  # time.monotonic() of the stamp


def _due(now: datetime) -> Q:
    return (
        Q(status=MessageStatus.QUEUED)
        & (Q(send_after__isnull=True) | Q(send_after__lte=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def _abandoned(now: datetime, reclaim_after: timedelta) -> Q:
    return Q(status=MessageStatus.SENDING) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - reclaim_after)
    )


def _pick(query: QuerySet[Message], size: int) -> list[int]:
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.order_by("send_after", "id").values_list("id", flat=True)[:size])


def _claim(
    now: datetime, size: int, reclaim_after: timedelta, channels: Sequence[str]
) -> _Claim | None:
    with transaction.atomic():
        eligible = Message.objects.filter(channel__in=channels)
        stale = _pick(eligible.filter(_abandoned(now, reclaim_after)), size)
        fresh = _pick(eligible.filter(_due(now)), size - len(stale)) if len(stale) < size else []
        ids = stale + fresh
        if not ids:
            return None
        Message.objects.filter(id__in=ids).update(status=MessageStatus.SENDING, claimed_at=now)
    return _Claim(ids=ids, stamp=now, reclaimed=len(stale), renewed_at=time.monotonic())


def _renew(claim: _Claim, remaining: list[int], now: datetime) -> set[int]:
    """Stamp the rest of the batch again; the ids still ours."""
    with transaction.atomic():
        Message.objects.filter(
            id__in=remaining, status=MessageStatus.SENDING, claimed_at=claim.stamp
        ).update(claimed_at=now)
        ours = set(
            Message.objects.filter(
                id__in=remaining, status=MessageStatus.SENDING, claimed_at=now
            ).values_list("id", flat=True)
        )
    claim.stamp, claim.renewed_at = now, time.monotonic()
    return ours


def recheck(messages: Sequence[Message], *, now: datetime) -> dict[int, tuple[Held | None, str]]:
    """The contact policy asked again right before sending, for a batch at once: for
    each message, why it may no longer go (or None) and the address it goes to.

    The rules that can change after planning are asked (unsubscribed, consent, an
    address that has not bounced, an open complaint or recovery; ``policy.RULES``); the
    budget is not: the planner decided it, counting every queued message, and counting
    the batch again would count each message against itself. Select ``customer``,
    ``play`` and the customer's ``phones`` (by id) with the messages.
    """
    if not messages:
        return {}
    customers = np.array([m.customer_id for m in messages], dtype=np.int64)
    facts = policy.load_facts(
        customers.tolist(), day=now.date(), zones=policy.Zones.load(), same_day=True
    )
    ask = policy.Ask(
        rows=facts.rows(customers),
        channel=np.array([policy.COLUMN[m.channel] for m in messages], dtype=np.int8),
        exempt=np.array([m.play.kind == PlayKind.RECOVERY for m in messages], dtype=bool),
        limit=0,
    )
    codes = policy.decide(facts, ask, SEND_RULES)
    texts = [m.customer_id for m in messages if m.channel == Channel.SMS]
    bounced: dict[int, set[str]] = {}
    for customer_id, address in Bounce.objects.filter(
        customer_id__in=texts, channel=Channel.SMS
    ).values_list("customer_id", "address"):
        bounced.setdefault(customer_id, set()).add(address.strip())
    verdicts: dict[int, tuple[Held | None, str]] = {}
    for i, message in enumerate(messages):
        code = int(codes[i])
        held = None if code < 0 else Held(policy.CODES[code], policy.params(facts, ask, i, code))
        customer = message.customer
        if message.channel == Channel.EMAIL:
            to = customer.email.strip()
        elif message.channel == Channel.SMS:
            phones = [(p.number, p.label) for p in customer.phones.all()]
            to = policy.pick_number(phones, bounced.get(customer.pk, set()), policy.SMS)
        else:
            to = customer.postal_address.strip()
        verdicts[message.id] = (held, to)
    return verdicts


@dataclass
class _InFlight:
    message: Message
    claim: _Claim
    outcome: Future[Outcome]
    to: str
    rendered: Rendered


class _Run:
    """One ``send_due`` call: its clock, its channels and its tally."""

    def __init__(
        self,
        now: datetime | None,
        reclaim_after: timedelta,
        adapters: Mapping[str, ChannelAdapter],
    ) -> None:
        self._start = now or timezone.now()
        self._t0 = time.monotonic()
        self.reclaim_after = reclaim_after
        self.adapters = adapters
        self.down: set[str] = set()  # channels whose provider could not be reached
        self.report = SendReport()
        self.max_attempts = int(settings.OUTREACH_MAX_ATTEMPTS)
        # One thread talks to the providers while this one renders the next message
        # and records the last outcome: the waits for SMTP replies overlap our work.
        self.sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-send")
        self.inflight: _InFlight | None = None

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)

    def channels(self) -> list[str]:
        return [c for c in CLAIMED_CHANNELS if c not in self.down]

    def note_error(self, text: str) -> None:
        if len(self.report.errors) < 5:
            self.report.errors.append(text)

    # -- one batch ---------------------------------------------------------------------

    def process(self, claim: _Claim) -> None:
        pending = list(
            Message.objects.filter(
                id__in=claim.ids, status=MessageStatus.SENDING, claimed_at=claim.stamp
            )
            .select_related("customer", "location", "arm", "play")
            .prefetch_related(Prefetch("customer__phones", queryset=Phone.objects.order_by("id")))
            .order_by("send_after", "id")
        )
        verdicts = recheck(pending, now=self.now())
        rules = policy.current()
        cards: list[Message] = []
        ours = {m.id for m in pending}
        renew_every = self.reclaim_after.total_seconds() / 3
        for index, message in enumerate(pending):
            if time.monotonic() - claim.renewed_at >= renew_every:
                self.settle()  # its claim is renewed by being recorded
                ours = _renew(claim, [m.id for m in pending[index:]], self.now())
            if message.id not in ours:
                self.report.lost += 1
                continue
            held, to = verdicts[message.id]
            if held is None and not to and message.channel != Channel.CARD:
                held = Held(reasons.NO_ADDRESS, {"channel": message.channel})
            if held is not None:
                self._finish(
                    message,
                    claim,
                    status=MessageStatus.CANCELLED,
                    reason=held.code,
                    reason_params=dict(held.params),
                )
            elif message.channel == Channel.CARD:
                cards.append(message)  # printing is not contacting: any hour will do
            elif (later := self._quiet_until(message, rules)) is not None:
                # Quiet hours in the customer's zone now (the worker was down when it
                # was due, or a retry came due at night): back in the queue, no attempt
                # counted, until they end.
                self._finish(message, claim, status=MessageStatus.QUEUED, next_attempt_at=later)
            else:
                self._send_one(message, claim, to)
        self.settle()
        if cards:
            self._print(cards, claim)

    def _quiet_until(self, message: Message, rules: Any) -> datetime | None:
        now = self.now()
        later = policy.out_of_quiet(now, message.location.timezone, rules)
        return later if later > now else None

    def _send_one(self, message: Message, claim: _Claim, to: str) -> None:
        """Render ``message`` (while the previous one is with the provider), record the
        previous outcome (``settle``), and hand this one to the sender thread."""
        try:
            rendered = _render(message)
        except Exception as error:  # a broken template: retried, then failed
            log.exception("rendering message %s failed", message.key)
            self.settle()
            outcome = Outcome.retry(f"cannot render: {type(error).__name__}: {error}")
            self._record(message, claim, outcome, to=to, rendered=None)
            return
        adapter = self.adapters[message.channel]
        if message.channel in self.down:
            self.settle()
            outcome = Outcome.retry("provider unreachable earlier in this run", unreachable=True)
            self._record(message, claim, outcome, to=to, rendered=rendered)
            return
        # The previous message is recorded before this one leaves: only a message whose
        # outcome is known is followed by another, so a crash never leaves two
        # accepted-but-unrecorded messages behind (see "Exactly once" above).
        self.settle()
        sending = self.sender.submit(adapter.send, message, rendered, to=to)
        self.inflight = _InFlight(message, claim, sending, to, rendered)

    def settle(self) -> None:
        """Wait for the message in the sender thread and record its outcome."""
        inflight, self.inflight = self.inflight, None
        if inflight is None:
            return
        outcome = inflight.outcome.result()
        if outcome.unreachable:
            self.down.add(inflight.message.channel)
        self._record(
            inflight.message, inflight.claim, outcome, to=inflight.to, rendered=inflight.rendered
        )

    def _print(self, cards: list[Message], claim: _Claim) -> None:
        from regulars.outreach.channels.print import make_batches

        try:
            batches = make_batches(cards, now=self.now())
        except Exception as error:
            log.exception("printing %d cards failed", len(cards))
            outcome = Outcome.retry(f"cannot print: {type(error).__name__}: {error}")
            for message in cards:
                self._record(message, claim, outcome, to="", rendered=None)
            return
        self.report.printed += sum(batch.cards for batch in batches)
        left = Message.objects.filter(
            id__in=[m.id for m in cards], status=MessageStatus.SENDING, claimed_at=claim.stamp
        ).values_list("id", flat=True)
        missed = set(left)
        for message in cards:
            if message.id in missed:
                outcome = Outcome.retry("not in a print batch")
                self._record(message, claim, outcome, to="", rendered=None)

    # -- outcomes ----------------------------------------------------------------------

    def _finish(self, message: Message, claim: _Claim, **fields: Any) -> bool:
        """Write ``fields`` if the claim is still ours, in one short transaction: a
        single UPDATE (its own transaction), or with the ``Bounce`` row when it bounced."""
        mine = Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, claimed_at=claim.stamp
        )
        if fields["status"] != MessageStatus.BOUNCED:
            done = mine.update(**fields)
        else:
            with transaction.atomic():
                done = mine.update(**fields)
                if done:
                    Bounce.objects.create(
                        customer_id=message.customer_id,
                        channel=message.channel,
                        address=fields["address"],
                        at=self.now(),
                        reason=fields["error"],
                        message=message,
                    )
        if not done:
            self.report.lost += 1
            return False
        status = fields["status"]
        if status == MessageStatus.CANCELLED:
            self.report.cancelled += 1
        return True

    def _record(
        self,
        message: Message,
        claim: _Claim,
        outcome: Outcome,
        *,
        to: str,
        rendered: Rendered | None,
    ) -> None:
        now = self.now()
        attempts = message.attempts + 1
        fields: dict[str, Any] = {"attempts": attempts}
        if to:
            fields["address"] = to
        if rendered is not None:
            fields["subject"] = rendered.subject[:200]
            fields["body"] = rendered.body
        if outcome.ok:
            fields.update(
                status=MessageStatus.SENT,
                sent_at=now,
                provider_ref=outcome.provider_ref,
                error="",
                next_attempt_at=None,
            )
            if self._finish(message, claim, **fields):
                self.report.sent += 1
            return
        self.note_error(f"{message.key}: {outcome.error}")
        if outcome.permanent:
            fields.update(
                status=MessageStatus.BOUNCED,
                address=to,
                error=outcome.error,
                reason=reasons.BOUNCED,
                reason_params={"channel": message.channel},
                next_attempt_at=None,
            )
            if self._finish(message, claim, **fields):
                self.report.bounced += 1
        elif attempts >= self.max_attempts:
            fields.update(
                status=MessageStatus.FAILED,
                error=outcome.error,
                reason=REASON_FAILED,
                reason_params={"attempts": attempts},
                next_attempt_at=None,
            )
            if self._finish(message, claim, **fields):
                self.report.failed += 1
        else:
            fields.update(
                status=MessageStatus.QUEUED,
                error=outcome.error,
                next_attempt_at=now + retry_delay(message.attempts),
            )
            if self._finish(message, claim, **fields):
                self.report.retrying += 1


def _render(message: Message) -> Rendered:
    from regulars.outreach.vouchers import issue_for
    from regulars.outreach.wording import render

    return render(message, issue_for(message))


def send_due(
    now: datetime | None = None,
    *,
    limit: int = 500,
    reclaim_after: timedelta = RECLAIM_AFTER,
    channels: Mapping[str, ChannelAdapter] | None = None,
    batch_size: int = BATCH_SIZE,
    should_stop: Callable[[], bool] = lambda: False,
) -> SendReport:
    """Send up to ``limit`` due messages (see the module docstring); returns the tally.

    ``now`` fixes the clock (tests); ``channels`` replaces the adapters per channel
    (default: ``EMAIL_BACKEND`` and ``SMS_URL``). Connections stay open for the whole
    call and are closed at its end. ``should_stop`` is asked between batches (the
    worker asked to stop claims no more).
    """
    adapters = channels if channels is not None else default_channels()
    run = _Run(now, reclaim_after, adapters)
    try:
        while run.report.claimed < limit and not should_stop():
            kinds = run.channels()
            if not kinds:
                break
            claim = _claim(
                run.now(), min(batch_size, limit - run.report.claimed), reclaim_after, kinds
            )
            if claim is None:
                break
            run.report.claimed += len(claim.ids)
            run.report.reclaimed += claim.reclaimed
            run.process(claim)
    finally:
        run.sender.shutdown(wait=True)
        for adapter in adapters.values():
            adapter.close()
    return run.report
