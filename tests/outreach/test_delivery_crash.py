"""A worker killed with SIGKILL in the middle of a batch, then started again, sends
every message exactly once.

The real ``regulars worker --once`` runs in a child process against its own database
(a SQLite file; also a fresh PostgreSQL database when REGULARS_DATABASE_URL is set),
sending to a real SMTP sink or SMS provider stand-in in this process, which kills the
worker at the Nth message: the SMTP sink before answering its DATA (so that message
was never accepted), the SMS provider after accepting the text and before answering
(the window where only the idempotency key prevents a double).
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regulars.outreach.channels.email import message_id_for
from regulars.outreach.delivery import BATCH_SIZE
from tests.child_databases import BACKENDS, ROOT, child_env, own_copy, postgres_database
from tests.outreach.sinks import sms_provider, smtp_sink

MESSAGES = 30
KILL_AT = 8
CHILD = (
    "import sys, django; django.setup(); "
    "from tests.outreach._delivery_helpers import child_main; "
    "sys.exit(child_main(sys.argv[1:]))"
)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend, copied by each test (migrating costs seconds):
    {"sqlite": the file, "postgresql": the template database's name}."""
    folder = tmp_path_factory.mktemp("migrated")
    _child(child_env(folder), "migrate")
    templates = {"sqlite": str(folder / "regulars.sqlite3")}
    if "postgresql" not in BACKENDS:
        yield templates
        return
    name = f"regulars_crash_tmpl_{secrets.token_hex(4)}"
    with postgres_database(name) as url:
        _child(child_env(folder, url), "migrate")
        templates["postgresql"] = name
        yield templates


def _database(tmp_path: Path, backend: str, migrated: dict[str, str]) -> Any:
    """The environment of the children: a database of their own (``own_copy``)."""
    return own_copy(tmp_path, backend, migrated, f"regulars_crash_{secrets.token_hex(4)}")


def _child(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "regulars.cli", "worker", "--once", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(worker: subprocess.Popen[str]) -> tuple[int, str]:
    output, _err = worker.communicate(timeout=300)
    return worker.returncode, output


def _statuses(report: dict[str, dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in report.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_killed_mid_batch_and_started_again_sends_each_email_exactly_once(
    tmp_path: Path, backend: str, migrated: dict[str, str]
) -> None:
    with smtp_sink() as sink, _database(tmp_path, backend, migrated) as env:
        env.update(
            REGULARS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            REGULARS_SMTP_HOST="127.0.0.1",
            REGULARS_SMTP_PORT=str(sink.port),
        )
        keys = _child(env, "seed", str(MESSAGES), "email")

        first = _worker(env)
        sink.kill_on_data(first.pid, KILL_AT)
        code, output = _finish(first)
        assert code == -signal.SIGKILL, output

        halfway = _child(env, "report")
        assert _statuses(halfway)["sent"] == KILL_AT - 1
        assert _statuses(halfway)["sending"] == MESSAGES - (KILL_AT - 1)
        assert len(sink.received()) == KILL_AT - 1

        code, output = _finish(_worker(env, "--reclaim-after", "0"))
        assert code == 0, output

        final = _child(env, "report")
        assert _statuses(final) == {"sent": MESSAGES}
        ids = sink.message_ids()
        assert len(ids) == MESSAGES
        assert len(set(ids)) == MESSAGES
        assert set(ids) == {message_id_for(key) for key in keys}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_worker_killed_after_the_provider_accepted_a_text_sends_each_text_exactly_once(
    tmp_path: Path, backend: str, migrated: dict[str, str]
) -> None:
    with sms_provider() as provider, _database(tmp_path, backend, migrated) as env:
        env.update(REGULARS_SMS_URL=provider.url, REGULARS_SMS_TOKEN=provider.token)
        keys = _child(env, "seed", str(MESSAGES), "sms")

        first = _worker(env)
        provider.kill_after_accepting(first.pid, KILL_AT)
        code, output = _finish(first)
        assert code == -signal.SIGKILL, output

        halfway = _child(env, "report")
        assert _statuses(halfway)["sent"] == KILL_AT - 1
        assert len(provider.delivered) == KILL_AT  # the last one accepted, never recorded
        unrecorded = keys[KILL_AT - 1]
        assert halfway[unrecorded]["status"] == "sending"

        code, output = _finish(_worker(env, "--reclaim-after", "0"))
        assert code == 0, output

        final = _child(env, "report")
        assert _statuses(final) == {"sent": MESSAGES}
        # Sent again under the same key, and dropped by the provider as a repeat.
        assert len(provider.requests) == MESSAGES + 1
        assert [r.key for r in provider.requests].count(unrecorded) == 2
        assert sorted(provider.delivered) == sorted(keys)
        assert final[unrecorded]["provider_ref"] == provider.delivered[unrecorded]["id"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_senders_at_once_send_each_message_once(
    tmp_path: Path, backend: str, migrated: dict[str, str]
) -> None:
    with smtp_sink() as sink, _database(tmp_path, backend, migrated) as env:
        env.update(
            REGULARS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            REGULARS_SMTP_HOST="127.0.0.1",
            REGULARS_SMTP_PORT=str(sink.port),
        )
        keys = _child(env, "seed", str(4 * MESSAGES), "email")
        sink.delay_s = 0.01
        go = tmp_path / "go"
        senders = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-c", CHILD, "send", str(go)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for sender in senders:
            assert sender.stdout is not None
            assert sender.stdout.readline().strip() == "ready", sender.communicate()[1]
        go.touch()
        tallies = []
        for sender in senders:
            output, errors = sender.communicate(timeout=300)
            assert sender.returncode == 0, errors[-3000:]
            tallies.append(json.loads(output.strip().splitlines()[-1]))

        assert _statuses(_child(env, "report")) == {"sent": 4 * MESSAGES}
        assert sorted(sink.message_ids()) == sorted(message_id_for(key) for key in keys)
        assert sum(t["sent"] for t in tallies) == 4 * MESSAGES
        assert all(t["sent"] > 0 for t in tallies)  # both took a share
        assert all(t["lost"] == 0 for t in tallies)


def test_sigterm_stops_the_worker_once_the_batch_in_hand_is_sent(
    tmp_path: Path, migrated: dict[str, str]
) -> None:
    with smtp_sink() as sink, _database(tmp_path, "sqlite", migrated) as env:
        env.update(
            REGULARS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            REGULARS_SMTP_HOST="127.0.0.1",
            REGULARS_SMTP_PORT=str(sink.port),
        )
        _child(env, "seed", str(BATCH_SIZE + 10), "email")
        sink.delay_s = 0.05
        worker = subprocess.Popen(
            [sys.executable, "-m", "regulars.cli", "worker", "--interval", "0.5"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while sink.data_count < 1:
            assert worker.poll() is None, worker.communicate()[0]
            assert time.monotonic() < deadline, "the worker never sent"
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        code, output = _finish(worker)

        assert code == 0, output
        assert "SIGTERM: stopping after the current task" in output
        # The first batch was sent whole; nothing was left half-done.
        assert _statuses(_child(env, "report")) == {"sent": BATCH_SIZE, "queued": 10}
        assert len(sink.received()) == BATCH_SIZE
