"""Patroli settings: one module, driven by environment variables (see .env.example).

With nothing set it runs on a local SQLite file with DEBUG off; `make run` turns DEBUG on.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-only-for-debug-and-tests"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",
    "patroli.core",
    "patroli.regions",
    "patroli.units",
    "patroli.sites",
    "patroli.patrols",
    "patroli.concerns",
    "patroli.elections",
    "patroli.newsroom",
    "patroli.portal",
    "patroli.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django reads multipart bodies of POST only; the API takes photos by PUT.
    "ninja.compatibility.files.fix_request_files_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "patroli.urls"
WSGI_APPLICATION = "patroli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite by default (WAL and a busy timeout, see core/apps.py); PostgreSQL when DATABASE_URL is set.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'patroli.sqlite3'}"),
        conn_max_age=int(env("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# The cache holds rate-limit counters: shared between app servers when REDIS_URL is set.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
    }
    if env("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "units.Officer"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"  # the dashboard for commanders, today for officers
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env("LANGUAGE_CODE", "id")
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["patroli.formats"]
TIME_ZONE = env("TIME_ZONE", "Asia/Makassar")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Leaflet, installed from npm by `make` (package.json); never copied into the repository.
if (BASE_DIR / "node_modules" / "leaflet" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background work (e-mail) through Django's tasks interface: the database queue by default, worked
# by `patroli db_worker`; `make run` and the tests run tasks at once instead.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}

# Without collectstatic (the demo, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "patroli@localhost")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # One line per task start and end is noise; failures are still logged.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}

# Domain settings.
# A check-in farther than this from the site is flagged (metres).
PATROLI_CHECKIN_RADIUS_M = int(env("PATROLI_CHECKIN_RADIUS_M", "200"))
# Most photos stored for one visit.
PATROLI_VISIT_PHOTOS_MAX = int(env("PATROLI_VISIT_PHOTOS_MAX", "10"))
# How far (seconds) a visit's times may lie in the future by the server's clock, and how far a
# device's clock may be off before its batch is corrected by the error measured (see docs/api.md).
PATROLI_SYNC_MAX_SKEW_S = float(env("PATROLI_SYNC_MAX_SKEW_S", "600"))
# Days after resolution during which the reporter may reopen a concern.
PATROLI_REOPEN_DAYS = int(env("PATROLI_REOPEN_DAYS", "14"))
# Public report form: at most this many reports per client address per hour.
PATROLI_REPORT_RATE = env("PATROLI_REPORT_RATE", "5/h")
# Address of the site in e-mails (links to the tracking page).
PATROLI_BASE_URL = env("PATROLI_BASE_URL", "http://127.0.0.1:8000")
# Contact named in the Open311 discovery document (defaults to DEFAULT_FROM_EMAIL).
PATROLI_OPEN311_CONTACT = env("PATROLI_OPEN311_CONTACT")
# Comments on news: at most this many per client address (besides the 15-second flood rule).
PATROLI_COMMENT_RATE = env("PATROLI_COMMENT_RATE", "30/h")
# Who approves news releases for publication: "commander" or "humas" (admins always may).
PATROLI_RELEASE_APPROVER = env("PATROLI_RELEASE_APPROVER", "humas")
# Risk weights: a JSON object overriding parts of patroli.elections.risk.DEFAULTS,
# e.g. {"baseline_scale": 0.7, "levels": {"medium": 35}}.
PATROLI_RISK_WEIGHTS = json.loads(env("PATROLI_RISK_WEIGHTS", "{}"))
# Patrol plans: travel speed, road factor over the straight line, minutes at each stop, the
# teams' start time, the solver's time limit and the most sites given to it.
PATROLI_PLAN_SPEED_KMH = float(env("PATROLI_PLAN_SPEED_KMH", "30"))
PATROLI_PLAN_ROAD_FACTOR = float(env("PATROLI_PLAN_ROAD_FACTOR", "1.4"))
PATROLI_PLAN_DWELL_MIN = float(env("PATROLI_PLAN_DWELL_MIN", "20"))
PATROLI_PLAN_START = env("PATROLI_PLAN_START", "08:00")
PATROLI_PLAN_TIME_LIMIT_S = float(env("PATROLI_PLAN_TIME_LIMIT_S", "3"))
PATROLI_PLAN_MAX_SITES = int(env("PATROLI_PLAN_MAX_SITES", "500"))
# Map tiles, e.g. https://tile.example.org/{z}/{x}/{y}.png; empty: our own boundary layers only.
PATROLI_TILE_URL = env("PATROLI_TILE_URL")
PATROLI_TILE_ATTRIBUTION = env("PATROLI_TILE_ATTRIBUTION")
# Failed logins (per user name, and per client address) before a lock of as many minutes.
PATROLI_LOGIN_FAILURES = int(env("PATROLI_LOGIN_FAILURES", "5"))
PATROLI_LOGIN_LOCK_MINUTES = int(env("PATROLI_LOGIN_LOCK_MINUTES", "15"))
# Lifetime of an API token issued by POST /api/v1/auth/token (days).
PATROLI_TOKEN_DAYS = int(env("PATROLI_TOKEN_DAYS", "30"))

if TESTING:
    # Hashing with the production hasher costs ~0.1 s per user; tests create many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Uploads of a test run go to a throw-away folder, never into the work tree.
    MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="patroli-test-media-"))
