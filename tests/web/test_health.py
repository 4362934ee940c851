"""``GET /health/``: for monitoring, open to anyone, never cached, no cookies, nothing
revealed; 503 only when the database does not answer, a stale worker only reported."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from regulars.outreach.tasks import run_due_task
from tests.conftest import World


def _finished(ago: timedelta, status: str = TaskResultStatus.SUCCESSFUL) -> str:
    """A task the worker finished ``ago``; its finish time as the endpoint reports it."""
    result = run_due_task.enqueue()
    finished_at = timezone.now() - ago
    DBTaskResult.objects.filter(id=result.id).update(
        status=status, started_at=finished_at, finished_at=finished_at
    )
    return finished_at.isoformat()


def _get(client: Client | None = None) -> Any:
    return (client or Client()).get(reverse("web:health"))


def test_it_answers_ok_to_anyone_without_signing_in(db: Any) -> None:
    response = _get()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": {"last_task_at": None, "ok": False},
    }


def test_it_is_never_cached_and_sets_no_cookie(db: Any) -> None:
    response = _get()

    assert "no-store" in response["Cache-Control"]
    assert response.cookies == {}
    assert "Set-Cookie" not in response


def test_it_answers_a_signed_in_user_the_same_way(world: World) -> None:
    response = _get(world.client("staff"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_it_answers_head_and_refuses_to_be_posted_to(db: Any) -> None:
    assert Client().head(reverse("web:health")).status_code == 200
    assert Client().post(reverse("web:health")).status_code == 405


def test_the_worker_is_fresh_when_a_task_finished_in_the_last_ten_minutes(db: Any) -> None:
    _finished(timedelta(hours=2))
    newest = _finished(timedelta(minutes=9))

    assert _get().json()["worker"] == {"last_task_at": newest, "ok": True}


def test_a_failed_task_still_shows_the_worker_is_running(db: Any) -> None:
    newest = _finished(timedelta(minutes=1), status=TaskResultStatus.FAILED)

    assert _get().json()["worker"] == {"last_task_at": newest, "ok": True}


def test_a_stale_worker_is_reported_without_failing_the_check(db: Any) -> None:
    newest = _finished(timedelta(minutes=11))
    run_due_task.enqueue()  # waiting, never finished: says nothing about the worker

    response = _get()

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": {"last_task_at": newest, "ok": False},
    }


def _refuse_every_query(*_args: Any) -> Any:
    raise OperationalError("could not connect to server at /srv/secret/db.sqlite3")


def test_it_answers_503_when_the_database_does_not_answer(
    db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with connection.execute_wrapper(_refuse_every_query):
        response = _get()

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error"}
    assert "no-store" in response["Cache-Control"]
    # The cause goes to the operator's log, never into the answer.
    assert "/srv/secret" not in response.content.decode()
    assert "/srv/secret" in caplog.text
