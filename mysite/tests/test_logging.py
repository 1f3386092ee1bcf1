"""Structured logs: one line per event, with the request id, the user and the action."""

import json
import logging
import logging.config
import re
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from calendarEditor.services import event_log, queue
from conftest import entry_request
from mysite import logging as structured
from mysite.request_context import HEADER, RequestContext, _current

MIDDLEWARE = "mysite.request_context.RequestContextMiddleware"


class Collect(logging.Handler):
    """The lines a handler configured like production's would write."""

    def __init__(self, output: str = "text") -> None:
        super().__init__()
        self.setFormatter(structured.StructuredFormatter(output))
        self.addFilter(structured.RequestContextFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def lines() -> Iterator[list[str]]:
    handler = Collect()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
def with_middleware(settings) -> None:
    settings.MIDDLEWARE = [MIDDLEWARE, *[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]]


def record(msg: str = "hello", **extra) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "labqueue.test", "levelno": 20, "levelname": "INFO"})
    made.msg = msg
    made.__dict__.update(extra)
    return made


# --- the formatter and the filter -----------------------------------------------------


def test_text_lines_are_key_value_pairs_with_quoting_where_needed():
    line = structured.StructuredFormatter("text").format(
        record(action="queue.added", fields={"entry": 7, "reason": 'a "quoted"\nline', "ok": True})
    )

    assert "\n" not in line
    assert re.match(r"ts=\S+ level=INFO logger=labqueue\.test request_id=- user_id=- ", line)
    assert 'action=queue.added msg=hello entry=7 reason="a \\"quoted\\"\\nline" ok=true' in line


def test_json_lines_parse_and_keep_a_traceback_inside_the_event():
    try:
        raise ValueError("boom")
    except ValueError:
        failing = record("failed", exc_info=sys.exc_info(), request_id="abc123", user_id=4)
    line = structured.StructuredFormatter("json").format(failing)

    event = json.loads(line)
    assert "\n" not in line
    assert event["request_id"] == "abc123"
    assert event["user_id"] == 4
    assert event["msg"] == "failed"
    assert "ValueError: boom" in event["exc"]


def test_event_fields_never_overwrite_the_fixed_keys():
    line = structured.StructuredFormatter("json").format(
        record(action="x", fields={"level": "spoofed", "request_id": "spoofed"})
    )

    event = json.loads(line)
    assert event["level"] == "INFO"
    assert event["request_id"] == "-"
    assert event["level_"] == "spoofed"


def test_the_filter_stamps_the_current_request():
    token = _current.set(RequestContext("req-1234567", user_id=42))
    try:
        stamped = record()
        structured.RequestContextFilter().filter(stamped)
    finally:
        _current.reset(token)
    outside = record()
    structured.RequestContextFilter().filter(outside)

    assert (stamped.request_id, stamped.user_id) == ("req-1234567", 42)
    assert (outside.request_id, outside.user_id) == ("-", "-")


def test_log_event_writes_the_action_and_its_fields(lines):
    structured.log_event("delivery.sent", delivery=3, channel="slack")

    assert len(lines) == 1
    assert "logger=labqueue.events" in lines[0]
    assert "action=delivery.sent delivery=3 channel=slack" in lines[0]


@pytest.mark.parametrize(
    ("level", "output", "problem"),
    [("LOUD", "text", "LOG_LEVEL='LOUD'"), ("info", "xml", "LOG_FORMAT='xml'")],
)
def test_logging_config_rejects_bad_values_by_name(level, output, problem):
    with pytest.raises(ImproperlyConfigured, match=re.escape(problem)):
        structured.logging_config(level, output)


def test_logging_config_builds_a_working_configuration():
    config = structured.logging_config(" debug ", "JSON")

    assert config["root"]["level"] == "DEBUG"
    assert config["formatters"]["structured"]["output"] == "json"
    logging.config.dictConfig(config)
    try:
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler.formatter, structured.StructuredFormatter)
        assert any(isinstance(f, structured.RequestContextFilter) for f in handler.filters)
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


# --- the middleware ---------------------------------------------------------------------


def test_each_response_carries_a_new_request_id(client, with_middleware, db):
    first = client.get(reverse("accounts-login"))
    second = client.get(reverse("accounts-login"))

    assert re.fullmatch(r"[0-9a-f]{32}", first[HEADER])
    assert first[HEADER] != second[HEADER]


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("nginx-4f2a9c1b7d4e", True), ("x" * 65, False), ('bad" id', False), ("short", False)],
)
def test_a_sane_incoming_id_is_kept_and_others_replaced(
    client, with_middleware, db, incoming, kept
):
    response = client.get(reverse("accounts-login"), headers={HEADER: incoming})

    assert (response[HEADER] == incoming) is kept


def test_lines_written_during_a_request_carry_its_id_and_user(
    client, with_middleware, alice, lines, settings
):
    client.force_login(alice)

    response = client.get(reverse("schedule-my-queue"))

    request_id = response[HEADER]
    access = [line for line in lines if "action=http.request" in line]
    assert len(access) == 1
    assert f"request_id={request_id} user_id={alice.pk}" in access[0]
    assert "route=/schedule/my/" in access[0]
    assert "status=200" in access[0]


def test_the_access_line_names_the_route_not_a_login_token(client, with_middleware, lines, db):
    token = "tok" + "e" * 40
    client.get(reverse("schedule-login-link", args=[token]))

    access = [line for line in lines if "action=http.request" in line]
    assert len(access) == 1
    assert "route=/schedule/login-link/<str:token>/" in access[0]
    assert token not in "".join(lines)
    assert "user_id=-" in access[0]


def test_probes_and_https_redirects_stay_out_of_the_log_unless_they_fail(
    client, with_middleware, lines, db, settings
):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("schedule-board")).status_code == 301  # to https
    assert client.get(reverse("schedule-health"), secure=True).status_code == 200
    assert client.get("/no-such-page/", secure=True).status_code == 404

    access = [line for line in lines if "action=http.request" in line]
    assert len(access) == 1
    assert "route=- view=- status=404" in access[0]


# --- queue events -----------------------------------------------------------------------


def test_each_queue_event_is_one_line_after_commit(
    alice, hidalgo, lines, django_capture_on_commit_callbacks
):
    assert event_log.log_queue_events  # imported: the hook is registered

    with django_capture_on_commit_callbacks(execute=True):
        entry = queue.enqueue(entry_request("Sweep"), member=alice, by=alice).entry

    added = [line for line in lines if "action=queue.added" in line]
    assert len(added) == 1
    assert f"entry={entry.pk} machine={hidalgo.pk} actor={alice.pk} member={alice.pk}" in added[0]
    assert "Sweep" not in added[0]  # ids only, never titles or reasons


def test_nothing_is_logged_for_a_change_that_rolls_back(
    alice, hidalgo, lines, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue.enqueue(entry_request("Sweep"), member=alice, by=alice)

    assert callbacks  # would run on commit...
    assert not [line for line in lines if "action=queue." in line]  # ...and not before
