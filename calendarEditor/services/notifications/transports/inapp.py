"""In the app: the notification row is the delivery; a live hint tells open pages to look.

The hint carries no text (DESIGN §6): the page re-fetches its bell fragment,
rendered for the viewer. It goes through calendarEditor.services.broadcast,
which never raises and logs a layer that is down.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from calendarEditor.models import Channel
from calendarEditor.services import broadcast


class InAppTransport:
    channel = Channel.IN_APP.value
    sent_on_write = True

    def is_enabled(self) -> bool:
        return True

    def can_reach(self, user: Any, now: datetime) -> bool:
        return True

    def send(self, delivery: Any, now: datetime) -> None:
        # Reached only when staff retry an in-app row by hand: the row exists, so hint again.
        send_hints([delivery.recipient_id])


def send_hints(user_ids: Iterable[int]) -> None:
    """Tell these members' open pages that their notifications changed. Never raises."""
    broadcast.send([broadcast.notifications_hint(user_id) for user_id in sorted(set(user_ids))])
