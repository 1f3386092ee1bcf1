"""Notifications, their deliveries (the outbox) and each member's preferences (DESIGN §5).

A Notification is what a member reads in the app; each channel it goes out on
(in-app, Slack, email) has one Delivery row, written in the same transaction
as the change that caused it and sent after commit. Types, texts and defaults
live in calendarEditor.services.notifications.catalogue, not here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    SLACK = "slack", "Slack"
    EMAIL = "email", "Email"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    PERMANENT_FAILURE = "permanent_failure", "Failed permanently"


# States a runner may claim; "sending" rows are reclaimed only once abandoned.
CLAIMABLE_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)
# States that hold back a member's later messages on the same channel, so they arrive in order.
UNFINISHED_STATES = (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.FAILED)


class Notification(models.Model):
    """One notice to one member: what happened, and where to look."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    group = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    message = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    entry = models.ForeignKey(
        "calendarEditor.QueueEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    machine = models.ForeignKey(
        "calendarEditor.Machine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the notice is about ("top:e12"): a newer notice with the same key replaces
    # an unread one, so a member never holds two current notices about one thing.
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when a later change made this notice stale (e.g. ON DECK, then moved back).
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_time"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True, superseded_at__isnull=True),
                name="notif_recipient_unread",
            ),
            models.Index(fields=["entry", "kind"], name="notif_entry_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=Q(read_at__isnull=True, superseded_at__isnull=True) & ~Q(dedupe_key=""),
                name="notif_one_current_unread_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.title}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class Delivery(models.Model):
    """One channel's attempt to get a notification to its member."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Copied from the notification so ordering checks per member need no join.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["recipient", "channel", "state"], name="delivery_member_channel"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery of notification {self.notification_id}: {self.state}"


class NotificationPreference(models.Model):
    """A member's channels for one notification type; no row means the type's defaults."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(max_length=64)
    in_app = models.BooleanField(default=True)
    slack = models.BooleanField(default=False)
    email = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {', '.join(self.channels()) or 'off'}"

    def channels(self) -> set[str]:
        flags = {Channel.IN_APP: self.in_app, Channel.SLACK: self.slack, Channel.EMAIL: self.email}
        return {str(channel) for channel, on in flags.items() if on}
