"""Delivery channels: one adapter per way a message leaves the building.

``delivery.send_due`` hands each message, its rendered words and the address to the
adapter of its channel (``email.EmailChannel``, ``sms.SmsChannel``) and records the
``Outcome``. An adapter keeps one connection open across the messages of a run (opened
on the first send, closed by ``close``) and never raises for a delivery problem: it
answers with an outcome instead.

- ``ok``: the provider accepted the message (``provider_ref`` names it there).
- ``permanent``: the provider refused the address or number for good: the message is
  bounced and the address flagged (``Bounce``).
- otherwise a temporary failure: retried with backoff, under the same key.
- ``unreachable`` (with a temporary failure): the provider could not be reached at all,
  so nothing about this message was learnt and the rest of the run skips the channel.

Printed cards and calls by staff are not adapters: cards go to ``channels.print``
(PDF batches), calls stay on the staff agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from regulars.outreach.models import Message

ERROR_LENGTH = 300  # Message.error, Bounce.reason


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    provider_ref: str = ""
    error: str = ""
    unreachable: bool = False

    @classmethod
    def sent(cls, provider_ref: str = "") -> Outcome:
        return cls(ok=True, provider_ref=provider_ref[:100])

    @classmethod
    def bounced(cls, error: str) -> Outcome:
        return cls(ok=False, permanent=True, error=error[:ERROR_LENGTH])

    @classmethod
    def retry(cls, error: str, *, unreachable: bool = False) -> Outcome:
        return cls(ok=False, error=error[:ERROR_LENGTH], unreachable=unreachable)


class Rendered(Protocol):
    """What ``wording.render`` returns: the words of one message."""

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...  # plain text, with the unsubscribe link

    @property
    def html(self) -> str | None: ...

    @property
    def headers(self) -> dict[str, str]: ...  # List-Unsubscribe and the like


class ChannelAdapter(Protocol):
    def send(self, message: Message, rendered: Rendered, *, to: str) -> Outcome: ...

    def close(self) -> None: ...
