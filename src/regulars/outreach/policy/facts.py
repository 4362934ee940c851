"""What the contact-pressure rules read about a set of customers (``load_facts``), in a
fixed number of set queries whatever their number: their home location and zone, gift
preference and language; the latest consent per channel; whether each channel has an
address that has not bounced; open complaints and recoveries; and their touches in the
30 days up to the day (outreach messages, survey e-mails, follow-up calls), one grouped
query per source. One customer is read the same way (``policy.channel_allowed``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet
from django.db.models.expressions import RawSQL

from regulars.accounts.models import Location
from regulars.core.localtime import local_midnight_utc
from regulars.customers.models import (
    Consent,
    ConsentChannel,
    Customer,
    Gifts,
    Phone,
    PhoneLabel,
)
from regulars.feedback.models import RECOVERY_OPEN, Invitation, InvitationStatus, Recovery
from regulars.feedback.models import InviteChannel as SurveyChannel
from regulars.outreach.models import COUNTED, Bounce, Channel, Message, MessageStatus
from regulars.service.flow import ACTIVE, TicketKind
from regulars.service.models import FollowUp, Ticket

WINDOW_DAYS = 30
IN_CHUNK = 50_000
"""Customer ids per query (one parameter each: ``ids_in``)."""

# Columns of ``Facts.reach`` and the channel index every array speaks of.
CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.SMS, Channel.CARD, Channel.CALL)
EMAIL, SMS, CARD, CALL = range(4)
COLUMN = {name: i for i, name in enumerate(CHANNELS)}
# Columns of ``Facts.consent``; the consent each channel needs.
CONSENTS: tuple[str, ...] = tuple(ConsentChannel.values)
CONSENT_OF = np.array(
    [
        CONSENTS.index(c)
        for c in (
            ConsentChannel.EMAIL,
            ConsentChannel.SMS,
            ConsentChannel.POST,
            ConsentChannel.PHONE,
        )
    ],
    dtype=np.int8,
)
# What ``Facts.reach`` holds per channel.
NONE, BOUNCED, USABLE = 0, 1, 2
# ``Facts.gifts``.
GIFTS: dict[str, int] = {Gifts.WELCOME: 0, Gifts.NO_GIFTS: 1, Gifts.JUST_WORDS: 2}
WELCOME_GIFTS, NO_GIFTS, JUST_WORDS = 0, 1, 2
# Messages that take the customer's day (a holdout too); only ``COUNTED`` use the budget.
TAKES_THE_DAY = (*COUNTED, MessageStatus.HOLDOUT)


# --- Where customers live ------------------------------------------------------------


@dataclass(frozen=True)
class Zones:
    """Each location's zone and language; a customer without a home location is counted
    in the first location's zone (like the business day)."""

    names: tuple[str, ...]
    of_location: dict[int, int]
    language: dict[int, str]
    first_location: int | None

    @classmethod
    def load(cls) -> Zones:
        rows = list(Location.objects.order_by("pk").values_list("pk", "timezone", "language"))
        names = tuple(dict.fromkeys([tz for _pk, tz, _lang in rows] or [settings.TIME_ZONE]))
        return cls(
            names=names,
            of_location={pk: names.index(tz) for pk, tz, _lang in rows},
            language={pk: lang for pk, _tz, lang in rows},
            first_location=rows[0][0] if rows else None,
        )

    def index(self, locations: np.ndarray) -> np.ndarray:
        """The zone index of each home location id (0: none → the first location's)."""
        out = np.zeros(locations.size, dtype=np.int16)
        for pk, z in self.of_location.items():
            out[locations == pk] = z
        return out

    def midnights(self, day: date) -> np.ndarray:
        """Epoch seconds of local midnight of ``day`` in each zone."""
        return np.array([local_midnight_utc(day, tz).timestamp() for tz in self.names])


# --- The facts the rules read ----------------------------------------------------------


