"""The business ``bench.snapshot`` measures: simulated with numpy, loaded fast, kept.

**What is simulated** (seeded: the same sizes and seed give the same rows on SQLite and
PostgreSQL). Three locations in three zones (Bologna, Europe/Rome; København,
Europe/Copenhagen; Lisboa, Europe/Lisbon, an hour behind the other two), all priced in
euros, with half, 30 % and 20 % of the customers at home there. Customers behave as
BG/NBD assumes: each has a visit rate drawn from a gamma distribution (shape
``RATE_SHAPE``: many occasional customers, a few who come almost daily) and a chance of
dropping out after each visit drawn from a beta distribution (``DROPOUT_A``,
``DROPOUT_B``); the visits of a customer who is still there are a Poisson process from
their first visit to now, and a customer who dropped out made only the first of those
(the first ``m`` of ``k`` uniform order statistics, drawn directly). 12 % were customers
already when the records began (first visit in the first 60 days), the others arrived
over three years at a growing pace, and 3 % registered but never came. The rate scale
is found by bisection so that the rows come to the size asked for, then a few visits
are added or taken away to hit it exactly. Each customer has a habitual time of day
(morning, midday, afternoon or evening, 75 % of their visits near it, the rest anywhere
in opening hours 07:00–21:30 local), comes to their home location 85 % of the time, and
the shops are closed on Sundays (a visit drawn on a Sunday moves to the Saturday or
the Monday). Local
times are placed with each zone's real offsets, summer time included. Spend per visit
is gamma-distributed around each customer's own mean (lognormal around 14 EUR, as
Gamma-Gamma assumes); 3 % of the visits have no amount, 0.1 % an amount of zero, 0.05 %
a negative one (a refund); 0.2 % of the rows are exact duplicates (the same visit
imported twice); a handful (``FUTURE_VISITS`` at full size) are dated up to 45 days after
``now``; ``complaints`` customers have an open complaint (opened through
``service.tickets.open_ticket_by_rule``). The visits are written in time order (ids
ascending with time), as a business accumulates them: a customer's visits are scattered
over the whole table, as they would be after three years.

**Loading.** Locations and complaints through the ORM (a few hundred rows); customers
and visits straight into the migrated tables: SQLite with ``executemany`` on its own
connection (journal off, ``synchronous=OFF``, a 512 MB page cache, foreign keys not
checked: the generator's ids are consistent by construction), PostgreSQL with ``COPY``
of text rows. The loaded tables' secondary indexes (and on PostgreSQL their foreign keys
and unique constraints) are dropped while loading and built again at the end; then
``ANALYZE`` (SQLite, back to WAL) or ``VACUUM (ANALYZE)`` (PostgreSQL). The meta table
``bench_snapshot_meta`` (the build's key, ``now`` and counts) is written last: a
half-built database has none and is built again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

VERSION = 1  # of how the data are loaded; this file's source is part of the key too
META_TABLE = "bench_snapshot_meta"
YEARS = 3
DAY = 86_400
CURRENCY = "EUR"
# (name, zone, country, share of the customers at home there)
LOCATIONS: tuple[tuple[str, str, str, float], ...] = (
    ("Bologna", "Europe/Rome", "IT", 0.5),
    ("København", "Europe/Copenhagen", "DK", 0.3),
    ("Lisboa", "Europe/Lisbon", "PT", 0.2),
)
NEVER_SHARE = 0.03  # registered, never came
EARLY_SHARE = 0.12  # customers already when the records began
RATE_SHAPE = 0.8  # gamma shape of the visit rates (BG/NBD's r)
DROPOUT_A, DROPOUT_B = 0.7, 7.0  # beta of the chance of leaving after a visit (a, b)
HOME_SHARE = 0.85
HABIT_SHARE = 0.75
HABITS = ((9.0, 0.35), (12.5, 0.30), (15.5, 0.20), (18.5, 0.15))  # (local hour, share)
OPEN_HOURS = (7.0, 21.5)
SPEND_MEDIAN_EUR, SPEND_SIGMA, SPEND_SHAPE = 14.0, 0.55, 4.0
MISSING_AMOUNT, ZERO_AMOUNT, NEGATIVE_AMOUNT = 0.03, 0.001, 0.0005
DUPLICATE_SHARE = 0.002
FUTURE_VISITS = 50  # at 20 M visits; in proportion, at least 3
NO_AMOUNT = np.iinfo(np.int64).min  # cents of a visit without an amount
BLOCK = 100_000  # customers whose visits are drawn at once
ROWS_PER_BATCH = 200_000  # rows per insert transaction / COPY

IntArray = npt.NDArray[np.int64]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Sizes:
    customers: int
    visits: int  # rows in the visit table, duplicates and future ones included
    complaints: int  # customers with an open complaint

    @property
    def label(self) -> str:
        return f"c{self.customers}-v{self.visits}"


FULL = Sizes(1_000_000, 20_000_000, 300)
LIGHT = Sizes(1_000_000, 5_000_000, 300)  # the same customers, a quarter of the visits
QUICK = Sizes(5_000, 100_000, 20)


def build_key(sizes: Sizes, seed: int) -> str:
    """What a kept database was built from: sizes, seed and this file's source."""
    digest = hashlib.sha256(f"{VERSION}|{sorted(asdict(sizes).items())}|{seed}".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


# --- simulating ------------------------------------------------------------------------------


@dataclass
class Simulated:
    """Customer ``i`` has id ``i + 1``; visit ``j`` has id ``j + 1`` (time order)."""

    now: int
    created: IntArray  # per customer, epoch seconds
    home: IntArray  # per customer, index into LOCATIONS
    customer: IntArray  # per visit, customer id
    at: IntArray  # per visit, epoch seconds (UTC)
    location: IntArray  # per visit, index into LOCATIONS
    cents: IntArray  # per visit, amount in cents (NO_AMOUNT: none)
    future: int
    duplicates: int

    def customers_with_past_visits(self) -> int:
        return int(np.unique(self.customer[self.at <= self.now]).size)

    def repeated_instants(self) -> int:
        """Past rows repeating a customer's instant: the copies, and the rare visits
        drawn at the very second of another of the same customer's."""
        past = self.at <= self.now
        key = (self.customer[past] << 34) | (self.at[past] - int(self.at.min()))
        key.sort()
        return int(np.count_nonzero(key[1:] == key[:-1]))


class Zones:
    """Each location's UTC offset at any instant (its zone's real transitions)."""

    def __init__(self, lo: int, hi: int) -> None:
        from regulars.service.figures import utc_offsets

        self.tables: list[tuple[IntArray, IntArray]] = []
        for _name, tz, _country, _share in LOCATIONS:
            segments = utc_offsets(
                tz, datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC)
            )
            starts = np.array(
                [np.iinfo(np.int64).min] + [int(s.timestamp()) for s, _o in segments[1:] if s],
                dtype=np.int64,
            )
            self.tables.append((starts, np.array([o for _s, o in segments], dtype=np.int64)))

    def of(self, location: IntArray, at: IntArray) -> IntArray:
        out = np.zeros(at.size, dtype=np.int64)
        for index, (starts, offsets) in enumerate(self.tables):
            rows = location == index
            out[rows] = offsets[np.searchsorted(starts, at[rows], side="right") - 1]
        return out


