"""Extensions: granted at once within the machine's allowance, reviewed by staff beyond it."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from calendarEditor import selectors
from calendarEditor.models import AuditEvent, Notification, QueueEntry
from calendarEditor.models.extensions import ExtensionRequest, ExtensionStatus
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from calendarEditor.services.queue import extensions
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls("calendarEditor.tests.urls_policy")]


@pytest.fixture
def line(alice, bob, sam, make_machine):
    """Bob runs on Hidalgo; Alice waits at #1 and #2, Sam at #3."""
    hidalgo = make_machine("Hidalgo", auto_extension_hours=4)
    run = queue.enqueue(entry_request("Bob's run", 10), member=bob, by=sam, machine=hidalgo).entry
    queue.start(run, by=bob)
    waiting = [
        queue.enqueue(entry_request(title, 5), member=member, by=sam, machine=hidalgo).entry
        for title, member in (("Alice one", alice), ("Alice two", alice), ("Sam's", sam))
    ]
    Notification.objects.all().delete()
    return {"machine": hidalgo, "run": run, "waiting": waiting}


def starts(machine):
    machine.refresh_from_db()
    return {p.entry.title: p.estimated_start for p in selectors.machine_queue_view(machine).placed}


def test_within_the_allowance_it_is_granted_at_once_and_estimates_move(bob, line):
    before = starts(line["machine"])
    outcome = extensions.request_extension(line["run"], hours=3, reason="Slow sweep", by=bob)
    assert outcome.granted
    assert outcome.extension.status == ExtensionStatus.GRANTED
    assert outcome.extension.automatic
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 13
    after = starts(line["machine"])
    for title, start in before.items():
        assert after[title] - start == pytest.approx(timedelta(hours=3), abs=timedelta(seconds=5))
    assert AuditEvent.objects.filter(action="extension.granted").count() == 1


def test_each_member_behind_is_told_once(alice, bob, sam, line):
    extensions.request_extension(line["run"], hours=2, reason="Slow sweep", by=bob)
    alice_notices = Notification.objects.filter(recipient=alice)
    assert [n.kind for n in alice_notices] == ["estimate_changed"]
    assert "Alice one" in alice_notices[0].message
    assert "Alice two" in alice_notices[0].message
    assert "extended" in alice_notices[0].message
    assert [n.kind for n in Notification.objects.filter(recipient=sam)] == ["estimate_changed"]
    # Bob extended his own run: nothing to tell him.
    assert not Notification.objects.filter(recipient=bob).exists()


def test_the_allowance_counts_every_automatic_grant(bob, line):
    assert extensions.request_extension(line["run"], hours=3, reason="a", by=bob).granted
    second = extensions.request_extension(line["run"], hours=2, reason="b", by=bob)
    assert not second.granted
    assert second.extension.status == ExtensionStatus.PENDING
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 13


def test_beyond_the_allowance_staff_are_asked(bob, sam, line):
    outcome = extensions.request_extension(line["run"], hours=8, reason="Magnet quench", by=bob)
    assert not outcome.granted
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 10
    asked = Notification.objects.get(kind="extension_requested")
    assert asked.recipient == sam
    assert "Magnet quench" in asked.message
    with pytest.raises(QueueError, match="already waiting"):
        extensions.request_extension(line["run"], hours=1, reason="again", by=bob)


def test_staff_approve_and_everyone_behind_is_told(alice, bob, sam, line):
    pending = extensions.request_extension(line["run"], hours=8, reason="Quench", by=bob)
    before = starts(line["machine"])
    approved = extensions.approve_extension(pending.extension.pk, by=sam, note="OK this once")
    assert approved.granted
    assert approved.extension.status == ExtensionStatus.GRANTED
    assert not approved.extension.automatic
    after = starts(line["machine"])
    assert after["Alice one"] - before["Alice one"] == pytest.approx(
        timedelta(hours=8), abs=timedelta(seconds=5)
    )
    granted = Notification.objects.get(recipient=bob, kind="extension_granted")
    assert "by 8 h" in granted.message
    assert "OK this once" in granted.message
    assert Notification.objects.filter(recipient=alice, kind="estimate_changed").count() == 1
    with pytest.raises(QueueError, match="already granted"):
        extensions.approve_extension(pending.extension.pk, by=sam)


