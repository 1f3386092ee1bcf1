"""The ASGI entry point daphne serves: ``daphne mysite.asgi:application``.

Each protocol has one entry in ``application``: HTTP goes to Django, and
WebSockets (ws/live/) pass an Origin check against ALLOWED_HOSTS and the
session's user before reaching calendarEditor.consumers. ``routing`` is
imported below ``get_asgi_application()``: consumers import models, which need
the app registry that call loads.
"""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

import mysite.checks  # noqa: F401  (registers the deployment checks)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django_http = get_asgi_application()

from calendarEditor import routing  # noqa: E402  (needs the app registry loaded above)

application = ProtocolTypeRouter(
    {
        "http": django_http,
        "websocket": routing.websocket_application(),
    }
)
