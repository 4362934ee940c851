"""Configuration: REGULARS_* variables, database URLs and the production profile.

A bad value must stop the app with a message naming the variable, never fall back to a
default. The settings module is executed afresh under a throwaway name for each case
(the configured ``django.conf.settings`` of the test run is left alone); the production
check runs ``check --deploy`` in a separate process with a clean environment.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

import regulars.settings
from regulars.core.dburl import SQLITE_BUSY_TIMEOUT_S, parse_database_url
from regulars.core.env import (
    EnvError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional_str,
    env_path,
    env_str,
)

SETTINGS_FILE = Path(regulars.settings.__file__)
SECRET = secrets.token_urlsafe(48)  # 64 characters


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No REGULARS_* variable from the caller (CI sets REGULARS_DATABASE_URL)."""
    for name in list(os.environ):
        if name.startswith("REGULARS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REGULARS_DATA_DIR", str(tmp_path / "var"))
    return monkeypatch


def load_settings() -> ModuleType:
    spec = importlib.util.spec_from_file_location("regulars_settings_probe", SETTINGS_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- typed readers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("Yes", True), ("ON", True), ("0", False), ("off", False)],
)
def test_it_reads_booleans_in_their_usual_spellings(raw: str, expected: bool) -> None:
    assert env_bool("REGULARS_DEBUG", not expected, {"REGULARS_DEBUG": raw}) is expected


def test_it_uses_the_default_when_a_variable_is_unset() -> None:
    assert env_bool("REGULARS_DEBUG", True, {}) is True
    assert env_int("REGULARS_SESSION_AGE_S", 3600, {}) == 3600
    assert env_str("REGULARS_EMAIL_FROM", "a@b", {}) == "a@b"


def test_it_rejects_a_boolean_it_cannot_read_naming_the_variable() -> None:
    with pytest.raises(EnvError, match=r"REGULARS_DEBUG='maybe' is not a boolean"):
        env_bool("REGULARS_DEBUG", False, {"REGULARS_DEBUG": "maybe"})


def test_it_rejects_an_integer_it_cannot_read_naming_the_variable() -> None:
    with pytest.raises(EnvError, match=r"REGULARS_SESSION_AGE_S='abc' is not an integer"):
        env_int("REGULARS_SESSION_AGE_S", 3600, {"REGULARS_SESSION_AGE_S": "abc"})


def test_it_rejects_an_integer_outside_its_range() -> None:
    with pytest.raises(EnvError, match="REGULARS_SESSION_AGE_S='60'.*at least 300"):
        env_int("REGULARS_SESSION_AGE_S", 3600, {"REGULARS_SESSION_AGE_S": "60"}, minimum=300)
    with pytest.raises(EnvError, match="REGULARS_IMPORT_BATCH_SIZE='50000'.*at most 20000"):
        env_int(
            "REGULARS_IMPORT_BATCH_SIZE",
            2000,
            {"REGULARS_IMPORT_BATCH_SIZE": "50000"},
            maximum=20000,
        )


def test_it_rejects_a_value_outside_the_choices_listing_them() -> None:
    choices = ("development", "production", "test")
    with pytest.raises(EnvError, match="REGULARS_ENV='prod'.*development, production, test"):
        env_choice("REGULARS_ENV", "development", choices, {"REGULARS_ENV": "prod"})


def test_it_splits_lists_on_commas_and_drops_blanks() -> None:
    raw = {"REGULARS_ALLOWED_HOSTS": " example.com, ,www.example.com ,"}
    assert env_list("REGULARS_ALLOWED_HOSTS", [], raw) == ["example.com", "www.example.com"]


def test_it_rejects_an_empty_path() -> None:
    with pytest.raises(EnvError, match="REGULARS_DATA_DIR=''"):
        env_path("REGULARS_DATA_DIR", Path("var"), {"REGULARS_DATA_DIR": ""})


def test_it_treats_an_empty_optional_string_as_unset() -> None:
    assert env_optional_str("REGULARS_SECRET_KEY", {"REGULARS_SECRET_KEY": ""}) is None


