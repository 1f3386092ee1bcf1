"""Queue events become the right notice, once, for the right member."""

import logging
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import Delivery, Notification, NotificationPreference
from calendarEditor.services import machines, queue
from calendarEditor.services.notifications import outbox
from calendarEditor.templatetags.queue_tags import start_time
from calendarEditor.tests.fake_slack import recording  # noqa: F401  (fixture)
from conftest import entry_request

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls(__name__),
    pytest.mark.usefixtures("recording"),
]


def notes(user, **filters):
    return list(Notification.objects.filter(recipient=user, **filters).order_by("pk"))


def current(user):
    return notes(user, read_at__isnull=True, superseded_at__isnull=True)


def kinds(user):
    return [n.kind for n in notes(user)]


def queued(member, machine, by, title="Run", hours=10):
    return queue.enqueue(entry_request(title, hours), member=member, by=by, machine=machine).entry


@pytest.fixture
def running(sam, hidalgo, django_user_model):
    """Hidalgo busy with griff's 10 h run, started now."""
    from conftest import make_user

    griff = make_user(django_user_model, "griff")
    entry = queued(griff, hidalgo, sam, "Long run", 10)
    queue.start(entry, by=griff)
    entry.refresh_from_db()
    return entry


def test_recorder_is_registered():
    from calendarEditor.services import events
    from calendarEditor.services.notifications import recorder

    assert recorder.record_queue_events in events._in_transaction_recorders


def test_joining_the_back_tells_the_member_where_and_when(alice, bob, sam, hidalgo, running):
    queued(bob, hidalgo, sam, "Bob first")
    entry = queue.enqueue(entry_request("Sweep"), member=alice, by=alice).entry
    [note] = notes(alice)
    assert note.kind == "entry_added"
    assert note.title == "Sweep queued on Hidalgo at #2"
    assert "Estimated start" in note.message
    assert note.link == f"/schedule/entries/{entry.pk}/"
    assert (note.entry_id, note.machine_id) == (entry.pk, hidalgo.pk)


def test_reaching_first_on_a_busy_machine_is_on_deck_until_the_run_ends(alice, hidalgo, running):
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    [note] = notes(alice)
    expected_end = start_time(running.started_at + timedelta(hours=10))
    assert note.kind == "on_deck"
    assert note.message.startswith(
        f"Queued on Hidalgo — you're ON DECK for Hidalgo (machine running until ~{expected_end})"
    )


def test_reaching_first_on_a_free_machine_is_ready_to_check_in(alice, hidalgo):
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    [note] = notes(alice)
    assert note.kind == "ready_to_check_in"
    assert note.title == "Hidalgo is free: check in for Sweep"
    assert "you're ready to check in" in note.message


def test_staff_move_to_first_is_one_notice_and_withdraws_the_old_on_deck(
    alice, bob, sam, hidalgo, running
):
    bobs = queued(bob, hidalgo, sam, "Bob's")
    alices = queued(alice, hidalgo, sam, "Alice's")
    bob_on_deck = Notification.objects.get(recipient=bob, kind="on_deck")
    Notification.objects.filter(recipient=alice).delete()

    queue.move(alices, to=1, by=sam, reason="cooldown slot")

    [note] = notes(alice)
    assert note.kind == "on_deck"
    assert note.message.startswith("Moved by staff to #1 — you're ON DECK for Hidalgo (machine")
    bob_on_deck.refresh_from_db()
    assert bob_on_deck.superseded_at is not None
    assert [n.kind for n in current(bob)] == ["position_changed"]
    assert current(bob)[0].title == "Bob's is now #2 on Hidalgo"
    assert bobs.pk == current(bob)[0].entry_id


def test_staff_move_further_back_is_moved_by_staff(alice, bob, sam, hidalgo, running):
    alices = queued(alice, hidalgo, sam, "Alice's")
    queued(bob, hidalgo, sam, "Bob's")
    Notification.objects.all().delete()
    queue.move(alices, to=2, by=sam, reason="not ready")
    [note] = notes(alice)
    assert note.kind == "moved_by_staff"
    assert note.message.startswith("Sam Tester moved “Alice's” from #1 to #2 on Hidalgo.")
    assert "Reason: not ready" in note.message
    assert kinds(bob) == ["on_deck"]


def test_complete_makes_the_next_ready_and_replaces_their_on_deck(alice, sam, hidalgo, running):
    queued(alice, hidalgo, sam, "Alice's")
    queue.complete(running, by=sam)
    for _phase in ("warmup", "cooldown"):
        hidalgo.refresh_from_db()
        queue.advance_turnover(hidalgo.pk, now=queue.phase_ends(hidalgo))
    on_deck, ready = notes(alice, kind__in=["on_deck", "ready_to_check_in"])
    assert (on_deck.kind, ready.kind) == ("on_deck", "ready_to_check_in")
    assert on_deck.superseded_at is not None
    assert ready.superseded_at is None
    assert "held for you until" in ready.message
    assert kinds(running.member)[-1] == "entry_completed"


