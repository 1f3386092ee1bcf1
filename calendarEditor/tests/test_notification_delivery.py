"""Delivering the outbox to a fake Slack: ok, rate limits, outages, timeouts, bad users."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import Delivery, DeliveryState, Notification, OneTimeLoginToken
from calendarEditor.services.notifications import delivery, notify, tokens
from calendarEditor.services.notifications.transports import slack
from calendarEditor.tests.fake_slack import fake_slack  # noqa: F401  (fixture)
from mysite.testing import require_postgres

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
LINK = re.compile(r"<(http://testserver/schedule/login-link/([^/]+)/)\|")


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    settings.NOTIFICATION_BACKOFF_BASE_SECONDS = 30
    settings.NOTIFICATION_MAX_ATTEMPTS = 5
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def slack_on(fake_slack, alice, bob):  # noqa: F811
    fake_slack.add_member("UALICE", email="alice@lab.example", real_name="Alice Tester")
    fake_slack.add_member("UOTHER", email="o@lab.example", real_name="Other Person", name="o")
    fake_slack.add_member("UBOB", email="bob.personal@example.org", real_name="Bob Tester")
    return fake_slack


def dm(user, n=1, **context):
    context = {
        "entry": f"Run {n}",
        "machine": "Hidalgo",
        "position": 2,
        "old_position": 3,
        **context,
    }
    [note] = notify("moved_by_staff", [user], context=context)
    return note.deliveries.get(channel="slack")


def state(row):
    row.refresh_from_db()
    return row.state


def test_a_dm_goes_out_with_unfurling_off_and_a_one_time_login_link(alice, slack_on):
    row = dm(alice)
    assert delivery.deliver_due().sent == 1
    assert state(row) == DeliveryState.SENT
    [posted] = slack_on.posted()
    assert posted["channel"] == "UALICE"
    assert posted["unfurl_links"] in (False, "0", 0)
    assert posted["unfurl_media"] in (False, "0", 0)
    assert posted["text"].startswith("*Run 1 moved to #2 on Hidalgo*\n")
    _url, raw = LINK.search(posted["text"]).groups()
    token = OneTimeLoginToken.objects.get(token_hash=tokens.hash_token(raw))
    assert (token.user_id, token.target_path, token.used_at) == (alice.pk, "/schedule/my/", None)


def test_the_member_id_is_found_by_email_and_cached(alice, slack_on):
    dm(alice, 1)
    dm(alice, 2)
    assert delivery.deliver_due().sent == 2
    alice.profile.refresh_from_db()
    assert alice.profile.slack_member_id == "UALICE"
    assert alice.profile.slack_lookup_at is not None
    assert len(slack_on.calls_to("users.lookupByEmail")) == 1
    assert [p["channel"] for p in slack_on.posted()] == ["UALICE", "UALICE"]


def test_then_by_full_name_over_every_page_of_users(bob, slack_on):
    dm(bob)
    assert delivery.deliver_due().sent == 1
    assert slack_on.posted()[0]["channel"] == "UBOB"
    assert len(slack_on.calls_to("users.list")) == 2  # two members a page, Bob on the second


def test_then_by_username(alice, slack_on):
    slack_on.members.clear()
    slack_on.add_member("UHANDLE", real_name="A. T.", name="alice")
    dm(alice)
    delivery.deliver_due()
    assert slack_on.posted()[0]["channel"] == "UHANDLE"


def test_two_people_with_one_name_are_not_guessed_between(alice, slack_on):
    slack_on.members.clear()
    slack_on.add_member("U1", real_name="Alice Tester")
    slack_on.add_member("U2", real_name="Alice Tester")
    row = dm(alice)
    assert delivery.deliver_due().permanent == 1
    assert "no Slack account matches alice" in Delivery.objects.get(pk=row.pk).last_error


def test_a_miss_is_cached_for_a_day_then_tried_again(alice, slack_on):
    slack_on.members.clear()
    row = dm(alice)
    delivery.deliver_due()
    assert state(row) == DeliveryState.PERMANENT_FAILURE
    alice.profile.refresh_from_db()
    assert alice.profile.slack_member_id == ""
    assert alice.profile.slack_lookup_at
    [note] = notify("moved_by_staff", [alice], context={"entry": "Next"})
    assert not note.deliveries.filter(channel="slack").exists()  # no point until tomorrow
    transport = slack.SlackTransport()
    tomorrow = timezone.now() + timedelta(days=1, minutes=1)
    assert not transport.can_reach(alice, timezone.now())
    assert transport.can_reach(alice, tomorrow)
    alice.profile.slack_member_id = "USETBYHAND"
    assert transport.can_reach(alice, timezone.now())


def test_rate_limits_wait_for_retry_after(alice, slack_on):
    slack_on.retry_after = 45
    slack_on.script.extend(["ratelimited"])
    row = dm(alice)
    now = timezone.now()
    assert delivery.deliver_due(now).failed == 1
    row.refresh_from_db()
    assert row.state == DeliveryState.FAILED
    assert row.next_attempt_at == now + timedelta(seconds=45)
    assert "rate limit" in row.last_error
    calls = len(slack_on.calls)
    assert delivery.deliver_due(now + timedelta(seconds=40)).sent == 0
    assert len(slack_on.calls) == calls  # not before Retry-After
    assert delivery.deliver_due(now + timedelta(seconds=46)).sent == 1


@pytest.mark.parametrize(
    ("mode", "error"), [("error500", "HTTP 500"), ("hang", "Slack unreachable")]
)
def test_server_errors_and_timeouts_back_off_exponentially(alice, slack_on, mode, error):
    slack_on.mode = mode
    slack_on.hang_seconds = 2
    row = dm(alice)
    now = timezone.now()
    waits = []
    for _ in range(3):
        delivery.deliver_due(now)
        row.refresh_from_db()
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert row.state == DeliveryState.FAILED
    assert error in row.last_error
    assert waits == [30, 60, 120]
    assert row.attempts == 3


def test_a_permanent_error_stops_retries_and_tells_staff(alice, sam, slack_on):
    slack_on.script.extend(["ok", "user_not_found"])  # the lookup works, the DM does not
    row = dm(alice)
    assert delivery.deliver_due().permanent == 1
    row.refresh_from_db()
    assert row.state == DeliveryState.PERMANENT_FAILURE
    assert "user_not_found" in row.last_error
    calls = len(slack_on.calls)
    assert delivery.deliver_due(timezone.now() + timedelta(days=2)).sent == 0
    assert len(slack_on.calls) == calls
    [told] = Notification.objects.filter(recipient=sam, kind="staff_delivery_failed")
    assert told.message == "Slack to alice failed for good: Slack error user_not_found (HTTP 200)"


def test_an_invalid_token_is_permanent(alice, slack_on):
    slack_on.mode = "invalid_auth"
    row = dm(alice)
    delivery.deliver_due()
    assert state(row) == DeliveryState.PERMANENT_FAILURE


def test_giving_up_after_the_most_attempts(alice, slack_on, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    slack_on.mode = "error500"
    row = dm(alice)
    now = timezone.now()
    for _ in range(3):
        delivery.deliver_due(now)
        now += timedelta(hours=1)
    row.refresh_from_db()
    assert row.state == DeliveryState.PERMANENT_FAILURE
    assert row.last_error.startswith("gave up after 3 attempts")


def test_a_claimed_delivery_is_not_sent_by_a_second_runner(alice, slack_on):
    row = dm(alice)
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, claimed_at=now
    )
    assert claimed == 1
    assert delivery.attempt(row.pk, now=now) == delivery.SKIPPED
    assert slack_on.calls == []


def test_an_abandoned_send_is_reclaimed_and_sent(alice, slack_on, settings):
    settings.NOTIFICATION_ABANDONED_AFTER_SECONDS = 300
    row = dm(alice)
    crashed_at = timezone.now()
    Delivery.objects.filter(pk=row.pk).update(state=DeliveryState.SENDING, claimed_at=crashed_at)
    assert delivery.deliver_due(crashed_at + timedelta(seconds=200)).reclaimed == 0
    report = delivery.deliver_due(crashed_at + timedelta(seconds=301))
    assert (report.reclaimed, report.sent) == (1, 1)
    assert len(slack_on.posted()) == 1


def test_a_members_dms_wait_for_an_earlier_one(alice, bob, slack_on):
    slack_on.script.extend(["ok", "error500"])  # alice's lookup, then her first DM fails
    first, second = dm(alice, 1), dm(alice, 2)
    report = delivery.deliver_due()
    assert (report.failed, report.deferred) == (1, 1)
    assert state(second) == DeliveryState.PENDING
    delivery.deliver_due(timezone.now() + timedelta(seconds=31))
    assert [p["text"].split("*")[1] for p in slack_on.posted()] == [
        "Run 1 moved to #2 on Hidalgo",
        "Run 2 moved to #2 on Hidalgo",
    ]
    assert state(first) == state(second) == DeliveryState.SENT


@pytest.mark.django_db(transaction=True)
def test_concurrent_runners_send_each_dm_once(alice, bob, slack_on):
    require_postgres()
    alice.profile.slack_member_id, bob.profile.slack_member_id = "UALICE", "UBOB"
    alice.profile.save()
    bob.profile.save()
    rows = [dm(user, n) for n in range(15) for user in (alice, bob)]
    start_together = threading.Barrier(6)

    def runner() -> None:
        start_together.wait()
        try:
            for _ in range(5):
                delivery.deliver_due()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Delivery.objects.filter(pk__in=[r.pk for r in rows], state="sent").count() == 30
    posted = {(p["channel"], p["text"].split("\n")[0]) for p in slack_on.posted()}
    assert len(slack_on.posted()) == len(posted) == 30
