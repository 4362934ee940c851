"""Visits as numpy arrays, streamed by ranges of customer ids, for the nightly snapshot.

Every customer's visits arrive in exactly one chunk, so per-customer figures (rhythm,
model inputs, cohorts) are computed chunk by chunk and memory stays bounded by the
chunk size (about ``CUSTOMERS_PER_CHUNK`` customers' visits at a time), not by the
visit table. Anonymous walk-ins (no customer) are left out. Times are UTC epoch
seconds (int64); amounts are floats, NaN for a visit without one, with the index of
their currency in :func:`currencies` (−1 for none): a chain with shops in several
countries keeps each customer's spend in their own currency (money is ``Decimal``
everywhere else; the models only need floats and the values written back are rounded to
the cent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Count

from regulars.accounts.models import Location
from regulars.service.figures import utc_offsets
from regulars.service.models import Visit

CUSTOMERS_PER_CHUNK = 50_000
"""Customer ids per chunk: with ~20 visits each, about a million rows in memory."""

_FETCH = 20_000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class VisitChunk:
    """The visits of the customers with ids in ``[lo, hi)``, one entry per visit."""

    lo: int
    hi: int
    customer: IntArray
    at: IntArray
    amount: FloatArray
    currency: IntArray
    location: IntArray
    local_offset: IntArray


def currencies() -> list[str]:
    """The currencies visits were paid in, the most used first (ties: alphabetical)."""
    rows = (
        Visit.objects.exclude(currency="")
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
    )
    return [str(row["currency"]) for row in rows]


def main_currency() -> str:
    """The currency most visits with an amount are in ('' when none)."""
    codes = currencies()
    return codes[0] if codes else ""


def _select_sql(codes: list[str]) -> tuple[str, list[str]]:
    """The query for one range of customers and its leading parameters (the currency
    codes, mapped to their index in SQL so that no text crosses into Python per row)."""
    table = Visit._meta.db_table
    if connection.vendor == "postgresql":
        epoch = "CAST(FLOOR(EXTRACT(EPOCH FROM at)) AS BIGINT)"
        money = "CAST(amount AS DOUBLE PRECISION)"
    else:
        epoch = "CAST(strftime('%%s', at) AS INTEGER)"
        money = "CAST(amount AS REAL)"
    whens = " ".join(f"WHEN %s THEN {i}" for i in range(len(codes)))
    code = f"CASE currency {whens} ELSE -1 END" if codes else "-1"
    # Only our own table and column expressions are formatted in; values are parameters.
    sql = (
        f"SELECT customer_id, {epoch}, {money}, {code}, location_id "  # noqa: S608
        f"FROM {table} WHERE customer_id >= %s AND customer_id < %s"
    )
    return sql, list(codes)


def _id_range() -> tuple[int, int] | None:
    table = Visit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(customer_id), MAX(customer_id) FROM {table}")  # noqa: S608
        lo, hi = cursor.fetchone()
    return None if lo is None else (int(lo), int(hi))


class Offsets:
    """Each location's UTC offset at any instant, from its zone's transitions."""

    def __init__(self, lo: datetime, hi: datetime) -> None:
        self._by_location: dict[int, tuple[IntArray, IntArray]] = {}
        for location_id, tz_name in Location.objects.values_list("id", "timezone"):
            segments = utc_offsets(tz_name, lo, hi)
            starts = np.array(
                [np.iinfo(np.int64).min] + [int(s.timestamp()) for s, _ in segments[1:] if s],
                dtype=np.int64,
            )
            offsets = np.array([offset for _, offset in segments], dtype=np.int64)
            self._by_location[int(location_id)] = (starts, offsets)

    def of(self, location: IntArray, at: IntArray) -> IntArray:
        """Seconds east of UTC of each visit's location at the visit."""
        out = np.zeros(at.size, dtype=np.int64)
        for location_id in np.unique(location).tolist():
            starts, offsets = self._by_location.get(int(location_id), (None, None))
            if starts is None or offsets is None:
                continue
            rows = location == location_id
            out[rows] = offsets[np.searchsorted(starts, at[rows], side="right") - 1]
        return out


def visit_chunks(
    codes: list[str], *, customers_per_chunk: int = CUSTOMERS_PER_CHUNK
) -> Iterator[VisitChunk]:
    """Every customer's visits, chunk by chunk in ascending ranges of customer ids;
    ``codes`` are the currencies (:func:`currencies`) whose index each visit carries."""
    bounds = _id_range()
    if bounds is None:
        return
    first, last = bounds
    dates = Visit.objects.filter(customer__isnull=False).order_by().values_list("at", flat=True)
    earliest = dates.order_by("at").first() or datetime.now(UTC)
    latest = dates.order_by("-at").first() or earliest
    offsets = Offsets(earliest, latest)
    sql, leading = _select_sql(codes)
    for lo in range(first, last + 1, customers_per_chunk):
        hi = lo + customers_per_chunk
        parts: list[npt.NDArray[np.float64]] = []
        with connection.cursor() as cursor:
            cursor.execute(sql, [*leading, lo, hi])
            while rows := cursor.fetchmany(_FETCH):
                parts.append(np.array(rows, dtype=np.float64).reshape(len(rows), 5))
        if not parts:
            continue
        block = np.concatenate(parts) if len(parts) > 1 else parts[0]
        del parts
        customer = block[:, 0].astype(np.int64)
        at = block[:, 1].astype(np.int64)
        currency = block[:, 3].astype(np.int64)
        location = block[:, 4].astype(np.int64)
        amount = np.ascontiguousarray(block[:, 2])
        del block
        yield VisitChunk(
            lo=lo,
            hi=hi,
            customer=customer,
            at=at,
            amount=amount,
            currency=currency,
            location=location,
            local_offset=offsets.of(location, at),
        )
