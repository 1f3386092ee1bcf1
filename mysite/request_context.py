"""Who and which request a log line belongs to.

RequestContextMiddleware gives every HTTP request an id (the proxy's
X-Request-ID when it sends a sane one, else a new uuid4 hex), echoes it in the
response, and keeps it with the user's id in a ContextVar for the request's
duration. mysite.logging's filter reads that ContextVar, so any log line
written while the request runs, in any module, carries both.

settings.py imports this module (through mysite.logging), so it imports no
Django module at run time.

The ContextVar holds a mutable object: Django runs sync views and middleware
in a worker thread with a copy of the context, so a value *set* there would
not reach the code around it, while a field changed on the shared object does.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Anything else from the outside (spaces, quotes, newlines, megabytes) could
# forge or break log lines, so it is replaced rather than trusted.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

access_logger = logging.getLogger("labqueue.http")
QUIET_VIEWS = frozenset({"schedule-health"})


@dataclass
class RequestContext:
    request_id: str
    user_id: int | None = None


_current: ContextVar[RequestContext | None] = ContextVar("labqueue_request", default=None)


def current() -> RequestContext | None:
    """The running request's context, or None outside a request (commands, workers)."""
    return _current.get()


def incoming_request_id(value: str | None) -> str:
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Put first in MIDDLEWARE, so even redirects and refusals carry the id."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        context, token, started = self._begin(request)
        try:
            return self._finish(request, self.get_response(request), context, started)
        finally:
            _current.reset(token)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        context, token, started = self._begin(request)
        try:
            response = await self.get_response(request)  # type: ignore[misc]
            return self._finish(request, response, context, started)
        finally:
            _current.reset(token)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # By now AuthenticationMiddleware has run; the user is loaded once here
        # and cached on the request for the view.
        context = current()
        user = getattr(request, "user", None)
        if context is not None and user is not None and user.is_authenticated:
            context.user_id = user.pk

    def _begin(self, request: HttpRequest) -> tuple[RequestContext, Any, float]:
        context = RequestContext(request_id=incoming_request_id(request.headers.get(HEADER)))
        request.request_id = context.request_id  # type: ignore[attr-defined]
        return context, _current.set(context), time.monotonic()

    def _finish(
        self, request: HttpRequest, response: HttpResponse, context: RequestContext, started: float
    ) -> HttpResponse:
        response[HEADER] = context.request_id
        _log_access(request, response, started)
        return response


def _log_access(request: HttpRequest, response: HttpResponse, started: float) -> None:
    """One line per request. The route pattern, not the path: paths carry login-link tokens.

    Successful answers that are not pages (static files, HTTPS redirects) and
    the health probe's (every few seconds) are left out: they would bury the rest.
    """
    from mysite.logging import log_event

    match = getattr(request, "resolver_match", None)
    quiet = match is None or match.view_name in QUIET_VIEWS
    if quiet and response.status_code < 400:
        return
    log_event(
        "http.request",
        logger=access_logger,
        method=request.method,
        route=f"/{match.route}" if match is not None else "-",
        view=(match.view_name if match is not None else "-") or "-",
        status=response.status_code,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
    )
