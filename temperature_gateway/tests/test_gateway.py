from __future__ import annotations

import json
import logging
import re
import threading
from datetime import datetime
from typing import Any

import pytest

from temperature_gateway.readers import ReadError
from temperature_gateway.sender import MAX_BATCH, parse_retry_after
from temperature_gateway.temperature_gateway import Gateway

from .helpers import QD_PATH, command_machine, http_machine, make_config, qd_document

UUID_HEX = re.compile(r"^[0-9a-f]{32}$")
ENDPOINT = "/schedule/api/gateway/readings/"


def fake_reader(values: dict[str, Any]):
    """Reader returning values[name]; an exception instance is raised instead."""

    def read(machine):
        value = values[machine.name]
        if isinstance(value, BaseException):
            raise value
        return value

    return read


def make_gateway(tmp_path, site, clock, values=None, **config_extra) -> Gateway:
    values = values if values is not None else {"Hidalgo": 1.83}
    machines = [command_machine(name, "print(1)") for name in values]
    config = make_config(tmp_path, site.url, machines, **config_extra)
    return Gateway(config, reader=fake_reader(values), clock=clock)


def make_backlog(count: int) -> list[dict[str, Any]]:
    return [
        {
            "machine": "Hidalgo",
            "kelvin": 1.0,
            "read_at": f"2025-01-01T00:00:{n % 60:02d}+00:00",
            "id": f"{n:032x}",
        }
        for n in range(count)
    ]


def buffered_ids(gateway: Gateway) -> list[str]:
    return [r["id"] for r in gateway.buffer.all()]


def test_end_to_end_pass_with_real_readers(tmp_path, site, instrument, clock):
    instrument.serve_json(QD_PATH, qd_document(1.83))
    machines = [
        http_machine("Hidalgo", instrument.port),
        command_machine("CryoCore", "print('4.21 K')", pattern=r"([-+0-9.eE]+)\s*K"),
    ]
    gateway = Gateway(make_config(tmp_path, site.url, machines), clock=clock)

    assert gateway.run_pass() is True

    (post,) = site.posts
    assert post["path"] == ENDPOINT
    assert post["headers"]["X-Gateway-Key"] == "gw_test_key"
    assert post["headers"]["Content-Type"] == "application/json"
    body = post["body"]
    assert set(body) == {"gateway_time", "readings", "unreachable"}
    assert datetime.fromisoformat(body["gateway_time"]).utcoffset().total_seconds() == 0
    assert body["unreachable"] == []
    assert [(r["machine"], r["kelvin"]) for r in body["readings"]] == [
        ("Hidalgo", 1.83),
        ("CryoCore", 4.21),
    ]
    for reading in body["readings"]:
        assert set(reading) == {"machine", "kelvin", "read_at", "id"}
        assert UUID_HEX.match(reading["id"])
        assert datetime.fromisoformat(reading["read_at"]).utcoffset().total_seconds() == 0
    assert len(gateway.buffer) == 0
    assert (tmp_path / "buffer.jsonl").read_text() == ""


def test_one_failing_reader_does_not_stop_the_others(tmp_path, site, clock, caplog):
    values = {
        "Hidalgo": ReadError("no answer within 2 s"),
        "CryoCore": 4.2,
        "Buggy": ZeroDivisionError("reader bug"),
        "Dilution": 0.012,
    }
    gateway = make_gateway(tmp_path, site, clock, values)
    with caplog.at_level(logging.WARNING, logger="gateway"):
        assert gateway.run_pass() is True
    body = site.posts[0]["body"]
    assert [r["machine"] for r in body["readings"]] == ["CryoCore", "Dilution"]
    assert body["unreachable"] == ["Hidalgo", "Buggy"]
    assert "Hidalgo unreachable: no answer within 2 s" in caplog.text


def test_zero_kelvin_is_sent(tmp_path, site, instrument, clock):
    instrument.serve_json(QD_PATH, qd_document(0))
    machines = [
        http_machine("Hidalgo", instrument.port),
        command_machine("CryoCore", "print('0 K')"),
    ]
    gateway = Gateway(make_config(tmp_path, site.url, machines), clock=clock)
    assert gateway.run_pass() is True
    assert [r["kelvin"] for r in site.posts[0]["body"]["readings"]] == [0.0, 0.0]
    assert site.posts[0]["body"]["unreachable"] == []


def test_all_unreachable_still_reports_to_the_site(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock, {"Hidalgo": ReadError("down")})
    assert gateway.run_pass() is True
    assert site.posts[0]["body"]["readings"] == []
    assert site.posts[0]["body"]["unreachable"] == ["Hidalgo"]