@dataclass
class Facts:
    """What the rules need about a set of customers, one row each (``ids`` sorted)."""

    ids: np.ndarray  # int64, sorted, unique
    location: np.ndarray  # home location id, 0 for none
    zone: np.ndarray  # index into ``Zones.names``
    gifts: np.ndarray  # WELCOME_GIFTS | NO_GIFTS | JUST_WORDS
    language: list[str]  # "" when not known
    consent: np.ndarray  # (n, 4) by CONSENTS: -1 never asked, 0 refused, 1 granted
    reach: np.ndarray  # (n, 4) by CHANNELS: NONE | BOUNCED | USABLE
    complaint: np.ndarray  # bool: a complaint of theirs is open
    detractor: np.ndarray  # bool: a service recovery is under way
    touches: np.ndarray  # touches in the 30 days (the day itself included)
    today: np.ndarray  # bool: touched on the day already

    def rows(self, customers: np.ndarray) -> np.ndarray:
        """Positions of ``customers`` (each must be in ``ids``)."""
        return np.searchsorted(self.ids, customers)


def _positions(ids: np.ndarray, customers: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``ids``, found) of each customer id."""
    wanted = np.asarray(customers, dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, wanted), max(ids.size - 1, 0))
    found = ids[at] == wanted if ids.size else np.zeros(wanted.size, dtype=bool)
    return at, found


def ids_in(field: str, ids: Sequence[int] | np.ndarray) -> Q:
    """``field IN ids`` with the ids as one parameter (a JSON array on SQLite, an array
    on PostgreSQL): no parameter limit, and none of the ORM's per-value work."""
    values = ids.tolist() if isinstance(ids, np.ndarray) else [int(i) for i in ids]
    return _in_one_parameter(field, values, "bigint")


def texts_in(field: str, texts: Sequence[str]) -> Q:
    """``field IN texts``, the texts as one parameter (see ``ids_in``)."""
    return _in_one_parameter(field, list(texts), "text")


def _in_one_parameter(field: str, values: list[Any], sql_type: str) -> Q:
    if connection.vendor == "postgresql":
        rows = RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])  # noqa: S611
    else:
        rows = RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    return Q(**{f"{field}__in": rows})


def _chunks(ids: np.ndarray) -> Iterator[np.ndarray]:
    for lo in range(0, ids.size, IN_CHUNK):
        yield ids[lo : lo + IN_CHUNK]


def _scoped(rows: QuerySet[Any], ids: np.ndarray, field: str = "customer_id") -> QuerySet[Any]:
    """A small source (open complaints, bounces, recent survey e-mails and calls) read
    for a few customers by their ids, for many in one pass over the source."""
    return rows.filter(ids_in(field, ids)) if ids.size <= IN_CHUNK else rows


def open_complaints() -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        kind=TicketKind.COMPLAINT, status__in=ACTIVE, customer__isnull=False
    )


def open_recoveries() -> QuerySet[Recovery]:
    return Recovery.objects.filter(status__in=RECOVERY_OPEN, customer__isnull=False)


def survey_touches() -> QuerySet[Invitation]:
    """Survey invitations that reached (or are on their way to) the customer by e-mail."""
    return Invitation.objects.filter(channel=SurveyChannel.EMAIL, customer__isnull=False).exclude(
        status=InvitationStatus.FAILED
    )


def call_touches() -> QuerySet[FollowUp]:
    """Follow-up calls made (an outcome recorded)."""
    return FollowUp.objects.filter(customer__isnull=False, done_at__isnull=False).exclude(
        outcome=""
    )


def _flags(rows: Iterable[int], ids: np.ndarray) -> np.ndarray:
    at, found = _positions(ids, list(rows))
    out = np.zeros(ids.size, dtype=bool)
    out[at[found]] = True
    return out


def pick_number(phones: Sequence[tuple[str, str]], bounced: Collection[str], channel: int) -> str:
    """The number a text (a mobile) or a call (mobile first) goes to, "" for none; a
    number that bounced is passed over."""
    usable = [(label != PhoneLabel.MOBILE, i, n) for i, (n, label) in enumerate(phones)]
    if channel == SMS:
        usable = [u for u in usable if not u[0]]
    for _not_mobile, _i, number in sorted(usable):
        if number not in bounced:
            return number
    return ""


