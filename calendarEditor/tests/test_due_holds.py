"""The ON DECK hold and the skip; staff checking in and out for a member."""

import pytest
from django.core.exceptions import PermissionDenied

from calendarEditor.models import AuditEvent, EntryStatus
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.tests.due_support import (
    START,
    count,
    event_kinds,
    fresh,
    hours,
    notes,
    queued,
    running,
)

pytestmark = pytest.mark.django_db


# --- Skipping an expired hold --------------------------------------------------------


@pytest.fixture
def two_waiting(clock, alice, bob, sam, hidalgo):
    hidalgo.on_deck_hold_hours = 4
    hidalgo.save()
    return queued(alice, hidalgo, sam, "First"), queued(bob, hidalgo, sam, "Second")


def test_staff_skip_an_expired_hold_and_both_members_are_told(clock, sam, alice, bob, two_waiting):
    first, second = two_waiting
    clock.shift(hours(4))
    result = queue.skip_on_deck(first, by=sam, reason="Not answering on Slack")
    assert (fresh(first).position, fresh(second).position) == (2, 1)
    assert fresh(first).on_deck_since is None
    assert fresh(second).on_deck_since == START + hours(4)
    assert EventKind.MOVED_BY_STAFF in event_kinds(result)
    [moved] = notes(alice, "moved_by_staff")
    assert "moved “First” from #1 to #2 on Hidalgo" in moved.message
    assert "hold" in moved.message
    assert "Not answering on Slack" in moved.message
    assert notes(alice, "ready_to_check_in")[0].superseded_at is not None
    assert count(bob, "ready_to_check_in") == 1
    audit = AuditEvent.objects.get(action="entry.skipped")
    assert (audit.actor, audit.reason) == (sam, "Not answering on Slack")


def test_no_skip_before_the_hold_ends(clock, sam, two_waiting):
    first, _second = two_waiting
    clock.shift(hours(3.9))
    with pytest.raises(QueueError, match="can be skipped after that"):
        queue.skip_on_deck(first, by=sam)
    assert fresh(first).position == 1


def test_only_staff_skip(clock, alice, bob, two_waiting):
    first, _second = two_waiting
    clock.shift(hours(5))
    for member in (alice, bob):
        with pytest.raises(PermissionDenied):
            queue.skip_on_deck(first, by=member)


def test_skip_needs_someone_behind_and_a_held_machine(clock, alice, bob, sam, hidalgo, griffin):
    alone = queued(alice, griffin, sam, "Alone")
    clock.shift(hours(13))
    with pytest.raises(QueueError, match="Nobody waits behind"):
        queue.skip_on_deck(alone, by=sam)
    running(bob, hidalgo, sam, "Busy")
    waiting = queued(alice, hidalgo, sam, "Waiting")
    queued(bob, hidalgo, sam, "Behind")
    with pytest.raises(QueueError, match="not free"):
        queue.skip_on_deck(waiting, by=sam)
    with pytest.raises(QueueError, match="Only the ON DECK"):
        queue.skip_on_deck(fresh(waiting).pk + 1, by=sam)


# --- Staff checking in and out for a member ----------------------------------------


def test_staff_check_in_and_out_tell_the_member(clock, alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam)
    queue.start(entry, by=sam)
    [started] = notes(alice, "entry_started")
    assert started.message.startswith("Sam Tester started “Run” on Hidalgo")
    clock.shift(hours(10))
    queue.complete(entry, by=sam, note="Sample left in the cryostat")
    [completed] = notes(alice, "entry_completed")
    assert completed.message.startswith("Sam Tester checked out “Run” on Hidalgo")
    assert "Sample left in the cryostat" in completed.message


def test_members_checking_in_and_out_themselves_get_no_notice(clock, alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam)
    queue.start(entry, by=alice)
    queue.complete(entry, by=alice)
    assert count(alice, "entry_started") == count(alice, "entry_completed") == 0
    assert fresh(entry).status == EntryStatus.COMPLETED
