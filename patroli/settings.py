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
    # Only for its static files: the API docs page then loads Swagger UI from us, not a CDN.
    "ninja",
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
    "patroli.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "patroli.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # API requests with a NUL character (PostgreSQL text cannot hold one) answer 422.
    "patroli.core.api_errors.RejectNulMiddleware",
    # Django reads multipart bodies of POST only; the API takes photos by PUT.
    "ninja.compatibility.files.fix_request_files_middleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Roles in PATROLI_2FA_REQUIRED_ROLES go to the enrolment page until they have enrolled.
    "patroli.units.middleware.TwoFactorEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Lets the audit trail note the address and browser of the request behind a staff write.
    "patroli.audit.middleware.AuditRequestMiddleware",
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
    # The covering indexes (INCLUDE, for PostgreSQL's index-only scans) are plain indexes of
    # their key fields on SQLite, by design: the warning that says so is not news to anyone.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

# PostgreSQL read replicas (DATABASE_REPLICA_URLS, comma-separated) become replica1, replica2...;
# patroli/core/db_router.py sends the reads of dashboard and public pages to one of them and
# everything else to default. A test run never creates databases on them: they mirror default.
_replica_urls = env_list("DATABASE_REPLICA_URLS")
for _number, _url in enumerate(_replica_urls, start=1):
    DATABASES[f"replica{_number}"] = {
        **dj_database_url.parse(
            _url, conn_max_age=int(env("CONN_MAX_AGE", "60")), conn_health_checks=True
        ),
        "TEST": {"MIRROR": "default"},
    }
if _replica_urls:
    DATABASE_ROUTERS = ["patroli.core.db_router.ReplicaRouter"]
    MIDDLEWARE.append("patroli.core.db_router.ReplicaReadsMiddleware")
if TESTING and env("TEST_REPLICA_URL"):
    # A second, separate test database (test_<its name>) for the routing test, which turns the
    # router on by itself: the rest of the suite keeps one database. .ci/run sets it.
    DATABASES["replica1"] = dj_database_url.parse(env("TEST_REPLICA_URL"))
PATROLI_DB_REPLICAS = [alias for alias in DATABASES if alias != "default"]
# Seconds after a write during which the same browser reads from the primary only.
DATABASE_REPLICA_PIN_SECONDS = int(env("DATABASE_REPLICA_PIN_SECONDS", "15"))

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
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "patroli.units.passwords.NoNameOrUnitValidator"},
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
# Uploads in an S3-compatible bucket (AWS, MinIO, Ceph...) when AWS_STORAGE_BUCKET_NAME is set,
# with the prod extra: private objects, streamed to staff by the views that check access (through
# storage.open), release covers by signed URLs. Without keys boto3 finds its own (an IAM role).
if env("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,
            "location": env("AWS_LOCATION"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": int(env("AWS_QUERYSTRING_EXPIRE", "3600")),
            # Every release cover is called photo.jpg: never replace another object.
            "file_overwrite": False,
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
# Or a Redis queue through RQ (the rq extra), worked by
# `patroli rqworker --job-class django_tasks_rq.Job default`.
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    if not env("REDIS_URL"):
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend needs REDIS_URL.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    # A risk refresh of a whole Polda may take minutes: RQ's default limit is 180 s.
    RQ_QUEUES = {"default": {"URL": env("REDIS_URL"), "DEFAULT_TIMEOUT": 900}}

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
# A login lasts this many seconds (12 hours: a shift). With SESSION_SAVE_EVERY_REQUEST each
# request starts the time again, so it becomes an idle timeout (at the cost of a session write
# per request); SESSION_EXPIRE_AT_BROWSER_CLOSE ends it with the browser. See docs/admin-guide.md.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(12 * 3600)))
SESSION_SAVE_EVERY_REQUEST = env_bool("SESSION_SAVE_EVERY_REQUEST")
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE")
# HTTPS: HSTS (0 = off; 31536000, a year, once HTTPS works for good), redirect plain HTTP
# (the health checks of a load balancer excepted).
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_REFERRER_POLICY = env("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = env("SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
# Content-Security-Policy (patroli/core/security.py): sent as Report-Only when set (the browser
# reports and blocks nothing), and reports posted to this address when given.
PATROLI_CSP_REPORT_ONLY = env_bool("PATROLI_CSP_REPORT_ONLY")
PATROLI_CSP_REPORT_URI = env("PATROLI_CSP_REPORT_URI")

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
# API lists take `limit` (at most 1000) and `offset`, both bounded: see patroli/core/pagination.py.
NINJA_PAGINATION_CLASS = "patroli.core.pagination.LimitOffset"
# Roles that must use two-factor authentication (comma-separated, e.g. "commander,admin"): after
# logging in they can open nothing but the enrolment page until they have set it up.
PATROLI_2FA_REQUIRED_ROLES = env_list("PATROLI_2FA_REQUIRED_ROLES")
# Password reset requests: per client address, and per e-mail address (beyond it no mail is
# sent, and the page says the same as always).
PATROLI_PASSWORD_RESET_RATE = env("PATROLI_PASSWORD_RESET_RATE", "10/h")
PATROLI_PASSWORD_RESET_EMAIL_RATE = env("PATROLI_PASSWORD_RESET_EMAIL_RATE", "3/h")
# Days the audit trail keeps its events (`patroli prune-audit` deletes older ones, leaving a
# checkpoint to verify from); 0 keeps them forever. See docs/audit.md.
PATROLI_AUDIT_RETENTION_DAYS = int(env("PATROLI_AUDIT_RETENTION_DAYS", "1825"))
# For benchmarks/suite.py only: mounts /bench/visit, a view doing one insert (core/bench_views.py).
PATROLI_BENCH_URLS = env_bool("PATROLI_BENCH_URLS")

if TESTING:
    # Hashing with the production hasher costs ~0.1 s per user; tests create many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Uploads of a test run go to a throw-away folder, never into the work tree.
    MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="patroli-test-media-"))
