"""System checks for settings that work on a laptop and fail in production.

They run with ``manage.py check --deploy`` and only when DEBUG is off: a
local ``make run`` on SQLite and the in-memory layer is the intended set-up.

- W001 no REDIS_URL: the in-memory channel layer cannot reach other processes;
- W002 SQLite in production;
- W003 BASE_URL points at this machine (links in emails would open nothing);
- W004 email notifications on, but EMAIL_BACKEND delivers to nobody (console, unset);
- W005 SLACK_BOT_TOKEN set, but BASE_URL is missing, not absolute, or local.
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
# Backends that accept mail and deliver it to nobody.
NON_DELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}

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


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in _LOCAL_HOSTS or host.endswith(".localhost")


@checks.register(deploy=True)
def check_base_url(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    # With Slack on, W005 says the same thing with the consequence that matters most.
    if settings.DEBUG or not _is_local(settings.BASE_URL) or _slack_enabled():
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


def _slack_enabled() -> bool:
    return bool(getattr(settings, "SLACK_BOT_TOKEN", ""))


def _email_notifications_enabled() -> bool:
    """What the notification outbox itself decides (its email transport)."""
    from calendarEditor.services.notifications import transports

    try:
        return transports.get("email").is_enabled()
    except transports.DeliveryError:
        return False


@checks.register(deploy=True)
def check_email_backend(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    backend = str(getattr(settings, "EMAIL_BACKEND", "") or "")
    if settings.DEBUG or (backend and backend not in NON_DELIVERING_EMAIL_BACKENDS):
        return []
    if not _email_notifications_enabled():
        return []
    shown = backend.rsplit(".", 2)[-2] if backend else "unset"
    return [
        checks.Warning(
            f"Email notifications are on, but EMAIL_BACKEND is {shown}: no mail leaves the server.",
            hint=(
                "Members who chose email, and password resets, would never hear anything. Set "
                "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST, "
                "EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS."
            ),
            id="mysite.W004",
        )
    ]


@checks.register(deploy=True)
def check_slack_links(app_configs: AppConfigs = None, **kwargs: Any) -> Messages:
    if settings.DEBUG or not _slack_enabled():
        return []
    base_url = str(getattr(settings, "BASE_URL", "") or "")
    parts = urlsplit(base_url)
    if parts.scheme in {"http", "https"} and parts.hostname and not _is_local(base_url):
        return []
    return [
        checks.Warning(
            f"SLACK_BOT_TOKEN is set but BASE_URL is {base_url!r}, not the site's public address.",
            hint=(
                "Every Slack message links to the site (with a one-time login) through "
                "BASE_URL; members would get links that open nothing. Set BASE_URL to the "
                "address members use, e.g. https://queue.example.org."
            ),
            id="mysite.W005",
        )
    ]
