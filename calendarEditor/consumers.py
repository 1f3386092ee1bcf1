"""The one WebSocket a page opens (ws/live/): it joins groups and forwards hints.

Plumbing only (DESIGN §6): a hint says which machine's queue (and its new
version) or which of the viewer's own entries changed; the page re-fetches its
fragments, rendered for the viewer by the views. Close codes the page acts on:
4401 not signed in, 4403 not an approved member (both final), 4503 the
channel layer failed (retry later).

Client → server: {"subscribe": [machine ids]}, {"ping": n}.
Server → client: hello / pong (every machine's queue version, so a page can
tell what it missed), subscribed, resync, error, and the hints themselves.

Sockets hold no layer channel of their own: each process (event loop) keeps
one layer channel per group in a Hub and fans each hint out to its local
sockets. channels_redis wakes and re-queues every waiting receiver of a
process for each message, so a channel per socket cost ~0.25 ms per socket
per hint at 1,000 sockets; the hub's cost per socket is a dictionary lookup
and a send.
"""

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from redis.exceptions import TimeoutError as RedisTimeoutError

from calendarEditor.services.broadcast import BOARD_GROUP, STAFF_GROUP, machine_group, user_group
from userRegistration.models import is_approved_member

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_A_MEMBER = 4403
# 1011 would fit, but servers may only send 1000 or 3000-4999 (autobahn refuses others).
CLOSE_LAYER_FAILED = 4503
MAX_SUBSCRIPTIONS = 20
MAX_MESSAGE_CHARS = 2000
MESSAGES_PER_MINUTE = 60
VERSIONS_MAX_AGE_SECONDS = 2.0
LAYER_TIMEOUT_SECONDS = 2.0
# Group memberships lapse after the layer's group_expiry (a day); pings renew them.
REFRESH_GROUPS_EVERY_SECONDS = 600.0
_LOG_EVERY_SECONDS = 60.0

# Layer failures seen by this process; a socket that sees the count change
# re-joins its groups (Redis may have restarted empty) and tells its page to
# catch up.
_layer_failures = 0
_last_failure_logged = 0.0
# Every machine's queue version, shared by this process's sockets for a moment
# so that pings from many sockets cost one query.
_versions_cache: tuple[float, dict[str, int]] = (0.0, {})


@dataclass(eq=False)
class _Group:
    channel: str
    members: set["LiveConsumer"] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    renewed_at: float = field(default_factory=time.monotonic)


