from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from calendarEditor.models import QueueEntry
from calendarEditor.services.events import Preloaded, QueueEvent, publish
from calendarEditor.services.queue._locking import MachineQueue


@dataclass
class QueueResult:
    """The entry an operation changed and the events it caused, in order."""

    entry: QueueEntry
    events: list[QueueEvent] = field(default_factory=list)
    # For a new entry: when it should start, from the queue read under the lock.
    estimated_start: datetime | None = None


def finish(result: QueueResult, *queues: MachineQueue) -> QueueResult:
    """Hand the events to the outbox and the live layer; call inside the transaction.

    The locked queues go along, so the outbox describes them without reading
    them again.
    """
    publish(result.events, preloaded_from(queues, result.entry))
    return result


def preloaded_from(queues: Sequence[MachineQueue], entry: QueueEntry | None = None) -> Preloaded:
    entries = {e.pk: e for queue in queues for e in queue.entries}
    if entry is not None:
        entries[entry.pk] = entry
    return Preloaded(machines={q.machine.pk: q.machine for q in queues}, entries=entries)
