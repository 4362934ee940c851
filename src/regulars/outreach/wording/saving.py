"""Saving and resetting a manager's template (the only writes of the wording)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.core import audit
from regulars.core.models import AuditAction
from regulars.outreach.models import Template


class TemplateProblems(ValueError):
    """The template did not pass ``wording.check``; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def save_template(
    *, purpose: str, channel: str, language: str, subject: str, body: str, by: Any
) -> Template:
    """Store the manager's wording for (purpose, channel, language), replacing theirs;
    refused with ``TemplateProblems`` when ``check`` finds anything."""
    from regulars.outreach.wording import check

    problems = check(subject, body, channel=channel, language=language, purpose=purpose)
    if problems:
        raise TemplateProblems(problems)
    with transaction.atomic():
        template, created = Template.objects.update_or_create(
            purpose=purpose,
            channel=channel,
            language=language,
            defaults={
                "subject": subject.strip() if channel == "email" else "",
                "body": body.replace("\r\n", "\n").strip(),
                "updated_by": by if getattr(by, "is_authenticated", False) else None,
                "updated_at": timezone.now(),
            },
        )
        audit.record(
            actor=by,
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            subject="outreach_template",
            fields=["subject", "body"],
            detail=str(template),
        )
    return template


def reset_template(*, purpose: str, channel: str, language: str, by: Any) -> bool:
    """Back to the built-in wording; False when there was no template of their own."""
    with transaction.atomic():
        deleted, _rows = Template.objects.filter(
            purpose=purpose, channel=channel, language=language
        ).delete()
        if deleted:
            audit.record(
                actor=by,
                action=AuditAction.DELETE,
                subject="outreach_template",
                detail=f"{purpose}/{channel}/{language}",
            )
    return bool(deleted)
