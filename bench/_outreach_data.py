"""Loading ``bench._outreach_sim``'s business into SQLite or PostgreSQL and keeping it
between runs (the loaders, meta table and cache key of ``bench._snapshot_data``).

Locations, the approved plays, the loyalty snapshot row, and the few hundred to few
thousand open complaints, recoveries and follow-up calls go through the ORM; customers,
phones, consents, household members, pets, custom dates, standings, messages, survey
invitations, bounces and yesterday's visits straight into the migrated tables (indexes
dropped while loading, built again at the end).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench._outreach_sim import DAY, LOCATIONS, NOW, Simulated, Sizes, simulate
from bench._snapshot_data import (
    VISIT,
    PostgresLoader,
    SqliteLoader,
    Table,
    code_digest,
    instants,
    progress,
    public_ids,
    write_meta,
)

VERSION = 1
ROWS_PER_BATCH = 200_000
FACT = (("source", "staff"),)


def build_key(sizes: Sizes, seed: int) -> str:
    """Sizes, seed and the code of the simulation, this loader and the plays' set-up."""
    digest = hashlib.sha256(f"{VERSION}|{sorted(asdict(sizes).items())}|{seed}".encode())
    here = Path(__file__).parent
    for name in ("_outreach_sim.py", "_outreach_data.py"):
        digest.update(code_digest((here / name).read_text("utf-8")))
    return digest.hexdigest()[:16]


def _t(names: str, table: str, constants: Sequence[tuple[str, str]] = ()) -> Table:
    return Table(table, tuple(names.split()), tuple(constants))


CUSTOMER = _t(
    "id public_id given_name family_name language email postal_address birth_month birth_day "
    "birth_year nameday_month nameday_day home_location_id gifts created_at updated_at "
    "visit_count first_visit_at last_visit_at",
    "customers_customer",
    [
        ("kind", "person"),
        ("patronymic", ""),
        ("preferred_name", ""),
        ("organisation_name", ""),
        ("title", ""),
        ("address_form", "formal"),
        ("how_met", ""),
        ("notes", ""),
        ("external_ref", ""),
        ("provenance", "{}"),
    ],
)
PHONE = _t("customer_id number label entered_at", "customers_phone", FACT)
CONSENT = _t(
    "customer_id channel granted at",
    "customers_consent",
    [("method", "at the counter"), ("proof", ""), ("source", "offered")],
)
HOUSEHOLD = _t(
    "customer_id name relation birth_month birth_day birth_year entered_at",
    "customers_householdmember",
    FACT,
)
PET = _t("customer_id name kind birth_month birth_day birth_year entered_at", "customers_pet", FACT)
CUSTOM = _t("customer_id label month day year entered_at", "customers_customoccasion", FACT)
STANDING = _t(
    "snapshot_id customer_id location_id stage stage_since first_visit_at last_visit_at",
    "loyalty_standing",
    [
        ("visits", "0"),
        ("visit_days", "0"),
        ("weekdays", "0"),
        ("overdue", "0"),
        ("overdue_ratio", "0"),
        ("value_at_risk", "0"),
        ("risk_score", "0"),
        ("currency", ""),
        ("rfm", "0"),
    ],
)
MESSAGE = _t(
    "id public_id key play_id customer_id location_id day channel status reason sent_at created_at",
    "outreach_message",
    [
        ("occasion", ""),
        ("occasion_name", ""),
        ("with_voucher", "0"),
        ("language", ""),
        ("reason_params", "{}"),
        ("attempts", "0"),
        ("address", ""),
        ("subject", ""),
        ("body", ""),
        ("error", ""),
        ("provider_ref", ""),
        ("outcome", ""),
    ],
)
INVITATION = _t(
    "public_id nonce short_code survey_id customer_id location_id channel status event_key "
    "created_at expires_at",
    "feedback_invitation",
    [("trigger", "visit"), ("language", "it"), ("draft", "{}"), ("error", "")],
)
BOUNCE = _t("customer_id channel address at", "outreach_bounce", [("reason", "bench")])
TABLES = (CUSTOMER, PHONE, CONSENT, HOUSEHOLD, PET, CUSTOM, STANDING, MESSAGE, INVITATION, BOUNCE)


