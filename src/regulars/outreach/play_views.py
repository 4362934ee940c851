"""The manager's plays pages (``/outreach/plays/``): the plays by kind with last week's
figures, the form for a play and its arms, and a play's page — who would receive it
today, what the policy would hold back and why, the buttons to approve, pause and
resume, and the latest messages.

Who sees what: every page needs MANAGE_OUTREACH. ``plays.get_play_for`` decides which
plays a manager sees (those of their locations and those for every location);
``plays.may_change`` whether they may change one. Customers' names appear only for
the locations where the reader manages outreach. Thin: forms check, ``plays`` writes,
``planning`` previews, ``reasons`` phrases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from regulars.accounts.access import access_for, requires
from regulars.accounts.models import Location
from regulars.core.numbers import format_number
from regulars.core.permissions import Capability
from regulars.customers.models import Customer
from regulars.loyalty.display import day, money, when
from regulars.outreach import planning, plays, reasons, wording
from regulars.outreach.models import (
    Arm,
    ArmChannel,
    Channel,
    Message,
    MessageStatus,
    OccasionKind,
    Play,
    PlayKind,
    PlayStatus,
    VoucherKind,
)
from regulars.outreach.planning import PlayPreview
from regulars.outreach.play_forms import PlayForm, arm_forms, used_arms_valid
from regulars.outreach.wording.names import language_of

RECENT_MESSAGES = 30
PREVIEW_LIMIT = 200
WEEK_DAYS = 7


# --- in words -----------------------------------------------------------------------------


def audience_in_words(play: Play) -> str:
    """Who the play reaches, e.g. "Birthday, 3 days ahead" or "Customers away for 90
    days or more"."""
    params = play.params or {}
    if play.kind == PlayKind.OCCASION:
        occasion = str(OccasionKind(play.occasion).label) if play.occasion else _("An occasion")
        if play.lead_days:
            ahead = ngettext(
                "%(occasion)s, %(count)s day ahead",
                "%(occasion)s, %(count)s days ahead",
                play.lead_days,
            )
            return ahead % {"occasion": occasion, "count": play.lead_days}
        return _("%(occasion)s, on the day") % {"occasion": occasion}
    if play.kind == PlayKind.WELCOME:
        days = int(params.get("after_days", 0))
        return ngettext(
            "New customers, %(count)s day after their first visit",
            "New customers, %(count)s days after their first visit",
            days,
        ) % {"count": days}
    if play.kind == PlayKind.WIN_BACK and params.get("min_days"):
        days = int(params["min_days"])
        return ngettext(
            "Lapsed customers away for %(count)s day or more",
            "Lapsed customers away for %(count)s days or more",
            days,
        ) % {"count": days}
    if play.kind == PlayKind.THANK_YOU:
        milestones = ", ".join(format_number(m, 0) for m in params.get("milestones", []))
        return _("Customers reaching %(milestones)s visits") % {"milestones": milestones}
    return str(AUDIENCE_OF_KIND.get(play.kind, ""))


AUDIENCE_OF_KIND: dict[str, Any] = {
    PlayKind.CHECK_IN: gettext_lazy("Regulars overdue by their own rhythm"),
    PlayKind.WIN_BACK: gettext_lazy("Customers who stopped coming, by their own rhythm"),
    PlayKind.RECOVERY: gettext_lazy("Customers who were dissatisfied"),
}


def schedule_in_words(play: Play) -> str:
    where = play.location.name if play.location is not None else _("every location")
    parts = [
        _("at %(hour)s their time") % {"hour": f"{play.send_hour:02d}:00"},
        where,
    ]
    if play.holdout_percent:
        parts.append(_("%(percent)s %% kept as a control") % {"percent": play.holdout_percent})
    return " · ".join(parts)


