"""Template filters every page uses: money, phones, occasions, in the active locale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.dates import format_date
from django import template
from django.utils import translation

from regulars.core.money import _babel_locale, format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """{{ visit.amount|money:visit.currency }} → "12,50 €" in Italian."""
    if amount is None or not currency:
        return ""
    return format_money(amount, currency, translation.get_language() or "en")


@register.filter
def phone(number: str) -> str:
    from regulars.customers.phones import format_phone

    return format_phone(number)


@register.simple_tag
def month_day(month: int | None, day: int | None, year: int | None = None) -> str:
    """A birthday or name day: "14 March" or "14 March 1980", localised."""
    if not month or not day:
        return ""
    from datetime import date

    locale = _babel_locale(translation.get_language() or "en")
    if year:
        return format_date(date(year, month, day), format="long", locale=locale)
    return format_date(date(2000, month, day), format="d MMMM", locale=locale)


@register.filter
def weekday_day(on: Any) -> str:
    """{{ occasion.on|weekday_day }} → "mercoledì 18 marzo" in Italian."""
    from regulars.core.dates import weekday_and_day

    return weekday_and_day(on, translation.get_language() or "en") if on else ""


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