class Hub:
    """This event loop's one layer channel per group, shared by its sockets."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.groups: dict[str, _Group] = {}
        self.lock = asyncio.Lock()

    async def join(self, name: str, socket: "LiveConsumer", *, renew: bool = False) -> None:
        async with self.lock:
            group = self.groups.get(name)
            if group is None:
                channel = await self.layer.new_channel()
                await asyncio.wait_for(self.layer.group_add(name, channel), LAYER_TIMEOUT_SECONDS)
                group = self.groups[name] = _Group(channel)
                group.task = asyncio.ensure_future(self._pump(name, group))
            elif renew and time.monotonic() - group.renewed_at > REFRESH_GROUPS_EVERY_SECONDS:
                await asyncio.wait_for(
                    self.layer.group_add(name, group.channel), LAYER_TIMEOUT_SECONDS
                )
                group.renewed_at = time.monotonic()
            group.members.add(socket)

    async def leave(self, name: str, socket: "LiveConsumer") -> None:
        async with self.lock:
            group = self.groups.get(name)
            if group is None:
                return
            group.members.discard(socket)
            if group.members:
                return
            del self.groups[name]
        if group.task is not None:
            group.task.cancel()
        await asyncio.wait_for(self.layer.group_discard(name, group.channel), LAYER_TIMEOUT_SECONDS)

    async def renew_all(self) -> None:
        """Re-add every channel to its group, after the layer may have lost them."""
        async with self.lock:
            for name, group in self.groups.items():
                await asyncio.wait_for(
                    self.layer.group_add(name, group.channel), LAYER_TIMEOUT_SECONDS
                )
                group.renewed_at = time.monotonic()

    async def _pump(self, name: str, group: _Group) -> None:
        try:
            while True:
                try:
                    message = await self.layer.receive(group.channel)
                except RedisTimeoutError:
                    # channels_redis blocks 5 s per read, as long as redis-py's
                    # default socket timeout: on a quiet layer the two race.
                    # Nothing failed, so read again.
                    continue
                content = outgoing(message)
                if content is None:
                    # A hint type this code does not know (a newer sender during a deploy).
                    logger.debug("live hint of type %r ignored", message.get("type"))
                    continue
                text = json.dumps(content, separators=(",", ":"))
                for socket in list(group.members):
                    await socket.deliver(content, text)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Redis went away: the pages reconnect with backoff and catch up.
            _note_layer_failure()
            if self.groups.get(name) is group:
                del self.groups[name]
            for socket in list(group.members):
                await socket.layer_lost()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    current = _hubs.get(loop)
    if current is None or current.layer is not layer:
        current = _hubs[loop] = Hub(layer)
    return current


class LiveConsumer(AsyncWebsocketConsumer):
    # No layer channel per socket: the hub receives for all of them.
    channel_layer_alias = None

    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.subscribed: set[int] = set()
        self.forwarded: dict[int, int] = {}
        self.failures_seen = _layer_failures
        self.window_started, self.window_count = time.monotonic(), 0
        user = self.scope.get("user")
        # Accepted before closing, so the page sees the code (a refused
        # handshake only shows as 1006) and stops retrying.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        if not await _approved_now(user.pk):
            await self.close(code=CLOSE_NOT_A_MEMBER)
            return
        self.base_groups = {BOARD_GROUP, user_group(user.pk)}
        if user.is_staff:
            self.base_groups.add(STAFF_GROUP)
        if await self._join(self.base_groups):
            # Read fresh: the page was rendered moments ago and compares.
            versions = await machine_versions(max_age=0.0)
            await self.send_json({"type": "hello", "versions": versions})

    async def disconnect(self, code: int) -> None:
        for name in getattr(self, "joined", set()):
            try:
                await hub().leave(name, self)
            except Exception:
                # Left behind, the membership lapses with the layer's group expiry.
                _note_layer_failure()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._over_limit():
            await self._error("Too many messages; wait a minute.")
            return
        content = _decode(text_data)
        if isinstance(content, dict) and set(content) == {"subscribe"}:
            await self._subscribe(content["subscribe"])
        elif isinstance(content, dict) and set(content) == {"ping"}:
            await self._pong()
        else:
            await self._error('Send {"subscribe": [machine ids]} or {"ping": 1}.')

    def _over_limit(self) -> bool:
        # A page sends a ping every 25 s and rarely a subscription; a flood
        # would only cost queries, so it is answered without doing any.
        now = time.monotonic()
        if now - self.window_started > 60:
            self.window_started, self.window_count = now, 0
        self.window_count += 1
        return self.window_count > MESSAGES_PER_MINUTE

    async def deliver(self, content: dict[str, Any], text: str) -> None:
        """Send one hint from the hub (``text`` is ``content`` as JSON), once per version."""
        machine, version = content.get("machine"), content.get("version")
        if content["type"] == "queue.changed" and isinstance(version, int):
            # The same hint arrives through the board and the machine's group.
            if version <= self.forwarded.get(machine, -1):
                return
            self.forwarded[machine] = version
        try:
            await self.send(text_data=text)
        except Exception:
            logger.debug("live hint not delivered", exc_info=True)

    async def layer_lost(self) -> None:
        self.joined.clear()
        await self.close(code=CLOSE_LAYER_FAILED)

    async def _subscribe(self, ids: Any) -> None:
        if (
            not isinstance(ids, list)
            or len(ids) > MAX_SUBSCRIPTIONS
            or not all(type(pk) is int and pk > 0 for pk in ids)
        ):
            await self._error(f"subscribe takes a list of at most {MAX_SUBSCRIPTIONS} machine ids.")
            return
        wanted = await _existing_machines(set(ids))
        for pk in self.subscribed - wanted:
            self.joined.discard(machine_group(pk))
            await hub().leave(machine_group(pk), self)
        if await self._join({machine_group(pk) for pk in wanted}):
            self.subscribed = wanted
            await self.send_json({"type": "subscribed", "machines": sorted(wanted)})

    async def _pong(self) -> None:
        # After a layer failure Redis may have restarted empty: re-add the
        # process's channels to their groups and have the page catch up.
        resync = self.failures_seen != _layer_failures
        try:
            if resync:
                await hub().renew_all()
        except Exception:
            _note_layer_failure()
            await self.close(code=CLOSE_LAYER_FAILED)
            return
        if not await self._join(self.joined | self.base_groups, renew=True):
            return
        self.failures_seen = _layer_failures
        if resync:
            self.forwarded.clear()
            await self.send_json({"type": "resync"})
        await self.send_json({"type": "pong", "versions": await machine_versions()})

    async def _join(self, groups: set[str], *, renew: bool = False) -> bool:
        """Add this socket to ``groups``; on a layer failure close with 4503 and say False."""
        try:
            for name in groups:
                await hub().join(name, self, renew=renew)
                self.joined.add(name)
        except Exception:
            _note_layer_failure()
            await self.close(code=CLOSE_LAYER_FAILED)
            return False
        return True

    async def _error(self, text: str) -> None:
        await self.send_json({"type": "error", "message": text})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))


def outgoing(message: dict[str, Any]) -> dict[str, Any] | None:
    """What a page may see of a layer message: the known keys of the known types, else None."""
    kind = message.get("type")
    if kind == "queue.changed":
        machine, version = message.get("machine"), message.get("version")
        if type(machine) is not int:
            return None
        return {
            "type": kind,
            "machine": machine,
            "version": version if type(version) is int else None,
        }
    if kind == "entries.changed":
        entry = message.get("entry")
        return {"type": kind, "entry": entry if type(entry) is int else None}
    if kind == "notifications.changed":
        return {"type": kind}
    return None


def _decode(text: str | None) -> Any:
    if not text or len(text) > MAX_MESSAGE_CHARS:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


@database_sync_to_async
def _approved_now(user_id: int) -> bool:
    # Read afresh: the session's user may predate a suspension.
    user = get_user_model().objects.select_related("profile").filter(pk=user_id).first()
    return user is not None and user.is_active and is_approved_member(user)


@database_sync_to_async
def _existing_machines(ids: set[int]) -> set[int]:
    from calendarEditor.models import Machine

    return set(Machine.objects.filter(pk__in=ids).values_list("pk", flat=True))


async def machine_versions(max_age: float = VERSIONS_MAX_AGE_SECONDS) -> dict[str, int]:
    """Every machine's queue version (ids and counters only), cached for ``max_age`` seconds."""
    global _versions_cache
    read_at, versions = _versions_cache
    if time.monotonic() - read_at >= max_age:
        versions = await _read_versions()
        _versions_cache = (time.monotonic(), versions)
    return versions


@database_sync_to_async
def _read_versions() -> dict[str, int]:
    from calendarEditor.models import Machine

    return {str(pk): version for pk, version in Machine.objects.values_list("pk", "queue_version")}


def _note_layer_failure() -> None:
    global _layer_failures, _last_failure_logged
    _layer_failures += 1
    now = time.monotonic()
    if now - _last_failure_logged >= _LOG_EVERY_SECONDS:
        _last_failure_logged = now
        logger.warning("channel layer failed under live sockets", exc_info=True)
