"""Renumbering a machine's queue and describing what the renumbering did."""

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, DateTimeField, F, PositiveIntegerField, Value, When
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
    changed: list[tuple[QueueEntry, int | None, datetime | None]] = []  # with position, hold before
    moves: list[tuple[QueueEntry, int | None, int]] = []
    # The #1 entry whose machine just came free without it moving.
    readied: list[QueueEntry] = []
    for new_position, entry in enumerate(ordered, start=1):
        old_position = entry.position
        hold_start = _hold_start(entry, new_position, machine_is_free, now)
        if old_position == new_position == 1 and hold_start and not entry.on_deck_since:
            readied.append(entry)
        if old_position != new_position or hold_start != entry.on_deck_since:
            changed.append((entry, old_position, entry.on_deck_since))
            entry.position, entry.on_deck_since = new_position, hold_start
        if old_position != new_position:
            moves.append((entry, old_position, new_position))
    if changed:
        _write_positions(changed)
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


def _write_positions(changed: Sequence[tuple[QueueEntry, int | None, datetime | None]]) -> None:
    """Store the new positions and holds of ``changed`` in one set-based UPDATE.

    Entries that moved by the same amount share one ``position + d`` branch, so
    closing the gap left by #1 costs the same for 4 or 400 entries behind it
    (Django's ``bulk_update`` writes a CASE branch per row, which grew with the
    queue). The old positions come from the rows read under the machine's lock;
    the row count check turns any disagreement into an error, never a silent
    misnumbering.
    """
    by_shift: dict[int, list[int]] = {}
    placed: list[When] = []  # entries arriving from nowhere (a reassign) get their value
    holds: list[When] = []
    for entry, old_position, old_hold in changed:
        if old_position is None:
            placed.append(When(pk=entry.pk, then=Value(entry.position)))
        else:
            by_shift.setdefault(entry.position - old_position, []).append(entry.pk)
        if entry.on_deck_since != old_hold:
            holds.append(When(pk=entry.pk, then=Value(entry.on_deck_since)))
    shifted = [
        When(pk__in=pks, then=F("position") + shift) for shift, pks in by_shift.items() if shift
    ]
    values: dict[str, Case] = {
        "position": Case(
            *shifted, *placed, default=F("position"), output_field=PositiveIntegerField()
        )
    }
    if holds:
        values["on_deck_since"] = Case(
            *holds, default=F("on_deck_since"), output_field=DateTimeField()
        )
    written = QueueEntry.objects.filter(pk__in=[entry.pk for entry, _, _ in changed]).update(
        **values
    )
    if written != len(changed):
        raise QueueError("The queue changed while you were acting on it; please try again.")


def _hold_start(
    entry: QueueEntry, new_position: int, machine_is_free: bool, now: datetime
) -> datetime | None:
    if new_position != 1 or not machine_is_free:
        return None
    # An entry already holding #1 keeps its hold's start time.
    return entry.on_deck_since if entry.position == 1 and entry.on_deck_since else now
