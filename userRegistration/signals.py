from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from userRegistration.models import ApprovalStatus, UserProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="create_user_profile")
def create_user_profile(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    if not created or kwargs.get("raw"):
        return
    # Staff and superusers created from the shell or admin need no approval.
    status = ApprovalStatus.APPROVED if instance.is_staff else ApprovalStatus.PENDING
    UserProfile.objects.get_or_create(user=instance, defaults={"approval_status": status})
