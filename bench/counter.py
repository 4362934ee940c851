"""The counter's search end to end under load: ``python -m bench.counter [--quick]``.

1. A fresh SQLite data directory with the demo business (``regulars demo``'s
   ``ensure_demo_business``: 2 locations, 6 staff, 2,000 customers with two years of
   visits) and, at full size, generated customers up to 200,000 in all (``bench.search``'s
   generator, imported with the ``regulars import customers`` code, given home
   locations and visit statistics as in ``bench.search``); then the search index is
   rebuilt (``rebuild_index``, what ``regulars reindex`` runs).
2. ``regulars serve`` (gunicorn, ``--workers 2`` as its default; ``--workers`` here
   changes it) on a free loopback port, in a child process.
3. 16 clients, one thread and one ``http.client`` connection each (kept alive where the
   server allows it; gunicorn's sync workers close it after each response and the
   client reconnects, as a browser would), sign in as the demo staff user ``luca``
   (Bologna): GET ``/accounts/login/`` for the CSRF token, then POST the form.
4. Load: each client sends its requests (full: 250 each, ``--quick``: 15), waiting
   ``--think`` seconds (0.25: the page's 150 ms debounce and a keystroke) between an
   answer and its next request, after 3 unmeasured warm-up requests: ``GET /counter/search/?q=…`` with
   ``HX-Request: true``, the queries of ``bench.common_queries`` as first typed (its mix of
   prefixes, typos, phone fragments, e-mails and the other script) for customers of
   Bologna walking in.
   A request fails unless it answers 200; one that answers 200 without a result row
   (``data-customer="…"``) is a search miss (``no_results``); whether the intended
   customer is among the rows is reported too (``found_intended``).
5. The same requests again back to back (no waiting: the server saturated), reported as
   ``saturated_*``; and the baseline, same clients and the same number of requests with
   the same waits: the home page ``/`` (a plain page that searches nothing), reported
   as ``home_p95_ms``.

Figures: ``p95_ms`` of the search requests (target ≤ 60 ms) and ``errors`` (requests
not answered 200, target 0; a 200 that lists nobody is a search miss, ``no_results``);
p50/p99, requests per second and the home page's figures are extra fields. The server
is always stopped, the data directory removed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

from bench.common import (
    ROOT,
    figure,
    free_port,
    print_result,
    run_clients_at_once,
    setup_django,
    temp_dir,
)
from bench.common_queries import Query, build_queries
from bench.demo import wait_until_serving
from bench.search import (
    apply_visit_stats,
    generate_customers,
    import_customers,
    percentile,
)

CLIENTS = 16
FULL_CUSTOMERS = 200_000
FULL_REQUESTS = 250
# Each client is a counter where someone types: the page asks 150 ms after the last
# keystroke, so a client waits this long between an answer and its next request (16
# clients then ask up to 64 times a second, far more than 16 real counters would).
THINK_S = 0.25
QUICK_REQUESTS = 15
WARMUP_REQUESTS = 3
WORKERS = 2  # ``regulars serve``'s default
STAFF_USER = "luca"
P95_TARGET_MS = 60
SERVE_TIMEOUT_S = 120
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ROW = b'data-customer="'


@dataclass
class Client:
    """One counter terminal: its connection and its session cookies."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    conn: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # The server closed a kept-alive connection between requests: open another.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
        payload = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _eq, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        token = _CSRF_INPUT.search(page.decode("utf-8"))
        if status != 200 or token is None:
            raise RuntimeError(f"login page: status {status}, CSRF token found: {bool(token)}")
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": username,
                "password": password,
                "next": "/",
            }
        )
        status, _page = self.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {username} failed: status {status}")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    public_id: str  # the intended customer; "" when the page has no results to check


@dataclass
class Phase:
    latency_ms: list[float] = field(default_factory=list)
    errors: int = 0  # no answer, or not 200
    no_results: int = 0  # 200, but nobody matched (a search miss, not a server error)
    found_intended: int = 0
    seconds: float = 0.0
    first_failures: list[str] = field(default_factory=list)