def test_staff_reject_with_a_reason(bob, sam, line):
    pending = extensions.request_extension(line["run"], hours=8, reason="Quench", by=bob)
    with pytest.raises(QueueError, match="reason"):
        extensions.reject_extension(pending.extension.pk, by=sam, reason="  ")
    extensions.reject_extension(pending.extension.pk, by=sam, reason="Alice has beamtime")
    assert ExtensionRequest.objects.get().status == ExtensionStatus.REJECTED
    told = Notification.objects.get(recipient=bob, kind="extension_rejected")
    assert "Alice has beamtime" in told.message
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 10


def test_staff_extend_directly(sam, line):
    outcome = extensions.request_extension(line["run"], hours=20, reason="Fridge fault", by=sam)
    assert outcome.granted
    assert not outcome.extension.automatic
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 30


def test_only_a_running_entry_by_its_owner(alice, bob, line):
    with pytest.raises(QueueError, match="not running"):
        extensions.request_extension(line["waiting"][0], hours=1, reason="x", by=alice)
    with pytest.raises(PermissionDenied):
        extensions.request_extension(line["run"], hours=1, reason="x", by=alice)
    with pytest.raises(PermissionDenied):
        extensions.approve_extension(1, by=bob)


@pytest.mark.parametrize("hours", [0, -2, "lots", float("nan"), 1000])
def test_bad_hours_change_nothing(bob, line, hours):
    with pytest.raises(QueueError):
        extensions.request_extension(line["run"], hours=hours, reason="x", by=bob)
    assert not ExtensionRequest.objects.exists()


def test_no_allowance_means_every_extension_is_reviewed(bob, line):
    line["machine"].auto_extension_hours = None
    line["machine"].save(update_fields=["auto_extension_hours"])
    assert not extensions.request_extension(line["run"], hours=0.5, reason="x", by=bob).granted


# --- pages ---------------------------------------------------------------------------------


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_entry_page_offers_the_form_and_it_works(client, bob, line):
    client.force_login(bob)
    page = client.get(reverse("schedule-entry", args=[line["run"].pk]))
    assert "Need longer?" in page.content.decode()
    url = reverse("schedule-entry-extend", args=[line["run"].pk])
    response = client.post(url, {"hours": "2", "reason": "Slow"})
    assert response.status_code == 302
    assert "is extended by 2 h" in messages_of(response)[0]


def test_a_bad_form_is_explained(client, bob, line):
    client.force_login(bob)
    url = reverse("schedule-entry-extend", args=[line["run"].pk])
    response = client.post(url, {"hours": "-1", "reason": ""})
    assert response.status_code == 302
    assert messages_of(response)[0].startswith("Nothing was asked")
    assert not ExtensionRequest.objects.exists()


def test_another_member_gets_404_and_anonymous_the_login(client, alice, line):
    url = reverse("schedule-entry-extend", args=[line["run"].pk])
    assert client.post(url, {"hours": "2", "reason": "x"}).status_code == 302
    client.force_login(alice)
    assert client.post(url, {"hours": "2", "reason": "x"}).status_code == 404
    assert client.get(url).status_code == 405


def test_the_staff_page_lists_and_decides(client, bob, sam, line):
    pending = extensions.request_extension(line["run"], hours=8, reason="Quench", by=bob)
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-extensions"))
    assert "Quench" in page.content.decode()
    pk = pending.extension.pk
    bad = client.post(reverse("schedule-staff-extension-reject", args=[pk]), {"reason": ""})
    assert messages_of(bad)[0] == "Give the member a reason for the rejection."
    done = client.post(reverse("schedule-staff-extension-approve", args=[pk]), {"note": ""})
    assert messages_of(done)[-1].startswith("Granted:")
    assert QueueEntry.objects.get(pk=line["run"].pk).estimated_hours == 18


def test_members_cannot_use_the_staff_page(client, bob, line):
    url = reverse("schedule-staff-extensions")
    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(url).status_code == 403
    assert client.post(reverse("schedule-staff-extension-approve", args=[1])).status_code == 403
