"""Talking to the site: the POST itself, reading its answer, and backing off on failure."""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import requests

if __package__:
    from .readers import describe_request_error
else:
    from readers import describe_request_error

log = logging.getLogger("gateway")

MAX_BATCH = 500
MAX_BACKOFF_SECONDS = 15 * 60
USER_AGENT = "cryostat-temperature-gateway/1.0"
MAX_DETAIL = 300


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def build_payload(
    readings: list[dict[str, Any]], unreachable: list[str], gateway_time: str | None = None
) -> dict[str, Any]:
    return {
        "gateway_time": gateway_time or utc_now_iso(),
        "readings": [
            {"machine": r["machine"], "kelvin": r["kelvin"], "read_at": r["read_at"], "id": r["id"]}
            for r in readings
        ],
        "unreachable": list(unreachable),
    }


@dataclass
class PostOutcome:
    """What one POST achieved. ok means the site took responsibility for every reading in
    it (stored, duplicate or rejected as invalid), so they can leave the buffer."""

    ok: bool
    status: int | None = None
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    too_large: bool = False
    auth_failed: bool = False
    retry_after: float | None = None
    problem: str = ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + "..."


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _summary(body: Any) -> tuple[int, int, list[dict[str, Any]]] | None:
    if not isinstance(body, dict):
        return None
    stored, duplicates = body.get("stored"), body.get("duplicates", 0)
    errors = body.get("errors", [])
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (stored, duplicates)):
        return None
    if not isinstance(errors, list):
        return None
    return stored, duplicates, [e for e in errors if isinstance(e, dict)]


class SiteClient:
    def __init__(
        self,
        endpoint: str,
        api_key: str,
        timeout: float,
        session: requests.Session | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"X-Gateway-Key": api_key, "User-Agent": USER_AGENT, "Accept": "application/json"}
        )

    def post(self, readings: list[dict[str, Any]], unreachable: list[str]) -> PostOutcome:
        body = json.dumps(build_payload(readings, unreachable), allow_nan=False)
        try:
            response = self.session.post(
                self.endpoint,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
                # A redirected POST turns into a GET and would silently lose the readings.
                allow_redirects=False,
            )
        except requests.Timeout:
            return PostOutcome(ok=False, problem=f"site did not answer within {self.timeout:g} s")
        except requests.RequestException as exc:
            return PostOutcome(
                ok=False, problem=f"cannot reach the site: {describe_request_error(exc)}"
            )
        return interpret_response(response, len(readings))


def interpret_response(response: requests.Response, sent: int) -> PostOutcome:
    status = response.status_code

    def fail(problem: str, **extra: Any) -> PostOutcome:
        return PostOutcome(ok=False, status=status, problem=problem, **extra)

    if 300 <= status < 400:
        return fail(
            f"site answered HTTP {status} redirect to {response.headers.get('Location')!r}; "
            "set site_url to the final address (often https://)"
        )
    if status == 401:
        return fail(
            "gateway key rejected (HTTP 401): check api_key, or ask staff for a new key",
            auth_failed=True,
        )
    if status == 403:
        return fail(
            f"site refused the gateway (HTTP 403): {_short(response.text)}", auth_failed=True
        )
    if status == 413:
        return fail(f"site refused {sent} readings as too large (HTTP 413)", too_large=True)
    if status == 429 or status >= 500:
        return fail(
            f"site unavailable (HTTP {status})",
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    try:
        summary = _summary(response.json())
    except ValueError:
        summary = None
    if status == 400:
        # 400 with per-reading errors means every reading was invalid; anything else is a
        # malformed request, and dropping readings over it could lose good data.
        if summary is None or not summary[2]:
            return fail(f"site rejected the request (HTTP 400): {_short(response.text)}")
    elif not 200 <= status < 300:
        return fail(f"unexpected answer from the site (HTTP {status}): {_short(response.text)}")
    if summary is None:
        # A 200 HTML page (wrong site_url, captive portal) must not count as delivery.
        return fail(
            f"site answered HTTP {status} without the expected JSON summary: "
            f"{_short(response.text)}"
        )
    stored, duplicates, rejected = summary
    return PostOutcome(
        ok=True, status=status, stored=stored, duplicates=duplicates, rejected=rejected
    )


class Backoff:
    """Exponential backoff between send attempts, kept in a small state file so that
    --once runs started by cron also back off instead of hitting the site every minute."""

    def __init__(
        self,
        base: float,
        *,
        cap: float = MAX_BACKOFF_SECONDS,
        clock: Callable[[], float] = time.time,
        state_path: Path | None = None,
        fingerprint: str = "",
    ) -> None:
        self.base = base
        self.cap = max(cap, base)
        self.clock = clock
        self.state_path = state_path
        self.fingerprint = fingerprint
        self.failures = 0
        self.next_attempt = 0.0
        # Cron and timers start a little early or late; do not skip a whole interval for it.
        self.slack = min(5.0, base / 10)
        self._load()

    @staticmethod
    def fingerprint_for(site_url: str, api_key: str) -> str:
        # A new key or site resets the backoff, so fixing a rejected key takes effect at once.
        return hashlib.sha256(f"{site_url}\n{api_key}".encode()).hexdigest()[:16]

    def remaining(self) -> float:
        return max(0.0, self.next_attempt - self.clock())

    def ready(self) -> bool:
        return self.clock() + self.slack >= self.next_attempt

    def record_failure(
        self, retry_after: float | None = None, started: float | None = None
    ) -> float:
        """Schedule the next attempt and return the seconds until it."""
        now = self.clock()
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** min(self.failures - 1, 30))
        # Counting from the start of the pass keeps the retry on the poll cadence.
        next_attempt = (now if started is None else started) + delay
        if retry_after is not None:
            next_attempt = max(next_attempt, now + min(retry_after, self.cap))
        self.next_attempt = next_attempt
        self._save()
        return self.remaining()

    def record_success(self) -> None:
        if self.failures or self.next_attempt:
            self.failures = 0
            self.next_attempt = 0.0
            self._save()

    def _load(self) -> None:
        if self.state_path is None:
            return
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            failures, next_attempt = int(state["failures"]), float(state["next_attempt"])
            same = state.get("fingerprint") == self.fingerprint
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable backoff state %s: %s", self.state_path, exc)
            return
        if not same or failures <= 0 or not math.isfinite(next_attempt):
            return
        self.failures = failures
        # Guard against a clock that jumped backwards since the state was written.
        self.next_attempt = min(next_attempt, self.clock() + self.cap)

    def _save(self) -> None:
        if self.state_path is None:
            return
        state = {
            "failures": self.failures,
            "next_attempt": self.next_attempt,
            "fingerprint": self.fingerprint,
        }
        tmp = None
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=self.state_path.name + ".", suffix=".tmp", dir=self.state_path.parent
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh)
            os.replace(tmp, self.state_path)
        except OSError as exc:
            log.warning("cannot save backoff state %s: %s", self.state_path, exc)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
