"""Numbers and shares for figures pages, formatted for the active language (babel)."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from django.utils import translation

from regulars.core.money import _babel_locale


def active_locale() -> str:
    """The babel locale of the language the request is answered in."""
    return _babel_locale(translation.get_language() or "en")


def format_number(value: float | None, digits: int = 1) -> str:
    """``value`` to at most ``digits`` decimals, without trailing zeros, grouped for the
    locale ("1.234,5" in Italian); "" for None."""
    if value is None:
        return ""
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return str(format_decimal(round(value, digits), format=pattern, locale=active_locale()))


def format_share(share: float | None) -> str:
    """A share (0..1) as a percentage to a tenth, without trailing zeros ("62,5 %",
    "50 %"); "" for None."""
    if share is None:
        return ""
    return str(format_percent(round(share, 3), locale=active_locale(), decimal_quantization=False))
