"""A fixed-window rate limit over Django's cache, for the public pages.

``allow("survey", client_ip, limit=60, window_s=60)`` is True while the address made at
most ``limit`` requests in the current window. With the default per-process cache the
limit holds per server process.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def allow(scope: str, who: str, *, limit: int, window_s: int = 60) -> bool:
    window = int(time.time() // window_s)
    key = f"ratelimit:{scope}:{who}:{window}"
    if cache.add(key, 1, timeout=window_s + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: a new window
        cache.add(key, 1, timeout=window_s + 1)
        return True
    return int(count) <= limit


def client_address(meta: dict[str, object]) -> str:
    """The client's address as the server saw it (a proxy in front sets REMOTE_ADDR
    through its own configuration, never from a header the client controls)."""
    return str(meta.get("REMOTE_ADDR") or "unknown")
