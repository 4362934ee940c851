"""Cell parsers for the importers: text, email, phone, dates, money, waits, language.

Each parser takes the text of one cell and returns the clean value, or raises
``CellError`` with a reason already translated into the active language.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from phonenumbers import PhoneMetadata

from regulars.core.money import parse_amount, quantize
from regulars.core.occasions import validate_month_day
from regulars.customers.phones import PhoneError, normalize_phone

# Longest cell accepted in a free-text field (notes, address, items): a note of ten
# thousand characters is already a document; anything longer is a broken export.
MAX_TEXT = 10_000

# Control characters that no cell may contain (tab, newline and carriage return are
# whitespace and are normalised instead). Surrogates come from broken encodings.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class CellError(ValueError):
    """A cell that cannot be imported; ``str(exc)`` is the translated reason."""


def control_reason(text: str) -> str:
    match = CONTROL.search(text)
    code = ord(match.group()) if match else 0
    return _("This text contains an invisible control character (U+%(code)04X).") % {"code": code}


def clean_line(text: str, max_length: int) -> str:
    """One line of text: whitespace collapsed, NFC, at most ``max_length`` characters."""
    value = " ".join(text.split())
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if len(value) > max_length:
        raise CellError(
            _("This is %(length)d characters long; at most %(max)d fit.")
            % {"length": len(value), "max": max_length}
        )
    return value


def clean_multiline(text: str, max_length: int = MAX_TEXT) -> str:
    value = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if len(value) > max_length:
        raise CellError(
            _("This is %(length)d characters long; at most %(max)d fit.")
            % {"length": len(value), "max": max_length}
        )
    return value


# A strict subset of what Django's EmailValidator accepts: the common case is checked
# with one regular expression, anything else goes through Django's validator.
_SIMPLE_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
)


def clean_email(text: str) -> str:
    value = text.strip().lower()
    if len(value) > 254:
        raise CellError(_("This email address is too long."))
    if _SIMPLE_EMAIL.fullmatch(value):
        return value
    try:
        validate_email(value)
    except ValidationError as exc:
        raise CellError(
            _("“%(email)s” is not an email address.") % {"email": text.strip()[:80]}
        ) from exc
    return value


# International numbers written as "+39 333 123 4567", "+393331234567" or
# "0039-333-1234567": digits in groups, no letters, brackets or extensions.
_INTERNATIONAL = re.compile(r"(?:\+|00)[1-9]\d{0,3}(?:[ .-]?\d+)*")
_SEPARATORS = str.maketrans("", "", " .-")


@lru_cache(maxsize=512)
def _calling_code_rules(country_code: int) -> tuple[re.Pattern[str] | None, frozenset[int]] | None:
    """(national-prefix pattern, possible lengths of the national number) of a calling
    code, as ``phonenumbers`` uses them for its "main" region; None without metadata."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or metadata.general_desc is None:
        return None
    general = metadata.general_desc
    lengths = frozenset(general.possible_length) - frozenset(
        general.possible_length_local_only or ()
    )
    prefix = metadata.national_prefix_for_parsing
    return (re.compile(prefix) if prefix else None), lengths


def _fast_international(text: str) -> str | None:
    """E.164 for a plainly written international number, or None to use the full parser.

    Gives exactly what ``phonenumbers.parse`` + ``is_possible_number`` give for these
    inputs (tests/customers/test_import_values.py compares both on many numbers): the
    calling code is found the same way (the first of 1, 2 or 3 leading digits that is
    one), "possible" is the same length test on the national number, and numbers whose
    national part starts with a national prefix (which the parser may strip) are left
    to the parser. About 20 times faster than the parser.
    """
    if not _INTERNATIONAL.fullmatch(text):
        return None
    digits = text.translate(_SEPARATORS)
    digits = digits[1:] if digits[0] == "+" else digits[2:]
    if not 3 <= len(digits) <= 20:
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = digits[size:]
    if not 2 <= len(national) <= 17:
        return None
    rules = _calling_code_rules(code)
    if rules is None:
        return None
    prefix, lengths = rules
    if (prefix is not None and prefix.match(national)) or len(national) not in lengths:
        return None
    return "+" + digits


_NATIONAL = re.compile(r"[1-9]\d*(?:[ .-]?\d+)*|0\d+(?:[ .-]?\d+)*")


@lru_cache(maxsize=64)
def _region_rules(
    region: str,
) -> tuple[int, re.Pattern[str] | None, re.Pattern[str] | None, frozenset[int]] | None:
    """(calling code, international-prefix pattern, national-prefix pattern, possible
    lengths) of a region, or None for an unknown one."""
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None or metadata.general_desc is None or not metadata.country_code:
        return None
    general = metadata.general_desc
    lengths = frozenset(general.possible_length) - frozenset(
        general.possible_length_local_only or ()
    )
    idd = metadata.international_prefix
    prefix = metadata.national_prefix_for_parsing
    return (
        int(metadata.country_code),
        re.compile(idd) if idd else None,
        re.compile(prefix) if prefix else None,
        lengths,
    )


