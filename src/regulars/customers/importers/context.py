"""What every row of one import run shares: where, who, when, and per-run caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from regulars.accounts.models import Location, Membership
from regulars.core.localtime import zone
from regulars.customers.importers.base import ImportKind


@dataclass
class ImportContext:
    kind: ImportKind
    location: Location
    actor: Any = None  # the user running the import, None from the command line
    dry_run: bool = False
    file_name: str = ""
    now: datetime = field(default_factory=timezone.now)
    # Locations a visit row may name (name or id, case-folded) -> Location.
    locations: dict[str, Location] = field(default_factory=dict)
    # Staff a visit row may name (username or full name, case-folded) -> user id.
    staff: dict[str, int] = field(default_factory=dict)
    # Tag name (case-folded) -> id, filled as tags are met.
    tag_ids: dict[str, int] = field(default_factory=dict)
    # Dry runs write nothing, so keys of rows that would have been created are
    # remembered here to count later rows of the same file as duplicates.
    seen: set[int] = field(default_factory=set)
    # Builds INSERT rows of new customers (services.CustomerRows), once per run.
    customer_rows: Any = None
    # Keys this run wrote into tables that were empty when it started
    # (services.WrittenKeys), while no other connection has written: dedupe lookups
    # then skip the keys it has certainly not written.
    written_keys: Any = None

    @property
    def region(self) -> str:
        return (self.location.country or "").upper()

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.location.timezone)

    @property
    def currency(self) -> str:
        return self.location.currency

    @property
    def actor_id(self) -> int | None:
        return self.actor.pk if getattr(self.actor, "is_authenticated", False) else None

    def load_visit_lookups(self, allowed_location_ids: list[int] | None) -> None:
        """Locations and staff that visit rows may name (only ``allowed`` ones, if given)."""
        locations = Location.objects.all()
        if allowed_location_ids is not None:
            locations = locations.filter(id__in=allowed_location_ids)
        for location in locations:
            self.locations.setdefault(location.name.casefold(), location)
            self.locations.setdefault(str(location.pk), location)
        user_ids = Membership.objects.filter(location__in=locations).values("user_id")
        for user in get_user_model().objects.filter(id__in=user_ids):
            for name in (user.get_username(), user.get_full_name(), user.first_name):
                if name.strip():
                    self.staff.setdefault(" ".join(name.split()).casefold(), user.pk)
