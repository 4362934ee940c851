"""Access control, in one place: the user's roles and the ``requires`` view decorator.

Every view in the app is wrapped in ``requires(capability)`` (or is one of the few
``login_not_required`` pages such as sign-in). ``tests/test_access.py`` walks the URL
configuration and fails on a view that declares neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from regulars.accounts.models import Location, Membership
from regulars.core.permissions import Capability, highest, role_allows

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


@dataclass(frozen=True)
class Access:
    """What one signed-in user may do: their role at each location."""

    roles: dict[int, str] = field(default_factory=dict)  # location id -> role

    @property
    def role(self) -> str | None:
        """The strongest role anywhere (None for an outsider)."""
        return highest(list(self.roles.values()))

    def can(self, capability: Capability, location_id: int | None = None) -> bool:
        if location_id is not None:
            return role_allows(self.roles.get(location_id), capability)
        return role_allows(self.role, capability)

    @property
    def location_ids(self) -> list[int]:
        return sorted(self.roles)

    def locations(self) -> list[Location]:
        return list(Location.objects.filter(id__in=self.roles))

    def locations_with(self, capability: Capability) -> list[Location]:
        """The user's locations where their role allows ``capability``, in name order."""
        return [loc for loc in self.locations() if self.can(capability, loc.pk)]


def chosen_location(request: HttpRequest, locations: list[Location], session_key: str) -> Location:
    """The location a page works at, among ``locations`` (the user's where the page's
    capability holds): the one asked for in ``location`` (and remembered in the session
    under ``session_key``), else the last one remembered, else the first. Asking for
    another location is refused; so is a user with none."""
    if not locations:
        raise PermissionDenied
    by_id = {str(loc.pk): loc for loc in locations}
    asked = request.GET.get("location") or request.POST.get("location") or ""
    if asked:
        if asked not in by_id:
            raise PermissionDenied
        request.session[session_key] = asked
        return by_id[asked]
    return by_id.get(str(request.session.get(session_key, "")), locations[0])


def access_for(user: Any) -> Access:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access()
    cached: Access | None = getattr(user, "_regulars_access", None)
    if cached is None:
        cached = Access(
            roles=dict(Membership.objects.filter(user=user).values_list("location_id", "role"))
        )
        user._regulars_access = cached
    return cached


def check(user: Any, capability: Capability, location_id: int | None = None) -> None:
    """Raise PermissionDenied unless ``user`` has ``capability`` (at ``location_id``)."""
    if not access_for(user).can(capability, location_id):
        raise PermissionDenied


def requires(capability: Capability) -> Callable[[V], V]:
    """Decorate a view: signed-in users holding ``capability`` pass, others get 403."""

    def decorate(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            check(request.user, capability)
            return view(request, *args, **kwargs)

        wrapper.required_capability = capability  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def signed_in(view: V) -> V:
    """Mark a view open to any signed-in user, with or without a role (sign-out,
    password, language). The login middleware still turns anonymous users away."""
    view.required_capability = None  # type: ignore[attr-defined]
    return view
