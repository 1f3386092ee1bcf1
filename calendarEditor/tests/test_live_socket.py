"""The ws/live/ socket: who may open it, what it joins, and what it forwards.

Every socket goes through the production stack (Origin check, session auth,
URL router) on the in-memory layer.
"""

from typing import Any

import pytest
from channels.layers import get_channel_layer

from calendarEditor import consumers
from calendarEditor.services import queue
from calendarEditor.services.broadcast import BOARD_GROUP, STAFF_GROUP, user_group
from calendarEditor.tests.test_live_support import (
    close_code,
    communicator,
    drain,
    in_db,
    memory_layer,
    open_socket,
    run,
)
from conftest import entry_request

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["memory_layer"]


def refused_with(user: Any) -> int | None:
    socket = communicator(user)

    async def scenario():
        connected, _ = await socket.connect()
        assert connected, "accepted first, so the page can read the close code"
        code = await close_code(socket)
        await socket.disconnect()
        return code

    return run(scenario)


def test_anonymous_visitors_are_refused_with_4401(memory_layer):
    assert refused_with(None) == 4401


def test_pending_members_are_refused_with_4403(memory_layer, charlie):
    assert refused_with(charlie) == 4403


def test_suspended_members_are_refused_with_4403(memory_layer, suspended_sue):
    assert refused_with(suspended_sue) == 4403


def test_approval_is_read_fresh_when_the_socket_opens(memory_layer, alice):
    socket = communicator(alice)  # the session was made while alice was approved
    alice.profile.approval_status = "suspended"
    alice.profile.save()

    async def scenario():
        connected, _ = await socket.connect()
        assert connected
        return await close_code(socket)

    assert run(scenario) == 4403


@pytest.mark.parametrize("origin", ["http://evil.example", "http://testserver.evil.example", None])
def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(memory_layer, alice, origin):
    socket = communicator(alice, origin=origin)

    async def scenario():
        connected, _ = await socket.connect()
        await socket.disconnect()
        return connected

    assert run(scenario) is False


def test_a_member_gets_every_machines_version_on_connect(memory_layer, alice, hidalgo, griffin):
    socket = communicator(alice)

    async def scenario():
        connected, _ = await socket.connect()
        assert connected
        hello = await socket.receive_json_from()
        await socket.disconnect()
        return hello

    assert run(scenario) == {"type": "hello", "versions": {str(hidalgo.pk): 0, str(griffin.pk): 0}}


def test_a_machine_change_reaches_a_subscribed_member_once(memory_layer, alice, bob, griffin):
    async def scenario():
        watcher = await open_socket(alice, subscribe=[griffin.pk])
        await in_db(queue.enqueue)(entry_request(optical=True), member=bob, by=bob)
        got = await drain(watcher)
        await watcher.disconnect()
        return got

    got = run(scenario)

    griffin.refresh_from_db()
    # Sent to the board and to Griffin's group; the socket forwards it once,
    # and bob's entry is none of alice's business.
    assert got == [
        {"type": "queue.changed", "machine": griffin.pk, "version": griffin.queue_version}
    ]


def test_the_member_whose_entry_changed_hears_of_it(memory_layer, bob, griffin):
    async def scenario():
        socket = await open_socket(bob)
        result = await in_db(queue.enqueue)(entry_request(optical=True), member=bob, by=bob)
        got = await drain(socket)
        await socket.disconnect()
        return result.entry, got

    entry, got = run(scenario)

    hints = [m for m in got if m["type"] != "notifications.changed"]
    assert [m["type"] for m in hints] == ["queue.changed", "entries.changed"]
    assert hints[1] == {"type": "entries.changed", "entry": entry.pk}


def test_subscribing_to_an_unknown_machine_joins_nothing(memory_layer, alice, hidalgo):
    async def scenario():
        socket = await open_socket(alice)
        await socket.send_json_to({"subscribe": [hidalgo.pk, 999_999]})
        reply = await socket.receive_json_from()
        await socket.disconnect()
        return reply

    assert run(scenario) == {"type": "subscribed", "machines": [hidalgo.pk]}


@pytest.mark.parametrize(
    "message",
    [
        {"subscribe": "1"},
        {"subscribe": ["1"]},
        {"subscribe": [True]},
        {"subscribe": [-3]},
        {"subscribe": [1.5]},
        {"subscribe": list(range(1, 30))},
        {"subscribe": [1], "also": 2},
        {"hello": 1},
        ["subscribe", 1],
    ],
)
def test_bad_messages_get_a_clear_error_and_change_nothing(memory_layer, alice, hidalgo, message):
    async def scenario():
        socket = await open_socket(alice, subscribe=[hidalgo.pk])
        await socket.send_json_to(message)
        error = await socket.receive_json_from()
        await socket.send_to(text_data="not json {")
        garbled = await socket.receive_json_from()
        await socket.send_json_to({"subscribe": [hidalgo.pk]})
        still = await socket.receive_json_from()
        await socket.disconnect()
        return error, garbled, still

    error, garbled, still = run(scenario)

    assert error["type"] == "error"
    assert error["message"]
    assert garbled["type"] == "error"
    assert still == {"type": "subscribed", "machines": [hidalgo.pk]}


