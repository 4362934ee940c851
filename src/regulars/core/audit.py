"""Writing the audit log. Call inside the transaction of the change it records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from regulars.core.models import AuditAction, AuditEntry


def record(
    *,
    actor: Any,
    action: AuditAction,
    subject: str,
    customer_ref: str = "",
    fields: Iterable[str] = (),
    detail: str = "",
) -> AuditEntry:
    """Append one audit entry. ``fields`` are field names, never values."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        subject=subject,
        customer_ref=customer_ref,
        fields=sorted(set(fields)),
        detail=detail[:200],
    )
