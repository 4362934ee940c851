"""Taking the nightly snapshot: refit the models, place every customer in a stage, and
store a standing per customer with history.

``take_snapshot`` runs it now; ``snapshot_if_due`` (called by ``regulars run-due``) runs
it once per business day after ``REGULARS_LOYALTY_SNAPSHOT_HOUR``. A run is a
``Snapshot`` row marked ``running`` (at most one live run per day, by a unique
constraint, so two schedulers cannot both take it); its standings are written in short
batches, so the counter keeps logging visits meanwhile, and become visible only when the
run is marked ``done``. When the models cannot be fitted or anything else fails, the run
is marked ``failed`` with the reason, its partial standings are deleted, and the pages
keep showing the previous snapshot. A run interrupted by a crash is found still
``running`` by the next attempt and marked failed the same way.

Old standings are thinned after each run: every snapshot of the last
``REGULARS_LOYALTY_KEEP_DAYS`` days, then the first of each month for
``REGULARS_LOYALTY_KEEP_MONTHS`` months (the history on the profile and the stage flows).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from regulars.accounts.models import Location
from regulars.core.localtime import local_today, zone
from regulars.feedback.models import RECOVERY_OPEN, Recovery
from regulars.loyalty.compute import Computed, Previous, compute
from regulars.loyalty.models import RunStatus, Snapshot, Standing
from regulars.loyalty.visits import currencies, visit_chunks
from regulars.service.flow import ACTIVE, TicketKind
from regulars.service.models import Ticket

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=6)
"""A run still ``running`` after this long was interrupted (a crash or a kill)."""

WRITE_BATCH = 20_000
"""Standings per write transaction: short enough that the counter is never kept waiting."""

COLUMNS = (
    "snapshot_id",
    "customer_id",
    "location_id",
    "stage",
    "stage_since",
    "visits",
    "visit_days",
    "first_visit_at",
    "last_visit_at",
    "gap_median",
    "gap_low",
    "gap_high",
    "weekdays",
    "part_of_day",
    "overdue",
    "overdue_ratio",
    "p_alive",
    "expected_visits",
    "p_return",
    "expected_spend",
    "value",
    "value_at_risk",
    "risk_score",
    "currency",
    "rfm",
)


def business_zone() -> str:
    """The zone the business's day is counted in: its first location's, else the
    installation's ``REGULARS_TIME_ZONE``."""
    first = Location.objects.order_by("id").values_list("timezone", flat=True).first()
    return first or settings.TIME_ZONE


def snapshot_if_due(now: datetime | None = None) -> Snapshot | None:
    """Take today's snapshot if it is past the snapshot hour and none is live for today
    (``regulars run-due`` calls this every few minutes). Returns the run, or None."""
    moment = now or timezone.now()
    tz_name = business_zone()
    local = moment.astimezone(zone(tz_name))
    if local.hour < settings.LOYALTY_SNAPSHOT_HOUR:
        return None
    day = local.date()
    _fail_interrupted(moment)
    live = Snapshot.objects.filter(day=day, status__in=[RunStatus.RUNNING, RunStatus.DONE])
    if live.exists():
        return None
    return take_snapshot(moment, day=day)


def take_snapshot(
    now: datetime | None = None, *, day: date | None = None, history: bool = False
) -> Snapshot | None:
    """Take a snapshot as of ``now`` for business day ``day`` (today by default).

    ``history``: a snapshot of a past moment (the demo's history), where visits after
    ``now`` are simply the future and not dated wrongly, so they are not warned about.
    Returns the run (``done`` or ``failed``, with the reason), or None when another run
    for that day is live (running, or already done)."""
    moment = now or timezone.now()
    _fail_interrupted(moment)
    try:
        with transaction.atomic():
            run = Snapshot.objects.create(
                day=day or local_today(business_zone(), moment), as_of=moment
            )
    except IntegrityError:
        return None
    try:
        codes = currencies()
        offset = moment.astimezone(zone(business_zone())).utcoffset()
        result = compute(
            visit_chunks(codes),
            now=moment,
            codes=codes,
            previous=_previous(),
            dissatisfied=_dissatisfied_ids(),
            offset_s=int(offset.total_seconds()) if offset is not None else 0,
            history=history,
        )
        _write(run, result, codes)
    except Exception as exc:  # any failure keeps the previous snapshot
        log.exception("loyalty snapshot %s failed", run.pk)
        _fail(run, _reason(exc))
        return run
    _thin_history(moment)
    return run


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if str(exc).strip() else text


def _fail(run: Snapshot, reason: str) -> None:
    Standing.objects.filter(snapshot=run).delete()
    Snapshot.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error=reason, finished_at=timezone.now()
    )
    run.status, run.error = RunStatus.FAILED, reason


def _fail_interrupted(now: datetime) -> None:
    for run in Snapshot.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - STALE_AFTER):
        _fail(run, "Interrupted: the run stopped before it finished (the process ended).")


def _dissatisfied_ids() -> np.ndarray:
    """Customers with an unrecovered detractor answer or an open complaint."""
    recovering = Recovery.objects.filter(status__in=RECOVERY_OPEN).values_list(
        "customer_id", flat=True
    )
    complaining = Ticket.objects.filter(
        kind=TicketKind.COMPLAINT, status__in=ACTIVE, customer__isnull=False
    ).values_list("customer_id", flat=True)
    ids = {int(i) for i in recovering if i is not None} | {int(i) for i in complaining}
    return np.array(sorted(ids), dtype=np.int64)