def _arrivals(
    rate: npt.NDArray[np.float64], window: npt.NDArray[np.float64], seed: int
) -> IntArray:
    """Poisson arrivals of every customer over their window, the same draws each call."""
    return np.random.default_rng([seed, 2]).poisson(rate * window).astype(np.int64)


def _counts(
    base_rate: npt.NDArray[np.float64],
    window: npt.NDArray[np.float64],
    lifetime: IntArray,
    visiting: npt.NDArray[np.bool_],
    budget: int,
    seed: int,
) -> tuple[IntArray, IntArray]:
    """(visits per customer, arrivals per customer) summing to ``budget`` exactly."""
    lo, hi = -10.0, 3.0  # log10 of the rate scale (visits per day)

    def total(log_scale: float) -> tuple[int, IntArray, IntArray]:
        k = _arrivals(base_rate * 10**log_scale, window, seed)
        counts = np.where(visiting, 1 + np.minimum(lifetime - 1, k), 0)
        return int(counts.sum()), counts, k

    for _ in range(50):
        middle = (lo + hi) / 2
        if total(middle)[0] < budget:
            lo = middle
        else:
            hi = middle
    _t, counts, k = total(hi)
    rng = np.random.default_rng([seed, 3])
    diff = budget - int(counts.sum())
    while diff:
        # Too many: drop a repeat visit of customers with one; too few: let customers
        # who left stay for one more of their arrivals.
        room = np.where(visiting, counts - 1 if diff < 0 else k + 1 - counts, 0)
        room = np.maximum(room, 0)
        if room.sum() < abs(diff):
            raise RuntimeError("cannot reach the visit count asked for")
        picks = rng.choice(room.size, size=abs(diff), p=room / room.sum())
        change = np.minimum(np.bincount(picks, minlength=room.size), room)
        counts += np.sign(diff) * change
        diff -= int(np.sign(diff) * change.sum())
    return counts.astype(np.int64), k


