"""Acting on one's own entries from the pages: cancel, rush, check in and out."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import EntryStatus, QueueEntry, RushStatus
from calendarEditor.services import queue
from calendarEditor.tests.member_support import messages_of, queue_on

pytestmark = pytest.mark.django_db


# --- Acting on an entry ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "schedule-entry-cancel",
        "schedule-entry-rush",
        "schedule-entry-check-in",
        "schedule-entry-check-out",
    ],
)
def test_actions_refuse_get(client, alice, sam, hidalgo, name):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    client.force_login(alice)
    assert client.get(reverse(name, args=[entry.pk])).status_code == 405
    assert QueueEntry.objects.get(pk=entry.pk).status == EntryStatus.QUEUED


@pytest.mark.parametrize(
    "name",
    [
        "schedule-entry-cancel",
        "schedule-entry-rush",
        "schedule-entry-check-in",
        "schedule-entry-check-out",
    ],
)
def test_actions_on_another_members_entry_are_404(client, alice, bob, sam, hidalgo, name):
    queue_on(hidalgo, alice, "Alice first", by=sam)
    entry = queue_on(hidalgo, alice, "Alice second", by=sam)
    client.force_login(bob)
    response = client.post(reverse(name, args=[entry.pk]), {"justification": "mine now"})
    assert response.status_code == 404
    unchanged = QueueEntry.objects.get(pk=entry.pk)
    assert (unchanged.status, unchanged.position, unchanged.rush_status) == ("queued", 2, "")


@pytest.mark.parametrize(
    "name",
    [
        "schedule-entry-cancel",
        "schedule-entry-rush",
        "schedule-entry-check-in",
        "schedule-entry-check-out",
    ],
)
def test_actions_need_a_login(client, alice, sam, hidalgo, name):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    response = client.post(reverse(name, args=[entry.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_cancel_moves_the_others_up(client, alice, bob, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Alice first", by=sam)
    behind = queue_on(hidalgo, bob, "Bob behind", by=sam)
    client.force_login(alice)

    response = client.post(reverse("schedule-entry-cancel", args=[mine.pk]))

    assert response["Location"] == reverse("schedule-my-queue")
    assert QueueEntry.objects.get(pk=mine.pk).status == EntryStatus.CANCELLED
    assert QueueEntry.objects.get(pk=behind.pk).position == 1
    assert messages_of(response) == ["Cancelled “Alice first”. The entries behind it moved up."]


def test_cancel_twice_says_why_and_changes_nothing(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    client.force_login(alice)
    client.post(reverse("schedule-entry-cancel", args=[entry.pk]))
    response = client.post(reverse("schedule-entry-cancel", args=[entry.pk]))
    assert response.status_code == 302
    assert messages_of(response)[-1] == "Alice's entry is already cancelled."


def test_staff_may_cancel_any_entry(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    client.force_login(sam)
    client.post(reverse("schedule-entry-cancel", args=[entry.pk]))
    assert QueueEntry.objects.get(pk=entry.pk).status == EntryStatus.CANCELLED


def test_an_outside_next_address_is_ignored(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    client.force_login(alice)
    response = client.post(
        reverse("schedule-entry-cancel", args=[entry.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("schedule-my-queue")


def test_rush_request_with_a_reason(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob first", by=sam)
    entry = queue_on(hidalgo, alice, "Alice second", by=sam)
    client.force_login(alice)
    response = client.post(
        reverse("schedule-entry-rush", args=[entry.pk]), {"justification": "Sample degrades in air"}
    )
    assert response["Location"] == reverse("schedule-entry", args=[entry.pk])
    entry.refresh_from_db()
    assert (entry.rush_status, entry.rush_justification) == (
        RushStatus.PENDING,
        "Sample degrades in air",
    )


def test_rush_request_without_a_reason_is_refused(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob first", by=sam)
    entry = queue_on(hidalgo, alice, "Alice second", by=sam)
    client.force_login(alice)
    response = client.post(reverse("schedule-entry-rush", args=[entry.pk]), {"justification": "  "})
    assert response.status_code == 200
    assert "Say why this run cannot wait for its turn." in response.content.decode()
    assert QueueEntry.objects.get(pk=entry.pk).rush_status == RushStatus.NONE


def test_rush_for_the_first_in_line_is_refused_with_a_message(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice first", by=sam)
    client.force_login(alice)
    response = client.post(
        reverse("schedule-entry-rush", args=[entry.pk]), {"justification": "now"}
    )
    assert messages_of(response) == ["Alice first is already first in line."]
    assert QueueEntry.objects.get(pk=entry.pk).rush_status == RushStatus.NONE


def test_check_in_and_out(client, alice, bob, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice first", by=sam)
    behind = queue_on(hidalgo, bob, "Bob behind", by=sam)
    client.force_login(alice)

    client.post(reverse("schedule-entry-check-in", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.RUNNING
    assert QueueEntry.objects.get(pk=behind.pk).position == 1

    response = client.post(reverse("schedule-entry-check-out", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == EntryStatus.COMPLETED
    assert "is free for the next member" in messages_of(response)[-1]


def test_check_in_out_of_turn_is_refused(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob first", by=sam)
    entry = queue_on(hidalgo, alice, "Alice second", by=sam)
    client.force_login(alice)
    response = client.post(reverse("schedule-entry-check-in", args=[entry.pk]))
    assert messages_of(response) == ["Only the ON DECK entry can start; Alice second is #2."]
    assert QueueEntry.objects.get(pk=entry.pk).status == EntryStatus.QUEUED


def test_running_entry_shows_its_expected_end(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice run", by=sam, hours=6)
    queue.start(entry, by=alice)
    client.force_login(alice)
    html = client.get(reverse("schedule-entry", args=[entry.pk])).content.decode()
    assert "Expected end" in html
    assert "in about 6 h" in html
    assert reverse("schedule-entry-check-out", args=[entry.pk]) in html


def test_only_the_last_twenty_finished_entries_are_listed(client, alice, sam, hidalgo):
    for number in range(22):
        entry = queue_on(hidalgo, alice, f"Old run {number:02d}", by=sam)
        queue.cancel(entry, by=alice)
        QueueEntry.objects.filter(pk=entry.pk).update(
            cancelled_at=timezone.now() + timedelta(minutes=number)
        )
    client.force_login(alice)
    html = client.get(reverse("schedule-my-queue")).content.decode()
    assert "Old run 21" in html
    assert "Old run 02" in html
    assert "Old run 01" not in html
