"""Checks on what the gateway sends: the body's shape, then each reading on its own.

Nothing here touches the database: the caller passes the machines it knows by name.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

MAX_UNREACHABLE = 200
MAX_NAME_LENGTH = 100
_READING_ID = re.compile(r"[0-9a-f]{32}")


def setting(name: str, default: float) -> Any:
    return getattr(settings, name, default)


def max_clock_skew() -> timedelta:
    return timedelta(seconds=setting("GATEWAY_MAX_CLOCK_SKEW_SECONDS", 120))


def retention() -> timedelta:
    return timedelta(days=setting("TEMPERATURE_RETENTION_DAYS", 90))


def max_kelvin() -> float:
    return float(setting("GATEWAY_MAX_KELVIN", 1000))


def max_readings_per_request() -> int:
    return int(setting("GATEWAY_MAX_READINGS_PER_REQUEST", 1000))


class PayloadError(Exception):
    """The request body is not the shape the gateway sends; nothing in it is stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyReadings(PayloadError):
    """More readings than one request may carry; the gateway splits its batch on 413."""


@dataclass(frozen=True)
class ValidReading:
    reading_id: str
    machine_name: str
    kelvin: float
    read_at: datetime


def parse_payload(payload: Any) -> tuple[list[Any], list[str]]:
    """The readings and unreachable names of a request body, or PayloadError."""
    if not isinstance(payload, dict):
        raise PayloadError("The body must be a JSON object.")
    readings = payload.get("readings")
    if not isinstance(readings, list):
        raise PayloadError('"readings" must be a list (it may be empty).')
    if len(readings) > max_readings_per_request():
        raise TooManyReadings(
            f"At most {max_readings_per_request()} readings per request; got {len(readings)}."
        )
    unreachable = payload.get("unreachable", [])
    if not isinstance(unreachable, list) or not all(isinstance(n, str) for n in unreachable):
        raise PayloadError('"unreachable" must be a list of machine names.')
    if len(unreachable) > MAX_UNREACHABLE:
        raise PayloadError(f'"unreachable" may name at most {MAX_UNREACHABLE} machines.')
    return readings, [name[:MAX_NAME_LENGTH] for name in unreachable]


def reading_problems(
    raw: Any, known: Mapping[str, object], now: datetime
) -> tuple[ValidReading | None, list[str]]:
    """Check one reading; returns it cleaned, or None and every reason it was refused."""
    if not isinstance(raw, dict):
        return None, ["a reading must be a JSON object"]
    reasons: list[str] = []
    reading_id = _reading_id(raw.get("id"), reasons)
    name = raw.get("machine")
    if not isinstance(name, str) or not name:
        reasons.append("machine must be a machine's name")
    elif name not in known:
        reasons.append(f"unknown machine {name[:MAX_NAME_LENGTH]!r}")
    kelvin = _kelvin(raw.get("kelvin"), reasons)
    read_at = _read_at(raw.get("read_at"), now, reasons)
    if reasons:
        return None, reasons
    return ValidReading(reading_id, str(name), kelvin, read_at), []


def _reading_id(value: Any, reasons: list[str]) -> str:
    if isinstance(value, str) and _READING_ID.fullmatch(value.lower()):
        return value.lower()
    reasons.append("id must be 32 hexadecimal characters (a UUID4 hex)")
    return ""


def _kelvin(value: Any, reasons: list[str]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        reasons.append("kelvin must be a number")
        return 0.0
    # Ints are compared before conversion: a huge one would overflow float().
    if isinstance(value, float) and not math.isfinite(value):
        reasons.append("kelvin must be a finite number")
    elif not 0 <= value <= max_kelvin():
        shown = repr(value) if len(repr(value)) <= 24 else repr(value)[:20] + "…"
        reasons.append(f"kelvin {shown} is not between 0 and {max_kelvin():g} K")
    else:
        return float(value)
    return 0.0


def _read_at(value: Any, now: datetime, reasons: list[str]) -> datetime:
    try:
        when = (
            datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
        )
    except ValueError:
        when = None
    if when is None:
        reasons.append("read_at must be an ISO 8601 date and time")
    elif timezone.is_naive(when):
        reasons.append("read_at must include a time zone (UTC offset)")
    elif when > now + max_clock_skew():
        seconds = int((when - now).total_seconds())
        reasons.append(f"read_at is {seconds} s in the future; check the gateway's clock")
    elif when < now - retention():
        reasons.append(f"read_at is older than the {retention().days}-day retention")
    else:
        return when
    return now
