"""Staff changing the order of a queue, or moving an entry to another machine."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from calendarEditor.models import Machine, QueueEntry
from calendarEditor.services import audit, matching, schedule
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_staff
from calendarEditor.services.queue._locking import MachineQueue, lock_entry
from calendarEditor.services.queue.result import QueueResult, finish


def move(
    entry: QueueEntry | int, *, to: int, by: AbstractBaseUser, reason: str = ""
) -> QueueResult:
    """Put a queued entry at position ``to`` (1..n); the others shift to make room."""
    require_staff(by)
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        old_position = entry.position
        result = _move_locked(entry, queue, to=to, by=by, reason=reason)
        audit.record(
            "entry.moved",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} moved from #{old_position} to #{to} on {machine.name}",
            reason=reason,
            details={"from": old_position, "to": to},
        )
        return finish(result, queue)


def _move_locked(
    entry: QueueEntry, queue: MachineQueue, *, to: int, by: AbstractBaseUser, reason: str = ""
) -> QueueResult:
    machine, queued = queue.machine, queue.queued
    if not 1 <= to <= len(queued):
        raise QueueError(f"Position must be between 1 and {len(queued)}.")
    old = entry.position
    if to == old:
        raise QueueError(f"{entry.title} is already at #{to}.")
    others = [e for e in queued if e.pk != entry.pk]
    events = positions.renumber(machine, [*others[: to - 1], entry, *others[to - 1 :]], actor=by)
    staff_move = positions.event(
        EventKind.MOVED_BY_STAFF,
        entry,
        machine,
        by,
        old_position=old,
        new_position=to,
        reason=reason,
    )
    return QueueResult(entry, [staff_move, *events])


def move_up(entry: QueueEntry, *, by: AbstractBaseUser) -> QueueResult:
    if entry.position == 1:
        raise QueueError(f"{entry.title} is already first.")
    return move(entry, to=(entry.position or 2) - 1, by=by)


def move_down(entry: QueueEntry, *, by: AbstractBaseUser) -> QueueResult:
    return move(entry, to=(entry.position or 0) + 1, by=by)


def reassign(
    entry: QueueEntry | int, *, to_machine: Machine, by: AbstractBaseUser, reason: str = ""
) -> QueueResult:
    """Move a queued entry to the back of another machine's queue, if it fits there."""
    require_staff(by)
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry), to_machine.pk)
        source_queue = queues.get(entry.machine_id)
        source = positions.require_queued(entry, source_queue and source_queue.machine)
        target_queue = queues[to_machine.pk]
        target = target_queue.machine
        if target.pk == source.pk:
            raise QueueError(f"{entry.title} is already on {target.name}.")
        reasons = matching.incompatibility_reasons(
            schedule.requirements_of(entry),
            schedule.spec_for(target),
            qualified_machine_ids=schedule.qualified_machine_ids(entry.member),
        )
        if reasons:
            refused = matching.MatchResult(compatible=(), reasons={target.name: tuple(reasons)})
            raise NoCompatibleMachine(refused, only=target.name)
        old_position = entry.position
        ahead = target_queue.queued
        source_queue.entries.remove(entry)
        target_queue.entries.append(entry)
        # Parked behind the target's queue, so neither queue ever holds it twice.
        entry.machine, entry.machine_name = target, target.name
        entry.position, entry.on_deck_since = len(ahead) + 1, None
        entry.save(update_fields=["machine", "machine_name", "position", "on_deck_since"])
        events = positions.renumber(source, source_queue.queued, actor=by)
        # Seen as a newcomer, so renumbering reports its arrival (and ON DECK at #1).
        entry.position = None
        events += positions.renumber(target, [*ahead, entry], actor=by)
        moved = positions.event(
            EventKind.REASSIGNED,
            entry,
            target,
            by,
            old_position=old_position,
            new_position=entry.position,
            other_machine_id=source.pk,
            reason=reason,
        )
        audit.record(
            "entry.reassigned",
            actor=by,
            machine=target,
            entry=entry,
            summary=f"{entry.title} reassigned from {source.name} to {target.name}",
            reason=reason,
            details={"from_machine": source.name, "to_machine": target.name},
        )
        return finish(QueueResult(entry, [moved, *events]), source_queue, target_queue)
