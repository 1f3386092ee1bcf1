"""Helpers for the [due] tests: a fixed start in lab time, running the work, reading notices."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from calendarEditor.models import Machine, Notification, QueueEntry
from calendarEditor.services import queue
from calendarEditor.services.due_work import DueWorkReport, run_due_work
from conftest import entry_request

# Wednesday 9 January 2030, 10:00 in the lab's time zone (settings.TIME_ZONE).
START = datetime(2030, 1, 9, 10, 0, tzinfo=timezone.get_default_timezone())


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def run(**kwargs: Any) -> DueWorkReport:
    """One pass of the due work; every job must succeed."""
    report = run_due_work(**kwargs)
    assert report.ok, "\n".join(report.lines())
    return report


def done(report: DueWorkReport, job: str) -> int:
    return report.job(job).done


def notes(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("created_at", "pk"))


def count(user: Any, kind: str) -> int:
    return Notification.objects.filter(recipient=user, kind=kind).count()


def queued(
    member: Any, machine: Any, staff: Any, title: str = "Run", hours: float = 10
) -> QueueEntry:
    """An entry put on ``machine`` by staff for ``member``."""
    request = entry_request(title, hours)
    return queue.enqueue(request, member=member, by=staff, machine=machine).entry


def running(
    member: Any, machine: Any, staff: Any, title: str = "Run", hours: float = 10
) -> QueueEntry:
    entry = queued(member, machine, staff, title, hours)
    return queue.start(entry, by=member).entry


def fresh(entry: QueueEntry) -> QueueEntry:
    return QueueEntry.objects.get(pk=entry.pk)


def fresh_machine(machine: Machine) -> Machine:
    return Machine.objects.get(pk=machine.pk)


def event_kinds(result: queue.QueueResult) -> list[str]:
    return [event.kind for event in result.events]