def _place(
    raw: IntArray,
    owner: IntArray,
    home: IntArray,
    habit: npt.NDArray[np.float64],
    zones: Zones,
    end: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray]:
    """Visit instants on the local day of ``raw`` at an open hour near the customer's
    habit, and the location (home mostly). ``owner``: customer index per visit."""
    n = raw.size
    places = len(LOCATIONS)
    away = rng.random(n) >= HOME_SHARE
    location = np.where(away, (home[owner] + rng.integers(1, places, n)) % places, home[owner])
    offset = zones.of(location, raw)
    day = (raw + offset) // DAY
    sunday = (day + 3) % 7 == 6  # closed on Sundays: the Saturday or the Monday
    day += np.where(sunday, rng.choice(np.array([-1, 1]), n), 0)
    hour = np.where(
        rng.random(n) < HABIT_SHARE,
        habit[owner] + rng.normal(0.0, 0.6, n),
        rng.uniform(OPEN_HOURS[0], OPEN_HOURS[1], n),
    )
    hour = np.clip(hour, *OPEN_HOURS)
    local = day * DAY + (hour * 3600).astype(np.int64)
    at = local - zones.of(location, local - offset)
    at = np.where(at > end, at - 7 * DAY, at)  # after "now" today: the same day a week before
    return at, location


