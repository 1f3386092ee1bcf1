from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class OneTimeLoginToken(models.Model):
    """A link that logs one member in once, on one page of this site (DESIGN §5).

    Only the SHA-256 of the token is stored: a copy of the database cannot log
    anyone in. calendarEditor.services.notifications.tokens creates and redeems them.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_tokens"
    )
    target_path = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "used" if self.used_at else "unused"
        return f"login link for {self.user_id} to {self.target_path} ({state})"

    def is_usable(self, now: datetime | None = None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())
