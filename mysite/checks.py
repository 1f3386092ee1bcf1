"""System checks for settings that work on a laptop and fail in production.

They run with ``manage.py check --deploy`` and only when DEBUG is off: a
local ``make run`` on SQLite and the in-memory layer is the intended set-up.
calendarEditor's AppConfig.ready() imports this module so the checks register.
"""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"
SQLITE_ENGINE = "django.db.backends.sqlite3"
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "0.0.0.0"}

AppConfigs = Sequence[AppConfig] | None
Messages = list[checks.CheckMessage]


@checks.register(deploy=True)
def check_channel_layer(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    if settings.DEBUG:
        return []
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend != IN_MEMORY_LAYER:
        return []
    return [
        checks.Warning(
            "REDIS_URL is not set, so live updates use the in-memory channel layer.",
            hint=(
                "The in-memory layer lives inside one process: with several web processes "
                "a change made in one never reaches pages served by another. Set REDIS_URL."
            ),
            id="mysite.W001",
        )
    ]


@checks.register(deploy=True)
def check_database(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    if settings.DEBUG or settings.DATABASES["default"]["ENGINE"] != SQLITE_ENGINE:
        return []
    return [
        checks.Warning(
            "DATABASE_URL is not set (or points at SQLite) with DEBUG off.",
            hint=(
                "SQLite serialises every write and cannot be shared by processes on "
                "different hosts; the queue's row locks need PostgreSQL. Set DATABASE_URL."
            ),
            id="mysite.W002",
        )
    ]


@checks.register(deploy=True)
def check_base_url(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    if settings.DEBUG:
        return []
    host = urlsplit(settings.BASE_URL).hostname or ""
    if host not in _LOCAL_HOSTS and not host.endswith(".localhost"):
        return []
    return [
        checks.Warning(
            f"BASE_URL is {settings.BASE_URL!r}, an address only this machine can open.",
            hint=(
                "Links in Slack messages and emails are built from BASE_URL; set it to the "
                "site's public address, e.g. https://queue.example.org."
            ),
            id="mysite.W003",
        )
    ]
