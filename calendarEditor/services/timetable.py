"""Whether a machine's queue should be open at a moment, from its timetable.

Pure: imports no Django. Opening hours are wall-clock times in the lab's time
zone (given as a tzinfo), so a queue opening at 08:00 opens at 08:00 on both
sides of a daylight-saving change. A closed window always wins over opening
hours. With no opening hours the timetable has no wish outside its windows:
the queue stays as staff left it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

OPEN = "open"
CLOSED = "closed"
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    """Open on ``weekday`` (0 = Monday) from ``opens`` until ``closes``.

    ``closes`` at or before ``opens`` runs into the next day; equal times mean 24 hours.
    """

    weekday: int
    opens: time
    closes: time

    def bounds(self, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.opens, tzinfo=zone)
        end_day = day if self.closes > self.opens else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.closes, tzinfo=zone)

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.opens:%H:%M}-{self.closes:%H:%M}"


@dataclass(frozen=True)
class Window:
    """Closed from ``starts`` until ``ends`` (aware datetimes), for ``reason``."""

    starts: datetime
    ends: datetime
    reason: str = ""

    def holds(self, moment: datetime) -> bool:
        return self.starts <= moment < self.ends


@dataclass(frozen=True)
class Timetable:
    periods: tuple[Period, ...] = ()
    windows: tuple[Window, ...] = field(default_factory=tuple)

    @property
    def has_rules(self) -> bool:
        return bool(self.periods or self.windows)


@dataclass(frozen=True)
class Wish:
    """What the timetable wants at a moment, and why, in words for the audit log."""

    state: str | None  # OPEN, CLOSED, or None: no wish (no opening hours, no window)
    why: str


def wish(timetable: Timetable, moment: datetime, zone: tzinfo) -> Wish:
    window = active_window(timetable.windows, moment)
    if window is not None:
        return Wish(CLOSED, f"closed window until {_local(window.ends, zone)}: {window.reason}")
    if not timetable.periods:
        return Wish(None, "no opening hours")
    period = open_period(timetable.periods, moment, zone)
    if period is not None:
        return Wish(OPEN, f"opening hours ({period})")
    return Wish(CLOSED, "outside opening hours")


def active_window(windows: Iterable[Window], moment: datetime) -> Window | None:
    # Of overlapping windows, the one ending last says when the queue may open again.
    holding = [window for window in windows if window.holds(moment)]
    return max(holding, key=lambda window: window.ends) if holding else None


def open_period(periods: Sequence[Period], moment: datetime, zone: tzinfo) -> Period | None:
    """The opening period holding ``moment``; yesterday's may run past midnight."""
    today = moment.astimezone(zone).date()
    by_weekday = {period.weekday: period for period in periods}
    for day in (today, today - timedelta(days=1)):
        period = by_weekday.get(day.weekday())
        if period is not None:
            start, end = period.bounds(day, zone)
            if start <= moment < end:
                return period
    return None


def effective(state: str | None) -> str:
    """A queue with no wish upon it stays open (the timetable never closes it)."""
    return state or OPEN


def next_change(
    timetable: Timetable, moment: datetime, zone: tzinfo, horizon_days: int = 8
) -> tuple[datetime, str] | None:
    """When the timetable next wants the queue in another state, and which (None: not soon)."""
    current = effective(wish(timetable, moment, zone).state)
    for boundary in _boundaries(timetable, moment, zone, horizon_days):
        state = effective(wish(timetable, boundary, zone).state)
        if state != current:
            return boundary, state
    return None


def _boundaries(
    timetable: Timetable, moment: datetime, zone: tzinfo, horizon_days: int
) -> list[datetime]:
    until = moment + timedelta(days=horizon_days)
    points = {edge for w in timetable.windows for edge in (w.starts, w.ends)}
    today = moment.astimezone(zone).date()
    for offset in range(-1, horizon_days + 1):
        day = today + timedelta(days=offset)
        for period in timetable.periods:
            if period.weekday == day.weekday():
                points.update(period.bounds(day, zone))
    return sorted(point for point in points if moment < point <= until)


def _local(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {local:%b %H:%M}"
