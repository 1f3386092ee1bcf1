"""The board's table is rendered once per change of what it shows (calendarEditor.board_table)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import Machine, MachineStatus
from calendarEditor.services import equipment_issues, machines, queue
from conftest import entry_request

pytestmark = pytest.mark.django_db

BOARD = reverse("schedule-fragment-board")


def table(client):
    response = client.get(BOARD)
    assert response.status_code == 200
    return response.content.decode()


def queries(client, url=BOARD):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def member_client(client, alice, hidalgo, griffin):
    client.force_login(alice)
    return client


def test_an_unchanged_board_is_served_without_rendering_it_again(member_client):
    fresh = queries(member_client)
    cached = queries(member_client)
    # Session, the user with their approval (2) and the fingerprint (1); rendering reads
    # the machines with their queues, the running entries and the open issues (3 more).
    assert (fresh, cached) == (6, 3)
    assert table(member_client) == table(member_client)
    assert queries(member_client, reverse("schedule-board")) <= cached + 1  # + the bell


def test_a_queue_change_shows_at_once(member_client, bob, sam, hidalgo):
    assert "0 waiting" in table(member_client)
    queue.enqueue(entry_request("Bob's sweep"), member=bob, by=sam, machine=hidalgo)
    assert "1 waiting" in table(member_client)


def test_a_new_temperature_shows_at_once(member_client, hidalgo):
    assert "1.83 K" not in table(member_client)
    # The gateway writes readings with an UPDATE that leaves updated_at alone.
    Machine.objects.filter(pk=hidalgo.pk).update(
        current_temperature=1.83, temperature_updated_at=timezone.now()
    )
    assert "1.83 K" in table(member_client)


def test_a_reported_breakdown_and_a_status_change_show_at_once(member_client, alice, sam, hidalgo):
    before = table(member_client)
    equipment_issues.report_issue(
        hidalgo, {"severity": "down", "description": "Compressor tripped"}, by=alice
    )
    reported = table(member_client)
    assert reported != before
    machines.set_status(hidalgo, MachineStatus.MAINTENANCE, by=sam, reason="compressor")
    assert "Out of service" in table(member_client)


def test_the_relative_times_move_on_with_the_clock(member_client, bob, sam, hidalgo):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        running = queue.enqueue(entry_request("Anneal", 20), member=bob, by=sam, machine=hidalgo)
        queue.start(running.entry, by=bob)
        assert "Free in about 35 h" in table(member_client)
        clock.shift(timedelta(hours=2))
        assert "Free in about 33 h" in table(member_client)


def test_a_renamed_running_entry_shows_after_an_admin_edit(admin_client, bob, sam, hidalgo):
    running = queue.enqueue(entry_request("Old title"), member=bob, by=sam, machine=hidalgo).entry
    queue.start(running, by=bob)
    assert "Old title" in table(admin_client)
    change = reverse("admin:calendarEditor_queueentry_change", args=[running.pk])
    response = admin_client.post(change, {"title": "New title", "description": ""})
    assert response.status_code == 302
    assert "New title" in table(admin_client)


@override_settings(QUEUE_PRIVACY="private")
def test_in_private_mode_no_member_is_served_another_members_table(
    client, alice, bob, sam, hidalgo, griffin
):
    bobs = queue.enqueue(entry_request("Bob's secret"), member=bob, by=sam, machine=hidalgo).entry
    queue.start(bobs, by=bob)
    client.force_login(bob)
    assert "Bob&#x27;s secret" in table(client)
    client.force_login(alice)
    assert "Bob&#x27;s secret" not in table(client)
    client.force_login(sam)
    assert "Bob&#x27;s secret" in table(client)
