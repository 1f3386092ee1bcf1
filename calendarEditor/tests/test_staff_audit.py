"""The audit log page: newest first, filters that never fail, pages of 50."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import AuditEvent
from calendarEditor.services import machines, queue
from conftest import entry_request

pytestmark = pytest.mark.django_db

URL = "schedule-staff-audit"


def flashed(response):
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return texts


def listed(response):
    return [event.summary for event in response.context["page"].object_list]


@pytest.fixture
def history(sam, alice, hidalgo, griffin):
    """A few real events: an entry added on each machine, a status change, a queue closed."""
    queue.enqueue(entry_request("Hall bar"), member=alice, by=sam, machine=hidalgo)
    queue.enqueue(entry_request("Optics"), member=alice, by=alice)
    machines.set_status(hidalgo, "maintenance", by=sam, reason="Helium refill")
    machines.set_queue_open(griffin, False, by=sam, reason="Service visit")
    return AuditEvent.objects.all()


def test_only_staff_see_the_log(client, alice):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(reverse(URL)).status_code == 403


def test_the_log_lists_newest_first_with_who_what_and_why(client, sam, history):
    client.force_login(sam)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert listed(response) == [
        "Griffin's queue closed",
        "Hidalgo: Idle → Maintenance",
        "Optics queued on Griffin at #1",
        "Hall bar queued on Hidalgo at #1",
    ]
    page = response.content.decode()
    assert "Helium refill" in page
    assert "machine.status" in page
    assert ">alice<" in page  # the member who submitted


def test_filter_by_action_machine_actor_and_dates(client, sam, history):
    client.force_login(sam)
    assert listed(client.get(reverse(URL), {"action": "machine.status"})) == [
        "Hidalgo: Idle → Maintenance"
    ]
    assert listed(client.get(reverse(URL), {"machine": "hidal"})) == [
        "Hidalgo: Idle → Maintenance",
        "Hall bar queued on Hidalgo at #1",
    ]
    assert listed(client.get(reverse(URL), {"actor": "alice"})) == [
        "Optics queued on Griffin at #1"
    ]
    today = timezone.localdate()
    assert len(listed(client.get(reverse(URL), {"date_from": today, "date_to": today}))) == 4
    tomorrow = today + timedelta(days=1)
    assert listed(client.get(reverse(URL), {"date_from": tomorrow})) == []


def test_bad_filters_are_reported_and_the_good_ones_still_apply(client, sam, history):
    client.force_login(sam)
    response = client.get(reverse(URL), {"date_from": "yesterday-ish", "actor": "alice"})
    assert response.status_code == 200
    [message] = flashed(response)
    assert "Some filters were ignored" in message
    assert "valid date" in message
    assert listed(response) == ["Optics queued on Griffin at #1"]
    response = client.get(reverse(URL), {"action": "no.such.action", "page": "many"})
    assert response.status_code == 200
    assert len(listed(response)) == 4


def test_a_reversed_date_range_is_ignored(client, sam, history):
    client.force_login(sam)
    today = timezone.localdate()
    response = client.get(reverse(URL), {"date_from": today, "date_to": today - timedelta(days=3)})
    assert "before the start date" in flashed(response)[0]
    assert len(listed(response)) == 4


def test_machine_edits_show_each_change(client, sam, hidalgo):
    machines.update_machine(hidalgo, {"min_temp": 0.3, "location": "B112"}, by=sam)
    client.force_login(sam)
    page = client.get(reverse(URL)).content.decode()
    assert "0.01 → 0.3" in page
    assert "(empty) → B112" in page


def test_pages_of_fifty_keep_the_filters(client, sam, hidalgo):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="entry.moved", actor_name="sam", machine_name="Hidalgo", summary=f"Move {i}"
        )
        for i in range(120)
    )
    client.force_login(sam)
    first = client.get(reverse(URL), {"action": "entry.moved"})
    assert len(listed(first)) == 50
    assert "?action=entry.moved&amp;page=2" in first.content.decode()
    last = client.get(reverse(URL), {"action": "entry.moved", "page": 3})
    assert len(listed(last)) == 20


def test_the_log_reads_a_constant_number_of_queries(client, sam, alice, hidalgo):
    entry = queue.enqueue(entry_request(), member=alice, by=sam, machine=hidalgo).entry

    def add(count):
        AuditEvent.objects.bulk_create(
            AuditEvent(
                action="entry.moved",
                actor=sam,
                actor_name="sam",
                machine=hidalgo,
                machine_name="Hidalgo",
                entry=entry,
                summary=f"Move {i}",
            )
            for i in range(count)
        )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(URL)).status_code == 200
        return len(captured)

    client.force_login(sam)
    add(10)
    few = queries()
    add(490)
    assert queries() == few <= 8
