"""One log line per queue event, written once the change has committed.

Importing this module registers the hook (calendarEditor.signals imports it).
A line says what happened and to which ids, never free text such as a reason
or a title: logs travel further than the database and are kept longer.
"""

import logging
from collections.abc import Sequence

from calendarEditor.services.events import QueueEvent, register
from mysite.logging import log_event

logger = logging.getLogger("labqueue.queue")


def log_queue_events(events: Sequence[QueueEvent]) -> None:
    """An after-commit sender, so it must not raise; logging reports its own handler
    failures to stderr instead of raising."""
    for event in events:
        log_event(f"queue.{event.kind}", logger=logger, **_fields(event))


def _fields(event: QueueEvent) -> dict[str, object]:
    fields: dict[str, object] = {
        "entry": event.entry_id,
        "machine": event.machine_id,
        "actor": event.actor_id,
        "member": event.member_id,
        "version": event.version,
    }
    if event.old_position is not None or event.new_position is not None:
        fields["from_position"] = event.old_position
        fields["to_position"] = event.new_position
    if event.other_machine_id is not None:
        fields["from_machine"] = event.other_machine_id
    return fields


register(after_commit=log_queue_events)