def _fast_national(text: str, region: str) -> str | None:
    """E.164 for a plainly written national number ("333 1234567" in Italy), or None to
    use the full parser: only when the parser could not read the digits as anything
    else (no international prefix, no leading calling code, no national prefix)."""
    if not region or not _NATIONAL.fullmatch(text):
        return None
    rules = _region_rules(region)
    if rules is None:
        return None
    code, idd, prefix, lengths = rules
    digits = text.translate(_SEPARATORS)
    if (
        not 2 <= len(digits) <= 17
        or len(digits) not in lengths
        # normalize_phone reads "00" as "+"; the parser may strip a leading calling code.
        or digits.startswith(("00", str(code)))
        or (idd is not None and idd.match(digits))
        or (prefix is not None and prefix.match(digits))
    ):
        return None
    return f"+{code}{digits}"


def clean_phone(text: str, region: str) -> str:
    """E.164, with ``region`` (ISO country code) for numbers written without a prefix."""
    value = text.strip()
    if len(value) <= 40:
        fast = _fast_international(value) or _fast_national(value, region)
        if fast is not None:
            return fast
    try:
        return normalize_phone(value, region)
    except PhoneError as exc:
        raise CellError(str(exc)) from exc


def split_list(text: str) -> list[str]:
    """Tags and phone lists: separated by ";", "|" or ",", whitespace trimmed."""
    parts = re.split(r"[;|,]", text)
    return [p for p in (" ".join(x.split()) for x in parts) if p]


_DATE = re.compile(
    r"""(?:
        (?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})
      | (?P<d2>\d{1,2})[-/.](?P<m2>\d{1,2})[-/.](?P<y2>\d{4}|\d{2})
      | (?P<y3>\d{4})(?P<m3>\d{2})(?P<d3>\d{2})
    )
    (?:[T\s,]+(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?))?
    \s*(?P<tz>Z|UTC|[+-]\d{2}(?::?\d{2})?)?""",
    re.VERBOSE,
)
_TIME = re.compile(
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<f>\d+))?)?\s*"
    r"(?P<ampm>[AaPp])?\.?(?:[Mm]\.?)?"
)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years: the most recent year ending in these digits.
        this = date.today().year  # noqa: DTZ011 - only the century matters
        year += this - this % 100
        if year > this:
            year -= 100
    return year


def _bad_date(text: str) -> CellError:
    return CellError(
        _(
            "“%(value)s” is not a date. Write it as 2024-03-31, 31/03/2024 or 31.03.2024, "
            "optionally followed by the time."
        )
        % {"value": text.strip()[:40]}
    )


