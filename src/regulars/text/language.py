"""Which of our five languages a free-text comment is written in.

``detect_language(text, fallback)`` returns an ISO 639-1 code: ``"en"``, ``"it"``,
``"da"``, ``"ru"`` or ``"es"``. ``fallback`` is what we already believe (the customer's
language) and wins whenever the text cannot outvote it:

- text whose letters are all Cyrillic is ``"ru"`` (the only Cyrillic language we serve),
  without asking the detector;
- text with fewer than ``MIN_LETTERS`` letters is too short for a reliable guess
  (lingua is unreliable under ~20 characters) and gives ``fallback``;
- otherwise lingua ranks the five languages; the top one is taken only when its
  confidence is at least ``MIN_CONFIDENCE`` and beats the runner-up *and* the fallback
  language by ``MIN_MARGIN``, else ``fallback``.

The detector knows only our five languages (~180 MB in memory rather than ~1 GB for all
75) and is built once per process, lazily, under a lock: the first call pays the
one-off load (well under a second with preloaded models), later calls are cheap
(thousands per second). ``load_detector()`` builds it ahead of time, e.g. at start-up.

No Django here (see ARCHITECTURE.md).
"""

from __future__ import annotations

import threading
from typing import Final

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

__all__ = ["LANGUAGES", "MIN_CONFIDENCE", "MIN_LETTERS", "MIN_MARGIN", "detect_language"]

LANGUAGES: Final[tuple[str, ...]] = ("en", "it", "da", "ru", "es")
MIN_LETTERS: Final = 20
MIN_CONFIDENCE: Final = 0.5
MIN_MARGIN: Final = 0.2

_LINGUA: Final[dict[Language, str]] = {
    Language.ENGLISH: "en",
    Language.ITALIAN: "it",
    Language.DANISH: "da",
    Language.RUSSIAN: "ru",
    Language.SPANISH: "es",
}

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def load_detector() -> LanguageDetector:
    """The process-wide detector, built on first use (thread-safe)."""
    global _detector
    detector = _detector
    if detector is None:
        with _lock:
            detector = _detector
            if detector is None:
                detector = (
                    LanguageDetectorBuilder.from_languages(*_LINGUA)
                    .with_preloaded_language_models()
                    .build()
                )
                _detector = detector
    return detector


def _script(text: str) -> tuple[int, int]:
    """(letters, Cyrillic letters) in ``text``."""
    letters = cyrillic = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if "\u0400" <= char <= "\u04ff":
                cyrillic += 1
    return letters, cyrillic


def detect_language(text: str, fallback: str) -> str:
    """The language of ``text`` as an ISO 639-1 code, or ``fallback`` when unsure.

    ``fallback`` is returned unchanged (even if it is not one of ``LANGUAGES``) for
    empty, short or ambiguous text.
    """
    letters, cyrillic = _script(text)
    if letters and cyrillic == letters:
        return "ru"
    if letters < MIN_LETTERS:
        return fallback
    values = load_detector().compute_language_confidence_values(text)
    if not values:
        return fallback
    top = values[0]
    code = _LINGUA[top.language]
    if code == fallback:
        return code
    runner_up = values[1].value if len(values) > 1 else 0.0
    fallback_value = next((v.value for v in values if _LINGUA[v.language] == fallback), 0.0)
    if top.value < MIN_CONFIDENCE or top.value - max(runner_up, fallback_value) < MIN_MARGIN:
        return fallback
    return code
