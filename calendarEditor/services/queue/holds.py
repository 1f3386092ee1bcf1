"""The ON DECK hold (DESIGN §4): the member at #1 holds a free machine for a set time.

The hold starts when #1 sits on a free (idle) machine (``on_deck_since``, set
by the engine's renumbering) and lasts the machine's ``on_deck_hold_hours``.
Past it, staff are alerted by the due-work runner and may skip the member:
#2 moves up and starts a hold of its own, the skipped member waits at #2.
"""

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import Machine, QueueEntry
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_staff
from calendarEditor.services.queue._locking import lock_entry
from calendarEditor.services.queue.result import QueueResult, finish
from calendarEditor.templatetags.queue_tags import start_time


def hold_ends(entry: QueueEntry, machine: Machine) -> datetime | None:
    """When the entry's ON DECK hold ends; None while it holds nothing."""
    if entry.on_deck_since is None or entry.position != 1:
        return None
    return entry.on_deck_since + timedelta(hours=machine.on_deck_hold_hours)


def hold_has_expired(entry: QueueEntry, machine: Machine, now: datetime | None = None) -> bool:
    ends = hold_ends(entry, machine)
    return ends is not None and (now or timezone.now()) >= ends


def skip_on_deck(entry: QueueEntry | int, *, by: AbstractBaseUser, reason: str = "") -> QueueResult:
    """Past its hold, put the ON DECK entry at #2; the next member may check in."""
    require_staff(by)
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        queue = queues.get(entry.machine_id)
        machine = positions.require_queued(entry, queue and queue.machine)
        _require_skippable(entry, machine, len(queue.queued))
        since = entry.on_deck_since
        queued = queue.queued
        events = positions.renumber(machine, [queued[1], entry, *queued[2:]], actor=by)
        why = f"The ON DECK hold (since {start_time(since)}) ended without a check-in."
        full_reason = f"{why} {reason.strip()}".strip()
        skipped = positions.event(
            EventKind.MOVED_BY_STAFF,
            entry,
            machine,
            by,
            old_position=1,
            new_position=2,
            reason=full_reason,
        )
        audit.record(
            "entry.skipped",
            actor=by,
            machine=machine,
            entry=entry,
            summary=f"{entry.title} skipped on {machine.name}: #1 → #2 after its hold",
            reason=reason.strip(),
            details={"on_deck_since": since.isoformat() if since else None},
        )
        return finish(QueueResult(entry, [skipped, *events]), queue)


def _require_skippable(entry: QueueEntry, machine: Machine, queue_length: int) -> None:
    if entry.position != 1:
        raise QueueError(
            f"Only the ON DECK entry can be skipped; {entry.title} is #{entry.position}."
        )
    ends = hold_ends(entry, machine)
    if ends is None or not machine.is_free_for_next_run:
        raise QueueError(
            f"{entry.title} holds nothing yet: {machine.name} is not free for the next run."
        )
    if timezone.now() < ends:
        raise QueueError(
            f"{entry.title}'s hold on {machine.name} runs until {start_time(ends)}; "
            "it can be skipped after that."
        )
    if queue_length < 2:
        raise QueueError(
            f"Nobody waits behind {entry.title} on {machine.name}: nobody to let go first."
        )
