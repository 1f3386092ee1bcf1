"""What a machine's calendar holds: runs, projected runs, turnovers, closures, "down" issues.

The calendar page and the iCalendar feeds both read ``timeline``. Projected
starts and ends come from the estimates module (the same numbers as the queue
pages), with the warmup and cooldown between runs as their own blocks. Titles
and names pass through the privacy module for the viewer. Four queries,
whatever the number of machines or entries.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from calendarEditor.models import (
    OPEN_ISSUE_STATUSES,
    EntryStatus,
    EquipmentIssue,
    IssueSeverity,
    Machine,
    QueueEntry,
)
from calendarEditor.models.schedules import ClosedWindow
from calendarEditor.services import privacy, schedule

RUNNING, PROJECTED, TURNOVER, CLOSED, DOWN = "running", "projected", "turnover", "closed", "down"
# A "down" issue without an estimated fix is drawn this long, and says so.
_UNKNOWN_FIX = timedelta(days=1)


@dataclass(frozen=True)
class CalendarItem:
    kind: str  # RUNNING, PROJECTED, TURNOVER, CLOSED or DOWN
    machine_id: int
    machine_name: str
    start: datetime
    end: datetime
    title: str  # as the viewer may see it
    member_name: str = ""  # as the viewer may see it; "" when not an entry
    entry_id: int | None = None
    position: int | None = None
    mine: bool = False
    visible: bool = True  # False: another member's entry shown without details
    note: str = ""

    @property
    def uid(self) -> str:
        """Stable across feed refreshes, so calendar apps move an event instead of copying it."""
        if self.entry_id:
            subject = f"entry-{self.entry_id}"
        else:
            subject = f"{self.kind}-{int(self.start.timestamp())}"
        return f"{subject}-m{self.machine_id}@labqueue"

    @property
    def is_entry(self) -> bool:
        return self.kind in (RUNNING, PROJECTED)


def timeline(
    machines: Sequence[Machine],
    viewer: object,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> list[CalendarItem]:
    """Every item on ``machines`` overlapping [start, end), in time order."""
    now = now or timezone.now()
    start, end = start or now, end or now + timedelta(days=7)
    ids = [machine.pk for machine in machines]
    queued = _queued_by_machine(ids)
    running = schedule.running_entries_by_machine(ids)
    items: list[CalendarItem] = []
    for machine in machines:
        items += _machine_runs(machine, running.get(machine.pk), queued[machine.pk], viewer, now)
    items += _closed_windows(ids, start, end)
    items += _down_issues(ids, now, end)
    shown = [item for item in items if item.end > start and item.start < end]
    return sorted(shown, key=lambda item: (item.start, item.machine_name, item.kind))


def member_items(member: object, *, now: datetime | None = None) -> list[CalendarItem]:
    """A member's running and projected entries on every machine (their own feed)."""
    now = now or timezone.now()
    machine_ids = set(
        QueueEntry.objects.filter(
            member=member, status__in=(EntryStatus.QUEUED, EntryStatus.RUNNING)
        ).values_list("machine_id", flat=True)
    )
    machines = list(Machine.objects.filter(pk__in=machine_ids))
    far = now + timedelta(days=366)
    items = timeline(machines, member, start=now - timedelta(days=30), end=far, now=now)
    return [item for item in items if item.mine]


def _queued_by_machine(machine_ids: Iterable[int]) -> dict[int, list[QueueEntry]]:
    queued: dict[int, list[QueueEntry]] = defaultdict(list)
    rows = QueueEntry.objects.filter(machine_id__in=list(machine_ids), status=EntryStatus.QUEUED)
    for entry in rows.order_by("position", "submitted_at", "pk"):
        queued[entry.machine_id].append(entry)
    return queued


def _machine_runs(
    machine: Machine,
    running: QueueEntry | None,
    queued: list[QueueEntry],
    viewer: object,
    now: datetime,
) -> list[CalendarItem]:
    items = []
    busy_until = now
    if running is not None and running.started_at is not None:
        expected = running.started_at + timedelta(hours=running.estimated_hours)
        # An overrun is still on the machine: it ends "now" at the earliest.
        busy_until = max(expected, now)
        items.append(_entry_item(RUNNING, machine, running, viewer, running.started_at, busy_until))
    placed = schedule.place_queue(machine, queued, running, now)
    for placed_entry in placed:
        entry, begins = placed_entry.entry, placed_entry.estimated_start
        if begins > busy_until:
            items.append(_turnover(machine, busy_until, begins, now, running is not None))
        busy_until = begins + timedelta(hours=entry.estimated_hours)
        items.append(_entry_item(PROJECTED, machine, entry, viewer, begins, busy_until))
    return items