def test_ping_is_answered_with_the_versions(memory_layer, alice, hidalgo):
    async def scenario():
        socket = await open_socket(alice)
        await socket.send_json_to({"ping": 1})
        pong = await socket.receive_json_from()
        await socket.disconnect()
        return pong

    assert run(scenario) == {"type": "pong", "versions": {str(hidalgo.pk): 0}}


def test_after_a_layer_failure_the_next_ping_asks_the_page_to_resync(memory_layer, alice):
    async def scenario():
        socket = await open_socket(alice)
        consumers._layer_failures += 1  # as when Redis dropped under another socket
        await socket.send_json_to({"ping": 1})
        first = await socket.receive_json_from()
        second = await socket.receive_json_from()
        await socket.send_json_to({"ping": 2})
        third = await socket.receive_json_from()
        await socket.disconnect()
        return first["type"], second["type"], third["type"]

    assert run(scenario) == ("resync", "pong", "pong")


def test_only_staff_sockets_join_the_staff_group(memory_layer, alice, sam):
    async def scenario():
        staff, member = await open_socket(sam), await open_socket(alice)
        await get_channel_layer().group_send(STAFF_GROUP, {"type": "notifications.changed"})
        got = await drain(staff), await drain(member)
        await staff.disconnect()
        await member.disconnect()
        return got

    assert run(scenario) == ([{"type": "notifications.changed"}], [])


def test_forwarded_hints_are_stripped_to_their_known_keys(memory_layer, alice):
    async def scenario():
        socket = await open_socket(alice)
        layer = get_channel_layer()
        leak = {"type": "queue.changed", "machine": 4, "version": 2, "title": "Bob's sample"}
        await layer.group_send(user_group(alice.pk), leak)
        await layer.group_send(
            user_group(alice.pk), {"type": "entries.changed", "entry": 9, "x": 1}
        )
        await layer.group_send(user_group(alice.pk), {"type": "something.new", "entry": 9})
        got = await drain(socket)
        await socket.send_json_to({"ping": 1})
        alive = await socket.receive_json_from()
        await socket.disconnect()
        return got, alive

    got, alive = run(scenario)

    assert got == [
        {"type": "queue.changed", "machine": 4, "version": 2},
        {"type": "entries.changed", "entry": 9},
    ]
    assert alive["type"] == "pong", "an unknown hint type must not end the socket"


def test_an_older_or_repeated_version_is_not_forwarded_twice(memory_layer, alice):
    async def scenario():
        socket = await open_socket(alice)
        layer = get_channel_layer()
        for version in (3, 3, 2, 4):
            hint = {"type": "queue.changed", "machine": 7, "version": version}
            await layer.group_send(user_group(alice.pk), hint)
        got = await drain(socket)
        await socket.disconnect()
        return [message["version"] for message in got]

    assert run(scenario) == [3, 4]


def test_sockets_of_one_process_share_one_layer_channel_per_group(memory_layer, alice, bob, sam):
    async def scenario():
        sockets = [await open_socket(person) for person in (alice, bob, sam)]
        layer = get_channel_layer()
        shared = len(layer.groups[BOARD_GROUP])
        await get_channel_layer().group_send(BOARD_GROUP, {"type": "notifications.changed"})
        heard = [await drain(socket) for socket in sockets]
        for socket in sockets:
            await socket.disconnect()
        return shared, heard, layer.groups.get(BOARD_GROUP, {})

    shared, heard, left = run(scenario)

    assert shared == 1
    assert heard == [[{"type": "notifications.changed"}]] * 3
    assert left == {}, "the last socket to leave takes the channel out of the group"


def test_a_flood_of_messages_is_refused_without_work(memory_layer, alice, hidalgo, monkeypatch):
    monkeypatch.setattr(consumers, "MESSAGES_PER_MINUTE", 3)

    async def scenario():
        socket = await open_socket(alice)
        replies = []
        for _ in range(4):
            await socket.send_json_to({"subscribe": [hidalgo.pk]})
            replies.append(await socket.receive_json_from())
        await socket.disconnect()
        return replies

    replies = run(scenario)

    assert [r["type"] for r in replies] == ["subscribed", "subscribed", "subscribed", "error"]
    assert "Too many" in replies[3]["message"]
