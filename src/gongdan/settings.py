"""Settings, driven by GONGDAN_* environment variables with embedded defaults.

The embedded default is one SQLite file under GONGDAN_DATA_DIR; PostgreSQL and
Redis are the scale path and are switched on by configuration only.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import urllib.parse
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"GONGDAN_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env(name, "1" if default else "0").strip().lower()
    return raw in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit written "count/seconds", e.g. "10/600": ten per ten minutes."""
    count, _slash, seconds = env(name, default).partition("/")
    return int(count), int(seconds)


def env_networks(name: str, default: str) -> list[str]:
    """Comma-separated IP addresses or networks ("10.0.0.0/8"), or "*" for any;
    anything else stops the start with the entry named."""
    entries = env_list(name, default)
    for entry in (e for e in entries if e != "*"):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"GONGDAN_{name}: {entry!r} is not an IP address or network"
                " (e.g. 127.0.0.1, 10.0.0.0/8, or * for any)"
            ) from None
    return entries


DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use GONGDAN_SECRET_KEY, else a key generated once and kept in the data dir."""
    if value := env("SECRET_KEY"):
        return value
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000"
)
# Left empty (a blank line in an environment file) it is the default.
_public_base_url = env("PUBLIC_BASE_URL").strip() or "http://127.0.0.1:8000"
PUBLIC_BASE_URL = _public_base_url.rstrip("/")


def _public_site(url: str) -> tuple[str, str]:
    """(host as ALLOWED_HOSTS writes it, origin) of the address people open."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"GONGDAN_PUBLIC_BASE_URL: {url!r} is not an http(s) address"
            " (e.g. https://gongdan.example.cn)"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host, f"{parts.scheme}://{parts.netloc}"


# The address QR labels and messages point at is served without more settings: its
# host is allowed and its origin trusted for form posts (behind a proxy too).
_public_host, _public_origin = _public_site(_public_base_url)
if _public_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_public_host)
if _public_origin not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS.append(_public_origin)

INSTALLED_APPS = [
    "gongdan.core.adminsite.GongdanAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "gongdan.core",
    "gongdan.assets",
    "gongdan.portal",
    "gongdan.mobile",
    "gongdan.workorders",
    "gongdan.office",
    "gongdan.sla",
    "gongdan.routing",
    "gongdan.notify",
    "gongdan.reports",
    "gongdan.parts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
# What a call to /api/ with a Bearer token goes through instead (core/handlers.py):
# no session, CSRF, messages, frames or htmx for a client that has none of them.
API_TOKEN_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "gongdan.urls"
WSGI_APPLICATION = "gongdan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------
SQLITE_PATH = DATA_DIR / "gongdan.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
# Persistent connections on both engines: opening one (and, on SQLite, running the
# PRAGMAs below) per request cost more than the INSERTs of a whole create.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of one of them failing half-way
    # with "database is locked"; our backend queues them on a lock that wakes the
    # next writer at once (gongdan/core/sqlite/base.py). The WAL is folded back
    # into the database every 10 000 pages (40 MB) instead of 1 000: a page that
    # many commits touch (the newest leaf of every index) is copied back once per
    # checkpoint, and the commit that runs the checkpoint waits a tenth as often.
    _db["ENGINE"] = "gongdan.core.sqlite"
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA wal_autocheckpoint=10000;"
        ),
    }
    # Tests use a file (not :memory:) so that live-server threads and
    # concurrent requests see WAL and the busy timeout exactly as production.
    _db["TEST"] = {"NAME": str(DATA_DIR / "test-gongdan.sqlite3")}
elif _db["ENGINE"].startswith("django.db.backends.postgresql"):
    # Timestamps read by fromisoformat instead of psycopg's pure-Python parser
    # (gongdan/core/postgresql/base.py).
    _db["ENGINE"] = "gongdan.core.postgresql"
    # Parameters bound on the server, and the statements a connection repeats (a
    # create's INSERTs, the board's queries) prepared after their fifth run, so that
    # PostgreSQL stops parsing and planning them on every request. Django leaves
    # preparing off (for connection poolers in transaction mode, which lose prepared
    # statements between transactions); behind such a pooler set
    # GONGDAN_PG_PREPARE_THRESHOLD=off.
    _options = _db.setdefault("OPTIONS", {})
    _options["server_side_binding"] = True
    _prepare = env("PG_PREPARE_THRESHOLD", "5")
    _options["prepare_threshold"] = (
        None if _prepare.lower() in ("", "off", "none") else int(_prepare)
    )
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# --- tasks (worker) --------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # Rate-limit counters (portal) must be shared by every web worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "gongdan",
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- e-mail ---------------------------------------------------------------------
# With an SMTP host, mail goes out through it; without one (the embedded default)
# each message is written to a file under the data dir, so nothing is lost and an
# administrator can see what would have been sent.
SMTP_HOST = env("SMTP_HOST")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = int(env("SMTP_PORT", "465" if env_bool("SMTP_SSL") else "25"))
    EMAIL_HOST_USER = env("SMTP_USER")
    EMAIL_HOST_PASSWORD = env("SMTP_PASSWORD")
    EMAIL_USE_SSL = env_bool("SMTP_SSL")
    EMAIL_USE_TLS = env_bool("SMTP_STARTTLS")
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env("EMAIL_FROM", "gongdan <gongdan@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ----------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and media ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(exist_ok=True)
# `gongdan serve` collects static files once (again only when a source changed),
# pre-compressed so WhiteNoise sends gzip; before that, files come from the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
WHITENOISE_USE_FINDERS = True

# Uploads: a cap for one attachment, checked before anything is written.
MAX_UPLOAD_BYTES = int(env("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)

# Which orders an engineer sees: "team", "region" or "team_or_region".
ENGINEER_SCOPE = env("ENGINEER_SCOPE", "team_or_region")

# Public scan-to-report pages: reports per client address and per machine.
PORTAL_RATE_PER_CLIENT = env_rate("PORTAL_RATE_PER_CLIENT", "10/600")
PORTAL_RATE_PER_ASSET = env_rate("PORTAL_RATE_PER_ASSET", "5/600")
# Reverse proxies in front of gongdan (nginx, Caddy), as addresses or networks, or
# "*" for any: from them the client's own address is read from X-Forwarded-For (the
# portal's limit counts phones, not the proxy) and gunicorn takes the scheme from
# X-Forwarded-Proto. By default a proxy on this machine, as gunicorn's own default.
FORWARDED_ALLOW_IPS = env_networks("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The order type a scan report opens (else the first active type with a symptom field).
PORTAL_ORDER_TYPE = env("PORTAL_ORDER_TYPE", "equipment_repair")
# How long the rating link sent on resolve stays valid, in seconds (30 days).
RATING_LINK_MAX_AGE = int(env("RATING_LINK_MAX_AGE", str(30 * 24 * 3600)))
# Average travel speed for the engineer's arrival estimate.
TRAVEL_SPEED_KMH = float(env("TRAVEL_SPEED_KMH", "30"))

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {"gongdan": {"level": env("LOG_LEVEL", "INFO")}},
}
