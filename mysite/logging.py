"""Structured logs: one line per event, with the request id, the user id and the action.

settings.LOGGING comes from ``logging_config(LOG_LEVEL, LOG_FORMAT)``:

- ``text`` (the default) writes ``key=value`` pairs, easy to read and to grep;
- ``json`` writes one JSON object per line, for a log service that parses it.

Either way a traceback stays inside its event's line (escaped), so a log
service that splits on newlines never separates an error from its request.

Subsystems record what they did with ``log_event("delivery.sent", delivery=7,
channel="slack")``: the action names the event, the keywords are its fields.
"""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from mysite.request_context import current

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EVENT_LOGGER = "labqueue.events"

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Set by this module or Django and rendered on their own (or never: a request object).
_SKIPPED_EXTRAS = frozenset({"request", "server_time", "request_id", "user_id", "action"})
_BARE_VALUE = re.compile(r"[A-Za-z0-9_.:/@+<>-]+")
_FIELD_NAME = re.compile(r"[^A-Za-z0-9_.]")

event_logger = logging.getLogger(EVENT_LOGGER)


def log_event(
    action: str, *, level: int = logging.INFO, logger: logging.Logger | None = None, **fields: Any
) -> None:
    """Write one structured event, e.g. ``log_event("gateway.post", gateway="B112", stored=4)``.

    Fields should be ids, counts, names and short reasons, never secrets or
    message bodies: logs are kept longer and read by more people than the data.
    """
    (logger or event_logger).log(level, action, extra={"action": action, "fields": fields})


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request's id and user (``-`` outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else "-"
        if not hasattr(record, "user_id"):
            user_id = context.user_id if context else None
            record.user_id = user_id if user_id is not None else "-"
        return True


class StructuredFormatter(logging.Formatter):
    """One line per record, as ``key=value`` pairs (``text``) or a JSON object (``json``)."""

    def __init__(self, output: str = "text", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if output not in FORMATS:
            raise ValueError(f"output must be one of {FORMATS}, not {output!r}")
        self.output = output

    def format(self, record: logging.LogRecord) -> str:
        event = self.event(record)
        if self.output == "json":
            return json.dumps(event, default=str, ensure_ascii=False)
        return " ".join(f"{key}={_text_value(value)}" for key, value in event.items())

    def event(self, record: logging.LogRecord) -> dict[str, Any]:
        """The record as an ordered dict: fixed keys first, then the event's own fields."""
        message = record.getMessage()
        action = getattr(record, "action", None)
        event: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
            "action": action or "-",
        }
        if message != action:
            event["msg"] = message
        for name, value in _fields(record).items():
            # A field never overwrites the fixed keys a reader relies on.
            event[name if name not in event else f"{name}_"] = value
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return event


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = dict(getattr(record, "fields", None) or {})
    for name, value in vars(record).items():
        if name not in _STANDARD_ATTRIBUTES and name not in _SKIPPED_EXTRAS and name != "fields":
            fields.setdefault(name, value)
    return {_FIELD_NAME.sub("_", str(name)): _plain(value) for name, value in fields.items()}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    return str(value)


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ",".join(str(item) for item in value)
    text = str(value)
    # Quoted with JSON's escapes when it could be misread: spaces, quotes, newlines, "=".
    return text if _BARE_VALUE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, tz=UTC).isoformat(timespec="milliseconds")


def logging_config(level: str = "INFO", output: str = "text") -> dict[str, Any]:
    """settings.LOGGING for LOG_LEVEL and LOG_FORMAT; a bad value stops start-up by name."""
    level, output = level.strip().upper(), output.strip().lower()
    if level not in LEVELS:
        raise ImproperlyConfigured(f"LOG_LEVEL={level!r} is not one of {', '.join(LEVELS)}.")
    if output not in FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT={output!r} is not one of {', '.join(FORMATS)}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "mysite.logging.RequestContextFilter"}},
        "formatters": {
            "structured": {"()": "mysite.logging.StructuredFormatter", "output": output}
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give "django" a console handler of its own (in
            # DEBUG), which would print each of its events a second time, unformatted.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            # Every request already has its own line from labqueue.http.
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},
            "daphne": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
        },
    }
