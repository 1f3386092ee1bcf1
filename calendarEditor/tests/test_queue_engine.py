"""The queue engine's operations, one behaviour per test (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from calendarEditor.models import AuditEvent, EntryStatus, MachineStatus, QueueEntry, RushStatus
from calendarEditor.services import queue
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.services.events import EventKind
from conftest import entry_request

pytestmark = pytest.mark.django_db


def positions_of(machine):
    return list(
        QueueEntry.objects.filter(machine=machine, status=EntryStatus.QUEUED)
        .order_by("position")
        .values_list("title", "position")
    )


def kinds(result):
    return [event.kind for event in result.events]


def fill(machine, member, titles, by=None):
    return [
        queue.enqueue(entry_request(title), member=member, by=by or member, machine=machine).entry
        if by
        else queue.enqueue(entry_request(title), member=member, by=member).entry
        for title in titles
    ]


def test_enqueue_picks_the_machine_that_frees_soonest(alice, hidalgo, griffin):
    busy = queue.enqueue(entry_request("first", hours=50), member=alice, by=alice)
    second = queue.enqueue(entry_request("second"), member=alice, by=alice)
    assert busy.entry.machine == griffin  # tie on an empty fleet: by name, Griffin < Hidalgo
    assert second.entry.machine == hidalgo
    assert second.entry.position == 1
    assert kinds(second) == [EventKind.ADDED, EventKind.READY_TO_CHECK_IN]


def test_enqueue_without_a_match_saves_nothing_and_explains(alice, hidalgo, griffin):
    with pytest.raises(NoCompatibleMachine) as caught:
        queue.enqueue(entry_request(min_temp=0.001, field_z=20), member=alice, by=alice)
    assert QueueEntry.objects.count() == 0
    assert set(caught.value.result.reasons) == {"Hidalgo", "Griffin"}
    assert any("field B_z" in r for r in caught.value.result.reasons["Hidalgo"])


def test_member_cannot_force_a_machine(alice, hidalgo):
    with pytest.raises(PermissionDenied):
        queue.enqueue(entry_request(), member=alice, by=alice, machine=hidalgo)


def test_staff_choice_is_rechecked(sam, alice, hidalgo, griffin):
    with pytest.raises(NoCompatibleMachine):
        queue.enqueue(entry_request(optical=True), member=alice, by=sam, machine=hidalgo)
    placed = queue.enqueue(entry_request(optical=True), member=alice, by=sam, machine=griffin)
    assert placed.entry.machine == griffin


def test_closed_queue_takes_no_new_entries(alice, hidalgo):
    hidalgo.accepts_entries = False
    hidalgo.save()
    with pytest.raises(NoCompatibleMachine) as caught:
        queue.enqueue(entry_request(), member=alice, by=alice)
    assert caught.value.result.reasons["Hidalgo"] == ("queue closed",)


def test_cancel_moves_the_others_up(alice, bob, sam, hidalgo):
    a, _b, _c = fill(hidalgo, alice, ["a", "b", "c"], by=sam)
    result = queue.cancel(a, by=alice)
    assert positions_of(hidalgo) == [("b", 1), ("c", 2)]
    assert result.entry.position is None
    assert kinds(result) == [
        EventKind.CANCELLED,
        EventKind.READY_TO_CHECK_IN,
        EventKind.POSITION_CHANGED,
    ]
    assert AuditEvent.objects.filter(action="entry.cancelled", entry=a).exists()


def test_another_member_cannot_cancel(alice, bob, sam, hidalgo):
    (a,) = fill(hidalgo, alice, ["a"], by=sam)
    with pytest.raises(PermissionDenied):
        queue.cancel(a, by=bob)
    assert QueueEntry.objects.get(pk=a.pk).status == EntryStatus.QUEUED


def test_cancel_twice_is_refused(alice, sam, hidalgo):
    (a,) = fill(hidalgo, alice, ["a"], by=sam)
    queue.cancel(a, by=alice)
    with pytest.raises(QueueError, match="already cancelled"):
        queue.cancel(a, by=alice)


def test_move_reorders_and_reports(alice, sam, hidalgo):
    _a, _b, c = fill(hidalgo, alice, ["a", "b", "c"], by=sam)
    result = queue.move(c, to=1, by=sam)
    assert positions_of(hidalgo) == [("c", 1), ("a", 2), ("b", 3)]
    assert EventKind.MOVED_BY_STAFF in kinds(result)
    assert EventKind.LEFT_ON_DECK in kinds(result)


@pytest.mark.parametrize("to", [0, 4, -1])
def test_move_out_of_range_changes_nothing(alice, sam, hidalgo, to):
    fill(hidalgo, alice, ["a", "b", "c"], by=sam)
    with pytest.raises(QueueError, match="between 1 and 3"):
        queue.move(QueueEntry.objects.get(title="a"), to=to, by=sam)
    assert positions_of(hidalgo) == [("a", 1), ("b", 2), ("c", 3)]


def test_members_cannot_move(alice, sam, hidalgo):
    _a, b = fill(hidalgo, alice, ["a", "b"], by=sam)
    with pytest.raises(PermissionDenied):
        queue.move(b, to=1, by=alice)


def test_reassign_to_a_compatible_machine(alice, sam, hidalgo, griffin):
    a, _b = fill(hidalgo, alice, ["a", "b"], by=sam)
    (_g,) = fill(griffin, alice, ["g"], by=sam)
    result = queue.reassign(a, to_machine=griffin, by=sam)
    assert positions_of(hidalgo) == [("b", 1)]
    assert positions_of(griffin) == [("g", 1), ("a", 2)]
    assert result.entry.machine_name == "Griffin"


def test_reassign_to_an_incompatible_machine_is_refused_with_reasons(alice, sam, hidalgo, griffin):
    (g,) = fill(griffin, alice, ["g"], by=sam)
    g.required_optical = True
    g.save()
    with pytest.raises(NoCompatibleMachine, match="no optical access"):
        queue.reassign(g, to_machine=hidalgo, by=sam)
    assert positions_of(griffin) == [("g", 1)]


def test_rush_request_approve_goes_first(alice, bob, sam, hidalgo):
    _a, _b, c = fill(hidalgo, alice, ["a", "b", "c"], by=sam)
    queue.request_rush(c, justification="Sample degrades in air", by=alice)
    result = queue.approve_rush(c, by=sam)
    assert positions_of(hidalgo) == [("c", 1), ("a", 2), ("b", 3)]
    assert result.entry.rush_status == RushStatus.APPROVED
    assert kinds(result)[0] == EventKind.RUSH_APPROVED


def test_rush_reject_needs_a_reason_and_keeps_the_order(alice, sam, hidalgo):
    _a, b = fill(hidalgo, alice, ["a", "b"], by=sam)
    queue.request_rush(b, justification="deadline", by=alice)
    with pytest.raises(QueueError, match="reason"):
        queue.reject_rush(b, by=sam, reason="  ")
    queue.reject_rush(b, by=sam, reason="Everyone has a deadline")
    assert QueueEntry.objects.get(pk=b.pk).rush_status == RushStatus.REJECTED
    assert positions_of(hidalgo) == [("a", 1), ("b", 2)]


def test_start_and_complete(alice, sam, hidalgo):
    a, b = fill(hidalgo, alice, ["a", "b"], by=sam)
    started = queue.start(a, by=alice)
    hidalgo.refresh_from_db()
    assert hidalgo.status == MachineStatus.RUNNING
    assert started.entry.status == EntryStatus.RUNNING
    assert started.entry.position is None
    assert positions_of(hidalgo) == [("b", 1)]
    assert EventKind.ON_DECK in kinds(started)  # b reached #1 on a busy machine
    with pytest.raises(QueueError, match="still running"):
        queue.start(b, by=sam)
    finished = queue.complete(a, by=alice)
    hidalgo.refresh_from_db()
    assert hidalgo.status == MachineStatus.WARMUP
    assert kinds(finished) == [EventKind.COMPLETED]
    assert QueueEntry.objects.get(pk=b.pk).on_deck_since is None
    warmed = queue.advance_turnover(hidalgo.pk, now=queue.phase_ends(hidalgo))
    assert [e.kind for e in warmed] == [EventKind.MACHINE_STATUS_CHANGED]
    assert QueueEntry.objects.get(pk=b.pk).on_deck_since is None
    hidalgo.refresh_from_db()
    cooled = queue.advance_turnover(hidalgo.pk, now=queue.phase_ends(hidalgo))
    assert [e.kind for e in cooled] == [EventKind.READY_TO_CHECK_IN]
    assert QueueEntry.objects.get(pk=b.pk).on_deck_since is not None


def test_only_on_deck_can_start(alice, sam, hidalgo):
    _a, b = fill(hidalgo, alice, ["a", "b"], by=sam)
    with pytest.raises(QueueError, match="Only the ON DECK"):
        queue.start(b, by=sam)


def test_version_grows_with_every_change(alice, sam, hidalgo):
    _a, b = fill(hidalgo, alice, ["a", "b"], by=sam)
    hidalgo.refresh_from_db()
    before = hidalgo.queue_version
    queue.move(b, to=1, by=sam)
    hidalgo.refresh_from_db()
    assert hidalgo.queue_version > before


def test_deleting_a_member_closes_the_gap(alice, bob, sam, hidalgo):
    fill(hidalgo, alice, ["a"], by=sam)
    fill(hidalgo, bob, ["b"], by=sam)
    alice.delete()
    assert positions_of(hidalgo) == [("b", 1)]
    assert QueueEntry.objects.get(title="a").status == EntryStatus.CANCELLED


def test_unapproved_members_cannot_join_a_queue(charlie, suspended_sue, sam, hidalgo):
    for outsider in (charlie, suspended_sue):
        with pytest.raises(PermissionDenied):
            queue.enqueue(entry_request(), member=outsider, by=outsider)
        with pytest.raises(PermissionDenied):
            queue.enqueue(entry_request(), member=outsider, by=sam, machine=hidalgo)
    assert QueueEntry.objects.count() == 0


def test_a_check_out_snooze_moves_the_estimates_behind_the_run(alice, bob, sam, hidalgo):
    from calendarEditor import selectors

    a, _b = fill(hidalgo, alice, ["a", "b"], by=sam)
    queue.start(a, by=alice)
    before = selectors.machine_queue_view(hidalgo).placed[0].estimated_start
    running = QueueEntry.objects.get(pk=a.pk)
    running.check_out_snoozed_until = running.started_at + timedelta(
        hours=running.estimated_hours + 5
    )
    running.save(update_fields=["check_out_snoozed_until"])
    hidalgo.refresh_from_db()
    after = selectors.machine_queue_view(hidalgo).placed[0].estimated_start
    assert after - before == timedelta(hours=5)
    # The entry's own page agrees with the machine page.
    waiting = QueueEntry.objects.select_related("machine").get(pk=_b.pk)
    assert selectors.entry_view(waiting).estimated_start == after
