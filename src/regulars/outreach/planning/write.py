"""Writing a day's plan: one row per message in batches, each batch in its own
transaction, a key written already left as it is; a held message of an earlier day
decided again is updated in place. Returns the counts of what the plan decided."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction

from regulars.outreach import policy
from regulars.outreach.audiences import Context
from regulars.outreach.models import Message, MessageStatus, OutreachPolicy, PlayKind
from regulars.outreach.planning.decide import (
    ANOTHER,
    CODE_NAMES,
    HELD,
    QUEUED,
    STATUS,
    Decided,
)
from regulars.outreach.policy import CHANNELS, Ask, Facts

WRITE_BATCH = 20_000
"""Messages per write transaction."""

# --- Writing ------------------------------------------------------------------------------------


_ALPHABET = np.frombuffer(b"0123456789abcdefghjkmnpqrstvwxyz", dtype=np.uint8)


def _public_ids(n: int) -> list[str]:
    """``n`` fresh public ids like ``core.ids.new_public_id`` (60 random bits in its
    alphabet), drawn at once: one at a time costs more than the rest of the row."""
    bits = np.frombuffer(os.urandom(8 * n), dtype=np.uint64) >> np.uint64(4)
    shifts = np.arange(55, -1, -5, dtype=np.uint64)
    digits = _ALPHABET[((bits[:, None] >> shifts) & np.uint64(31)).astype(np.intp)]
    return np.ascontiguousarray(digits).view("S12").ravel().astype("U12").tolist()


# The columns a planned message is written with (the others keep their defaults).
COLUMNS = (
    "public_id",
    "key",
    "play_id",
    "arm_id",
    "customer_id",
    "location_id",
    "day",
    "occasion",
    "occasion_on",
    "occasion_name",
    "channel",
    "with_voucher",
    "language",
    "status",
    "reason",
    "reason_params",
    "send_after",
    "attempts",
    "address",
    "subject",
    "body",
    "error",
    "provider_ref",
    "outcome",
    "created_at",
)
Row = tuple[Any, ...]


def _columns() -> dict[str, str]:
    return {f.attname: str(f.column) for f in Message._meta.concrete_fields}


def _insert_sql() -> str:
    """One message per row, a key written already left as it is: what
    ``bulk_create(ignore_conflicts=True)`` does, without building a model instance
    and compiling its 25 fields per row (most of the planning time at a million)."""
    column = _columns()
    names = ", ".join(column[c] for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    table, key = Message._meta.db_table, column["key"]
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({key}) DO NOTHING"  # noqa: S608


REDECIDED = COLUMNS[2:]  # a held message decided again keeps its public id and key


def _update_sql() -> str:
    """A held message of an earlier day decided again: the row of ``REDECIDED`` and its
    pk (left alone if it is no longer held)."""
    column = _columns()
    names = ", ".join(f"{column[c]} = %s" for c in REDECIDED)
    table = Message._meta.db_table
    return f"UPDATE {table} SET {names} WHERE {column['id']} = %s AND {column['status']} = %s"  # noqa: S608


STAGED = "outreach_planned_rows"  # PostgreSQL: the batch, copied in before it is inserted


def _insert(cursor: Any, rows: list[Row]) -> None:
    if connection.vendor != "postgresql":
        cursor.executemany(_insert_sql(), rows)
        return
    # COPY into a scratch table, then one INSERT … SELECT: a statement per row costs
    # PostgreSQL a round trip each, most of the time of a million-customer plan.
    column = _columns()
    names = ", ".join(column[c] for c in COLUMNS)
    table = Message._meta.db_table
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGED} AS "  # noqa: S608
        f"SELECT {names} FROM {table} WITH NO DATA"
    )
    with cursor.cursor.copy(f"COPY {STAGED} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGED} "  # noqa: S608
        f"ON CONFLICT ({column['key']}) DO NOTHING"
    )
    cursor.execute(f"DROP TABLE {STAGED}")


def _write_batch(rows: list[Row], redecided: list[Row]) -> None:
    """One batch in one transaction: new messages (a key written already is left as it
    is) and held messages decided again."""
    with transaction.atomic(), connection.cursor() as cursor:
        if rows:
            _insert(cursor, rows)
        if redecided:
            cursor.executemany(_update_sql(), redecided)


@dataclass(frozen=True)
class Plan:
    """What a day's plan writes: the decisions and what they need to become rows."""

    ctx: Context
    rules: OutreachPolicy
    facts: Facts
    decided: list[Decided]


