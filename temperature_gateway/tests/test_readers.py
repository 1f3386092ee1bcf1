from __future__ import annotations

import re
import sys

import pytest

from temperature_gateway.config import CommandMachine, HttpMachine
from temperature_gateway.readers import (
    ReadError,
    follow_field,
    instrument_session,
    read_command,
    read_http,
)

from .helpers import QD_PATH, qd_document

FIRST_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def http(instrument, path: str = QD_PATH, field: str = "sample.temperature", timeout=2.0):
    url = f"http://127.0.0.1:{instrument.port}{path}"
    return HttpMachine(name="Hidalgo", url=url, field=field, timeout=timeout)


def command(code: str, pattern: str | None = None, timeout: float = 10.0) -> CommandMachine:
    return CommandMachine(
        name="CryoCore",
        command=(sys.executable, "-c", code),
        pattern=re.compile(pattern) if pattern else FIRST_NUMBER,
        timeout=timeout,
    )


def test_http_reader_reads_qd_style_json(instrument):
    instrument.serve_json(QD_PATH, qd_document(1.83))
    assert read_http(http(instrument), instrument_session()) == 1.83
    assert instrument.requests == [QD_PATH]


def test_http_reader_accepts_zero_kelvin_and_numeric_strings(instrument):
    instrument.serve_json(QD_PATH, qd_document(0))
    assert read_http(http(instrument), instrument_session()) == 0.0
    instrument.serve_json(QD_PATH, qd_document("4.2"))
    assert read_http(http(instrument), instrument_session()) == 4.2


def test_follow_field_with_list_indexes():
    doc = {"a": [{"b": 1}, {"b": {"c": [7, 8.5]}}]}
    assert follow_field(doc, "a.1.b.c.1") == 8.5
    assert follow_field(doc, "a.-2.b") == 1
    with pytest.raises(ReadError, match=re.escape("'a.5'")):
        follow_field(doc, "a.5.b")
    with pytest.raises(ReadError, match=re.escape("'a.x'")):
        follow_field(doc, "a.x")
    with pytest.raises(ReadError, match=re.escape("'a.0.z' not found")):
        follow_field(doc, "a.0.z")
    with pytest.raises(ReadError, match="cannot descend"):
        follow_field(doc, "a.0.b.c")


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"<html>oops</html>", 200, "did not return JSON"),
        (b'{"sample": {"temperature": NaN}}', 200, "not a finite number"),
        (b'{"sample": {"temperature": null}}', 200, "not a number"),
        (b'{"sample": {"temperature": true}}', 200, "not a number"),
        (b'{"sample": {"temperature": -1.5}}', 200, "negative"),
        (b'{"sample": {}}', 200, "'sample.temperature' not found"),
        (b'{"error": "busy"}', 503, "answered HTTP 503"),
    ],
)
def test_http_reader_failures(instrument, body, status, message):
    instrument.serve_raw(QD_PATH, body, status)
    with pytest.raises(ReadError, match=message):
        read_http(http(instrument), instrument_session())


def test_http_reader_timeout(instrument):
    instrument.serve_json(QD_PATH, qd_document(1.0), delay=1.0)
    with pytest.raises(ReadError, match="no answer"):
        read_http(http(instrument, timeout=0.2), instrument_session())


def test_http_reader_connection_refused(instrument):
    machine = http(instrument)
    instrument.stop()
    with pytest.raises(ReadError, match=r"cannot reach .*: Connection refused"):
        read_http(machine, instrument_session())


def test_command_reader_with_pattern():
    assert read_command(command("print('1.83 K')", r"([-+0-9.eE]+)\s*K")) == 1.83


def test_command_reader_default_pattern_takes_first_number():
    assert read_command(command("print('T=0 K (setpoint 4.2 K)')")) == 0.0
    assert read_command(command("print('mixing chamber: 1.2e-2')")) == 0.012


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import sys; sys.stderr.write('no device'); sys.exit(3)", "status 3: no device"),
        ("print('sensor offline')", "found nothing"),
        ("print('nan K')", "found nothing"),
        ("print('1e999 K')", "not a finite number"),
    ],
)
def test_command_reader_failures(code, message):
    with pytest.raises(ReadError, match=message):
        read_command(command(code))


def test_command_reader_timeout():
    with pytest.raises(ReadError, match=re.escape("did not finish within 0.5 s")):
        read_command(command("import time; time.sleep(10)", timeout=0.5))


def test_command_reader_missing_executable(tmp_path):
    machine = CommandMachine(
        name="Ghost", command=(str(tmp_path / "nope"),), pattern=FIRST_NUMBER, timeout=5
    )
    with pytest.raises(ReadError, match="cannot run"):
        read_command(machine)
