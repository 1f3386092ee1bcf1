"""The caller's notifications: list (all or unread), mark one or all read.

Every query is filtered by the caller, so another member's notification answers 404.
"""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router

from calendarEditor.api import schemas
from calendarEditor.api.auth import caller
from calendarEditor.api.pagination import PageParams, page_of
from calendarEditor.models import Notification
from calendarEditor.services.notifications import inbox

router = Router(tags=["notifications"])


@router.get(
    "/notifications",
    response=schemas.with_auth_errors({200: schemas.NotificationPage}),
    summary="My notifications",
)
def list_notifications(
    request: HttpRequest, page: Query[PageParams], unread: bool = False
) -> dict[str, Any]:
    """Your notifications, newest first; ``unread=true`` for the unread ones only."""
    user = caller(request)
    items, count = page_of(inbox.notifications_for(user, unread_only=unread), page)
    return {
        "items": [notification_body(n) for n in items],
        "count": count,
        "unread_count": inbox.unread_count(user),
        "limit": page.limit,
        "offset": page.offset,
    }


@router.post(
    "/notifications/read-all",
    response=schemas.with_auth_errors({200: schemas.MarkedRead}, has_input=False),
    summary="Mark all read",
)
def mark_all_read(request: HttpRequest) -> dict[str, int]:
    """Mark every unread notification of yours read; says how many changed."""
    return {"marked": inbox.mark_all_read(caller(request))}


@router.post(
    "/notifications/{notification_id}/read",
    response=schemas.with_auth_errors({200: schemas.Notification, 404: schemas.Error}),
    summary="Mark one read",
)
def mark_read(
    request: HttpRequest, notification_id: int = Path(..., ge=1, le=schemas.MAX_ID)
) -> dict[str, Any]:
    """Mark one of your notifications read (reading it twice changes nothing)."""
    notification = inbox.mark_read(caller(request), notification_id)
    if notification is None:
        raise Http404
    return notification_body(notification)


def notification_body(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "group": notification.group,
        "title": notification.title,
        "message": notification.message,
        "link": notification.link,
        "entry_id": notification.entry_id,
        "machine_id": notification.machine_id,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "unread": notification.is_unread,
        "current": notification.is_current,
    }
