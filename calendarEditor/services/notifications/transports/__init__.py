"""Delivery channels: small transport classes in one registry (CONVENTIONS rule 6)."""

from calendarEditor.services.notifications.transports.base import (
    DeliveryError,
    Transport,
    enabled_channels,
    get,
    register,
)
from calendarEditor.services.notifications.transports.email import EmailTransport
from calendarEditor.services.notifications.transports.inapp import InAppTransport, send_hints
from calendarEditor.services.notifications.transports.slack import SlackTransport

register(InAppTransport())
register(SlackTransport())
register(EmailTransport())

__all__ = ["DeliveryError", "Transport", "enabled_channels", "get", "register", "send_hints"]