def test_checking_in_yourself_needs_no_notice_but_the_next_is_on_deck(alice, bob, sam, hidalgo):
    first = queued(alice, hidalgo, sam, "First")
    queued(bob, hidalgo, sam, "Second")
    Notification.objects.all().delete()
    queue.start(first, by=alice)
    assert notes(alice) == []
    [note] = notes(bob)
    assert note.kind == "on_deck"
    assert "machine running until" in note.message


def test_a_staff_start_is_told_and_withdraws_ready(alice, sam, hidalgo):
    entry = queued(alice, hidalgo, sam, "Sweep")
    queue.start(entry, by=sam)
    ready, started = notes(alice)
    assert started.kind == "entry_started"
    assert "Sam Tester started" in started.message
    ready.refresh_from_db()
    assert ready.superseded_at is not None


def test_cancel_by_staff_tells_the_member_and_the_queue_behind(alice, bob, sam, hidalgo, running):
    alices = queued(alice, hidalgo, sam, "Alice's")
    queued(bob, hidalgo, sam, "Bob's 1")
    queued(bob, hidalgo, sam, "Bob's 2")
    Notification.objects.all().delete()
    queue.cancel(alices, by=sam, reason="no show")
    [cancelled] = notes(alice)
    assert cancelled.kind == "entry_cancelled"
    assert cancelled.message == "Sam Tester cancelled “Alice's” on Hidalgo. Reason: no show"
    assert kinds(bob) == ["on_deck", "position_changed"]


def test_moves_of_several_entries_collapse_into_one_notice(alice, bob, sam, hidalgo, running):
    bobs = queued(bob, hidalgo, sam, "Bob's")
    for title in ("A1", "A2", "A3"):
        queued(alice, hidalgo, sam, title)
    Notification.objects.all().delete()
    queue.cancel(bobs, by=bob)
    assert notes(bob) == []
    on_deck, moved = notes(alice)
    assert on_deck.kind == "on_deck"
    assert on_deck.title == "A1 is ON DECK on Hidalgo"
    assert moved.kind == "position_changed"
    assert moved.title == "Your places in Hidalgo's queue changed"
    assert moved.message.splitlines()[0].startswith("“A2” is now #2 (was #3)")
    assert moved.link == "/schedule/my/"


def test_a_second_position_change_replaces_the_unread_first(alice, bob, sam, hidalgo, running):
    bobs = [queued(bob, hidalgo, sam, f"B{i}") for i in range(3)]
    queued(alice, hidalgo, sam, "Mine")
    queue.cancel(bobs[1], by=bob)
    queue.cancel(bobs[2], by=bob)
    first, second = notes(alice, kind="position_changed")
    assert first.superseded_at is not None
    assert second.superseded_at is None
    assert second.title == "Mine is now #2 on Hidalgo"
    assert second.message.startswith("“Mine” is now #2 (was #3)")
    queue.cancel(bobs[0], by=bob)
    second.refresh_from_db()
    assert second.superseded_at is not None  # ON DECK now says it all
    assert [n.kind for n in current(alice)] == ["entry_added", "on_deck"]


def test_reassign_names_both_machines(alice, sam, hidalgo, griffin, running):
    queued(sam, griffin, sam, "Griffin busy")
    entry = queued(alice, hidalgo, sam, "Sweep")
    Notification.objects.all().delete()
    queue.reassign(entry, to_machine=griffin, by=sam, reason="field")
    [note] = notes(alice)
    assert note.kind == "entry_reassigned"
    assert note.message.startswith(
        "Sam Tester moved “Sweep” from Hidalgo to Griffin, where it is #2"
    )


def test_rush_request_reaches_staff_and_approval_is_one_notice(
    alice, bob, sam, hidalgo, running, django_user_model
):
    from conftest import make_user

    olga = make_user(django_user_model, "olga", staff=True)
    queued(bob, hidalgo, sam, "Bob's")
    entry = queued(alice, hidalgo, sam, "Urgent")
    Notification.objects.all().delete()
    queue.request_rush(entry, justification="beamtime Friday", by=alice)
    assert kinds(alice) == ["rush_submitted"]
    for manager in (sam, olga):
        [review] = notes(manager)
        assert review.kind == "staff_rush_to_review"
        assert review.message.endswith("first: beamtime Friday")
        assert review.link == "/schedule/staff/"
    queue.approve_rush(entry, by=sam)
    approved = notes(alice)[-1]
    assert approved.kind == "on_deck"
    assert approved.message.startswith("Rush approved — you're ON DECK")
    assert kinds(alice) == ["rush_submitted", "on_deck"]


def test_rush_rejection_carries_the_reason(alice, bob, sam, hidalgo, running):
    queued(bob, hidalgo, sam, "Bob's")
    entry = queued(alice, hidalgo, sam, "Urgent")
    queue.request_rush(entry, justification="please", by=alice)
    queue.reject_rush(entry, by=sam, reason="Bob's run is booked")
    note = notes(alice)[-1]
    assert note.kind == "rush_rejected"
    assert "did not approve the rush request for “Urgent”: Bob's run is booked." in note.message


