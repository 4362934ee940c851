"""Turn ``REGULARS_DATABASE_URL`` into a Django ``DATABASES['default']`` entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# Seconds SQLite waits on a locked database before raising "database is locked".
SQLITE_BUSY_TIMEOUT_S = 20


def sqlite_config(path: Path) -> dict[str, Any]:
    """SQLite with WAL, foreign keys and a busy timeout (set per connection)."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Kept open between requests: no re-open and PRAGMAs per request, and the
        # page cache (the search index's hot pages) stays warm.
        "CONN_MAX_AGE": 60,
        "OPTIONS": {
            "timeout": SQLITE_BUSY_TIMEOUT_S,
            # IMMEDIATE avoids "database is locked" upgrades from read to write locks.
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000};"
                # 32 MB of page cache per connection (SQLite's default is 2 MB).
                "PRAGMA cache_size=-32768;"
            ),
        },
    }


def parse_database_url(url: str) -> dict[str, Any]:
    """Parse ``sqlite:///relative.db``, ``sqlite:////abs.db`` or ``postgres://u:p@h:5432/db``.

    Raises ValueError on any other scheme or a URL without a database name.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        raw_path = raw_path.removeprefix("/")
        if not raw_path:
            raise ValueError("sqlite URL needs a file path, e.g. sqlite:///var/regulars.sqlite3")
        return sqlite_config(Path(raw_path))
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError("postgres URL needs a database name, e.g. postgres://host/regulars")
        options: dict[str, Any] = dict(parse_qsl(parts.query))
        config: dict[str, Any] = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
        return config
    raise ValueError(f"unsupported database scheme {scheme!r}: use sqlite:// or postgres://")
