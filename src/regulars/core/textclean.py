"""Clean user text of any script: keep letters, marks and emoji, refuse control characters."""

from __future__ import annotations

import unicodedata

_ALLOWED_IN_MULTILINE = {"\n", "\t"}


def find_control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control (Cc), surrogate or private-use-area-free bad character, else None."""
    for ch in text:
        if multiline and ch in _ALLOWED_IN_MULTILINE:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in ("\u2028", "\u2029"):
            return ch
    return None


def normalize_text(text: str, *, multiline: bool = False) -> str:
    """NFC-normalise, unify newlines and trim. Does not remove anything meaningful."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not multiline:
        text = " ".join(text.split())
    return text.strip()