def simulate(sizes: Sizes, seed: int, now: int) -> Simulated:
    """Every customer and visit of the business (see the module docstring)."""
    rng = np.random.default_rng([seed, 1])
    n = sizes.customers
    start = now - YEARS * 365 * DAY
    end = now - 900
    span = end - start
    visiting = rng.random(n) >= NEVER_SHARE
    early = rng.random(n) < EARLY_SHARE
    u = rng.random(n)
    first = np.where(early, start + u * 60 * DAY, start + span * u**0.8).astype(np.int64)
    shares = np.array([share for *_rest, share in LOCATIONS])
    home = rng.choice(len(LOCATIONS), size=n, p=shares / shares.sum()).astype(np.int64)
    base_rate = rng.gamma(RATE_SHAPE, 1.0, n)
    lifetime = rng.geometric(np.clip(rng.beta(DROPOUT_A, DROPOUT_B, n), 1e-6, 1.0))
    window = (end - first) / DAY
    centres = np.array([h for h, _s in HABITS])
    part = rng.choice(len(HABITS), size=n, p=np.array([s for _h, s in HABITS]))
    habit = centres[part] + rng.normal(0.0, 0.5, n)
    spend = SPEND_MEDIAN_EUR * np.exp(rng.normal(0.0, SPEND_SIGMA, n))

    duplicates = round(sizes.visits * DUPLICATE_SHARE)
    future = max(3, round(sizes.visits * FUTURE_VISITS / 20_000_000))
    counts, arrivals = _counts(
        base_rate, window, lifetime, visiting, sizes.visits - duplicates - future, seed
    )
    zones = Zones(start - 30 * DAY, now + 60 * DAY)

    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    for lo in range(0, n, BLOCK):
        hi = min(lo + BLOCK, n)
        c = counts[lo:hi]
        reps = np.maximum(c - 1, 0)
        index = np.arange(lo, hi, dtype=np.int64)
        owner_rep = np.repeat(index, reps)
        # The first ``reps`` of ``arrivals`` uniform order statistics on the window:
        # S_j / (S_reps + Gamma(arrivals + 1 - reps)), S the running sums of exponentials.
        spacing = rng.standard_exponential(int(reps.sum()))
        sums = np.cumsum(spacing)
        ends = np.cumsum(reps)
        before = np.concatenate(([0.0], sums))[ends - reps]
        within = sums - np.repeat(before, reps)
        total = np.concatenate(([0.0], sums))[ends] - before
        rest = rng.gamma(np.maximum(arrivals[lo:hi] + 1 - reps, 1).astype(np.float64), 1.0)
        fraction = within / np.repeat(total + rest, reps)
        repeat_at = first[owner_rep] + (fraction * (end - first[owner_rep])).astype(np.int64)
        owner = np.concatenate((index[c > 0], owner_rep))
        raw = np.concatenate((first[lo:hi][c > 0], repeat_at))
        at, location = _place(raw, owner, home, habit, zones, end, rng)
        parts.append((owner, at, location))
    owner = np.concatenate([p[0] for p in parts])
    at = np.concatenate([p[1] for p in parts])
    location = np.concatenate([p[2] for p in parts])
    del parts

    placed_first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(placed_first, owner, at)
    created = np.where(counts > 0, placed_first - rng.integers(0, 600, n), start + u * span)
    del placed_first

    cents = np.maximum(np.rint(rng.gamma(SPEND_SHAPE, spend[owner] / SPEND_SHAPE) * 100), 50)
    cents = cents.astype(np.int64)
    draw = rng.random(owner.size)
    cents[draw < NEGATIVE_AMOUNT + ZERO_AMOUNT] = 0
    cents[draw < NEGATIVE_AMOUNT] = -rng.integers(100, 5000, int((draw < NEGATIVE_AMOUNT).sum()))
    cents[draw > 1.0 - MISSING_AMOUNT] = NO_AMOUNT

    copied = rng.choice(owner.size, size=duplicates, replace=False)
    who = rng.choice(np.flatnonzero(counts > 0), size=future, replace=False)
    owner = np.concatenate((owner, owner[copied], who))
    at = np.concatenate((at, at[copied], now + rng.integers(3600, 45 * DAY, future)))
    location = np.concatenate((location, location[copied], home[who]))
    cents = np.concatenate((cents, cents[copied], np.full(future, 1500, dtype=np.int64)))
    order = np.argsort(at, kind="stable")
    return Simulated(
        now=now,
        created=created.astype(np.int64),
        home=home,
        customer=owner[order] + 1,
        at=at[order],
        location=location[order],
        cents=cents[order],
        future=future,
        duplicates=duplicates,
    )


# --- loading ---------------------------------------------------------------------------------


_ALPHABET = np.frombuffer(b"0123456789abcdefghjkmnpqrstvwxyz", dtype=np.uint8)


def public_ids(numbers: IntArray, prefix: str) -> list[str]:
    """12-character public ids in the app's alphabet, ordered like ``numbers`` (fixed
    width, so inserting in id order appends to the unique index)."""
    width = 12 - len(prefix)
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64) * 5
    digits = _ALPHABET[(numbers[:, None] >> shifts) & 31]
    text = np.ascontiguousarray(digits).view(f"S{width}").ravel().astype(f"U{width}")
    ids: list[str] = np.char.add(prefix, text).tolist()
    return ids