class Cells:
    """Values as each loader takes them: None is COPY's \\N on PostgreSQL."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.null: Any = "\\N" if postgres else None

    def at(self, seconds: np.ndarray) -> list[Any]:
        text = instants(np.maximum(seconds, 0), self.postgres)
        return [t if s >= 0 else self.null for t, s in zip(text, seconds.tolist(), strict=True)]

    def opt(self, values: np.ndarray) -> list[Any]:
        """Integers, 0 as NULL."""
        return [v if v else self.null for v in values.tolist()]


def _batches(
    n: int, row: Callable[[int, int], list[tuple[Any, ...]]]
) -> Iterator[list[tuple[Any, ...]]]:
    for lo in range(0, n, ROWS_PER_BATCH):
        yield row(lo, min(lo + ROWS_PER_BATCH, n))


@dataclass(frozen=True)
class Ids:
    locations: list[int]
    plays: dict[str, Any]  # name → Play
    snapshot: int
    survey: int


def _customer_rows(sim: Simulated, ids: Ids, cells: Cells) -> Iterator[list[tuple[Any, ...]]]:
    c = sim.customers
    places = np.array([*ids.locations, 0], dtype=np.int64)

    def rows(lo: int, hi: int) -> list[tuple[Any, ...]]:
        pk = np.arange(lo + 1, hi + 1, dtype=np.int64)
        emails = [
            f"c{p}@example.com" if e else ""
            for p, e in zip(pk.tolist(), c.has_email[lo:hi].tolist(), strict=True)
        ]
        post = [
            f"Via Roma {p}, 40100" if h else ""
            for p, h in zip(pk.tolist(), c.has_post[lo:hi].tolist(), strict=True)
        ]
        created = cells.at(c.created[lo:hi])
        return list(
            zip(
                pk.tolist(),
                public_ids(pk, "c"),
                c.given[lo:hi],
                c.family[lo:hi],
                c.language[lo:hi],
                emails,
                post,
                cells.opt(c.birth[lo:hi, 0]),
                cells.opt(c.birth[lo:hi, 1]),
                cells.opt(c.birth[lo:hi, 2]),
                cells.opt(c.nameday[lo:hi, 0]),
                cells.opt(c.nameday[lo:hi, 1]),
                cells.opt(places[c.home[lo:hi]]),
                c.gifts[lo:hi],
                created,
                created,
                c.visits[lo:hi].tolist(),
                cells.at(c.first_at[lo:hi]),
                cells.at(c.last_at[lo:hi]),
                strict=True,
            )
        )

    return _batches(sim.n, rows)


def _simple(columns: Sequence[Sequence[Any]]) -> Iterator[list[tuple[Any, ...]]]:
    rows = list(zip(*columns, strict=True))
    for lo in range(0, len(rows), ROWS_PER_BATCH):
        yield rows[lo : lo + ROWS_PER_BATCH]


def _companion_rows(
    owners: np.ndarray, birth: np.ndarray, cells: Cells, names: Sequence[str], detail: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    pick = np.arange(owners.size)
    entered = cells.at(np.full(owners.size, int(NOW.timestamp()) - 200 * 86_400))
    return _simple(
        [
            (owners + 1).tolist(),
            [names[i % len(names)] for i in pick.tolist()],
            [detail[i % len(detail)] for i in pick.tolist()],
            cells.opt(birth[:, 0]),
            cells.opt(birth[:, 1]),
            cells.opt(birth[:, 2]),
            entered,
        ]
    )


def _message_rows(sim: Simulated, ids: Ids, cells: Cells) -> Iterator[list[tuple[Any, ...]]]:
    """The last 30 days' other messages, then the spell messages already planned."""
    from regulars.outreach.audiences import spell_key

    places = np.array([*ids.locations, ids.locations[0]], dtype=np.int64)
    who, offset, status = sim.history
    spell_who, spell_offset, spell_status = sim.spell_history
    birthday, checkin, winback = ids.plays["Birthday"], ids.plays["Check-in"], ids.plays["Win-back"]
    names = ("sent", "held", "holdout")
    keys = [f"bench:{i}:{c}" for i, c in enumerate(who.tolist())]
    plays = [birthday.pk] * who.size
    stage = sim.stage[spell_who]
    for c, since, st in zip(
        spell_who.tolist(), sim.stage_since[spell_who].tolist(), stage.tolist(), strict=True
    ):
        play = checkin if st == 3 else winback
        keys.append(spell_key(play, c + 1, datetime.fromtimestamp(since, UTC)))
        plays.append(play.pk)
    customers = np.concatenate([who, spell_who])
    days_ago = np.concatenate([offset, spell_offset])
    statuses = np.concatenate([status, spell_status])
    pk = np.arange(1, customers.size + 1, dtype=np.int64)
    day = [(DAY - timedelta(days=d)).isoformat() for d in days_ago.tolist()]
    created = int(NOW.timestamp()) - days_ago * 86_400 - 12 * 3600
    sent = np.where(statuses == 0, created + 4 * 3600, -1)
    return _simple(
        [
            pk.tolist(),
            public_ids(pk, "m"),
            keys,
            plays,
            (customers + 1).tolist(),
            places[sim.customers.home[customers]].tolist(),
            day,
            ["email"] * customers.size,
            [names[s] for s in statuses.tolist()],
            ["budget" if s == 1 else "" for s in statuses.tolist()],
            cells.at(sent),
            cells.at(created),
        ]
    )


