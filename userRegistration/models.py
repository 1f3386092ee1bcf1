from django.conf import settings
from django.db import models


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class UserProfile(models.Model):
    """Lab-specific facts about an account; created with every user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    approval_status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    department = models.CharField(max_length=120, blank=True)
    slack_member_id = models.CharField(
        "Slack member ID",
        max_length=32,
        blank=True,
        help_text="Found from your email the first time you are messaged; set it to override.",
    )
    slack_lookup_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.TextField(
        blank=True, help_text="Why the account was rejected or suspended; shown to the member."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["approval_status"], name="profile_approval_status")]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_approval_status_display()})"

    @property
    def is_approved(self) -> bool:
        return self.approval_status == ApprovalStatus.APPROVED


def is_approved_member(user: object) -> bool:
    """True for staff and for members whose account a lab manager approved."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:  # type: ignore[attr-defined]
        return True
    profile = getattr(user, "profile", None)
    return profile is not None and profile.is_approved
