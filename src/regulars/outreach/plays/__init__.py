"""Every write to plays and their arms, and the one permission-checked way to look a
play up.

A play runs only once a manager approved it. Any change to an approved (or paused)
play sends it back to draft and clears the approval: the manager looks at who would
receive it and approves again. States move only as ``MOVES`` says (approve a draft,
pause an approved play, resume a paused one); a draft nobody was ever contacted by may
be deleted.

Who may change what: MANAGE_OUTREACH (managers and owners). A play tied to one location
is seen and changed only by those who manage outreach there (to everyone else it does
not exist: 404). A play for every location is seen by every manager, and changed only
by someone who manages outreach at every location, since it writes to all their
customers.

Each function checks its input again, whatever the form did, and raises ``PlayError``
(a ``ValueError`` naming the field at fault) in the user's language; nothing is written
then. ``actor`` None is the system itself (demo data, a command): no permission check.
"""

from regulars.outreach.plays.rules import (
    DEFAULT_PARAMS,
    HOLDOUT_PERCENT,
    LABELS,
    LEAD_DAYS,
    MAX_ARMS,
    MAX_NAME,
    MAX_PER_30_DAYS,
    MAX_VOUCHER_TEXT,
    SEND_HOUR,
    VOUCHER_DAYS,
    WEIGHT,
    WELCOME_AFTER_DAYS,
    WINBACK_MIN_DAYS,
    ArmSpec,
    PlayError,
    PlaySpec,
)
from regulars.outreach.plays.services import (
    approve,
    create_play,
    delete,
    get_play_for,
    managed_location_ids,
    manages_everywhere,
    may_change,
    pause,
    plays_for,
    resume,
    save_play,
    set_arms,
    set_policy,
    update_play,
)

__all__ = [
    "DEFAULT_PARAMS",
    "HOLDOUT_PERCENT",
    "LABELS",
    "LEAD_DAYS",
    "MAX_ARMS",
    "MAX_NAME",
    "MAX_PER_30_DAYS",
    "MAX_VOUCHER_TEXT",
    "SEND_HOUR",
    "VOUCHER_DAYS",
    "WEIGHT",
    "WELCOME_AFTER_DAYS",
    "WINBACK_MIN_DAYS",
    "ArmSpec",
    "PlayError",
    "PlaySpec",
    "approve",
    "create_play",
    "delete",
    "get_play_for",
    "managed_location_ids",
    "manages_everywhere",
    "may_change",
    "pause",
    "plays_for",
    "resume",
    "save_play",
    "set_arms",
    "set_policy",
    "update_play",
]
