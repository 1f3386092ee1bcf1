from django.conf import settings
from django.db import models
from django.db.models import Q

from calendarEditor.id_urls import id_url
from calendarEditor.models.machines import FieldDirection, Machine


class EntryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (EntryStatus.QUEUED, EntryStatus.RUNNING)


class RushStatus(models.TextChoices):
    NONE = "", "No rush"
    PENDING = "pending", "Awaiting review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Requirements(models.Model):
    """The experimental needs of a job; shared by queue entries and presets."""

    required_min_temp = models.FloatField("lowest temperature needed (K)", null=True, blank=True)
    required_max_temp = models.FloatField("highest temperature needed (K)", null=True, blank=True)
    required_field_x = models.FloatField("field B_x (T)", default=0)
    required_field_y = models.FloatField("field B_y (T)", default=0)
    required_field_z = models.FloatField("field B_z (T)", default=0)
    required_field_direction = models.CharField(
        "field direction",
        max_length=16,
        choices=FieldDirection.choices,
        default=FieldDirection.NONE,
    )
    required_dc_lines = models.PositiveIntegerField("DC lines", default=0)
    required_rf_lines = models.PositiveIntegerField("RF lines", default=0)
    required_daughterboard = models.CharField("daughterboard", max_length=100, blank=True)
    required_optical = models.BooleanField("optical access", default=False)
    required_capabilities = models.JSONField("other capabilities", default=list, blank=True)

    class Meta:
        abstract = True


class QueueEntry(Requirements):
    """One job waiting for, running on, or finished on a machine.

    Invariants (kept by calendarEditor.services.queue under the machine's row
    lock, and backed by the constraints below): the queued entries of a
    machine hold positions exactly 1..n; position is NULL whenever the entry
    is not queued; at most one running entry per machine.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="queue_entries",
    )
    # Kept as text so history reads right after an account is deleted.
    member_name = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    estimated_hours = models.FloatField("estimated duration (h)")

    machine = models.ForeignKey(
        Machine, on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    # Kept as text so history survives a deleted machine.
    machine_name = models.CharField(max_length=100, blank=True)
    position = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EntryStatus.choices, default=EntryStatus.QUEUED
    )

    rush_status = models.CharField(
        max_length=16, choices=RushStatus.choices, default=RushStatus.NONE, blank=True
    )
    rush_justification = models.TextField(blank=True, max_length=2000)
    rush_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rush_reviewed_at = models.DateTimeField(null=True, blank=True)
    rush_review_note = models.TextField(blank=True, max_length=2000)

    submitted_at = models.DateTimeField(auto_now_add=True)
    # When the entry last reached #1 on a free machine: the ON DECK hold runs from here.
    on_deck_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)

    # Reminder bookkeeping for scheduled work.
    last_check_in_reminder_at = models.DateTimeField(null=True, blank=True)
    last_check_out_reminder_at = models.DateTimeField(null=True, blank=True)
    check_out_snoozed_until = models.DateTimeField(null=True, blank=True)
    # Each compared with on_deck_since / started_at: a newer hold or run starts afresh.
    hold_expired_notified_at = models.DateTimeField(null=True, blank=True)
    hold_expired_staff_alerted_at = models.DateTimeField(null=True, blank=True)
    last_still_in_use_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["machine_id", "position", "submitted_at"]
        verbose_name_plural = "queue entries"
        indexes = [
            models.Index(fields=["machine", "status", "position"], name="entry_machine_status_pos"),
            models.Index(fields=["member", "status"], name="entry_member_status"),
            models.Index(fields=["status", "rush_status"], name="entry_status_rush"),
            # Queue summaries count and sum queued hours per machine from this index alone.
            models.Index(
                fields=["machine", "position", "estimated_hours"],
                condition=Q(status=EntryStatus.QUEUED),
                name="entry_queued_hours",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["machine", "position"],
                name="entry_unique_machine_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.UniqueConstraint(
                fields=["machine"],
                condition=Q(status=EntryStatus.RUNNING),
                name="entry_one_running_per_machine",
            ),
            models.CheckConstraint(
                condition=(Q(status=EntryStatus.QUEUED, position__gte=1) & Q(machine__isnull=False))
                | (~Q(status=EntryStatus.QUEUED) & Q(position__isnull=True)),
                name="entry_position_iff_queued",
            ),
            models.CheckConstraint(
                condition=Q(estimated_hours__gt=0), name="entry_estimated_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.member_name or 'deleted account'})"

    def get_absolute_url(self) -> str:
        return id_url("schedule-entry", self.pk)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_on_deck(self) -> bool:
        return self.status == EntryStatus.QUEUED and self.position == 1
