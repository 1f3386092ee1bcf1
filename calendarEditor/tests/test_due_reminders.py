"""Reminders over time: check in, hold expired, check out (and its snooze), still using it?

Time is frozen with time-machine and moved by hand, so "12 hours later" is exact.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from calendarEditor.models import QueueSchedule
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from calendarEditor.tests.due_support import (
    START,
    count,
    done,
    fresh,
    hours,
    notes,
    queued,
    run,
    running,
)

pytestmark = pytest.mark.django_db


# --- Check-in -------------------------------------------------------------------


@pytest.fixture
def long_hold(hidalgo):
    """Holds outlasting the reminders, so only reminders are in play."""
    hidalgo.on_deck_hold_hours = 48
    hidalgo.save()
    return hidalgo


def test_ready_notice_is_the_first_reminder_then_every_12_hours(clock, alice, sam, long_hold):
    hidalgo = long_hold
    entry = queued(alice, hidalgo, sam)
    assert fresh(entry).on_deck_since == START
    assert count(alice, "ready_to_check_in") == 1
    run()
    clock.shift(hours(11.9))
    run()
    assert count(alice, "check_in_reminder") == 0

    clock.shift(hours(0.1))
    assert done(run(), "check_in_reminders") == 1
    assert done(run(), "check_in_reminders") == 0  # the same pass again sends nothing
    [note] = notes(alice, "check_in_reminder")
    assert note.title == "Reminder: check in for Run"
    assert "held for “Run” until" in note.message

    clock.shift(hours(12))
    run()
    assert count(alice, "check_in_reminder") == 2


def test_check_in_stops_the_reminders(clock, alice, sam, long_hold):
    entry = queued(alice, long_hold, sam)
    clock.shift(hours(12))
    run()
    queue.start(entry, by=alice)
    clock.shift(hours(12))
    run()
    assert count(alice, "check_in_reminder") == 1


def test_no_check_in_reminder_while_the_machine_is_busy(clock, alice, bob, sam, hidalgo):
    running(bob, hidalgo, sam, hours=100)
    queued(alice, hidalgo, sam)
    clock.shift(hours(30))
    run()
    assert count(alice, "check_in_reminder") == 0


def test_a_new_hold_counts_from_its_own_start(clock, alice, bob, sam, long_hold):
    first = queued(alice, long_hold, sam, "First")
    queued(bob, long_hold, sam, "Second")
    clock.shift(hours(12))
    run()
    queue.move(first, to=2, by=sam)  # bob's hold starts now
    clock.shift(hours(11))
    run()
    assert count(bob, "check_in_reminder") == 0
    clock.shift(hours(1))
    run()
    assert count(bob, "check_in_reminder") == 1


# --- The hold -------------------------------------------------------------------


def test_when_the_hold_ends_with_a_reminder_due_one_notice_does_both(clock, alice, sam, hidalgo):
    queued(alice, hidalgo, sam)  # the hold and the reminder interval are both 12 h
    clock.shift(hours(12))
    run()
    assert count(alice, "hold_expired") == 1
    assert count(alice, "check_in_reminder") == 0
    clock.shift(hours(11.9))
    run()
    assert count(alice, "check_in_reminder") == 0
    clock.shift(hours(0.1))
    run()
    assert count(alice, "check_in_reminder") == 1
    assert count(alice, "hold_expired") == 1


def test_hold_expiry_tells_the_member_and_staff_once(clock, alice, sam, hidalgo):
    hidalgo.on_deck_hold_hours = 4
    hidalgo.save()
    entry = queued(alice, hidalgo, sam)
    clock.shift(hours(3.9))
    run()
    assert count(alice, "hold_expired") == count(sam, "staff_hold_expired") == 0

    clock.shift(hours(0.1))
    report = run()
    assert done(report, "hold_expiry") == 2
    [told] = notes(alice, "hold_expired")
    assert told.title == "Your hold on Hidalgo has expired"
    [alert] = notes(sam, "staff_hold_expired")
    assert alert.title == "Alice Tester's hold on Hidalgo expired"
    assert alert.link == f"/schedule/staff/machines/{hidalgo.pk}/queue/#entry-{entry.pk}"

    clock.shift(hours(30))
    run()
    assert count(alice, "hold_expired") == count(sam, "staff_hold_expired") == 1


def test_a_later_hold_expires_again(clock, alice, bob, sam, hidalgo):
    hidalgo.on_deck_hold_hours = 2
    hidalgo.save()
    first = queued(alice, hidalgo, sam, "First")
    queued(bob, hidalgo, sam, "Second")
    clock.shift(hours(2))
    run()
    clock.shift(hours(0.5))
    queue.skip_on_deck(first, by=sam)
    queue.move(first, to=1, by=sam)  # alice holds the machine again, from now
    clock.shift(hours(2))
    run()
    assert count(alice, "hold_expired") == 2


# --- Check-out ------------------------------------------------------------------


def test_check_out_reminder_after_the_estimated_end_then_every_12_hours(clock, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam, hours=10)
    clock.shift(hours(9.9))
    run()
    assert count(alice, "check_out_reminder") == 0

    clock.shift(hours(0.1))
    assert done(run(), "check_out_reminders") == 1
    assert done(run(), "check_out_reminders") == 0
    [note] = notes(alice, "check_out_reminder")
    assert note.title == "Check out of Hidalgo"
    assert "was expected to end Wed 20:00" in note.message

    clock.shift(hours(11.9))
    run()
    assert count(alice, "check_out_reminder") == 1
    clock.shift(hours(0.1))
    run()
    assert count(alice, "check_out_reminder") == 2
    queue.complete(entry, by=alice)
    clock.shift(hours(12))
    run()
    assert count(alice, "check_out_reminder") == 2


@override_settings(CHECK_OUT_REMINDER_AFTER_HOURS=2, CHECK_OUT_REMINDER_REPEAT_HOURS=6)
def test_the_lab_can_remind_a_fixed_delay_after_start(clock, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=10)
    clock.shift(hours(2))
    run()
    clock.shift(hours(6))
    run()
    assert count(alice, "check_out_reminder") == 2


def test_a_snooze_holds_reminders_until_it_ends(clock, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam, hours=10)
    clock.shift(hours(10))
    run()
    clock.shift(hours(1))
    snoozed = queue.snooze_check_out(entry, hours=4, by=alice)
    assert snoozed.entry.check_out_snoozed_until == START + hours(15)
    clock.shift(hours(3.9))
    run()
    assert count(alice, "check_out_reminder") == 1
    clock.shift(hours(0.1))
    run()  # the snooze ended: remind at once
    assert count(alice, "check_out_reminder") == 2
    clock.shift(hours(11.9))
    run()
    assert count(alice, "check_out_reminder") == 2
    clock.shift(hours(0.1))
    run()
    assert count(alice, "check_out_reminder") == 3


def test_a_snooze_before_the_end_moves_the_first_reminder(clock, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam, hours=10)
    clock.shift(hours(9))
    queue.snooze_check_out(entry, hours=5, by=alice)
    clock.shift(hours(4.9))
    run()
    assert count(alice, "check_out_reminder") == 0
    clock.shift(hours(0.1))
    run()
    assert count(alice, "check_out_reminder") == 1


def test_snooze_limits_and_who_may_snooze(clock, alice, bob, sam, hidalgo):
    entry = running(alice, hidalgo, sam, hours=10)
    with pytest.raises(QueueError, match="at most 24 hours"):
        queue.snooze_check_out(entry, hours=25, by=alice)
    with pytest.raises(QueueError, match="more than 0"):
        queue.snooze_check_out(entry, hours=0, by=alice)
    with pytest.raises(PermissionDenied):
        queue.snooze_check_out(entry, hours=2, by=bob)
    QueueSchedule.objects.create(machine=hidalgo, check_out_snooze_max_hours=3)
    with pytest.raises(QueueError, match="at most 3 hours"):
        queue.snooze_check_out(entry, hours=4, by=sam)
    assert fresh(entry).check_out_snoozed_until is None
    queue.snooze_check_out(entry, hours=3, by=sam)  # staff, for the member
    assert fresh(entry).check_out_snoozed_until == START + hours(3)


@override_settings(CHECK_OUT_SNOOZE_MAX_HOURS=6)
def test_the_site_limit_applies_without_a_machine_limit(clock, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam)
    with pytest.raises(QueueError, match="at most 6 hours"):
        queue.snooze_check_out(entry, hours=7, by=alice)


def test_only_a_running_entry_can_be_snoozed(clock, alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam)
    with pytest.raises(QueueError, match="not running"):
        queue.snooze_check_out(entry, hours=2, by=alice)


# --- Still using it? -------------------------------------------------------------


def test_long_runs_are_asked_every_48_hours_until_the_estimated_end(clock, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=120)
    clock.shift(hours(47.9))
    run()
    assert count(alice, "still_in_use") == 0
    clock.shift(hours(0.1))
    run()
    run()
    assert count(alice, "still_in_use") == 1
    clock.shift(hours(48))
    run()
    assert count(alice, "still_in_use") == 2
    clock.shift(hours(48))  # 144 h: past the end, check-out reminders take over
    run()
    assert count(alice, "still_in_use") == 2
    assert count(alice, "check_out_reminder") == 1


@override_settings(STILL_IN_USE_HOURS=0)
def test_still_in_use_can_be_switched_off(clock, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=120)
    clock.shift(hours(100))
    run()
    assert count(alice, "still_in_use") == 0


# --- Quiet hours ----------------------------------------------------------------


@override_settings(QUIET_HOURS_START="00:00", QUIET_HOURS_END="06:00", STILL_IN_USE_HOURS=16)
def test_quiet_hours_hold_non_critical_notices_until_morning(
    clock, alice, bob, sam, hidalgo, griffin, make_machine
):
    # Everything falls due 16 h after Wednesday 10:00: Thursday 02:00, a quiet hour.
    running(alice, hidalgo, sam, hours=200)  # "still using it?": not critical
    running(bob, griffin, sam, hours=16)  # check-out reminder: critical
    optic = make_machine("Optic", on_deck_hold_hours=16)
    queued(alice, optic, sam, "Optic run")  # hold expiry: critical to alice, not to staff
    clock.shift(hours(16))
    report = run()
    assert count(bob, "check_out_reminder") == 1
    assert count(alice, "hold_expired") == 1
    assert count(alice, "still_in_use") == count(sam, "staff_hold_expired") == 0
    assert report.job("still_in_use").held == report.job("hold_expiry").held == 1

    clock.shift(hours(3.9))  # 05:54, still quiet
    run()
    assert count(alice, "still_in_use") == count(sam, "staff_hold_expired") == 0
    clock.shift(hours(0.1))  # 06:00
    run()
    assert count(alice, "still_in_use") == count(sam, "staff_hold_expired") == 1
    assert count(bob, "check_out_reminder") == count(alice, "hold_expired") == 1


@override_settings(QUIET_HOURS_START="22:00", QUIET_HOURS_END="06:00", STILL_IN_USE_HOURS=14)
def test_a_quiet_night_spanning_midnight(clock, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=200)
    clock.shift(hours(12))  # Wed 22:00
    clock.shift(hours(2))  # Thu 00:00: due, and quiet
    assert run().job("still_in_use").held == 1
    clock.shift(hours(5.9))
    run()
    assert count(alice, "still_in_use") == 0
    clock.shift(hours(0.1))  # Thu 06:00
    run()
    assert count(alice, "still_in_use") == 1
