"""The loyalty line of the counter's greeting card: the customer's usual rhythm, or that
they are overdue ("Overdue: usually every 5–7 days, last here 19 days ago"), from the
latest done snapshot. Registered by ``LoyaltyConfig.ready``; one indexed query.

A customer who came back after the snapshot is not overdue any more: the card says
their usual rhythm instead.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from regulars.accounts.models import Location
from regulars.customers.greeting import ASK, INFO, CardBuilder, CardPart, Hint
from regulars.customers.models import Customer
from regulars.loyalty.queries import current_standing
from regulars.loyalty.rhythm_text import local_days_between, overdue_line, usual_line

ORDER = 30  # after how they feel (feedback) and what they wait for (service)


def rhythm_part(customer: Customer, location: Location, now: datetime) -> CardPart | None:
    standing = current_standing(customer.pk)
    if standing is None:
        return None
    last = customer.last_visit_at or standing.last_visit_at
    came_back = last is not None and last > standing.snapshot.as_of
    if standing.overdue and not came_back and last is not None:
        text = overdue_line(
            gap_low=standing.gap_low,
            gap_high=standing.gap_high,
            days_away=local_days_between(last, now, location.timezone),
        )
        hint = Hint(kind="overdue", text=text, level=ASK)
    else:
        text = usual_line(
            weekdays=standing.weekdays,
            part_of_day=standing.part_of_day,
            gap_low=standing.gap_low,
            gap_high=standing.gap_high,
        )
        if not text:
            return None
        hint = Hint(kind="rhythm", text=text, level=INFO)
    return CardPart(key="rhythm", title=_("Their rhythm"), items=(hint,), order=ORDER)


PARTS: dict[str, CardBuilder] = {"rhythm": rhythm_part}
