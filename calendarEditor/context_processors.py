from django.conf import settings
from django.http import HttpRequest

from calendarEditor.services.notifications.inbox import bell_context


def site(request: HttpRequest) -> dict[str, object]:
    return {"LAB_NAME": settings.LAB_NAME}


def notifications(request: HttpRequest) -> dict[str, object]:
    """The bell's unread count, fetched lazily: only pages that show the bell pay for it."""
    return bell_context(request)
