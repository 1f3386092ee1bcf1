"""Renumbering a machine's queue and describing what the renumbering did."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, QueueEntry
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind, QueueEvent


def require_queued(entry: QueueEntry, machine: Machine | None) -> Machine:
    if entry.status != EntryStatus.QUEUED or machine is None:
        raise QueueError(f"{entry.title} is not waiting in a queue.")
    return machine


def event(
    kind: EventKind,
    entry: QueueEntry,
    machine: Machine | None,
    actor: AbstractBaseUser | None,
    **extra: object,
) -> QueueEvent:
    return QueueEvent(
        kind=kind,
        machine_id=machine.pk if machine else None,
        version=machine.queue_version if machine else 0,
        entry_id=entry.pk,
        member_id=entry.member_id,
        actor_id=actor.pk if actor else None,
        **extra,
    )


def top_of_queue_kind(machine_is_free: bool) -> EventKind:
    return EventKind.READY_TO_CHECK_IN if machine_is_free else EventKind.ON_DECK


def renumber(
    machine: Machine,
    ordered: Sequence[QueueEntry],
    *,
    actor: AbstractBaseUser | None,
    machine_is_free: bool | None = None,
) -> list[QueueEvent]:
    """Give ``ordered`` positions 1..n and report the moves.

    Writes only the rows whose position (or ON DECK hold) changed, in one
    UPDATE; on PostgreSQL the deferred unique constraint checks the result at
    commit. The entry reaching #1 on a free machine starts its ON DECK hold.
    The machine must be locked (its version was bumped by the lock).
    """
    if machine_is_free is None:
        machine_is_free = machine.is_free_for_next_run
    now = timezone.now()
    changed: list[QueueEntry] = []
    moves: list[tuple[QueueEntry, int | None, int]] = []
    # The #1 entry whose machine just came free without it moving.
    readied: list[QueueEntry] = []
    for new_position, entry in enumerate(ordered, start=1):
        old_position = entry.position
        hold_start = _hold_start(entry, new_position, machine_is_free, now)
        if old_position == new_position == 1 and hold_start and not entry.on_deck_since:
            readied.append(entry)
        if old_position != new_position or hold_start != entry.on_deck_since:
            entry.position, entry.on_deck_since = new_position, hold_start
            changed.append(entry)
        if old_position != new_position:
            moves.append((entry, old_position, new_position))
    if changed:
        QueueEntry.objects.bulk_update(changed, ["position", "on_deck_since"])
    events = [
        event(EventKind.READY_TO_CHECK_IN, entry, machine, actor, old_position=1, new_position=1)
        for entry in readied
    ]
    for entry, old, new in moves:
        kind = top_of_queue_kind(machine_is_free) if new == 1 else EventKind.POSITION_CHANGED
        events.append(event(kind, entry, machine, actor, old_position=old, new_position=new))
        if old == 1:
            events.append(
                event(
                    EventKind.LEFT_ON_DECK, entry, machine, actor, old_position=1, new_position=new
                )
            )
    return events


def _hold_start(
    entry: QueueEntry, new_position: int, machine_is_free: bool, now: datetime
) -> datetime | None:
    if new_position != 1 or not machine_is_free:
        return None
    # An entry already holding #1 keeps its hold's start time.
    return entry.on_deck_since if entry.position == 1 and entry.on_deck_since else now
