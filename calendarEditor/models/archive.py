"""Records of finished runs and their uploaded files (DESIGN §2).

Names and ids are copied as text, so an archive still reads right after its
machine, member or entry is deleted. Files live under MEDIA_ROOT with names the
server chose; the name the member gave is kept for display only.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


def archive_file_path(instance: object, filename: str) -> str:
    """archives/<yyyy>/<mm>/<uuid>: nothing of the uploaded name reaches the disk."""
    now = timezone.now()
    return f"archives/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


class ArchivedMeasurement(models.Model):
    entry = models.ForeignKey(
        "calendarEditor.QueueEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archives",
    )
    machine = models.ForeignKey(
        "calendarEditor.Machine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archives",
    )
    machine_name = models.CharField(max_length=100, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archived_measurements",
    )
    member_name = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=200)
    notes = models.TextField(max_length=20000, blank=True)
    measurement_start = models.DateTimeField()
    measurement_end = models.DateTimeField()
    actual_hours = models.FloatField("actual duration (h)")
    # The entry's requirements and the preset used, as they were when archived.
    requirements_snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-measurement_start", "-id"]
        indexes = [
            models.Index(fields=["member", "-measurement_start"], name="archive_member_start"),
            models.Index(fields=["machine", "-measurement_start"], name="archive_machine_start"),
        ]
        constraints = [
            # One record per run; NULLs (a deleted entry) do not collide.
            models.UniqueConstraint(fields=["entry"], name="archive_one_per_entry"),
            models.CheckConstraint(
                condition=Q(measurement_end__gte=F("measurement_start")),
                name="archive_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_hours__gte=0), name="archive_actual_hours_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.member_name or 'deleted account'})"

    def get_absolute_url(self) -> str:
        return reverse("schedule-archive-detail", args=[self.pk])


class ArchiveFile(models.Model):
    archive = models.ForeignKey(ArchivedMeasurement, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=archive_file_path, max_length=200)
    original_name = models.CharField(max_length=200)  # cleaned; for display and downloads
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)  # detected from the content
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["original_name", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("schedule-archive-file", args=[self.pk])
