"""Vouchers: single-use codes with an expiry, issued with a message and redeemed at the
counter (``redeem``), so a play's effect on visits can be measured.

A code is 8 characters of Crockford's base32 (40 bits), shown as ``ABCD-EFGH``; typed
codes are folded like survey short codes (case, separators, O → 0, I/L → 1).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from regulars.core.localtime import local_today
from regulars.outreach.models import Message, Voucher, VoucherKind

CODE_LENGTH = 8
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(typed: str) -> str:
    """A typed code as stored, or "" when it cannot be one."""
    code = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_FOLD)
    if len(code) != CODE_LENGTH or any(ch not in _ALPHABET for ch in code):
        return ""
    return code


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def issue_for(message: Message) -> Voucher | None:
    """The voucher of ``message`` (made once: a resend finds the same code), or None
    when its arm gives none or the message goes without one (``with_voucher``)."""
    arm = message.arm
    if arm is None or not message.with_voucher or arm.voucher_kind == VoucherKind.NONE:
        return None
    existing = Voucher.objects.filter(message=message).first()
    if existing is not None:
        return existing
    today = local_today(message.location.timezone)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Voucher.objects.create(
                    code=new_code(),
                    customer_id=message.customer_id,
                    message=message,
                    play_id=message.play_id,
                    kind=arm.voucher_kind,
                    value=arm.voucher_value,
                    currency=message.location.currency
                    if arm.voucher_kind == VoucherKind.AMOUNT
                    else "",
                    text=arm.voucher_text,
                    issued_at=timezone.now(),
                    expires_on=today + timedelta(days=arm.voucher_days),
                )
        except IntegrityError:
            found = Voucher.objects.filter(message=message).first()
            if found is not None:  # made by a concurrent send of the same message
                return found
    raise RuntimeError("could not draw a free voucher code")
