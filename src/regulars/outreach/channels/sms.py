"""Text messages through an SMS provider's HTTP API (standard library only).

One request per message to ``SMS_URL``::

    POST <SMS_URL>
    Authorization: Bearer <SMS_TOKEN>
    Idempotency-Key: <message key>
    Content-Type: application/json

    {"to": "+393331234567", "from": "<SMS_SENDER>", "text": "...", "reference": "<key>"}

The idempotency key is the message's own key, so a message sent again after a crash
is dropped by the provider as a repeat. One keep-alive connection serves a run.

Answers: 2xx (with the provider's id in ``id``) is sent; 400 and 422 (the number is
invalid or cannot receive texts) bounce; any other answer, a timeout or a dropped
connection is temporary; no connection at all is temporary and ``unreachable``.
A number that is not an E.164 mobile number bounces without asking the provider.

Without ``SMS_URL`` the demo and development write each text as one JSON line to
``DATA_DIR/sms/outbox.jsonl`` (as e-mail goes to ``var/mail``); production retries
and finally fails the message with a clear error.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from regulars.outreach.channels import Outcome, Rendered
from regulars.outreach.models import Message

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
PERMANENT_STATUSES = frozenset({400, 422})


def _reply_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()[:200]
    if isinstance(data, dict):
        for name in ("error", "message", "detail"):
            if data.get(name):
                return str(data[name])[:200]
    return json.dumps(data)[:200]


class SmsChannel:
    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        sender: str | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_URL
        self.token = token if token is not None else (settings.SMS_TOKEN or "")
        self.sender = sender if sender is not None else settings.SMS_SENDER
        self.timeout_s = float(timeout_s if timeout_s is not None else settings.SMS_TIMEOUT_S)
        self._conn: http.client.HTTPConnection | None = None
        self._reused = False

    def send(self, message: Message, rendered: Rendered, *, to: str) -> Outcome:
        if not E164.match(to):
            return Outcome.bounced(f"not an international mobile number: {to!r}")
        payload = {"to": to, "from": self.sender, "text": rendered.body, "reference": message.key}
        if not self.url:
            return self._to_outbox(payload)
        for _try in range(2):
            try:
                conn = self._connect()
            except OSError as error:
                self.close()
                return Outcome.retry(f"cannot connect: {error}", unreachable=True)
            reused = self._reused
            try:
                status, body = self._post(conn, payload, key=message.key)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if reused:  # the provider closed an idle connection: once more on a new one
                    continue
                return Outcome.retry("the provider hung up")
            except (OSError, http.client.HTTPException) as error:
                self.close()  # a timeout: the answer may still come, on a dead socket
                return Outcome.retry(f"{type(error).__name__}: {error}".rstrip(": "))
            self._reused = True
            return self._outcome(status, body)
        return Outcome.retry("the provider hung up twice")

    def _connect(self) -> http.client.HTTPConnection:
        if self._conn is None:
            parts = urlsplit(str(self.url))
            kind = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = kind(parts.hostname or "localhost", parts.port, timeout=self.timeout_s)
            conn.connect()
            self._conn, self._reused = conn, False
        return self._conn

    def _post(
        self, conn: http.client.HTTPConnection, payload: dict[str, Any], *, key: str
    ) -> tuple[int, bytes]:
        parts = urlsplit(str(self.url))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        body = response.read()
        if response.will_close:
            self.close()
        return response.status, body

    @staticmethod
    def _outcome(status: int, body: bytes) -> Outcome:
        if 200 <= status < 300:
            try:
                data = json.loads(body)
            except ValueError:
                data = {}
            ref = data.get("id", "") if isinstance(data, dict) else ""
            return Outcome.sent(str(ref or ""))
        detail = f"{status} {_reply_text(body)}".strip()
        if status in PERMANENT_STATUSES:
            return Outcome.bounced(detail)
        return Outcome.retry(detail)

    def _to_outbox(self, payload: dict[str, Any]) -> Outcome:
        if settings.PRODUCTION:
            return Outcome.retry("no SMS provider: set REGULARS_SMS_URL", unreachable=True)
        folder = Path(settings.DATA_DIR) / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "outbox.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return Outcome.sent(f"outbox:{payload['reference']}")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
