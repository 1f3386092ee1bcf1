"""Runs beginning and ending: check-in (start), check-out (complete) and its snooze."""

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import EntryStatus, MachineStatus, QueueEntry, QueueSchedule
from calendarEditor.services import audit
from calendarEditor.services.due import config
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_owner_or_staff
from calendarEditor.services.queue._locking import lock_entry
from calendarEditor.services.queue.entries import set_machine_status
from calendarEditor.services.queue.result import QueueResult, finish
from calendarEditor.services.queue.turnover import status_after_run


def start(entry: QueueEntry | int, *, by: AbstractBaseUser) -> QueueResult:
    """Begin the run of the ON DECK entry: the member checks in, or staff start it."""
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        require_owner_or_staff(entry, by)
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        if entry.position != 1:
            raise QueueError(
                f"Only the ON DECK entry can start; {entry.title} is #{entry.position}."
            )
        if queue.running is not None:
            raise QueueError(f"{machine.name} is still running another job; complete it first.")
        if not machine.status_allows_start:
            raise QueueError(f"{machine.name} is {machine.get_status_display().lower()}.")
        entry.status, entry.position, entry.on_deck_since = EntryStatus.RUNNING, None, None
        entry.started_at = timezone.now()
        entry.save(update_fields=["status", "position", "on_deck_since", "started_at"])
        set_machine_status(machine, MachineStatus.RUNNING)
        events = positions.renumber(machine, queue.queued, actor=by, machine_is_free=False)
        started = positions.event(EventKind.STARTED, entry, machine, by, old_position=1)
        audit.record(
            "entry.started",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} started on {machine.name}",
        )
        return finish(QueueResult(entry, [started, *events]), queue)


def complete(entry: QueueEntry | int, *, by: AbstractBaseUser, note: str = "") -> QueueResult:
    """End a running entry: the member checks out, or staff complete it."""
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        require_owner_or_staff(entry, by)
        if entry.status != EntryStatus.RUNNING:
            raise QueueError(f"{entry.title} is not running.")
        queue = queues.get(entry.machine_id)
        machine = queue.machine if queue else None
        entry.status = EntryStatus.COMPLETED
        entry.completed_at = timezone.now()
        entry.save(update_fields=["status", "completed_at"])
        events = []
        if machine is not None:
            if machine.status == MachineStatus.RUNNING:
                set_machine_status(machine, status_after_run(machine))
            # Free at once (no turnover): whoever is #1 starts their ON DECK hold. While
            # the machine warms up and cools down (or is in maintenance) #1 waits; the
            # due-work runner frees it (queue.turnover.advance_turnover).
            events = positions.renumber(machine, queue.queued, actor=by)
        completed = positions.event(EventKind.COMPLETED, entry, machine, by, reason=note)
        audit.record(
            "entry.completed",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} completed on {entry.machine_name}",
            reason=note,
        )
        return finish(QueueResult(entry, [completed, *events]), *queues.values())


def snooze_limit_hours(machine_id: int | None) -> float:
    """The longest check-out snooze on a machine: its schedule's limit, else the site's."""
    own = (
        QueueSchedule.objects.filter(machine_id=machine_id)
        .values_list("check_out_snooze_max_hours", flat=True)
        .first()
        if machine_id is not None
        else None
    )
    return config.snooze_limit_hours(own)


def snooze_check_out(entry: QueueEntry | int, *, hours: float, by: AbstractBaseUser) -> QueueResult:
    """Hold a running entry's check-out reminders for ``hours`` from now (within the limit).

    A snooze replaces any earlier one. It changes no queue position, so it
    needs no machine lock: one conditional UPDATE on a still-running entry.
    """
    pk = getattr(entry, "pk", entry)
    with transaction.atomic():
        entry = QueueEntry.objects.select_related("machine").filter(pk=pk).first()
        if entry is None:
            raise QueueError("That entry no longer exists.")
        require_owner_or_staff(entry, by)
        if entry.status != EntryStatus.RUNNING:
            raise QueueError(f"{entry.title} is not running: there is no check-out to snooze.")
        limit = snooze_limit_hours(entry.machine_id)
        if not 0 < hours <= limit:
            raise QueueError(f"Snooze for more than 0 and at most {limit:g} hours.")
        until = timezone.now() + timedelta(hours=hours)
        running = QueueEntry.objects.filter(pk=pk, status=EntryStatus.RUNNING)
        if running.update(check_out_snoozed_until=until) != 1:
            raise QueueError(f"{entry.title} is not running: there is no check-out to snooze.")
        entry.check_out_snoozed_until = until
        audit.record(
            "entry.snoozed",
            actor=by,
            machine=entry.machine,
            entry=entry,
            summary=f"Check-out reminders for {entry.title} snoozed for {hours:g} h",
            details={"until": until.isoformat(), "hours": hours},
        )
        return QueueResult(entry, [])
