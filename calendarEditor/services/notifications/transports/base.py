"""What a delivery channel is, and the registry the outbox and the runner look them up in."""

from datetime import datetime
from typing import Any, Protocol


class DeliveryError(Exception):
    """A send that did not happen. ``permanent`` stops retries (an unknown Slack user, a
    revoked token); ``retry_after`` (seconds) is the earliest a retry may be made."""

    def __init__(
        self, message: str, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(Protocol):
    channel: str
    # True when writing the delivery row is the delivery (in-app): no send is queued.
    sent_on_write: bool

    def is_enabled(self) -> bool:
        """Configured on this site; a disabled channel gets no delivery rows at all."""
        ...

    def can_reach(self, user: Any, now: datetime) -> bool:
        """Whether a delivery to ``user`` is worth creating (e.g. they have an email)."""
        ...

    def send(self, delivery: Any, now: datetime) -> None:
        """Send one delivery; raise DeliveryError when it did not go out."""
        ...


_registry: dict[str, Transport] = {}


def register(transport: Transport) -> Transport:
    _registry[transport.channel] = transport
    return transport


def get(channel: str) -> Transport:
    try:
        return _registry[channel]
    except KeyError:
        raise DeliveryError(f"no transport for channel {channel!r}", permanent=True) from None


def enabled_channels() -> set[str]:
    return {channel for channel, transport in _registry.items() if transport.is_enabled()}
