"""``bench.feedback`` part (b): survey submissions under 16 concurrent clients, against
``regulars serve`` on a temporary SQLite data directory (see ``bench.feedback``)."""

from __future__ import annotations

import http.client
import os
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import free_port, run_clients_at_once
from bench.counter import Client, _start_server, _stop
from bench.search import percentile

CLIENTS = 16
# Each client is a customer on their phone: after the page arrives they read it and
# press send, so a client waits this long between an answer and its next request (as
# ``bench.counter``; 16 clients then send up to 64 requests a second, far more than 16
# customers would). ``think_s=0`` measures the saturated server instead.
THINK_S = 0.25
WARMUP = 5  # unmeasured submissions per client (each worker loads its language models)
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
COMMENTS = (
    "",
    "",
    "Servizio gentile e veloce, grazie!",
    "Abbiamo aspettato troppo al banco.",
    "Lovely coffee and friendly staff.",
    "The queue was long and nobody said sorry.",
    "Tutto perfetto come sempre.",
    "Il prezzo è un po' alto ma la qualità c'è.",
)


@dataclass(frozen=True)
class Planned:
    token: str
    comment: str


@dataclass
class Phase:
    latency_ms: list[float] = field(default_factory=list)
    page_ms: list[float] = field(default_factory=list)  # the GET before each submission
    errors: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def prepare(count: int, seed: int) -> list[Planned]:
    """A location with a manager, a CSAT + NPS survey, and ``count`` invitations made by
    ``invitations.create_invitation``, each with its customer and with the scores
    already given on the earlier steps (``responses.save_draft``, as the survey's first
    pages do): what is left is the final step."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from regulars.accounts.models import Location, Membership
    from regulars.customers.models import Customer
    from regulars.feedback.invitations import create_invitation
    from regulars.feedback.models import InviteChannel, Survey, Trigger
    from regulars.feedback.responses import save_draft
    from regulars.feedback.tokens import make_token

    rng = random.Random(seed)
    location = Location.objects.create(
        name="Bologna", country="IT", timezone="Europe/Rome", currency="EUR", language="it"
    )
    manager = get_user_model().objects.create_user("manager")  # never signs in
    Membership.objects.create(user=manager, location=location, role="manager")
    survey = Survey.objects.create(
        name="After a visit", trigger=Trigger.VISIT, instruments=["csat", "nps"]
    )
    customers = Customer.objects.bulk_create(
        Customer(given_name=f"Cliente {i}", family_name="Prova", language="it")
        for i in range(count)
    )
    planned = []
    for i, customer in enumerate(customers):
        invitation = create_invitation(
            survey=survey,
            location=location,
            customer=customer,
            staff=manager,
            trigger=Trigger.VISIT,
            channel=InviteChannel.RECEIPT,
            event_key=f"bench:{i}",
        )
        csat = rng.choices((1, 2, 3, 4, 5), weights=(5, 7, 13, 35, 40))[0]
        nps = max(0, min(10, round(2.2 * csat - 1 + rng.gauss(0, 1.3))))
        save_draft(invitation, {"csat": str(csat), "nps": str(nps), "why": ""})
        planned.append(
            Planned(make_token(invitation.public_id, invitation.nonce), rng.choice(COMMENTS))
        )
    connections.close_all()  # the server is another process: leave it the database
    return planned


def _submit(
    client: Client, item: Planned, phase: Phase, lock: threading.Lock, think_s: float
) -> None:
    path = f"/s/{item.token}/"
    started = time.perf_counter()
    status, page = client.request("GET", path + "?step=comment")
    page_ms = (time.perf_counter() - started) * 1000
    time.sleep(think_s)
    if status != 200 or b'name="step"' not in page:
        with lock:
            phase.errors += 1
            if len(phase.failures) < 5:
                phase.failures.append(f"GET {path}: {status} {page[:300]!r}")
        return
    fields = {"step": "comment", "comment": item.comment, "action": "submit"}
    # The survey pages set no cookie and ask no CSRF token (the signed link is the
    # secret); should a token appear in the form, send it as a browser would.
    token = _CSRF_INPUT.search(page.decode("utf-8", "replace"))
    if token is not None:
        fields["csrfmiddlewaretoken"] = token.group(1)
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://x" + path}
    started = time.perf_counter()
    try:
        status, answer = client.request("POST", path, body=body, headers=headers)
    except (OSError, http.client.HTTPException) as exc:
        status, answer = 0, repr(exc).encode()
    elapsed = (time.perf_counter() - started) * 1000
    time.sleep(think_s)
    with lock:
        phase.latency_ms.append(elapsed)
        phase.page_ms.append(page_ms)
        if status != 302:
            phase.errors += 1
            if len(phase.failures) < 5:
                phase.failures.append(f"POST {path}: {status} {answer[:200]!r}")


def _get(client: Client, path: str, phase: Phase, lock: threading.Lock, think_s: float) -> None:
    started = time.perf_counter()
    try:
        status, _body = client.request("GET", path)
    except (OSError, http.client.HTTPException):
        status = 0
    elapsed = (time.perf_counter() - started) * 1000
    time.sleep(think_s)
    with lock:
        phase.latency_ms.append(elapsed)
        phase.errors += status != 200


def _run(clients: list[Client], work: list[list[Any]], action: Any, think_s: float = 0.0) -> Phase:
    phase = Phase()
    lock = threading.Lock()
    phase.seconds = run_clients_at_once(
        clients, work, lambda client, item: action(client, item, phase, lock, think_s)
    )
    return phase


def measure_submissions(
    data_dir: Path, per_client: int, seed: int, think_s: float = THINK_S
) -> dict[str, Any]:
    """Set up, serve, submit: p50/p95/p99 of the final POSTs, errors, and the code
    entry page ``/s/`` under the same clients (and waits) as the baseline; then the
    same submissions back to back (``saturated_*``)."""
    planned = prepare(CLIENTS * (2 * per_client + WARMUP), seed)
    # Every client comes from 127.0.0.1: the per-address limit of the public pages
    # would stop the benchmark, not a flood.
    os.environ["REGULARS_SURVEY_RATE_LIMIT"] = "100000000"
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in the finally below
    proc = None
    clients: list[Client] = []
    try:
        port = free_port()
        proc = _start_server(data_dir, port, 2, log)
        clients = [Client(port) for _ in range(CLIENTS)]
        warm = planned[: CLIENTS * WARMUP]
        measured = planned[CLIENTS * WARMUP : CLIENTS * (WARMUP + per_client)]
        saturating = planned[CLIENTS * (WARMUP + per_client) :]
        warmup = _run(clients, [warm[i::CLIENTS] for i in range(CLIENTS)], _submit)
        submit = _run(clients, [measured[i::CLIENTS] for i in range(CLIENTS)], _submit, think_s)
        code = _run(clients, [["/s/"] * per_client for _ in range(CLIENTS)], _get, think_s)
        saturated = _run(clients, [saturating[i::CLIENTS] for i in range(CLIENTS)], _submit)
    finally:
        for client in clients:
            client.close()
        if proc is not None:
            _stop(proc)
        log.close()

    if not submit.latency_ms or not saturated.latency_ms:
        raise SystemExit("no submission got through:\n  " + "\n  ".join(submit.failures[:5]))
    from regulars.feedback.models import Response

    recorded = Response.objects.count()
    expected = len(planned) - warmup.errors - submit.errors - saturated.errors
    if recorded != expected:
        raise SystemExit(f"{recorded} responses recorded, {expected} submissions succeeded")
    return {
        "submissions": len(submit.latency_ms),
        "p50_ms": percentile(submit.latency_ms, 0.5),
        "p95_ms": percentile(submit.latency_ms, 0.95),
        "p99_ms": percentile(submit.latency_ms, 0.99),
        "per_s": len(submit.latency_ms) / submit.seconds,
        "errors": submit.errors,
        "failures": submit.failures,
        "page_p95_ms": percentile(submit.page_ms, 0.95) if submit.page_ms else 0.0,
        "code_p50_ms": percentile(code.latency_ms, 0.5),
        "code_p95_ms": percentile(code.latency_ms, 0.95),
        "code_errors": code.errors,
        "recorded": recorded,
        "think_s": think_s,
        "saturated_p50_ms": percentile(saturated.latency_ms, 0.5),
        "saturated_p95_ms": percentile(saturated.latency_ms, 0.95),
        "saturated_per_s": len(saturated.latency_ms) / saturated.seconds,
        "saturated_errors": saturated.errors,
    }
