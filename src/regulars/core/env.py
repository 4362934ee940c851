"""Typed readers for REGULARS_* environment variables.

Only ``regulars.settings`` calls these. Every reader fails loudly with
:class:`ImproperlyConfigured`-style :class:`EnvError` naming the variable and the
value it could not parse, so a typo never silently falls back to a default.
A ``NAME_FILE`` variant is honoured for secrets: the value is read from that file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A REGULARS_* variable holds a value that cannot be used."""


def _raw(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise EnvError(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return env.get(name)


def _parse(
    name: str,
    default: T,
    parse: Callable[[str], T],
    expected: str,
    environ: Mapping[str, str] | None,
) -> T:
    raw = _raw(name, environ)
    if raw is None:
        return default
    try:
        return parse(raw.strip())
    except (ValueError, TypeError) as exc:
        raise EnvError(f"{name}={raw!r} is not {expected}: {exc}") from exc


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    raw = _raw(name, environ)
    return default if raw is None else raw


def env_optional_str(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    raw = _raw(name, environ)
    return raw if raw else None


def _to_bool(raw: str) -> bool:
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("use one of 1/0, true/false, yes/no, on/off")


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    return _parse(name, default, _to_bool, "a boolean", environ)


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ValueError(f"must be at most {maximum}")
        return value

    return _parse(name, default, parse, "an integer", environ)


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"choose one of {', '.join(choices)}")
        return raw

    return _parse(name, default, parse, "an allowed value", environ)


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    def parse(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(",") if item.strip()]

    return _parse(name, default, parse, "a comma-separated list", environ)


def env_path(name: str, default: Path, environ: Mapping[str, str] | None = None) -> Path:
    def parse(raw: str) -> Path:
        if not raw:
            raise ValueError("empty path")
        return Path(raw).expanduser()

    return _parse(name, default, parse, "a path", environ)
