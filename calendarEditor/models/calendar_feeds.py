"""Secret links to a member's iCalendar feeds (calendarEditor.services.calendar_feeds)."""

from django.conf import settings
from django.db import models


class CalendarFeedToken(models.Model):
    """The key in a member's feed URLs. Only the SHA-256 of the 256-bit token is stored.

    A member has at most one live token; revoking it (or making a new one) stops
    every feed URL that carried it.
    """

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_token",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"calendar feed token of {self.member_id} ({state})"
