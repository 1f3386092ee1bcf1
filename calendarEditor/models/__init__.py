"""The lab queue's models, one module per noun (CONVENTIONS.md), re-exported here."""

from calendarEditor.models.api_tokens import ApiToken
from calendarEditor.models.archive import ArchivedMeasurement, ArchiveFile
from calendarEditor.models.audit import AuditEvent
from calendarEditor.models.calendar_feeds import CalendarFeedToken
from calendarEditor.models.extensions import ExtensionRequest, ExtensionStatus
from calendarEditor.models.issues import (
    OPEN_ISSUE_STATUSES,
    EquipmentIssue,
    IssueComment,
    IssueSeverity,
    IssueStatus,
)
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
from calendarEditor.models.presets import (
    PresetEdit,
    PresetFollow,
    PresetVisibility,
    QueuePreset,
)
from calendarEditor.models.queue import ACTIVE_STATUSES, EntryStatus, QueueEntry, RushStatus
from calendarEditor.models.readings import GatewayKey, TemperatureReading
from calendarEditor.models.schedules import (
    ClosedWindow,
    JobState,
    OpeningHours,
    QueueSchedule,
    ScheduleState,
    Weekday,
)
from calendarEditor.models.tokens import OneTimeLoginToken
from calendarEditor.models.training import Qualification, TrainingRequest, TrainingRequestStatus

__all__ = [
    "ACTIVE_STATUSES",
    "OPEN_ISSUE_STATUSES",
    "UNAVAILABLE_STATUSES",
    "ApiToken",
    "ArchiveFile",
    "ArchivedMeasurement",
    "AuditEvent",
    "CalendarFeedToken",
    "Channel",
    "ClosedWindow",
    "Delivery",
    "DeliveryState",
    "EntryStatus",
    "EquipmentIssue",
    "ExtensionRequest",
    "ExtensionStatus",
    "FieldDirection",
    "GatewayKey",
    "IssueComment",
    "IssueSeverity",
    "IssueStatus",
    "JobState",
    "Machine",
    "MachineStatus",
    "Notification",
    "NotificationPreference",
    "OneTimeLoginToken",
    "OpeningHours",
    "PresetEdit",
    "PresetFollow",
    "PresetVisibility",
    "Qualification",
    "QueueEntry",
    "QueuePreset",
    "QueueSchedule",
    "RushStatus",
    "ScheduleState",
    "TemperatureReading",
    "TrainingRequest",
    "TrainingRequestStatus",
    "Weekday",
]
