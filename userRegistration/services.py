"""Account changes: registration, approval and the staff flag.

Every change runs in one transaction with the member's profile row locked,
records an AuditEvent (who, what, when, why) in that transaction, and raises
AccountError (with a message for the person who asked) when the change cannot
happen from the account's current state. Nothing is saved in that case.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from calendarEditor.services import audit
from calendarEditor.services.notifications import notify
from userRegistration.models import ApprovalStatus, UserProfile

Actor = AbstractBaseUser | AnonymousUser

# The fields a member edits on their profile page, by the model that holds them.
USER_FIELDS = ("first_name", "last_name", "email")
PROFILE_FIELDS = ("department", "slack_member_id")


class AccountError(Exception):
    """An account change that cannot happen; the message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def email_in_use(email: str, *, exclude_pk: int | None = None) -> bool:
    """Emails identify members for password resets and Slack, so one account each."""
    others = get_user_model().objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def register(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    department: str = "",
) -> AbstractUser:
    """Create a member account that waits for a lab manager's approval."""
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email.strip())
    try:
        with transaction.atomic():
            if email_in_use(email):
                raise AccountError("An account with this email already exists.")
            user = user_model.objects.create_user(
                username=username,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
            profile = _locked_profile(user)
            profile.approval_status = ApprovalStatus.PENDING
            profile.department = department
            profile.save(update_fields=["approval_status", "department"])
            user.profile = profile
            audit.record(
                "account.registered",
                actor=user,
                subject_user=user,
                summary=f"{username} registered and awaits approval",
            )
            notify(
                "staff_new_user",
                user_model.objects.filter(is_staff=True, is_active=True),
                context={
                    "member": username,
                    "member_name": f"{first_name} {last_name}".strip(),
                    "department": department,
                    "subject": f"u{user.pk}",
                },
            )
    except IntegrityError as error:
        # Two registrations raced for the same username; the form checked it first.
        raise AccountError("That username is taken.") from error
    return user


def update_profile(user: AbstractUser, values: Mapping[str, Any], *, by: Actor) -> list[str]:
    """Change a member's own details; returns the names of the fields that changed."""
    if not (by.is_authenticated and (by.pk == user.pk or _may_manage(by))):
        raise PermissionDenied("You can only change your own profile.")
    email = values.get("email")
    if email is not None and email_in_use(email, exclude_pk=user.pk):
        raise AccountError("Another account already uses this email.")
    with transaction.atomic():
        target = _locked_user(user)
        profile = _locked_profile(target)
        user_changes = _assign(target, values, USER_FIELDS)
        profile_changes = _assign(profile, values, PROFILE_FIELDS)
        if user_changes:
            target.save(update_fields=user_changes)
        if profile_changes:
            profile.save(update_fields=profile_changes)
        changed = user_changes + profile_changes
        if changed:
            audit.record(
                "account.details_changed",
                actor=by,
                subject_user=target,
                summary=f"{target.get_username()}'s details changed: {', '.join(changed)}",
                details={"fields": changed},
            )
            fields = ", ".join(name.replace("_", " ") for name in changed)
            notify("account_details_changed", [target], actor=by, context={"fields": fields})
    _assign(user, values, USER_FIELDS)
    user.profile = profile
    return changed


def approve(user: AbstractUser, *, by: Actor) -> UserProfile:
    """Let a pending (or previously rejected) member use the queue."""
    allowed = (ApprovalStatus.PENDING, ApprovalStatus.REJECTED)
    return _change_status(user, by, ApprovalStatus.APPROVED, allowed, "approved", reason="")


def reject(user: AbstractUser, *, by: Actor, reason: str) -> UserProfile:
    allowed = (ApprovalStatus.PENDING,)
    return _change_status(user, by, ApprovalStatus.REJECTED, allowed, "rejected", reason=reason)


def suspend(user: AbstractUser, *, by: Actor, reason: str) -> UserProfile:
    """Withdraw an approved member's access; their queued entries stay where they are."""
    allowed = (ApprovalStatus.APPROVED,)
    return _change_status(user, by, ApprovalStatus.SUSPENDED, allowed, "suspended", reason=reason)


def reinstate(user: AbstractUser, *, by: Actor) -> UserProfile:
    allowed = (ApprovalStatus.SUSPENDED,)
    return _change_status(user, by, ApprovalStatus.APPROVED, allowed, "reinstated", reason="")


def promote(user: AbstractUser, *, by: Actor) -> AbstractUser:
    """Make an approved member a lab manager."""
    _require_manager(by)
    with transaction.atomic():
        target = _locked_user(user)
        profile = _locked_profile(target)
        if target.is_staff:
            raise AccountError(f"{target.get_username()} is already a lab manager.")
        if not target.is_active or not profile.is_approved:
            raise AccountError(f"Approve {target.get_username()}'s account before promoting it.")
        target.is_staff = True
        target.save(update_fields=["is_staff"])
        audit.record(
            "account.promoted",
            actor=by,
            subject_user=target,
            summary=f"{target.get_username()} became a lab manager",
        )
        notify("account_promoted", [target], actor=by)
    user.is_staff = True
    return target


def demote(user: AbstractUser, *, by: Actor) -> AbstractUser:
    """Make a lab manager an ordinary (still approved) member."""
    _require_manager(by)
    if by.pk == user.pk:
        raise AccountError("You cannot remove your own lab manager role; ask another manager.")
    with transaction.atomic():
        target = _locked_user(user)
        if not target.is_staff:
            raise AccountError(f"{target.get_username()} is not a lab manager.")
        if target.is_superuser:
            raise AccountError(f"{target.get_username()} is a superuser; change that in the admin.")
        target.is_staff = False
        target.save(update_fields=["is_staff"])
        profile = _locked_profile(target)
        if not profile.is_approved:
            # Staff pass the approval check; a demoted manager keeps the access they had.
            _set_status(profile, ApprovalStatus.APPROVED, by, reason="")
        audit.record(
            "account.demoted",
            actor=by,
            subject_user=target,
            summary=f"{target.get_username()} is no longer a lab manager",
        )
        notify("account_demoted", [target], actor=by)
    user.is_staff = False
    return target


def _change_status(
    user: AbstractUser,
    by: Actor,
    new_status: ApprovalStatus,
    allowed_from: Iterable[ApprovalStatus],
    verb: str,
    *,
    reason: str,
) -> UserProfile:
    _require_manager(by)
    reason = reason.strip()
    if new_status in (ApprovalStatus.REJECTED, ApprovalStatus.SUSPENDED) and not reason:
        raise AccountError("Give a reason; the member will see it.")
    with transaction.atomic():
        target = _locked_user(user)
        profile = _locked_profile(target)
        old_status = ApprovalStatus(profile.approval_status)
        if target.is_staff:
            raise AccountError(f"{target.get_username()} is a lab manager; demote them first.")
        if old_status not in allowed_from:
            raise AccountError(
                f"{target.get_username()}'s account is {old_status.label.lower()}; "
                f"it cannot be {verb}."
            )
        _set_status(profile, new_status, by, reason=reason)
        audit.record(
            f"account.{verb}",
            actor=by,
            subject_user=target,
            summary=f"{target.get_username()}'s account {verb}",
            reason=reason,
            details={"from": old_status.value, "to": new_status.value},
        )
        notify(f"account_{verb}", [target], actor=by, context={"reason": reason})
    user.profile = profile
    return profile


def _set_status(profile: UserProfile, status: ApprovalStatus, by: Actor, *, reason: str) -> None:
    profile.approval_status = status
    profile.status_reason = reason
    fields = ["approval_status", "status_reason"]
    if status == ApprovalStatus.APPROVED:
        profile.approved_by = by if by.is_authenticated else None
        profile.approved_at = timezone.now()
        fields += ["approved_by", "approved_at"]
    profile.save(update_fields=fields)


def _assign(instance: Any, values: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    changed = []
    for name in fields:
        if name in values and getattr(instance, name) != values[name]:
            setattr(instance, name, values[name])
            changed.append(name)
    return changed


def _may_manage(actor: Actor) -> bool:
    return bool(
        actor.is_authenticated and actor.is_active and (actor.is_staff or actor.is_superuser)
    )


def _require_manager(actor: Actor) -> None:
    if not _may_manage(actor):
        raise PermissionDenied("Only lab managers can change accounts.")


def _locked_user(user: AbstractUser) -> AbstractUser:
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _locked_profile(user: AbstractUser) -> UserProfile:
    # The signal creates a profile with every user; get_or_create covers older rows.
    profile, _ = UserProfile.objects.select_for_update().get_or_create(user=user)
    return profile
