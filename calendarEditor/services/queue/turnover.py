"""A machine between runs: after a check-out it warms up, cools down, then becomes free.

The estimates module counts one turnover (warmup + cooldown hours) after every
run, so the machine's status walks the same path: ``status_after_run`` puts it
into WARMUP (or straight into COOLDOWN, or IDLE, when a phase takes no time),
and the due-work runner calls ``advance_turnover`` as each phase ends. A phase
is counted from ``status_changed_at``; the next one starts when the previous
one ended, not when the runner noticed, so a late runner shifts nothing.

Once the machine turns idle the renumbering starts the #1 member's ON DECK
hold, reported as READY_TO_CHECK_IN like any other freeing of a machine.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from calendarEditor.models import Machine, MachineStatus
from calendarEditor.services import audit
from calendarEditor.services.events import EventKind, QueueEvent, publish
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._locking import lock_queue
from calendarEditor.services.queue.result import preloaded_from

TURNOVER_STATUSES = (MachineStatus.WARMUP, MachineStatus.COOLDOWN)
PHASE_NAMES = {MachineStatus.WARMUP: "warmup", MachineStatus.COOLDOWN: "cooldown"}


def status_after_run(machine: Machine) -> MachineStatus:
    """Where a machine goes when its run ends: the first turnover phase that takes time."""
    if machine.warmup_hours > 0:
        return MachineStatus.WARMUP
    return _after_warmup(machine)


def phase_ends(machine: Machine) -> datetime | None:
    """When the machine's current turnover phase ends; None outside one or never stamped."""
    if machine.status not in TURNOVER_STATUSES or machine.status_changed_at is None:
        return None
    return machine.status_changed_at + _phase_length(machine, machine.status)


def phases_over(machine: Machine, now: datetime) -> list[tuple[MachineStatus, datetime]]:
    """The phases that have ended by ``now``, each with its end, in the order they end."""
    over: list[tuple[MachineStatus, datetime]] = []
    status, began = machine.status, machine.status_changed_at
    while status in TURNOVER_STATUSES and began is not None:
        ends = began + _phase_length(machine, status)
        if ends > now:
            break
        over.append((status, ends))
        status, began = next_status(machine, status), ends
    return over


def advance_turnover(machine_id: int, *, now: datetime | None = None) -> list[QueueEvent] | None:
    """End every turnover phase that is over by ``now``; None (and nothing changed) if none is.

    Warmup gives way to cooldown, cooldown to idle; a runner that was down walks
    both in one transaction, each phase audited on its own. Safe to call from
    two runners at once: the second finds nothing over under the lock and
    rolls back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        queue = lock_queue(machine_id)
        machine = queue.machine
        over = phases_over(machine, now) if queue.running is None else []
        if not over:
            transaction.set_rollback(True)  # not even the version moves
            return None
        for finished, ends in over:
            _end_phase(machine, MachineStatus(finished), ends)
        machine.save(update_fields=["status", "status_changed_at", "updated_at"])
        events = (
            positions.renumber(machine, queue.queued, actor=None)
            if machine.status == MachineStatus.IDLE
            else []
        )
        if not events:
            # Nobody moved: the board still needs to hear the status changed.
            phase = PHASE_NAMES[over[-1][0]]
            events = [
                QueueEvent(
                    kind=EventKind.MACHINE_STATUS_CHANGED,
                    machine_id=machine.pk,
                    version=machine.queue_version,
                    reason=f"{phase.capitalize()} finished",
                )
            ]
        publish(events, preloaded_from([queue]))
        return events


def _end_phase(machine: Machine, finished: MachineStatus, ends: datetime) -> None:
    phase = PHASE_NAMES[finished]
    upcoming = next_status(machine, finished)
    machine.status, machine.status_changed_at = upcoming, ends
    audit.record(
        "machine.status",
        actor=None,
        machine=machine,
        summary=f"{machine.name}: {finished.label} → {upcoming.label} ({phase} finished)",
        details={"from": finished.value, "to": upcoming.value, "cause": phase},
    )


def _phase_length(machine: Machine, status: str) -> timedelta:
    hours = machine.warmup_hours if status == MachineStatus.WARMUP else machine.cooldown_hours
    return timedelta(hours=hours)


def next_status(machine: Machine, status: str) -> MachineStatus:
    """What follows a turnover phase: cooldown after a warmup (when it takes time), else idle."""
    if status == MachineStatus.WARMUP:
        return _after_warmup(machine)
    return MachineStatus.IDLE


def _after_warmup(machine: Machine) -> MachineStatus:
    return MachineStatus.COOLDOWN if machine.cooldown_hours > 0 else MachineStatus.IDLE
