"""How the machines were used: per machine and ISO week, per member, per department.

Three queries whatever the history's size, each bounded by the date range:
the machines (with the status each was in when the range began), the status
changes within the range, and the runs overlapping it. The arithmetic then
runs in Python over those rows, which works the same on SQLite and PostgreSQL.

Definitions (the page repeats them):
- A run is an entry that started: it occupies its machine from started_at to
  completed_at (or cancelled_at, or now while it runs), clipped to each week.
- Available hours: the hours of the week (clipped to the range, to now and to
  the machine's creation) minus the hours it was in maintenance or offline,
  derived from the audit log's "machine.status" changes. Time a run carried on
  through maintenance counts as available, so utilization never passes 100 %.
  A machine deleted since has no status history: its calendar hours are used.
- Waits run from submitted_at to started_at, counted in the week the run
  started; median and 90th percentile interpolate like PostgreSQL's
  percentile_cont.
- Weeks are ISO weeks (Monday 00:00) in the lab's time zone.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from calendarEditor.models import UNAVAILABLE_STATUSES, AuditEvent, EntryStatus, Machine, QueueEntry
from calendarEditor.services.analytics_time import (
    Interval,
    Period,
    intersect,
    iso_weeks,
    local_midnight,
    overlap,
    percentile_cont,
    span_hours,
)

__all__ = [
    "MachineWeek",
    "Period",
    "Report",
    "Usage",
    "iso_weeks",
    "percentile_cont",
    "usage_report",
]
NO_DEPARTMENT = "No department"


@dataclass(frozen=True)
class MachineWeek:
    machine: str
    period: Period
    available_hours: float
    down_hours: float
    running_hours: float
    completed_runs: int
    started_runs: int
    median_wait_hours: float | None
    p90_wait_hours: float | None
    downtime_known: bool  # False: a deleted machine, whose status history is gone

    @property
    def utilization(self) -> float | None:
        return self.running_hours / self.available_hours if self.available_hours > 0 else None

    @property
    def utilization_percent(self) -> float | None:
        return None if self.utilization is None else 100 * self.utilization


@dataclass(frozen=True)
class Usage:
    """Running hours of one member or one department over the range."""

    name: str
    department: str
    hours: float
    runs: int  # runs started within the range


@dataclass(frozen=True)
class Report:
    first_day: date
    last_day: date  # inclusive
    periods: list[Period]
    weeks: list[MachineWeek]  # by machine, then week
    totals: list[MachineWeek]  # one per machine over the whole range
    members: list[Usage]  # most hours first
    departments: list[Usage]


@dataclass
class _Run:
    machine_key: object  # the machine's id; its name as it was, once the machine is deleted
    machine: str
    member_key: object
    member: str
    department: str
    submitted_at: datetime
    started_at: datetime
    ended_at: datetime
    completed_at: datetime | None


@dataclass
class _Machine:
    name: str
    since: datetime  # created_at, or the range start for a deleted machine
    down: list[Interval]
    downtime_known: bool


def usage_report(first_day: date, last_day: date, now: datetime | None = None) -> Report:
    """The figures for ``first_day`` to ``last_day`` inclusive (three queries)."""
    now = now or timezone.now()
    start = local_midnight(first_day)
    end = max(start, min(local_midnight(last_day + timedelta(days=1)), now))
    periods = iso_weeks(first_day, last_day, now)
    runs = _runs(start, end, now)
    machines = _machines(start, end, runs)
    by_machine: dict[object, list[_Run]] = defaultdict(list)
    for run in runs:
        by_machine[run.machine_key].append(run)
    whole = Period("total", start, end)
    weeks, totals = [], []
    for key, machine in sorted(machines.items(), key=lambda item: item[1].name.casefold()):
        machine_runs = by_machine.get(key, [])
        weeks.extend(_machine_week(machine, p, machine_runs) for p in periods)
        totals.append(_machine_week(machine, whole, machine_runs))
    return Report(
        first_day=first_day,
        last_day=last_day,
        periods=periods,
        weeks=weeks,
        totals=totals,
        members=_usage(runs, whole, by_department=False),
        departments=_usage(runs, whole, by_department=True),
    )


def _runs(start: datetime, end: datetime, now: datetime) -> list[_Run]:
    rows = (
        QueueEntry.objects.filter(started_at__isnull=False, started_at__lt=end)
        .filter(
            Q(status=EntryStatus.RUNNING)
            | Q(completed_at__gte=start)
            | Q(completed_at__isnull=True, cancelled_at__gte=start)
        )
        .values_list(
            "machine_id",
            "machine_name",
            "member_id",
            "member_name",
            "member__profile__department",
            "submitted_at",
            "started_at",
            "completed_at",
            "cancelled_at",
        )
    )
    return [
        _Run(
            machine_key=machine_id or f"name:{machine}",
            machine=machine,
            member_key=member_id or f"name:{name}",
            member=name or "deleted account",
            department=(department or "").strip() or NO_DEPARTMENT,
            submitted_at=submitted,
            started_at=started,
            ended_at=completed or cancelled or now,
            completed_at=completed,
        )
        for (
            machine_id,
            machine,
            member_id,
            name,
            department,
            submitted,
            started,
            completed,
            cancelled,
        ) in rows
    ]


def _machines(start: datetime, end: datetime, runs: Iterable[_Run]) -> dict[object, _Machine]:
    """Every machine, and any deleted one the runs name, with its downtime in the range."""
    before = (
        AuditEvent.objects.filter(
            machine=OuterRef("pk"), action="machine.status", created_at__lt=start
        )
        .order_by("-created_at", "-pk")
        .annotate(to=KT("details__to"))
        .values("to")[:1]
    )
    rows = (
        Machine.objects.filter(created_at__lt=end)
        .annotate(status_before=Subquery(before))
        .values_list("pk", "name", "status", "created_at", "status_before")
    )
    changes: dict[int, list[tuple[datetime, dict]]] = defaultdict(list)
    events = AuditEvent.objects.filter(
        action="machine.status", machine__isnull=False, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "pk")
    for machine_id, at, details in events.values_list("machine_id", "created_at", "details"):
        changes[machine_id].append((at, details or {}))
    machines = {}
    for pk, name, status, created_at, status_before in rows:
        first = changes[pk][0][1].get("from") if changes[pk] else None
        initial = status_before or first or status
        down = _down_intervals(initial, changes[pk], start, end)
        machines[pk] = _Machine(name, max(start, created_at), down, downtime_known=True)
    for run in runs:
        if run.machine_key not in machines:
            # No machine row: deleted (or, in odd data, created after the range).
            deleted = not isinstance(run.machine_key, int)
            name = f"{run.machine} (deleted)" if deleted else run.machine
            machines[run.machine_key] = _Machine(name, start, [], downtime_known=False)
    return machines


def _down_intervals(
    initial: str, changes: list[tuple[datetime, dict]], start: datetime, end: datetime
) -> list[Interval]:
    intervals, state, since = [], initial, start
    for at, details in changes:
        if state in UNAVAILABLE_STATUSES:
            intervals.append((since, at))
        state, since = details.get("to", state), at
    if state in UNAVAILABLE_STATUSES:
        intervals.append((since, end))
    return intervals


def _machine_week(machine: _Machine, period: Period, runs: list[_Run]) -> MachineWeek:
    window = (max(period.start, machine.since), period.end)
    run_spans = [(run.started_at, run.ended_at) for run in runs]
    # Down time during a run is not lost time: the machine was in use.
    down = sum(
        overlap(d, window) - sum(overlap(intersect(d, r), window) for r in run_spans)
        for d in machine.down
    )
    running = sum(overlap(span, window) for span in run_spans)
    started = [run for run in runs if period.start <= run.started_at < period.end]
    waits = [span_hours(run.submitted_at, run.started_at) for run in started]
    completed = sum(
        1 for run in runs if run.completed_at and period.start <= run.completed_at < period.end
    )
    return MachineWeek(
        machine=machine.name,
        period=period,
        available_hours=max(0.0, span_hours(*window) - down),
        down_hours=down,
        running_hours=running,
        completed_runs=completed,
        started_runs=len(started),
        median_wait_hours=percentile_cont(waits, 0.5),
        p90_wait_hours=percentile_cont(waits, 0.9),
        downtime_known=machine.downtime_known,
    )


def _usage(runs: Iterable[_Run], whole: Period, *, by_department: bool) -> list[Usage]:
    hours: dict[object, float] = defaultdict(float)
    counts: dict[object, int] = defaultdict(int)
    labels: dict[object, tuple[str, str]] = {}
    for run in runs:
        key = run.department if by_department else run.member_key
        labels.setdefault(key, (run.department if by_department else run.member, run.department))
        hours[key] += overlap((run.started_at, run.ended_at), (whole.start, whole.end))
        counts[key] += whole.start <= run.started_at < whole.end
    rows = [
        Usage(name, department, hours[key], counts[key])
        for key, (name, department) in labels.items()
        if hours[key] > 0 or counts[key]
    ]
    return sorted(rows, key=lambda row: (-row.hours, row.name.casefold()))