def bounced_addresses(ids: np.ndarray) -> dict[int, dict[int, set[str]]]:
    """Bounced addresses: {channel: {customer id: addresses}} (e-mail in lower case)."""
    found: dict[int, dict[int, set[str]]] = {c: {} for c in range(len(CHANNELS))}
    rows = _scoped(Bounce.objects.all(), ids).values_list("customer_id", "channel", "address")
    for customer_id, channel, address in rows:
        if channel in COLUMN:
            text = address.strip().lower() if channel == Channel.EMAIL else address.strip()
            found[COLUMN[channel]].setdefault(customer_id, set()).add(text)
    return found


def _read_customers(f: Facts, bounced: dict[int, dict[int, set[str]]]) -> None:
    has_post = ExpressionWrapper(~Q(postal_address=""), output_field=BooleanField())
    for chunk in _chunks(f.ids):
        rows = list(
            Customer.objects.filter(ids_in("pk", chunk))
            .order_by()
            .annotate(has_post=has_post)
            .values_list("pk", "home_location_id", "gifts", "language", "email", "has_post")
        )
        if not rows:
            continue
        at, _found = _positions(f.ids, [r[0] for r in rows])
        f.location[at] = [r[1] or 0 for r in rows]
        f.gifts[at] = [GIFTS.get(r[2], WELCOME_GIFTS) for r in rows]
        emails = bounced[EMAIL]
        f.reach[at, EMAIL] = [
            NONE
            if not r[4]
            else BOUNCED
            if r[4].strip().lower() in emails.get(r[0], ())
            else USABLE
            for r in rows
        ]
        f.reach[at, CARD] = [USABLE if r[5] else NONE for r in rows]
        for i, r in zip(at.tolist(), rows, strict=True):
            f.language[i] = r[3]
    if bounced[CARD]:  # returned post: compare with the address the customer has now
        ids = np.array(sorted(bounced[CARD]), dtype=np.int64)
        for pk, address in Customer.objects.filter(ids_in("pk", ids)).values_list(
            "pk", "postal_address"
        ):
            at, found = _positions(f.ids, [pk])
            if found[0] and address.strip() in bounced[CARD][pk]:
                f.reach[at[0], CARD] = BOUNCED


def _read_phones(f: Facts, bounced: dict[int, dict[int, set[str]]]) -> None:
    for chunk in _chunks(f.ids):
        rows = list(
            Phone.objects.filter(customer_id__in=chunk)
            .order_by()
            .values_list("customer_id", "label")
        )
        if not rows:
            continue
        at, _found = _positions(f.ids, [r[0] for r in rows])
        mobile = np.array([r[1] == PhoneLabel.MOBILE for r in rows], dtype=bool)
        f.reach[at, CALL] = USABLE
        f.reach[at[mobile], SMS] = USABLE
    troubled = sorted(set(bounced[SMS]) | set(bounced[CALL]))
    if not troubled:
        return
    phones: dict[int, list[tuple[str, str]]] = {}
    for customer_id, number, label in (
        Phone.objects.filter(ids_in("customer_id", troubled))
        .order_by("customer_id", "id")
        .values_list("customer_id", "number", "label")
    ):
        phones.setdefault(customer_id, []).append((number, label))
    for customer_id, own in phones.items():
        at, found = _positions(f.ids, [customer_id])
        if not found[0]:
            continue
        for channel in (SMS, CALL):
            if f.reach[at[0], channel] == USABLE and not pick_number(
                own, bounced[channel].get(customer_id, set()), channel
            ):
                f.reach[at[0], channel] = BOUNCED


def _read_consents(f: Facts) -> None:
    column = {name: i for i, name in enumerate(CONSENTS)}
    for chunk in _chunks(f.ids):
        rows = list(
            Consent.objects.filter(ids_in("customer_id", chunk))
            .order_by("customer_id", "channel", "-at", "-id")
            .values_list("customer_id", "channel", "granted")
        )
        if not rows:
            continue
        customer = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        channel = np.fromiter((column.get(r[1], -1) for r in rows), dtype=np.int64, count=len(rows))
        granted = np.fromiter((r[2] for r in rows), dtype=np.int8, count=len(rows))
        key = customer * 8 + channel
        latest = np.ones(key.size, dtype=bool)
        latest[1:] = key[1:] != key[:-1]  # rows come newest first per (customer, channel)
        latest &= channel >= 0
        at, _found = _positions(f.ids, customer[latest].tolist())
        f.consent[at, channel[latest]] = granted[latest]