@dataclass(frozen=True)
class Written:
    row: Row
    replaces: int | None
    play: str  # public id
    status: str
    reason: str


def _messages(plan: Plan) -> Iterator[Written]:
    """Each message to write, as its row of ``COLUMNS``."""
    ctx, facts, now = plan.ctx, plan.facts, plan.ctx.now
    ops = connection.ops
    first_location = ctx.zones.first_location or 0
    names = [d.play.name for d in plan.decided]
    day, created, no_params = (
        ops.adapt_datefield_value(ctx.day),
        ops.adapt_datetimefield_value(now),
        ops.adapt_json_value({}, None),
    )
    for d in plan.decided:
        play, audience = d.play, d.audience
        arms = [a.pk for a in play.arms.all()]
        occasion = play.occasion if play.kind == PlayKind.OCCASION else ""
        sends = [
            ops.adapt_datetimefield_value(
                policy.send_time(ctx.day, play.send_hour, tz, plan.rules, now)
            )
            for tz in ctx.zones.names
        ]
        ids = _public_ids(audience.size)
        for i in range(audience.size):
            status, r = int(d.status[i]), int(d.rows[i])
            replaces = d.replace.get(i)
            if replaces is not None and status == HELD:
                continue  # still held: the earlier day's message says so already
            location = int(facts.location[r]) or first_location
            held = status == HELD
            reason = CODE_NAMES[int(d.code[i])] if held else ""
            row = (
                ids[i],
                audience.keys[i],
                play.pk,
                arms[int(d.arm[i])] if d.arm[i] >= 0 else None,
                int(audience.customer[i]),
                location,
                day,
                occasion,
                ops.adapt_datefield_value(audience.occasion_on[i])
                if audience.occasion_on
                else None,
                audience.occasion_name[i] if audience.occasion_name else "",
                CHANNELS[int(d.channel[i])],
                bool(d.voucher[i]),
                facts.language[r] or ctx.zones.language.get(location, ""),
                STATUS[status],
                reason,
                ops.adapt_json_value(_params(d, plan, i, names), None) if held else no_params,
                sends[int(facts.zone[r])] if status == QUEUED else None,
                0,
                "",
                "",
                "",
                "",
                "",
                "",
                created,
            )
            yield Written(row, replaces, play.public_id, STATUS[status], reason)


def _params(d: Decided, plan: Plan, i: int, names: list[str]) -> dict[str, Any]:
    code = int(d.code[i])
    if code == ANOTHER:
        return {"play": names[int(d.winner[i])]}
    ask = Ask(
        d.rows[i : i + 1],
        d.channel[i : i + 1],
        np.zeros(1, dtype=bool),
        plan.rules.max_per_30_days,
    )
    return policy.params(plan.facts, ask, 0, code)


def write_plan(plan: Plan) -> dict[str, Any]:
    """Write the plan in batches; the counts of what it decided."""
    held: Counter[str] = Counter()
    per_play: dict[str, Counter[str]] = {d.play.public_id: Counter() for d in plan.decided}
    batch: list[Row] = []
    redecided: list[Row] = []
    for message in _messages(plan):
        if message.replaces is None:
            batch.append(message.row)
        else:
            redecided.append((*message.row[2:], message.replaces, MessageStatus.HELD))
        per_play[message.play][message.status] += 1
        if message.reason:
            held[message.reason] += 1
        if len(batch) + len(redecided) >= WRITE_BATCH:
            _write_batch(batch, redecided)
            batch, redecided = [], []
    if batch or redecided:
        _write_batch(batch, redecided)
    total = Counter[str]()
    for counts in per_play.values():
        total.update(counts)
    return {
        "queued": total[MessageStatus.QUEUED],
        "holdout": total[MessageStatus.HOLDOUT],
        "held": dict(sorted(held.items(), key=lambda kv: CODE_NAMES.index(kv[0]))),
        "plays": {
            key: {s: counts[s] for s in ("queued", "holdout", "held")}
            for key, counts in per_play.items()
        },
    }
