from dataclasses import dataclass, field

from calendarEditor.models import QueueEntry
from calendarEditor.services.events import QueueEvent, publish


@dataclass
class QueueResult:
    """The entry an operation changed and the events it caused, in order."""

    entry: QueueEntry
    events: list[QueueEvent] = field(default_factory=list)


def finish(result: QueueResult) -> QueueResult:
    """Hand the events to the outbox and the live layer; call inside the transaction."""
    publish(result.events)
    return result
