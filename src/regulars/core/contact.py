"""May this customer be contacted now? A registry the lower apps consult before an
outgoing touch (a survey e-mail, say) and the higher apps fill.

The contact-pressure policy lives in ``outreach``, above every app that sends something
to customers; they cannot import it. Instead ``outreach`` registers a guard from its
``AppConfig.ready`` (``register_guard``), and a lower app asks ``contact_refusal``
before it writes to a customer. With no guard registered (an installation without
outreach, a unit test of a lower app), every contact is allowed.

A guard takes the customer, the moment and a short purpose ("survey", ...) and returns
why the customer must not be contacted, as a sentence in the active language, or None.
Registering the same function again changes nothing, so app reloads do not duplicate it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class Guard(Protocol):
    def __call__(self, customer: Any, *, now: datetime, purpose: str) -> str | None: ...


_GUARDS: list[Guard] = []


def register_guard(fn: Guard) -> None:
    """Consult ``fn`` before every contact (once, however often it is registered)."""
    if fn not in _GUARDS:
        _GUARDS.append(fn)


def unregister_guard(fn: Guard) -> None:
    """Stop consulting ``fn`` (tests that want a lower app on its own)."""
    if fn in _GUARDS:
        _GUARDS.remove(fn)


def contact_refusal(customer: Any, *, now: datetime, purpose: str) -> str | None:
    """Why ``customer`` must not be contacted at ``now`` for ``purpose``: the first
    guard's refusal, in the active language; None when every guard allows it."""
    for guard in tuple(_GUARDS):
        refusal = guard(customer, now=now, purpose=purpose)
        if refusal:
            return refusal
    return None


def guards() -> tuple[Callable[..., str | None], ...]:
    """The registered guards, in the order they are asked."""
    return tuple(_GUARDS)
