"""Tests of the pure analytics package: plain functions, no database."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


def assert_all_finite(result: Any) -> None:
    """Fail if any float anywhere in a (nested) result dataclass is NaN or infinite."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for f in dataclasses.fields(result):
            assert_all_finite(getattr(result, f.name))
    elif isinstance(result, tuple | list):
        for item in result:
            assert_all_finite(item)
    elif isinstance(result, float):
        assert math.isfinite(result), f"non-finite value {result!r}"
