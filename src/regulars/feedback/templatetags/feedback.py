"""Template filters for feedback: ``{{ key|topic_label }}`` names a comment topic in the
active language."""

from __future__ import annotations

from django import template

from regulars.feedback.instruments import topic_label as _topic_label

register = template.Library()


@register.filter
def topic_label(key: str) -> str:
    return _topic_label(key)
