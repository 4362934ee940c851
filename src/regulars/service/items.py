"""Reading the item lines of a visit as typed at the counter: one item per line.

Accepted forms (quantity optional at the start, amount optional at the end)::

    2 x cappuccino 3,00
    2× cornetto
    tagliere misto 12.50
    1 pane

The amount of a line is what the line cost in total (not a unit price), read with
``regulars.core.money.parse_amount``. Pure: no database, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from regulars.core.money import parse_amount

MAX_QUANTITY = Decimal(9999)
MAX_DESCRIPTION = 200  # VisitLine.description
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class ItemLine:
    description: str
    quantity: Decimal
    amount: Decimal | None  # the line's total, in the visit's currency

    def as_tuple(self) -> tuple[str, Decimal, Decimal | None]:
        """The shape ``service.services.log_visit(lines=...)`` takes."""
        return (self.description, self.quantity, self.amount)


class ItemLineError(ValueError):
    """A line that cannot be read. ``line`` is 1-based among the typed lines (blank lines
    count, so it matches what the user sees); ``problem`` is one of the PROBLEM_* codes."""

    def __init__(self, line: int, problem: str, text: str) -> None:
        super().__init__(f"line {line}: {problem}: {text!r}")
        self.line = line
        self.problem = problem
        self.text = text


NO_DESCRIPTION = "no_description"
BAD_QUANTITY = "bad_quantity"
QUANTITY_RANGE = "quantity_range"
BAD_AMOUNT = "bad_amount"
NEGATIVE_AMOUNT = "negative_amount"
TOO_LONG = "too_long"
TOO_MANY = "too_many"

# A leading list bullet ("- ", "• ") is not part of the item.
_BULLET = re.compile(r"^[-•·*]\s+")
# "2 x ", "2x ", "2× ", "2×", "2 * ", "2 " (x also as Cyrillic х, as typed in Russian).
_QUANTITY = re.compile(
    r"^(?P<q>\d+(?:[.,]\d+)?)(?:\s*[xXхХ](?=\s)|\s*[×*])?\s+|^(?P<q2>\d+(?:[.,]\d+)?)\s*[×*]"
)
_MARKS = r"€|\$|£|₽|kr\.?|dkk|eur|rub|usd|mxn|gbp|руб\.?"
# The amount at the end of a line, with an optional currency mark before or after it.
_AMOUNT = re.compile(
    rf"(?:^|\s)(?P<a>(?:(?:{_MARKS})\s?)?[+-]?\d[\d.,]*(?:\s?(?:{_MARKS}))?)$",
    re.IGNORECASE,
)


def had_from(descriptions: list[str]) -> str:
    """The "what they had" a visit gets from its item lines when none was typed."""
    return ", ".join(descriptions)


def parse_item_lines(text: str) -> list[ItemLine]:
    """Every non-blank line of ``text`` as an ItemLine; ItemLineError on the first bad one.

    Quantity: > 0 and ≤ 9999, at most three decimals, default 1. The description must
    hold at least one letter (a line of bare numbers is a typing slip, not an item).
    """
    items: list[ItemLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if len(items) == MAX_LINES:
            raise ItemLineError(number, TOO_MANY, line)
        items.append(_parse_line(number, line))
    return items


def _parse_line(number: int, line: str) -> ItemLine:
    rest = _BULLET.sub("", line)
    quantity = Decimal(1)
    match = _QUANTITY.match(rest)
    if match:
        quantity = _quantity(number, line, match.group("q") or match.group("q2"))
        rest = rest[match.end() :].strip()
    amount: Decimal | None = None
    match = _AMOUNT.search(rest)
    if match and rest[: match.start()].strip():
        try:
            amount = parse_amount(match.group("a"))
        except ValueError as exc:
            raise ItemLineError(number, BAD_AMOUNT, line) from exc
        if amount < 0:
            raise ItemLineError(number, NEGATIVE_AMOUNT, line)
        rest = rest[: match.start()].strip()
    if not any(ch.isalpha() for ch in rest):
        raise ItemLineError(number, NO_DESCRIPTION, line)
    if len(rest) > MAX_DESCRIPTION:
        raise ItemLineError(number, TOO_LONG, line)
    return ItemLine(description=rest, quantity=quantity, amount=amount)


def _quantity(number: int, line: str, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only digits
        raise ItemLineError(number, BAD_QUANTITY, line) from exc
    if value != value.quantize(Decimal("0.001")):  # VisitLine.quantity has 3 decimals
        raise ItemLineError(number, BAD_QUANTITY, line)
    if not 0 < value <= MAX_QUANTITY:
        raise ItemLineError(number, QUANTITY_RANGE, line)
    return value