def instants(seconds: IntArray, postgres: bool) -> list[str]:
    """UTC epoch seconds as the text Django stores (SQLite) or PostgreSQL reads."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    chars = text.view(np.uint32).reshape(seconds.size, -1)
    chars[:, 10] = ord(" ")
    out = chars.view(text.dtype).ravel()
    return np.char.add(out, "+00").tolist() if postgres else out.tolist()


@dataclass(frozen=True)
class Table:
    """A table written with ``columns`` (in row order) and, on every row, the given
    constants (the Django defaults of the other NOT NULL columns)."""

    name: str
    columns: tuple[str, ...]
    constants: tuple[tuple[str, str], ...]


CUSTOMER = Table(
    "customers_customer",
    (
        "id",
        "public_id",
        "given_name",
        "family_name",
        "language",
        "home_location_id",
        "created_at",
        "updated_at",
        "visit_count",
        "first_visit_at",
        "last_visit_at",
    ),
    (
        ("kind", "person"),
        ("patronymic", ""),
        ("preferred_name", ""),
        ("organisation_name", ""),
        ("title", ""),
        ("address_form", "formal"),
        ("email", ""),
        ("postal_address", ""),
        ("how_met", ""),
        ("notes", ""),
        ("external_ref", ""),
        ("provenance", "{}"),
    ),
)
VISIT = Table(
    "service_visit",
    ("id", "public_id", "customer_id", "location_id", "at", "amount", "currency", "created_at"),
    (("channel", "in_person"), ("had", ""), ("note", "")),
)
GIVEN = ("Anna", "Luca", "Mette", "Giulia", "João", "Sofie", "Marco", "Inês", "Lars", "Chiara")
FAMILY = ("Rossi", "Jensen", "Silva", "Bianchi", "Nielsen", "Santos", "Ferrari", "Hansen")


def _customer_rows(
    sim: Simulated, location_ids: list[int], postgres: bool
) -> Iterator[list[tuple[Any, ...]]]:
    n = sim.created.size
    past = sim.at <= sim.now
    who = sim.customer[past] - 1
    visits = np.bincount(who, minlength=n)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    np.minimum.at(first, who, sim.at[past])
    np.maximum.at(last, who, sim.at[past])
    places = np.array(location_ids, dtype=np.int64)
    rng = np.random.default_rng(7)
    given = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)].tolist()
    family = np.array(FAMILY)[rng.integers(0, len(FAMILY), n)].tolist()
    language = np.array(["it", "da", "pt"])[sim.home].tolist()
    null = "\\N" if postgres else None  # COPY's text for NULL
    for lo in range(0, n, ROWS_PER_BATCH):
        hi = min(lo + ROWS_PER_BATCH, n)
        ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
        created = instants(sim.created[lo:hi], postgres)
        seen = (visits[lo:hi] > 0).tolist()
        firsts = instants(np.where(visits[lo:hi] > 0, first[lo:hi], 0), postgres)
        lasts = instants(np.maximum(last[lo:hi], 0), postgres)
        yield list(
            zip(
                ids.tolist(),
                public_ids(ids, "c"),
                given[lo:hi],
                family[lo:hi],
                language[lo:hi],
                places[sim.home[lo:hi]].tolist(),
                created,
                created,
                visits[lo:hi].tolist(),
                [f if s else null for f, s in zip(firsts, seen, strict=True)],
                [t if s else null for t, s in zip(lasts, seen, strict=True)],
                strict=True,
            )
        )


def _visit_rows(
    sim: Simulated, location_ids: list[int], postgres: bool
) -> Iterator[list[tuple[Any, ...]]]:
    places = np.array(location_ids, dtype=np.int64)
    n = sim.at.size
    for lo in range(0, n, ROWS_PER_BATCH):
        hi = min(lo + ROWS_PER_BATCH, n)
        ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
        at = instants(sim.at[lo:hi], postgres)
        cents = sim.cents[lo:hi]
        missing = cents == NO_AMOUNT
        amounts: list[Any] = (
            [f"{c / 100:.2f}" for c in cents.tolist()] if postgres else (cents / 100).tolist()
        )
        currency = [CURRENCY] * (hi - lo)
        null = "\\N" if postgres else None  # COPY's text for NULL
        for i in np.flatnonzero(missing).tolist():
            amounts[i] = null
            currency[i] = ""
        yield list(
            zip(
                ids.tolist(),
                public_ids(ids, "v"),
                sim.customer[lo:hi].tolist(),
                places[sim.location[lo:hi]].tolist(),
                at,
                amounts,
                currency,
                at,
                strict=True,
            )
        )


class SqliteLoader:
    """Rows into a SQLite file on a connection of its own (journal off while loading)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-524288",
            "threads=2",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.dropped: list[str] = []

    def drop_indexes(self, tables: tuple[str, ...]) -> None:
        marks = ", ".join("?" * len(tables))
        rows = self.db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
            tables,
        ).fetchall()
        for name, sql in rows:
            self.db.execute(f'DROP INDEX "{name}"')
            self.dropped.append(sql)

    def write(self, table: Table, batches: Iterator[list[tuple[Any, ...]]]) -> None:
        names = ", ".join([*table.columns, *(c for c, _v in table.constants)])
        values = ", ".join(["?"] * len(table.columns) + [f"'{v}'" for _c, v in table.constants])
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({values})"  # noqa: S608
        for rows in batches:
            self.db.execute("BEGIN")
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")

    def finish(self) -> None:
        for sql in self.dropped:
            self.db.execute(sql)
        self.db.execute("PRAGMA analysis_limit=2000")
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.close()


