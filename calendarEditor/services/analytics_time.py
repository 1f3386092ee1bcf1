"""Time spans for the usage figures: ISO weeks in the lab's time zone, overlaps, percentiles.

Every datetime here is kept in UTC: subtracting two datetimes that share a
zoneinfo tzinfo gives wall-clock time, an hour off across a daylight-saving
change.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Period:
    """One ISO week, clipped to the range and to now."""

    label: str  # "2025-W03"
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    @property
    def hours(self) -> float:
        return span_hours(self.start, self.end)


def iso_weeks(first_day: date, last_day: date, now: datetime) -> list[Period]:
    """The ISO weeks touching the range, each clipped to the range and to ``now``."""
    start = local_midnight(first_day)
    end = min(local_midnight(last_day + timedelta(days=1)), now)
    monday = first_day - timedelta(days=first_day.weekday())
    periods = []
    while True:
        week_start = max(start, local_midnight(monday))
        week_end = min(end, local_midnight(monday + timedelta(days=7)))
        if week_start >= end:
            return periods
        year, week, _ = monday.isocalendar()
        periods.append(Period(f"{year}-W{week:02d}", week_start, week_end))
        monday += timedelta(days=7)


def local_midnight(day: date) -> datetime:
    """The start of ``day`` on the lab's clock, in UTC."""
    local = datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
    return local.astimezone(UTC)


def span_hours(start: datetime, end: datetime) -> float:
    """Hours from ``start`` to ``end``; 0 for an empty span."""
    return max(0.0, (end - start).total_seconds() / 3600)


def overlap(a: Interval, b: Interval) -> float:
    return span_hours(max(a[0], b[0]), min(a[1], b[1]))


def intersect(a: Interval, b: Interval) -> Interval:
    return max(a[0], b[0]), min(a[1], b[1])


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile with linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
