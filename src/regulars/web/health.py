"""``GET /health/``: is this server able to work, and is the worker keeping up?

For monitoring, not for people: JSON in English, open without signing in, never
cached, no cookies, and nothing that helps an attacker (no versions, paths or data).

- ``database``: one trivial query. When it fails the answer is HTTP 503 with
  ``"status": "error"``: this server cannot serve anything.
- ``worker``: when the newest background task finished. The worker enqueues its
  periodic tasks every 30 seconds, so none finishing for ``WORKER_FRESH_FOR`` means it
  is stopped or stuck. That is reported (``"ok": false``) but does not fail the check:
  the web server itself is fine, and a load balancer must not take it out of service
  because the worker is down.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

WORKER_FRESH_FOR = timedelta(minutes=10)


def _ping_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _worker() -> dict[str, Any]:
    # The worker prunes its finished periodic tasks, so the table stays small.
    last = (
        DBTaskResult.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return {
        "last_task_at": last.isoformat() if last else None,
        "ok": last is not None and timezone.now() - last <= WORKER_FRESH_FOR,
    }


@login_not_required
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    try:
        _ping_database()
        worker = _worker()
    except DatabaseError:
        # The error's text may name the database host or file: the log gets it, the
        # answer does not.
        logger.exception("health: the database did not answer")
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "worker": worker})
