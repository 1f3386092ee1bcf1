"""Nothing is lost: the worker after commit, crashes, rollbacks and a Slack outage."""

import threading
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import Delivery, DeliveryState, Notification
from calendarEditor.services import queue
from calendarEditor.services.notifications import delivery
from calendarEditor.services.notifications.transports import slack
from calendarEditor.tests.fake_slack import fake_slack, recording  # noqa: F401  (fixtures)
from conftest import entry_request

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("recording")]


@pytest.fixture
def members_on_slack(fake_slack, alice, bob, sam):  # noqa: F811
    for user in (alice, bob, sam):
        fake_slack.add_member(f"U{user.username.upper()}", email=user.email)
    return fake_slack


def slack_rows():
    return Delivery.objects.filter(channel="slack")


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_after_commit_off_the_request_thread(
    alice, hidalgo, members_on_slack, settings, monkeypatch
):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = True
    threads = []
    real_send = slack.SlackTransport.send

    def spying_send(self, row, now):
        threads.append(threading.current_thread().name)
        real_send(self, row, now)

    monkeypatch.setattr(slack.SlackTransport, "send", spying_send)
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    assert delivery.worker.wait_idle(10)
    [row] = slack_rows()
    assert row.state == DeliveryState.SENT
    assert threads == ["notification-delivery"]
    assert members_on_slack.posted()[0]["text"].startswith("*Hidalgo is free: check in for Sweep*")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(alice, hidalgo, members_on_slack, settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = True

    def change_then_fail():
        with transaction.atomic():
            queue.enqueue(entry_request("Doomed"), member=alice, by=alice)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert delivery.worker.wait_idle(10)
    assert Notification.objects.count() == Delivery.objects.count() == 0
    assert members_on_slack.calls == []


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_commit_and_send_is_recovered_by_the_runner(
    alice, hidalgo, members_on_slack, settings, capsys
):
    # With the worker off, committed deliveries sit as they would after a crash.
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    [row] = slack_rows()
    assert row.state == DeliveryState.PENDING
    assert members_on_slack.calls == []
    call_command("deliver_notifications", "--limit", "10")
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    assert "sent 1, failed 0, permanent 0" in capsys.readouterr().out
    call_command("deliver_notifications")
    assert len(members_on_slack.posted()) == 1


@pytest.mark.django_db
def test_the_command_refuses_bad_arguments():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--limit"):
        call_command("deliver_notifications", "--limit", "0")


def busy_morning(alice, bob, sam, hidalgo, griffin, round_number):
    """Queue changes that each DM someone: ON DECK, moves, rushes, cancellations."""
    a = queue.enqueue(entry_request(f"A{round_number}"), member=alice, by=sam, machine=hidalgo)
    b = queue.enqueue(entry_request(f"B{round_number}"), member=bob, by=sam, machine=hidalgo)
    queue.move(b.entry, to=1, by=sam, reason="cooldown slot")
    queue.request_rush(a.entry, justification="beamtime", by=alice)
    queue.approve_rush(a.entry, by=sam)
    queue.reassign(b.entry, to_machine=griffin, by=sam, reason="field")
    queue.cancel(a.entry, by=sam, reason="sample broke")


@pytest.mark.django_db
def test_a_slack_outage_loses_nothing_and_keeps_each_members_order(
    alice, bob, sam, hidalgo, griffin, members_on_slack, settings
):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    settings.NOTIFICATION_BACKOFF_BASE_SECONDS = 30
    settings.NOTIFICATION_MAX_ATTEMPTS = 10
    for machine in (hidalgo, griffin):  # both busy, so #1 is ON DECK rather than ready
        run = queue.enqueue(entry_request("Long run", 48), member=sam, by=sam, machine=machine)
        queue.start(run.entry, by=sam)
    fake = members_on_slack
    fake.mode = "error500"
    fake.script.extend(["hang", "ratelimited", "hang"])
    fake.retry_after = 20
    fake.hang_seconds = 1.5
    clock = timezone.now()
    for minute in range(6):  # six minutes of outage, with work going on
        busy_morning(alice, bob, sam, hidalgo, griffin, minute)
        for _ in range(3):
            delivery.deliver_due(clock)
            clock += timedelta(seconds=20)
    assert fake.posted() == []
    fake.mode = "ok"
    for _ in range(60):  # recovery: the runner every 20 s, for at most 20 minutes
        delivery.deliver_due(clock)
        clock += timedelta(seconds=20)
        if not slack_rows().exclude(state=DeliveryState.SENT).exists():
            break
    rows = list(slack_rows().select_related("notification").order_by("pk"))
    sent = sum(row.state == DeliveryState.SENT for row in rows)
    attempts = slack_rows().aggregate(n=Sum("attempts"))["n"]
    lost = len(rows) - sent
    print(f"outage: {len(rows)} DMs, sent {sent}, retried {attempts - sent}, lost {lost}")
    assert lost == 0
    assert sent == len(rows) >= 30
    posted = fake.posted()
    assert len(posted) == len(rows)  # each DM once
    expected, got = defaultdict(list), defaultdict(list)
    for row in rows:
        expected[f"U{row.recipient.username.upper()}"].append(row.notification.title)
    for message in posted:
        got[message["channel"]].append(message["text"].split("\n")[0].strip("*"))
    assert got == expected  # in order per member
    failed_calls = [call for call in fake.calls if call.answer != "ok"]
    assert attempts - sent == len(failed_calls) > 6  # every failed try was retried, no more


@pytest.mark.django_db(transaction=True)  # the loop closes old connections between passes
def test_the_command_loops_with_its_interval_until_stopped(monkeypatch, capsys):
    from calendarEditor.management.commands import deliver_notifications

    pauses = []

    class Stop(Exception):
        pass

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            raise Stop

    monkeypatch.setattr(deliver_notifications.time, "sleep", sleep)
    with pytest.raises(Stop):
        call_command("deliver_notifications", "--loop", "--interval", "7")
    assert pauses == [7, 7]
    assert capsys.readouterr().out.count("sent 0,") == 2
