"""The real gateway script against the live test site, with a fake instrument on 127.0.0.1.

Each pass runs `temperature_gateway.py --once` as its own process, as cron would.
"""

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from calendarEditor.models import GatewayKey, Machine, TemperatureReading
from calendarEditor.services import gateway_keys

SCRIPT = Path(settings.BASE_DIR) / "temperature_gateway" / "temperature_gateway.py"
QD_PATH = "/v1/sampleChamber/temperatureControllers/user1/thermometer/properties/sample"


class FakeInstrument:
    """A cryostat controller's REST API answering with ``self.kelvin``; other paths 404."""

    def __init__(self) -> None:
        self.kelvin = 1.83
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path == QD_PATH
                document = {"sample": {"temperature": owner.kelvin, "temperatureStable": True}}
                body = json.dumps(document if found else {"error": "not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def instrument() -> Iterator[FakeInstrument]:
    server = FakeInstrument()
    yield server
    server.stop()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: the site is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gateway:
    def __init__(self, folder: Path, instrument: FakeInstrument) -> None:
        self.folder = folder
        self.config_path = folder / "config.json"
        self.buffer_path = folder / "gateway-buffer.jsonl"
        self.instrument = instrument

    def configure(self, site_url: str, api_key: str) -> None:
        machine = {"reader": "http", "address": "127.0.0.1", "port": self.instrument.port}
        config = {
            "site_url": site_url,
            "api_key": api_key,
            # Tiny, so a retry after the outage is not held back by the backoff.
            "poll_interval_seconds": 0.01,
            "timeout_seconds": 5,
            "machines": [
                {**machine, "name": "Hidalgo", "path": QD_PATH, "field": "sample.temperature"},
                {**machine, "name": "Griffin", "path": "/missing", "field": "sample.temperature"},
            ],
        }
        self.config_path.write_text(json.dumps(config))

    def run_once(self) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["NO_PROXY"] = "127.0.0.1,localhost"
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--config", str(self.config_path), "--once", "-v"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=self.folder,
            check=False,
        )

    def buffered(self) -> list[dict[str, Any]]:
        if not self.buffer_path.exists():
            return []
        lines = self.buffer_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def lab(tmp_path: Path, instrument: FakeInstrument) -> Gateway:
    return Gateway(tmp_path, instrument)


def stored_ids() -> list[str]:
    return list(TemperatureReading.objects.values_list("reading_id", flat=True))


def test_readings_survive_an_outage_and_arrive_exactly_once(
    live_server, lab, closed_port, sam, hidalgo, griffin
):
    key, raw_key = gateway_keys.create_key("PPMS room PC", by=sam)
    lab.configure(live_server.url, raw_key)

    first = lab.run_once()
    assert first.returncode == 0, first.stderr
    assert "1 stored, 0 duplicate(s), 0 rejected" in first.stderr
    [first_id] = stored_ids()
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature == 1.83
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_unreachable == ["Griffin"]
    assert lab.buffered() == []

    lab.configure(f"http://127.0.0.1:{closed_port}", raw_key)
    for kelvin in (1.9, 2.0):
        lab.instrument.kelvin = kelvin
        down = lab.run_once()
        assert down.returncode == 1, down.stderr
    waiting = lab.buffered()
    assert [r["kelvin"] for r in waiting] == [1.9, 2.0]
    assert stored_ids() == [first_id]

    lab.configure(live_server.url, raw_key)
    lab.instrument.kelvin = 0.0  # a value like any other
    back = lab.run_once()
    assert back.returncode == 0, back.stderr
    assert lab.buffered() == []
    ids = stored_ids()
    assert len(ids) == len(set(ids)) == 4
    assert {first_id, *(r["id"] for r in waiting)} < set(ids)
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature == 0.0  # the newest reading won

    # An acknowledgement lost on the way back: the gateway sends the same readings again.
    lab.buffer_path.write_text("".join(json.dumps(r) + "\n" for r in waiting))
    replay = lab.run_once()
    assert replay.returncode == 0, replay.stderr
    assert "1 stored, 2 duplicate(s), 0 rejected" in replay.stderr
    ids = stored_ids()
    assert len(ids) == len(set(ids)) == 5
    assert Machine.objects.get(pk=griffin.pk).current_temperature is None


def test_a_revoked_key_is_refused_and_the_readings_wait_for_a_new_one(
    live_server, lab, sam, hidalgo, griffin
):
    old, old_raw = gateway_keys.create_key("PPMS room PC", by=sam)
    gateway_keys.revoke_key(old, by=sam)
    lab.configure(live_server.url, old_raw)

    refused = lab.run_once()
    assert refused.returncode == 1
    assert "gateway key rejected (HTTP 401)" in refused.stderr
    assert len(lab.buffered()) == 1
    assert stored_ids() == []
    assert GatewayKey.objects.get().last_used_at is None

    _new, new_raw = gateway_keys.create_key("PPMS room PC", by=sam)
    lab.configure(live_server.url, new_raw)
    accepted = lab.run_once()
    assert accepted.returncode == 0, accepted.stderr
    assert len(stored_ids()) == 2  # the one that waited and this pass's
    assert lab.buffered() == []
