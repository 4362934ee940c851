"""Every write to plays, their arms and the contact budget, and the one
permission-checked way to look a play up (see the package's docstring for the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.accounts.access import access_for, check
from regulars.accounts.models import Location
from regulars.core import audit
from regulars.core.models import AuditAction
from regulars.core.permissions import Capability
from regulars.outreach import policy as outreach_policy
from regulars.outreach.models import Arm, Message, OutreachPolicy, Play, PlayStatus
from regulars.outreach.plays.rules import (
    MAX_PER_30_DAYS,
    MOVE_WORDS,
    MOVES,
    SEND_HOUR,
    ArmSpec,
    PlayError,
    PlaySpec,
    clean_arms,
    clean_play,
    whole_between,
)

# --- reading, with permissions ----------------------------------------------------------


def managed_location_ids(user: Any) -> list[int]:
    """The user's locations where they may manage outreach."""
    access = access_for(user)
    return [loc for loc in access.location_ids if access.can(Capability.MANAGE_OUTREACH, loc)]


def manages_everywhere(user: Any) -> bool:
    """True when ``user`` manages outreach at every location of the business."""
    managed = set(managed_location_ids(user))
    return bool(managed) and not Location.objects.exclude(pk__in=managed).exists()


def plays_for(user: Any) -> QuerySet[Play]:
    """The plays ``user`` may see: those of the locations where they manage outreach
    and those for every location, with their location and approver."""
    check(user, Capability.MANAGE_OUTREACH)
    return (
        Play.objects.filter(
            Q(location__isnull=True) | Q(location_id__in=managed_location_ids(user))
        )
        .select_related("location", "approved_by")
        .prefetch_related("arms")
    )


def get_play_for(user: Any, public_id: str) -> Play:
    """The play ``public_id`` if ``user`` may see it; else 404, so a play of a location
    they do not manage is not even confirmed to exist."""
    found = plays_for(user).filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


def may_change(user: Any, play: Play) -> bool:
    """True when ``user`` may change, approve, pause or delete ``play``."""
    if play.location_id is None:
        return manages_everywhere(user)
    return access_for(user).can(Capability.MANAGE_OUTREACH, play.location_id)


def _check_place(actor: Any, location: Location | None) -> None:
    if actor is None:
        return
    check(actor, Capability.MANAGE_OUTREACH)
    if location is None:
        if not manages_everywhere(actor):
            raise PlayError(
                _("Only someone who manages every location can run a play for every location."),
                "location",
            )
    else:
        check(actor, Capability.MANAGE_OUTREACH, location.pk)


# --- writing ------------------------------------------------------------------------------


def _locked(play: Play) -> Play:
    """Lock the play's row until the transaction ends (two managers approving or
    editing at once apply one after the other) and read its current values."""
    play.refresh_from_db(from_queryset=Play.objects.select_for_update())
    return play


def _back_to_draft(play: Play) -> list[str]:
    """Clear the approval of a changed play; the fields this touched."""
    if play.status == PlayStatus.DRAFT:
        return []
    play.status = PlayStatus.DRAFT
    play.approved_by = None
    play.approved_at = None
    return ["status", "approved_by", "approved_at"]


def _record(actor: Any, action: AuditAction, play: Play, fields: Sequence[str] = ()) -> None:
    audit.record(
        actor=actor,
        action=action,
        subject="play",
        fields=fields,
        detail=f"{play.public_id} {play.status} {play.name}",
    )


@transaction.atomic
def create_play(*, actor: Any, spec: PlaySpec, arms: Sequence[ArmSpec] = ()) -> Play:
    """Add a play, as a draft, with its arms (labelled A, B, … in order)."""
    values = clean_play(spec)
    arm_values = clean_arms(arms)
    _check_place(actor, spec.location)
    now = timezone.now()
    play = Play.objects.create(**values, status=PlayStatus.DRAFT, created_at=now, updated_at=now)
    Arm.objects.bulk_create([Arm(play=play, **one) for one in arm_values])
    _record(actor, AuditAction.CREATE, play, [*values, *(["arms"] if arm_values else [])])
    return play


@transaction.atomic
def update_play(play: Play, *, actor: Any, spec: PlaySpec) -> Play:
    """Change a play's audience, schedule or holdout. The actor must manage both where
    it applied and where it will. A change to an approved or paused play sends it back
    to draft; saving it unchanged changes nothing."""
    values = clean_play(spec)
    _check_place(actor, play.location)
    _check_place(actor, spec.location)
    _locked(play)
    changed = [name for name, value in values.items() if getattr(play, name) != value]
    if not changed:
        return play
    for name in changed:
        setattr(play, name, values[name])
    play.updated_at = timezone.now()
    touched = [*changed, *_back_to_draft(play), "updated_at"]
    play.save(update_fields=touched)
    _record(actor, AuditAction.CHANGE, play, changed)
    return play


