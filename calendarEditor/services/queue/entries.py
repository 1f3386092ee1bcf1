"""Entries joining and leaving a queue."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, MachineStatus
from calendarEditor.services import audit, matching, schedule
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import (
    require_approved,
    require_owner_or_staff,
    require_staff,
)
from calendarEditor.services.queue._locking import lock_entry, lock_machine
from calendarEditor.services.queue.result import QueueResult, finish
from calendarEditor.services.submission import EntryRequest


def enqueue(
    request: EntryRequest,
    *,
    member: AbstractBaseUser,
    by: AbstractBaseUser,
    machine: Machine | None = None,
) -> QueueResult:
    """Queue a new entry at the back of the compatible machine that frees soonest.

    Staff may name the machine (or submit for another member); the machine is
    still checked against the requirements. Raises NoCompatibleMachine, with
    every machine's reasons, and saves nothing when none fits.
    """
    if machine is not None or member.pk != by.pk:
        require_staff(by)
    require_approved(member)
    with transaction.atomic():
        result = matching.match(
            request.requirements, [s.spec for s in schedule.summarize_machines()]
        )
        if machine is not None and machine.name in result.reasons:
            raise NoCompatibleMachine(result, only=machine.name)
        if machine is None and result.best is None:
            raise NoCompatibleMachine(result)
        target = lock_machine(machine.pk if machine else result.best.id)
        # The summaries were read before the lock; the queue may have closed since.
        late = matching.incompatibility_reasons(request.requirements, schedule.spec_for(target))
        if late:
            closed = matching.MatchResult(compatible=(), reasons={target.name: tuple(late)})
            raise NoCompatibleMachine(closed, only=target.name)
        return finish(_append(request, target, member=member, by=by))


def _append(
    request: EntryRequest, target: Machine, *, member: AbstractBaseUser, by: AbstractBaseUser
) -> QueueResult:
    position = len(positions.queued_entries(target)) + 1
    entry = request.build_entry(member=member, machine=target, position=position)
    machine_is_free = position == 1 and target.is_free_for_next_run
    if machine_is_free:
        entry.on_deck_since = timezone.now()
    entry.save()
    positions.bump_version(target)
    events = [positions.event(EventKind.ADDED, entry, target, by, new_position=position)]
    if position == 1:
        kind = positions.top_of_queue_kind(machine_is_free)
        events.append(positions.event(kind, entry, target, by, new_position=1))
    audit.record(
        "entry.added",
        actor=by,
        machine=target,
        entry=entry,
        summary=f"{entry.title} queued on {target.name} at #{position}",
    )
    return QueueResult(entry, events)


def cancel(entry_or_id, *, by: AbstractBaseUser, reason: str = "") -> QueueResult:
    """Withdraw a queued or running entry; the entries behind it move up."""
    with transaction.atomic():
        entry, machines = lock_entry(getattr(entry_or_id, "pk", entry_or_id))
        require_owner_or_staff(entry, by)
        machine = machines.get(entry.machine_id)
        if not entry.is_active:
            raise QueueError(f"{entry.title} is already {entry.get_status_display().lower()}.")
        was_running = entry.status == EntryStatus.RUNNING
        entry.status, entry.position, entry.on_deck_since = EntryStatus.CANCELLED, None, None
        entry.cancelled_at = timezone.now()
        entry.cancel_reason = reason[:500]
        entry.save()
        events = []
        if machine is not None:
            if was_running:
                set_machine_status(machine, MachineStatus.IDLE)
            events = positions.renumber(machine, positions.queued_entries(machine), actor=by)
        events.insert(0, positions.event(EventKind.CANCELLED, entry, machine, by, reason=reason))
        audit.record(
            "entry.cancelled",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} cancelled" + (" while running" if was_running else ""),
            reason=reason,
        )
        return finish(QueueResult(entry, events))


def set_machine_status(machine: Machine, status: MachineStatus) -> None:
    """Record a status the queue engine itself causes (start, finish)."""
    machine.status = status
    machine.status_changed_at = timezone.now()
    machine.save(update_fields=["status", "status_changed_at", "updated_at"])
