from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse


class FieldDirection(models.TextChoices):
    NONE = "none", "None"
    PARALLEL = "parallel", "Parallel"
    PERPENDICULAR = "perpendicular", "Perpendicular"
    BOTH = "both", "Parallel and perpendicular"


class MachineStatus(models.TextChoices):
    IDLE = "idle", "Idle"
    RUNNING = "running", "Running"
    COOLDOWN = "cooldown", "Cooling down"
    WARMUP = "warmup", "Warming up"
    MAINTENANCE = "maintenance", "Maintenance"
    OFFLINE = "offline", "Offline"


# Statuses in which a machine's queue takes no new entries whatever its switch says.
UNAVAILABLE_STATUSES = frozenset({MachineStatus.MAINTENANCE, MachineStatus.OFFLINE})

_non_negative = [MinValueValidator(0)]


class Machine(models.Model):
    """A shared cryostat and everything matching needs to know about it."""

    name = models.CharField(max_length=100, unique=True)
    location = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)

    min_temp = models.FloatField("minimum temperature (K)", validators=_non_negative)
    max_temp = models.FloatField("maximum temperature (K)", validators=_non_negative)
    max_field_x = models.FloatField("max field B_x (T)", default=0, validators=_non_negative)
    max_field_y = models.FloatField("max field B_y (T)", default=0, validators=_non_negative)
    max_field_z = models.FloatField("max field B_z (T)", default=0, validators=_non_negative)
    field_direction = models.CharField(
        max_length=16, choices=FieldDirection.choices, default=FieldDirection.NONE
    )
    dc_lines = models.PositiveIntegerField("DC lines", default=0)
    rf_lines = models.PositiveIntegerField("RF lines", default=0)
    daughterboards = models.JSONField(
        default=list, blank=True, help_text="Names of the daughterboards this machine accepts."
    )
    optical_access = models.BooleanField(default=False)
    capabilities = models.JSONField(
        default=list,
        blank=True,
        help_text="Other capabilities as short names, e.g. temperature_dependent.",
    )
    cooldown_hours = models.FloatField(default=0, validators=_non_negative)
    warmup_hours = models.FloatField(default=0, validators=_non_negative)
    on_deck_hold_hours = models.FloatField(
        "ON DECK hold (h)",
        default=12,
        validators=_non_negative,
        help_text="How long the member at #1 holds a free machine before staff may skip them.",
    )
    # Queue rules: fair use, training and extensions (calendarEditor.services.fair_use,
    # .training, .queue.extensions).
    max_active_entries_per_member = models.PositiveIntegerField(
        "max active entries per member",
        null=True,
        blank=True,
        help_text=(
            "Most active entries (queued or running, on any machine) a member may hold when "
            "adding one here. Blank: the lab-wide limit. 0: no limit."
        ),
    )
    requires_training = models.BooleanField(
        default=False,
        help_text="Only members a lab manager has recorded as trained can queue here.",
    )
    auto_extension_hours = models.FloatField(
        "extension granted at once (h)",
        null=True,
        blank=True,
        validators=_non_negative,
        help_text=(
            "A running member may extend by up to this many hours in all without review. "
            "Blank or 0: every extension waits for a lab manager."
        ),
    )

    status = models.CharField(
        max_length=16, choices=MachineStatus.choices, default=MachineStatus.IDLE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    accepts_entries = models.BooleanField(
        "queue open",
        default=True,
        help_text="A closed queue keeps its entries but takes no new ones.",
    )
    # Bumped on every queue change under the row lock; live pages compare it to
    # spot missed hints.
    queue_version = models.PositiveBigIntegerField(default=0, editable=False)

    current_temperature = models.FloatField("latest temperature (K)", null=True, blank=True)
    temperature_updated_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_temp__lte=models.F("max_temp")),
                name="machine_min_temp_lte_max_temp",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schedule-machine", args=[self.pk])

    @property
    def is_available(self) -> bool:
        """Open for new entries and not out of service."""
        return self.accepts_entries and self.status not in UNAVAILABLE_STATUSES

    @property
    def is_free_for_next_run(self) -> bool:
        """Idle: the member at #1 can check in now (their ON DECK hold runs)."""
        return self.status == MachineStatus.IDLE

    @property
    def status_allows_start(self) -> bool:
        # A closed queue still runs the entries it holds.
        return self.status not in UNAVAILABLE_STATUSES
