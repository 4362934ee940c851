"""The rules themselves (``RULES``, in order), applied to ``Facts`` rows at once
(``decide``), the figures of a held row's sentence (``params``), and how an arm's
channel is chosen per customer (``resolve_channels``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from regulars.outreach import reasons
from regulars.outreach.models import ArmChannel, OutreachPolicy
from regulars.outreach.policy.facts import (
    BOUNCED,
    CHANNELS,
    COLUMN,
    CONSENT_OF,
    EMAIL,
    JUST_WORDS,
    NONE,
    SMS,
    WELCOME_GIFTS,
    Facts,
)


def current() -> OutreachPolicy:
    """The business's policy row (created with the defaults on first use)."""
    found = OutreachPolicy.objects.order_by("pk").first()
    return found if found is not None else OutreachPolicy.objects.create()


@dataclass(frozen=True)
class Held:
    """Why a message may not go: a ``reasons`` code and its figures."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return reasons.describe(self.code, self.params)


# --- The rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """Who asks for what: rows of ``Facts``, the channel column for each, whether each
    is exempt from suppression (the recovery play), and the budget."""

    rows: np.ndarray
    channel: np.ndarray
    exempt: np.ndarray
    limit: int


@dataclass(frozen=True)
class Rule:
    code: str
    per_channel: bool  # decided by the channel (consent, address) or by the person
    holds: Callable[[Facts, Ask], np.ndarray]


RULES: tuple[Rule, ...] = (
    Rule(reasons.UNSUBSCRIBED, True, lambda f, a: (f.consent[a.rows] == 0).all(axis=1)),
    Rule(reasons.CONSENT, True, lambda f, a: f.consent[a.rows, CONSENT_OF[a.channel]] != 1),
    Rule(reasons.NO_ADDRESS, True, lambda f, a: f.reach[a.rows, a.channel] == NONE),
    Rule(reasons.BOUNCED, True, lambda f, a: f.reach[a.rows, a.channel] == BOUNCED),
    Rule(reasons.COMPLAINT, False, lambda f, a: f.complaint[a.rows] & ~a.exempt),
    Rule(reasons.DETRACTOR, False, lambda f, a: f.detractor[a.rows] & ~a.exempt),
    Rule(reasons.BUDGET, False, lambda f, a: f.touches[a.rows] >= a.limit),
    Rule(reasons.TODAY, False, lambda f, a: f.today[a.rows]),
)
CODES: tuple[str, ...] = tuple(rule.code for rule in RULES)
PER_CHANNEL = tuple(rule for rule in RULES if rule.per_channel)
PER_PERSON = tuple(rule for rule in RULES if not rule.per_channel)


def decide(f: Facts, ask: Ask, rules: Sequence[Rule] = RULES) -> np.ndarray:
    """The first rule that holds for each asked row, as an index into ``CODES``
    (-1: allowed)."""
    out = np.full(ask.rows.size, -1, dtype=np.int8)
    for rule in rules:
        open_rows = out < 0
        if not open_rows.any():
            break
        out[open_rows & rule.holds(f, ask)] = CODES.index(rule.code)
    return out


def params(f: Facts, ask: Ask, i: int, code: int) -> dict[str, Any]:
    """The figures a held row's sentence needs."""
    name = CODES[code]
    if name == reasons.BUDGET:
        return {"count": int(f.touches[ask.rows[i]]), "limit": ask.limit}
    if RULES[code].per_channel:
        return {"channel": CHANNELS[int(ask.channel[i])]}
    return {}


def resolve_channels(f: Facts, rows: np.ndarray, arm_channel: str) -> np.ndarray:
    """The channel column each row is reached by on an arm: ``auto`` (and a card or a
    call for someone who wants "just words") takes e-mail when e-mail is allowed, else
    a text when that is, else e-mail (which then says why not)."""
    words = f.gifts[rows] == JUST_WORDS
    if arm_channel != ArmChannel.AUTO:
        fixed = np.full(rows.size, COLUMN[arm_channel], dtype=np.int8)
        if arm_channel not in (ArmChannel.CARD, ArmChannel.CALL) or not words.any():
            return fixed
    none = np.zeros(rows.size, dtype=bool)

    def reachable(column: int) -> np.ndarray:
        ask = Ask(rows, np.full(rows.size, column, dtype=np.int8), none, 0)
        return decide(f, ask, PER_CHANNEL) < 0

    auto = np.where(reachable(EMAIL) | ~reachable(SMS), EMAIL, SMS).astype(np.int8)
    return auto if arm_channel == ArmChannel.AUTO else np.where(words, auto, fixed)


def with_voucher(f: Facts, rows: np.ndarray) -> np.ndarray:
    """Whether a voucher may go with the message (not to "no gifts" or "just words")."""
    return np.asarray(f.gifts[rows] == WELCOME_GIFTS)
