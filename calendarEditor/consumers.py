"""The one WebSocket a page opens (ws/live/): it joins groups and forwards hints.

Plumbing only (DESIGN §6): a hint says which machine's queue (and its new
version) or which of the viewer's own entries changed; the page re-fetches its
fragments, rendered for the viewer by the views. Close codes the page acts on:
4401 not signed in, 4403 not an approved member (both final), 1011 the
channel layer failed (retry later).

Client → server: {"subscribe": [machine ids]}, {"ping": n}.
Server → client: hello / pong (every machine's queue version, so a page can
tell what it missed), subscribed, error, and the hints themselves.
"""

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth import get_user_model
from redis.exceptions import RedisError

from calendarEditor.services.broadcast import (
    BOARD_GROUP,
    STAFF_GROUP,
    machine_group,
    user_group,
)
from userRegistration.models import is_approved_member

logger = logging.getLogger(__name__)

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_A_MEMBER = 4403
CLOSE_LAYER_FAILED = 1011
MAX_SUBSCRIPTIONS = 20
MAX_MESSAGE_CHARS = 2000
VERSIONS_MAX_AGE_SECONDS = 2.0
LEAVE_TIMEOUT = 2.0
_LOG_EVERY_SECONDS = 60.0

# Layer failures seen by this process; a consumer that sees the count change
# re-joins its groups (Redis may have restarted empty) and tells its page to
# catch up.
_layer_failures = 0
_last_failure_logged = 0.0
# Every machine's queue version, shared by this process's sockets for a moment
# so that pings from many sockets cost one query.
_versions_cache: tuple[float, dict[str, int]] = (0.0, {})


class LiveConsumer(AsyncWebsocketConsumer):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except (RedisError, OSError, TimeoutError):
            # Redis went away under the receive loop: the page reconnects with
            # backoff, so one log line a minute is enough.
            _note_layer_failure()
            await self._leave_groups()
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_LAYER_FAILED})

    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.subscribed: set[int] = set()
        self.forwarded: dict[int, int] = {}
        self.failures_seen = _layer_failures
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
            await self.send_json({"type": "hello", "versions": await machine_versions()})

    async def disconnect(self, code: int) -> None:
        await self._leave_groups()

    async def _leave_groups(self) -> None:
        try:
            for group in list(getattr(self, "joined", ())):
                await asyncio.wait_for(
                    self.channel_layer.group_discard(group, self.channel_name), LEAVE_TIMEOUT
                )
                self.joined.discard(group)
        except Exception:
            # Left behind, the memberships lapse with the layer's group expiry.
            _note_layer_failure()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        content = _decode(text_data)
        if isinstance(content, dict) and set(content) == {"subscribe"}:
            await self._subscribe(content["subscribe"])
        elif isinstance(content, dict) and set(content) == {"ping"}:
            await self._pong()
        else:
            await self._error('Send {"subscribe": [machine ids]} or {"ping": 1}.')

    # Hints from the layer. Only these keys ever reach the page.
    async def queue_changed(self, message: dict[str, Any]) -> None:
        machine, version = message.get("machine"), message.get("version")
        if not isinstance(machine, int):
            return
        if isinstance(version, int):
            # The same hint arrives through the board and the machine's group.
            if version <= self.forwarded.get(machine, -1):
                return
            self.forwarded[machine] = version
        await self.send_json({"type": "queue.changed", "machine": machine, "version": version})

    async def entries_changed(self, message: dict[str, Any]) -> None:
        entry = message.get("entry")
        await self.send_json(
            {"type": "entries.changed", "entry": entry if isinstance(entry, int) else None}
        )

    async def notifications_changed(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "notifications.changed"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # A hint type this consumer does not know (a newer sender during a
        # deploy) is dropped; channels would otherwise end the socket.
        kind = message.get("type", "")
        if kind.startswith("websocket.") or kind in _HINT_TYPES:
            await super().dispatch(message)
        else:
            logger.debug("live socket ignored a %r message", kind)

    async def _subscribe(self, ids: Any) -> None:
        if (
            not isinstance(ids, list)
            or len(ids) > MAX_SUBSCRIPTIONS
            or not all(type(pk) is int and pk > 0 for pk in ids)
        ):
            await self._error(f"subscribe takes a list of at most {MAX_SUBSCRIPTIONS} machine ids.")
            return
        wanted = await _existing_machines(set(ids))
        stale = {machine_group(pk) for pk in self.subscribed - wanted}
        for group in stale:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined -= stale
        if await self._join({machine_group(pk) for pk in wanted}):
            self.subscribed = wanted
            await self.send_json({"type": "subscribed", "machines": sorted(wanted)})

    async def _pong(self) -> None:
        # Re-joining refreshes the groups' expiry and restores them after a
        # Redis restart emptied them; "resync" makes the page re-fetch what
        # it may have missed meanwhile.
        resync = self.failures_seen != _layer_failures
        groups = self.base_groups | {machine_group(pk) for pk in self.subscribed}
        if not await self._join(groups, again=True):
            return
        self.failures_seen = _layer_failures
        if resync:
            self.forwarded.clear()
            await self.send_json({"type": "resync"})
        await self.send_json({"type": "pong", "versions": await machine_versions()})

    async def _join(self, groups: set[str], *, again: bool = False) -> bool:
        """Add this socket to ``groups``; on a layer failure close with 1011 and say False."""
        try:
            for group in groups if again else groups - self.joined:
                await self.channel_layer.group_add(group, self.channel_name)
                self.joined.add(group)
        except Exception:
            _note_layer_failure()
            await self.close(code=CLOSE_LAYER_FAILED)
            return False
        return True

    async def _error(self, text: str) -> None:
        await self.send_json({"type": "error", "message": text})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))


_HINT_TYPES = {"queue.changed", "entries.changed", "notifications.changed"}


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


async def machine_versions() -> dict[str, int]:
    """Every machine's queue version (ids and counters only), cached for two seconds."""
    global _versions_cache
    read_at, versions = _versions_cache
    if time.monotonic() - read_at > VERSIONS_MAX_AGE_SECONDS:
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
        logger.warning("channel layer failed under a live socket", exc_info=True)
