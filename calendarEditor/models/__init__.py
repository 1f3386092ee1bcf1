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
from calendarEditor.models.archive import ArchivedMeasurement, ArchiveFile
from calendarEditor.models.issues import (
    OPEN_ISSUE_STATUSES,
    EquipmentIssue,
    IssueComment,
    IssueSeverity,
    IssueStatus,
)
from calendarEditor.models.presets import (
    PresetEdit,
    PresetFollow,
    PresetVisibility,
    QueuePreset,
)

__all__ += [
    "OPEN_ISSUE_STATUSES",
    "ArchiveFile",
    "ArchivedMeasurement",
    "EquipmentIssue",
    "IssueComment",
    "IssueSeverity",
    "IssueStatus",
    "PresetEdit",
    "PresetFollow",
    "PresetVisibility",
    "QueuePreset",
]
