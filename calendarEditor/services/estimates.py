"""Estimated start times for a machine's queue (DESIGN §4).

Pure: imports no Django, so views, services and tests can all call it with plain values.

Estimated start of position k = now + time left on the running entry + the durations of the
k - 1 entries ahead + one turnover (warmup + cooldown) between consecutive runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

STATUSES = ("idle", "running", "cooldown", "warmup", "maintenance", "offline")

_NO_WAIT = timedelta(0)


@dataclass(frozen=True)
class MachineTiming:
    """What estimates need to know about one machine, taken from its row and running entry.

    The running entry counts only when both ``running_started_at`` and
    ``running_estimated_hours`` are set; it then takes precedence over ``status``, because a
    run in progress occupies the fridge whatever the status says.
    """

    status: str
    cooldown_hours: float
    warmup_hours: float
    status_changed_at: datetime | None = None
    running_started_at: datetime | None = None
    running_estimated_hours: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown machine status {self.status!r}; expected one of {STATUSES}")
        _require_hours("cooldown_hours", self.cooldown_hours)
        _require_hours("warmup_hours", self.warmup_hours)
        if self.running_estimated_hours is not None:
            _require_hours("running_estimated_hours", self.running_estimated_hours)
        for name in ("status_changed_at", "running_started_at"):
            moment = getattr(self, name)
            if moment is not None:
                _require_aware(name, moment)

    @property
    def has_running_entry(self) -> bool:
        return self.running_started_at is not None and self.running_estimated_hours is not None


def turnover_hours(timing: MachineTiming) -> float:
    """Hours between two consecutive runs: the fridge warms up, then cools down again."""
    return timing.warmup_hours + timing.cooldown_hours


def time_until_free(timing: MachineTiming, now: datetime) -> timedelta:
    """How long until a new run could begin on this machine if its queue were empty.

    A running entry decides, whatever the status: its time left (an overrun counts as
    finished, never as negative time) + one turnover. Without one, by status:

    - "warmup": until the warmup and the cooldown after it are over, counted from
      ``status_changed_at``; "cooldown": until the cooldown is over. With no
      ``status_changed_at`` the phase is assumed to have just begun, so a missing
      timestamp never makes a machine look free too early;
    - "idle": free now;
    - "maintenance" / "offline": estimated as if idle from now. The machine takes no new
      entries, so callers show a warning next to the estimate rather than hiding it;
    - "running" with no running entry recorded: nothing known to wait for, so free now.
    """
    _require_aware("now", now)
    started, running_hours = timing.running_started_at, timing.running_estimated_hours
    if started is not None and running_hours is not None:
        remaining = max(_NO_WAIT, started + _hours(running_hours) - now)
        return remaining + _hours(turnover_hours(timing))
    if timing.status in ("cooldown", "warmup"):
        return _phase_remaining(timing, now)
    return _NO_WAIT


def estimated_starts(
    timing: MachineTiming,
    durations_hours: Sequence[float],
    now: datetime,
    *,
    ahead_count: int = 0,
    ahead_hours: float = 0.0,
) -> list[datetime]:
    """Estimated start of each queued entry, in queue order (positions 1..n).

    ``durations_hours[i]`` is the estimated duration of the entry at position ``i + 1``.

    For one page of a long queue, ``ahead_count`` entries totalling ``ahead_hours`` wait
    in front of the first of ``durations_hours``: the starts are then those of positions
    ``ahead_count + 1`` onwards, without reading every entry ahead.
    """
    first = start_after_queue(timing, ahead_count, ahead_hours, now)
    starts = _starts(timing, durations_hours, first)
    return [next(starts) for _ in durations_hours]


def estimated_start_at_back(
    timing: MachineTiming, durations_hours: Sequence[float], now: datetime
) -> datetime:
    """Estimated start of a new entry appended behind all of ``durations_hours``."""
    *_, back = _starts(timing, durations_hours, now + time_until_free(timing, now))
    return back


def start_after_queue(
    timing: MachineTiming, queued_count: int, queued_hours: float, now: datetime
) -> datetime:
    """``estimated_start_at_back`` from a queue's count and total hours alone.

    Lets pages that summarise many queues use one aggregate query instead of
    loading every entry; equal to the list form by construction.
    """
    if queued_count < 0:
        raise ValueError(f"queued_count must be >= 0, got {queued_count!r}")
    _require_hours("queued_hours", queued_hours)
    gap = turnover_hours(timing)
    return now + time_until_free(timing, now) + _hours(queued_hours + queued_count * gap)


def humanize_wait(delta: timedelta) -> str:
    """A wait in words: "now", "in about 5 h", or from 48 h on "in about 2 days".

    Hours and days round half up, so anything under half an hour reads "now", matching how
    people speak about runs that last hours to days. Negative waits (overdue) read "now".
    """
    hours = _round_half_up(delta.total_seconds() / 3600)
    if hours <= 0:
        return "now"
    if hours < 48:
        return f"in about {hours} h"
    # Days come from the exact wait, not the rounded hours, to avoid rounding twice.
    days = _round_half_up(delta.total_seconds() / 86400)
    return f"in about {days} days"


def _starts(
    timing: MachineTiming, durations_hours: Sequence[float], first: datetime
) -> Iterator[datetime]:
    """Start of each of ``durations_hours`` from ``first`` on, then of one more behind them.

    One generator serves both public functions, so the back of the queue is always exactly
    the start that a further entry would get in ``estimated_starts``.
    """
    for duration in durations_hours:
        _require_hours("duration", duration)
    gap = turnover_hours(timing)
    start = first
    for duration in durations_hours:
        yield start
        start += _hours(duration + gap)
    yield start


def _phase_remaining(timing: MachineTiming, now: datetime) -> timedelta:
    # A warming machine still has its cooldown ahead (queue.turnover walks the same path).
    phase_hours = timing.cooldown_hours
    if timing.status == "warmup":
        phase_hours += timing.warmup_hours
    began = timing.status_changed_at if timing.status_changed_at is not None else now
    return max(_NO_WAIT, began + _hours(phase_hours) - now)


def _hours(value: float) -> timedelta:
    return timedelta(hours=value)


def _round_half_up(value: float) -> int:
    # round() rounds half to even, which would make 2.5 days read "2 days" but 3.5 read "4".
    return math.floor(value + 0.5)


def _require_hours(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of hours >= 0, got {value!r}")


def _require_aware(name: str, moment: datetime) -> None:
    # Mixing naive and aware datetimes fails deep inside arithmetic; fail at the boundary.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