def voucher_in_words(arm: Arm, currency: str) -> str:
    if arm.voucher_kind == VoucherKind.NONE:
        return _("no voucher")
    if arm.voucher_kind == VoucherKind.PERCENT:
        value = format_number(float(arm.voucher_value or 0), 0)
        gift = _("%(value)s %% off") % {"value": value}
    elif arm.voucher_kind == VoucherKind.AMOUNT:
        amount = arm.voucher_value or Decimal(0)
        shown = money(amount, currency) if currency else format_number(float(amount), 2)
        gift = _("%(amount)s off") % {"amount": shown}
    else:
        gift = arm.voucher_text
    if arm.voucher_text and arm.voucher_kind != VoucherKind.ITEM:
        gift = f"{gift} ({arm.voucher_text})"
    return ngettext(
        "%(gift)s, valid %(count)s day", "%(gift)s, valid %(count)s days", arm.voucher_days
    ) % {"gift": gift, "count": arm.voucher_days}


@dataclass(frozen=True)
class ArmLine:
    label: str
    channel: str
    voucher: str
    share: str  # "50 %"


def arm_lines(play: Play) -> list[ArmLine]:
    arms = list(play.arms.all())
    total = sum(arm.weight for arm in arms) or 1
    currency = play.location.currency if play.location is not None else ""
    return [
        ArmLine(
            label=arm.label,
            channel=str(ArmChannel(arm.channel).label),
            voucher=voucher_in_words(arm, currency),
            share=f"{format_number(100 * arm.weight / total, 0)} %",
        )
        for arm in arms
    ]


# --- the list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayRow:
    play: Play
    audience: str
    schedule: str
    sent: int
    held: int


@dataclass(frozen=True)
class KindGroup:
    kind: str
    label: str
    rows: list[PlayRow]


def week_start(today: date | None = None) -> date:
    """The first business day of "last week": the 7 days up to today."""
    return (today or timezone.localdate()) - timedelta(days=WEEK_DAYS - 1)


@requires(Capability.MANAGE_OUTREACH)
def play_list(request: HttpRequest) -> HttpResponse:
    """Every play the reader may see, by kind, with its status and last week's sent and
    held messages (at the reader's locations)."""
    managed = plays.managed_location_ids(request.user)
    recent = Q(messages__day__gte=week_start(), messages__location_id__in=managed)
    found = plays.plays_for(request.user).annotate(
        sent=Count("messages", filter=recent & Q(messages__status=MessageStatus.SENT)),
        held=Count("messages", filter=recent & Q(messages__status=MessageStatus.HELD)),
    )
    by_kind: dict[str, list[PlayRow]] = {kind: [] for kind in PlayKind.values}
    for play in found:
        by_kind[play.kind].append(
            PlayRow(
                play=play,
                audience=audience_in_words(play),
                schedule=schedule_in_words(play),
                sent=play.sent,
                held=play.held,
            )
        )
    groups = [
        KindGroup(kind=kind, label=str(PlayKind(kind).label), rows=rows)
        for kind, rows in by_kind.items()
        if rows
    ]
    return render(
        request,
        "outreach/play_list.html",
        {
            "groups": groups,
            "waiting": sum(row.play.status == PlayStatus.DRAFT for g in groups for row in g.rows),
        },
    )


# --- the form -----------------------------------------------------------------------------


def _form_page(request: HttpRequest, play: Play | None) -> HttpResponse:
    locations = access_for(request.user).locations_with(Capability.MANAGE_OUTREACH)
    everywhere = plays.manages_everywhere(request.user)
    if request.method == "POST":
        form = PlayForm(
            request.POST, locations=locations, everywhere=everywhere, fields_url=request.path
        )
        arms = arm_forms(request.POST, play)
        form_ok = form.is_valid()
        if used_arms_valid(arms) and form_ok:
            specs = [arm.spec() for arm in arms if arm.is_used()]
            try:
                saved = plays.save_play(actor=request.user, play=play, spec=form.spec(), arms=specs)
            except plays.PlayError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                if saved.status == PlayStatus.DRAFT:
                    note = _(
                        "The play “%(name)s” is saved. Look at who would receive it, then approve it."
                    )
                else:
                    note = _("The play “%(name)s” is saved.")
                messages.success(request, note % {"name": saved.name})
                return redirect("outreach:play", public_id=saved.public_id)
    else:
        initial = PlayForm.initial_for(play) if play is not None else {}
        if request.GET.get("kind") in PlayKind.values:
            initial["kind"] = request.GET["kind"]
        form = PlayForm(
            initial=initial, locations=locations, everywhere=everywhere, fields_url=request.path
        )
        arms = arm_forms(None, play)
    return render(
        request,
        "outreach/play_form.html",
        {
            "form": form,
            "arms": arms,
            "play": play,
            "approved": play is not None and play.status != PlayStatus.DRAFT,
        },
    )


