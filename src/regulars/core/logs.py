"""One JSON object per log line, for ``REGULARS_LOG_FORMAT=json``.

Each line carries ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger`` and
``message``, and ``exc_info`` (the formatted traceback) when the record has one. Only
what the code put into the message is written: no request, no extra attributes, so a
record that carries a request object (Django's request loggers do) does not leak its
body, headers or cookies into the log.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON (newlines in a message or traceback are
    escaped by the encoder, so one record never spans two lines)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
