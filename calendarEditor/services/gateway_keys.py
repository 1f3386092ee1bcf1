"""Gateway keys for lab managers: create (the raw key is shown once), revoke, list."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from calendarEditor.models import GatewayKey
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.gateway import KEY_PREFIX_LENGTH, hash_key
from calendarEditor.services.gateway_validation import setting
from calendarEditor.services.queue._guards import require_staff

KEY_MARKER = "gw_"
NAME_MAX_LENGTH = GatewayKey._meta.get_field("name").max_length


class GatewayKeyError(QueueError):
    """A key change that cannot happen; the message is for the lab manager."""


def silent_after() -> timedelta:
    return timedelta(minutes=setting("GATEWAY_SILENT_MINUTES", 30))


def new_raw_key() -> str:
    # 32 random bytes: 256 bits, so a fast hash of the key is safe to store.
    return KEY_MARKER + secrets.token_urlsafe(32)


def create_key(name: str, *, by: AbstractBaseUser) -> tuple[GatewayKey, str]:
    """A new active key and its raw value, which is never stored and cannot be shown again."""
    require_staff(by)
    name = " ".join(name.split())
    if not name:
        raise GatewayKeyError("Give the gateway a name, e.g. the lab PC it runs on.")
    if len(name) > NAME_MAX_LENGTH:
        raise GatewayKeyError(f"A gateway's name has at most {NAME_MAX_LENGTH} characters.")
    raw_key = new_raw_key()
    try:
        with transaction.atomic():
            key = GatewayKey.objects.create(
                name=name,
                key_prefix=raw_key[:KEY_PREFIX_LENGTH],
                key_hash=hash_key(raw_key),
                created_by=by,
            )
            audit.record(
                "gateway.key_created",
                actor=by,
                summary=f"Gateway key {name} created ({key.key_prefix}…)",
                details={"gateway_key_id": key.pk, "key_prefix": key.key_prefix},
            )
    except IntegrityError:
        raise GatewayKeyError(
            f"An active key named {name!r} exists already; revoke it first or pick another name."
        ) from None
    return key, raw_key


def revoke_key(key: GatewayKey, *, by: AbstractBaseUser, reason: str = "") -> GatewayKey:
    """Revoke a key for good: the next request with it gets 401. Revoking twice is an error."""
    require_staff(by)
    now = timezone.now()
    with transaction.atomic():
        # The conditional UPDATE makes two concurrent revokes record one event.
        revoked = GatewayKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not revoked:
            raise GatewayKeyError(f"The key {key.name} is already revoked.")
        key.revoked_at = now
        audit.record(
            "gateway.key_revoked",
            actor=by,
            summary=f"Gateway key {key.name} revoked ({key.key_prefix}…)",
            reason=reason,
            details={"gateway_key_id": key.pk, "key_prefix": key.key_prefix},
        )
    return key


@dataclass(frozen=True)
class GatewayStatus:
    key: GatewayKey
    is_silent: bool  # active, and not heard from within GATEWAY_SILENT_MINUTES (or never)


def gateway_statuses(now: datetime | None = None) -> list[GatewayStatus]:
    """Every key, active ones first, then the most recently revoked (one query)."""
    now = now or timezone.now()
    cutoff = now - silent_after()
    keys = GatewayKey.objects.select_related("created_by").order_by(
        F("revoked_at").desc(nulls_first=True), "name", "pk"
    )
    return [
        GatewayStatus(
            key=key,
            is_silent=key.is_active and (key.last_used_at is None or key.last_used_at < cutoff),
        )
        for key in keys
    ]


def silent_gateway_count(now: datetime | None = None) -> int:
    """How many active keys have not been heard from lately, for the staff dashboard (one query)."""
    now = now or timezone.now()
    return (
        GatewayKey.objects.filter(revoked_at__isnull=True)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - silent_after()))
        .count()
    )