def _search_requests(queries: list[Query]) -> list[Request]:
    return [
        Request(
            path="/counter/search/?" + urlencode({"q": query.text}),
            headers={"HX-Request": "true"},
            public_id=query.public_id,
        )
        for query in queries
    ]


def _run_phase(clients: list[Client], work: list[list[Request]], think_s: float = 0.0) -> Phase:
    """Every client sends its list of requests, all clients at once, waiting ``think_s``
    between a response and its next request (0: back to back)."""
    phase = Phase()
    lock = threading.Lock()

    def send(client: Client, request: Request) -> None:
        started = time.perf_counter()
        try:
            status, body = client.request("GET", request.path, headers=request.headers)
        except (OSError, http.client.HTTPException) as exc:
            status, body = 0, repr(exc).encode()
        elapsed_ms = (time.perf_counter() - started) * 1000
        ok = status == 200
        empty = ok and bool(request.public_id) and _ROW not in body
        if think_s:
            time.sleep(think_s)
        with lock:
            phase.latency_ms.append(elapsed_ms)
            phase.no_results += empty
            if not ok:
                phase.errors += 1
                if len(phase.first_failures) < 5:
                    phase.first_failures.append(f"{request.path}: {status} {body[:200]!r}")
            if request.public_id and f'data-customer="{request.public_id}"'.encode() in body:
                phase.found_intended += 1

    phase.seconds = run_clients_at_once(clients, work, send)
    return phase


def _build_data(data_dir: Path, customers: int, queries: int) -> tuple[list[Query], float, int]:
    """The demo business, generated customers up to ``customers``, the index; the
    queries of Bologna's walk-ins. Returns (queries, index seconds, customers)."""
    setup_django(data_dir)
    from django.db import connections
    from django.utils import timezone

    from regulars.accounts.models import Location
    from regulars.customers.models import Customer
    from regulars.customers.search import rebuild_index
    from regulars.demo.generator import ensure_demo_business

    ensure_demo_business()
    locations = list(Location.objects.order_by("pk"))
    bologna = next(loc for loc in locations if loc.name == "Bologna")
    demo_top = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    extra = customers - Customer.objects.count()
    if extra > 0:
        csv_path = data_dir / "customers.csv"
        generate_customers(csv_path, extra, seed=5)
        import_customers(csv_path, bologna, data_dir / "report.csv")
        csv_path.unlink()
        apply_visit_stats(
            customer_ids=list(
                Customer.objects.filter(pk__gt=demo_top).order_by("pk").values_list("pk", flat=True)
            ),
            location_ids=[loc.pk for loc in locations],
            seed=5,
            now=timezone.now(),
        )
    started = time.perf_counter()
    rebuild_index()
    index_s = time.perf_counter() - started
    planned = build_queries(
        queries,
        seed=7,
        location_ids=[loc.pk for loc in locations],
        now=timezone.now(),
        home=bologna.pk,
    )
    total = Customer.objects.count()
    connections.close_all()  # the server is another process: leave it the database
    return planned, index_s, total


