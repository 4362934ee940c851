"""The contact-pressure policy: may this customer get this message, by this channel,
now? One set of rules (``RULES``) serves two paths:

- the planner asks for many customers at once (``load_facts`` reads what the rules
  need for a set of customers in a fixed number of set queries, and ``decide`` applies
  the rules to numpy arrays);
- the sender asks for one customer right before sending (``channel_allowed``), and the
  lower apps through ``core.contact`` (``contact_guard``), which load the same facts for
  that one customer and apply the same rules.

The rules, in order (the first that holds says why, with a code of ``reasons``):

a. consent for the channel in force (e-mail → e-mail consent, text → SMS consent,
   card → post consent, call → phone consent); "unsubscribed" when every channel's
   latest decision is a refusal;
b. an address for the channel (e-mail; a mobile number for texts; any number for a
   call; a postal address for a card), one that has not bounced (``Bounce`` for that
   very address: a new address is tried again);
c. no complaint of theirs open and no service recovery under way (a detractor not yet
   recovered), except for the recovery play itself;
d. the budget: fewer than ``max_per_30_days`` touches in the 30 days up to the day
   (that day included), and none on the day itself. A touch is any outgoing contact:
   an outreach message sent or on its way (``COUNTED``), a survey e-mail (not failed),
   a follow-up call made. A holdout message takes its day (the control group stands for
   "would have been contacted") but not the budget.

Gifts are not a hold: "no gifts" sends without a voucher; "just words" sends without a
voucher and turns a card or a call into an e-mail or a text (``resolve_channels``).
Quiet hours are not a hold either: ``send_time`` moves the send time out of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from regulars.core.contact import register_guard
from regulars.core.localtime import zone
from regulars.customers.models import Customer
from regulars.outreach import reasons
from regulars.outreach.models import Message, OutreachPolicy, Play, PlayKind
from regulars.outreach.policy.facts import (
    CALL,
    CARD,
    CHANNELS,
    COLUMN,
    EMAIL,
    IN_CHUNK,
    SMS,
    Facts,
    Zones,
    bounced_addresses,
    ids_in,
    load_facts,
    open_complaints,
    open_recoveries,
    pick_number,
    texts_in,
)
from regulars.outreach.policy.rules import (
    CODES,
    PER_CHANNEL,
    PER_PERSON,
    RULES,
    Ask,
    Held,
    current,
    decide,
    params,
    resolve_channels,
    with_voucher,
)

# --- One customer ----------------------------------------------------------------------------


def _one(customer: Customer, now: datetime, exclude: int | None) -> Facts:
    """The facts of one customer for their local day at ``now``."""
    zones = Zones.load()
    z = zones.of_location.get(customer.home_location_id or 0, 0)
    day = now.astimezone(zone(zones.names[z])).date()
    return load_facts([customer.pk], day=day, zones=zones, same_day=True, exclude_message=exclude)


def channel_allowed(
    customer: Customer,
    channel: str,
    *,
    now: datetime | None = None,
    message: Message | None = None,
    exempt: bool = False,
) -> Held | None:
    """Why ``customer`` may not get a message by ``channel`` (a ``Channel`` value) now,
    or None. ``message``: the message about to be sent — it is not counted against
    itself, and a recovery play's message is exempt from suppression (``exempt`` says
    so without a message)."""
    moment = now or timezone.now()
    facts = _one(customer, moment, message.pk if message is not None else None)
    if message is not None:
        exempt = exempt or Play.objects.filter(pk=message.play_id, kind=PlayKind.RECOVERY).exists()
    ask = Ask(
        rows=np.zeros(1, dtype=np.int64),
        channel=np.array([COLUMN[channel]], dtype=np.int8),
        exempt=np.array([exempt]),
        limit=current().max_per_30_days,
    )
    code = int(decide(facts, ask)[0])
    return None if code < 0 else Held(CODES[code], params(facts, ask, 0, code))


def address_for(customer: Customer, channel: str) -> str:
    """Where a message by ``channel`` goes: the e-mail, the mobile (a text), a number
    (a call, mobile first), the postal address (a card); "" when there is none that has
    not bounced."""
    column = COLUMN[channel]
    bounced = bounced_addresses(np.array([customer.pk], dtype=np.int64))[column].get(
        customer.pk, set()
    )
    if column == EMAIL:
        email = customer.email.strip()
        return email if email and email.lower() not in bounced else ""
    if column == CARD:
        post = customer.postal_address.strip()
        return post if post and post not in bounced else ""
    phones = list(customer.phones.order_by("id").values_list("number", "label"))
    return pick_number(phones, bounced, column)


def contact_guard(customer: Any, *, now: datetime, purpose: str) -> str | None:
    """``core.contact``'s guard: the budget and suppression rules for any touch (a
    survey e-mail, ...), as a sentence in the active language, or None."""
    if getattr(customer, "pk", None) is None:
        return None
    facts = _one(customer, now, None)
    ask = Ask(
        rows=np.zeros(1, dtype=np.int64),
        channel=np.zeros(1, dtype=np.int8),
        exempt=np.zeros(1, dtype=bool),
        limit=current().max_per_30_days,
    )
    code = int(decide(facts, ask, PER_PERSON)[0])
    return None if code < 0 else reasons.describe(CODES[code], params(facts, ask, 0, code))


def install_guard() -> None:
    """Make every lower app's contact ask this policy (from ``OutreachConfig.ready``)."""
    register_guard(contact_guard)


