"""Fair use and training cost a submit no extra query, and cancel nothing at all.

The member's lock is one query; the machine summaries, the member's active
entries and their training arrive together in one query that replaced two,
so a member's submit stays at 15 with the limit on, whatever the queue length.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.models.training import Qualification
from calendarEditor.tests.test_member_query_budget import (
    ACTION_BUDGET,
    SUBMIT_FORM,
    add_queued,
    busy_fleet,  # noqa: F401  (fixture)
    cancel_first_cost,
)

pytestmark = pytest.mark.django_db

SUBMIT_QUERIES = 14  # session, user with profile (2); savepoint and release (2); the engine (10)


@pytest.fixture(autouse=True)
def limit_on(settings):
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 3


def submit_cost(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("schedule-submit"), SUBMIT_FORM)
    assert response.status_code == 302
    return len(captured.captured_queries)


def test_submit_with_the_limit_on_is_pinned(client, alice, bob, hidalgo, busy_fleet):  # noqa: F811
    client.force_login(alice)
    add_queued(busy_fleet, [bob], 10)
    assert submit_cost(client) == SUBMIT_QUERIES <= ACTION_BUDGET
    add_queued(busy_fleet, [bob], 490)
    assert submit_cost(client) == SUBMIT_QUERIES


def test_training_on_every_machine_costs_nothing_more(
    client,
    alice,
    bob,
    hidalgo,
    busy_fleet,  # noqa: F811
):
    for machine in busy_fleet:
        machine.requires_training = True
        machine.save(update_fields=["requires_training"])
        Qualification.objects.create(member=alice, machine=machine)
    add_queued(busy_fleet, [bob], 50)
    client.force_login(alice)
    assert submit_cost(client) == SUBMIT_QUERIES


def test_a_staff_submit_takes_no_member_lock(client, sam, bob, hidalgo, busy_fleet):  # noqa: F811
    client.force_login(sam)
    add_queued(busy_fleet, [bob], 10)
    assert submit_cost(client) <= SUBMIT_QUERIES - 1


def test_cancel_is_unchanged(client, alice, bob, hidalgo):
    add_queued([hidalgo], [alice, bob], 30)
    assert cancel_first_cost(client, hidalgo) == 14  # as pinned in test_member_query_budget
    queued = QueueEntry.objects.filter(machine=hidalgo, status=EntryStatus.QUEUED)
    assert queued.count() == 29