@requires(Capability.MANAGE_OUTREACH)
def play_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@requires(Capability.MANAGE_OUTREACH)
def play_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    play = plays.get_play_for(request.user, public_id)
    if not plays.may_change(request.user, play):
        raise PermissionDenied
    return _form_page(request, play)


# --- a play -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldCount:
    code: str
    count: int
    label: str


@dataclass(frozen=True)
class PreviewLine:
    public_id: str
    name: str
    channel: str
    arm: str
    with_voucher: bool


@dataclass(frozen=True)
class PreviewView:
    """``planning.preview_play`` as the page shows it: the figures for everyone, the
    names only of customers at the reader's locations (``hidden`` counts the others)."""

    total: int
    receive: int
    holdout: int
    held: list[HeldCount]
    held_total: int
    lines: list[PreviewLine]
    hidden: int
    more: bool  # the list stops before everyone who would receive it


def preview_view(preview: PlayPreview, play: Play, user: Any) -> PreviewView:
    recipients = preview.recipients
    hidden = 0
    if play.location_id is None and not plays.manages_everywhere(user):
        managed = set(plays.managed_location_ids(user))
        homes = dict(
            Customer.objects.filter(pk__in=[r.customer_id for r in recipients]).values_list(
                "pk", "home_location_id"
            )
        )
        shown = [r for r in recipients if homes.get(r.customer_id) in managed]
        hidden, recipients = len(recipients) - len(shown), shown
    return PreviewView(
        total=preview.audience,
        receive=preview.queued,
        holdout=preview.holdout,
        held=[HeldCount(code, count, label) for code, count, label in preview.held_reasons()],
        held_total=preview.held_total,
        lines=[
            PreviewLine(
                public_id=r.public_id,
                name=r.name,
                channel=str(Channel(r.channel).label) if r.channel in Channel.values else "",
                arm=r.arm,
                with_voucher=r.with_voucher,
            )
            for r in recipients
        ],
        hidden=hidden,
        more=len(preview.recipients) < preview.queued,
    )


@dataclass(frozen=True)
class MessageLine:
    message: Message
    day: str
    status: str
    why: str  # the reason in words, for a held, failed or bounced message


def message_lines(play: Play, location_ids: list[int]) -> list[MessageLine]:
    """The play's latest messages at ``location_ids``, newest first."""

    found = (
        Message.objects.filter(play=play, location_id__in=location_ids)
        .select_related("customer", "arm", "location")
        .order_by("-created_at", "-id")[:RECENT_MESSAGES]
    )
    return [
        MessageLine(
            message=message,
            day=day(message.day),
            status=str(MessageStatus(message.status).label),
            why=reasons.describe(message.reason, message.reason_params or {})
            if message.reason
            else "",
        )
        for message in found
    ]


@dataclass(frozen=True)
class Reading:
    """What one recipient of the preview would read (without the voucher's code)."""

    name: str
    channel: str
    subject: str
    body: str
    # The wording it comes from, for the editor's link.
    purpose: str
    channel_code: str
    language: str


