"""Real stand-ins for the outside world of delivery, each serving on a free loopback
port in a thread of the test process.

- ``SmtpSink``: an aiosmtpd SMTP server that keeps every message it accepts, and can
  refuse chosen recipients (550), answer DATA temporarily (451, 421), be slow, or
  SIGKILL a given process when it receives the Nth DATA, before answering it (so that
  message was never accepted).
- ``SmsProvider``: an HTTP SMS API like a real provider's: checks the bearer token,
  keeps each text once per ``Idempotency-Key`` (a repeat gets the first answer back),
  and can answer 500, 429 or 400 (invalid number), time out, or SIGKILL a given process
  after accepting its Nth request, before answering it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    peer: tuple[str, int]  # the client's end of the connection: one per SMTP session

    @property
    def email(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.email["Message-ID"])


@dataclass
class _Kill:
    pid: int
    at: int  # the Nth DATA / request (1-based)


class _SmtpHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusal = self.sink.refuse.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        sink = self.sink
        with sink.lock:
            sink.data_count += 1
            count = sink.data_count
            kill = sink.kill
            answer = sink.data_answers.pop(0) if sink.data_answers else None
        if kill is not None and count == kill.at:
            os.kill(kill.pid, signal.SIGKILL)
            await asyncio.sleep(0.2)
            return "451 4.3.0 the client is gone"
        if sink.delay_s:
            await asyncio.sleep(sink.delay_s)
        if answer is not None:
            return answer
        with sink.lock:
            sink.messages.append(
                Received(
                    envelope.mail_from,
                    tuple(envelope.rcpt_tos),
                    bytes(envelope.content),
                    tuple(session.peer),
                )
            )
        return "250 2.0.0 Accepted"


class SmtpSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.refuse: dict[str, str] = {}  # lower-cased address → reply to RCPT
        self.data_answers: list[str] = []  # replies to the next DATA commands, in order
        self.delay_s = 0.0
        self.kill: _Kill | None = None
        self.data_count = 0
        self.port = free_port()
        self._controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def refuse_recipient(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.refuse[address.lower()] = reply

    def answer_data(self, *replies: str) -> None:
        with self.lock:
            self.data_answers.extend(replies)

    def kill_on_data(self, pid: int, nth: int) -> None:
        with self.lock:
            self.kill = _Kill(pid, self.data_count + nth)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.received()]


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@dataclass
class SmsRequest:
    key: str
    authorization: str
    payload: dict[str, Any]


@dataclass
class SmsProvider:
    token: str = "test-token"
    requests: list[SmsRequest] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → text sent
    answers: list[tuple[int, dict[str, Any]] | str] = field(default_factory=list)
    invalid_numbers: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    timeout_s: float = 1.0  # how long a "timeout" answer keeps the client waiting
    kill: _Kill | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/messages"

    def start(self) -> SmsProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, answer = provider.handle(dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client is gone
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fail_next(self, *answers: tuple[int, dict[str, Any]] | str) -> None:
        """Answer the next requests so, in order: ``(status, json)`` or "timeout"."""
        with self.lock:
            self.answers.extend(answers)

    def kill_after_accepting(self, pid: int, nth: int) -> None:
        with self.lock:
            self.kill = _Kill(pid, len(self.requests) + nth)

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        payload = json.loads(body)
        key = headers.get("Idempotency-Key", "")
        with self.lock:
            self.requests.append(SmsRequest(key, headers.get("Authorization", ""), payload))
            count = len(self.requests)
            answer = self.answers.pop(0) if self.answers else None
            kill = self.kill
        if answer == "timeout":
            time.sleep(self.timeout_s)
            return 504, {"error": "too late"}
        if isinstance(answer, tuple):
            return answer
        if self.delay_s:
            time.sleep(self.delay_s)
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "bad token"}
        if not key:
            return 400, {"error": "Idempotency-Key required"}
        if payload.get("to") in self.invalid_numbers:
            return 400, {"error": "invalid destination number"}
        with self.lock:
            first = self.delivered.get(key)
            if first is None:
                first = {"id": f"sms-{len(self.delivered) + 1}", **payload}
                self.delivered[key] = first
        if kill is not None and count == kill.at:
            os.kill(kill.pid, signal.SIGKILL)  # accepted, never answered
            time.sleep(0.2)
        return 201, {"id": first["id"], "status": "accepted"}


@contextlib.contextmanager
def sms_provider() -> Iterator[SmsProvider]:
    provider = SmsProvider().start()
    try:
        yield provider
    finally:
        provider.stop()
