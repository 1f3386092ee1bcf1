"""Row locks for the queue engine.

Every queue change locks its machine row first, so the reads and writes that
follow see a queue nobody else is changing. The engine takes the lock with an
UPDATE that also bumps the machine's queue version: one statement both
serialises writers (on PostgreSQL the UPDATE holds the row lock until commit;
SQLite's IMMEDIATE transactions serialise writers anyway) and gives every
change its version, which live pages use to spot missed hints. A refused
operation rolls back, version and all.
"""

from dataclasses import dataclass, field

from django.db import connection

from calendarEditor.models import ACTIVE_STATUSES, EntryStatus, Machine, QueueEntry
from calendarEditor.services.errors import QueueError


@dataclass
class MachineQueue:
    """A locked machine with its active entries, read once under the lock.

    The engine changes these objects in place as it works, so whoever reads
    them after the change (the notification recorder) sees the new state
    without asking the database again.
    """

    machine: Machine
    entries: list[QueueEntry] = field(default_factory=list)

    @property
    def queued(self) -> list[QueueEntry]:
        waiting = [e for e in self.entries if e.status == EntryStatus.QUEUED and e.position]
        return sorted(waiting, key=lambda e: e.position)

    @property
    def running(self) -> QueueEntry | None:
        return next((e for e in self.entries if e.status == EntryStatus.RUNNING), None)

    def find(self, entry_id: int) -> QueueEntry | None:
        return next((e for e in self.entries if e.pk == entry_id), None)


def lock_machines(*machine_ids: int | None) -> dict[int, Machine]:
    """Lock machine rows (no version bump) in ascending id order, so lockers never deadlock.

    For work beside the queue, such as recording a temperature.
    """
    ids = sorted({pk for pk in machine_ids if pk is not None})
    locked = {
        machine.pk: machine
        for machine in Machine.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if set(ids) - set(locked):
        raise QueueError("That machine no longer exists.")
    return locked


def lock_queue(machine_id: int) -> MachineQueue:
    return lock_queues(machine_id)[machine_id]


def lock_queues(*machine_ids: int | None) -> dict[int, MachineQueue]:
    """Lock and version machines in ascending id order, then load their active entries."""
    machines = {}
    for machine_id in sorted({pk for pk in machine_ids if pk is not None}):
        machine = _bump_and_lock("WHERE id = %s", machine_id)
        if machine is None:
            raise QueueError("That machine no longer exists.")
        machines[machine.pk] = machine
    return _with_entries(machines)


def lock_entry(entry_id: int, *also_lock: int) -> tuple[QueueEntry, dict[int, MachineQueue]]:
    """Lock an entry's machine (plus ``also_lock``) and read the entry under that lock.

    Alone, the entry's machine is found and locked in one statement. With
    other machines, all are locked in ascending id order. A reassign that
    moved the entry in between is caught by comparing the entry's machine
    afterwards: the caller is asked to retry rather than lock out of order.
    """
    if also_lock:
        machine_id = (
            QueueEntry.objects.filter(pk=entry_id).values_list("machine_id", flat=True).first()
        )
        queues = lock_queues(machine_id, *also_lock)
    else:
        subquery = f"WHERE id = (SELECT machine_id FROM {_table(QueueEntry)} WHERE id = %s)"
        machine = _bump_and_lock(subquery, entry_id)
        queues = _with_entries({machine.pk: machine} if machine else {})
    for queue in queues.values():
        entry = queue.find(entry_id)
        if entry is not None:
            return entry, queues
    entry = QueueEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise QueueError("That entry no longer exists.")
    if entry.is_active and entry.machine_id not in queues:
        raise QueueError("The queue changed while you were acting on it; please try again.")
    return entry, queues  # finished: callers refuse it with their own message


def _bump_and_lock(where: str, param: int) -> Machine | None:
    # UPDATE … RETURNING locks, versions and reads the row in one round trip.
    sql = (
        f"UPDATE {_table(Machine)} SET queue_version = queue_version + 1 {where} "
        f"RETURNING {', '.join(_columns(Machine))}"
    )
    return next(iter(Machine.objects.raw(sql, [param])), None)


def _with_entries(machines: dict[int, Machine]) -> dict[int, MachineQueue]:
    queues = {pk: MachineQueue(machine) for pk, machine in machines.items()}
    if queues:
        active = (
            # Members are not joined: a long queue mostly shifts, and the outbox loads
            # only the members it writes to (notifications.facts).
            QueueEntry.objects.filter(machine_id__in=queues, status__in=ACTIVE_STATUSES).order_by(
                "position", "submitted_at", "pk"
            )
        )
        for entry in active:
            entry.machine = machines[entry.machine_id]
            queues[entry.machine_id].entries.append(entry)
    return queues


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type) -> list[str]:
    return [connection.ops.quote_name(f.column) for f in model._meta.concrete_fields]
