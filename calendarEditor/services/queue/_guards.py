from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from calendarEditor.models import QueueEntry
from userRegistration.models import is_approved_member


def require_staff(user: AbstractBaseUser) -> None:
    if not user.is_staff:
        raise PermissionDenied("Only lab managers can do that.")


def require_owner_or_staff(entry: QueueEntry, user: AbstractBaseUser) -> None:
    if not (user.is_staff or entry.member_id == user.pk):
        raise PermissionDenied("That entry belongs to another member.")


def require_approved(user: AbstractBaseUser) -> None:
    """Only approved members (and staff) hold places in a queue."""
    if not is_approved_member(user):
        raise PermissionDenied("This account is not approved to use the queue.")
