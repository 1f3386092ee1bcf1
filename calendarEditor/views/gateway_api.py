"""POST /schedule/api/gateway/readings/: where the lab gateway delivers temperatures.

The answers are the ones temperature_gateway/sender.py acts on: 401 (key
refused, readings stay buffered), 413 (the gateway halves the batch), 429 with
Retry-After (it backs off), 400 with "error" (malformed; it keeps the
readings), and 200 / 207 / 400 with {"stored", "duplicates", "errors"} (it
drops them from its buffer, rejected ones included).
"""

import json
import logging
import math
import time
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calendarEditor.models import GatewayKey
from calendarEditor.services import gateway
from calendarEditor.services.gateway_validation import PayloadError, TooManyReadings, setting

KEY_HEADER = "X-Gateway-Key"

logger = logging.getLogger(__name__)


@csrf_exempt  # the gateway authenticates with its key, not a session cookie
@never_cache
@require_POST
def readings(request: HttpRequest) -> JsonResponse:
    key = gateway.authenticate(request.headers.get(KEY_HEADER))
    if key is None:
        return _error(401, f"Missing, unknown or revoked gateway key (header {KEY_HEADER}).")
    retry_after = _rate_limited(key)
    if retry_after is not None:
        response = _error(429, "Too many requests for this gateway key; slow down.")
        response["Retry-After"] = str(retry_after)
        return response
    body = _read_body(request, setting("GATEWAY_MAX_BODY_BYTES", 1024 * 1024))
    if body is None:
        return _error(413, "The request body is too large; send fewer readings per request.")
    try:
        result = gateway.ingest(key, _parse_json(body))
    except TooManyReadings as exc:
        return _error(413, exc.message)
    except PayloadError as exc:
        gateway.record_contact(key, timezone.now())
        return _error(400, exc.message)
    status = 400 if result.all_rejected else 207 if result.errors else 200
    return JsonResponse(result.as_json(), status=status)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit``.

    The declared length is checked before anything is read; a body sent
    without one (chunked) is read no further than one byte past the limit.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("The body must be UTF-8 encoded JSON.") from None
    except ValueError as exc:
        raise PayloadError(f"The body is not valid JSON: {exc}.") from None


def _count_request(counter: str) -> int:
    cache.add(counter, 0, timeout=120)
    try:
        return cache.incr(counter)
    except ValueError:  # the entry expired between add() and incr()
        cache.set(counter, 1, timeout=120)
        return 1


def _rate_limited(key: GatewayKey) -> int | None:
    """Seconds to wait when ``key`` has used up this minute's requests, else None.

    A fixed one-minute window counted in Django's cache. The default cache
    (LocMemCache) counts per process, so with several web processes each one
    allows the full rate; a shared cache (Redis) makes the limit site-wide.
    """
    limit = int(setting("GATEWAY_RATE_LIMIT_PER_MINUTE", 120))
    now = time.time()
    window = int(now // 60)
    counter = f"gateway-rate:{key.pk}:{window}"
    try:
        count = _count_request(counter)
    except Exception:
        # A cache outage (Redis down) must not lose readings: count nothing, accept.
        logger.warning("gateway rate limit unavailable; request accepted", exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * 60 - now))