def _previous() -> Previous | None:
    """The latest done snapshot's stages, by customer id."""
    last = Snapshot.objects.filter(status=RunStatus.DONE).order_by("-as_of", "-id").first()
    if last is None:
        return None
    rows = Standing.objects.filter(snapshot=last).order_by("customer_id")
    customer, stage, since = [], [], []
    for c, s, t in rows.values_list("customer_id", "stage", "stage_since").iterator(
        chunk_size=WRITE_BATCH
    ):
        customer.append(c)
        stage.append(s)
        since.append(int(t.timestamp()))
    return Previous(
        as_of=int(last.as_of.timestamp()),
        customer=np.array(customer, dtype=np.int64),
        stage=np.array(stage, dtype=np.int64),
        since=np.array(since, dtype=np.int64),
    )


# --- writing -------------------------------------------------------------------------------


def _instants(seconds: np.ndarray) -> list[str | None]:
    """Epoch seconds as the text each database takes for a UTC timestamp (-1: null)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    return [
        None if s < 0 else t.replace("T", " ") + suffix
        for s, t in zip(seconds.tolist(), text, strict=True)
    ]


def _floats(values: np.ndarray) -> list[float | None]:
    """NaN (unknown) → null."""
    known = np.isfinite(values).tolist()
    return [v if ok else None for v, ok in zip(values.tolist(), known, strict=True)]


def _money(values: np.ndarray) -> list[str | None]:
    """Rounded to the cent as text (exact for the DECIMAL column); NaN → null."""
    known = np.isfinite(values).tolist()
    return [f"{v:.2f}" if ok else None for v, ok in zip(values.tolist(), known, strict=True)]


def _ints_or_null(values: np.ndarray) -> list[int | None]:
    return [None if v < 0 else v for v in values.tolist()]


Cell = int | float | str | bool | None


def _rows(run_id: int, r: Computed, codes: list[str], lo: int, hi: int) -> list[tuple[Cell, ...]]:
    s = slice(lo, hi)
    n = hi - lo
    columns: list[Sequence[Cell]] = [
        [run_id] * n,
        r.customer[s].tolist(),
        _ints_or_null(r.location[s]),
        r.stage[s].tolist(),
        _instants(r.stage_since[s]),
        r.visits[s].tolist(),
        r.visit_days[s].tolist(),
        _instants(r.first_at[s]),
        _instants(r.last_at[s]),
        _floats(r.gap_median[s]),
        _floats(r.gap_low[s]),
        _floats(r.gap_high[s]),
        r.weekdays[s].tolist(),
        _ints_or_null(r.part_of_day[s]),
        r.overdue[s].tolist(),
        r.overdue_ratio[s].tolist(),
        _floats(r.p_alive[s]),
        _floats(r.expected_visits[s]),
        _floats(r.p_return[s]),
        _money(r.expected_spend[s]),
        _money(r.value[s]),
        _money(np.nan_to_num(r.value_at_risk[s])),
        np.round(r.risk_score[s], 6).tolist(),
        [codes[i] if i >= 0 else "" for i in r.currency_index[s].tolist()],
        r.rfm[s].tolist(),
    ]
    return list(zip(*columns, strict=True))


def _insert(rows: list[tuple[Cell, ...]]) -> None:
    table = Standing._meta.db_table
    names = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _write(run: Snapshot, result: Computed, codes: list[str]) -> None:
    n = int(result.customer.size)
    for lo in range(0, n, WRITE_BATCH):
        _insert(_rows(run.pk, result, codes, lo, min(lo + WRITE_BATCH, n)))
    total = result.total_value
    with transaction.atomic():
        updated = Snapshot.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE,
            finished_at=timezone.now(),
            method=result.method,
            warnings=result.warnings,
            parameters=result.parameters,
            figures=result.figures,
            customers=n,
            visits=result.visit_count,
            currency=result.currency,
            total_value=None if total is None else f"{total:.2f}",
        )
        if updated != 1:
            raise RuntimeError("the run was marked failed while it was writing")
    run.refresh_from_db()


# --- history ---------------------------------------------------------------------------------


def _thin_history(now: datetime) -> None:
    """Drop standings of snapshots outside the kept history (see the module docstring);
    the snapshot rows (small: figures and parameters) stay for the trends."""
    keep_daily_from = now - timedelta(days=settings.LOYALTY_KEEP_DAYS)
    keep_monthly_from = now - timedelta(days=31 * settings.LOYALTY_KEEP_MONTHS)
    done = Snapshot.objects.filter(status=RunStatus.DONE)
    firsts = set(
        done.filter(as_of__gte=keep_monthly_from)
        .values("day__year", "day__month")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    latest = done.order_by("-as_of", "-id").values_list("id", flat=True).first()
    stale = (
        done.filter(as_of__lt=keep_daily_from)
        .exclude(pk__in=firsts)
        .exclude(pk__in=[latest] if latest is not None else [])
        .filter(standings__isnull=False)
        .distinct()
        .values_list("id", flat=True)
    )
    for run_id in list(stale):
        while True:
            with transaction.atomic():
                batch = list(
                    Standing.objects.filter(snapshot_id=run_id).values_list("id", flat=True)[
                        :WRITE_BATCH
                    ]
                )
                if not batch:
                    break
                Standing.objects.filter(pk__in=batch).delete()


__all__ = ["business_zone", "snapshot_if_due", "take_snapshot"]
