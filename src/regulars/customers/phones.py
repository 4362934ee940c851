"""Phone numbers to E.164 with ``phonenumbers``; a clear reason when that fails."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, region: str) -> str:
    """ "+39 333 123 4567", "0039 333…", "333 1234567" (region IT) → "+393331234567".

    Raises PhoneError with a translated reason for anything that is not a possible
    number. ``region`` is an ISO country code used when the number has no prefix.
    """
    text = raw.strip()
    if not text:
        raise PhoneError(_("The phone number is empty."))
    if len(text) > 40:
        raise PhoneError(_("The phone number is too long."))
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(
            _("“%(phone)s” is not a phone number.") % {"phone": raw.strip()[:40]}
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(
            _("“%(phone)s” does not look like a complete phone number.")
            % {"phone": raw.strip()[:40]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """E.164 to the international display format ("+39 333 123 4567")."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