@transaction.atomic
def set_arms(play: Play, arms: Sequence[ArmSpec], *, actor: Any) -> list[Arm]:
    """Replace a play's arms with ``arms`` (labelled A, B, … in order; at most
    ``MAX_ARMS``). An arm keeps its row while its label stays, so the messages it sent
    stay counted in the experiment; an arm that already reached customers cannot be
    removed. A change to an approved or paused play sends it back to draft."""
    wanted = clean_arms(arms)
    _check_place(actor, play.location)
    _locked(play)
    existing = {arm.label: arm for arm in Arm.objects.filter(play=play)}
    keep = {one["label"] for one in wanted}
    dropped = [arm for label, arm in sorted(existing.items()) if label not in keep]
    used = sorted(set(Message.objects.filter(arm__in=dropped).values_list("arm__label", flat=True)))
    if used:
        raise PlayError(
            _(
                "Arm %(label)s has already reached customers, so it stays: its results "
                "belong to the experiment. To try other gestures, pause this play and "
                "start a new one."
            )
            % {"label": used[0]}
        )
    changed = bool(dropped)
    result: list[Arm] = []
    for one in wanted:
        arm = existing.get(one["label"])
        if arm is None:
            arm = Arm.objects.create(play=play, **one)
            changed = True
        else:
            differs = [name for name, value in one.items() if getattr(arm, name) != value]
            if differs:
                for name in differs:
                    setattr(arm, name, one[name])
                arm.save(update_fields=differs)
                changed = True
        result.append(arm)
    if dropped:
        Arm.objects.filter(pk__in=[arm.pk for arm in dropped]).delete()
    if changed:
        play.updated_at = timezone.now()
        play.save(update_fields=[*_back_to_draft(play), "updated_at"])
        _record(actor, AuditAction.CHANGE, play, ["arms"])
    return result


def _move(play: Play, actor: Any, action: str) -> Play:
    sources, target = MOVES[action]
    _check_place(actor, play.location)
    _locked(play)
    if play.status not in sources:
        raise PlayError(
            _("This play is “%(status)s”: it cannot be %(done)s now.")
            % {"status": PlayStatus(play.status).label, "done": MOVE_WORDS[action]}
        )
    if action == "approve" and not Arm.objects.filter(play=play).exists():
        raise PlayError(_("Add at least one arm (how the play reaches customers) first."))
    play.status = target
    fields = ["status", "updated_at"]
    if action == "approve":
        play.approved_by = actor if getattr(actor, "is_authenticated", False) else None
        play.approved_at = timezone.now()
        fields += ["approved_by", "approved_at"]
    play.updated_at = timezone.now()
    play.save(update_fields=fields)
    _record(actor, AuditAction.CHANGE, play, ["status"])
    return play


@transaction.atomic
def approve(play: Play, actor: Any) -> Play:
    """Approve a draft: it runs from the next planning on. Records who and when; a play
    without arms is refused."""
    return _move(play, actor, "approve")


@transaction.atomic
def pause(play: Play, actor: Any) -> Play:
    """Stop planning an approved play; messages already queued still go out."""
    return _move(play, actor, "pause")


@transaction.atomic
def resume(play: Play, actor: Any) -> Play:
    """Run a paused play again under its approval (unchanged since: a change would
    have sent it back to draft)."""
    return _move(play, actor, "resume")


@transaction.atomic
def delete(play: Play, actor: Any) -> None:
    """Delete a draft that never planned a message. Others keep their history: pause
    them instead."""
    _check_place(actor, play.location)
    _locked(play)
    if play.status != PlayStatus.DRAFT:
        raise PlayError(_("Only a draft can be deleted; pause this play instead."))
    if Message.objects.filter(play=play).exists():
        raise PlayError(
            _("This play has already planned messages, so it is kept with them: pause it instead.")
        )
    _record(actor, AuditAction.DELETE, play)
    play.delete()


# --- the contact budget -------------------------------------------------------------------


@transaction.atomic
def set_policy(
    *, actor: Any, max_per_30_days: int, quiet_start: time, quiet_end: time, plan_hour: int
) -> OutreachPolicy:
    """Set the business's contact budget: at most ``max_per_30_days`` messages per
    customer in any 30 days (1–10), none between ``quiet_start`` and ``quiet_end`` in
    the customer's time zone (may wrap past midnight; they must differ), and the day's
    planning at ``plan_hour`` (0–23). Applies to messages planned from now on."""
    if actor is not None:
        check(actor, Capability.MANAGE_OUTREACH)
    most = whole_between(
        max_per_30_days,
        MAX_PER_30_DAYS,
        _("From %(low)s to %(high)s messages in 30 days."),
        "max_per_30_days",
    )
    for value, name in ((quiet_start, "quiet_start"), (quiet_end, "quiet_end")):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise PlayError(_("Give a time such as 20:00."), name)
    start = quiet_start.replace(second=0, microsecond=0)
    end = quiet_end.replace(second=0, microsecond=0)
    if start == end:
        raise PlayError(_("The quiet hours must end at another time than they start."), "quiet_end")
    hour = whole_between(
        plan_hour, SEND_HOUR, _("The hour is from %(low)s to %(high)s."), "plan_hour"
    )
    policy = outreach_policy.current()
    policy.refresh_from_db(from_queryset=OutreachPolicy.objects.select_for_update())
    policy.max_per_30_days, policy.quiet_start, policy.quiet_end = most, start, end
    policy.plan_hour = hour
    policy.updated_at = timezone.now()
    policy.save(
        update_fields=["max_per_30_days", "quiet_start", "quiet_end", "plan_hour", "updated_at"]
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE,
        subject="outreach_policy",
        fields=["max_per_30_days", "quiet_start", "quiet_end", "plan_hour"],
        detail=f"{most} per 30 days, quiet {start:%H:%M}-{end:%H:%M}, plan at {hour}",
    )
    return policy


@transaction.atomic
def save_play(*, actor: Any, play: Play | None, spec: PlaySpec, arms: Sequence[ArmSpec]) -> Play:
    """The play form's one write: create a play with its arms, or change one and its
    arms together (both or neither)."""
    if play is None:
        return create_play(actor=actor, spec=spec, arms=arms)
    update_play(play, actor=actor, spec=spec)
    set_arms(play, arms, actor=actor)
    return play
