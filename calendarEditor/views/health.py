"""GET /schedule/health/: is the database reachable, does the channel layer deliver?

The platform's probe restarts the service on a 5xx, so only a database
failure answers 503: without Redis, pages still work and only live updates
stop, which "degraded" reports. Errors name the exception class only; the
full error, which can carry hosts and user names, goes to the log.
"""

import asyncio
import logging
import secrets
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

LAYER_TIMEOUT_SECONDS = 2.0


@never_cache
@require_safe
async def health(request: HttpRequest) -> JsonResponse:
    database = await sync_to_async(database_state)()
    channel_layer = await channel_layer_state()
    if not database["ok"]:
        status, code = "down", 503
    else:
        status, code = ("ok" if channel_layer["ok"] else "degraded"), 200
    body = {"status": status, "database": database, "channel_layer": channel_layer}
    return JsonResponse(body, status=code)


def database_state() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        logger.warning("health: database check failed", exc_info=True)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


async def channel_layer_state() -> dict[str, Any]:
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "backend": None, "error": "not configured"}
    state: dict[str, Any] = {"ok": True, "backend": type(layer).__name__}
    try:
        await asyncio.wait_for(_round_trip(layer), timeout=LAYER_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("health: channel layer check failed", exc_info=True)
        state.update(ok=False, error=type(error).__name__)
    return state


async def _round_trip(layer: Any) -> None:
    """Send a nonce to a fresh channel and read it back."""
    channel = await layer.new_channel()
    nonce = secrets.token_hex(8)
    await layer.send(channel, {"type": "health.ping", "nonce": nonce})
    message = await layer.receive(channel)
    if message.get("nonce") != nonce:
        raise RuntimeError("the channel layer returned another message")
