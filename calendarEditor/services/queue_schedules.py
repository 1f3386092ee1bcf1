"""Queues opening and closing on their timetables (DESIGN §7), and staff overriding them.

The runner acts only when a timetable's wish differs from what it last
applied (``QueueSchedule.applied_state``): a queue staff open or close by hand
on the machine page stays so until the timetable's next change. An override
set here holds the queue as staff chose until a given time; after it, the
timetable applies again. Each switch is audited with its cause.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from calendarEditor.models import ClosedWindow, Machine, QueueSchedule, ScheduleState
from calendarEditor.services import timetable
from calendarEditor.services.due import config
from calendarEditor.services.queue.switching import SCHEDULE, switch_queue


@dataclass(frozen=True)
class SchedulePlan:
    """What the runner would do to one machine's queue now."""

    schedule_id: int
    machine_id: int
    machine_name: str
    target: str  # ScheduleState value the schedule will record
    switches: bool  # the queue itself opens or closes (else only the record changes)
    why: str
    # The row as read, so applying claims it only if nobody changed it since.
    seen_state: str
    seen_override_until: datetime | None

    @property
    def description(self) -> str:
        if not self.target:
            return f"{self.machine_name}: {self.why}"
        if not self.switches:
            return f"{self.machine_name}: queue already {self.target}; record it ({self.why})"
        verb = "open" if self.target == ScheduleState.OPEN else "close"
        return f"{self.machine_name}: {verb} the queue ({self.why})"


def timetable_of(schedule: QueueSchedule, now: datetime | None = None) -> timetable.Timetable:
    """The schedule's rules; windows that ended before ``now`` no longer matter."""
    now = now or timezone.now()
    periods = tuple(
        timetable.Period(row.weekday, row.opens_at, row.closes_at) for row in schedule.hours.all()
    )
    windows = tuple(
        timetable.Window(row.starts_at, row.ends_at, row.reason)
        for row in schedule.closed_windows.all()
        if row.ends_at > now
    )
    return timetable.Timetable(periods, windows)


def schedules(now: datetime, machine_names: frozenset[str] | None = None) -> list[QueueSchedule]:
    """Every schedule with its hours and current or future windows (three queries)."""
    rows = QueueSchedule.objects.select_related("machine").prefetch_related(
        "hours",
        Prefetch("closed_windows", queryset=ClosedWindow.objects.filter(ends_at__gt=now)),
    )
    if machine_names is not None:
        rows = rows.filter(machine__name__in=machine_names)
    return list(rows.order_by("machine__name"))


def plan_for(schedule: QueueSchedule, now: datetime) -> SchedulePlan | None:
    """What the timetable wants done now, or None when nothing is due."""
    if schedule.override_until is not None and schedule.override_until > now:
        return None
    # An override that ran out hands the queue back to the timetable's current wish.
    override_ended = schedule.override_until is not None
    applied = "" if override_ended else schedule.applied_state
    wish = timetable.wish(timetable_of(schedule, now), now, config.lab_zone())
    target, why = wish.state, wish.why
    if target is None and applied == ScheduleState.CLOSED:
        target, why = ScheduleState.OPEN, "the closed window ended"
    if target is None:
        if not override_ended:
            return None
        target, why = "", "the hand override ended; no opening hours or window apply now"
    elif target == applied:
        return None
    is_open = target == ScheduleState.OPEN
    return SchedulePlan(
        schedule_id=schedule.pk,
        machine_id=schedule.machine_id,
        machine_name=schedule.machine.name,
        target=target,
        switches=bool(target) and schedule.machine.accepts_entries != is_open,
        why=why,
        seen_state=schedule.applied_state,
        seen_override_until=schedule.override_until,
    )


def apply_plan(plan: SchedulePlan, now: datetime) -> bool:
    """Claim the schedule row as read and switch the queue; False if another runner had it."""
    with transaction.atomic():
        same_override = (
            Q(override_until__isnull=True)
            if plan.seen_override_until is None
            else Q(override_until=plan.seen_override_until)
        )
        claimed = QueueSchedule.objects.filter(
            same_override, pk=plan.schedule_id, applied_state=plan.seen_state
        ).update(applied_state=plan.target, applied_at=now, override_until=None, override_reason="")
        if claimed != 1:
            return False
        if plan.target:
            is_open = plan.target == ScheduleState.OPEN
            reason = plan.why[:1].upper() + plan.why[1:]
            switch_queue(plan.machine_id, is_open, by=None, cause=SCHEDULE, reason=reason)
        return True


def apply_now(machine: Machine, now: datetime | None = None) -> SchedulePlan | None:
    """Run the timetable of one machine at once (after staff edit it); returns what it did."""
    now = now or timezone.now()
    rows = schedules(now, frozenset({machine.name}))
    plan = plan_for(rows[0], now) if rows else None
    if plan is not None and apply_plan(plan, now):
        return plan
    return None


def schedule_of(machine: Machine) -> QueueSchedule:
    """The machine's schedule row, created empty on first use (safe against a racing create)."""
    QueueSchedule.objects.bulk_create([QueueSchedule(machine=machine)], ignore_conflicts=True)
    return QueueSchedule.objects.get(machine=machine)


def state_now(
    machine: Machine, schedule: QueueSchedule | None, now: datetime | None = None
) -> dict[str, object]:
    """What the schedule page shows: the wish now, the next change, any override."""
    now = now or timezone.now()
    if schedule is None:
        return {"wish": None, "next_change": None, "overridden": False}
    rules = timetable_of(schedule, now)
    zone = config.lab_zone()
    return {
        "wish": timetable.wish(rules, now, zone),
        "next_change": timetable.next_change(rules, now, zone),
        "overridden": schedule.override_until is not None and schedule.override_until > now,
        "has_rules": rules.has_rules,
    }
