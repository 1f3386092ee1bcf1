"""Fake instruments and a fake site, all on 127.0.0.1 ephemeral ports, and config helpers."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from temperature_gateway.config import GatewayConfig, load_config

GATEWAY_DIR = Path(__file__).resolve().parent.parent
QD_PATH = "/v1/sampleChamber/temperatureControllers/user1/thermometer/properties/sample"


def qd_document(kelvin: Any) -> dict[str, Any]:
    """Shaped like the cryostat controllers' REST answer for a thermometer."""
    return {
        "sample": {
            "temperature": kelvin,
            "temperatureOk": True,
            "temperatureStability": 0.0012,
            "temperatureStable": True,
        }
    }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early (timeout tests) are expected


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._handler = handler
        self._httpd: ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    def start(self) -> None:
        httpd = _QuietServer(("127.0.0.1", self.port), self._handler)
        httpd.owner = self  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
        self._httpd = httpd

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _InstrumentHandler(_QuietHandler):
    def do_GET(self) -> None:
        owner: FakeInstrument = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append(self.path)
        status, body, delay = owner.routes.get(self.path, (404, b'{"error": "not found"}', 0.0))
        if delay:
            time.sleep(delay)
        self.reply(status, body, {"Content-Type": "application/json"})


class FakeInstrument(_Server):
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, float]] = {}
        self.requests: list[str] = []
        super().__init__(_InstrumentHandler)

    def serve_json(self, path: str, document: Any, status: int = 200, delay: float = 0.0) -> None:
        self.serve_raw(path, json.dumps(document).encode(), status, delay)

    def serve_raw(self, path: str, body: bytes, status: int = 200, delay: float = 0.0) -> None:
        self.routes[path] = (status, body, delay)


class _SiteHandler(_QuietHandler):
    def do_POST(self) -> None:
        owner: FakeSite = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        status, body, headers = owner.handle(self.path, dict(self.headers), raw)
        self.reply(status, body, headers)


class FakeSite(_Server):
    """Records every POST. By default it behaves like the real endpoint: it stores new ids,
    reports repeats as duplicates and rejects ids listed in reject_ids. Queued responses
    (queue()) are served first, one per request, without storing anything."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.stored_ids: list[str] = []
        self.reject_ids: set[str] = set()
        self.max_readings: int | None = None
        self._queued: list[tuple[int, Any, dict[str, str]]] = []
        self._lock = threading.Lock()
        super().__init__(_SiteHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self._queued.append((status, body, headers or {}))

    def handle(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, bytes, dict[str, str]]:
        payload = json.loads(raw)
        with self._lock:
            self.posts.append({"path": path, "headers": headers, "body": payload})
            if self._queued:
                status, body, extra = self._queued.pop(0)
                if isinstance(body, (dict, list)):
                    return status, json.dumps(body).encode(), {"Content-Type": "application/json"}
                return status, (body or "").encode(), extra
            readings = payload["readings"]
            if self.max_readings is not None and len(readings) > self.max_readings:
                return 413, b"Request Entity Too Large", {}
            stored = duplicates = 0
            errors = []
            for index, reading in enumerate(readings):
                if reading["id"] in self.reject_ids:
                    errors.append(
                        {"index": index, "id": reading["id"], "reasons": ["kelvin out of range"]}
                    )
                elif reading["id"] in self.stored_ids:
                    duplicates += 1
                else:
                    self.stored_ids.append(reading["id"])
                    stored += 1
            if errors and len(errors) == len(readings):
                status = 400
            elif errors:
                status = 207
            else:
                status = 200
            answer = {"stored": stored, "duplicates": duplicates, "errors": errors}
            return status, json.dumps(answer).encode(), {"Content-Type": "application/json"}

    def sent_ids(self) -> list[str]:
        return [r["id"] for post in self.posts for r in post["body"]["readings"]]


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def command_machine(name: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "reader": "command", "command": [sys.executable, "-c", code], **extra}


def http_machine(name: str, port: int, path: str = QD_PATH, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "reader": "http",
        "address": "127.0.0.1",
        "port": port,
        "path": path,
        "field": "sample.temperature",
        **extra,
    }


def write_config(
    tmp_path: Path, site_url: str, machines: list[dict[str, Any]], **extra: Any
) -> Path:
    raw = {
        "site_url": site_url,
        "api_key": "gw_test_key",
        "poll_interval_seconds": 60,
        "timeout_seconds": 2,
        "buffer_path": "buffer.jsonl",
        "machines": machines,
        **extra,
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def make_config(
    tmp_path: Path, site_url: str, machines: list[dict[str, Any]], **extra: Any
) -> GatewayConfig:
    return load_config(write_config(tmp_path, site_url, machines, **extra))
