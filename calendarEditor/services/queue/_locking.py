"""Row locks for the queue engine.

Every queue change locks its machine row first (SELECT … FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transactions serialise writers instead), so the
reads and writes that follow see a queue nobody else is changing.
"""

from calendarEditor.models import Machine, QueueEntry
from calendarEditor.services.errors import QueueError


def lock_machines(*machine_ids: int | None) -> dict[int, Machine]:
    """Lock machine rows in ascending id order, so two lockers never deadlock."""
    ids = sorted({pk for pk in machine_ids if pk is not None})
    locked = {
        machine.pk: machine
        for machine in Machine.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if set(ids) - set(locked):
        raise QueueError("That machine no longer exists.")
    return locked


def lock_machine(machine_id: int) -> Machine:
    return lock_machines(machine_id)[machine_id]


def lock_entry(entry_id: int, *also_lock: int) -> tuple[QueueEntry, dict[int, Machine]]:
    """Lock an entry's machine (plus ``also_lock``), then re-read the entry under it.

    A concurrent reassign can move the entry between the first read and the
    lock. Then its new machine is locked too when that keeps the ascending id
    order; otherwise the caller is asked to retry, since holding one machine
    while waiting for a lower one could deadlock.
    """
    machine_id = QueueEntry.objects.filter(pk=entry_id).values_list("machine_id", flat=True).first()
    machines = lock_machines(machine_id, *also_lock)
    entry = QueueEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise QueueError("That entry no longer exists.")
    if entry.machine_id is None or entry.machine_id in machines:
        return entry, machines
    if not machines or entry.machine_id > max(machines):
        machines.update(lock_machines(entry.machine_id))
        entry = QueueEntry.objects.select_for_update().get(pk=entry_id)
        if entry.machine_id in machines:
            return entry, machines
    raise QueueError("The queue changed while you were acting on it; please try again.")
