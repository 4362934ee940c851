"""The worker's periodic tasks (django-tasks, database backend; ``regulars worker``
enqueues them on its schedule and runs the queue).

- ``send_due_task``: sends the outreach messages that are due (``delivery.send_due``),
  batch after batch until none is left or ``SEND_BUDGET_S`` has passed;
- ``plan_due_task``: plans the business day's outreach once it is time
  (``planning.plan_if_due``);
- ``run_due_task``: what ``regulars run-due`` does: escalate overdue tickets, remind
  owners of promises, take the nightly loyalty snapshot.

Each returns a small JSON summary, kept with the task's result.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from django_tasks import task

from regulars.outreach.delivery import RECLAIM_AFTER, SendReport, send_due

SEND_LIMIT = 500  # messages per send_due call
SEND_BUDGET_S = 120.0  # a send task stops claiming after this long; the next one goes on
# Set by the worker when it is asked to stop: a send task claims no further batch.
STOP = threading.Event()


@task()
def send_due_task(reclaim_after_s: float | None = None) -> dict[str, Any]:
    reclaim_after = RECLAIM_AFTER if reclaim_after_s is None else timedelta(seconds=reclaim_after_s)
    total = SendReport()
    deadline = time.monotonic() + SEND_BUDGET_S
    while True:
        report = send_due(limit=SEND_LIMIT, reclaim_after=reclaim_after, should_stop=STOP.is_set)
        total.add(report)
        if report.claimed < SEND_LIMIT or time.monotonic() > deadline or STOP.is_set():
            return total.as_dict()


@task()
def plan_due_task() -> dict[str, Any] | None:
    from regulars.outreach.planning import plan_if_due

    run = plan_if_due()
    if run is None:
        return None
    return {"day": run.day.isoformat(), "counts": run.counts, "error": run.error}


def run_due() -> dict[str, Any]:
    """Escalate overdue tickets, remind owners of promises coming due, take the nightly
    loyalty snapshot if it is due (what ``regulars run-due`` does)."""
    from regulars.loyalty.services import snapshot_if_due
    from regulars.service.promises import send_reminders
    from regulars.service.tickets import escalate_overdue

    summary: dict[str, Any] = {
        "escalated": escalate_overdue(),
        "reminded": send_reminders(),
        "snapshot": None,
    }
    run = snapshot_if_due()
    if run is not None:
        summary["snapshot"] = {
            "day": run.day.isoformat(),
            "status": run.status,
            "customers": run.customers,
            "error": run.error,
        }
    return summary


@task()
def run_due_task() -> dict[str, Any]:
    return run_due()


PERIODIC = (send_due_task, plan_due_task, run_due_task)
