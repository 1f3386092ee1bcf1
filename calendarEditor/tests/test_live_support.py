"""Helpers for the live-update tests: sockets through the real ASGI stack, and layer probes.

Holds no tests. The in-process helpers drive calendarEditor.routing's stack
with channels' WebsocketCommunicator on the in-memory layer; the tests run
their scenario with ``run`` so that database work awaited through
``database_sync_to_async`` happens on the test's own thread and connection.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from calendarEditor import consumers, routing

T = TypeVar("T")
ORIGIN = "http://testserver"
QUIET_SECONDS = 0.15


@pytest.fixture
def memory_layer(settings: Any) -> Iterator[Any]:
    """A fresh in-memory channel layer, also where CI points the suite at Redis."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    consumers._versions_cache = (0.0, {})
    yield get_channel_layer()
    consumers._versions_cache = (0.0, {})


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run an async scenario from a sync test, keeping sync work on this thread."""
    return async_to_sync(scenario)()


def in_db(function: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    return database_sync_to_async(function)


def cookie_for(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(user: Any = None, *, origin: str | None = ORIGIN) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        headers.append((b"cookie", cookie_for(user)))
    return WebsocketCommunicator(routing.websocket_application(), "/ws/live/", headers=headers)


async def open_socket(user: Any, subscribe: list[int] | None = None) -> WebsocketCommunicator:
    """A member's socket after its hello (and subscription, when given)."""
    socket = await in_db(communicator)(user)
    connected, _ = await socket.connect()
    assert connected
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    if subscribe is not None:
        await socket.send_json_to({"subscribe": subscribe})
        reply = await socket.receive_json_from()
        assert reply == {"type": "subscribed", "machines": sorted(subscribe)}
    return socket


async def close_code(socket: WebsocketCommunicator) -> int | None:
    """The code a socket that was accepted and then closed by the server closed with."""
    message = await socket.receive_output(timeout=1)
    if message["type"] == "websocket.send":
        message = await socket.receive_output(timeout=1)
    assert message["type"] == "websocket.close", message
    return message.get("code")


async def drain(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Everything the socket is sent until it stays quiet for a moment."""
    received = []
    while not await socket.receive_nothing(timeout=QUIET_SECONDS):
        received.append(json.loads((await socket.receive_output())["text"]))
    return received


class GroupProbe:
    """Raw layer channels in named groups, to see exactly what each group is sent."""

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups
        self.channels: dict[str, str] = {}

    async def join(self) -> "GroupProbe":
        layer = get_channel_layer()
        for group in self.groups:
            self.channels[group] = await layer.new_channel()
            await layer.group_add(group, self.channels[group])
        return self

    async def received(self) -> dict[str, list[dict[str, Any]]]:
        """Each group's messages since the last call (groups that got none are left out)."""
        layer = get_channel_layer()
        found: dict[str, list[dict[str, Any]]] = {}
        for group, channel in self.channels.items():
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.02)
                except TimeoutError:
                    break
                found.setdefault(group, []).append(message)
        return found
