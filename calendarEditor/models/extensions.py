"""Requests to run longer than estimated (calendarEditor.services.queue.extensions)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    GRANTED = "granted", "Granted"
    REJECTED = "rejected", "Rejected"


class ExtensionRequest(models.Model):
    """One ask to extend a running entry; granted at once within the machine's limit.

    Every extension is kept, granted or not, so the hours already granted
    automatically count against the machine's limit.
    """

    entry = models.ForeignKey(
        "calendarEditor.QueueEntry", on_delete=models.CASCADE, related_name="extensions"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    hours = models.FloatField()
    reason = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    # True when granted without review, within Machine.auto_extension_hours.
    automatic = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="extension_hours_positive"),
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status=ExtensionStatus.PENDING),
                name="extension_one_pending_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"extension of {self.entry_id} by {self.hours} h ({self.status})"
