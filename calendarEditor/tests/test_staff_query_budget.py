"""The staff pages read the same number of queries with 10 and with 500 entries (≤ 12)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import EntryStatus, QueueEntry, RushStatus
from calendarEditor.services import queue
from conftest import entry_request

pytestmark = pytest.mark.django_db

BUDGET = 12


def add_queued(machine, members, first, last):
    """Queued entries at positions first..last, every tenth asking for a rush."""
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=members[i % len(members)],
            member_name=members[i % len(members)].get_username(),
            title=f"Run {i}",
            estimated_hours=5 + i % 7,
            machine=machine,
            machine_name=machine.name,
            position=i,
            status=EntryStatus.QUEUED,
            rush_status=RushStatus.PENDING if i % 10 == 0 else RushStatus.NONE,
            rush_justification="Deadline" if i % 10 == 0 else "",
            required_daughterboard="DIP" if i % 3 == 0 else "",
            required_capabilities=["squid"] if i % 5 == 0 else [],
        )
        for i in range(first, last + 1)
    )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def busy(sam, alice, bob, charlie, hidalgo, griffin, make_machine):
    """A running entry on Griffin, a third machine, and a pending account."""
    make_machine("Iris", optical_access=True, capabilities=["squid"])
    running = queue.enqueue(entry_request("Long run"), member=bob, by=sam, machine=griffin).entry
    queue.start(running, by=sam)
    return [alice, bob]


@pytest.mark.parametrize("page", ["dashboard", "queue"])
def test_staff_pages_cost_the_same_with_10_and_500_entries(
    client, sam, busy, hidalgo, griffin, page, django_assert_max_num_queries
):
    url = (
        reverse("schedule-staff-dashboard")
        if page == "dashboard"
        else reverse("schedule-staff-queue", args=[hidalgo.pk])
    )
    add_queued(hidalgo, busy, 1, 10)
    add_queued(griffin, busy, 1, 10)
    client.force_login(sam)
    with django_assert_max_num_queries(BUDGET):
        few = count_queries(client, url)
    add_queued(hidalgo, busy, 11, 500)
    add_queued(griffin, busy, 11, 500)
    many = count_queries(client, url)
    assert many == few, f"{page}: {few} queries with 10 entries, {many} with 500"


def test_the_queue_of_500_is_listed_whole_and_in_order(client, sam, busy, hidalgo):
    add_queued(hidalgo, busy, 1, 500)
    client.force_login(sam)
    rows = client.get(reverse("schedule-staff-queue", args=[hidalgo.pk])).context["page"].rows
    assert [row.entry.position for row in rows] == list(range(1, 501))
    assert rows[-1].placed.estimated_start > timezone.now()
