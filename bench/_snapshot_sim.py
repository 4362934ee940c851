"""The business ``bench.snapshot`` measures, simulated with numpy (``simulate``; a
million customers and twenty million visits in about 20 s). ``bench._snapshot_data``
loads it.

Seeded: the same sizes, seed and ``now`` give the same rows on SQLite and PostgreSQL.
A kept database is drawn relative to the hour it was built in (``build_now``), so two
built in different hours differ a little (which visits fall on a Sunday or across a
change of summer time), not in their sizes.

Three locations in three zones (Bologna, Europe/Rome; København, Europe/Copenhagen;
Lisboa, Europe/Lisbon, an hour behind the other two), all priced in euros, with half,
30 % and 20 % of the customers at home there. Customers behave as BG/NBD assumes: each
has a visit rate drawn from a gamma distribution (shape ``RATE_SHAPE``: many occasional
customers, a few who come almost daily) and a chance of dropping out after each visit
drawn from a beta distribution (``DROPOUT_A``, ``DROPOUT_B``); the visits of a customer
who is still there are a Poisson process from their first visit to now, and a customer
who dropped out made only the first of those (the first ``m`` of ``k`` uniform order
statistics, drawn directly). 12 % were customers already when the records began (first
visit in the first 60 days), the others arrived over three years at a growing pace, and
3 % registered but never came. The rate scale is found by bisection so that the rows
come to the size asked for, then a few visits are added or taken away to hit it
exactly.

Each customer has a habitual time of day (morning, midday, afternoon or evening; 75 %
of their visits near it, the rest anywhere in opening hours 07:00–21:30 local) and comes
to their home location 85 % of the time; the shops are closed on Sundays (a visit drawn
on a Sunday moves to the Saturday or the Monday). Local times are placed with each
zone's real offsets, summer time included. Spend per visit is gamma-distributed around
each customer's own mean (lognormal around 14 EUR, as Gamma-Gamma assumes); 3 % of the
visits have no amount, 0.1 % an amount of zero, 0.05 % a negative one (a refund); 0.2 %
of the rows are exact copies (the same visit imported twice); a handful
(``FUTURE_VISITS`` at full size) are dated up to 45 days after ``now``. The visits come
out in time order (ids ascending with time), as a business accumulates them: a
customer's visits are scattered over the whole table, as they would be after three
years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

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

IntArray = npt.NDArray[np.int64]


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
