"""Live updates across real daphne processes sharing a private Redis.

Each test starts its own redis-server on a free port (so stopping it never
touches the machine's shared Redis) and daphne processes on a SQLite file of
their own. Gated on require_redis(): skipped locally without REDIS_URL,
required in CI (REQUIRE_SERVICES=1).
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from calendarEditor.tests.test_live_support_servers import (
    SUBMIT_FORM,
    Daphne,
    LiveSite,
    Person,
    RedisServer,
    next_of,
    open_socket,
    reopen_socket,
    site_template,
    websockets_or_skip,
)
from mysite.testing import require_redis

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

__all__ = ["site_template"]

# Requests made while Redis is down must not wait on it.
REQUEST_BUDGET_SECONDS = 3.0
QUIET_SECONDS = 12.0


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    require_redis()
    websockets_or_skip()
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def live_site(tmp_path: Path, site_template: Path, redis_server: RedisServer) -> Iterator[LiveSite]:
    site = LiveSite(tmp_path, redis_url=redis_server.url).create(site_template)
    yield site
    site.stop()


async def submit(server: Daphne, person: Person, **extra: str) -> int:
    fields = {**SUBMIT_FORM, **extra}
    response = await asyncio.to_thread(server.post, "/schedule/submit/", fields, person)
    assert response.status == 302, response.status
    location = response.getheader("Location") or ""
    assert location.startswith("/schedule/entries/"), location
    return int(location.rstrip("/").rsplit("/", 1)[1])


async def cancel(server: Daphne, person: Person, entry_id: int) -> None:
    path = f"/schedule/entries/{entry_id}/cancel/"
    response = await asyncio.to_thread(server.post, path, {}, person)
    assert response.status == 302, response.status


async def read_until_closed(socket: "ClientConnection") -> None:
    async with asyncio.timeout(30):
        while True:
            await socket.recv()


def queue_changed(machine: int, version: int) -> dict[str, Any]:
    return {"type": "queue.changed", "machine": machine, "version": version}


def test_a_change_through_one_process_reaches_sockets_on_the_other(live_site: LiveSite):
    first, second = live_site.daphne(), live_site.daphne()
    alice, bob = live_site.people["alice"], live_site.people["bob"]
    griffin = live_site.machines["Griffin"]

    async def scenario() -> None:
        watcher = await open_socket(first, alice, [griffin])
        own = await open_socket(first, bob)
        try:
            entry = await submit(second, bob, optical="on")
            assert await next_of(watcher, "queue.changed") == queue_changed(griffin, 1)
            assert await next_of(own, "entries.changed") == {
                "type": "entries.changed",
                "entry": entry,
            }

            await cancel(second, bob, entry)
            assert await next_of(watcher, "queue.changed") == queue_changed(griffin, 2)
            assert await next_of(own, "entries.changed") == {
                "type": "entries.changed",
                "entry": entry,
            }
        finally:
            await watcher.close()
            await own.close()

    asyncio.run(scenario())


def test_requests_succeed_without_redis_and_live_updates_resume_after(
    live_site: LiveSite, redis_server: RedisServer
):
    server = live_site.daphne()
    alice, bob = live_site.people["alice"], live_site.people["bob"]
    griffin = live_site.machines["Griffin"]

    async def scenario() -> None:
        watcher = await open_socket(server, alice, [griffin])
        redis_server.stop()
        # The socket's receive loop lost Redis: it closes with "try again later".
        with pytest.raises(websockets_or_skip().exceptions.ConnectionClosed) as closed:
            await read_until_closed(watcher)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4503

        for _ in range(2):
            started = time.monotonic()
            entry = await submit(server, bob, optical="on")
            await cancel(server, bob, entry)
            board = await asyncio.to_thread(server.get, "/schedule/", bob)
            assert board.status == 200
            assert time.monotonic() - started < REQUEST_BUDGET_SECONDS

        redis_server.start()
        watcher = await reopen_socket(server, alice, [griffin])
        try:
            await submit(server, bob, optical="on")
            # Four changes were made while Redis was down; this is the fifth.
            assert await next_of(watcher, "queue.changed") == queue_changed(griffin, 5)
        finally:
            await watcher.close()

    asyncio.run(scenario())


def test_a_quiet_socket_stays_live_past_redis_read_timeouts(live_site: LiveSite):
    server = live_site.daphne()
    alice, bob = live_site.people["alice"], live_site.people["bob"]
    griffin = live_site.machines["Griffin"]

    async def scenario() -> None:
        watcher = await open_socket(server, alice, [griffin])
        try:
            # Longer than channels_redis's 5 s blocking read and redis-py's
            # default 5 s socket timeout, which race on a quiet layer.
            await asyncio.sleep(QUIET_SECONDS)
            await submit(server, bob, optical="on")
            assert await next_of(watcher, "queue.changed") == queue_changed(griffin, 1)
        finally:
            await watcher.close()

    asyncio.run(scenario())
