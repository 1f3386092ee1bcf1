"""Saved sets of requirements members load into the submit form (DESIGN §2).

A preset holds no machine: loading one only fills the form, and matching picks
the machine on the server when the entry is submitted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models.queue import Requirements


class PresetVisibility(models.TextChoices):
    PRIVATE = "private", "Private (only you)"
    PUBLIC = "public", "Public (every member)"


class QueuePreset(Requirements):
    name = models.CharField(max_length=100)
    visibility = models.CharField(
        max_length=8, choices=PresetVisibility.choices, default=PresetVisibility.PRIVATE
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue_presets",
    )
    # Kept as text so a public preset still says who made it after the account is deleted.
    creator_name = models.CharField(max_length=150, blank=True)
    estimated_hours = models.FloatField("estimated duration (h)", null=True, blank=True)
    title_template = models.CharField("entry title", max_length=200, blank=True)
    description_template = models.TextField("entry description", max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["visibility", "name"], name="preset_visibility_name"),
            models.Index(fields=["creator", "name"], name="preset_creator_name"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["creator", "name"], name="preset_unique_name_per_creator"
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=PresetVisibility.values), name="preset_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(estimated_hours__isnull=True) | Q(estimated_hours__gt=0),
                name="preset_estimated_hours_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schedule-preset-detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.visibility == PresetVisibility.PUBLIC


class PresetEdit(models.Model):
    """One saved edit of a preset: who, when, and each changed field's old and new value."""

    preset = models.ForeignKey(QueuePreset, on_delete=models.CASCADE, related_name="edits")
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    editor_name = models.CharField(max_length=150, blank=True)
    edited_at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict)  # {field: [old, new]}

    class Meta:
        ordering = ["-edited_at", "-id"]
        indexes = [models.Index(fields=["preset", "-edited_at"], name="preset_edit_time")]

    def __str__(self) -> str:
        return f"{self.preset_id} edited by {self.editor_name or 'deleted account'}"


class PresetFollow(models.Model):
    """A member who wants to hear when a public preset changes or goes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preset_follows"
    )
    preset = models.ForeignKey(QueuePreset, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "preset"], name="preset_follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.preset_id}"
