"""Outreach's part of the counter's greeting card: the customer's open vouchers (code,
what it gives, valid until, with a Redeem button) and a call planned for them.

Registered by ``OutreachConfig.ready`` (``PARTS``). One query: the customer row joined
to their open vouchers and their queued calls (two filtered LEFT JOINs), because the
card's query budget is shared by every app that adds a part.

The part is a ``CardPart`` whose items read well as plain hints; it also carries the
vouchers themselves and ``template``, the partial that shows the Redeem buttons where
the card template includes a part's own template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import FilteredRelation, Q
from django.utils import formats
from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.customers.greeting import ASK, INFO, CardBuilder, CardPart, Hint
from regulars.customers.models import Customer
from regulars.outreach.calls import call_reason
from regulars.outreach.models import Channel, MessageStatus, Voucher
from regulars.outreach.redeem import voucher_gives
from regulars.outreach.vouchers import shown_code

KEY = "outreach"
ORDER = 40  # after the service desk, feedback and the loyalty rhythm
SHOWN = 10  # rows of (voucher × call) read at most; a customer has one or two


@dataclass(frozen=True)
class OpenVoucher:
    code: str  # as stored, for the Redeem form
    shown: str  # ABCD-EFGH
    gives: str
    expires_on: date


@dataclass(frozen=True)
class PlannedCall:
    public_id: str
    why: str


@dataclass(frozen=True)
class OutreachPart(CardPart):
    vouchers: tuple[OpenVoucher, ...] = ()
    calls: tuple[PlannedCall, ...] = ()
    template: str = "outreach/_card_outreach.html"


_FIELDS = (
    "v__code",
    "v__kind",
    "v__value",
    "v__currency",
    "v__text",
    "v__expires_on",
    "c__public_id",
    "c__occasion",
    "c__occasion_name",
    "c__occasion_on",
    "c__play__name",
)


def _rows(customer: Customer, today: date) -> list[dict[str, Any]]:
    return list(
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            v=FilteredRelation(
                "vouchers",
                condition=Q(vouchers__redeemed_at__isnull=True, vouchers__expires_on__gte=today),
            ),
            c=FilteredRelation(
                "messages",
                condition=Q(messages__channel=Channel.CALL, messages__status=MessageStatus.QUEUED),
            ),
        )
        .values(*_FIELDS)
        .order_by("v__expires_on", "v__code", "c__day", "c__id")[:SHOWN]
    )


def _voucher(row: dict[str, Any]) -> OpenVoucher:
    # An unsaved Voucher only to phrase what it gives, as everywhere else.
    value = row["v__value"]
    voucher = Voucher(
        code=row["v__code"],
        kind=row["v__kind"],
        value=Decimal(value) if value is not None else None,
        currency=row["v__currency"],
        text=row["v__text"],
        expires_on=row["v__expires_on"],
    )
    return OpenVoucher(
        code=voucher.code,
        shown=shown_code(voucher.code),
        gives=voucher_gives(voucher),
        expires_on=voucher.expires_on,
    )


def _titles() -> dict[tuple[bool, bool], str]:
    return {
        (True, False): _("Open vouchers"),
        (False, True): _("Call planned"),
        (True, True): _("Open vouchers and a call planned"),
    }


def outreach_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    """Open vouchers (not redeemed, not expired at ``location`` today) and calls planned."""
    vouchers: dict[str, OpenVoucher] = {}
    calls: dict[str, PlannedCall] = {}
    for row in _rows(customer, local_today(location.timezone, now)):
        if row["v__code"] and row["v__code"] not in vouchers:
            vouchers[row["v__code"]] = _voucher(row)
        public_id = row["c__public_id"]
        if public_id and public_id not in calls:
            why = call_reason(
                play_name=row["c__play__name"] or "",
                occasion=row["c__occasion"] or "",
                occasion_name=row["c__occasion_name"] or "",
                occasion_on=row["c__occasion_on"],
            )
            calls[public_id] = PlannedCall(public_id=public_id, why=why)
    if not vouchers and not calls:
        return None
    items = [
        Hint(
            kind="voucher",
            text=_("Voucher %(code)s: %(gives)s, valid until %(day)s")
            % {
                "code": v.shown,
                "gives": v.gives,
                "day": formats.date_format(v.expires_on, "DATE_FORMAT"),
            },
            level=ASK,
        )
        for v in vouchers.values()
    ]
    items += [
        Hint(
            kind="call",
            text=_("A call is planned for them (%(why)s): you can greet them in person")
            % {"why": c.why},
            level=INFO,
        )
        for c in calls.values()
    ]
    return OutreachPart(
        key=KEY,
        title=_titles()[(bool(vouchers), bool(calls))],
        items=tuple(items),
        order=ORDER,
        vouchers=tuple(vouchers.values()),
        calls=tuple(calls.values()),
    )


PARTS: dict[str, CardBuilder] = {KEY: outreach_part}
