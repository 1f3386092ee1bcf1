"""Settings for the test suite: the real settings plus fast, offline defaults."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from mysite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests log in with force_login; throttling has its own tests that switch it on.
AXES_ENABLED = False
SLACK_BOT_TOKEN = ""
# Per-process and cleared with the process: rate-limit counters never leak
# between test runs through a shared Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "rendered": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "r"},
}
# Deliveries run inline (or not at all) unless a test starts the worker itself:
# a background thread touching the test database makes results depend on timing.
NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
# Fair-use limits have their own tests; elsewhere members may queue freely.
QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 0
# Due work runs only where a test calls it, never behind a test request.
DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS = 0