def _start_server(data_dir: Path, port: int, workers: int, log: IO[str]) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("REGULARS_DATABASE_URL", None)
    env.update(
        {
            "REGULARS_DATA_DIR": str(data_dir),
            "REGULARS_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "regulars.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until_serving(f"http://127.0.0.1:{port}/accounts/login/", proc, log, SERVE_TIMEOUT_S)
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _split(requests: list[Request], clients: int) -> list[list[Request]]:
    return [requests[i::clients] for i in range(clients)]


def _describe(name: str, phase: Phase) -> str:
    return (
        f"{name}: {len(phase.latency_ms):,} requests in {phase.seconds:.1f} s = "
        f"{len(phase.latency_ms) / phase.seconds:.0f}/s; p50 "
        f"{percentile(phase.latency_ms, 0.5):.1f} ms, p95 {percentile(phase.latency_ms, 0.95):.1f}"
        f" ms, p99 {percentile(phase.latency_ms, 0.99):.1f} ms; {phase.errors} errors"
    )


def ms(value: float) -> float:
    return round(value, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.counter")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--requests", type=int, help="requests per client")
    parser.add_argument(
        "--think",
        type=float,
        default=THINK_S,
        help="seconds each client waits between a response and its next request",
    )
    args = parser.parse_args(argv)
    per_client = args.requests or (QUICK_REQUESTS if args.quick else FULL_REQUESTS)
    customers = 0 if args.quick else FULL_CUSTOMERS  # 0: the demo's customers only

    data_dir = temp_dir("counter")
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in the finally below
    proc = None
    clients: list[Client] = []
    try:
        started = time.perf_counter()
        queries, index_s, total = _build_data(
            data_dir, customers, CLIENTS * (per_client + WARMUP_REQUESTS)
        )
        print(
            f"{total:,} customers ready in {time.perf_counter() - started:.1f} s "
            f"(index {index_s:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        from regulars.demo.generator import DEMO_PASSWORD

        port = free_port()
        proc = _start_server(data_dir, port, args.workers, log)
        clients = [Client(port) for _ in range(CLIENTS)]
        # At once: each sign-in hashes the password (about half a second of CPU).
        signing_in = [
            threading.Thread(target=client.sign_in, args=(STAFF_USER, DEMO_PASSWORD))
            for client in clients
        ]
        for thread in signing_in:
            thread.start()
        for thread in signing_in:
            thread.join()
        if not all("sessionid" in client.cookies for client in clients):
            raise RuntimeError(f"not every client could sign in as {STAFF_USER}")
        requests = _search_requests(queries)
        warmup, measured = (
            requests[: CLIENTS * WARMUP_REQUESTS],
            requests[CLIENTS * WARMUP_REQUESTS :],
        )
        _run_phase(clients, _split(warmup, CLIENTS))
        search = _run_phase(clients, _split(measured, CLIENTS), args.think)
        saturated = _run_phase(clients, _split(measured, CLIENTS))
        home_requests = [Request(path="/", headers={}, public_id="")] * len(measured)
        home = _run_phase(clients, _split(home_requests, CLIENTS), args.think)
    finally:
        for client in clients:
            client.close()
        if proc is not None:
            _stop(proc)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)

    print(_describe("counter search", search), file=sys.stderr)
    for failure in search.first_failures:
        print(f"  failed: {failure}", file=sys.stderr)
    print(_describe("counter search, back to back (saturation)", saturated), file=sys.stderr)
    print(_describe("home page (baseline)", home), file=sys.stderr)
    p95 = percentile(search.latency_ms, 0.95)
    requests_made = len(search.latency_ms)
    print(
        f"counter search p95 {p95:.1f} ms under {CLIENTS} clients "
        f"({args.workers} workers), {search.errors} errors"
    )
    print_result(
        "counter",
        requests_made,
        {
            "p95_ms": figure(p95, "ms", P95_TARGET_MS, "lower"),
            "errors": figure(search.errors, "requests", 0, "lower"),
        },
        clients=CLIENTS,
        workers=args.workers,
        customers=total,
        index_build_s=ms(index_s),
        p50_ms=ms(percentile(search.latency_ms, 0.5)),
        p99_ms=ms(percentile(search.latency_ms, 0.99)),
        requests_per_s=ms(requests_made / search.seconds),
        found_intended=ms(search.found_intended / requests_made),
        think_s=args.think,
        saturated_p50_ms=ms(percentile(saturated.latency_ms, 0.5)),
        saturated_p95_ms=ms(percentile(saturated.latency_ms, 0.95)),
        saturated_requests_per_s=ms(len(saturated.latency_ms) / saturated.seconds),
        saturated_errors=saturated.errors,
        no_results=search.no_results,
        home_p50_ms=ms(percentile(home.latency_ms, 0.5)),
        home_p95_ms=ms(percentile(home.latency_ms, 0.95)),
        home_p99_ms=ms(percentile(home.latency_ms, 0.99)),
        home_requests_per_s=ms(len(home.latency_ms) / home.seconds),
        home_errors=home.errors,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
