"""Lab managers changing machines: details, status, opening and closing queues."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.forms.models import model_to_dict

from calendarEditor.models import EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind, QueueEvent, publish
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_staff
from calendarEditor.services.queue._locking import lock_queue
from calendarEditor.services.queue.entries import cancel, set_machine_status
from calendarEditor.services.queue.result import preloaded_from

# Statuses staff set by hand; "running" follows from starting an entry.
MANUAL_STATUSES = tuple(s for s in MachineStatus if s != MachineStatus.RUNNING)
EDITABLE_FIELDS = (
    "name",
    "location",
    "description",
    "min_temp",
    "max_temp",
    "max_field_x",
    "max_field_y",
    "max_field_z",
    "field_direction",
    "dc_lines",
    "rf_lines",
    "daughterboards",
    "optical_access",
    "capabilities",
    "cooldown_hours",
    "warmup_hours",
    "on_deck_hold_hours",
    "max_active_entries_per_member",
    "requires_training",
    "auto_extension_hours",
)


def _machine_event(
    kind: EventKind, machine: Machine, by: AbstractBaseUser | None, reason: str = ""
) -> QueueEvent:
    return QueueEvent(
        kind=kind,
        machine_id=machine.pk,
        version=machine.queue_version,
        actor_id=by.pk if by else None,
        reason=reason,
    )


def create_machine(values: dict[str, Any], *, by: AbstractBaseUser) -> Machine:
    require_staff(by)
    with transaction.atomic():
        machine = Machine(**{name: values[name] for name in EDITABLE_FIELDS if name in values})
        machine.full_clean()
        machine.save()
        audit.record(
            "machine.created", actor=by, machine=machine, summary=f"Machine {machine.name} added"
        )
        publish([_machine_event(EventKind.MACHINE_EDITED, machine, by)])
        return machine


def update_machine(machine: Machine, values: dict[str, Any], *, by: AbstractBaseUser) -> Machine:
    """Change a machine's details; the audit log keeps what changed from what."""
    require_staff(by)
    with transaction.atomic():
        queue = lock_queue(machine.pk)
        locked = queue.machine
        before = model_to_dict(locked, fields=EDITABLE_FIELDS)
        for name in EDITABLE_FIELDS:
            if name in values:
                setattr(locked, name, values[name])
        locked.full_clean()
        changes = {
            name: [before[name], getattr(locked, name)]
            for name in EDITABLE_FIELDS
            if before[name] != getattr(locked, name)
        }
        if not changes:
            return locked
        locked.save()
        if "name" in changes:
            # Keep the queue's text copy of the name in step for active entries.
            QueueEntry.objects.filter(
                machine=locked, status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING]
            ).update(machine_name=locked.name)
        audit.record(
            "machine.edited",
            actor=by,
            machine=locked,
            summary=f"{locked.name} edited: {', '.join(sorted(changes))}",
            details={"changes": changes},
        )
        publish([_machine_event(EventKind.MACHINE_EDITED, locked, by)], preloaded_from([queue]))
        return locked


def set_status(machine: Machine, status: str, *, by: AbstractBaseUser, reason: str = "") -> Machine:
    require_staff(by)
    if status not in MANUAL_STATUSES:
        raise QueueError("Choose idle, cooling down, warming up, maintenance or offline.")
    with transaction.atomic():
        queue = lock_queue(machine.pk)
        locked = queue.machine
        if queue.running is not None and status != MachineStatus.MAINTENANCE:
            raise QueueError(
                f"{locked.name} has a run in progress; complete or cancel it first "
                "(only maintenance can be set during a run)."
            )
        old = locked.status
        if old == status:
            raise QueueError(f"{locked.name}'s status is already “{locked.get_status_display()}”.")
        set_machine_status(locked, MachineStatus(status))
        # The #1 entry's ON DECK hold depends on whether the machine can run.
        events = positions.renumber(locked, queue.queued, actor=by)
        audit.record(
            "machine.status",
            actor=by,
            machine=locked,
            summary=f"{locked.name}: {MachineStatus(old).label} → {locked.get_status_display()}",
            reason=reason,
            details={"from": old, "to": status},
        )
        changed = _machine_event(EventKind.MACHINE_STATUS_CHANGED, locked, by, reason)
        publish([changed, *events], preloaded_from([queue]))
        return locked


def set_queue_open(
    machine: Machine, is_open: bool, *, by: AbstractBaseUser | None, reason: str = ""
) -> Machine:
    """Open or close a machine's queue; a closed queue keeps and runs its entries."""
    if by is not None:
        require_staff(by)
    with transaction.atomic():
        queue = lock_queue(machine.pk)
        locked = queue.machine
        if locked.accepts_entries == is_open:
            raise QueueError(f"{locked.name}'s queue is already {'open' if is_open else 'closed'}.")
        locked.accepts_entries = is_open
        locked.save(update_fields=["accepts_entries", "updated_at"])
        verb = "opened" if is_open else "closed"
        audit.record(
            f"machine.queue_{verb}",
            actor=by,
            machine=locked,
            summary=f"{locked.name}'s queue {verb}",
            reason=reason,
            details={"cause": "staff" if by is not None else "system"},
        )
        kind = EventKind.QUEUE_OPENED if is_open else EventKind.QUEUE_CLOSED
        publish([_machine_event(kind, locked, by, reason)], preloaded_from([queue]))
        return locked


def delete_machine(machine: Machine, *, by: AbstractBaseUser, reason: str = "") -> None:
    """Remove a machine; its active entries are cancelled, history keeps its name."""
    require_staff(by)
    with transaction.atomic():
        locked = lock_queue(machine.pk).machine
        for entry_id in (
            QueueEntry.objects.filter(
                machine=locked, status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING]
            )
            .order_by("-position")
            .values_list("pk", flat=True)
        ):
            cancel(
                entry_id, by=by, reason=f"{locked.name} was removed from service. {reason}".strip()
            )
        audit.record(
            "machine.deleted",
            actor=by,
            machine=locked,
            summary=f"Machine {locked.name} deleted",
            reason=reason,
            details={"machine_name": locked.name},
        )
        publish([_machine_event(EventKind.MACHINE_EDITED, locked, by, reason)])
        locked.delete()
