"""Test helpers for tests that need PostgreSQL or Redis.

Locally such a test skips with its reason. CI sets REQUIRE_SERVICES=1 and
provides both services, so there a missing service fails the test instead:
a suite that silently skipped its concurrency tests would pass for nothing.
"""

from typing import NoReturn

import pytest
import redis
from django.conf import settings
from django.db import connection

from mysite.env import env_bool

REDIS_PING_TIMEOUT_SECONDS = 2.0


def services_required() -> bool:
    return env_bool("REQUIRE_SERVICES", False)


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when the run promised the services (REQUIRE_SERVICES=1)."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgres() -> None:
    """Needs the test database on PostgreSQL (row locks, deferred constraints)."""
    if connection.vendor != "postgresql":
        unavailable(
            f"needs PostgreSQL; the test database is {connection.vendor} "
            "(set DATABASE_URL=postgres://...)"
        )


def require_redis() -> str:
    """Needs REDIS_URL set and answering; returns the URL."""
    url = settings.REDIS_URL
    if not url:
        unavailable("needs Redis (set REDIS_URL=redis://...)")
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_PING_TIMEOUT_SECONDS)
    try:
        client.ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {_without_password(url)} is unreachable: {error}")
    finally:
        client.close()
    return url


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{host}"
