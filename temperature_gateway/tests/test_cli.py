from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from temperature_gateway.buffer import BufferLock
from temperature_gateway.temperature_gateway import main

from .helpers import GATEWAY_DIR, QD_PATH, command_machine, http_machine, qd_document, write_config

SCRIPT = GATEWAY_DIR / "temperature_gateway.py"


def run_script(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=GATEWAY_DIR,
        check=False,
    )


def test_dry_run_prints_payload_and_sends_nothing(tmp_path, site, instrument, capsys):
    instrument.serve_json(QD_PATH, qd_document(1.83))
    machines = [
        http_machine("Hidalgo", instrument.port),
        command_machine("CryoCore", "import sys; sys.exit(1)"),
    ]
    config = write_config(tmp_path, site.url, machines)

    assert main(["--config", str(config), "--dry-run"]) == 1  # a machine was unreachable

    payload = json.loads(capsys.readouterr().out)
    assert [r["machine"] for r in payload["readings"]] == ["Hidalgo"]
    assert payload["readings"][0]["kelvin"] == 1.83
    assert payload["unreachable"] == ["CryoCore"]
    assert site.posts == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_dry_run_needs_no_key(tmp_path, site, capsys):
    config = write_config(tmp_path, site.url, [command_machine("CryoCore", "print('0 K')")])
    raw = json.loads(config.read_text())
    del raw["api_key"]
    config.write_text(json.dumps(raw))
    assert main(["--config", str(config), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["readings"][0]["kelvin"] == 0.0


def test_once_exit_codes(tmp_path, site):
    config = write_config(tmp_path, site.url, [command_machine("CryoCore", "print('4.2 K')")])
    assert main(["--config", str(config), "--once"]) == 0
    assert len(site.stored_ids) == 1

    site.stop()
    assert main(["--config", str(config), "--once"]) == 1
    assert len((tmp_path / "buffer.jsonl").read_text().splitlines()) == 1


def test_config_error_exit_code(tmp_path, site, capsys):
    config = write_config(tmp_path, site.url, [{"name": "X", "reader": "serial"}])
    assert main(["--config", str(config), "--once"]) == 2
    assert "unknown reader 'serial'" in capsys.readouterr().err
    assert main(["--config", str(tmp_path / "missing.json"), "--once"]) == 2


def test_second_instance_refuses_to_share_the_buffer(tmp_path, site, capsys):
    config = write_config(tmp_path, site.url, [command_machine("CryoCore", "print('4.2 K')")])
    with BufferLock(tmp_path / "buffer.jsonl"):
        assert main(["--config", str(config), "--once"]) == 1
    assert "another gateway process" in capsys.readouterr().err
    assert site.posts == []


def test_script_runs_standalone(tmp_path, site):
    config = write_config(tmp_path, site.url, [command_machine("CryoCore", "print('1.83 K')")])
    result = run_script("--config", str(config), "--once", "-v")
    assert result.returncode == 0, result.stderr
    assert site.posts[0]["body"]["readings"][0]["kelvin"] == 1.83
    assert "sent 1 reading(s): 1 stored" in result.stderr

    result = run_script("--config", str(tmp_path / "nope.json"), "--once")
    assert result.returncode == 2
    assert "config file not found" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_loop_cleanly(tmp_path, site, signum):
    config = write_config(
        tmp_path,
        site.url,
        [command_machine("CryoCore", "print('1.83 K')")],
        poll_interval_seconds=3600,
    )
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while not site.posts and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.posts, "the gateway never posted"
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "stopping after the current pass" in stderr
    assert "gateway stopped; 0 reading(s) buffered" in stderr
