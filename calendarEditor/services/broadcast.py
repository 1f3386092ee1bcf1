"""Live hints to the channel layer, sent after commit.

Hints carry ids and the queue's version, never another member's details:
pages re-fetch their own fragment, rendered for the viewer (DESIGN §6). A
layer that is down (Redis stopped) costs a log line, never a failed request.

Hints are worked out inside the queue change's transaction (where every
machine's new version can be read under its lock) and handed to the layer
once it commits. With a networked layer (Redis) a background thread sends
them, so a request never waits on Redis; one thread keeps them in order.
"""

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from calendarEditor.services.events import EventKind, QueueEvent, register

logger = logging.getLogger(__name__)

BOARD_GROUP = "board"
STAFF_GROUP = "staff"
QUEUE_CHANGED = "queue.changed"
ENTRIES_CHANGED = "entries.changed"
NOTIFICATIONS_CHANGED = "notifications.changed"

# (group name, message): what channels' group_send takes.
Hint = tuple[str, dict[str, Any]]

_LOG_EVERY_SECONDS = 60.0
_last_failure_logged = 0.0


def machine_group(machine_id: int) -> str:
    return f"machine.{machine_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def hints_for(
    events: Sequence[QueueEvent], versions: Mapping[int, int] | None = None
) -> list[Hint]:
    """The hints a list of events calls for, one per group and machine, in event order.

    Each machine's hint carries the newest version its own events reached. A
    machine met only as the source of a reassign has no event carrying its
    version: ``versions`` supplies it, else the hint says None (unknown).
    Members hear about their own entries only, on their own group, and not
    when the machine's hint already tells them (see ``_SEEN_ON_THE_MACHINE``).
    """
    newest: dict[int, int] = {}
    for event in events:
        if event.machine_id is not None:
            newest[event.machine_id] = max(newest.get(event.machine_id, 0), event.version)
    hints: list[Hint] = []
    for machine_id in _machines_involved(events):
        version = newest.get(machine_id, (versions or {}).get(machine_id))
        message = {"type": QUEUE_CHANGED, "machine": machine_id, "version": version}
        hints += [(machine_group(machine_id), message), (BOARD_GROUP, dict(message))]
    told: set[int] = set()
    for event in events:
        if event.member_id is None or event.entry_id is None or event.member_id in told:
            continue
        if event.kind in _SEEN_ON_THE_MACHINE:
            continue
        told.add(event.member_id)
        hints.append(
            (user_group(event.member_id), {"type": ENTRIES_CHANGED, "entry": event.entry_id})
        )
    return hints


# Every socket hears every machine's hint (the board group), and My queue
# watches the machines its entries are on, so a hint to each member behind a
# cancelled #1 would only repeat it: one group_send per member, the bulk of a
# cancel's cost on a long queue. Kinds that change an entry itself (added,
# cancelled, ON DECK, moved to another machine...) still go to its member.
_SEEN_ON_THE_MACHINE = frozenset({EventKind.POSITION_CHANGED, EventKind.MACHINE_EDITED})


def _machines_involved(events: Sequence[QueueEvent]) -> list[int]:
    seen: list[int] = []
    for event in events:
        for machine_id in (event.machine_id, event.other_machine_id):
            if machine_id is not None and machine_id not in seen:
                seen.append(machine_id)
    return seen


def notifications_hint(user_id: int) -> Hint:
    """The hint that a member's notifications changed; their bell re-fetches itself."""
    return (user_group(user_id), {"type": NOTIFICATIONS_CHANGED})


def prepare_hints(events: Sequence[QueueEvent]) -> None:
    """Work out the hints inside the change's transaction and send them on commit."""
    hints = hints_for(events, _versions_missing_from(events))
    if hints:
        transaction.on_commit(lambda: send(hints), robust=True)


def _versions_missing_from(events: Sequence[QueueEvent]) -> dict[int, int]:
    """Versions of machines no event speaks for (a reassign's source).

    Taken from the rows the change holds under its lock when it passed them
    along (``EventBatch.preloaded``), else read: one query, and only then.
    """
    from calendarEditor.models import Machine

    covered = {event.machine_id for event in events}
    missing = {event.other_machine_id for event in events} - covered - {None}
    if not missing:
        return {}
    preloaded = getattr(getattr(events, "preloaded", None), "machines", {})
    versions = {pk: preloaded[pk].queue_version for pk in missing if pk in preloaded}
    if missing - set(versions):
        rows = Machine.objects.filter(pk__in=missing - set(versions))
        versions.update(rows.values_list("pk", "queue_version"))
    return versions


def send(hints: Sequence[Hint]) -> None:
    """Hand hints to the channel layer. Never raises; never waits on Redis in background mode."""
    layer = get_channel_layer()
    if layer is None or not hints:
        return
    if _in_background(layer):
        _sender.submit(layer, hints)
    else:
        send_now(layer, hints)


def send_now(layer: Any, hints: Sequence[Hint]) -> int:
    """Send in the calling thread, each hint bounded by the send timeout; returns how many went."""
    try:
        return async_to_sync(_send_all)(layer, hints)
    except Exception:
        _log_failure("(any)")
        return 0


def _in_background(layer: Any) -> bool:
    # The in-memory layer's queues belong to the server's event loop, so a
    # send from another thread's loop would not wake the consumers; it never
    # blocks either, so it is sent at once.
    if isinstance(layer, InMemoryChannelLayer):
        return False
    return bool(getattr(settings, "LIVE_HINTS_IN_BACKGROUND", True))


async def _send_all(layer: Any, hints: Sequence[Hint]) -> int:
    timeout = float(getattr(settings, "LIVE_HINTS_SEND_TIMEOUT", 2.0))
    sent = 0
    for group, message in hints:
        try:
            await asyncio.wait_for(layer.group_send(group, dict(message)), timeout)
        except Exception:
            # The layer is down or stalled: the rest would wait as long, so drop
            # them too. Pages catch up from the version gap or on reconnect.
            _log_failure(group)
            break
        sent += 1
    return sent


class BackgroundSender:
    """One daemon thread with its own event loop, sending batches in the order given.

    The queue is bounded: while Redis is down and sends time out, new batches
    past the bound are dropped (and logged) instead of piling up in memory.
    """

    def __init__(self, max_batches: int | None = None) -> None:
        size = max_batches or int(getattr(settings, "LIVE_HINTS_QUEUE_SIZE", 1000))
        self._queue: queue.Queue[tuple[Any, tuple[Hint, ...]]] = queue.Queue(maxsize=size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, layer: Any, hints: Sequence[Hint]) -> bool:
        self._ensure_thread()
        try:
            self._queue.put_nowait((layer, tuple(hints)))
        except queue.Full:
            _log_failure("(send queue full)")
            return False
        return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every submitted batch has been tried; for tests and benchmarks."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="live-hints", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            layer, hints = self._queue.get()
            try:
                loop.run_until_complete(_send_all(layer, hints))
            except Exception:
                _log_failure("(any)")
            finally:
                self._queue.task_done()


_sender = BackgroundSender()


def flush(timeout: float = 5.0) -> bool:
    """Wait for the background sender to try everything handed to it so far."""
    return _sender.flush(timeout)


def _log_failure(group: str) -> None:
    # Rate-limited: with Redis down every change would otherwise log a traceback.
    global _last_failure_logged
    now = time.monotonic()
    if now - _last_failure_logged >= _LOG_EVERY_SECONDS:
        _last_failure_logged = now
        logger.warning("channel layer unavailable; live hint to %s dropped", group, exc_info=True)


register(in_transaction=prepare_hints)
