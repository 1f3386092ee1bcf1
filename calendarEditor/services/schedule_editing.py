"""Lab managers editing a machine's queue timetable, and overriding it by hand.

Every change is audited and applied at once (the runner would within a
minute anyway), so the page shows the queue's real state after a save.
Bad input raises QueueError with a message for the manager; nothing changes.
"""

from collections.abc import Mapping
from datetime import datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from calendarEditor.models import ClosedWindow, Machine, OpeningHours, QueueSchedule, Weekday
from calendarEditor.services import audit, queue_schedules
from calendarEditor.services.errors import QueueError
from calendarEditor.services.queue._guards import require_staff
from calendarEditor.services.queue.switching import STAFF, switch_queue
from calendarEditor.templatetags.queue_tags import start_time

MAX_OVERRIDE = timedelta(days=90)
MAX_WINDOW = timedelta(days=366)

Hours = Mapping[int, tuple[time, time] | None]


def save_timetable(
    machine: Machine, hours: Hours, *, snooze_max_hours: float | None, by: AbstractBaseUser
) -> QueueSchedule:
    """Replace the weekly opening hours (None or absent: closed that day; all None: no hours)."""
    require_staff(by)
    with transaction.atomic():
        schedule = queue_schedules.schedule_of(machine)
        before = {row.weekday: str(row) for row in schedule.hours.all()}
        schedule.hours.all().delete()
        rows = [
            OpeningHours(schedule=schedule, weekday=day, opens_at=period[0], closes_at=period[1])
            for day, period in sorted(hours.items())
            if period is not None and day in Weekday.values
        ]
        OpeningHours.objects.bulk_create(rows)
        # New hours take over from whatever the old ones last applied.
        schedule.applied_state = ""
        schedule.check_out_snooze_max_hours = snooze_max_hours
        schedule.save(update_fields=["applied_state", "check_out_snooze_max_hours", "updated_at"])
        audit.record(
            "schedule.edited",
            actor=by,
            machine=machine,
            summary=f"{machine.name}'s opening hours saved",
            details={
                "before": sorted(before.values()),
                "after": [str(row) for row in rows],
                "snooze_max_hours": snooze_max_hours,
            },
        )
        queue_schedules.apply_now(machine)
        return schedule


def add_closed_window(
    machine: Machine, *, starts: datetime, ends: datetime, reason: str, by: AbstractBaseUser
) -> ClosedWindow:
    require_staff(by)
    reason = reason.strip()
    if not reason:
        raise QueueError("Say why the queue closes (members see it).")
    if ends <= starts:
        raise QueueError("The window must end after it starts.")
    if ends <= timezone.now():
        raise QueueError("That window is already over.")
    if ends - starts > MAX_WINDOW:
        raise QueueError("A closed window lasts at most a year; close the queue by hand instead.")
    with transaction.atomic():
        schedule = queue_schedules.schedule_of(machine)
        window = ClosedWindow.objects.create(
            schedule=schedule, starts_at=starts, ends_at=ends, reason=reason[:300], created_by=by
        )
        audit.record(
            "schedule.window_added",
            actor=by,
            machine=machine,
            summary=f"{machine.name}'s queue closes {start_time(starts)} - {start_time(ends)}",
            reason=reason,
            details={"starts": starts.isoformat(), "ends": ends.isoformat()},
        )
        queue_schedules.apply_now(machine)
        return window


def delete_closed_window(window: ClosedWindow, *, by: AbstractBaseUser) -> None:
    require_staff(by)
    machine = window.schedule.machine
    with transaction.atomic():
        audit.record(
            "schedule.window_removed",
            actor=by,
            machine=machine,
            summary=f"{machine.name}: closed window from {start_time(window.starts_at)} removed",
            reason=window.reason,
            details={"starts": window.starts_at.isoformat(), "ends": window.ends_at.isoformat()},
        )
        window.delete()
        queue_schedules.apply_now(machine)


def set_override(
    machine: Machine, *, is_open: bool, until: datetime, reason: str, by: AbstractBaseUser
) -> QueueSchedule:
    """Hold the queue open or closed by hand until ``until``, whatever the timetable says."""
    require_staff(by)
    now = timezone.now()
    if until <= now:
        raise QueueError("Choose a time in the future for the override to end.")
    if until - now > MAX_OVERRIDE:
        raise QueueError("Override for at most 90 days; edit the timetable for longer changes.")
    reason = reason.strip()[:500]
    with transaction.atomic():
        schedule = queue_schedules.schedule_of(machine)
        QueueSchedule.objects.filter(pk=schedule.pk).update(
            override_until=until, override_open=is_open, override_reason=reason
        )
        state = "open" if is_open else "closed"
        switch_queue(machine.pk, is_open, by=by, cause=STAFF, reason=reason)
        audit.record(
            "schedule.override",
            actor=by,
            machine=machine,
            summary=f"{machine.name}'s queue held {state} by hand until {start_time(until)}",
            reason=reason,
            details={"open": is_open, "until": until.isoformat(), "cause": STAFF},
        )
        schedule.refresh_from_db()
        return schedule


def clear_override(machine: Machine, *, by: AbstractBaseUser) -> None:
    """End a hand override now: the timetable applies again at once."""
    require_staff(by)
    with transaction.atomic():
        schedule = queue_schedules.schedule_of(machine)
        if schedule.override_until is None:
            raise QueueError(f"{machine.name}'s queue is not overridden by hand.")
        QueueSchedule.objects.filter(pk=schedule.pk).update(
            override_until=None, override_reason="", applied_state=""
        )
        audit.record(
            "schedule.override_ended",
            actor=by,
            machine=machine,
            summary=f"{machine.name}'s queue follows its timetable again",
            details={"cause": STAFF},
        )
        queue_schedules.apply_now(machine)
