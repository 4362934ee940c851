"""Dates in sentences, per language, with Babel's (CLDR) month and weekday names:
lower case in Italian, Danish and Spanish, the genitive month in Russian ("18 марта")."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from regulars.core.localtime import zone
from regulars.core.money import _babel_locale

# Weekday and day of the month, no year: CLDR's full date format of each language
# without its year.
_WEEKDAY_DAY: dict[str, str] = {
    "en": "EEEE d MMMM",
    "it": "EEEE d MMMM",
    "da": "EEEE 'den' d. MMMM",
    "ru": "EEEE, d MMMM",
    "es": "EEEE, d 'de' MMMM",
}


def weekday_and_day(on: date, language: str) -> str:
    """``Wednesday 18 March`` / ``mercoledì 18 marzo`` / ``среда, 18 марта``."""
    code = language.split("-")[0]
    return format_date(on, _WEEKDAY_DAY.get(code, _WEEKDAY_DAY["en"]), locale=_babel_locale(code))


def weekday_day_time(moment: datetime, tz_name: str, language: str) -> str:
    """``Tuesday 24 November 10:00`` (``martedì 24 novembre 10:00``): an aware instant
    as the wall clock shows it in ``tz_name``."""
    local = moment.astimezone(zone(tz_name))
    return f"{weekday_and_day(local.date(), language)} {local:%H:%M}"
