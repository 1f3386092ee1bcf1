"""Rush requests: a member asks to go first, a lab manager decides."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import QueueEntry, RushStatus
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_owner_or_staff, require_staff
from calendarEditor.services.queue._locking import lock_entry
from calendarEditor.services.queue.ordering import _move_locked
from calendarEditor.services.queue.result import QueueResult, finish

_REVIEW_FIELDS = ["rush_status", "rush_reviewed_by", "rush_reviewed_at", "rush_review_note"]


def request_rush(
    entry: QueueEntry | int, *, justification: str, by: AbstractBaseUser
) -> QueueResult:
    """Ask staff to put a queued entry first; staff review it on the dashboard."""
    justification = justification.strip()
    if not justification:
        raise QueueError("Say why this run is urgent.")
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        require_owner_or_staff(entry, by)
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        if entry.rush_status == RushStatus.PENDING:
            raise QueueError("A rush request for this entry is already waiting for review.")
        if entry.position == 1:
            raise QueueError(f"{entry.title} is already first in line.")
        entry.rush_status = RushStatus.PENDING
        entry.rush_justification = justification[:2000]
        entry.rush_reviewed_by, entry.rush_reviewed_at, entry.rush_review_note = None, None, ""
        entry.save(update_fields=[*_REVIEW_FIELDS, "rush_justification"])
        audit.record(
            "rush.requested",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"Rush requested for {entry.title}",
            reason=justification,
        )
        requested = positions.event(EventKind.RUSH_REQUESTED, entry, machine, by)
        return finish(QueueResult(entry, [requested]), queue)


def approve_rush(entry: QueueEntry | int, *, by: AbstractBaseUser, note: str = "") -> QueueResult:
    """Grant a pending rush request: the entry goes to #1."""
    require_staff(by)
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        _require_pending(entry)
        old_position = entry.position
        moved = _move_locked(entry, queue, to=1, by=by) if entry.position != 1 else None
        _record_review(entry, RushStatus.APPROVED, by, note)
        approved = positions.event(
            EventKind.RUSH_APPROVED, entry, machine, by, old_position=old_position, new_position=1
        )
        # The staff-move event is implied by the approval; keep only the queue's own moves.
        queue_moves = moved.events[1:] if moved else []
        audit.record(
            "rush.approved",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"Rush approved for {entry.title}: #{old_position} → #1",
            reason=note,
        )
        return finish(QueueResult(entry, [approved, *queue_moves]), queue)


def reject_rush(entry: QueueEntry | int, *, by: AbstractBaseUser, reason: str) -> QueueResult:
    """Turn down a pending rush request; the member is told why."""
    require_staff(by)
    reason = reason.strip()
    if not reason:
        raise QueueError("Give the member a reason for the rejection.")
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        _require_pending(entry)
        _record_review(entry, RushStatus.REJECTED, by, reason)
        audit.record(
            "rush.rejected",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"Rush rejected for {entry.title}",
            reason=reason,
        )
        rejected = positions.event(EventKind.RUSH_REJECTED, entry, machine, by, reason=reason)
        return finish(QueueResult(entry, [rejected]), queue)


def _require_pending(entry: QueueEntry) -> None:
    if entry.rush_status != RushStatus.PENDING:
        raise QueueError(f"{entry.title} has no rush request waiting for review.")


def _record_review(entry: QueueEntry, status: RushStatus, by: AbstractBaseUser, note: str) -> None:
    entry.rush_status = status
    entry.rush_reviewed_by = by
    entry.rush_reviewed_at = timezone.now()
    entry.rush_review_note = note[:2000]
    entry.save(update_fields=_REVIEW_FIELDS)
