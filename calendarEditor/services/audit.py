"""The audit trail: one call per state change, inside the change's transaction."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from calendarEditor.models import AuditEvent, Machine, QueueEntry


def record(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    summary: str,
    machine: Machine | None = None,
    entry: QueueEntry | None = None,
    subject_user: AbstractBaseUser | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    real_actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        action=action,
        actor=real_actor,
        actor_name=real_actor.get_username() if real_actor else "system",
        machine=machine,
        machine_name=machine.name if machine else (entry.machine_name if entry else ""),
        entry=entry,
        subject_user=subject_user,
        summary=summary[:300],
        reason=reason,
        details=details or {},
    )
