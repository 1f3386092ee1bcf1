"""Opening and closing a queue with its cause: the timetable, or staff by hand.

services.machines.set_queue_open is the staff page's switch; this one also
records why (``cause`` in the audit details), says nothing when the queue is
already in the wanted state, and may be called by nobody (the runner).
Closing never touches the entries: a closed queue keeps and runs them.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from calendarEditor.models import Machine
from calendarEditor.services import audit
from calendarEditor.services.events import EventKind, QueueEvent, publish
from calendarEditor.services.queue._locking import lock_queue
from calendarEditor.services.queue.result import preloaded_from

SCHEDULE = "schedule"
STAFF = "staff"


def switch_queue(
    machine_id: int,
    is_open: bool,
    *,
    by: AbstractBaseUser | None,
    cause: str,
    reason: str = "",
) -> bool:
    """Open or close the queue unless it already is; True when it changed."""
    current = Machine.objects.filter(pk=machine_id).values_list("accepts_entries", flat=True)
    if list(current) == [is_open]:
        return False  # already so: no lock, no version, no notice
    with transaction.atomic():
        queue = lock_queue(machine_id)
        machine = queue.machine
        if machine.accepts_entries == is_open:
            return False
        machine.accepts_entries = is_open
        machine.save(update_fields=["accepts_entries", "updated_at"])
        verb = "opened" if is_open else "closed"
        who = "by its schedule" if cause == SCHEDULE else "by hand"
        audit.record(
            f"machine.queue_{verb}",
            actor=by,
            machine=machine,
            summary=f"{machine.name}'s queue {verb} {who}",
            reason=reason,
            details={"cause": cause},
        )
        event = QueueEvent(
            kind=EventKind.QUEUE_OPENED if is_open else EventKind.QUEUE_CLOSED,
            machine_id=machine.pk,
            version=machine.queue_version,
            actor_id=by.pk if by is not None else None,
            reason=reason,
        )
        publish([event], preloaded_from([queue]))
        return True
