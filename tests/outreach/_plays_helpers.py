"""Helpers of the plays tests: a play's spec, a play made by the owner, a message as the
planner writes it, a page's text, the play form's data."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.utils import timezone

from regulars.outreach import plays
from regulars.outreach.models import (
    Message,
    MessageStatus,
    Play,
    PlayKind,
)
from regulars.outreach.plays import ArmSpec, PlaySpec
from tests.conftest import World

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def spec(**changes: Any) -> PlaySpec:
    values: dict[str, Any] = {
        "name": "Birthdays",
        "kind": PlayKind.OCCASION,
        "occasion": "birthday",
    }
    values.update(changes)
    return PlaySpec(**values)


def make_play(world: World, *, arms: int = 1, **changes: Any) -> Play:
    changes.setdefault("location", world.bologna)
    return plays.create_play(
        actor=world.users["owner"], spec=spec(**changes), arms=[ArmSpec()] * arms
    )


def message(play: Play, customer: Any, location: Any, **fields: Any) -> Message:
    """A message as the planner writes it (H4's planner is not needed for these pages)."""
    values: dict[str, Any] = {
        "key": f"{play.pk}:{customer.pk}:{Message.objects.count()}",
        "play": play,
        "customer": customer,
        "location": location,
        "day": timezone.localdate(),
        "status": MessageStatus.QUEUED,
    }
    values.update(fields)
    return Message.objects.create(**values)


def text_of(response: Any) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def play_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Birthdays",
        "kind": "occasion",
        "occasion": "birthday",
        "location": "",
        "lead_days": "0",
        "send_hour": "10",
        "holdout_percent": "10",
        "armA-channel": "auto",
        "armA-voucher_kind": "",
        "armA-voucher_days": "30",
        "armA-weight": "1",
    }
    data.update(changes)
    return data
