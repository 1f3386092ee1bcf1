"""When machine queues open and close, and the bookkeeping of scheduled work (DESIGN §7).

A machine's QueueSchedule holds its weekly opening hours and one-off closed
windows (planned maintenance, holidays). The due-work runner opens and closes
the queue when the schedule's wish changes; staff can override it by hand
until a given time. Closing a queue never drops its entries: it only stops new
ones. JobState records each scheduled job's last run and claims once-a-day work.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from calendarEditor.models.machines import Machine


class ScheduleState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class QueueSchedule(models.Model):
    """A machine's timetable and the state the schedule last put its queue in."""

    machine = models.OneToOneField(Machine, on_delete=models.CASCADE, related_name="queue_schedule")
    # While set and in the future, the runner leaves the queue as staff set it by hand.
    override_until = models.DateTimeField(null=True, blank=True)
    override_open = models.BooleanField(default=True)
    override_reason = models.CharField(max_length=500, blank=True)
    # What the schedule last wanted and applied; the runner acts only when its wish
    # changes, so a queue staff open or close by hand stays so until the next change.
    applied_state = models.CharField(max_length=8, choices=ScheduleState.choices, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    check_out_snooze_max_hours = models.FloatField(
        "longest check-out snooze (h)",
        null=True,
        blank=True,
        validators=[MinValueValidator(0.25)],
        help_text="Empty: the site's default (CHECK_OUT_SNOOZE_MAX_HOURS).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "queue schedule"

    def __str__(self) -> str:
        return f"Queue schedule of {self.machine}"


class OpeningHours(models.Model):
    """One weekday's opening period, in the lab's time zone.

    ``closes_at`` at or before ``opens_at`` runs past midnight into the next
    day (22:00-06:00); equal times mean open for 24 hours from ``opens_at``.
    """

    schedule = models.ForeignKey(QueueSchedule, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["schedule", "weekday"], name="hours_one_per_weekday"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_0_to_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class ClosedWindow(models.Model):
    """A one-off period when the queue is closed whatever the opening hours say."""

    schedule = models.ForeignKey(
        QueueSchedule, on_delete=models.CASCADE, related_name="closed_windows"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["schedule", "ends_at"], name="closed_window_schedule_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="closed_window_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.machine} closed {self.starts_at:%Y-%m-%d %H:%M}: {self.reason}"


class JobState(models.Model):
    """The last run of one scheduled job, and the daily window its work was claimed for."""

    name = models.CharField(max_length=64, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.TextField(blank=True)
    last_summary = models.CharField(max_length=500, blank=True)
    # Start of the latest daily window whose once-a-day work has been claimed.
    window_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: last run {self.last_started_at or 'never'}"
