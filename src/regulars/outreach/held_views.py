"""What the contact-pressure policy held back (``/outreach/plays/held/``): the held
messages of the last days, newest first, each with its reason in words, and how many
were held for each reason.

Managers and owners only (MANAGE_OUTREACH), and only for the locations where they hold
it: a Bologna manager never sees a message to a Copenhagen customer. Thin: the form
picks the scope, ``reasons`` phrases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from regulars.accounts.access import access_for, requires
from regulars.core.permissions import Capability
from regulars.loyalty.display import day
from regulars.outreach import plays, reasons
from regulars.outreach.models import Message, MessageStatus
from regulars.outreach.play_forms import DAY_CHOICES, HELD_DAYS, HeldFilterForm

PAGE_SIZE = 50


@dataclass(frozen=True)
class HeldLine:
    message: Message
    day: str
    why: str


@dataclass(frozen=True)
class ReasonCount:
    code: str
    count: int
    label: str


def held_messages(location_ids: list[int], since: date) -> QuerySet[Message]:
    """Held messages planned for ``since`` or later at ``location_ids``, newest first."""
    return (
        Message.objects.filter(
            status=MessageStatus.HELD, location_id__in=location_ids, day__gte=since
        )
        .select_related("customer", "play", "location")
        .order_by("-day", "-id")
    )


@requires(Capability.MANAGE_OUTREACH)
def held_list(request: HttpRequest) -> HttpResponse:
    locations = access_for(request.user).locations_with(Capability.MANAGE_OUTREACH)
    scope = [loc.pk for loc in locations]
    visible_plays = plays.plays_for(request.user).prefetch_related(None).order_by("name", "id")
    earliest = timezone.localdate() - timedelta(days=max(DAY_CHOICES) - 1)
    codes = sorted(
        Message.objects.filter(status=MessageStatus.HELD, location_id__in=scope, day__gte=earliest)
        .exclude(reason="")
        .order_by()
        .values_list("reason", flat=True)
        .distinct()
    )
    data = request.GET.copy()
    data.setdefault("days", str(HELD_DAYS))
    form = HeldFilterForm(
        data,
        locations=locations,
        play_choices=[(play.public_id, play.name) for play in visible_plays],
        reason_choices=[(code, reasons.label(code)) for code in codes],
    )
    context: dict[str, Any] = {"form": form, "rows": [], "counts": []}
    if form.is_valid():
        since = timezone.localdate() - timedelta(days=form.chosen_days() - 1)
        chosen = [loc.pk for loc in form.chosen_locations()]
        rows = held_messages(chosen, since)
        if form.cleaned_data.get("play"):
            rows = rows.filter(play__public_id=form.cleaned_data["play"])
        counts = rows.order_by().values("reason").annotate(n=Count("id")).order_by("-n", "reason")
        if form.cleaned_data.get("reason"):
            rows = rows.filter(reason=form.cleaned_data["reason"])
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(
            {
                "page": page,
                "rows": [
                    HeldLine(
                        message=message,
                        day=day(message.day),
                        why=reasons.describe(message.reason, message.reason_params or {}),
                    )
                    for message in page.object_list
                ],
                "counts": [
                    ReasonCount(
                        code=row["reason"], count=row["n"], label=reasons.label(row["reason"])
                    )
                    for row in counts
                ],
                "total": sum(row["n"] for row in counts),
                "days": form.chosen_days(),
            }
        )
    return render(request, "outreach/held_list.html", context)
