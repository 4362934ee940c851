"""Deciding one play's audience (``decide_play``: the policy, then the holdout and the
arms drawn per customer by ``draws``) and keeping one message per customer a day
across plays (``one_a_day``)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from regulars.outreach import policy, reasons
from regulars.outreach.audiences import Audience
from regulars.outreach.models import MessageStatus, Play, PlayKind, VoucherKind
from regulars.outreach.policy import CODES, PER_CHANNEL, PER_PERSON, Ask, Facts

QUEUED, HOLDOUT, HELD = 0, 1, 2
STATUS = (MessageStatus.QUEUED, MessageStatus.HOLDOUT, MessageStatus.HELD)
ANOTHER = len(CODES)  # the planner's own reason, after the policy's codes
CODE_NAMES = (*CODES, reasons.ANOTHER_FIRST)


# --- Holdout and arms ------------------------------------------------------------------------


def draws(public_id: str, salt: str, customers: np.ndarray) -> np.ndarray:
    """A uniform number in [0, 1) per customer, fixed by (play, salt, customer): a hash
    (SplitMix64's finaliser over the customer id and a seed from the play's public id),
    so a customer's group never depends on who else is in the audience."""
    seed = int.from_bytes(hashlib.sha256(f"{public_id}:{salt}".encode()).digest()[:8], "big")
    with np.errstate(over="ignore"):
        x = customers.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(seed)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / float(1 << 53))


@dataclass
class Decided:
    """One play's decisions, row for row with its audience."""

    audience: Audience
    rows: np.ndarray  # rows of the facts
    status: np.ndarray  # QUEUED | HOLDOUT | HELD
    code: np.ndarray  # index into CODE_NAMES for held rows, -1 otherwise
    channel: np.ndarray  # column of policy.CHANNELS
    arm: np.ndarray  # index into the play's arms, -1 for none
    voucher: np.ndarray  # bool
    winner: np.ndarray  # for ANOTHER: the index of the play that goes first
    replace: dict[int, int] = field(default_factory=dict)  # row → held message's pk

    @property
    def play(self) -> Play:
        return self.audience.play


def decide_play(audience: Audience, facts: Facts, limit: int) -> Decided:
    """The policy, the holdout and the arms for one play's audience."""
    play = audience.play
    arms = list(play.arms.all())
    rows = facts.rows(audience.customer)
    n = rows.size
    exempt = np.full(n, play.kind == PlayKind.RECOVERY)
    per_arm = np.stack([policy.resolve_channels(facts, rows, a.channel) for a in arms])
    code = np.full(n, -1, dtype=np.int8)
    failed = per_arm[0].copy()
    for channel in per_arm:  # reachable by every arm, or by none of them
        found = policy.decide(facts, Ask(rows, channel, exempt, limit), PER_CHANNEL)
        new = (code < 0) & (found >= 0)
        code[new], failed[new] = found[new], channel[new]
    person = policy.decide(facts, Ask(rows, per_arm[0], exempt, limit), PER_PERSON)
    code = np.where(code < 0, person, code)
    allowed = code < 0
    holdout = allowed & (
        draws(play.public_id, "holdout", audience.customer) * 100 < play.holdout_percent
    )
    weights = np.array([max(a.weight, 0) for a in arms], dtype=np.float64)
    cumulative = np.cumsum(weights if weights.sum() > 0 else np.ones(len(arms)))
    drawn = draws(play.public_id, "arm", audience.customer) * cumulative[-1]
    arm = np.minimum(np.searchsorted(cumulative, drawn, side="right"), len(arms) - 1)
    gives = np.array([a.voucher_kind != VoucherKind.NONE for a in arms])[arm]
    sent = allowed & ~holdout
    return Decided(
        audience=audience,
        rows=rows,
        status=np.where(allowed, np.where(holdout, HOLDOUT, QUEUED), HELD).astype(np.int8),
        code=code,
        channel=np.where(allowed, per_arm[arm, np.arange(n)], failed).astype(np.int8),
        arm=np.where(sent, arm, -1),
        voucher=sent & gives & policy.with_voucher(facts, rows),
        winner=np.full(n, -1, dtype=np.int32),
    )


def one_a_day(decided: Sequence[Decided]) -> None:
    """Keep one message per customer (the first play in ``decided`` order wins: they
    come sorted by priority); hold the others with ANOTHER and the winner's index."""
    parts = [(np.flatnonzero(d.status != HELD), i) for i, d in enumerate(decided) if d.status.size]
    if not parts:
        return
    customer = np.concatenate([decided[i].audience.customer[r] for r, i in parts])
    play = np.concatenate([np.full(r.size, i) for r, i in parts])
    row = np.concatenate([r for r, _i in parts])
    order = np.lexsort((row, play, customer))
    customer, play, row = customer[order], play[order], row[order]
    first = np.ones(customer.size, dtype=bool)
    first[1:] = customer[1:] != customer[:-1]
    winner_at = np.maximum.accumulate(np.where(first, np.arange(customer.size), 0))
    for i in np.unique(play[~first]).tolist():
        mine = ~first & (play == i)
        d = decided[i]
        lost = row[mine]
        d.status[lost], d.code[lost], d.arm[lost], d.voucher[lost] = HELD, ANOTHER, -1, False
        d.winner[lost] = play[winner_at[mine]]
