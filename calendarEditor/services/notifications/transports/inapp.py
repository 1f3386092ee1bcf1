"""In the app: the notification row is the delivery; a live hint tells open pages to look.

The hint carries no text (DESIGN §6): the page re-fetches its bell fragment,
rendered for the viewer. A channel layer that is down costs a log line.
"""

import logging
import time
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from calendarEditor.models import Channel
from calendarEditor.services.broadcast import user_group

logger = logging.getLogger(__name__)

HINT = {"type": "notifications.changed"}
_LOG_EVERY_SECONDS = 60.0
_last_failure_logged = 0.0


class InAppTransport:
    channel = Channel.IN_APP.value
    sent_on_write = True

    def is_enabled(self) -> bool:
        return True

    def can_reach(self, user: Any, now: datetime) -> bool:
        return True

    def send(self, delivery: Any, now: datetime) -> None:
        # Reached only when staff retry an in-app row by hand: the row exists, so hint again.
        send_hint(delivery.recipient_id)


def send_hint(user_id: int) -> bool:
    """Tell the member's open pages that their notifications changed. Never raises."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(user_group(user_id), dict(HINT))
    except Exception:
        _log_failure(user_id)
        return False
    return True


def _log_failure(user_id: int) -> None:
    # Rate-limited: with Redis down every notice would otherwise log a traceback.
    global _last_failure_logged
    now = time.monotonic()
    if now - _last_failure_logged >= _LOG_EVERY_SECONDS:
        _last_failure_logged = now
        logger.warning(
            "channel layer unavailable; notification hint to %s dropped", user_id, exc_info=True
        )