class PostgresLoader:
    """Rows into PostgreSQL with COPY, on Django's connection."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.dropped: list[tuple[str, str, str, str]] = []
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")

    def drop_indexes(self, tables: tuple[str, ...]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, 'constraint', "
                "pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype IN ('f', 'u') AND conrelid::regclass::text = ANY(%s) "
                "ORDER BY contype",
                [list(tables)],
            )
            self.dropped += cursor.fetchall()
            cursor.execute(
                "SELECT i.indrelid::regclass::text, c.relname, 'index', "
                "pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
                "AND k.contype IN ('p', 'u', 'x'))",
                [list(tables)],
            )
            self.dropped += cursor.fetchall()
            for table, name, kind, _definition in self.dropped:
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                else:
                    cursor.execute(f'DROP INDEX "{name}"')

    def write(self, table: Table, batches: Iterator[list[tuple[Any, ...]]]) -> None:
        from django.db import transaction

        names = ", ".join([*table.columns, *(c for c, _v in table.constants)])
        line = "\t".join(["%s"] * len(table.columns) + [v for _c, v in table.constants]) + "\n"
        sql = f"COPY {table.name} ({names}) FROM STDIN"
        for rows in batches:  # NULLs come as COPY's \N already
            text = "".join(map(line.__mod__, rows))
            with (
                transaction.atomic(),
                self.connection.cursor() as cursor,
                cursor.cursor.copy(sql) as copy,
            ):
                copy.write(text)

    def finish(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _table, _name, kind, definition in self.dropped:
                if kind == "index":
                    cursor.execute(definition)
            for table, name, kind, definition in reversed(self.dropped):
                if kind == "constraint":
                    cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute("VACUUM (ANALYZE)")


# --- building --------------------------------------------------------------------------------


def _locations() -> list[int]:
    from regulars.accounts.models import Location
    from regulars.accounts.services import create_location

    ids = []
    for name, tz, country, _share in LOCATIONS:
        found = Location.objects.filter(name=name).first()
        found = found or create_location(
            name=name, timezone_name=tz, currency=CURRENCY, country=country
        )
        ids.append(found.pk)
    return ids


def _complaints(sim: Simulated, location_ids: list[int], count: int, seed: int) -> None:
    """``count`` customers with a visit get an open complaint at their home location."""
    from datetime import timedelta

    from regulars.accounts.models import Location
    from regulars.customers.models import Customer
    from regulars.service.tickets import open_ticket_by_rule

    rng = np.random.default_rng([seed, 9])
    seen = np.unique(sim.customer[sim.at <= sim.now])
    chosen = np.sort(rng.choice(seen, size=min(count, seen.size), replace=False)).tolist()
    places = {loc.pk: loc for loc in Location.objects.filter(pk__in=location_ids)}
    now = datetime.fromtimestamp(sim.now, UTC)
    for customer in Customer.objects.filter(pk__in=chosen).order_by("pk"):
        open_ticket_by_rule(
            location=places[location_ids[int(sim.home[customer.pk - 1])]],
            customer=customer,
            kind="complaint",
            subject="Waited 40 minutes",
            at=now - timedelta(days=int(rng.integers(0, 20)), hours=int(rng.integers(1, 12))),
        )


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from regulars.customers.models import Customer
    from regulars.service.models import Visit

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Customer, Visit]):
            cursor.execute(statement)


@dataclass(frozen=True)
class Built:
    now: datetime
    counts: dict[str, int]
    seconds: dict[str, float]


def build(sizes: Sizes, seed: int, *, key: str, now: datetime, sqlite_path: Path | None) -> Built:
    """Simulate the business into the configured, migrated, empty database (Django set
    up); ``sqlite_path`` is its file when it is SQLite."""
    from django.db import connection

    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        seconds[name] = round(time.perf_counter() - started, 1)
        progress(f"  {name}: {seconds[name]} s")
        return result

    postgres = connection.vendor == "postgresql"
    moment = int(now.timestamp())
    sim: Simulated = step("simulate", lambda: simulate(sizes, seed, moment))
    location_ids = _locations()
    loader: SqliteLoader | PostgresLoader
    if postgres:
        loader = PostgresLoader()
    else:
        if sqlite_path is None:
            raise ValueError("a SQLite build needs the database file's path")
        connection.close()
        loader = SqliteLoader(sqlite_path)
    loader.drop_indexes((CUSTOMER.name, VISIT.name))
    step("customers", lambda: loader.write(CUSTOMER, _customer_rows(sim, location_ids, postgres)))
    step("visits", lambda: loader.write(VISIT, _visit_rows(sim, location_ids, postgres)))
    step("indexes and statistics", loader.finish)
    _reset_sequences()
    step("complaints", lambda: _complaints(sim, location_ids, sizes.complaints, seed))
    counts = {
        "customers": int(sim.created.size),
        "visits": int(sim.at.size),
        "future_visits": sim.future,
        "copied_rows": sim.duplicates,
        "duplicate_visits": sim.repeated_instants(),
        "customers_with_visits": sim.customers_with_past_visits(),
        "missing_amounts": int((sim.cents == NO_AMOUNT).sum()),
        "single_visit_customers": int((np.bincount(sim.customer[sim.at <= sim.now]) == 1).sum()),
        "complaints": sizes.complaints,
    }
    write_meta(key=key, now=now, counts=counts, seconds=seconds)
    return Built(now=now, counts=counts, seconds=seconds)


def write_meta(
    *, key: str, now: datetime, counts: dict[str, int], seconds: dict[str, float]
) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name VARCHAR(20) PRIMARY KEY, value TEXT)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE}")  # noqa: S608 - our own table name
        values = {
            "key": key,
            "now": now.isoformat(),
            "counts": json.dumps(counts),
            "build_s": json.dumps(seconds),
        }
        for name, value in values.items():
            cursor.execute(
                f"INSERT INTO {META_TABLE} (name, value) VALUES (%s, %s)",  # noqa: S608
                [name, value],
            )


def read_meta() -> dict[str, str]:
    """The meta table of the configured database; empty when there is none."""
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT name, value FROM {META_TABLE}")  # noqa: S608
            return {name: value for name, value in cursor.fetchall()}
    except DatabaseError:
        return {}


def sqlite_meta(path: Path) -> dict[str, str]:
    """The meta table of a SQLite file, read without Django."""
    if not path.exists():
        return {}
    try:
        with closing(sqlite3.connect(path)) as db:
            return dict(db.execute(f"SELECT name, value FROM {META_TABLE}").fetchall())  # noqa: S608
    except sqlite3.Error:
        return {}


def build_now() -> datetime:
    """The build's ``now``: this hour, in UTC."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
