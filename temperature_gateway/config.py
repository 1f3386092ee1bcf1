"""Loading and validation of the gateway's JSON config file."""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union
from urllib.parse import urlsplit

DEFAULT_POLL_INTERVAL = 60.0
DEFAULT_TIMEOUT = 10.0
DEFAULT_BUFFER_PATH = "gateway-buffer.jsonl"
DEFAULT_BUFFER_MAX = 100_000
# Anything that looks like a decimal or scientific-notation number, sign included.
DEFAULT_PATTERN = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"

TOP_LEVEL_KEYS = {
    "site_url",
    "api_key",
    "api_key_env",
    "poll_interval_seconds",
    "timeout_seconds",
    "buffer_path",
    "buffer_max_readings",
    "machines",
}
COMMON_MACHINE_KEYS = {"name", "reader", "timeout_seconds"}
HTTP_KEYS = COMMON_MACHINE_KEYS | {"address", "port", "path", "field", "scheme"}
COMMAND_KEYS = COMMON_MACHINE_KEYS | {"command", "pattern"}


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message is meant for humans."""


@dataclass(frozen=True)
class HttpMachine:
    name: str
    url: str
    field: str
    timeout: float
    reader: str = "http"


@dataclass(frozen=True)
class CommandMachine:
    name: str
    command: tuple[str, ...]
    pattern: re.Pattern[str]
    timeout: float
    reader: str = "command"


Machine = Union[HttpMachine, CommandMachine]


@dataclass(frozen=True)
class GatewayConfig:
    site_url: str
    api_key: str
    poll_interval: float
    timeout: float
    buffer_path: Path
    buffer_max_readings: int
    machines: tuple[Machine, ...]

    @property
    def endpoint(self) -> str:
        return f"{self.site_url}/schedule/api/gateway/readings/"


def load_config(path: str | os.PathLike[str], *, require_key: bool = True) -> GatewayConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} "
            "(JSON allows no comments and no trailing commas)"
        ) from None
    # Relative buffer paths follow the config file, not the working directory, which is
    # different under cron, systemd and Task Scheduler.
    return parse_config(raw, base_dir=path.resolve().parent, require_key=require_key)


def parse_config(raw: Any, *, base_dir: Path, require_key: bool = True) -> GatewayConfig:
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError("config must be a JSON object")
    _check_keys(raw, TOP_LEVEL_KEYS, "config", errors)

    site_url = _site_url(raw.get("site_url"), errors)
    api_key = _api_key(raw, errors, require_key)
    poll = _positive_number(raw, "poll_interval_seconds", DEFAULT_POLL_INTERVAL, "config", errors)
    timeout = _positive_number(raw, "timeout_seconds", DEFAULT_TIMEOUT, "config", errors)

    buffer_path = raw.get("buffer_path", DEFAULT_BUFFER_PATH)
    if not isinstance(buffer_path, str) or not buffer_path.strip():
        errors.append("config: buffer_path must be a non-empty string")
        buffer_path = DEFAULT_BUFFER_PATH
    buffer_max = raw.get("buffer_max_readings", DEFAULT_BUFFER_MAX)
    if not _is_int(buffer_max) or buffer_max < 1:
        errors.append("config: buffer_max_readings must be a whole number >= 1")
        buffer_max = DEFAULT_BUFFER_MAX

    machines = _machines(raw.get("machines"), timeout, errors)
    if errors:
        raise ConfigError("invalid config:\n  - " + "\n  - ".join(errors))
    return GatewayConfig(
        site_url=site_url,
        api_key=api_key,
        poll_interval=poll,
        timeout=timeout,
        buffer_path=(base_dir / Path(buffer_path).expanduser()).resolve(),
        buffer_max_readings=buffer_max,
        machines=tuple(machines),
    )


def _check_keys(obj: dict[str, Any], allowed: set[str], where: str, errors: list[str]) -> None:
    # Keys starting with "_" are free-form comments, since JSON has none.
    unknown = sorted(k for k in obj if k not in allowed and not str(k).startswith("_"))
    if unknown:
        errors.append(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _positive_number(
    obj: dict[str, Any], key: str, default: float, where: str, errors: list[str]
) -> float:
    value = obj.get(key, default)
    if not _is_number(value) or value <= 0:
        errors.append(f"{where}: {key} must be a number > 0, got {value!r}")
        return default
    return float(value)


def _site_url(value: Any, errors: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append('config: site_url is required, e.g. "https://queue.example.org"')
        return ""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(
            f"config: site_url {value!r} is not a valid http(s) URL; "
            'expected something like "https://queue.example.org"'
        )
    elif parts.query or parts.fragment:
        errors.append(f"config: site_url {value!r} must not contain a query or fragment")
    return value.rstrip("/")


def _api_key(raw: dict[str, Any], errors: list[str], require_key: bool) -> str:
    has_key, has_env = "api_key" in raw, "api_key_env" in raw
    if has_key and has_env:
        errors.append("config: set either api_key or api_key_env, not both")
        return ""
    if has_env:
        env_name = raw["api_key_env"]
        if not isinstance(env_name, str) or not env_name.strip():
            errors.append("config: api_key_env must be the name of an environment variable")
            return ""
        key = os.environ.get(env_name.strip(), "").strip()
        if not key and require_key:
            errors.append(f"config: environment variable {env_name} (api_key_env) is not set")
    elif has_key:
        key = raw["api_key"]
        if not isinstance(key, str):
            errors.append("config: api_key must be a string")
            return ""
        key = key.strip()
        if not key and require_key:
            errors.append("config: api_key is empty")
    else:
        if require_key:
            errors.append(
                "config: api_key (or api_key_env) is required; staff create gateway keys "
                "on the site's staff dashboard under Gateways"
            )
        return ""
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        errors.append("config: the API key contains spaces or control characters")
    return key


def _machines(value: Any, default_timeout: float, errors: list[str]) -> list[Machine]:
    if not isinstance(value, list) or not value:
        errors.append("config: machines must be a non-empty list")
        return []
    machines: list[Machine] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"machines[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: must be a JSON object")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{where}: name is required and must be a non-empty string")
            name = f"#{index}"
        else:
            name = name.strip()
            where = f"{where} ({name})"
            if name in seen:
                errors.append(f"{where}: duplicate machine name")
            seen.add(name)
        timeout = _positive_number(item, "timeout_seconds", default_timeout, where, errors)
        reader = item.get("reader")
        if reader == "http":
            _check_keys(item, HTTP_KEYS, where, errors)
            machine: Machine | None = _http_machine(item, name, timeout, where, errors)
        elif reader == "command":
            _check_keys(item, COMMAND_KEYS, where, errors)
            machine = _command_machine(item, name, timeout, where, errors)
        else:
            errors.append(f'{where}: unknown reader {reader!r}; expected "http" or "command"')
            continue
        if machine is not None:
            machines.append(machine)
    return machines


def _http_machine(
    item: dict[str, Any], name: str, timeout: float, where: str, errors: list[str]
) -> HttpMachine | None:
    before = len(errors)
    scheme = item.get("scheme", "http")
    if scheme not in ("http", "https"):
        errors.append(f'{where}: scheme must be "http" or "https", got {scheme!r}')
    address = item.get("address")
    if not isinstance(address, str) or not address.strip():
        errors.append(f"{where}: address is required (host name or IP of the instrument)")
    elif "/" in address or any(ch.isspace() for ch in address):
        errors.append(f"{where}: address {address!r} must be a bare host name or IP, not a URL")
    port = item.get("port")
    if not _is_int(port) or not 1 <= port <= 65535:
        errors.append(f"{where}: port is required and must be a whole number 1-65535")
    path = item.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        errors.append(f'{where}: path is required and must start with "/"')
    field = item.get("field")
    if not isinstance(field, str) or not field or any(not p for p in field.split(".")):
        errors.append(f'{where}: field must be a dotted path such as "sample.temperature"')
    if len(errors) > before:
        return None
    host = address.strip()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    url = f"{scheme}://{host}:{port}{path}"
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError on a malformed authority
    except ValueError as exc:
        errors.append(f"{where}: cannot build a valid URL from address/port/path: {exc}")
        return None
    return HttpMachine(name=name, url=url, field=field, timeout=timeout)


def _command_machine(
    item: dict[str, Any], name: str, timeout: float, where: str, errors: list[str]
) -> CommandMachine | None:
    command = item.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part for part in command)
    ):
        errors.append(
            f"{where}: command must be a non-empty list of strings, "
            'e.g. ["/usr/local/bin/read_cryocore", "--channel", "1"] (no shell is used)'
        )
        return None
    pattern_text = item.get("pattern", DEFAULT_PATTERN)
    if not isinstance(pattern_text, str) or not pattern_text:
        errors.append(f"{where}: pattern must be a non-empty regular expression string")
        return None
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        errors.append(f"{where}: pattern {pattern_text!r} is not a valid regular expression: {exc}")
        return None
    return CommandMachine(name=name, command=tuple(command), pattern=pattern, timeout=timeout)
