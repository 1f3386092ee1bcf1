# Scheduled work ([due]): queue timetables, job bookkeeping, reminder marks on entries.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calendarEditor", "0006_api_tokens"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="JobState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64, unique=True)),
                ("last_started_at", models.DateTimeField(blank=True, null=True)),
                ("last_finished_at", models.DateTimeField(blank=True, null=True)),
                ("last_ok", models.BooleanField(null=True)),
                ("last_error", models.TextField(blank=True)),
                ("last_summary", models.CharField(blank=True, max_length=500)),
                ("window_started_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.AddField(
            model_name="queueentry",
            name="hold_expired_notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="queueentry",
            name="hold_expired_staff_alerted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="queueentry",
            name="last_still_in_use_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="QueueSchedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("override_until", models.DateTimeField(blank=True, null=True)),
                ("override_open", models.BooleanField(default=True)),
                ("override_reason", models.CharField(blank=True, max_length=500)),
                (
                    "applied_state",
                    models.CharField(
                        blank=True,
                        choices=[("open", "Open"), ("closed", "Closed")],
                        max_length=8,
                    ),
                ),
                ("applied_at", models.DateTimeField(blank=True, null=True)),
                (
                    "check_out_snooze_max_hours",
                    models.FloatField(
                        blank=True,
                        help_text="Empty: the site's default (CHECK_OUT_SNOOZE_MAX_HOURS).",
                        null=True,
                        validators=[django.core.validators.MinValueValidator(0.25)],
                        verbose_name="longest check-out snooze (h)",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "machine",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="queue_schedule",
                        to="calendarEditor.machine",
                    ),
                ),
            ],
            options={"verbose_name": "queue schedule"},
        ),
        migrations.CreateModel(
            name="OpeningHours",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "weekday",
                    models.PositiveSmallIntegerField(
                        choices=[
                            (0, "Monday"),
                            (1, "Tuesday"),
                            (2, "Wednesday"),
                            (3, "Thursday"),
                            (4, "Friday"),
                            (5, "Saturday"),
                            (6, "Sunday"),
                        ]
                    ),
                ),
                ("opens_at", models.TimeField()),
                ("closes_at", models.TimeField()),
                (
                    "schedule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hours",
                        to="calendarEditor.queueschedule",
                    ),
                ),
            ],
            options={"verbose_name_plural": "opening hours", "ordering": ["weekday"]},
        ),
        migrations.CreateModel(
            name="ClosedWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("starts_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField()),
                ("reason", models.CharField(max_length=300)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "schedule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="closed_windows",
                        to="calendarEditor.queueschedule",
                    ),
                ),
            ],
            options={"ordering": ["starts_at", "pk"]},
        ),
        migrations.AddConstraint(
            model_name="openinghours",
            constraint=models.UniqueConstraint(
                fields=("schedule", "weekday"), name="hours_one_per_weekday"
            ),
        ),
        migrations.AddConstraint(
            model_name="openinghours",
            constraint=models.CheckConstraint(
                condition=models.Q(("weekday__lte", 6)), name="hours_weekday_0_to_6"
            ),
        ),
        migrations.AddIndex(
            model_name="closedwindow",
            index=models.Index(fields=["schedule", "ends_at"], name="closed_window_schedule_end"),
        ),
        migrations.AddConstraint(
            model_name="closedwindow",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                name="closed_window_ends_after_start",
            ),
        ),
    ]