# --- Quiet hours ------------------------------------------------------------------------------


def is_quiet(clock: time, start: time, end: time) -> bool:
    """Whether a local wall-clock time falls in the quiet hours [start, end), which may
    cross midnight (20:00–09:00); start == end: no quiet hours."""
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def send_time(day: date, hour: int, tz_name: str, rules: OutreachPolicy, now: datetime) -> datetime:
    """When a message planned for ``day`` at local ``hour`` may go (UTC): in quiet hours
    it moves to their end on the same day (a birthday greeting stays on the birthday,
    never late in the evening); planned late, it goes now, or when quiet hours end."""
    tz = zone(tz_name)
    local = datetime.combine(day, time(min(max(hour, 0), 23)), tzinfo=tz)
    if is_quiet(local.timetz().replace(tzinfo=None), rules.quiet_start, rules.quiet_end):
        local = datetime.combine(day, rules.quiet_end, tzinfo=tz)
    if local >= now:
        return local.astimezone(UTC)
    return out_of_quiet(now, tz_name, rules)


def out_of_quiet(moment: datetime, tz_name: str, rules: OutreachPolicy) -> datetime:
    """``moment`` (UTC), or the end of the quiet hours it falls in, in ``tz_name``. The
    sender asks it again right before sending: a worker that was down all day, or a
    retry that comes due at night, does not send in quiet hours."""
    tz = zone(tz_name)
    local = moment.astimezone(tz)
    if not is_quiet(local.time(), rules.quiet_start, rules.quiet_end):
        return moment.astimezone(UTC)
    end = datetime.combine(local.date(), rules.quiet_end, tzinfo=tz)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), rules.quiet_end, tzinfo=tz)
    return end.astimezone(UTC)


__all__ = [
    "CALL",
    "CARD",
    "CHANNELS",
    "CODES",
    "COLUMN",
    "EMAIL",
    "IN_CHUNK",
    "PER_CHANNEL",
    "PER_PERSON",
    "RULES",
    "SMS",
    "Ask",
    "Facts",
    "Held",
    "Zones",
    "address_for",
    "channel_allowed",
    "contact_guard",
    "current",
    "decide",
    "ids_in",
    "install_guard",
    "is_quiet",
    "load_facts",
    "open_complaints",
    "open_recoveries",
    "out_of_quiet",
    "params",
    "pick_number",
    "resolve_channels",
    "send_time",
    "texts_in",
    "with_voucher",
]