def reading_for(play: Play, preview: PlayPreview, line: PreviewLine) -> Reading | None:
    """The message ``line``'s customer would receive today, rendered as the sender will
    (their language, the manager's template or the built-in wording). Nothing is saved."""
    customer = (
        Customer.objects.select_related("home_location").filter(public_id=line.public_id).first()
    )
    recipient = next((r for r in preview.recipients if r.public_id == line.public_id), None)
    arm = next((a for a in play.arms.all() if a.label == line.arm), None)
    if customer is None or recipient is None:
        return None
    location = play.location or customer.home_location or Location.objects.order_by("pk").first()
    if location is None:
        return None
    draft = Message(
        play=play,
        arm=arm,
        customer=customer,
        location=location,
        day=preview.day,
        occasion=play.occasion,
        occasion_on=preview.day + timedelta(days=play.lead_days) if play.occasion else None,
        channel=recipient.channel,
        with_voucher=recipient.with_voucher,
    )
    shown = wording.render(draft, None)
    return Reading(
        name=line.name,
        channel=line.channel,
        subject=shown.subject,
        body=shown.body,
        purpose=wording.purpose_of(draft),
        channel_code=recipient.channel,
        language=language_of(customer.language, location.language),
    )


@requires(Capability.MANAGE_OUTREACH)
def play_detail(request: HttpRequest, public_id: str) -> HttpResponse:

    play = plays.get_play_for(request.user, public_id)
    managed = plays.managed_location_ids(request.user)
    preview = planning.preview_play(play, limit=PREVIEW_LIMIT)
    shown = preview_view(preview, play, request.user)
    asked = request.GET.get("read", "")
    line = next((line for line in shown.lines if line.public_id == asked), None)
    return render(
        request,
        "outreach/play_detail.html",
        {
            "play": play,
            "audience": audience_in_words(play),
            "schedule": schedule_in_words(play),
            "arm_lines": arm_lines(play),
            "can_change": plays.may_change(request.user, play),
            "preview": shown,
            "reading": reading_for(play, preview, line) if line is not None else None,
            "recent": message_lines(play, managed),
            "approved_when": when(
                play.approved_at, play.location.timezone if play.location else "UTC"
            )
            if play.approved_at
            else "",
            "deletable": play.status == PlayStatus.DRAFT
            and not Message.objects.filter(play=play).exists(),
            "today": day(preview.day),
        },
    )


def _moved(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    play = plays.get_play_for(request.user, public_id)
    if not plays.may_change(request.user, play):
        raise PermissionDenied
    try:
        MOVE_FUNCTIONS[action](play, request.user)
    except plays.PlayError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(MOVE_DONE[action]) % {"name": play.name})
    return redirect("outreach:play", public_id=play.public_id)


MOVE_FUNCTIONS = {"approve": plays.approve, "pause": plays.pause, "resume": plays.resume}
MOVE_DONE: dict[str, Any] = {
    "approve": gettext_lazy("“%(name)s” is approved: it runs from the next planning on."),
    "pause": gettext_lazy("“%(name)s” is paused: nothing new is planned for it."),
    "resume": gettext_lazy("“%(name)s” runs again."),
}


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def play_approve(request: HttpRequest, public_id: str) -> HttpResponse:
    return _moved(request, public_id, "approve")


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def play_pause(request: HttpRequest, public_id: str) -> HttpResponse:
    return _moved(request, public_id, "pause")


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def play_resume(request: HttpRequest, public_id: str) -> HttpResponse:
    return _moved(request, public_id, "resume")


@requires(Capability.MANAGE_OUTREACH)
@require_POST
def play_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    """Delete a draft that never planned a message, once the box confirming it is ticked."""
    play = plays.get_play_for(request.user, public_id)
    if not plays.may_change(request.user, play):
        raise PermissionDenied
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the play should be deleted."))
        return redirect("outreach:play", public_id=play.public_id)
    try:
        plays.delete(play, request.user)
    except plays.PlayError as error:
        messages.error(request, str(error))
        return redirect("outreach:play", public_id=play.public_id)
    messages.success(request, _("The play “%(name)s” is deleted.") % {"name": play.name})
    return redirect("outreach:plays")
