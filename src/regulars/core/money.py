"""Money is a Decimal with an ISO 4217 currency code, never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies

CURRENCIES: frozenset[str] = frozenset(list_currencies())


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unknown currency {self.currency!r}")

    def format(self, locale: str) -> str:
        return format_money(self.amount, self.currency, locale)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (banker's rounding)."""
    digits = get_currency_precision(currency)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


_CURRENCY_MARKS = re.compile(r"(?i)(€|\$|£|₽|kr\.?|dkk|eur|rub|usd|mxn|gbp|руб\.?)")
_AMOUNT = re.compile(r"[+-]?(\d[\d.,]*)")


# Which currency a mark typed with an amount names ("kr" is the Danish krone here).
_MARK_CURRENCY: dict[str, str] = {
    "€": "EUR",
    "eur": "EUR",
    "$": "USD",
    "usd": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "₽": "RUB",
    "rub": "RUB",
    "руб": "RUB",
    "руб.": "RUB",
    "kr": "DKK",
    "kr.": "DKK",
    "dkk": "DKK",
    "mxn": "MXN",
}


def currency_of(text: str) -> str | None:
    """The ISO currency named by a mark in an amount as typed ("20 kr" → "DKK"), or
    None when it names none."""
    found = _CURRENCY_MARKS.search(text)
    return _MARK_CURRENCY.get(found.group(1).lower()) if found else None


def parse_amount(text: str) -> Decimal:
    """Parse "12.50", "12,50", "1.234,50", "1,234.50" or "€ 7"; ValueError otherwise.

    With both marks present the later one is the decimal mark. A lone mark followed by
    exactly three digits, or a mark that repeats, separates thousands.
    """
    raw = _CURRENCY_MARKS.sub("", text.strip())
    raw = re.sub(r"[\s'\u00a0\u202f]", "", raw)
    if not _AMOUNT.fullmatch(raw):
        raise ValueError(f"not an amount: {text!r}")
    dot, comma = raw.rfind("."), raw.rfind(",")
    if dot >= 0 and comma >= 0:
        thousands = "," if dot > comma else "."
        raw = raw.replace(thousands, "").replace(",", ".")
    elif dot >= 0 or comma >= 0:
        mark = "." if dot >= 0 else ","
        if raw.count(mark) > 1 or len(raw) - raw.rfind(mark) - 1 == 3:
            raw = raw.replace(mark, "")
        else:
            raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValueError(f"not an amount: {text!r}")
    return value


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """Locale-aware money, e.g. "€ 12,50" for it, "12,50 €" for es, "kr. 12,50" for da."""
    return format_currency(amount, currency, locale=_babel_locale(locale))


def _babel_locale(language: str) -> str:
    return {"en": "en_GB", "it": "it_IT", "da": "da_DK", "ru": "ru_RU", "es": "es_ES"}.get(
        language.split("-")[0], "en_GB"
    )