def _entry_item(
    kind: str, machine: Machine, entry: QueueEntry, viewer: object, start: datetime, end: datetime
) -> CalendarItem:
    label = privacy.entry_label(viewer, entry)
    return CalendarItem(
        kind=kind,
        machine_id=machine.pk,
        machine_name=machine.name,
        start=start,
        end=end,
        title=label["title"],
        member_name=label["member_name"],
        entry_id=entry.pk,
        position=entry.position,
        mine=label["mine"],
        visible=label["visible"],
        note="Running" if kind == RUNNING else "Estimated",
    )


def _turnover(
    machine: Machine, start: datetime, end: datetime, now: datetime, after_run: bool
) -> CalendarItem:
    if after_run or start > now or machine.status not in ("cooldown", "warmup"):
        title = "Warmup and cooldown"
    elif machine.status == "warmup" and machine.cooldown_hours > 0:
        title = "Warming up, then cooldown"
    else:
        title = machine.get_status_display()
    return CalendarItem(TURNOVER, machine.pk, machine.name, start, end, title)


def _closed_windows(machine_ids: list[int], start: datetime, end: datetime) -> list[CalendarItem]:
    windows = ClosedWindow.objects.filter(
        schedule__machine_id__in=machine_ids, ends_at__gt=start, starts_at__lt=end
    ).select_related("schedule__machine")
    return [
        CalendarItem(
            CLOSED,
            window.schedule.machine_id,
            window.schedule.machine.name,
            window.starts_at,
            window.ends_at,
            f"Queue closed: {window.reason}",
            note="No new entries are taken; queued runs go ahead.",
        )
        for window in windows
    ]


def _down_issues(machine_ids: list[int], now: datetime, end: datetime) -> list[CalendarItem]:
    issues = EquipmentIssue.objects.filter(
        machine_id__in=machine_ids,
        severity=IssueSeverity.DOWN,
        status__in=OPEN_ISSUE_STATUSES,
        created_at__lt=end,
    )
    items = []
    for issue in issues:
        fix = issue.estimated_fix_at
        until = fix if fix and fix > now else max(now, issue.created_at) + _UNKNOWN_FIX
        note = "Expected fix" if fix and fix > now else "No fix date given yet"
        items.append(
            CalendarItem(
                DOWN,
                issue.machine_id,
                issue.machine_name,
                issue.created_at,
                until,
                f"Down: {issue.summary}",
                note=note,
            )
        )
    return items


def placed_on_lanes(
    machines: Sequence[Machine], items: Sequence[CalendarItem], start: datetime, end: datetime
) -> list[tuple[Machine, list[tuple[CalendarItem, float, float]]]]:
    """Each machine with its items as (item, left %, width %) across [start, end)."""
    span = (end - start).total_seconds()
    lanes: dict[int, list[tuple[CalendarItem, float, float]]] = defaultdict(list)
    for item in items:
        left = max(0.0, (item.start - start).total_seconds() / span * 100)
        right = min(100.0, (item.end - start).total_seconds() / span * 100)
        lanes[item.machine_id].append((item, round(left, 2), round(max(right - left, 0.4), 2)))
    return [(machine, lanes[machine.pk]) for machine in machines]


@dataclass(frozen=True)
class CalendarPage:
    start: datetime
    end: datetime
    lanes: list[tuple[Machine, list[tuple[CalendarItem, float, float]]]]
    days: list[tuple[datetime, float]]  # midnight of each day and its left %
    now_left: float | None  # where "now" falls, if inside the range
    items: list[CalendarItem]


def calendar_page(
    machines: Sequence[Machine], viewer: object, first_day: date, days: int
) -> CalendarPage:
    """The calendar from local midnight of ``first_day`` for ``days`` days."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = start + timedelta(days=days)
    items = timeline(machines, viewer, start=start, end=end)
    span = (end - start).total_seconds()
    ticks = [start + timedelta(days=n) for n in range(days)]
    marks = [(tick, round((tick - start).total_seconds() / span * 100, 2)) for tick in ticks]
    now = timezone.now()
    now_left = round((now - start).total_seconds() / span * 100, 2) if start <= now < end else None
    lanes = placed_on_lanes(machines, items, start, end)
    return CalendarPage(start, end, lanes, marks, now_left, items)
