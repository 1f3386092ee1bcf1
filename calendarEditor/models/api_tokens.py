from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A member's personal credential for the JSON API. Only the SHA-256 of the token is stored.

    Tokens are 256 random bits, so a fast hash is enough: there is nothing to
    brute-force that a slow hash would protect, and a copy of the database
    cannot call the API. ``prefix`` (the token's first characters) tells a
    member's tokens apart on the profile without revealing them.
    calendarEditor.services.api_tokens creates, checks and revokes them.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_active")]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.name} ({self.prefix}…, {state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
