"""E-mail through Django's e-mail backends: SMTP in production, files under
``var/mail`` in the demo (``EMAIL_BACKEND``).

One backend connection serves every message of a run (``open`` once, ``send_messages``
per message); after a failure it is dropped and the next message opens a new one.

Each message carries a Message-ID made from its idempotency key, so a message sent
again after a crash is the same e-mail to the receiving side (mail clients collapse
duplicates by Message-ID), and the List-Unsubscribe headers from its wording.

What the SMTP server answers decides the outcome:

- every recipient refused with 5xx (``SMTPRecipientsRefused``), or 550/551/553 after
  DATA: the address is refused for good: a bounce;
- 4xx anywhere (451, 421...), 5xx for the sender or the content, a dropped connection
  or a timeout: temporary, tried again later;
- no connection at all: temporary and ``unreachable`` (the run stops using e-mail).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from regulars.outreach.channels import Outcome, Rendered
from regulars.outreach.models import Message

log = logging.getLogger(__name__)

# Answers after DATA that refuse the recipient rather than the message or the sender.
RECIPIENT_CODES_AT_DATA = frozenset({550, 551, 553})


def _sender_address() -> tuple[str, str]:
    name, address = parseaddr(str(settings.EMAIL_FROM))
    return name, address or str(settings.EMAIL_FROM)


def message_id_for(key: str) -> str:
    """The Message-ID of the message with idempotency key ``key``: the same on every
    attempt, unique per key, and free of whatever characters the key holds."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = _sender_address()[1].rpartition("@")[2] or "localhost"
    return f"<{digest}.outreach@{domain}>"


def build_email(message: Message, rendered: Rendered, *, to: str) -> EmailMultiAlternatives:
    name, address = _sender_address()
    sender = formataddr((message.location.name or name, address))
    headers = {**rendered.headers, "Message-ID": message_id_for(message.key)}
    email = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.body, from_email=sender, to=[to], headers=headers
    )
    if rendered.html:
        email.attach_alternative(rendered.html, "text/html")
    return email


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{error.smtp_code} {reply}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = []
        for code, text in error.recipients.values():
            reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
            replies.append(f"{code} {reply}".strip())
        return "; ".join(replies) or "recipient refused"
    return f"{type(error).__name__}: {error}".strip().rstrip(":")


def classify(error: BaseException) -> Outcome:
    """The outcome of a failed ``send_messages`` (see the module docstring)."""
    detail = _describe(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            return Outcome.bounced(detail)
        return Outcome.retry(detail)
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code in RECIPIENT_CODES_AT_DATA:
        return Outcome.bounced(detail)
    return Outcome.retry(detail)


class EmailChannel:
    """Sends through ``EMAIL_BACKEND`` (or the backend given), one connection per run."""

    def __init__(self, backend: BaseEmailBackend | None = None) -> None:
        self._given = backend
        self._backend: BaseEmailBackend | None = None
        self._reused = False  # the open connection has carried a message already

    def _open(self) -> BaseEmailBackend:
        if self._backend is None:
            backend = self._given or get_connection(fail_silently=False)
            backend.open()
            self._backend, self._reused = backend, False
        return self._backend

    def send(self, message: Message, rendered: Rendered, *, to: str) -> Outcome:
        email = build_email(message, rendered, to=to)
        for _try in range(2):
            try:
                backend = self._open()
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                return Outcome.retry(f"cannot connect: {_describe(error)}", unreachable=True)
            reused = self._reused
            try:
                count = backend.send_messages([email])
            except smtplib.SMTPServerDisconnected as error:
                self.close()
                if reused:  # the server hung up an idle session: once more on a new one
                    continue
                return classify(error)
            except (OSError, smtplib.SMTPException) as error:
                # The session is in an unknown state (421 closes it, a timeout may leave
                # half a command on the wire): the next message starts a new one.
                self.close()
                return classify(error)
            if not count:
                self.close()
                return Outcome.retry("the e-mail backend sent nothing")
            self._reused = True
            return Outcome.sent(message_id_for(message.key))
        return Outcome.retry("the SMTP server hung up twice")

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is None:
            return
        try:
            backend.close()
        except (OSError, smtplib.SMTPException):  # quitting a broken session
            log.debug("closing the e-mail connection failed", exc_info=True)
