"""Settings for the lab equipment queue, read from the environment only.

With nothing set, the site runs on SQLite and the in-memory channel layer.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and
DJANGO_DEBUG=false; docs/deploy.md lists every variable.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from mysite.env import env_bool, env_float, env_int, env_list, env_str
from mysite.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base of links sent outside the site (Slack DMs, emails).
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "userRegistration",
    "calendarEditor",
]

MIDDLEWARE = [
    "mysite.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "calendarEditor.middleware.DueWorkMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "userRegistration.middleware.ApprovalRequiredMiddleware",
    # Last, so a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mysite.urls"
ASGI_APPLICATION = "mysite.asgi.application"
WSGI_APPLICATION = None

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
                "calendarEditor.context_processors.site",
                "calendarEditor.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Under ASGI each request may run on a different thread, so persistent
        # connections leak; PostgreSQL uses psycopg's pool instead.
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 1, minimum=0),
        "max_size": env_int("DATABASE_POOL_MAX", 20, minimum=1),
        "timeout": env_float("DATABASE_POOL_TIMEOUT", 10.0, minimum=0.1),
    }
    # Server-side binding lets psycopg prepare a query it has run 5 times on a pooled
    # connection; PostgreSQL then skips planning it (about 1 ms a query on the queue
    # tables with their indexes, often more than running it).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue up
            # instead of failing with "database is locked" mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels ---------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py cuts reads off after 5 s by default, exactly as long as
                # channels-redis waits for a message: a quiet layer would drop sockets.
                "hosts": [
                    {"address": REDIS_URL, "socket_connect_timeout": 2, "socket_timeout": 10}
                ],
                # Per-channel buffer; a socket that falls this far behind
                # misses hints and re-fetches on the version gap.
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1500, minimum=10),
                "expiry": 30,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Hints leave from one background thread per process, so a slow or dead Redis
# never holds up a request.
LIVE_HINTS_IN_BACKGROUND = env_bool("LIVE_HINTS_IN_BACKGROUND", True)
LIVE_HINTS_SEND_TIMEOUT = env_float("LIVE_HINTS_SEND_TIMEOUT", 2.0, minimum=0.1)
LIVE_HINTS_QUEUE_SIZE = env_int("LIVE_HINTS_QUEUE_SIZE", 1000, minimum=1)

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the approval profile with the user.
    "userRegistration.backends.ProfileModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts-login"
LOGIN_REDIRECT_URL = "schedule-board"
LOGOUT_REDIRECT_URL = "accounts-login"

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 8, minimum=1)
AXES_COOLOFF_TIME = env_float("LOGIN_COOLOFF_HOURS", 0.25, minimum=0.01)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("LAB_TIME_ZONE", "America/New_York")
USE_I18N = False
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Lab queue <queue@localhost>")

# --- Security (production) --------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not DEBUG) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# The health endpoint is probed over plain HTTP inside the platform's network.
SECURE_REDIRECT_EXEMPT = [r"^schedule/health/$"]

# --- The lab's own knobs ----------------------------------------------------
LAB_NAME = env_str("LAB_NAME", "Lab equipment queue")
# The longest run a member may request, in hours (a sanity bound on the form).
QUEUE_MAX_ESTIMATED_HOURS = env_float("QUEUE_MAX_ESTIMATED_HOURS", 24 * 30, minimum=1)
QUEUE_DEFAULT_ON_DECK_HOLD_HOURS = env_float("QUEUE_DEFAULT_ON_DECK_HOLD_HOURS", 12, minimum=0)

# --- The temperature gateway (temperature_gateway/ posts here) ----------------
GATEWAY_MAX_CLOCK_SKEW_SECONDS = env_int("GATEWAY_MAX_CLOCK_SKEW_SECONDS", 120, minimum=0)
GATEWAY_MAX_KELVIN = env_float("GATEWAY_MAX_KELVIN", 1000, minimum=1)
GATEWAY_MAX_BODY_BYTES = env_int("GATEWAY_MAX_BODY_BYTES", 1_048_576, minimum=1024)
GATEWAY_MAX_READINGS_PER_REQUEST = env_int("GATEWAY_MAX_READINGS_PER_REQUEST", 1000, minimum=1)
GATEWAY_RATE_LIMIT_PER_MINUTE = env_int("GATEWAY_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
GATEWAY_SILENT_MINUTES = env_int("GATEWAY_SILENT_MINUTES", 30, minimum=1)
TEMPERATURE_STALE_MINUTES = env_int("TEMPERATURE_STALE_MINUTES", 15, minimum=1)
TEMPERATURE_RETENTION_DAYS = env_int("TEMPERATURE_RETENTION_DAYS", 90, minimum=1)

# --- Queue rules ----------------------------------------------------------------
QUEUE_PRIVACY = env_str("QUEUE_PRIVACY", "open")
QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = env_int("QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER", 3, minimum=0)
# A member is told their place in line changed only when it lands within the first N;
# further back, My queue shows the new place live without a notice per shuffle.
QUEUE_POSITION_NOTICE_DEPTH = env_int("QUEUE_POSITION_NOTICE_DEPTH", 5, minimum=2)
API_TOKENS_MAX_PER_USER = env_int("API_TOKENS_MAX_PER_USER", 10, minimum=1)
ANALYTICS_MAX_DAYS = env_int("ANALYTICS_MAX_DAYS", 366, minimum=7)
# Queued entries per page on a machine's page: a long queue costs no more to show.
MACHINE_QUEUE_PAGE_SIZE = env_int("MACHINE_QUEUE_PAGE_SIZE", 25, minimum=1)
# Queued entries per page on a lab manager's queue page, for the same reason.
STAFF_QUEUE_PAGE_SIZE = env_int("STAFF_QUEUE_PAGE_SIZE", 50, minimum=1)

# --- Scheduled work (manage.py run_due_work, and the throttled middleware) ----------
CHECK_IN_REMINDER_HOURS = env_float("CHECK_IN_REMINDER_HOURS", 12, minimum=0.25)
# Empty: remind at the run's estimated end; a number: that many hours after it starts.
CHECK_OUT_REMINDER_AFTER_HOURS = env_str("CHECK_OUT_REMINDER_AFTER_HOURS")
CHECK_OUT_REMINDER_REPEAT_HOURS = env_float("CHECK_OUT_REMINDER_REPEAT_HOURS", 12, minimum=0.25)
CHECK_OUT_SNOOZE_MAX_HOURS = env_float("CHECK_OUT_SNOOZE_MAX_HOURS", 24, minimum=0)
STILL_IN_USE_HOURS = env_float("STILL_IN_USE_HOURS", 48, minimum=0)
QUIET_HOURS_START = env_str("QUIET_HOURS_START")  # e.g. 00:00, lab time; empty = off
QUIET_HOURS_END = env_str("QUIET_HOURS_END")  # e.g. 06:00
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 90, minimum=1)
DAILY_SUMMARY_TIME = env_str("DAILY_SUMMARY_TIME", "07:00")
DAILY_SUMMARY_WAITING_DAYS = env_int("DAILY_SUMMARY_WAITING_DAYS", 7, minimum=1)
DUE_WORK_DELIVERY_LIMIT = env_int("DUE_WORK_DELIVERY_LIMIT", 100, minimum=1)
DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS = env_int(
    "DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS", 60, minimum=0
)

# --- Records: measurement archives and problem reports ---------------------
ARCHIVE_MAX_FILE_BYTES = env_int("ARCHIVE_MAX_FILE_BYTES", 50 * 1024 * 1024, minimum=1024)
ARCHIVE_MAX_TOTAL_BYTES = env_int("ARCHIVE_MAX_TOTAL_BYTES", 500 * 1024 * 1024, minimum=1024)
ISSUE_SUMMARY_RECIPIENT = env_str("ISSUE_SUMMARY_RECIPIENT")

# --- Notifications ------------------------------------------------------------
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN")
SLACK_API_BASE_URL = env_str("SLACK_API_BASE_URL", "https://slack.com/api/")
SLACK_TIMEOUT_SECONDS = env_float("SLACK_TIMEOUT_SECONDS", 10, minimum=0.5)
LOGIN_LINK_TTL_HOURS = env_float("LOGIN_LINK_TTL_HOURS", 24, minimum=0.1)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 10, minimum=1)
NOTIFICATION_BACKOFF_BASE_SECONDS = env_float("NOTIFICATION_BACKOFF_BASE_SECONDS", 30, minimum=1)
NOTIFICATION_ABANDONED_AFTER_SECONDS = env_float(
    "NOTIFICATION_ABANDONED_AFTER_SECONDS", 300, minimum=30
)
NOTIFICATIONS_DELIVER_IN_BACKGROUND = env_bool("NOTIFICATIONS_DELIVER_IN_BACKGROUND", True)

# --- Cache ----------------------------------------------------------------
# Rate limits count in the cache; with several web processes it must be shared.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("CACHE_REDIS_URL", REDIS_URL),
            "KEY_PREFIX": "labqueue",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered HTML whose key says what it was rendered from (calendarEditor.board_table):
# per process on purpose, since the key, not a shared store, keeps it fresh.
CACHES["rendered"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "rendered",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT)
CSRF_FAILURE_VIEW = "mysite.views_errors.csrf_failure"
# Where `manage.py backup` writes when given no --output; keep it outside the project.
BACKUP_DIR = env_str("BACKUP_DIR")

# SQLite has no deferrable constraints; the (machine, position) constraint is
# enforced by PostgreSQL and by the queue engine's lock everywhere.
SILENCED_SYSTEM_CHECKS = ["models.W038"]
