"""Personal API tokens: create (the raw token is shown once), check, revoke, list.

A token is "lq_" plus 256 random bits. Only its SHA-256 is stored, so checking
a token is a lookup by hash: the comparison happens on a digest the caller
cannot steer, which keeps it constant-time with respect to the secret.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from calendarEditor.models import ApiToken
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from userRegistration.models import is_approved_member

TOKEN_MARKER = "lq_"
PREFIX_LENGTH = 10  # the marker and 7 random characters: enough to tell tokens apart
# Longer than any token create_token makes; longer headers are refused unhashed.
MAX_TOKEN_LENGTH = 128
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# last_used_at is a hint for the profile page; writing it on every call would be waste.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiTokenError(QueueError):
    """A token change that cannot happen; the message is for the member."""


def max_active_tokens() -> int:
    return int(getattr(settings, "API_TOKENS_MAX_PER_USER", 10))


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def new_raw_token() -> str:
    return TOKEN_MARKER + secrets.token_urlsafe(32)


def tokens_for(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens: active ones (newest first), then the most recently revoked."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )


def create_token(user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """A new active token and its raw value, which is never stored and cannot be shown again."""
    if not is_approved_member(user):
        raise ApiTokenError("Only approved members can create API tokens.")
    name = " ".join(name.split())
    if not name:
        raise ApiTokenError("Name the token after where it is used, e.g. “lab laptop script”.")
    if len(name) > NAME_MAX_LENGTH:
        raise ApiTokenError(f"A token's name has at most {NAME_MAX_LENGTH} characters.")
    raw_token = new_raw_token()
    with transaction.atomic():
        # Counted under the user's row lock so two quick submits cannot pass the limit together.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        limit = max_active_tokens()
        if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= limit:
            raise ApiTokenError(
                f"You have {limit} active tokens, the most allowed; revoke one you no longer use."
            )
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw_token[:PREFIX_LENGTH], token_hash=hash_token(raw_token)
        )
        audit.record(
            "api_token.created",
            actor=user,
            subject_user=user,
            summary=f"API token {name} created ({token.prefix}…)",
            details={"api_token_id": token.pk, "prefix": token.prefix},
        )
    return token, raw_token


def revoke_token(token: ApiToken, *, by: AbstractBaseUser) -> ApiToken:
    """Revoke for good: the next call with it gets 401. Only its owner may revoke it."""
    if token.user_id != by.pk:
        raise ApiTokenError("That token belongs to another account.")
    now = timezone.now()
    with transaction.atomic():
        # The conditional UPDATE makes two concurrent revokes record one event.
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not revoked:
            raise ApiTokenError(f"The token {token.name} is already revoked.")
        token.revoked_at = now
        audit.record(
            "api_token.revoked",
            actor=by,
            subject_user=token.user,
            summary=f"API token {token.name} revoked ({token.prefix}…)",
            details={"api_token_id": token.pk, "prefix": token.prefix},
        )
    return token


def authenticate(raw_token: str) -> ApiToken | None:
    """The active token matching ``raw_token``, with its user and profile; None otherwise.

    The caller decides what an inactive or unapproved user gets; this only
    says whose token it is.
    """
    raw_token = raw_token.strip()
    if not raw_token.startswith(TOKEN_MARKER) or len(raw_token) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user__profile")
        .filter(token_hash=hash_token(raw_token), revoked_at__isnull=True)
        .first()
    )
    if token is not None:
        _touch(token)
    return token


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
