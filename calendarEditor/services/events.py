"""What a queue change caused, and where it goes once the change commits.

Services build a list of QueueEvent inside their transaction and hand it to
``publish``: the events become outbox rows in the same transaction (when a
recorder is registered) and live hints after commit. A failure to broadcast
never undoes or blocks the change.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import transaction


class EventKind(StrEnum):
    ADDED = "added"
    POSITION_CHANGED = "position_changed"
    ON_DECK = "on_deck"  # reached #1 while the machine is busy
    READY_TO_CHECK_IN = "ready_to_check_in"  # #1 and the machine is free
    LEFT_ON_DECK = "left_on_deck"
    MOVED_BY_STAFF = "moved_by_staff"
    EDITED_BY_STAFF = "edited_by_staff"
    REASSIGNED = "reassigned"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RUSH_REQUESTED = "rush_requested"
    RUSH_APPROVED = "rush_approved"
    RUSH_REJECTED = "rush_rejected"
    MACHINE_STATUS_CHANGED = "machine_status_changed"
    MACHINE_EDITED = "machine_edited"
    QUEUE_OPENED = "queue_opened"
    QUEUE_CLOSED = "queue_closed"
    # A running entry's estimate grew: the starts of every entry behind it moved.
    EXTENDED = "extended"


@dataclass(frozen=True)
class QueueEvent:
    kind: EventKind
    machine_id: int | None
    # The queue's version after the change, so live pages can spot a gap.
    version: int = 0
    entry_id: int | None = None
    member_id: int | None = None
    actor_id: int | None = None
    old_position: int | None = None
    new_position: int | None = None
    # Another machine involved (the source of a reassign).
    other_machine_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Preloaded:
    """Rows a change already holds under its lock, by id, in their new state.

    Holds every active entry of each locked machine, so an in-transaction
    recorder can describe the queues without reading them again.
    """

    machines: Mapping[int, Any] = field(default_factory=dict)
    entries: Mapping[int, Any] = field(default_factory=dict)


class EventBatch(tuple[QueueEvent, ...]):
    """The events of one change, carrying the rows it already holds (``preloaded``)."""

    preloaded: Preloaded

    def __new__(
        cls, events: Sequence[QueueEvent], preloaded: Preloaded | None = None
    ) -> "EventBatch":
        batch = super().__new__(cls, events)
        batch.preloaded = preloaded or Preloaded()
        return batch


EventRecorder = Callable[[Sequence[QueueEvent]], None]
_in_transaction_recorders: list[EventRecorder] = []
_after_commit_senders: list[EventRecorder] = []


def register(
    *, in_transaction: EventRecorder | None = None, after_commit: EventRecorder | None = None
) -> None:
    """Let a subsystem (notifications, live hints) follow every queue change.

    ``in_transaction`` recorders write rows that must share the change's fate;
    ``after_commit`` senders talk to the outside world and must not raise.
    """
    if in_transaction and in_transaction not in _in_transaction_recorders:
        _in_transaction_recorders.append(in_transaction)
    if after_commit and after_commit not in _after_commit_senders:
        _after_commit_senders.append(after_commit)


def unregister(recorder: EventRecorder) -> None:
    for registry in (_in_transaction_recorders, _after_commit_senders):
        if recorder in registry:
            registry.remove(recorder)


def publish(events: Sequence[QueueEvent], preloaded: Preloaded | None = None) -> None:
    """Record events inside the current transaction and send them once it commits."""
    if not events:
        return
    frozen = EventBatch(events, preloaded)
    for recorder in _in_transaction_recorders:
        recorder(frozen)
    for sender in _after_commit_senders:
        transaction.on_commit(lambda sender=sender: sender(frozen), robust=True)