def _read_touches(
    f: Facts, zones: Zones, day: date, *, same_day: bool, exclude: int | None
) -> None:
    """Touches in the 30 days up to ``day`` and whether ``day`` has one. ``same_day``:
    count the day's own outreach messages (False while planning the day: those are
    the plan's own decisions, re-made identically by a re-run)."""
    first = day - timedelta(days=WINDOW_DAYS - 1)
    last = day if same_day else day - timedelta(days=1)
    messages = Message.objects.filter(day__gte=first, day__lte=last, status__in=TAKES_THE_DAY)
    if exclude is not None:
        messages = messages.exclude(pk=exclude)
    for chunk in _chunks(f.ids):  # through the message_customer index
        rows = list(
            messages.filter(ids_in("customer_id", chunk))
            .order_by()
            .values("customer_id")
            .annotate(n=Count("pk", filter=Q(status__in=COUNTED)), last=Max("day"))
            .values_list("customer_id", "n", "last")
        )
        if not rows:
            continue
        at, found = _positions(f.ids, [r[0] for r in rows])
        counts = np.fromiter((r[1] for r in rows), dtype=np.int32, count=len(rows))
        on_day = np.fromiter((r[2] == day for r in rows), dtype=bool, count=len(rows))
        f.touches[at[found]] += counts[found]  # one group per customer: no repeats
        f.today[at[found & on_day]] = True
    # Survey e-mails and follow-up calls: their instants against each zone's days.
    starts, begins, ends = (
        zones.midnights(first),
        zones.midnights(day),
        zones.midnights(day + timedelta(days=1)),
    )
    since = datetime.fromtimestamp(float(starts.min()), UTC)
    until = datetime.fromtimestamp(float(ends.max()), UTC)
    sources: tuple[tuple[QuerySet[Any], str], ...] = (
        (survey_touches().filter(created_at__gte=since, created_at__lt=until), "created_at"),
        (call_touches().filter(done_at__gte=since, done_at__lt=until), "done_at"),
    )
    for source, stamp in sources:
        pairs = list(_scoped(source, f.ids).order_by().values_list("customer_id", stamp))
        if not pairs:
            continue
        at, found = _positions(f.ids, [p[0] for p in pairs])
        when = np.array([p[1].timestamp() for p in pairs])
        z = f.zone[at]
        counted = found & (when >= starts[z]) & (when < ends[z])
        np.add.at(f.touches, at[counted], 1)
        f.today[at[counted & (when >= begins[z])]] = True


def load_facts(
    customers: Iterable[int],
    *,
    day: date,
    zones: Zones,
    same_day: bool,
    exclude_message: int | None = None,
) -> Facts:
    """Everything the rules read about ``customers`` for ``day`` (see ``_read_touches``
    for ``same_day``); ``exclude_message``: the message being decided, not a touch."""
    ids = np.unique(np.fromiter(customers, dtype=np.int64))
    n = ids.size
    f = Facts(
        ids=ids,
        location=np.zeros(n, dtype=np.int64),
        zone=np.zeros(n, dtype=np.int16),
        gifts=np.zeros(n, dtype=np.int8),
        language=[""] * n,
        consent=np.full((n, len(CONSENTS)), -1, dtype=np.int8),
        reach=np.zeros((n, len(CHANNELS)), dtype=np.int8),
        complaint=np.zeros(n, dtype=bool),
        detractor=np.zeros(n, dtype=bool),
        touches=np.zeros(n, dtype=np.int32),
        today=np.zeros(n, dtype=bool),
    )
    if not n:
        return f
    bounced = bounced_addresses(ids)
    _read_customers(f, bounced)
    f.zone = zones.index(f.location)
    _read_phones(f, bounced)
    _read_consents(f)
    f.complaint = _flags(_scoped(open_complaints(), ids).values_list("customer_id", flat=True), ids)
    f.detractor = _flags(_scoped(open_recoveries(), ids).values_list("customer_id", flat=True), ids)
    _read_touches(f, zones, day, same_day=same_day, exclude=exclude_message)
    return f
