"""Entries joining and leaving a queue."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, MachineStatus
from calendarEditor.services import audit, fair_use, matching, schedule
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import (
    require_approved,
    require_owner_or_staff,
    require_staff,
)
from calendarEditor.services.queue._locking import MachineQueue, lock_entry, lock_queue
from calendarEditor.services.queue.result import QueueResult, finish
from calendarEditor.services.queue.turnover import status_after_run
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
    every machine's reasons, and saves nothing when none fits; a machine that
    requires training fits only members trained on it ("training required").
    A member's own submit is refused with FairUseLimitReached (a QueueError
    naming their active entries) once they hold the limit; see services.fair_use.
    """
    if machine is not None or member.pk != by.pk:
        require_staff(by)
    require_approved(member)
    limited = fair_use.applies_to(by)
    with transaction.atomic():
        if limited:
            # Before any machine lock, so the count below sees every earlier submit.
            fair_use.lock_member(member)
        view = schedule.submit_view(member)
        trained = view.qualified_machine_ids
        result = matching.match(request.requirements, view.specs, qualified_machine_ids=trained)
        if machine is not None and machine.name in result.reasons:
            raise NoCompatibleMachine(result, only=machine.name)
        if machine is None and result.best is None:
            raise NoCompatibleMachine(result)
        target = lock_queue(machine.pk if machine else result.best.id)
        # The summaries were read before the lock; the queue may have closed since.
        spec = schedule.spec_for(target.machine)
        late = matching.incompatibility_reasons(
            request.requirements, spec, qualified_machine_ids=trained
        )
        if late:
            closed = matching.MatchResult(compatible=(), reasons={spec.name: tuple(late)})
            raise NoCompatibleMachine(closed, only=spec.name)
        if limited:
            fair_use.enforce(member, target.machine, view.active_count)
        return finish(_append(request, target, member=member, by=by), target)


def _append(
    request: EntryRequest, target: MachineQueue, *, member: AbstractBaseUser, by: AbstractBaseUser
) -> QueueResult:
    machine = target.machine
    position = len(target.queued) + 1
    entry = request.build_entry(member=member, machine=machine, position=position)
    machine_is_free = position == 1 and machine.is_free_for_next_run
    if machine_is_free:
        entry.on_deck_since = timezone.now()
    entry.save()
    target.entries.append(entry)
    events = [positions.event(EventKind.ADDED, entry, machine, by, new_position=position)]
    if position == 1:
        kind = positions.top_of_queue_kind(machine_is_free)
        events.append(positions.event(kind, entry, machine, by, new_position=1))
    audit.record(
        "entry.added",
        actor=by,
        machine=machine,
        entry=entry,
        summary=f"{entry.title} queued on {machine.name} at #{position}",
    )
    placed = schedule.place_queue(machine, target.queued, target.running)
    return QueueResult(entry, events, estimated_start=placed[-1].estimated_start)


def cancel(entry_or_id, *, by: AbstractBaseUser, reason: str = "") -> QueueResult:
    """Withdraw a queued or running entry; the entries behind it move up."""
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry_or_id, "pk", entry_or_id))
        require_owner_or_staff(entry, by)
        queue = queues.get(entry.machine_id)
        if not entry.is_active:
            raise QueueError(f"{entry.title} is already {entry.get_status_display().lower()}.")
        was_running = entry.status == EntryStatus.RUNNING
        entry.status, entry.position, entry.on_deck_since = EntryStatus.CANCELLED, None, None
        entry.cancelled_at = timezone.now()
        entry.cancel_reason = reason[:500]
        entry.save(update_fields=_CANCEL_FIELDS)
        events = []
        if queue is not None:
            if was_running and queue.machine.status == MachineStatus.RUNNING:
                # A run cut short still leaves a cold fridge to turn over.
                set_machine_status(queue.machine, status_after_run(queue.machine))
            events = positions.renumber(queue.machine, queue.queued, actor=by)
        machine = queue.machine if queue else None
        events.insert(0, positions.event(EventKind.CANCELLED, entry, machine, by, reason=reason))
        audit.record(
            "entry.cancelled",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} cancelled" + (" while running" if was_running else ""),
            reason=reason,
        )
        return finish(QueueResult(entry, events), *queues.values())


_CANCEL_FIELDS = ["status", "position", "on_deck_since", "cancelled_at", "cancel_reason"]


def set_machine_status(machine: Machine, status: MachineStatus) -> None:
    """Record a status the queue engine itself causes (start, finish)."""
    machine.status = status
    machine.status_changed_at = timezone.now()
    machine.save(update_fields=["status", "status_changed_at", "updated_at"])