def test_it_reads_a_secret_from_the_file_variant(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-from-a-file\n", encoding="utf-8")
    environ = {"REGULARS_SECRET_KEY_FILE": str(secret_file), "REGULARS_SECRET_KEY": "ignored"}
    assert env_optional_str("REGULARS_SECRET_KEY", environ) == "s3cret-from-a-file"


def test_it_fails_loudly_when_the_file_variant_cannot_be_read(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(EnvError, match="REGULARS_SECRET_KEY_FILE=.*nowhere.*cannot be read"):
        env_optional_str("REGULARS_SECRET_KEY", {"REGULARS_SECRET_KEY_FILE": str(missing)})


# --- database URLs ----------------------------------------------------------------------


def test_it_reads_a_relative_sqlite_url() -> None:
    config = parse_database_url("sqlite:///var/shop.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "var/shop.sqlite3"


def test_it_reads_an_absolute_sqlite_url_with_wal_and_foreign_keys() -> None:
    config = parse_database_url("sqlite:////srv/regulars/db.sqlite3")
    assert config["NAME"] == "/srv/regulars/db.sqlite3"
    assert config["OPTIONS"]["timeout"] == SQLITE_BUSY_TIMEOUT_S
    assert "PRAGMA journal_mode=WAL;" in config["OPTIONS"]["init_command"]
    assert "PRAGMA foreign_keys=ON;" in config["OPTIONS"]["init_command"]


def test_it_reads_every_part_of_a_postgres_url() -> None:
    config = parse_database_url(
        "postgres://shop%40owner:p%2Fss@db.example.com:6543/regulars?sslmode=require"
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == (
        "regulars",
        "shop@owner",
        "p/ss",
    )
    assert (config["HOST"], config["PORT"]) == ("db.example.com", "6543")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_it_accepts_the_postgresql_spelling_without_credentials_or_port() -> None:
    config = parse_database_url("postgresql://localhost/regulars")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["USER"]) == ("localhost", "", "")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/regulars", "unsupported database scheme 'mysql'"),
        ("regulars.sqlite3", "unsupported database scheme ''"),
        ("postgres://localhost", "needs a database name"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_it_rejects_database_urls_it_cannot_use(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_database_url(url)


# --- the settings module ----------------------------------------------------------------


def test_the_defaults_run_on_sqlite_under_the_data_dir_with_debug_off(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings()
    assert settings.DEBUG is False
    assert settings.ENVIRONMENT == "development"
    assert settings.DATABASES["default"]["NAME"] == str(
        (tmp_path / "var").resolve() / "regulars.sqlite3"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REGULARS_DEBUG", "maybe"),
        ("REGULARS_SESSION_AGE_S", "abc"),
        ("REGULARS_ENV", "prod"),
        ("REGULARS_LANGUAGE", "fr"),
        ("REGULARS_HSTS_SECONDS", "-1"),
    ],
)
def test_the_settings_refuse_a_bad_value_naming_the_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=f"^{name}='{value}' is not"):
        load_settings()


def test_the_settings_refuse_a_database_url_they_cannot_use(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("REGULARS_DATABASE_URL", "mysql://root@localhost/regulars")
    with pytest.raises(ImproperlyConfigured, match="^REGULARS_DATABASE_URL: unsupported"):
        load_settings()


def test_the_settings_use_postgres_when_the_url_says_so(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REGULARS_DATABASE_URL", "postgres://app@db:5432/regulars")
    settings = load_settings()
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.DATABASES["default"]["HOST"] == "db"


def test_production_refuses_to_start_without_a_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REGULARS_ENV", "production")
    with pytest.raises(ImproperlyConfigured, match="REGULARS_SECRET_KEY .* must be set"):
        load_settings()


def test_production_refuses_a_short_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("REGULARS_ENV", "production")
    clean_env.setenv("REGULARS_SECRET_KEY", "too-short")
    with pytest.raises(ImproperlyConfigured, match="at least 50 characters"):
        load_settings()


def test_production_reads_the_secret_key_from_a_file(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    clean_env.setenv("REGULARS_ENV", "production")
    clean_env.setenv("REGULARS_SECRET_KEY_FILE", str(secret_file))
    settings = load_settings()
    assert settings.SECRET_KEY == SECRET
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


def _run_django(
    args: list[str], environ: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m django ARGS`` in a clean environment (only PATH and HOME kept)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        # Found without an installed package too (the editable install is not required).
        "PYTHONPATH": str(SETTINGS_FILE.parents[1]),
        **environ,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "django", *args, "--settings=regulars.settings"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_production_profile_passes_check_deploy_without_warnings(tmp_path: Path) -> None:
    result = _run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "REGULARS_ENV": "production",
            "REGULARS_SECRET_KEY": SECRET,
            "REGULARS_ALLOWED_HOSTS": "example.com",
            "REGULARS_DATA_DIR": str(tmp_path / "var"),
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_bad_value_stops_the_app_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    result = _run_django(["check"], {"REGULARS_DEBUG": "maybe"}, tmp_path)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: REGULARS_DEBUG=")


def test_the_production_profile_passes_regulars_check_deploy_on_its_own_database(
    tmp_path: Path,
) -> None:
    """What docs/deploy.md tells the operator to run, as they run it: the ``regulars``
    command, the production profile and nothing else but the variables it requires."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(SETTINGS_FILE.parents[1]),
        "REGULARS_ENV": "production",
        "REGULARS_SECRET_KEY": SECRET,
        "REGULARS_ALLOWED_HOSTS": "regulars.example.com",
        "REGULARS_DATABASE_URL": f"sqlite:///{tmp_path / 'regulars.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "regulars.cli", "check", "--deploy"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert result.stdout.strip().startswith("System check identified no issues")
