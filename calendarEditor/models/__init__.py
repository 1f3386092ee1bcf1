from calendarEditor.models.audit import AuditEvent
from calendarEditor.models.machines import (
    UNAVAILABLE_STATUSES,
    FieldDirection,
    Machine,
    MachineStatus,
)
from calendarEditor.models.notifications import (
    Channel,
    Delivery,
    DeliveryState,
    Notification,
    NotificationPreference,
)
from calendarEditor.models.queue import ACTIVE_STATUSES, EntryStatus, QueueEntry, RushStatus
from calendarEditor.models.readings import GatewayKey, TemperatureReading
from calendarEditor.models.tokens import OneTimeLoginToken

__all__ = [
    "ACTIVE_STATUSES",
    "UNAVAILABLE_STATUSES",
    "AuditEvent",
    "Channel",
    "Delivery",
    "DeliveryState",
    "EntryStatus",
    "FieldDirection",
    "GatewayKey",
    "Machine",
    "MachineStatus",
    "Notification",
    "NotificationPreference",
    "OneTimeLoginToken",
    "QueueEntry",
    "RushStatus",
    "TemperatureReading",
]
