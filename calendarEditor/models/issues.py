"""Problems members report on a machine, and the lab managers' replies (DESIGN §2)."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class IssueSeverity(models.TextChoices):
    INFO = "info", "Info"
    DEGRADED = "degraded", "Degraded (usable with care)"
    DOWN = "down", "Down (cannot be used)"


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


OPEN_ISSUE_STATUSES = (IssueStatus.OPEN, IssueStatus.ACKNOWLEDGED)


def issue_photo_path(instance: object, filename: str) -> str:
    """issues/<yyyy>/<mm>/<uuid>: nothing of the uploaded name reaches the disk."""
    now = timezone.now()
    return f"issues/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


class EquipmentIssue(models.Model):
    machine = models.ForeignKey(
        "calendarEditor.Machine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
    )
    machine_name = models.CharField(max_length=100, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_issues",
    )
    reporter_name = models.CharField(max_length=150, blank=True)
    severity = models.CharField(max_length=10, choices=IssueSeverity.choices)
    description = models.TextField(max_length=5000)
    photo = models.FileField(upload_to=issue_photo_path, max_length=200, blank=True)
    photo_name = models.CharField(max_length=200, blank=True)
    photo_content_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    estimated_fix_at = models.DateTimeField("estimated fix", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["machine", "status", "severity"], name="issue_machine_status"),
            models.Index(fields=["status", "-created_at"], name="issue_status_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=IssueSeverity.values), name="issue_severity_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=IssueStatus.values), name="issue_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=IssueStatus.RESOLVED)
                | models.Q(resolved_at__isnull=False),
                name="issue_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.machine_name}: {self.get_severity_display()} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("schedule-issue-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ISSUE_STATUSES

    @property
    def summary(self) -> str:
        """The description's first line, short enough for a notice or a table cell."""
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        return first if len(first) <= 120 else first[:119] + "…"


class IssueComment(models.Model):
    issue = models.ForeignKey(EquipmentIssue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True)
    author_is_staff = models.BooleanField(default=False)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author_name or 'deleted account'} on issue {self.issue_id}"
