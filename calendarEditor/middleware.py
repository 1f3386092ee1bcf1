"""Running scheduled work from page loads, off the request's critical path (DESIGN §7).

DueWorkMiddleware starts ``run_due_work`` in a background thread once the
response has been sent, at most once every
DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS per process (0 switches it off), and
never while a run it started is still going. The request never waits for the
work and never sees its errors: they are logged. A worker process
(``manage.py run_due_work --loop``) is the dependable way; this keeps a site
without one from leaving reminders unsent.
"""

import logging
import threading
import time
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import connections
from django.http import HttpRequest, HttpResponse

from calendarEditor.services.due import config

logger = logging.getLogger("calendarEditor.due_work")


class _Throttle:
    """Per process: when a run last started, and whether one is still running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_started: float | None = None
        self._running = False

    def try_start(self, interval: float, now: float) -> bool:
        with self._lock:
            if self._running:
                return False
            if self._last_started is not None and now - self._last_started < interval:
                return False
            self._last_started, self._running = now, True
            return True

    def finished(self) -> None:
        with self._lock:
            self._running = False

    def reset(self) -> None:
        """Forget the last run (tests)."""
        with self._lock:
            self._last_started, self._running = None, False


throttle = _Throttle()
_threads: list[threading.Thread] = []  # the latest run's thread, for tests to join


def run_in_background() -> None:
    """The thread's body: one pass of due work, its errors logged, its connections closed."""
    from calendarEditor.services.due_work import run_due_work

    try:
        report = run_due_work()
        if not report.ok:
            logger.warning("due work finished with errors: %s", _failures(report))
    except Exception:
        logger.exception("due work from the middleware failed")
    finally:
        connections.close_all()
        throttle.finished()


def maybe_start() -> threading.Thread | None:
    """Start a run if the throttle allows; returns its thread."""
    interval = config.whole("DUE_WORK_MIDDLEWARE_INTERVAL_SECONDS")
    if interval <= 0 or not throttle.try_start(interval, time.monotonic()):
        return None
    thread = threading.Thread(target=run_in_background, name="due-work", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        throttle.finished()  # the interpreter is shutting down; no run this time
        logger.exception("could not start the due-work thread")
        return None
    _threads[:] = [thread]
    return thread


class DueWorkMiddleware:
    """Kicks off scheduled work after the view ran; works under WSGI and ASGI."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        return _after_sending(self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return _after_sending(await self.get_response(request))


def _after_sending(response: HttpResponse) -> HttpResponse:
    """Start the work once the response is sent: Django runs a response's closers after
    the server sent its last byte (WSGI and ASGI alike)."""
    closers = getattr(response, "_resource_closers", None)
    if isinstance(closers, list):
        closers.append(_start_quietly)
    else:
        _start_quietly()
    return response


def _start_quietly() -> None:
    # A bad setting or a thread that cannot start must not fail the page.
    try:
        maybe_start()
    except Exception:
        logger.exception("due work was not started")


def _failures(report: object) -> str:
    jobs = getattr(report, "jobs", [])
    return "; ".join(f"{job.name}: {' | '.join(job.errors)}" for job in jobs if job.errors)
