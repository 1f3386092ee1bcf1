"""Instrument readers: each returns a temperature in kelvin or raises ReadError."""

from __future__ import annotations

import math
import re
import subprocess
from typing import Any, Callable

import requests

if __package__:
    from .config import CommandMachine, HttpMachine, Machine
else:
    from config import CommandMachine, HttpMachine, Machine

MAX_DETAIL = 200


class ReadError(Exception):
    """A single instrument could not be read this pass."""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "..."


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_SSL = re.compile(r"\[SSL: ([A-Z_]+)\]")


def describe_request_error(exc: Exception) -> str:
    """The useful part of a requests error ("Connection refused") instead of urllib3's
    three nested exception reprs."""
    text = str(exc)
    for pattern, template in ((_SSL, "TLS error {}"), (_ERRNO, "{}")):
        found = pattern.findall(text)
        if found:
            return template.format(found[-1].strip())
    return _short(text)


def to_kelvin(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ReadError(f"value {value!r} is not a number")
    try:
        kelvin = float(value)
    except ValueError:
        raise ReadError(f"value {value!r} is not a number") from None
    if not math.isfinite(kelvin):
        raise ReadError(f"value {value!r} is not a finite number")
    if kelvin < 0:
        raise ReadError(f"value {kelvin} K is negative, which no thermometer can read")
    return kelvin


def follow_field(document: Any, field: str) -> Any:
    current = document
    walked: list[str] = []
    for part in field.split("."):
        walked.append(part)
        if isinstance(current, dict):
            if part not in current:
                raise ReadError(f"field {'.'.join(walked)!r} not found in the response")
            current = current[part]
        elif isinstance(current, list):
            try:
                current = current[int(part)]
            except (ValueError, IndexError):
                raise ReadError(
                    f"field {'.'.join(walked)!r}: {part!r} is not a valid index "
                    f"into a list of {len(current)}"
                ) from None
        else:
            raise ReadError(f"field {'.'.join(walked)!r}: cannot descend into {current!r}")
    return current


def read_http(machine: HttpMachine, session: requests.Session) -> float:
    try:
        response = session.get(
            machine.url, timeout=machine.timeout, headers={"Accept": "application/json"}
        )
    except requests.Timeout:
        raise ReadError(f"no answer from {machine.url} within {machine.timeout:g} s") from None
    except requests.RequestException as exc:
        raise ReadError(f"cannot reach {machine.url}: {describe_request_error(exc)}") from None
    if response.status_code != 200:
        raise ReadError(
            f"{machine.url} answered HTTP {response.status_code}: {_short(response.text)}"
        )
    try:
        document = response.json()
    except ValueError:
        raise ReadError(f"{machine.url} did not return JSON: {_short(response.text)}") from None
    return to_kelvin(follow_field(document, machine.field))


def read_command(machine: CommandMachine) -> float:
    try:
        result = subprocess.run(
            list(machine.command),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=machine.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ReadError(f"command did not finish within {machine.timeout:g} s") from None
    except OSError as exc:
        raise ReadError(f"cannot run {machine.command[0]!r}: {exc}") from None
    if result.returncode != 0:
        detail = _short(result.stderr or result.stdout)
        raise ReadError(f"command exited with status {result.returncode}: {detail}")
    match = machine.pattern.search(result.stdout)
    if match is None:
        raise ReadError(
            f"pattern {machine.pattern.pattern!r} found nothing in the output: "
            f"{_short(result.stdout)!r}"
        )
    return to_kelvin(match.group(1) if machine.pattern.groups else match.group(0))


Reader = Callable[[Machine], float]


def make_reader(session: requests.Session) -> Reader:
    def read(machine: Machine) -> float:
        if isinstance(machine, HttpMachine):
            return read_http(machine, session)
        return read_command(machine)

    return read


def instrument_session() -> requests.Session:
    session = requests.Session()
    # Instruments live on the lab network; a proxy configured for internet access on the
    # lab PC would not reach them.
    session.trust_env = False
    return session
