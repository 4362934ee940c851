"""Links staff may need right after logging a visit (feedback's survey slip to print
with the receipt), offered by the apps above the service desk without the service
desk importing them: each registers a builder from its ``AppConfig.ready``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from regulars.service.models import Visit

log = logging.getLogger(__name__)

AfterVisitLink = tuple[str, str]  # (label, url)
AfterVisitBuilder = Callable[[Visit], AfterVisitLink | None]

_BUILDERS: dict[str, AfterVisitBuilder] = {}


def register_after_visit_link(key: str, builder: AfterVisitBuilder) -> None:
    """Offer a link after each logged visit; ``builder(visit)`` returns (label, url) or
    None. Registering the same key again replaces the builder."""
    _BUILDERS[key] = builder


def links_after(visit: Visit) -> list[AfterVisitLink]:
    """The links to show staff after ``visit`` was logged, in registration order. A
    builder that fails is logged and skipped: the visit is logged either way."""
    found: list[AfterVisitLink] = []
    for key, builder in list(_BUILDERS.items()):
        try:
            link = builder(visit)
        except Exception:  # a helper link must never break the counter
            log.exception("after-visit link %s failed for visit %s", key, visit.public_id)
            continue
        if link is not None:
            found.append(link)
    return found
