"""The queue engine (DESIGN §4). Views, consumers, commands and the API call these.

Every function runs in one transaction that locks the machine row(s) first
and returns a QueueResult with the events it caused; the events reach the
outbox in the same transaction and the live layer after commit.
"""

from calendarEditor.services.queue._locking import (
    MachineQueue,
    lock_machines,
    lock_queue,
    lock_queues,
)
from calendarEditor.services.queue.entries import cancel, enqueue
from calendarEditor.services.queue.holds import hold_ends, hold_has_expired, skip_on_deck
from calendarEditor.services.queue.ordering import move, move_down, move_up, reassign
from calendarEditor.services.queue.result import QueueResult
from calendarEditor.services.queue.runs import complete, snooze_check_out, start
from calendarEditor.services.queue.rush import approve_rush, reject_rush, request_rush
from calendarEditor.services.queue.switching import switch_queue
from calendarEditor.services.queue.turnover import advance_turnover, phase_ends

__all__ = [
    "MachineQueue",
    "QueueResult",
    "advance_turnover",
    "approve_rush",
    "cancel",
    "complete",
    "enqueue",
    "hold_ends",
    "hold_has_expired",
    "lock_machines",
    "lock_queue",
    "lock_queues",
    "move",
    "move_down",
    "move_up",
    "phase_ends",
    "reassign",
    "reject_rush",
    "request_rush",
    "skip_on_deck",
    "snooze_check_out",
    "start",
    "switch_queue",
]
