"""One-time login links for Slack DMs (DESIGN §5).

A token is 256 random bits; only its SHA-256 is stored. It is bound to one
member and one page of this site, expires after LOGIN_LINK_TTL_HOURS, and is
spent by one atomic UPDATE, so of any number of concurrent redemptions exactly
one succeeds. Redeeming is the view's POST: scanners that fetch links only GET.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from calendarEditor.models import OneTimeLoginToken

DEFAULT_TTL_HOURS = 24
_MAX_RAW_LENGTH = 100


def ttl() -> timedelta:
    return timedelta(hours=float(getattr(settings, "LOGIN_LINK_TTL_HOURS", DEFAULT_TTL_HOURS)))


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def is_same_site_path(path: str) -> bool:
    """A path on this site ("/schedule/…"), never another host or a scheme."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith(("//", "/\\")):
        return False
    if any(ch in path for ch in "\r\n\t\\"):
        return False
    return url_has_allowed_host_and_scheme(path, allowed_hosts=None)


def create_token(user: Any, target_path: str, *, now: datetime | None = None) -> str:
    """Store a token for ``user`` and ``target_path``; returns the raw token (shown once)."""
    if not is_same_site_path(target_path):
        raise ValueError(f"login links only lead to pages of this site, not {target_path!r}")
    moment = now or timezone.now()
    raw = secrets.token_urlsafe(32)
    OneTimeLoginToken.objects.create(
        token_hash=hash_token(raw),
        user=user,
        target_path=target_path,
        created_at=moment,
        expires_at=moment + ttl(),
    )
    return raw


def create_link(user: Any, target_path: str, *, now: datetime | None = None) -> str:
    """An absolute one-time login URL to ``target_path``, for a DM."""
    raw = create_token(user, target_path, now=now)
    base = str(getattr(settings, "BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse("schedule-login-link", args=[raw])


def find(raw: str) -> OneTimeLoginToken | None:
    """The token row for ``raw``, whatever its state (for the confirm page's messages)."""
    if not raw or len(raw) > _MAX_RAW_LENGTH:
        return None
    return (
        OneTimeLoginToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    )


def redeem(
    raw: str, *, user_expected: Any | None = None, now: datetime | None = None
) -> OneTimeLoginToken | None:
    """Spend the token; returns it (with its user) only to the one caller that spent it."""
    if not raw or len(raw) > _MAX_RAW_LENGTH:
        return None
    moment = now or timezone.now()
    unspent = OneTimeLoginToken.objects.filter(
        token_hash=hash_token(raw), used_at__isnull=True, expires_at__gt=moment
    )
    if user_expected is not None:
        unspent = unspent.filter(user_id=user_expected.pk)
    if unspent.update(used_at=moment) != 1:
        return None
    return OneTimeLoginToken.objects.select_related("user").get(token_hash=hash_token(raw))


def prune_expired(now: datetime | None = None) -> int:
    """Delete expired tokens, used or not; returns how many went."""
    deleted, _ = OneTimeLoginToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
