"""WebSocket routes, and the stack every socket passes through before a consumer."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from calendarEditor.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live-socket"),
]


def websocket_application() -> Any:
    """Origin checked against ALLOWED_HOSTS first, then the session's user, then the route.

    A function, so the allowed hosts are read when the application is built
    (at start-up, or by a test after its settings are in place).
    """
    return AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
