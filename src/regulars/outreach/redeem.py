"""Redeeming a voucher at the counter: once, before it expires, for its own customer.

``redeem`` marks the voucher with one conditional UPDATE (``… WHERE redeemed_at IS
NULL``), so two clerks pressing Redeem at the same moment cannot both succeed: the
second finds no row to update and is told when and where it was redeemed. Every refusal
is a ``CannotRedeem`` whose text (in the staff's language) says why and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from regulars.accounts.access import check
from regulars.accounts.models import Location
from regulars.core.localtime import local_today
from regulars.core.money import format_money
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.outreach.models import Voucher, VoucherKind
from regulars.outreach.vouchers import clean_code, shown_code
from regulars.service.models import Visit


class CannotRedeem(Exception):
    """The voucher cannot be redeemed; ``str(error)`` says why, for staff."""

    def __init__(self, message: str, voucher: Voucher | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.voucher = voucher


def _day(on: date) -> str:
    return formats.date_format(on, "DATE_FORMAT")


def voucher_gives(voucher: Voucher) -> str:
    """What the voucher gives, in the active language: its own words when the play gave
    some, else "10 % off" / "€ 5,00 off" / "A free item"."""
    if voucher.text:
        return voucher.text
    value = voucher.value
    if voucher.kind == VoucherKind.PERCENT and value is not None:
        whole = value == value.to_integral_value()
        percent = formats.number_format(value.quantize(Decimal(1)) if whole else value.normalize())
        return _("%(percent)s%% off") % {"percent": percent}
    if voucher.kind == VoucherKind.AMOUNT and value is not None and voucher.currency:
        amount = format_money(Decimal(value), voucher.currency, translation.get_language() or "en")
        return _("%(amount)s off") % {"amount": amount}
    return _("A free item")


@dataclass(frozen=True)
class VoucherView:
    """A voucher as staff see it before redeeming (all texts in the staff's language)."""

    voucher: Voucher
    code: str  # shown: ABCD-EFGH
    gives: str
    valid_until: str
    customer: Customer
    problem: str  # why it cannot be redeemed now; "" when it can


def find_voucher(typed: str) -> Voucher | None:
    """The voucher a typed code names (folded like survey codes), with its customer;
    None when the code is malformed or unknown."""
    code = clean_code(typed)
    if not code:
        return None
    return (
        Voucher.objects.select_related("customer", "redeemed_location", "play")
        .filter(code=code)
        .first()
    )


def _already(voucher: Voucher) -> str:
    values = {"code": shown_code(voucher.code), "day": "", "location": ""}
    if voucher.redeemed_at is not None:
        tz_name = voucher.redeemed_location.timezone if voucher.redeemed_location else "UTC"
        values["day"] = _day(local_today(tz_name, voucher.redeemed_at))
    if voucher.redeemed_location is not None:
        values["location"] = voucher.redeemed_location.name
        return _("Voucher %(code)s was already redeemed on %(day)s at %(location)s.") % values
    return _("Voucher %(code)s was already redeemed on %(day)s.") % values


def problem_with(voucher: Voucher, *, location: Location, customer: Customer | None = None) -> str:
    """Why ``voucher`` cannot be redeemed at ``location`` now (for ``customer`` when
    redeemed from their card), or "" when it can."""
    if customer is not None and voucher.customer_id != customer.pk:
        return _("Voucher %(code)s belongs to another customer.") % {
            "code": shown_code(voucher.code)
        }
    if voucher.redeemed_at is not None:
        return _already(voucher)
    if voucher.expires_on < local_today(location.timezone):
        return _("Voucher %(code)s expired on %(day)s.") % {
            "code": shown_code(voucher.code),
            "day": _day(voucher.expires_on),
        }
    return ""


def describe(
    voucher: Voucher, *, location: Location, customer: Customer | None = None
) -> VoucherView:
    return VoucherView(
        voucher=voucher,
        code=shown_code(voucher.code),
        gives=voucher_gives(voucher),
        valid_until=_day(voucher.expires_on),
        customer=voucher.customer,
        problem=problem_with(voucher, location=location, customer=customer),
    )


def _unknown() -> CannotRedeem:
    return CannotRedeem(_("No voucher has this code. Check the letters and numbers and try again."))


def redeem(
    code_or_voucher: str | Voucher,
    *,
    user: Any,
    location: Location,
    visit: Visit | None = None,
    customer: Customer | None = None,
) -> Voucher:
    """Redeem a voucher at ``location`` (the user must be allowed to log visits there).

    ``customer``: redeemed from this customer's card, so another customer's voucher is
    refused. ``visit``: the visit it was used at (it must be the voucher's customer's).
    Raises ``CannotRedeem`` (nothing changed) when the code is unknown, the voucher is
    already redeemed (also by a concurrent redemption), expired, or someone else's.
    """
    check(user, Capability.LOG_VISITS, location.pk)
    if isinstance(code_or_voucher, Voucher):
        voucher: Voucher | None = code_or_voucher
    else:
        voucher = find_voucher(code_or_voucher)
    if voucher is None:
        raise _unknown()
    problem = problem_with(voucher, location=location, customer=customer)
    if problem:
        raise CannotRedeem(problem, voucher)
    if visit is not None and visit.customer_id != voucher.customer_id:
        raise CannotRedeem(
            _("This visit is another customer's: the voucher was not redeemed."), voucher
        )
    now = timezone.now()
    # The WHERE is the lock: only one redemption can find the voucher still open. The
    # row itself (redeemed_at/by/location) is the record of who redeemed it.
    updated = Voucher.objects.filter(
        pk=voucher.pk,
        redeemed_at__isnull=True,
        expires_on__gte=local_today(location.timezone, now),
    ).update(
        redeemed_at=now,
        redeemed_location=location,
        redeemed_by=user,
        redeemed_visit=visit,
    )
    fresh = (
        Voucher.objects.select_related("customer", "redeemed_location", "play")
        .filter(pk=voucher.pk)
        .first()
    )
    if fresh is None:  # deleted (the customer was erased) in the meantime
        raise _unknown()
    if updated != 1:
        raise CannotRedeem(problem_with(fresh, location=location) or _already(fresh), fresh)
    return fresh
