"""Template filters for holds, snoozes and timetables (no queries, except snooze_limit)."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, QueueEntry
from calendarEditor.services.queue.holds import hold_ends as _hold_ends
from calendarEditor.services.queue.runs import snooze_limit_hours

register = template.Library()


@register.filter
def hold_ends(entry: QueueEntry, machine: Machine) -> datetime | None:
    """``{{ entry|hold_ends:machine }}``: when the ON DECK hold ends, if one runs."""
    return _hold_ends(entry, machine) if machine is not None else None


@register.filter
def hold_over(entry: QueueEntry, machine: Machine) -> bool:
    ends = hold_ends(entry, machine)
    return ends is not None and timezone.now() >= ends


@register.filter
def snooze_limit(entry: QueueEntry) -> float | None:
    """The longest snooze for a running entry (one query); None otherwise."""
    if entry.status != EntryStatus.RUNNING:
        return None
    return snooze_limit_hours(entry.machine_id)


@register.filter
def is_snoozed(entry: QueueEntry) -> bool:
    until = entry.check_out_snoozed_until
    return entry.status == EntryStatus.RUNNING and until is not None and until > timezone.now()


@register.filter
def local_input(moment: datetime | None, hours_ahead: float = 0) -> str:
    """A datetime-local input's value in lab time: ``moment`` or now plus ``hours_ahead``."""
    base = moment or timezone.now() + timedelta(hours=float(hours_ahead))
    return f"{timezone.localtime(base):%Y-%m-%dT%H:%M}"
