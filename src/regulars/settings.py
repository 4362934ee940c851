"""The one settings module. Every knob is a REGULARS_* environment variable.

Defaults run the demo with no configuration: SQLite under ``var/``, debug off,
a development secret key. ``REGULARS_ENV=production`` switches on the hardened
profile, which refuses to start without ``REGULARS_SECRET_KEY`` (or ``_FILE``).
See the configuration table in README.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from regulars.core.dburl import parse_database_url, sqlite_config
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

PACKAGE_DIR = Path(__file__).resolve().parent

try:
    ENVIRONMENT = env_choice("REGULARS_ENV", "development", ("development", "production", "test"))
    PRODUCTION = ENVIRONMENT == "production"
    DATA_DIR = env_path("REGULARS_DATA_DIR", Path.cwd() / "var").resolve()
    DEBUG = env_bool("REGULARS_DEBUG", False)
    _secret = env_optional_str("REGULARS_SECRET_KEY")
    _db_url = env_optional_str("REGULARS_DATABASE_URL")
    ALLOWED_HOSTS = env_list(
        "REGULARS_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
    )
    CSRF_TRUSTED_ORIGINS = env_list("REGULARS_CSRF_TRUSTED_ORIGINS", [])
    TIME_ZONE = env_str("REGULARS_TIME_ZONE", "UTC")
    LANGUAGE_CODE = env_choice("REGULARS_LANGUAGE", "en", ("en", "it", "da", "ru", "es"))
    DEFAULT_REGION = env_str("REGULARS_DEFAULT_REGION", "IT").upper()
    SESSION_COOKIE_AGE = env_int("REGULARS_SESSION_AGE_S", 12 * 3600, minimum=300)
    IMPORT_BATCH_SIZE = env_int("REGULARS_IMPORT_BATCH_SIZE", 2000, minimum=1, maximum=20000)
    IMPORT_MAX_UPLOAD_MB = env_int("REGULARS_IMPORT_MAX_UPLOAD_MB", 200, minimum=1)
    EMAIL_FROM = env_str("REGULARS_EMAIL_FROM", "regulars@localhost")
    # Where customers reach the public survey pages (links in e-mails, QR codes).
    PUBLIC_URL = env_str("REGULARS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    # Requests per minute one address may make to the public survey pages.
    SURVEY_RATE_LIMIT = env_int("REGULARS_SURVEY_RATE_LIMIT", 60, minimum=1)
    # The nightly loyalty snapshot: the local hour (business zone) from which
    # ``regulars run-due`` takes it, and how much per-customer history is kept.
    LOYALTY_SNAPSHOT_HOUR = env_int("REGULARS_LOYALTY_SNAPSHOT_HOUR", 3, minimum=0, maximum=23)
    LOYALTY_KEEP_DAYS = env_int("REGULARS_LOYALTY_KEEP_DAYS", 35, minimum=1)
    LOYALTY_KEEP_MONTHS = env_int("REGULARS_LOYALTY_KEEP_MONTHS", 24, minimum=0)
    # Outreach: the SMS provider's HTTP endpoint and token (``outreach.channels.sms``),
    # the sender name shown on texts, and how often a failed message is retried.
    SMS_URL = env_optional_str("REGULARS_SMS_URL")
    SMS_TOKEN = env_optional_str("REGULARS_SMS_TOKEN")
    SMS_SENDER = env_str("REGULARS_SMS_SENDER", "Regulars")
    SMS_TIMEOUT_S = env_int("REGULARS_SMS_TIMEOUT_S", 10, minimum=1, maximum=120)
    OUTREACH_MAX_ATTEMPTS = env_int("REGULARS_OUTREACH_MAX_ATTEMPTS", 6, minimum=1, maximum=20)
    OUTREACH_RETRY_BASE_S = env_int("REGULARS_OUTREACH_RETRY_BASE_S", 60, minimum=1)
    EMAIL_HOST = env_str("REGULARS_SMTP_HOST", "localhost")
    EMAIL_PORT = env_int("REGULARS_SMTP_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("REGULARS_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = env_str("REGULARS_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("REGULARS_SMTP_STARTTLS", False)
    EMAIL_TIMEOUT = env_int("REGULARS_SMTP_TIMEOUT_S", 30, minimum=1, maximum=300)
    _email_backend = env_optional_str("REGULARS_EMAIL_BACKEND")
    LOG_LEVEL = env_choice("REGULARS_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
    # ``json``: one JSON object per line (``core.logs.JsonFormatter``) for log collectors.
    LOG_FORMAT = env_choice("REGULARS_LOG_FORMAT", "plain", ("plain", "json"))
    SECURE_HSTS_SECONDS = env_int("REGULARS_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
except EnvError as exc:  # one clear line instead of a traceback deep in Django
    raise ImproperlyConfigured(str(exc)) from exc

if _secret is None:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "REGULARS_SECRET_KEY (or REGULARS_SECRET_KEY_FILE) must be set when "
            "REGULARS_ENV=production."
        )
    _secret = "dev-insecure-regulars-key-never-use-in-production-0123456789abcdef"  # noqa: S105
elif PRODUCTION and len(_secret) < 50:
    raise ImproperlyConfigured("REGULARS_SECRET_KEY must be at least 50 characters long.")
SECRET_KEY = _secret

if _db_url:
    try:
        DATABASES = {"default": parse_database_url(_db_url)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"REGULARS_DATABASE_URL: {exc}") from exc
else:
    DATABASES = {"default": sqlite_config(DATA_DIR / "regulars.sqlite3")}

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "regulars.core",
    "regulars.accounts",
    "regulars.customers",
    "regulars.service",
    "regulars.feedback",
    "regulars.loyalty",
    "regulars.outreach",
    "django_tasks",
    "django_tasks_db",
    "regulars.web",
    "regulars.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "regulars.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "regulars.urls"
WSGI_APPLICATION = "regulars.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "regulars.accounts.context_processors.membership",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

USE_I18N = True
USE_TZ = True
LANGUAGES = [
    ("en", _("English")),
    ("it", _("Italian")),
    ("da", _("Danish")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "regulars_language"

STATIC_URL = "/static/"
# Production collects static files (collectstatic) for nginx; elsewhere WhiteNoise serves
# them straight from the apps.
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
# Static files are served by WhiteNoise straight from the apps (vendored, no CDN).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
IMPORT_DIR = DATA_DIR / "imports"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

EMAIL_BACKEND = _email_backend or (
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = EMAIL_FROM

# Rate limits count in this cache: per process by default; with several server processes
# the limit applies per process (an operator may configure a shared cache).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: django-tasks with its database backend (``regulars worker``).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("REGULARS_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    # Asking for the browsers' HSTS preload list is a one-way commitment for the whole
    # domain and its subdomains: the operator's call, not the app's. We send HSTS without
    # "preload", so `check --deploy` (security.W021) has nothing to tell us.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "regulars.core.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and its font subsetter log every glyph decision at INFO: a batch of
        # printed cards would flood the worker's log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
