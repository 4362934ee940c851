"""``regulars worker``: one process that keeps the schedule and runs the queue.

Every ``interval`` seconds (30 by default) the scheduler enqueues each periodic task
of ``tasks.PERIODIC`` (send, plan, run-due) unless one of the same name is already
waiting or running, so a slow task never piles up copies behind it. In between, the
process runs whatever is ready in the django-tasks database queue, one task at a
time, with django_tasks_db's own claim (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL) and its ``Worker.run_task``, which records the result; several workers
may run at once, on one machine or several.

SIGTERM or SIGINT stops the worker once the current task is done; a second one stops
it at once (what was being sent is sent again later: see ``delivery``). ``--once``
enqueues what is due, runs the queue until it is empty and exits (tests, cron).

A task left running by a worker that died would block its name forever, so the
scheduler takes it as abandoned (marks it failed) when the worker that claimed it
was on this machine and its process is gone, or after ``ABANDON_AFTER`` in any case.
Taking a living worker's task for abandoned (another machine with the same host
name) costs nothing worse than two copies running: sending claims each message
once, planning plans each key once, and the snapshot takes one run per day.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.db import OperationalError, close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from regulars.outreach.tasks import PERIODIC, STOP

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30.0
POLL_S = 1.0  # how often an idle worker looks at the queue
ABANDON_AFTER = timedelta(hours=2)
KEEP_RESULTS = timedelta(days=7)  # finished periodic tasks are deleted after this
PRUNE_EVERY_S = 3600.0
# pg_advisory_xact_lock key: one scheduler tick at a time across workers.
SCHEDULER_LOCK = 0x5245_4755  # "REGU"


def _host() -> str:
    return socket.gethostname()[:40]


def new_worker_id() -> str:
    """``host:pid:random`` (at most 64 characters): lets another worker on the same
    machine see that this one's process is gone."""
    return f"{_host()}:{os.getpid()}:{get_random_string(8)}"


def process_is_gone(worker_id: str, *, own_id: str = "") -> bool:
    """The worker that wrote ``worker_id`` ran on this machine and has stopped."""
    if worker_id == own_id:
        return True  # our own claim, seen between two of our tasks: left by an earlier run
    host, _sep, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _host() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process
        return False
    return False


def _close_old_connections() -> None:
    """Drop dead or expired database connections between tasks, as a request would;
    not inside a transaction (a test's), where closing would break it."""
    if not connection.in_atomic_block:
        close_old_connections()


def _summary(value: Any) -> str:
    """A task's return value on one short line: the figures that are not zero."""
    if isinstance(value, dict):
        parts = [f"{k} {_summary(v)}" for k, v in value.items() if v not in (0, None, "", [], {})]
        return ", ".join(parts) or "nothing to do"
    if isinstance(value, list):
        return "; ".join(_summary(v) for v in value)
    return "nothing to do" if value is None else str(value)


class WorkerLost(Exception):
    """The worker running the task stopped before finishing it."""


@dataclass
class Tally:
    ran: int = 0
    failed: int = 0


