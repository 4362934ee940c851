"""The business ``bench.outreach`` plans a day for: customers with everything the
planner reads, drawn with numpy from a seed (no database here; ``_outreach_data``
loads it).

Three locations in three countries (Bologna, Copenhagen, Madrid; 5 % of the customers
have none), given names from the demo's name lists of each country (so the calendars'
name days apply), 5 % with a name day of their own, 60 % with a birthday, 12 % with a
household member and 8 % with a pet (most with birthdays), 3 % with a custom date. An
e-mail for 85 %, a mobile for 75 % (10 % also a landline), a postal address for 40 %;
consent for e-mail, text, post and calls on part of them, some withdrawn, 1 %
unsubscribed from everything; bounced addresses. A done loyalty snapshot places every
customer with a visit in a stage (a third lapsed, a tenth at risk). The last 30 days
hold what a business running the plays would have: for most customers in a check-in
or win-back spell that began before yesterday, the spell's message already (sent,
held or kept as holdout); other messages, survey e-mails and follow-up calls that use
part of the budget; open complaints and recoveries; yesterday's visits (thank-you
milestones) and first visits two days ago (welcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np

from regulars.demo.names import DANISH, ITALIAN, SPANISH

IntArray = np.ndarray
NOW = datetime(2026, 3, 2, 5, 30, tzinfo=UTC)  # 06:30 in Bologna: after the plan hour
DAY = date(2026, 3, 2)
DAY_START = int(datetime(2026, 3, 1, 23, 0, tzinfo=UTC).timestamp())  # local midnight
DAY_S = 86_400
LOCATIONS = (  # name, zone, country, language, share of the customers
    ("Bologna", "Europe/Rome", "IT", "it", 0.45),
    ("Copenhagen", "Europe/Copenhagen", "DK", "da", 0.30),
    ("Madrid", "Europe/Madrid", "ES", "es", 0.20),
)
CULTURES = (ITALIAN, DANISH, SPANISH)
# Stage codes of loyalty.Stage and their shares among customers with a visit.
STAGES = ((0, 0.08), (1, 0.12), (2, 0.32), (3, 0.10), (4, 0.33), (5, 0.003), (6, 0.047))
AT_RISK, LAPSED, DISSATISFIED = 3, 4, 5


@dataclass(frozen=True)
class Sizes:
    customers: int
    label: str


FULL = Sizes(1_000_000, "1m")
QUICK = Sizes(20_000, "20k")


@dataclass
class Customers:
    home: IntArray  # location index, -1 none
    given: list[str]
    family: list[str]
    language: list[str]
    has_email: IntArray
    has_post: IntArray
    birth: IntArray  # (n, 3): month, day, year (0 unknown)
    nameday: IntArray  # (n, 2): own choice, 0 none
    gifts: list[str]
    visits: IntArray
    first_at: IntArray  # epoch seconds, -1 never
    last_at: IntArray
    created: IntArray


@dataclass
class Simulated:
    n: int
    customers: Customers
    phones: tuple[IntArray, IntArray]  # customer index, is_mobile
    consents: tuple[IntArray, IntArray, IntArray, IntArray]  # customer, channel, granted, at
    household: tuple[IntArray, IntArray]  # customer, birth (m, d, y) rows
    pets: tuple[IntArray, IntArray]
    custom: tuple[IntArray, IntArray]
    stage: IntArray  # -1 none
    stage_since: IntArray
    history: tuple[IntArray, IntArray, IntArray]  # customer, day offset (1..29), status
    spell_history: tuple[IntArray, IntArray, IntArray]  # customer, day offset, status
    surveys: tuple[IntArray, IntArray, IntArray]  # customer, at, failed
    calls: tuple[IntArray, IntArray]  # customer, at
    complaints: IntArray
    recoveries: IntArray
    bounced_email: IntArray
    bounced_mobile: IntArray
    yesterday_visits: tuple[IntArray, IntArray]  # customer, at


def _dates(rng: np.random.Generator, n: int) -> IntArray:
    """(n, 2) random month and day over a leap year (29 February included)."""
    doy = rng.integers(0, 366, n)
    first = np.datetime64("2024-01-01")
    days = (first + doy.astype("timedelta64[D]")).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    return np.stack([months, dom], axis=1)


def _names(rng: np.random.Generator, home: IntArray) -> tuple[list[str], list[str], list[str]]:
    culture = np.where(home < 0, 0, home)
    female = rng.random(home.size) < 0.5
    given = np.empty(home.size, dtype=object)
    family = np.empty(home.size, dtype=object)
    language = np.empty(home.size, dtype=object)
    for i, c in enumerate(CULTURES):
        for sex, pool in ((True, c.female), (False, c.male)):
            mine = np.flatnonzero((culture == i) & (female == sex))
            given[mine] = np.array([g for g, _short, _day in pool], dtype=object)[
                rng.integers(0, len(pool), mine.size)
            ]
        mine = np.flatnonzero(culture == i)
        pairs = np.array(c.family, dtype=object)
        picked = pairs[rng.integers(0, len(pairs), mine.size)]
        family[mine] = np.where(female[mine], picked[:, 1], picked[:, 0])
        language[mine] = c.code
    return given.tolist(), family.tolist(), language.tolist()


def _customers(rng: np.random.Generator, n: int) -> Customers:
    shares = np.array([s for *_rest, s in LOCATIONS] + [0.05])
    home = rng.choice(np.arange(-1, len(LOCATIONS)), size=n, p=np.roll(shares, 1))
    given, family, language = _names(rng, home)
    birth = np.zeros((n, 3), dtype=np.int64)
    known = rng.random(n) < 0.6
    birth[known, :2] = _dates(rng, int(known.sum()))
    with_year = known & (rng.random(n) < 0.5)
    birth[with_year, 2] = rng.integers(1940, 2006, int(with_year.sum()))
    feb29 = (birth[:, 0] == 2) & (birth[:, 1] == 29) & (birth[:, 2] % 4 != 0)
    birth[feb29, 2] = 1996
    nameday = np.zeros((n, 2), dtype=np.int64)
    own = rng.random(n) < 0.05
    nameday[own] = _dates(rng, int(own.sum()))
    gifts = np.array(["", "no_gifts", "words"], dtype=object)[
        rng.choice(3, size=n, p=[0.90, 0.06, 0.04])
    ].tolist()
    now = int(NOW.timestamp())
    visits = 1 + rng.negative_binomial(1, 0.12, n)
    never = rng.random(n) < 0.05
    visits[never] = 0
    first = now - rng.integers(3 * DAY_S, 3 * 365 * DAY_S, n)
    last = first + ((now - 3600 - first) * rng.random(n) ** 0.5).astype(np.int64)
    # Welcome: a first visit two days before the day.
    new = ~never & (rng.random(n) < 0.0015)
    first[new] = DAY_START - 2 * DAY_S + rng.integers(8 * 3600, 20 * 3600, int(new.sum()))
    last[new], visits[new] = first[new], 1
    # Thank-you: yesterday's visitors, some of them crossing a milestone.
    recent = ~never & ~new & (rng.random(n) < 0.015)
    last[recent] = DAY_START - DAY_S + rng.integers(8 * 3600, 20 * 3600, int(recent.sum()))
    crossing = recent & (rng.random(n) < 0.1)
    visits[crossing] = rng.choice([10, 25, 50, 100], size=int(crossing.sum()))
    first[never], last[never] = -1, -1
    created = np.where(never, now - rng.integers(DAY_S, 365 * DAY_S, n), first)
    return Customers(
        home=home,
        given=given,
        family=family,
        language=language,
        has_email=rng.random(n) < 0.85,
        has_post=rng.random(n) < 0.40,
        birth=birth,
        nameday=nameday,
        gifts=gifts,
        visits=visits,
        first_at=first,
        last_at=last,
        created=created,
    )


def _consents(
    rng: np.random.Generator, c: Customers, mobile: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    n = c.home.size
    now = int(NOW.timestamp())
    who, channel, granted, at = [], [], [], []
    # channel index in ConsentChannel order: email, sms, post, phone.
    for ch, base, share in ((0, c.has_email, 0.65), (1, mobile, 0.45), (2, c.has_post, 0.25)):
        yes = np.flatnonzero(base & (rng.random(n) < share))
        who.append(yes), channel.append(np.full(yes.size, ch)), granted.append(np.ones(yes.size))
        at.append(now - rng.integers(40 * DAY_S, 700 * DAY_S, yes.size))
        withdrawn = yes[rng.random(yes.size) < 0.05]
        who.append(withdrawn), channel.append(np.full(withdrawn.size, ch))
        granted.append(np.zeros(withdrawn.size))
        at.append(now - rng.integers(DAY_S, 30 * DAY_S, withdrawn.size))
    phone = np.flatnonzero(mobile & (rng.random(n) < 0.2))
    who.append(phone), channel.append(np.full(phone.size, 3)), granted.append(np.ones(phone.size))
    at.append(now - rng.integers(40 * DAY_S, 700 * DAY_S, phone.size))
    gone = np.flatnonzero(rng.random(n) < 0.01)  # unsubscribed from everything
    for ch in range(4):
        (
            who.append(gone),
            channel.append(np.full(gone.size, ch)),
            granted.append(np.zeros(gone.size)),
        )
        at.append(np.full(gone.size, now - 5 * DAY_S))
    return tuple(np.concatenate(x).astype(np.int64) for x in (who, channel, granted, at))  # type: ignore[return-value]


def _companions(
    rng: np.random.Generator, n: int, share: float, known: float
) -> tuple[IntArray, IntArray]:
    owners = np.flatnonzero(rng.random(n) < share)
    owners = np.concatenate([owners, owners[rng.random(owners.size) < 0.3]])
    birth = np.zeros((owners.size, 3), dtype=np.int64)
    dated = rng.random(owners.size) < known
    birth[dated, :2] = _dates(rng, int(dated.sum()))
    year = dated & (rng.random(owners.size) < 0.6)
    birth[year, 2] = rng.integers(1950, 2025, int(year.sum()))
    feb29 = (birth[:, 0] == 2) & (birth[:, 1] == 29) & (birth[:, 2] % 4 != 0)
    birth[feb29, 2] = 2020
    return np.sort(owners), birth[np.argsort(owners, kind="stable")]


def simulate(sizes: Sizes, seed: int) -> Simulated:
    rng = np.random.default_rng([seed, sizes.customers])
    n = sizes.customers
    c = _customers(rng, n)
    mobile = rng.random(n) < 0.75
    landline = mobile & (rng.random(n) < 0.10)
    phone_owner = np.concatenate([np.flatnonzero(mobile), np.flatnonzero(landline)])
    is_mobile = np.concatenate([np.ones(int(mobile.sum())), np.zeros(int(landline.sum()))])
    seen = c.visits > 0
    stage = np.where(seen, rng.choice([s for s, _p in STAGES], n, p=_shares()), -1)
    now = int(NOW.timestamp())
    since = now - rng.integers(3600, 300 * DAY_S, n)
    # Spells that began before yesterday mostly had their message already.
    spell = np.isin(stage, [AT_RISK, LAPSED]) & (since < DAY_START - DAY_S)
    had = np.flatnonzero(spell & (rng.random(n) < 0.92))
    spell_day = np.minimum((DAY_START - since[had]) // DAY_S, 60)
    spell_day = 1 + (rng.random(had.size) * spell_day).astype(np.int64)
    spell_status = rng.choice(3, size=had.size, p=[0.75, 0.15, 0.10])  # sent, held, holdout
    # Other touches of the last 30 days (greetings, offers): up to two per customer.
    once = np.flatnonzero(rng.random(n) < 0.22)
    twice = once[rng.random(once.size) < 0.3]
    history = np.concatenate([once, twice])
    surveyed = np.flatnonzero(c.has_email & (rng.random(n) < 0.03))
    called = np.flatnonzero(rng.random(n) < 0.003)
    yesterday = np.flatnonzero(c.last_at >= DAY_START - DAY_S)
    repeat = yesterday[rng.random(yesterday.size) < 0.2]
    visitors = np.concatenate([yesterday, repeat])
    return Simulated(
        n=n,
        customers=c,
        phones=(phone_owner, is_mobile.astype(bool)),
        consents=_consents(rng, c, mobile),
        household=_companions(rng, n, 0.12, 0.8),
        pets=_companions(rng, n, 0.08, 0.7),
        custom=_companions(rng, n, 0.03, 1.0),
        stage=stage,
        stage_since=since,
        history=(history, rng.integers(1, 30, history.size), np.zeros(history.size, np.int64)),
        spell_history=(had, spell_day, spell_status),
        surveys=(
            surveyed,
            now - rng.integers(3600, 29 * DAY_S, surveyed.size),
            (rng.random(surveyed.size) < 0.1).astype(np.int64),
        ),
        calls=(called, now - rng.integers(3600, 29 * DAY_S, called.size)),
        complaints=np.flatnonzero(seen & (rng.random(n) < 0.001)),
        recoveries=np.flatnonzero(seen & (rng.random(n) < 0.0005)),
        bounced_email=np.flatnonzero(c.has_email & (rng.random(n) < 0.005)),
        bounced_mobile=np.flatnonzero(mobile & (rng.random(n) < 0.002)),
        yesterday_visits=(
            visitors,
            np.maximum(
                c.last_at[visitors] - rng.integers(0, 3 * 3600, visitors.size), DAY_START - DAY_S
            ),
        ),
    )


def _shares() -> IntArray:
    p = np.array([p for _s, p in STAGES])
    return p / p.sum()
