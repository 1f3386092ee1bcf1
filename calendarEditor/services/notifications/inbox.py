"""A member's own notifications: what the bell counts, the list, and marking them read."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from calendarEditor.models import Notification


def unread_count(user: Any) -> int:
    """Unread notices that still hold; the bell shows this (one query)."""
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, superseded_at__isnull=True
    ).count()


def bell_context(request: HttpRequest) -> dict[str, Any]:
    """Context for fragments/bell.html on every page: one query, only when the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user))}


def notifications_for(
    user: Any, *, kind: str = "", group: str = "", unread_only: bool = False
) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    if kind:
        notifications = notifications.filter(kind=kind)
    if group:
        notifications = notifications.filter(group=group)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-pk")


def mark_read(user: Any, pk: int, *, now: datetime | None = None) -> Notification | None:
    """Mark one of the user's notifications read; None when it is not theirs."""
    notification = Notification.objects.filter(recipient=user, pk=pk).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(user: Any, *, now: datetime | None = None) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
