"""The staff's daily agenda for one location: whose occasion is today and this week
(customers whose home is the location), the calls to make, and the printed cards
waiting.

Occasions come from ``customers.occasions.occasions_between`` (every kind, fast, for a
date range); this module only names the customers and phrases each line in the staff's
language. A bounded number of queries whatever the size of the business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regulars.accounts.access import access_for
from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.customers.occasions import Occurrence, detail_label, occasions_between
from regulars.outreach.calls import calls_due, reason_of
from regulars.outreach.models import Channel, Message, MessageStatus, OccasionKind, PrintBatch

WEEK_DAYS = 7  # "this week": the seven days after today
SHOWN = 300  # lines per list at most; the rest are counted
RECENT_BATCH_DAYS = 7  # print batches made this recently are shown as waiting


@dataclass(frozen=True)
class AgendaLine:
    """One occasion of one customer, phrased for staff."""

    customer_public_id: str
    customer_name: str
    kind: str  # an OccasionKind value
    what: str  # "Birthday: turns 40", "Marco (child): birthday", "3 years since ..."
    on: date
    days_away: int  # 0 = today


@dataclass(frozen=True)
class CallLine:
    public_id: str  # the message's, for the "done" form
    customer_public_id: str
    customer_name: str
    why: str
    phones: tuple[str, ...]  # empty when the user may not see the customer's details
    planned_for: date


@dataclass(frozen=True)
class Agenda:
    location: Location
    today: date
    today_lines: tuple[AgendaLine, ...]
    week_lines: tuple[AgendaLine, ...]
    more_today: int  # lines beyond SHOWN
    more_week: int
    calls: tuple[CallLine, ...]
    cards_waiting: int  # printed cards planned, not yet in a print batch
    batches: tuple[PrintBatch, ...]  # made in the last RECENT_BATCH_DAYS days


def _years(count: int | None) -> dict[str, Any]:
    return {"count": count or 0}


def occasion_text(occurrence: Occurrence) -> str:
    """What the occasion is, in the active language."""
    kind, name, years = occurrence.kind, occurrence.name, occurrence.years
    detail = detail_label(kind, occurrence.detail)
    if kind == OccasionKind.BIRTHDAY:
        if years:
            return ngettext("Birthday: turns %(count)d", "Birthday: turns %(count)d", years) % (
                _years(years)
            )
        return _("Birthday")
    if kind == OccasionKind.NAME_DAY:
        return _("Name day")
    if kind == OccasionKind.FIRST_VISIT:
        return ngettext(
            "%(count)d year since their first visit",
            "%(count)d years since their first visit",
            years or 0,
        ) % _years(years)
    if kind in (OccasionKind.HOUSEHOLD_BIRTHDAY, OccasionKind.PET_BIRTHDAY):
        who = f"{name} ({detail})" if detail else name
        if years:
            return ngettext(
                "Birthday of %(who)s: turns %(count)d",
                "Birthday of %(who)s: turns %(count)d",
                years,
            ) % {"who": who, "count": years}
        return _("Birthday of %(who)s") % {"who": who}
    # A custom date: its own label, with the years when its year is known.
    label = name or str(OccasionKind.CUSTOM.label)
    if years:
        return ngettext("%(label)s (%(count)d year)", "%(label)s (%(count)d years)", years) % {
            "label": label,
            "count": years,
        }
    return label


_KIND_ORDER = {kind: index for index, kind in enumerate(OccasionKind.values)}


def occasion_lines(location: Location, first: date, last: date, today: date) -> list[AgendaLine]:
    """Occasions from ``first`` to ``last`` (inclusive) of the location's customers,
    by day, then kind, then customer name."""
    found = occasions_between(first, last, location_ids=[location.pk])
    names = _customer_names(o.customer_id for o in found)
    lines = [
        AgendaLine(
            customer_public_id=names[o.customer_id][0],
            customer_name=names[o.customer_id][1],
            kind=o.kind,
            what=occasion_text(o),
            on=o.on,
            days_away=(o.on - today).days,
        )
        for o in found
        if o.customer_id in names
    ]
    return sorted(
        lines, key=lambda line: (line.on, _KIND_ORDER.get(line.kind, 99), line.customer_name)
    )


def _customer_names(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = set(ids)
    if not wanted:
        return {}
    customers = Customer.objects.filter(id__in=wanted).only(
        "id",
        "public_id",
        "kind",
        "given_name",
        "family_name",
        "preferred_name",
        "organisation_name",
    )
    return {c.pk: (c.public_id, c.display_name) for c in customers}


def call_lines(location: Location, *, user: Any, now: datetime) -> list[CallLine]:
    """The location's calls due; the phones only for users who may see customers there."""
    show_phones = access_for(user).can(Capability.VIEW_CUSTOMERS, location.pk)
    return [
        CallLine(
            public_id=message.public_id,
            customer_public_id=message.customer.public_id,
            customer_name=message.customer.display_name,
            why=reason_of(message),
            phones=tuple(p.number for p in message.customer.phones.all()) if show_phones else (),
            planned_for=message.day,
        )
        for message in calls_due(location.pk, now)[:SHOWN]
    ]


def cards_waiting(location: Location) -> int:
    return Message.objects.filter(
        location=location, channel=Channel.CARD, status=MessageStatus.QUEUED, batch__isnull=True
    ).count()


def build_agenda(location: Location, *, user: Any, now: datetime | None = None) -> Agenda:
    """The agenda of ``location`` as ``user`` may see it (the view checks they may)."""
    moment = now or timezone.now()
    today = local_today(location.timezone, moment)
    lines = occasion_lines(location, today, today + timedelta(days=WEEK_DAYS), today)
    today_lines = [line for line in lines if line.days_away == 0]
    week_lines = [line for line in lines if line.days_away > 0]
    batches = PrintBatch.objects.filter(
        location=location, created_at__gte=moment - timedelta(days=RECENT_BATCH_DAYS)
    )
    return Agenda(
        location=location,
        today=today,
        today_lines=tuple(today_lines[:SHOWN]),
        week_lines=tuple(week_lines[:SHOWN]),
        more_today=max(len(today_lines) - SHOWN, 0),
        more_week=max(len(week_lines) - SHOWN, 0),
        calls=tuple(call_lines(location, user=user, now=moment)),
        cards_waiting=cards_waiting(location),
        batches=tuple(batches[:10]),
    )