def _load(
    sim: Simulated,
    ids: Ids,
    loader: SqliteLoader | PostgresLoader,
    postgres: bool,
    step: Callable[[str, Callable[[], Any]], Any],
) -> None:
    cells = Cells(postgres)
    c = sim.customers
    places = np.array([*ids.locations, ids.locations[0]], dtype=np.int64)
    now = int(NOW.timestamp())
    loader.drop_indexes(tuple(t.name for t in TABLES) + (VISIT.name,))
    step("customers", lambda: loader.write(CUSTOMER, _customer_rows(sim, ids, cells)))
    owner, mobile = sim.phones
    step(
        "phones",
        lambda: loader.write(
            PHONE,
            _simple(
                [
                    (owner + 1).tolist(),
                    [
                        f"+39{'33' if m else '051'}{o + 1:08d}"
                        for o, m in zip(owner.tolist(), mobile.tolist(), strict=True)
                    ],
                    ["mobile" if m else "home" for m in mobile.tolist()],
                    cells.at(np.full(owner.size, now - 300 * 86_400)),
                ]
            ),
        ),
    )
    who, channel, granted, at = sim.consents
    order = np.lexsort((at, channel, who))
    channels = np.array(["email", "sms", "post", "phone"])
    step(
        "consents",
        lambda: loader.write(
            CONSENT,
            _simple(
                [
                    (who[order] + 1).tolist(),
                    channels[channel[order]].tolist(),
                    [("t" if g else "f") if postgres else int(g) for g in granted[order].tolist()],
                    cells.at(at[order]),
                ]
            ),
        ),
    )
    step(
        "household",
        lambda: loader.write(
            HOUSEHOLD,
            _companion_rows(
                *sim.household,
                cells,
                ("Marta", "Luca", "Sofie", "Pablo"),
                ("child", "partner", "parent", "other"),
            ),
        ),
    )
    step(
        "pets",
        lambda: loader.write(
            PET, _companion_rows(*sim.pets, cells, ("Birba", "Fido", "Molly"), ("dog", "cat"))
        ),
    )
    step("custom", lambda: loader.write(CUSTOM, _custom_rows(sim, cells)))
    seen = np.flatnonzero(sim.stage >= 0)
    step(
        "standings",
        lambda: loader.write(
            STANDING,
            _simple(
                [
                    [ids.snapshot] * seen.size,
                    (seen + 1).tolist(),
                    cells.opt(places[c.home[seen]] * (c.home[seen] >= 0)),
                    sim.stage[seen].tolist(),
                    cells.at(sim.stage_since[seen]),
                    cells.at(c.first_at[seen]),
                    cells.at(c.last_at[seen]),
                ]
            ),
        ),
    )
    step("messages", lambda: loader.write(MESSAGE, _message_rows(sim, ids, cells)))
    s_who, s_at, s_failed = sim.surveys
    numbers = np.arange(1, s_who.size + 1, dtype=np.int64)
    step(
        "survey invitations",
        lambda: loader.write(
            INVITATION,
            _simple(
                [
                    public_ids(numbers, "i"),
                    [f"n{i}" for i in numbers.tolist()],
                    [f"B{i:010d}" for i in numbers.tolist()],
                    [ids.survey] * s_who.size,
                    (s_who + 1).tolist(),
                    places[c.home[s_who]].tolist(),
                    ["email"] * s_who.size,
                    ["failed" if f else "sent" for f in s_failed.tolist()],
                    [f"bench:{i}" for i in numbers.tolist()],
                    cells.at(s_at),
                    cells.at(s_at + 14 * 86_400),
                ]
            ),
        ),
    )
    bounced = np.concatenate([sim.bounced_email, sim.bounced_mobile])
    step(
        "bounces",
        lambda: loader.write(
            BOUNCE,
            _simple(
                [
                    (bounced + 1).tolist(),
                    ["email"] * sim.bounced_email.size + ["sms"] * sim.bounced_mobile.size,
                    [f"c{b + 1}@example.com" for b in sim.bounced_email.tolist()]
                    + [f"+3933{b + 1:08d}" for b in sim.bounced_mobile.tolist()],
                    cells.at(np.full(bounced.size, now - 10 * 86_400)),
                ]
            ),
        ),
    )
    v_who, v_at = sim.yesterday_visits
    v_pk = np.arange(1, v_who.size + 1, dtype=np.int64)
    step(
        "visits",
        lambda: loader.write(
            VISIT,
            _simple(
                [
                    v_pk.tolist(),
                    public_ids(v_pk, "v"),
                    (v_who + 1).tolist(),
                    places[c.home[v_who]].tolist(),
                    cells.at(v_at),
                    ["12.50"] * v_who.size,
                    ["EUR"] * v_who.size,
                    cells.at(v_at),
                ]
            ),
        ),
    )
    step("indexes and statistics", loader.finish)


