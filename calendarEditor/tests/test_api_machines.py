"""Machines and their queues over the API, with the privacy rules the pages use."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from calendarEditor.models import EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import queue
from calendarEditor.tests.api_support import URLCONF, get, token_for
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]


def queue_on(machine, member, title, *, by, hours=10):
    return queue.enqueue(entry_request(title, hours), member=member, by=by, machine=machine).entry


def bulk_queue(machine, members, count):
    """``count`` queued entries at positions 1..count, made directly so setup stays fast."""
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=members[n % len(members)],
            member_name=members[n % len(members)].get_username(),
            title=f"run {n}",
            estimated_hours=1,
            machine=machine,
            machine_name=machine.name,
            position=n + 1,
            status=EntryStatus.QUEUED,
        )
        for n in range(count)
    )


@pytest.fixture
def busy_hidalgo(hidalgo, alice, bob, sam):
    """Bob runs "Bob's run" on Hidalgo; bob's "Bob waits" is #1, alice's "Alice waits" #2."""
    running = queue_on(hidalgo, bob, "Bob's run", by=sam, hours=8)
    queue.start(running, by=sam)
    queue_on(hidalgo, bob, "Bob waits", by=sam, hours=5)
    queue_on(hidalgo, alice, "Alice waits", by=sam, hours=2)
    return hidalgo


def test_list_gives_status_queue_and_when_each_frees(client, alice, busy_hidalgo, griffin):
    now = timezone.now()
    Machine.objects.filter(pk=busy_hidalgo.pk).update(
        current_temperature=1.8, temperature_updated_at=now - timedelta(minutes=2)
    )
    with time_machine.travel(now, tick=False):
        response = get(client, "/api/machines", token_for(alice))
    assert response.status_code == 200
    griffin_row, hidalgo_row = response.json()
    assert [griffin_row["name"], hidalgo_row["name"]] == ["Griffin", "Hidalgo"]
    assert hidalgo_row["status"] == MachineStatus.RUNNING
    assert hidalgo_row["status_label"] == "Running"
    assert hidalgo_row["queue_length"] == 2
    assert hidalgo_row["queued_hours"] == 7
    assert hidalgo_row["temperature"]["kelvin"] == 1.8
    assert hidalgo_row["temperature"]["stale"] is False
    assert hidalgo_row["running"]["title"] == "Bob's run"
    assert griffin_row["running"] is None
    assert griffin_row["queue_length"] == 0
    assert griffin_row["temperature"] == {"kelvin": None, "read_at": None, "stale": True}


def test_a_stale_temperature_is_not_given_as_a_number(client, alice, hidalgo, settings):
    settings.TEMPERATURE_STALE_MINUTES = 15
    hidalgo.current_temperature = 4.2
    hidalgo.temperature_updated_at = timezone.now() - timedelta(hours=2)
    hidalgo.save()
    row = get(client, "/api/machines", token_for(alice)).json()[0]
    assert row["temperature"]["kelvin"] is None
    assert row["temperature"]["stale"] is True


def test_detail_gives_the_queue_in_order_with_estimated_starts(
    client, alice, busy_hidalgo, settings
):
    settings.QUEUE_PRIVACY = "open"
    body = get(client, f"/api/machines/{busy_hidalgo.pk}", token_for(alice)).json()
    assert [(q["position"], q["title"]) for q in body["queue"]] == [
        (1, "Bob waits"),
        (2, "Alice waits"),
    ]
    first, second = body["queue"]
    # Alice waits for bob's 5 h run plus one turnover (12 h cooldown + 3 h warmup).
    gap = timezone.datetime.fromisoformat(
        second["estimated_start"]
    ) - timezone.datetime.fromisoformat(first["estimated_start"])
    assert gap == timedelta(hours=5 + 12 + 3)
    assert body["spec"]["daughterboards"] == ["QBoard II", "DIP"]
    assert body["running"]["member_name"] == "bob"


def test_open_mode_shows_other_members_names_and_titles(client, alice, bob, busy_hidalgo, settings):
    settings.QUEUE_PRIVACY = "open"
    body = get(client, f"/api/machines/{busy_hidalgo.pk}", token_for(alice)).json()
    bobs = body["queue"][0]
    assert (bobs["title"], bobs["member_name"], bobs["visible"], bobs["mine"]) == (
        "Bob waits",
        "bob",
        True,
        False,
    )
    assert bobs["entry_id"] is not None
    assert body["running"]["title"] == "Bob's run"


def test_private_mode_hides_other_members_but_keeps_counts(
    client, alice, bob, busy_hidalgo, settings
):
    settings.QUEUE_PRIVACY = "private"
    token = token_for(alice)
    body = get(client, f"/api/machines/{busy_hidalgo.pk}", token).json()
    bobs, mine = body["queue"]
    assert bobs == {
        **bobs,
        "title": "Reserved",
        "member_name": "another member",
        "visible": False,
        "mine": False,
        "entry_id": None,
        "estimated_hours": 5.0,
    }
    assert (mine["title"], mine["member_name"], mine["visible"], mine["mine"]) == (
        "Alice waits",
        "alice",
        True,
        True,
    )
    assert body["running"] == {**body["running"], "title": "Reserved", "entry_id": None}
    assert body["queue_length"] == 2
    listed = get(client, "/api/machines", token).json()[0]
    assert listed["running"]["member_name"] == "another member"
    assert "bob" not in get(client, f"/api/machines/{busy_hidalgo.pk}", token).content.decode()


def test_private_mode_still_shows_staff_everything(client, sam, busy_hidalgo, settings):
    settings.QUEUE_PRIVACY = "private"
    body = get(client, f"/api/machines/{busy_hidalgo.pk}", token_for(sam)).json()
    assert [q["member_name"] for q in body["queue"]] == ["bob", "alice"]
    assert body["running"]["title"] == "Bob's run"


def test_an_unknown_machine_is_404(client, alice, hidalgo):
    response = get(client, f"/api/machines/{hidalgo.pk + 100}", token_for(alice))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("machine_id", ["0", "-3", "abc", str(2**70)])
def test_a_malformed_machine_id_is_422(client, alice, machine_id):
    response = get(client, f"/api/machines/{machine_id}", token_for(alice))
    assert response.status_code == 422


def test_machines_need_a_token(client, alice, hidalgo):
    client.force_login(alice)
    assert client.get("/api/machines").status_code == 401
    assert client.get(f"/api/machines/{hidalgo.pk}").status_code == 401


@pytest.mark.parametrize("queued", [10, 500])
def test_query_counts_do_not_grow_with_the_queue(
    client, alice, bob, sam, make_machine, django_assert_max_num_queries, queued
):
    machine = make_machine("Deep")
    bulk_queue(machine, [alice, bob], queued)
    queue.start(QueueEntry.objects.get(machine=machine, position=1), by=sam)
    token = token_for(alice)
    get(client, "/api/me", token)  # last_used_at is written once, outside the budget
    # Token lookup 1, machines with queue sums 1, running entries 1.
    with django_assert_max_num_queries(3):
        assert get(client, "/api/machines", token).status_code == 200
    # Token 1, summary 2, the machine's queue 1, its running entry 1.
    with django_assert_max_num_queries(5):
        body = get(client, f"/api/machines/{machine.pk}", token).json()
    assert len(body["queue"]) == queued - 1  # #1 is running