def test_outage_then_recovery_delivers_everything_once_in_order(tmp_path, site, clock, caplog):
    gateway = make_gateway(tmp_path, site, clock, {"Hidalgo": 1.8, "CryoCore": 4.2})
    assert gateway.run_pass() is True
    site.stop()

    passes = 0
    for _ in range(40):  # 40 minutes of outage
        clock.advance(60)
        if not gateway.run_pass():
            passes += 1
    assert passes == 40
    assert len(gateway.buffer) == 80
    # Exponential backoff: far fewer attempts than passes.
    assert gateway.backoff.failures <= 7
    expected = buffered_ids(gateway)

    site.start()
    clock.advance(15 * 60)
    assert gateway.run_pass() is True
    expected += site.sent_ids()[-2:]

    assert len(gateway.buffer) == 0
    delivered = site.stored_ids[2:]
    assert delivered == expected
    assert len(set(site.stored_ids)) == len(site.stored_ids) == 84
    assert all(p["body"]["readings"] for p in site.posts)
    assert gateway.backoff.failures == 0


def test_backoff_grows_exponentially_up_to_15_minutes(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    delays = []
    for _ in range(7):
        site.queue(500, "Internal Server Error")
        gateway.backoff.next_attempt = 0  # force an attempt
        assert gateway.run_pass() is False
        delays.append(round(gateway.backoff.remaining()))
    assert delays == [60, 120, 240, 480, 900, 900, 900]


def test_backoff_skips_posts_until_due(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(503, "down for maintenance")
    assert gateway.run_pass() is False  # attempt 1 fails -> wait 60 s
    clock.advance(60)
    site.queue(503, "down for maintenance")
    assert gateway.run_pass() is False  # attempt 2 fails -> wait 120 s
    clock.advance(60)
    assert gateway.run_pass() is False  # still backing off: no POST
    assert len(site.posts) == 2
    clock.advance(60)
    assert gateway.run_pass() is True
    assert len(site.posts) == 3
    assert len(site.stored_ids) == 4


def test_429_honours_retry_after(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(429, "slow down", {"Retry-After": "300"})
    assert gateway.run_pass() is False
    assert gateway.backoff.remaining() == pytest.approx(300)
    clock.advance(240)
    assert gateway.run_pass() is False
    assert len(site.posts) == 1
    clock.advance(60)
    assert gateway.run_pass() is True
    assert len(site.stored_ids) == 3


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 90) == 90
    assert parse_retry_after("120") == 120
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_401_keeps_buffer_logs_and_backs_off(tmp_path, site, clock, caplog):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(401, {"detail": "invalid key"})
    with caplog.at_level(logging.ERROR, logger="gateway"):
        assert gateway.run_pass() is False
    assert "gateway key rejected" in caplog.text
    assert len(gateway.buffer) == 1
    assert gateway.run_pass() is False  # same minute: no second POST
    assert len(site.posts) == 1
    assert len(gateway.buffer) == 2
    assert json.loads((tmp_path / "buffer.jsonl").read_text().splitlines()[0])["kelvin"] == 1.83


def test_new_key_resets_backoff(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(401, {"detail": "invalid key"})
    assert gateway.run_pass() is False
    fixed = make_gateway(tmp_path, site, clock, api_key="gw_new_key")
    assert fixed.run_pass() is True
    assert site.posts[-1]["headers"]["X-Gateway-Key"] == "gw_new_key"
    assert len(site.stored_ids) == 2


def test_backoff_survives_restart(tmp_path, site, clock):
    site.queue(500, "boom")
    assert make_gateway(tmp_path, site, clock).run_pass() is False
    clock.advance(30)
    # A cron --once run is a new process: it must still respect the backoff.
    assert make_gateway(tmp_path, site, clock).run_pass() is False
    assert len(site.posts) == 1
    clock.advance(30)
    assert make_gateway(tmp_path, site, clock).run_pass() is True
    assert len(site.stored_ids) == 3


def test_413_splits_batches_in_order(tmp_path, site, clock, caplog):
    gateway = make_gateway(tmp_path, site, clock)
    site.stop()
    for _ in range(10):
        gateway.backoff.next_attempt = 0
        gateway.run_pass()
    site.start()
    site.max_readings = 3
    expected = buffered_ids(gateway)
    gateway.backoff.next_attempt = 0
    with caplog.at_level(logging.WARNING, logger="gateway"):
        assert gateway.run_pass() is True
    expected.append(site.sent_ids()[-1])
    assert site.stored_ids == expected
    assert [len(p["body"]["readings"]) for p in site.posts] == [11, 6, 3, 3, 5, 3, 2]
    assert "too large (HTTP 413)" in caplog.text


def test_413_for_a_single_reading_keeps_it(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.max_readings = 0
    assert gateway.run_pass() is False
    assert len(gateway.buffer) == 1


def test_207_drops_rejected_readings_and_logs_them(tmp_path, site, clock, caplog):
    gateway = make_gateway(tmp_path, site, clock, {"Hidalgo": 1.8, "CryoCore": 4.2})
    site.stop()
    gateway.run_pass()
    site.start()
    bad = gateway.buffer.all()[1]
    site.reject_ids = {bad["id"]}
    gateway.backoff.next_attempt = 0
    with caplog.at_level(logging.INFO, logger="gateway"):
        assert gateway.run_pass() is True
    assert len(gateway.buffer) == 0
    assert bad["id"] not in site.stored_ids
    assert len(site.stored_ids) == 3
    assert f"site rejected reading {bad['id']} (CryoCore, 4.2 K" in caplog.text
    assert "kelvin out of range" in caplog.text
    assert "1 rejected" in caplog.text


def test_400_with_all_readings_rejected_drops_them(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(
        400, {"stored": 0, "duplicates": 0, "errors": [{"index": 0, "reasons": ["too cold"]}]}
    )
    assert gateway.run_pass() is True
    assert len(gateway.buffer) == 0


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"detail": "malformed JSON"}),
        (200, "<html>Welcome to the captive portal</html>"),
        (302, ""),
        (404, "Not Found"),
        (403, "CSRF verification failed"),
    ],
)
def test_unexpected_answers_keep_readings(tmp_path, site, clock, status, body):
    gateway = make_gateway(tmp_path, site, clock)
    site.queue(status, body)
    assert gateway.run_pass() is False
    assert len(gateway.buffer) == 1


def test_duplicates_count_as_delivered(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    site.stop()
    gateway.run_pass()
    site.start()
    site.stored_ids.extend(buffered_ids(gateway))  # as if the ack had been lost
    gateway.backoff.next_attempt = 0
    assert gateway.run_pass() is True
    assert len(gateway.buffer) == 0
    assert len(site.stored_ids) == 2


def test_restart_sends_the_buffer_file(tmp_path, site, clock):
    site.stop()
    first = make_gateway(tmp_path, site, clock, {"Hidalgo": 1.8, "CryoCore": 4.2})
    first.run_pass()
    old = buffered_ids(first)
    assert len((tmp_path / "buffer.jsonl").read_text().splitlines()) == 2
    del first

    site.start()
    clock.advance(3600)
    second = make_gateway(tmp_path, site, clock, {"Hidalgo": 1.7, "CryoCore": 4.1})
    assert buffered_ids(second) == old
    assert second.run_pass() is True
    assert site.stored_ids[:2] == old
    assert len(site.stored_ids) == 4


def test_large_backlog_goes_in_chunks_of_500_oldest_first(tmp_path, site, clock):
    gateway = make_gateway(tmp_path, site, clock)
    backlog = make_backlog(1234)
    gateway.buffer.append(backlog)
    assert gateway.run_pass() is True
    sizes = [len(p["body"]["readings"]) for p in site.posts]
    assert sizes == [MAX_BATCH, MAX_BATCH, 235]
    assert site.stored_ids[:1234] == [r["id"] for r in backlog]


def test_buffer_bound_through_the_gateway(tmp_path, site, clock, caplog):
    gateway = make_gateway(tmp_path, site, clock, buffer_max_readings=3)
    site.stop()
    with caplog.at_level(logging.WARNING, logger="gateway"):
        for _ in range(5):
            gateway.backoff.next_attempt = 0
            gateway.run_pass()
    assert len(gateway.buffer) == 3
    assert "dropped the 1 oldest" in caplog.text


def test_stop_request_ends_a_long_flush_between_posts(tmp_path, site, clock):
    stop = threading.Event()
    config = make_config(tmp_path, site.url, [command_machine("Hidalgo", "print(1)")])
    gateway = Gateway(config, reader=fake_reader({"Hidalgo": 1.0}), clock=clock, stop_event=stop)
    gateway.buffer.append(
        [
            {"machine": "Hidalgo", "kelvin": 1.0, "read_at": "x", "id": f"{n:032x}"}
            for n in range(1200)
        ]
    )
    original = gateway.client.post

    def post_then_stop(readings, unreachable):
        stop.set()
        return original(readings, unreachable)

    gateway.client.post = post_then_stop
    assert gateway.run_pass() is False
    assert len(site.posts) == 1
    assert len(gateway.buffer) == 701
    assert len((tmp_path / "buffer.jsonl").read_text().splitlines()) == 701


def test_run_forever_uses_injected_sleep_and_stops(tmp_path, site, clock):
    stop = threading.Event()
    config = make_config(tmp_path, site.url, [command_machine("Hidalgo", "print(1)")])
    gateway = Gateway(config, reader=fake_reader({"Hidalgo": 2.5}), clock=clock, stop_event=stop)
    sleeps = []

    def fake_sleep(seconds):
        sleeps.append(seconds)
        clock.advance(seconds)
        if len(sleeps) == 3:
            stop.set()

    gateway.run_forever(sleep=fake_sleep)
    assert len(site.posts) == 3
    assert all(55 < s <= 60 for s in sleeps)
