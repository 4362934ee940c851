from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from regulars.accounts.access import access_for
from regulars.core.permissions import Capability


def membership(request: HttpRequest) -> dict[str, Any]:
    """``access`` and ``can`` for templates: show only what the user may use."""
    access = access_for(request.user)
    return {
        "access": access,
        "can": {cap.value: access.can(cap) for cap in Capability},
    }