def parse_time(text: str) -> time:
    match = _TIME.fullmatch(text.strip())
    if not match:
        raise CellError(
            _("“%(value)s” is not a time of day; write it as 14:30.") % {"value": text[:20]}
        )
    hour, minute = int(match["h"]), int(match["mi"])
    second = int(match["s"] or 0)
    micro = int((match["f"] or "0")[:6].ljust(6, "0"))
    ampm = (match["ampm"] or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise CellError(_("“%(value)s” is not a time of day.") % {"value": text[:20]})
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError(_("“%(value)s” is not a time of day.") % {"value": text[:20]})
    return time(hour, minute, second, micro)


def parse_date_time(text: str) -> tuple[date, time | None, timezone | None]:
    """ "2024-03-31", "31/03/2024 14:30", "31.03.24", "2024-03-31T14:30:00+02:00" → parts.

    Day-first is assumed for dd/mm/yyyy. ``tz`` is given only when the text names an
    offset ("Z", "+02:00").
    """
    match = _DATE.fullmatch(text.strip())
    if not match:
        raise _bad_date(text)
    if match["y"]:
        y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
    elif match["y2"]:
        y, m, d = _year(match["y2"]), int(match["m2"]), int(match["d2"])
    else:
        y, m, d = int(match["y3"]), int(match["m3"]), int(match["d3"])
    try:
        day = date(y, m, d)
    except ValueError as exc:
        raise _bad_date(text) from exc
    moment = parse_time(match["time"]) if match["time"] else None
    offset: timezone | None = None
    if match["tz"]:
        raw = match["tz"]
        if raw in ("Z", "UTC"):
            offset = UTC
        else:
            sign = -1 if raw[0] == "-" else 1
            digits = raw[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 14 or minutes > 59:
                raise _bad_date(text)
            offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return day, moment, offset


def parse_moment(
    text: str, tz: ZoneInfo, time_text: str = "", *, now: datetime | None = None
) -> datetime:
    """An aware UTC datetime from a local date (and time) at a location.

    A date without a time means the start of that local day. Moments more than a day
    in the future are refused (a typo in the year, or a day-first/month-first mix-up).
    """
    day, moment, offset = parse_date_time(text)
    if time_text.strip():
        moment = parse_time(time_text)
    local = datetime.combine(day, moment or time.min, tzinfo=offset or tz)
    result = local.astimezone(UTC)
    if now is not None and result > now + timedelta(days=1):
        raise CellError(
            _("%(value)s is in the future.") % {"value": f"{text} {time_text}".strip()[:40]}
        )
    return result


def parse_date(text: str) -> date:
    return parse_date_time(text)[0]


_MONTH_DAY = re.compile(r"(?:--)?(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})\.?")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Placeholders that contact apps write for "no year".
_NO_YEAR = {0, 1604, 1900}
_OLDEST_BIRTH_YEAR = 1850


def parse_birthday(text: str, *, today: date) -> tuple[int, int, int | None]:
    """(month, day, year or None) from "31/03/1985", "1985-03-31", "31.03.1985",
    "31.03." or "--03-31". Refuses impossible dates and birthdays in the future."""
    value = text.strip()
    match = _DAY_MONTH_YEAR.fullmatch(value)
    if match:
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    elif match := _YEAR_MONTH_DAY.fullmatch(value):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif short := _MONTH_DAY.fullmatch(value):
        first, second = int(short["a"]), int(short["b"])
        month, day = (first, second) if value.startswith("--") else (second, first)
        year = 0
    else:
        parsed = _DATE.fullmatch(value)
        if not parsed or parsed["time"]:
            raise _bad_date(text)
        if parsed["y"] or parsed["y3"]:
            year = int(parsed["y"] or parsed["y3"])
            month, day = int(parsed["m"] or parsed["m3"]), int(parsed["d"] or parsed["d3"])
        else:
            year, month, day = _year(parsed["y2"]), int(parsed["m2"]), int(parsed["d2"])
    birth_year = None if year in _NO_YEAR else year
    impossible = birth_year is not None and not _OLDEST_BIRTH_YEAR <= birth_year <= today.year
    if not impossible:
        try:
            validate_month_day(month, day, birth_year)
        except ValueError as exc:
            raise _bad_date(text) from exc
        impossible = birth_year is not None and (birth_year, month, day) > (
            today.year,
            today.month,
            today.day,
        )
    if impossible:
        raise CellError(_("%(value)s is not a possible birthday.") % {"value": value[:40]})
    return month, day, birth_year


def parse_money(text: str, currency: str) -> Decimal:
    try:
        amount = parse_amount(text)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not an amount.") % {"value": text.strip()[:40]}) from exc
    if amount < 0:
        raise CellError(_("An amount cannot be negative (%(value)s).") % {"value": text.strip()})
    return quantize(amount, currency)


def parse_wait(text: str, *, seconds: bool) -> int:
    """Queue wait in seconds from "4" (minutes, or seconds when ``seconds``), "4.5",
    "04:30" (minutes:seconds) or "1:04:30"."""
    value = text.strip()
    try:
        if ":" in value:
            parts = [int(p) for p in value.split(":")]
            if len(parts) > 3 or any(p < 0 for p in parts) or any(p > 59 for p in parts[1:]):
                raise ValueError(value)
            total = 0
            for part in parts:
                total = total * 60 + part
        else:
            number = Decimal(value.replace(",", "."))
            if not number.is_finite():
                raise ValueError(value)
            total = int(number if seconds else number * 60)
    except (ValueError, ArithmeticError) as exc:
        raise CellError(
            _("“%(value)s” is not a waiting time; write minutes (4) or minutes:seconds (4:30).")
            % {"value": value[:20]}
        ) from exc
    if not 0 <= total <= 86400:
        raise CellError(_("A queue wait is between 0 seconds and a day."))
    return total


# Language names and codes as people write them in the five interface languages.
_LANGUAGES: dict[str, str] = {}
for _code, _names in {
    "en": ("en", "eng", "english", "inglese", "engelsk", "английский", "inglés", "ingles"),
    "it": ("it", "ita", "italian", "italiano", "italiensk", "итальянский"),
    "da": ("da", "dan", "danish", "danese", "dansk", "датский", "danés", "danes"),
    "ru": ("ru", "rus", "russian", "russo", "russisk", "русский", "ruso"),
    "es": ("es", "spa", "spanish", "spagnolo", "spansk", "испанский", "español", "espanol"),
}.items():
    for _name in _names:
        _LANGUAGES[_name] = _code


def parse_language(text: str) -> str:
    value = text.strip().casefold().replace("_", "-")
    code = _LANGUAGES.get(value) or _LANGUAGES.get(value.split("-")[0])
    if code is None:
        raise CellError(
            _("“%(value)s” is not one of the languages en, it, da, ru, es.")
            % {"value": text.strip()[:40]}
        )
    return code
