"""Queues opening and closing on their timetables, staff overriding them, and the command.

START is Wednesday 10:00 lab time; the weekday hours below are 08:00-18:00.
"""

from datetime import time
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from calendarEditor.models import AuditEvent, EntryStatus, Machine, NotificationPreference
from calendarEditor.services import machines, queue, schedule_editing
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.tests.due_support import START, count, done, fresh, hours, notes, queued, run
from conftest import entry_request

pytestmark = pytest.mark.django_db

WEEKDAYS = {day: (time(8), time(18)) for day in range(5)}


def is_open(machine: Machine) -> bool:
    return Machine.objects.get(pk=machine.pk).accepts_entries


def queue_audits(machine: Machine) -> list[tuple[str, str, str]]:
    events = AuditEvent.objects.filter(machine=machine, action__startswith="machine.queue_")
    return [(e.action, e.actor_name, e.details.get("cause", "")) for e in events.order_by("pk")]


def test_queue_closes_and_opens_on_its_opening_hours(clock, alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam)
    schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=sam)
    assert is_open(hidalgo)
    assert queue_audits(hidalgo) == []

    clock.shift(hours(8))  # Wednesday 18:00
    assert done(run(), "queue_schedules") == 1
    assert not is_open(hidalgo)
    assert (fresh(entry).status, fresh(entry).position) == (EntryStatus.QUEUED, 1)  # kept
    [closed] = notes(alice, "queue_closed")
    assert "Outside opening hours" in closed.message
    assert done(run(), "queue_schedules") == 0

    clock.shift(hours(14))  # Thursday 08:00
    run()
    assert is_open(hidalgo)
    assert queue_audits(hidalgo) == [
        ("machine.queue_closed", "system", "schedule"),
        ("machine.queue_opened", "system", "schedule"),
    ]


def test_members_who_opted_in_hear_that_a_queue_opened(clock, alice, bob, sam, hidalgo):
    NotificationPreference.objects.create(user=bob, kind="queue_opened", in_app=True)
    schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=sam)
    clock.shift(hours(8))
    run()
    clock.shift(hours(14))
    run()
    [opened] = notes(bob, "queue_opened")
    assert opened.title == "Hidalgo's queue is open"
    assert count(alice, "queue_opened") == 0


def test_a_closed_queue_takes_no_entries_but_runs_its_own(clock, alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam)
    schedule_editing.save_timetable(hidalgo, {2: (time(8), time(9))}, snooze_max_hours=None, by=sam)
    assert not is_open(hidalgo)
    with pytest.raises(NoCompatibleMachine):
        queue.enqueue(entry_request("Late"), member=alice, by=alice)
    queue.start(entry, by=alice)  # what it holds still runs


def test_a_hand_switch_lasts_until_the_timetable_changes(clock, alice, sam, hidalgo):
    schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=sam)
    clock.shift(hours(1))
    machines.set_queue_open(hidalgo, False, by=sam, reason="Cold head swap")
    run()
    assert not is_open(hidalgo)  # the runner does not undo the manager's switch
    clock.shift(hours(7))  # 18:00: closing time, already closed
    run()
    clock.shift(hours(14))  # Thursday 08:00: the timetable opens it
    run()
    assert is_open(hidalgo)


def test_a_closed_window_closes_the_queue_now_and_reopens_it(clock, alice, sam, hidalgo):
    schedule_editing.add_closed_window(
        hidalgo, starts=START, ends=START + hours(3), reason="Helium refill", by=sam
    )
    assert not is_open(hidalgo)
    event = AuditEvent.objects.get(action="machine.queue_closed")
    assert event.reason.startswith("Closed window until")
    assert "Helium refill" in event.reason
    clock.shift(hours(3))
    run()
    assert is_open(hidalgo)
    assert AuditEvent.objects.get(action="machine.queue_opened").reason == "The closed window ended"


def test_a_future_window_leaves_a_hand_closed_queue_alone(clock, sam, hidalgo):
    machines.set_queue_open(hidalgo, False, by=sam)
    schedule_editing.add_closed_window(
        hidalgo, starts=START + hours(24), ends=START + hours(30), reason="Service", by=sam
    )
    run()
    assert not is_open(hidalgo)


def test_override_holds_the_queue_until_its_time_then_the_timetable_applies(clock, sam, hidalgo):
    schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=sam)
    clock.shift(hours(7))  # 17:00
    schedule_editing.set_override(
        hidalgo, is_open=True, until=START + hours(12), reason="Evening users", by=sam
    )
    clock.shift(hours(1))  # 18:00: the timetable would close it
    run()
    assert is_open(hidalgo)
    clock.shift(hours(4))  # 22:00: the override ends
    run()
    assert not is_open(hidalgo)
    assert queue_audits(hidalgo)[-1] == ("machine.queue_closed", "system", "schedule")


def test_staff_override_is_audited_with_its_cause_and_can_be_ended(clock, sam, hidalgo):
    schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=sam)
    schedule_editing.set_override(
        hidalgo, is_open=False, until=START + hours(2), reason="Leak check", by=sam
    )
    assert not is_open(hidalgo)
    assert queue_audits(hidalgo) == [("machine.queue_closed", "sam", "staff")]
    schedule_editing.clear_override(hidalgo, by=sam)
    assert is_open(hidalgo)
    with pytest.raises(QueueError, match="not overridden"):
        schedule_editing.clear_override(hidalgo, by=sam)


def test_bad_schedule_changes_are_refused(clock, alice, sam, hidalgo):
    with pytest.raises(QueueError, match="future"):
        schedule_editing.set_override(hidalgo, is_open=True, until=START, reason="", by=sam)
    with pytest.raises(QueueError, match="end after"):
        schedule_editing.add_closed_window(hidalgo, starts=START, ends=START, reason="x", by=sam)
    with pytest.raises(QueueError, match="why"):
        schedule_editing.add_closed_window(
            hidalgo, starts=START, ends=START + hours(1), reason=" ", by=sam
        )
    with pytest.raises(QueueError, match="already over"):
        schedule_editing.add_closed_window(
            hidalgo, starts=START - hours(3), ends=START - hours(1), reason="x", by=sam
        )
    with pytest.raises(PermissionDenied):
        schedule_editing.save_timetable(hidalgo, WEEKDAYS, snooze_max_hours=None, by=alice)
    assert is_open(hidalgo)
    assert not AuditEvent.objects.exists()


# --- manage.py auto_close_queues ---------------------------------------------------


def test_auto_close_queues_dry_run_changes_nothing(clock, sam, hidalgo, griffin):
    for machine in (hidalgo, griffin):
        schedule_editing.save_timetable(machine, WEEKDAYS, snooze_max_hours=None, by=sam)
    clock.shift(hours(8))
    out = StringIO()
    call_command("auto_close_queues", "--dry-run", stdout=out)
    assert "would: Griffin: close the queue (outside opening hours)" in out.getvalue()
    assert "would: Hidalgo: close the queue" in out.getvalue()
    assert is_open(hidalgo)
    assert is_open(griffin)


def test_auto_close_queues_for_one_machine(clock, sam, hidalgo, griffin):
    for machine in (hidalgo, griffin):
        schedule_editing.save_timetable(machine, WEEKDAYS, snooze_max_hours=None, by=sam)
    clock.shift(hours(8))
    out = StringIO()
    call_command("auto_close_queues", "--machine", "Hidalgo", stdout=out)
    assert "Hidalgo: close the queue" in out.getvalue()
    assert not is_open(hidalgo)
    assert is_open(griffin)
    with pytest.raises(CommandError, match="No machine named Nope"):
        call_command("auto_close_queues", "--machine", "Nope")