def _custom_rows(sim: Simulated, cells: Cells) -> Iterator[list[tuple[Any, ...]]]:
    owners, birth = sim.custom
    keep = birth[:, 0] > 0
    return _simple(
        [
            (owners[keep] + 1).tolist(),
            ["Wedding anniversary"] * int(keep.sum()),
            birth[keep, 0].tolist(),
            birth[keep, 1].tolist(),
            cells.opt(birth[keep, 2]),
            cells.at(np.full(int(keep.sum()), int(NOW.timestamp()) - 200 * 86_400)),
        ]
    )


# --- through the ORM ---------------------------------------------------------------------------

# name: (kind, occasion, holdout %, params, arms as (channel, voucher kind, value, weight))
PLAYS: dict[str, tuple[str, str, int, dict[str, Any], tuple[tuple[str, str, str, int], ...]]] = {
    "Birthday": ("occasion", "birthday", 10, {}, (("auto", "percent", "10", 1),)),
    "Name day": ("occasion", "name_day", 0, {}, (("auto", "", "", 1),)),
    "Household birthday": ("occasion", "household_birthday", 0, {}, (("auto", "", "", 1),)),
    "Pet's birthday": ("occasion", "pet_birthday", 0, {}, (("auto", "", "", 1),)),
    "Custom date": ("occasion", "custom", 0, {}, (("auto", "", "", 1),)),
    "First visit": ("occasion", "first_visit", 0, {}, (("card", "", "", 1),)),
    "Welcome": ("welcome", "", 0, {"after_days": 2}, (("auto", "", "", 1),)),
    "Check-in": ("checkin", "", 20, {}, (("auto", "", "", 1), ("auto", "percent", "10", 1))),
    "Win-back": (
        "winback",
        "",
        10,
        {"min_days": 60},
        (("card", "", "", 1), ("auto", "amount", "5", 1)),
    ),
    "Recovery": ("recovery", "", 0, {}, (("call", "", "", 1),)),
    "Thank-you": ("thankyou", "", 0, {"milestones": [10, 25, 50, 100]}, (("auto", "item", "", 1),)),
}


def _setup_rows() -> Ids:
    from regulars.accounts.services import create_location
    from regulars.feedback.models import ChannelRule, Survey, Trigger
    from regulars.loyalty.models import RunStatus, Snapshot
    from regulars.outreach.models import Arm, Play, PlayStatus

    locations = [
        create_location(
            name=name, timezone_name=tz, currency="EUR", country=country, language=language
        ).pk
        for name, tz, country, language, _share in LOCATIONS
    ]
    plays = {}
    for name, (kind, occasion, holdout, params, arms) in PLAYS.items():
        play = Play.objects.create(
            name=name,
            kind=kind,
            occasion=occasion,
            params=params,
            holdout_percent=holdout,
            status=PlayStatus.APPROVED,
        )
        for label, (channel, voucher, value, weight) in zip("ABCD", arms, strict=False):
            Arm.objects.create(
                play=play,
                label=label,
                channel=channel,
                voucher_kind=voucher,
                voucher_value=value or None,
                voucher_text="a coffee" if voucher == "item" else "",
                weight=weight,
            )
        plays[name] = play
    as_of = NOW - timedelta(hours=3)
    snapshot = Snapshot.objects.create(
        day=DAY, as_of=as_of, status=RunStatus.DONE, finished_at=as_of, customers=0
    )
    survey = Survey.objects.create(
        name="After a visit", trigger=Trigger.VISIT, channel=ChannelRule.EMAIL_OR_RECEIPT
    )
    return Ids(locations=locations, plays=plays, snapshot=snapshot.pk, survey=survey.pk)