class OutreachWorker:
    def __init__(
        self,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        reclaim_after_s: float | None = None,
        worker_id: str | None = None,
        periodic: tuple[Task[Any, Any], ...] = PERIODIC,
    ) -> None:
        self.interval_s = interval_s
        self.reclaim_after_s = reclaim_after_s
        self.worker_id = worker_id or new_worker_id()
        self.periodic = periodic
        self.stopping = False
        self.tally = Tally()
        self._runner = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        self._pruned_at = float("-inf")

    # -- the schedule ------------------------------------------------------------------

    def _kwargs(self, task: Task[Any, Any]) -> dict[str, Any]:
        if task.name == "send_due_task" and self.reclaim_after_s is not None:
            return {"reclaim_after_s": self.reclaim_after_s}
        return {}

    def _abandoned(self, result: DBTaskResult[Any, Any], now: datetime) -> bool:
        if result.status != TaskResultStatus.RUNNING:
            return False
        claimer = result.worker_ids[-1] if result.worker_ids else ""
        too_old = result.started_at is None or result.started_at < now - ABANDON_AFTER
        return too_old or process_is_gone(str(claimer), own_id=self.worker_id)

    def schedule(self) -> list[str]:
        """Enqueue each periodic task that has no copy waiting or running; the names
        enqueued."""
        enqueued: list[str] = []
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULER_LOCK])
            now = timezone.now()
            for task in self.periodic:
                active = DBTaskResult.objects.filter(
                    task_path=task.module_path,
                    status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
                )
                alive = False
                for result in active:
                    if self._abandoned(result, now):
                        self._give_up(result, now)
                    else:
                        alive = True
                if not alive:
                    task.enqueue(**self._kwargs(task))
                    enqueued.append(task.name)
        return enqueued

    def _give_up(self, result: DBTaskResult[Any, Any], now: datetime) -> None:
        log.warning(
            "task %s (%s) was left running by worker %s: marked failed",
            result.task_name,
            result.id,
            result.worker_ids[-1] if result.worker_ids else "?",
        )
        DBTaskResult.objects.filter(id=result.id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{__name__}.WorkerLost",
            traceback="WorkerLost: the worker running the task stopped before finishing it\n",
        )

    def prune(self) -> int:
        """Delete the finished periodic tasks older than ``KEEP_RESULTS``."""
        self._pruned_at = time.monotonic()
        deleted, _kinds = DBTaskResult.objects.filter(
            task_path__in=[task.module_path for task in self.periodic],
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=timezone.now() - KEEP_RESULTS,
        ).delete()
        return int(deleted)

    # -- the queue ---------------------------------------------------------------------

    def _next_ready(self) -> DBTaskResult[Any, Any] | None:
        _close_old_connections()
        ready = DBTaskResult.objects.ready().filter(
            backend_name=DEFAULT_TASK_BACKEND_ALIAS, queue_name=DEFAULT_TASK_QUEUE_NAME
        )
        with exclusive_transaction(ready.db):
            try:
                result = ready.get_locked()
                if result is not None:
                    result.claim(self.worker_id)
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                return None  # SQLite busy beyond its timeout: try again later
        return result

    def drain(self, *, until: float | None = None) -> int:
        """Run ready tasks one by one until none is left, the worker is stopping, or
        ``until`` (monotonic) has passed; how many ran."""
        ran = 0
        while not self.stopping and (until is None or time.monotonic() < until):
            result = self._next_ready()
            if result is None:
                break
            self._run(result)
            ran += 1
        return ran

    def _run(self, result: DBTaskResult[Any, Any]) -> None:
        started = time.monotonic()
        self._runner.run_task(result)
        result.refresh_from_db()
        seconds = time.monotonic() - started
        self.tally.ran += 1
        if result.status == TaskResultStatus.SUCCESSFUL:
            log.info(
                "%s done in %.2f s: %s", result.task_name, seconds, _summary(result.return_value)
            )
        else:
            self.tally.failed += 1
            last = (result.traceback or "").strip().splitlines()[-1:] or ["?"]
            log.error("%s failed in %.2f s: %s", result.task_name, seconds, last[0])
        _close_old_connections()

    # -- the process -------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            raise SystemExit(1)  # asked twice: stop now
        log.info("%s: stopping after the current task", signal.Signals(signum).name)
        self.stopping = True
        STOP.set()  # a send task finishes the batch in hand and claims no more

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))

    def run(self, *, once: bool = False) -> int:
        """Run until stopped (or, with ``once``, until the queue is empty). Returns
        the exit status: 1 when a task failed in a ``once`` run, else 0."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        # One line per task comes from here; django-tasks' own lines would double it,
        # and WeasyPrint (printed cards) logs each step of every PDF.
        for name in ("django_tasks", "weasyprint"):
            logging.getLogger(name).setLevel(logging.WARNING)
        log.info("worker %s started", self.worker_id)
        STOP.clear()
        try:
            if once:
                self.schedule()
                self.drain()
                return 1 if self.tally.failed else 0
            next_tick = time.monotonic()
            while not self.stopping:
                if time.monotonic() >= next_tick:
                    self.schedule()
                    if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
                        self.prune()
                    next_tick = time.monotonic() + self.interval_s
                self.drain(until=next_tick)
                self._sleep(min(POLL_S, max(0.0, next_tick - time.monotonic())))
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info(
                "worker %s stopped: %d tasks run, %d failed",
                self.worker_id,
                self.tally.ran,
                self.tally.failed,
            )


def run_worker(
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    once: bool = False,
    reclaim_after_s: float | None = None,
) -> int:
    return OutreachWorker(interval_s=interval_s, reclaim_after_s=reclaim_after_s).run(once=once)
