"""The broadcast module: which hints events make, and sending that never hurts a request.

A fake layer stands in for Redis: it can stall, fail, or hold a send until
released, and records which thread sent what.
"""

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from calendarEditor.models import QueueEntry
from calendarEditor.services import broadcast, queue
from calendarEditor.services.events import EventKind, QueueEvent
from conftest import entry_request

FAKE_LAYER = "calendarEditor.tests.test_live_broadcast.FakeLayer"


class FakeLayer:
    sent: list[tuple[str, dict[str, Any], str]] = []
    delay = 0.0
    fail = False
    started = threading.Event()
    release: threading.Event | None = None

    def __init__(self, **config: Any) -> None:
        pass

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        cls = type(self)
        cls.started.set()
        if cls.fail:
            raise ConnectionError("Connection refused (Redis is down)")
        if cls.release is not None:
            await asyncio.get_running_loop().run_in_executor(None, cls.release.wait, 5)
        if cls.delay:
            await asyncio.sleep(cls.delay)
        cls.sent.append((group, message, threading.current_thread().name))


@pytest.fixture
def fake_layer(settings: Any) -> type[FakeLayer]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": FAKE_LAYER}}
    FakeLayer.sent, FakeLayer.delay, FakeLayer.fail = [], 0.0, False
    FakeLayer.started, FakeLayer.release = threading.Event(), None
    broadcast._last_failure_logged = -1e9
    yield FakeLayer
    if FakeLayer.release is not None:
        FakeLayer.release.set()
    broadcast.flush()


def hint(n: int) -> broadcast.Hint:
    return (broadcast.machine_group(n), {"type": "queue.changed", "machine": n, "version": n})


def event(kind: EventKind, machine: int | None, version: int, **extra: Any) -> QueueEvent:
    return QueueEvent(kind=kind, machine_id=machine, version=version, **extra)


def test_one_hint_per_group_with_the_newest_version_and_one_per_member():
    events = [
        event(EventKind.CANCELLED, 3, 7, entry_id=10, member_id=1),
        event(EventKind.ON_DECK, 3, 7, entry_id=11, member_id=2),
        event(EventKind.ADDED, 3, 7, entry_id=12, member_id=2),
    ]
    assert broadcast.hints_for(events) == [
        ("machine.3", {"type": "queue.changed", "machine": 3, "version": 7}),
        ("board", {"type": "queue.changed", "machine": 3, "version": 7}),
        ("user.1", {"type": "entries.changed", "entry": 10}),
        ("user.2", {"type": "entries.changed", "entry": 11}),
    ]


def test_members_moved_up_by_a_cancel_hear_it_from_the_machine_not_one_by_one():
    events = [event(EventKind.CANCELLED, 3, 7, entry_id=10, member_id=1)] + [
        event(EventKind.POSITION_CHANGED, 3, 7, entry_id=10 + n, member_id=1 + n)
        for n in range(1, 40)
    ]
    assert broadcast.hints_for(events) == [
        ("machine.3", {"type": "queue.changed", "machine": 3, "version": 7}),
        ("board", {"type": "queue.changed", "machine": 3, "version": 7}),
        ("user.1", {"type": "entries.changed", "entry": 10}),
    ]


def test_a_reassigns_source_takes_its_version_from_the_lookup_or_says_unknown():
    moved = event(EventKind.REASSIGNED, 5, 4, other_machine_id=2, entry_id=9, member_id=1)
    assert broadcast.hints_for([moved], {2: 12})[2] == (
        "machine.2",
        {"type": "queue.changed", "machine": 2, "version": 12},
    )
    assert broadcast.hints_for([moved])[2][1]["version"] is None


def test_machine_edits_tell_no_member():
    assert [group for group, _ in broadcast.hints_for([event(EventKind.MACHINE_EDITED, 4, 0)])] == [
        "machine.4",
        "board",
    ]


def test_in_background_a_send_returns_at_once_and_keeps_the_order(fake_layer, settings):
    settings.LIVE_HINTS_IN_BACKGROUND = True
    fake_layer.delay = 0.05
    started = time.monotonic()
    for n in range(1, 6):
        broadcast.send([hint(n)])
    assert time.monotonic() - started < 0.05
    assert broadcast.flush()
    assert [message["machine"] for _, message, _ in fake_layer.sent] == [1, 2, 3, 4, 5]
    assert {thread for _, _, thread in fake_layer.sent} == {"live-hints"}


def test_the_in_memory_layer_is_sent_to_at_once_from_the_callers_thread(settings):
    settings.LIVE_HINTS_IN_BACKGROUND = True
    assert broadcast._in_background(InMemoryChannelLayer()) is False


def test_a_stalled_layer_costs_at_most_the_timeout_and_one_log_line(fake_layer, settings, caplog):
    settings.LIVE_HINTS_IN_BACKGROUND = False
    settings.LIVE_HINTS_SEND_TIMEOUT = 0.1
    fake_layer.delay = 30
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="calendarEditor.services.broadcast"):
        broadcast.send([hint(1), hint(2), hint(3)])
        broadcast.send([hint(4)])
    assert time.monotonic() - started < 1.0
    assert fake_layer.sent == []
    assert len(caplog.records) == 1
    assert "live hint to machine.1 dropped" in caplog.records[0].getMessage()


def test_a_full_send_queue_drops_new_batches_instead_of_growing(fake_layer, caplog):
    fake_layer.release = threading.Event()
    sender = broadcast.BackgroundSender(max_batches=2)
    layer = fake_layer()
    assert sender.submit(layer, [hint(1)])
    assert fake_layer.started.wait(5), "the first batch is being sent"
    with caplog.at_level(logging.WARNING, logger="calendarEditor.services.broadcast"):
        accepted = [sender.submit(layer, [hint(n)]) for n in (2, 3, 4)]
    fake_layer.release.set()
    assert sender.flush()
    assert accepted == [True, True, False]
    assert [message["machine"] for _, message, _ in fake_layer.sent] == [1, 2, 3]
    assert "send queue full" in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_queue_changes_succeed_while_the_layer_is_down(
    fake_layer, settings, caplog, alice, hidalgo, django_capture_on_commit_callbacks
):
    settings.LIVE_HINTS_IN_BACKGROUND = False
    fake_layer.fail = True
    with caplog.at_level(logging.WARNING, logger="calendarEditor.services.broadcast"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            first = queue.enqueue(entry_request("one"), member=alice, by=alice).entry
        with django_capture_on_commit_callbacks(execute=True):
            queue.cancel(first, by=alice)
    assert callbacks, "the hints were due after commit"
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert QueueEntry.objects.count() == 1
    assert len(caplog.records) == 1, "the failure is logged once a minute, not per change"