def _service_rows(sim: Simulated, ids: Ids) -> dict[str, int]:
    """Open complaints, follow-up calls made, recoveries under way."""
    from regulars.feedback.models import Invitation, Recovery, Response
    from regulars.service.models import FollowUp, Ticket

    places = np.array([*ids.locations, ids.locations[0]], dtype=np.int64)
    home = sim.customers.home

    def ticket(c: int, status: str) -> Any:
        return Ticket(
            kind="complaint",
            status=status,
            customer_id=c + 1,
            location_id=int(places[home[c]]),
            subject="Waited 40 minutes",
        )

    Ticket.objects.bulk_create(
        [ticket(c, "open") for c in sim.complaints.tolist()], batch_size=2000
    )
    who, at = sim.calls
    made = Ticket.objects.bulk_create(
        [ticket(c, "resolved") for c in who.tolist()], batch_size=2000
    )
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                ticket=t,
                customer_id=c + 1,
                location_id=t.location_id,
                due_on=datetime.fromtimestamp(a, UTC).date(),
                outcome="all_right",
                done_at=datetime.fromtimestamp(a, UTC),
            )
            for t, c, a in zip(made, who.tolist(), at.tolist(), strict=True)
        ],
        batch_size=2000,
    )
    when = NOW - timedelta(days=5)
    unhappy = sim.recoveries.tolist()
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                nonce="r",
                short_code=f"R{c:010d}",
                survey_id=ids.survey,
                customer_id=c + 1,
                location_id=int(places[home[c]]),
                trigger="visit",
                channel="receipt",
                language="it",
                event_key=f"recovery:{c}",
                status="answered",
                created_at=when,
                expires_at=when + timedelta(days=14),
            )
            for c in unhappy
        ]
    )
    responses = Response.objects.bulk_create(
        [
            Response(
                invitation=i,
                customer_id=i.customer_id,
                location_id=i.location_id,
                trigger="visit",
                channel="receipt",
                language="it",
                nps=2,
                detractor=True,
                submitted_at=when,
            )
            for i in invitations
        ]
    )
    Recovery.objects.bulk_create(
        [
            Recovery(
                response=r, customer_id=r.customer_id, location_id=r.location_id, opened_at=when
            )
            for r in responses
        ]
    )
    return {
        "complaints": int(sim.complaints.size),
        "calls": int(who.size),
        "recoveries": len(unhappy),
    }


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from regulars.customers.models import Customer
    from regulars.outreach.models import Message
    from regulars.service.models import Visit

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Customer, Message, Visit]):
            cursor.execute(statement)


def build(sizes: Sizes, seed: int, *, key: str, sqlite_path: Path | None) -> dict[str, Any]:
    """Simulate the business into the configured, migrated, empty database."""
    from django.db import connection

    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        seconds[name] = round(time.perf_counter() - started, 1)
        progress(f"  {name}: {seconds[name]} s")
        return result

    postgres = connection.vendor == "postgresql"
    sim: Simulated = step("simulate", lambda: simulate(sizes, seed))
    ids = _setup_rows()
    loader: SqliteLoader | PostgresLoader
    if postgres:
        loader = PostgresLoader()
    else:
        if sqlite_path is None:
            raise ValueError("a SQLite build needs the database file's path")
        connection.close()
        loader = SqliteLoader(sqlite_path)
    _load(sim, ids, loader, postgres, step)
    _reset_sequences()
    counts = step("complaints, calls, recoveries", lambda: _service_rows(sim, ids))
    counts.update(
        customers=sim.n,
        standings=int((sim.stage >= 0).sum()),
        messages=int(sim.history[0].size + sim.spell_history[0].size),
        survey_emails=int(sim.surveys[0].size),
        consents=int(sim.consents[0].size),
    )
    write_meta(key=key, now=NOW, counts=counts, seconds=seconds)
    return {"counts": counts, "seconds": seconds}
