"""Structured logs: ``REGULARS_LOG_FORMAT=json`` writes one JSON object per line with
the time in UTC, the level, the logger and the message, and the traceback if any."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from regulars.core.logs import JsonFormatter


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord(
        "regulars.test", logging.WARNING, __file__, 1, message, args, exc_info
    )
    record.created = datetime(2026, 3, 29, 1, 30, 15, 250000, tzinfo=UTC).timestamp()
    return record


def test_it_writes_the_time_in_utc_the_level_the_logger_and_the_message() -> None:
    line = JsonFormatter().format(_record("sent %d of %d", 3, 4))

    assert json.loads(line) == {
        "time": "2026-03-29T01:30:15.250+00:00",
        "level": "WARNING",
        "logger": "regulars.test",
        "message": "sent 3 of 4",
    }


def test_it_adds_the_traceback_and_keeps_it_on_one_line() -> None:
    try:
        raise ValueError("bad\nthing")
    except ValueError as exc:
        line = JsonFormatter().format(_record("failed", exc=exc))

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed"
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("ValueError: bad\nthing")


def test_it_leaves_out_what_the_record_carries_beside_the_message() -> None:
    record = _record("Bad Request: /s/answer/")
    record.request = "POST body: name=Anna Rossi&phone=+39 333 1234567"
    record.status_code = 400

    assert set(json.loads(JsonFormatter().format(record))) == {
        "time",
        "level",
        "logger",
        "message",
    }


def _log_in_a_fresh_process(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGULARS_")}
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('regulars.probe').error('worker stopped')"
    )
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean
        | {"DJANGO_SETTINGS_MODULE": "regulars.settings", "REGULARS_DATA_DIR": str(tmp_path)}
        | environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_settings_switch_the_whole_app_to_json_lines(tmp_path: Path) -> None:
    result = _log_in_a_fresh_process(tmp_path, REGULARS_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "regulars.probe",
        "worker stopped",
    )
    assert datetime.fromisoformat(entry["time"]).utcoffset() == UTC.utcoffset(None)


def test_plain_lines_stay_the_default(tmp_path: Path) -> None:
    result = _log_in_a_fresh_process(tmp_path)

    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert line.endswith(" ERROR regulars.probe worker stopped")


def test_an_unknown_log_format_stops_the_app_naming_the_variable(tmp_path: Path) -> None:
    result = _log_in_a_fresh_process(tmp_path, REGULARS_LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "REGULARS_LOG_FORMAT='xml' is not" in result.stderr.strip().splitlines()[-1]
