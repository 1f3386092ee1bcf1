"""A fake Slack Web API on 127.0.0.1 for the notification tests (no outside network).

slack_sdk is pointed at it with SLACK_API_BASE_URL. It knows a few workspace
members, answers users.lookupByEmail, users.list (paginated) and
chat.postMessage, and records every call. ``mode`` makes every call answer
"ok", "ratelimited" (429 with Retry-After), "error500", "hang" (slower than
the client's timeout) or an API error such as "user_not_found"; ``script``
queues modes for the next calls, one each, before ``mode`` applies again.
"""

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

HTTP_MODES = {"ok", "ratelimited", "error500", "hang"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    answer: str  # the mode it was answered with


@dataclass
class FakeSlack:
    members: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"
    retry_after: int = 30
    hang_seconds: float = 3.0
    page_size: int = 2
    calls: list[Call] = field(default_factory=list)
    script: deque[str] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def add_member(self, member_id: str, *, email: str = "", real_name: str = "", name: str = ""):
        self.members.append(
            {
                "id": member_id,
                "name": name,
                "real_name": real_name,
                "deleted": False,
                "is_bot": False,
                "profile": {"email": email, "real_name": real_name, "display_name": name},
            }
        )

    def posted(self) -> list[dict[str, Any]]:
        """The DMs Slack accepted, in the order it accepted them."""
        return [c.params for c in self.calls if c.method == "chat.postMessage" and c.answer == "ok"]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._answer(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.popleft() if self.script else self.mode

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        method = url.path.rsplit("/", 1)[-1]
        params = dict(parse_qsl(url.query))
        params.update(_body(handler))
        mode = self._next_mode()
        with self._lock:
            self.calls.append(Call(method, params, mode))
        if mode == "hang":
            time.sleep(self.hang_seconds)
            mode = "error500"
        if mode == "ratelimited":
            return _send(handler, 429, {"ok": False, "error": "ratelimited"},
                         {"Retry-After": str(self.retry_after)})  # fmt: skip
        if mode == "error500":
            return _send(handler, 500, None)
        if mode != "ok":
            return _send(handler, 200, {"ok": False, "error": mode})
        return _send(handler, 200, self._result(method, params))

    def _result(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "users.lookupByEmail":
            for member in self.members:
                if member["profile"]["email"].lower() == str(params.get("email", "")).lower():
                    return {"ok": True, "user": member}
            return {"ok": False, "error": "users_not_found"}
        if method == "users.list":
            start = int(params.get("cursor") or 0)
            page = self.members[start : start + self.page_size]
            following = start + self.page_size
            cursor = str(following) if following < len(self.members) else ""
            return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": f"{time.time():.6f}"}
        return {"ok": False, "error": "unknown_method"}


def _body(handler: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode("utf-8") if length else ""
    if not raw:
        return {}
    if handler.headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(raw)
    return dict(parse_qsl(raw))


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers=None) -> None:
    body = json.dumps(payload).encode() if payload is not None else b"<html>Server Error</html>"
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json" if payload is not None else "text/html")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    # The client may have given up already (a "hang" past its timeout).
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        handler.wfile.write(body)


@pytest.fixture
def fake_slack(settings: Any) -> Iterator[FakeSlack]:
    """A running fake with Slack switched on and pointed at it (1 s client timeout)."""
    fake = FakeSlack()
    fake.start()
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_API_BASE_URL = fake.base_url
    settings.SLACK_TIMEOUT_SECONDS = 1
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def recording() -> Iterator[None]:
    """Queue events reach the outbox during the test, as they do once signals.py imports
    the recorder; if nothing imported it at startup, it is unregistered afterwards so
    other suites keep their own query counts."""
    from calendarEditor.services import events

    before = list(events._in_transaction_recorders)
    from calendarEditor.services.notifications import recorder

    events.register(in_transaction=recorder.record_queue_events)
    yield
    if recorder.record_queue_events not in before:
        events._in_transaction_recorders.remove(recorder.record_queue_events)