def test_machine_status_reaches_members_with_entries_and_withdraws_ready(
    alice, bob, sam, hidalgo, griffin
):
    first = queued(alice, hidalgo, sam, "First")
    queued(bob, hidalgo, sam, "Second")
    queued(sam, griffin, sam, "Elsewhere")
    ready = Notification.objects.get(recipient=alice, kind="ready_to_check_in")
    machines.set_status(hidalgo, "maintenance", by=sam, reason="helium leak")
    assert notes(bob)[-1].title == "Hidalgo is now in maintenance"
    assert notes(bob)[-1].message == "Hidalgo is now in maintenance. Reason: helium leak"
    assert notes(alice)[-1].kind == "machine_status_changed"
    ready.refresh_from_db()
    assert ready.superseded_at is not None
    assert not notes(sam, kind="machine_status_changed")  # the actor, and not on Hidalgo
    machines.set_status(hidalgo, "idle", by=sam)
    assert current(alice)[-1].kind == "ready_to_check_in"
    assert current(alice)[-1].entry_id == first.pk


def test_queue_closed_reaches_members_and_opened_only_those_who_asked(
    alice, bob, sam, hidalgo, griffin
):
    queued(alice, hidalgo, sam, "Mine")
    NotificationPreference.objects.create(user=bob, kind="queue_opened", in_app=True)
    machines.set_queue_open(hidalgo, False, by=sam, reason="holiday")
    assert kinds(alice)[-1] == "queue_closed"
    assert notes(bob) == []
    machines.set_queue_open(hidalgo, True, by=sam)
    assert kinds(alice)[-1] == "queue_closed"  # off by default: no "opened" for alice
    [opened] = notes(bob)
    assert opened.title == "Hidalgo's queue is open"
    assert opened.link == f"/schedule/machines/{hidalgo.pk}/"


def test_machine_edits_reach_members_with_entries(alice, sam, hidalgo):
    queued(alice, hidalgo, sam, "Mine")
    machines.update_machine(hidalgo, {"location": "Room 2"}, by=sam)
    assert kinds(alice)[-1] == "machine_edited"


def test_a_rolled_back_queue_change_leaves_no_notification_or_delivery(alice, hidalgo):
    written_inside = []

    def change_then_fail():
        with transaction.atomic():
            queue.enqueue(entry_request("Doomed"), member=alice, by=alice)
            written_inside.append(Notification.objects.count())
            raise RuntimeError("the view failed after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written_inside == [1]  # written inside the transaction…
    assert Notification.objects.count() == 0  # …and gone with it
    assert Delivery.objects.count() == 0


def test_a_failing_recorder_never_blocks_the_queue_change(alice, hidalgo, monkeypatch, caplog):
    # The outbox renders every notice before its first write, so a template or
    # code error leaves nothing half-written; a database error fails the change.
    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(outbox, "_prepare", broken)
    with caplog.at_level(logging.ERROR):
        entry = queue.enqueue(entry_request("Survives"), member=alice, by=alice).entry
    entry.refresh_from_db()
    assert entry.position == 1
    assert Notification.objects.count() == 0
    assert "notifications for ['added'" in caplog.text


def test_never_two_current_unread_notices_about_one_thing(alice, bob, sam, hidalgo, griffin):
    entries = [queued(m, hidalgo, sam, f"{m.username} {i}") for i in range(3) for m in (alice, bob)]
    queue.start(entries[0], by=sam)
    queue.move(entries[3], to=1, by=sam)
    queue.move(entries[2], to=1, by=sam)
    machines.set_status(hidalgo, "maintenance", by=sam)
    queue.complete(entries[0], by=sam)
    machines.set_status(hidalgo, "cooldown", by=sam)
    machines.set_status(hidalgo, "idle", by=sam)
    queue.reassign(entries[4], to_machine=griffin, by=sam)
    for member in (alice, bob):
        keys = [n.dedupe_key for n in current(member)]
        assert len(keys) == len(set(keys)), keys


def test_an_identical_unread_notice_is_not_written_twice(alice, hidalgo):
    first = outbox.notify("machine_edited", [alice], machine=hidalgo)
    again = outbox.notify("machine_edited", [alice], machine=hidalgo)
    assert len(first) == 1
    assert again == []
    assert Notification.objects.filter(recipient=alice).count() == 1
    Notification.objects.update(read_at=timezone.now())
    assert len(outbox.notify("machine_edited", [alice], machine=hidalgo)) == 1


@override_settings(QUEUE_POSITION_NOTICE_DEPTH=2)
def test_a_place_change_far_back_writes_no_notice(alice, bob, sam, hidalgo, running):
    bobs = queued(bob, hidalgo, sam, "Bob's")
    mine = [queued(alice, hidalgo, sam, f"A{i}") for i in range(3)]
    Notification.objects.all().delete()
    queue.cancel(bobs, by=bob)
    mine[2].refresh_from_db()
    assert mine[2].position == 3
    on_deck, moved = notes(alice)
    assert (on_deck.kind, moved.kind) == ("on_deck", "position_changed")
    assert moved.title == "A1 is now #2 on Hidalgo"  # A2, now #3, is past the depth
