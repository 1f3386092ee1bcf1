"""The staff pages read the same number of queries with 10 and with 500 entries (≤ 12).

The staff queue shows one page of entries (STAFF_QUEUE_PAGE_SIZE); each entry's
reassign menu is read on its own, in queries that do not grow with the fleet.
"""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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


def count_queries(client, url, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
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


@pytest.mark.parametrize("view", ["schedule-staff-queue", "schedule-fragment-staff-queue"])
def test_a_later_page_costs_the_same_as_the_first_whatever_the_queue_length(
    client, settings, sam, busy, hidalgo, view
):
    settings.STAFF_QUEUE_PAGE_SIZE = 50
    add_queued(hidalgo, busy, 1, 120)
    client.force_login(sam)
    url = reverse(view, args=[hidalgo.pk])
    first = count_queries(client, url)
    second = count_queries(client, url + "?page=2")
    add_queued(hidalgo, busy, 121, 500)
    last = count_queries(client, url + "?page=10")
    assert first == second == last, f"page 1: {first}, page 2 of 3: {second}, page 10: {last}"


def test_a_queue_of_500_reads_and_renders_one_page(client, settings, sam, busy, hidalgo):
    """Only the page's entries leave the database, and no reassign menu is rendered."""
    settings.STAFF_QUEUE_PAGE_SIZE = 50
    url = reverse("schedule-staff-queue", args=[hidalgo.pk])
    client.force_login(sam)
    add_queued(hidalgo, busy, 1, 50)
    one_page = client.get(url).content
    add_queued(hidalgo, busy, 51, 500)
    loaded = []
    from_db = QueueEntry.from_db.__func__

    def counting(cls, *args):
        loaded.append(cls)
        return from_db(cls, *args)

    with mock.patch.object(QueueEntry, "from_db", classmethod(counting)):
        response = client.get(url)
    rows = response.context["page"].rows
    assert [row.entry.position for row in rows] == list(range(1, 51))
    assert response.context["page"].queue_length == 500
    assert len(loaded) == 50, "the staff queue loaded entries beyond its page"
    # The same HTML as a queue that fits on one page, give or take the page links:
    # the machine menus load per entry on demand, so only the status menu has options.
    assert response.content.count(b"<option") == one_page.count(b"<option")
    assert len(response.content) < len(one_page) + 2_000


def test_the_reassign_menu_costs_the_same_with_3_and_50_machines(
    client, sam, alice, hidalgo, make_machine, django_assert_max_num_queries
):
    entry = queue.enqueue(entry_request("Noise run"), member=alice, by=sam, machine=hidalgo).entry
    make_machine("Griffin")
    make_machine("Iris", optical_access=True)
    url = reverse("schedule-staff-reassign-options", args=[hidalgo.pk, entry.pk])
    client.force_login(sam)
    with django_assert_max_num_queries(BUDGET):
        few = count_queries(client, url, HTTP_HX_REQUEST="true")
    for i in range(47):
        make_machine(f"Fridge {i:02}", requires_training=i % 2 == 0)
    many = count_queries(client, url, HTTP_HX_REQUEST="true")
    assert many == few, f"{few} queries with 3 machines, {many} with 50"
    assert len(client.get(url, HTTP_HX_REQUEST="true").context["choice"].options) == 49
