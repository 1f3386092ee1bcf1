"""Which members are trained on which machine, and their requests for training (DESIGN §2).

A machine with ``requires_training`` takes entries only from members holding a
Qualification for it; calendarEditor.services.training records and revokes them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Qualification(models.Model):
    """A lab manager's record that a member may run a machine on their own."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications"
    )
    machine = models.ForeignKey(
        "calendarEditor.Machine", on_delete=models.CASCADE, related_name="qualifications"
    )
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    trained_at = models.DateField(default=timezone.localdate)
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["machine__name", "member__username"]
        constraints = [
            models.UniqueConstraint(fields=["member", "machine"], name="qualification_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} trained on {self.machine_id}"


class TrainingRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    DONE = "done", "Trained"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class TrainingRequest(models.Model):
    """A member asking to be trained on a machine; staff close it by training or declining."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_requests"
    )
    machine = models.ForeignKey(
        "calendarEditor.Machine", on_delete=models.CASCADE, related_name="training_requests"
    )
    message = models.TextField(blank=True, max_length=2000)
    status = models.CharField(
        max_length=16, choices=TrainingRequestStatus.choices, default=TrainingRequestStatus.OPEN
    )
    response = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open request per member and machine: asking twice adds nothing.
            models.UniqueConstraint(
                fields=["member", "machine"],
                condition=Q(status=TrainingRequestStatus.OPEN),
                name="training_request_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"training request {self.member_id} on {self.machine_id} ({self.status})"
