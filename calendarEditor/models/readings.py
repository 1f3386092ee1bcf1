from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class GatewayKey(models.Model):
    """A lab gateway's credential. Only the SHA-256 of the key is stored.

    Keys are 256 random bits, so a fast hash is enough: there is nothing to
    brute-force that a slow hash would protect. The raw key is shown once, when
    staff create it; ``key_prefix`` (its first characters) tells keys apart on
    the staff page without revealing them.
    """

    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Machine names the gateway could not read on its latest pass, as it reported them.
    last_unreachable = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # A revoked key keeps its name, so a replacement can reuse it.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(revoked_at__isnull=True),
                name="gateway_key_active_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TemperatureReading(models.Model):
    """One temperature a gateway read, kept as history for the plots.

    Raw readings are deleted with their machine (CASCADE): they only mean
    something next to a machine, and the audit log and archived runs keep
    their own copies of what matters after a machine is gone. Old readings are
    pruned by the due-work runner (TEMPERATURE_RETENTION_DAYS).
    """

    machine = models.ForeignKey(
        "calendarEditor.Machine",
        on_delete=models.CASCADE,
        related_name="temperature_readings",
        # The (machine, read_at) index below serves every lookup by machine.
        db_index=False,
    )
    read_at = models.DateTimeField()
    kelvin = models.FloatField()
    # The gateway's UUID4 hex for this reading: a replayed batch stores nothing twice.
    reading_id = models.CharField(max_length=32, unique=True)
    received_at = models.DateTimeField(default=timezone.now)
    gateway = models.ForeignKey(
        GatewayKey,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="readings",
    )

    class Meta:
        indexes = [
            models.Index(fields=["machine", "read_at"], name="reading_machine_time"),
            # Pruning deletes by age across every machine.
            models.Index(fields=["read_at"], name="reading_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kelvin__gte=0), name="reading_kelvin_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.machine_id}: {self.kelvin} K at {self.read_at:%Y-%m-%d %H:%M:%S}"
