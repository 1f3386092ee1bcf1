"""A machine between runs: after a check-out it cools down, then becomes free.

``complete`` puts a machine with cooldown hours into COOLDOWN; the due-work
runner calls ``finish_cooldown`` once ``status_changed_at + cooldown_hours``
has passed, the same moment the estimates module gives as the machine's free
time. The machine turns idle and the renumbering starts the #1 member's ON
DECK hold, reported as READY_TO_CHECK_IN like any other freeing of a machine.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from calendarEditor.models import Machine, MachineStatus
from calendarEditor.services import audit
from calendarEditor.services.events import EventKind, QueueEvent, publish
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._locking import lock_queue
from calendarEditor.services.queue.entries import set_machine_status
from calendarEditor.services.queue.result import preloaded_from


def cooldown_ends(machine: Machine) -> datetime | None:
    """When a cooling machine is free; None when it is not cooling down or never stamped."""
    if machine.status != MachineStatus.COOLDOWN or machine.status_changed_at is None:
        return None
    return machine.status_changed_at + timedelta(hours=machine.cooldown_hours)


def finish_cooldown(machine_id: int, *, now: datetime | None = None) -> list[QueueEvent] | None:
    """Make a machine whose cooldown is over idle; None (and nothing changed) if it is not due.

    Safe to call from two runners at once: the second finds the machine idle
    under the lock and rolls back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        queue = lock_queue(machine_id)
        machine = queue.machine
        ends = cooldown_ends(machine)
        if ends is None or ends > now or queue.running is not None:
            transaction.set_rollback(True)  # not even the version moves
            return None
        set_machine_status(machine, MachineStatus.IDLE)
        events = positions.renumber(machine, queue.queued, actor=None)
        if not events:
            # Nobody waits: the board still needs to hear the status changed.
            events = [
                QueueEvent(
                    kind=EventKind.MACHINE_STATUS_CHANGED,
                    machine_id=machine.pk,
                    version=machine.queue_version,
                    reason="Cooldown finished",
                )
            ]
        audit.record(
            "machine.status",
            actor=None,
            machine=machine,
            summary=f"{machine.name}: Cooling down → Idle (cooldown finished)",
            details={"from": MachineStatus.COOLDOWN.value, "to": "idle", "cause": "cooldown"},
        )
        publish(events, preloaded_from([queue]))
        return events
