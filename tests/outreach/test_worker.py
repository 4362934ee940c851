"""``regulars worker``: the schedule enqueues each periodic task once however often it
ticks, a task left running by a dead worker is replaced, and ``--once`` runs what is
due through the real django-tasks database queue. (The worker killed mid-batch, and
stopped with SIGTERM, in a child process: ``test_delivery_crash``.)"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from regulars import cli
from regulars.outreach.models import MessageStatus
from regulars.outreach.tasks import PERIODIC, plan_due_task, run_due_task, send_due_task
from regulars.outreach.worker import ABANDON_AFTER, OutreachWorker, _summary, process_is_gone
from tests.conftest import World
from tests.outreach._delivery_helpers import fresh, queue_message, reachable_customer
from tests.outreach.sinks import SmtpSink, smtp_sink

PATHS = {task.module_path for task in PERIODIC}


@pytest.fixture
def sink(settings: Any) -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.port
        yield running


def _waiting(path: str) -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(
            task_path=path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        )
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_schedule_enqueues_each_periodic_task_once_however_often_it_ticks(db: Any) -> None:
    worker = OutreachWorker()

    assert set(worker.schedule()) == {"send_due_task", "plan_due_task", "run_due_task"}
    assert worker.schedule() == []
    assert worker.schedule() == []
    assert OutreachWorker().schedule() == []  # another worker sees them too

    for path in PATHS:
        [waiting] = _waiting(path)
        assert waiting.status == TaskResultStatus.READY
    assert DBTaskResult.objects.count() == 3


def test_a_running_task_is_not_enqueued_again(db: Any) -> None:
    result = send_due_task.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now(),
        worker_ids=[f"{socket.gethostname()[:40]}:{os.getpid()}:alive"],  # this very process
    )

    assert "send_due_task" not in OutreachWorker().schedule()

    assert len(_waiting(send_due_task.module_path)) == 1


def test_a_task_left_running_by_a_dead_worker_is_failed_and_enqueued_again(db: Any) -> None:
    result = send_due_task.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now(),
        worker_ids=[f"{socket.gethostname()[:40]}:{_dead_pid()}:gone"],
    )

    assert "send_due_task" in OutreachWorker().schedule()

    lost = DBTaskResult.objects.get(id=result.id)
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path.endswith("WorkerLost")
    [fresh_task] = _waiting(send_due_task.module_path)
    assert fresh_task.status == TaskResultStatus.READY


def test_a_task_running_for_hours_on_another_machine_is_taken_as_lost(db: Any) -> None:
    result = plan_due_task.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - ABANDON_AFTER - timedelta(minutes=1),
        worker_ids=["another-machine:4242:abcdefgh"],
    )

    assert "plan_due_task" in OutreachWorker().schedule()

    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.FAILED


def test_a_task_running_briefly_on_another_machine_is_left_alone(db: Any) -> None:
    result = plan_due_task.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=5),
        worker_ids=["another-machine:4242:abcdefgh"],
    )

    assert "plan_due_task" not in OutreachWorker().schedule()

    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.RUNNING


def test_process_is_gone_only_for_a_process_of_this_machine_that_ended() -> None:
    host = socket.gethostname()[:40]
    assert process_is_gone(f"{host}:{_dead_pid()}:x")
    assert not process_is_gone(f"{host}:{os.getpid()}:x")
    assert not process_is_gone("elsewhere:1:x")
    assert not process_is_gone("not a worker id")
    assert process_is_gone(f"{host}:{os.getpid()}:mine", own_id=f"{host}:{os.getpid()}:mine")


def test_once_sends_plans_and_runs_what_is_due_through_the_queue(
    world: World, sink: SmtpSink
) -> None:
    message = queue_message(reachable_customer(world.bologna), world.bologna)
    worker = OutreachWorker()

    assert worker.run(once=True) == 0

    assert fresh(message).status == MessageStatus.SENT
    assert len(sink.received()) == 1
    assert worker.tally.ran == 3
    for path in PATHS:
        assert DBTaskResult.objects.get(task_path=path).status == TaskResultStatus.SUCCESSFUL
    sent = DBTaskResult.objects.get(task_path=send_due_task.module_path)
    assert sent.return_value["sent"] == 1
    # Finished tasks do not block the next tick.
    assert set(worker.schedule()) == {"send_due_task", "plan_due_task", "run_due_task"}


def test_a_failing_task_is_recorded_and_once_says_so(db: Any, settings: Any) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = "not a number"  # send_due cannot even start

    worker = OutreachWorker(periodic=(send_due_task,))

    assert worker.run(once=True) == 1
    failed = DBTaskResult.objects.get(task_path=send_due_task.module_path)
    assert failed.status == TaskResultStatus.FAILED
    assert "ValueError" in failed.exception_class_path


def test_the_reclaim_delay_given_to_the_worker_reaches_the_send_task(db: Any) -> None:
    OutreachWorker(reclaim_after_s=5.0).schedule()

    task = DBTaskResult.objects.get(task_path=send_due_task.module_path)
    assert task.args_kwargs["kwargs"] == {"reclaim_after_s": 5.0}
    other = DBTaskResult.objects.get(task_path=run_due_task.module_path)
    assert other.args_kwargs["kwargs"] == {}


def test_old_finished_tasks_are_pruned(db: Any) -> None:
    old, recent = send_due_task.enqueue(), send_due_task.enqueue()
    DBTaskResult.objects.filter(id=old.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=8)
    )
    DBTaskResult.objects.filter(id=recent.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=1)
    )

    assert OutreachWorker().prune() == 1

    assert list(DBTaskResult.objects.values_list("id", flat=True)) == [recent.db_result.id]


def test_a_task_summary_is_one_short_line() -> None:
    assert _summary({"claimed": 3, "sent": 3, "failed": 0, "errors": []}) == "claimed 3, sent 3"
    assert _summary(None) == "nothing to do"
    assert _summary({"snapshot": None, "escalated": 0}) == "nothing to do"


def test_the_worker_verb_is_in_the_command_line() -> None:
    args = cli.build_parser().parse_args(["worker", "--once", "--reclaim-after", "0"])
    assert (args.once, args.reclaim_after, args.interval) == (True, 0.0, 30.0)
    assert args.func is cli.cmd_worker
