"""What members see of the gateway's readings: the latest temperature and its history.

A temperature older than TEMPERATURE_STALE_MINUTES is shown as "no recent
reading", never as a number that may have stopped being true. 0 K is a value.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, FloatField, Func, Max, Min, Value
from django.db.models.functions import Floor
from django.utils import timezone

from calendarEditor.models import Machine, TemperatureReading
from calendarEditor.services.gateway_validation import setting
from calendarEditor.services.matching import format_number

MAX_POINTS = 300
# The chart's two windows, by the key the JSON and the page use.
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}


def stale_after() -> timedelta:
    return timedelta(minutes=setting("TEMPERATURE_STALE_MINUTES", 15))


def format_kelvin(kelvin: float) -> str:
    """ "1.83", "295.15", "0.0123": two decimals from 1 K up, three significant digits below."""
    if kelvin >= 1:
        return f"{kelvin:.2f}".rstrip("0").rstrip(".")
    return format_number(float(f"{kelvin:.3g}"))


def format_age(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


@dataclass(frozen=True)
class TemperatureState:
    """A machine's latest temperature as of ``now``."""

    kelvin: float | None
    read_at: datetime | None
    age: timedelta | None
    is_stale: bool  # no reading at all, or the latest is too old to show

    @property
    def is_current(self) -> bool:
        return not self.is_stale

    @property
    def kelvin_text(self) -> str:
        return "" if self.kelvin is None else format_kelvin(self.kelvin)

    @property
    def age_text(self) -> str:
        return "" if self.age is None else format_age(self.age)

    def as_json(self) -> dict[str, Any]:
        return {
            "kelvin": None if self.is_stale else self.kelvin,
            "read_at": self.read_at.isoformat() if self.read_at else None,
            "stale": self.is_stale,
        }


def temperature_state(machine: Machine, now: datetime | None = None) -> TemperatureState:
    """The machine's latest temperature, from its own fields (no query)."""
    now = now or timezone.now()
    kelvin, read_at = machine.current_temperature, machine.temperature_updated_at
    if kelvin is None or read_at is None:
        return TemperatureState(kelvin=None, read_at=read_at, age=None, is_stale=True)
    age = now - read_at
    return TemperatureState(kelvin=kelvin, read_at=read_at, age=age, is_stale=age > stale_after())


def temperature_states(
    machines: Iterable[Machine], now: datetime | None = None
) -> dict[int, TemperatureState]:
    """Each machine's state by id, for pages that list machines (no query)."""
    now = now or timezone.now()
    return {machine.pk: temperature_state(machine, now) for machine in machines}


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, as a float, on SQLite and PostgreSQL."""

    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() counts days from a far epoch; 2440587.5 is 1970-01-01T00:00Z.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="UNIX_TIMESTAMP(%(expressions)s)", **extra
        )


@dataclass(frozen=True)
class Point:
    at: datetime  # the latest reading in the bucket
    kelvin: float  # the mean over the bucket
    low: float
    high: float
    count: int

    def as_json(self) -> dict[str, Any]:
        return {
            "t": self.at.isoformat(),
            "k": self.kelvin,
            "min": self.low,
            "max": self.high,
            "n": self.count,
        }


def history(
    machine: Machine, since: datetime, now: datetime | None = None, max_points: int = MAX_POINTS
) -> list[Point]:
    """Readings from ``since`` to ``now`` in at most ``max_points`` equal time buckets.

    One aggregate query: each bucket gives its mean, minimum and maximum, so a
    short excursion still shows in a week's plot.
    """
    now = now or timezone.now()
    # A reading at exactly ``now`` falls in bucket max_points - 1, the last one.
    width = max((now - since).total_seconds() / max(max_points - 1, 1), 1.0)
    bucket = Floor(
        (EpochSeconds("read_at") - Value(since.timestamp())) / Value(width),
        output_field=FloatField(),
    )
    rows = (
        TemperatureReading.objects.filter(machine=machine, read_at__gte=since, read_at__lte=now)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(at=Max("read_at"), mean=Avg("kelvin"), low=Min("kelvin"), high=Max("kelvin"))
        .annotate(count=Count("pk"))
        .order_by("bucket")
    )
    return [Point(r["at"], r["mean"], r["low"], r["high"], r["count"]) for r in rows]


def chart_series(machine: Machine, now: datetime | None = None) -> dict[str, Any]:
    """What the machine page's chart draws: both windows, in two queries."""
    now = now or timezone.now()
    series = {
        label: [point.as_json() for point in history(machine, now - span, now)]
        for label, span in WINDOWS.items()
    }
    return {
        "machine": machine.name,
        "unit": "K",
        "now": now.isoformat(),
        "stale_after_minutes": int(stale_after().total_seconds() // 60),
        "current": temperature_state(machine, now).as_json(),
        "series": series,
    }
