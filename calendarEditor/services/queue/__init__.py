"""The queue engine (DESIGN §4). Views, consumers, commands and the API call these.

Every function runs in one transaction that locks the machine row(s) first
and returns a QueueResult with the events it caused; the events reach the
outbox in the same transaction and the live layer after commit.
"""

from calendarEditor.services.queue._locking import lock_machine, lock_machines
from calendarEditor.services.queue.entries import cancel, enqueue
from calendarEditor.services.queue.ordering import move, move_down, move_up, reassign
from calendarEditor.services.queue.result import QueueResult
from calendarEditor.services.queue.runs import complete, start
from calendarEditor.services.queue.rush import approve_rush, reject_rush, request_rush

__all__ = [
    "QueueResult",
    "approve_rush",
    "cancel",
    "complete",
    "enqueue",
    "lock_machine",
    "lock_machines",
    "move",
    "move_down",
    "move_up",
    "reassign",
    "reject_rush",
    "request_rush",
    "start",
]
