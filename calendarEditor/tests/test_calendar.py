"""The calendar page and the iCalendar feeds: runs, projections, turnovers, closures, issues."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from calendarEditor.models import EquipmentIssue, Machine, QueueEntry
from calendarEditor.models.calendar_feeds import CalendarFeedToken
from calendarEditor.models.schedules import ClosedWindow, QueueSchedule
from calendarEditor.services import calendar_feeds, calendar_items, queue
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls("calendarEditor.tests.urls_policy")]

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def line(frozen, alice, bob, sam, hidalgo):
    """Bob runs 10 h on Hidalgo from T0; Alice waits 5 h, then Bob 4 h (turnover 15 h)."""
    run = queue.enqueue(entry_request("Bob's anneal", 10), member=bob, by=bob).entry
    queue.start(run, by=bob)
    mine = queue.enqueue(entry_request("Alice sweep", 5), member=alice, by=alice).entry
    later = queue.enqueue(entry_request("Bob later", 4), member=bob, by=bob).entry
    return {"run": run, "mine": mine, "later": later}


def events_of(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_member_feed_holds_their_slots_at_the_estimated_times(client, alice, line):
    token = calendar_feeds.create_token(alice)
    response = client.get(reverse("schedule-calendar-feed-member", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    events = events_of(response.content)
    assert list(events) == ["Hidalgo: Alice sweep (#1, estimated)"]
    event = events["Hidalgo: Alice sweep (#1, estimated)"]
    assert event.decoded("dtstart") == T0 + timedelta(hours=10 + 15)
    assert event.decoded("dtend") == T0 + timedelta(hours=30)
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["uid"]) == f"entry-{line['mine'].pk}-m{line['mine'].machine_id}@labqueue"
    assert str(event["url"]).endswith(f"/schedule/entries/{line['mine'].pk}/")


def test_the_feed_follows_the_queue(client, alice, bob, line):
    token = calendar_feeds.create_token(alice)
    url = reverse("schedule-calendar-feed-member", args=[token])
    queue.cancel(line["run"], by=bob)
    event = events_of(client.get(url).content)["Hidalgo: Alice sweep (#1, estimated)"]
    # No run ahead now, but the fridge still warms up and cools down after the cut-short run.
    assert event.decoded("dtstart") == T0 + timedelta(hours=15)


def test_the_machine_feed_has_every_run_and_no_turnovers(settings, client, alice, hidalgo, line):
    settings.QUEUE_PRIVACY = "open"
    token = calendar_feeds.create_token(alice)
    body = client.get(reverse("schedule-calendar-feed-machine", args=[token, hidalgo.pk])).content
    events = events_of(body)
    assert set(events) == {
        "Hidalgo: Bob's anneal — bob (running)",
        "Hidalgo: Alice sweep (#1, estimated)",
        "Hidalgo: Bob later — bob (#2, estimated)",
    }
    running = events["Hidalgo: Bob's anneal — bob (running)"]
    assert (running.decoded("dtstart"), running.decoded("dtend")) == (T0, T0 + timedelta(hours=10))
    assert str(running["status"]) == "CONFIRMED"
    later = events["Hidalgo: Bob later — bob (#2, estimated)"]
    assert later.decoded("dtstart") == T0 + timedelta(hours=30 + 15)
    assert "url" not in later


def test_a_revoked_or_replaced_token_is_404(client, alice, hidalgo, line):
    old = calendar_feeds.create_token(alice)
    new = calendar_feeds.create_token(alice)
    assert client.get(reverse("schedule-calendar-feed-member", args=[old])).status_code == 404
    assert client.get(reverse("schedule-calendar-feed-member", args=[new])).status_code == 200
    calendar_feeds.revoke(alice)
    for url in (
        reverse("schedule-calendar-feed-member", args=[new]),
        reverse("schedule-calendar-feed-machine", args=[new, hidalgo.pk]),
        reverse("schedule-calendar-feed-member", args=["not-a-token"]),
    ):
        assert client.get(url).status_code == 404


def test_only_the_hash_is_stored_and_a_suspended_member_loses_the_feed(client, alice, line):
    token = calendar_feeds.create_token(alice)
    stored = CalendarFeedToken.objects.get()
    assert stored.token_hash == calendar_feeds.token_hash(token)
    assert token not in stored.token_hash
    assert len(token) >= 43  # 256 bits in URL-safe base64
    alice.profile.approval_status = "suspended"
    alice.profile.save(update_fields=["approval_status"])
    assert client.get(reverse("schedule-calendar-feed-member", args=[token])).status_code == 404


def test_a_feed_refuses_posts(client, alice, line):
    token = calendar_feeds.create_token(alice)
    assert client.post(reverse("schedule-calendar-feed-member", args=[token])).status_code == 405


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_runs_turnovers_closures_and_down_issues(client, alice, sam, hidalgo, line):
    schedule = QueueSchedule.objects.create(machine=hidalgo)
    ClosedWindow.objects.create(
        schedule=schedule,
        starts_at=T0 + timedelta(days=2),
        ends_at=T0 + timedelta(days=3),
        reason="Helium delivery",
    )
    EquipmentIssue.objects.create(
        machine=hidalgo,
        machine_name="Hidalgo",
        severity="down",
        description="Magnet power supply tripped",
        reporter=sam,
    )
    client.force_login(alice)
    html = client.get(reverse("schedule-calendar-machine", args=[hidalgo.pk])).content.decode()
    for text in (
        "kind-running",
        "kind-projected",
        "kind-turnover",
        "Warmup and cooldown",
        "Queue closed: Helium delivery",
        "Down: ",
        "Alice sweep",
    ):
        assert text in html, text


@pytest.mark.parametrize(
    ("status", "title", "left"),
    [("warmup", "Warming up, then cooldown", 3 + 12), ("cooldown", "Cooling down", 12)],
)
def test_a_machine_between_runs_shows_what_is_left_of_its_turnover(
    frozen, alice, sam, hidalgo, status, title, left
):
    Machine.objects.filter(pk=hidalgo.pk).update(status=status, status_changed_at=T0)
    hidalgo.refresh_from_db()
    queue.enqueue(entry_request("Next", 5), member=alice, by=alice)
    items = calendar_items.timeline([hidalgo], alice, start=T0, end=T0 + timedelta(days=2))
    [turnover] = [item for item in items if item.kind == "turnover"]
    assert (turnover.title, turnover.end - T0) == (title, timedelta(hours=left))


def test_the_timeline_places_turnovers_between_runs(alice, hidalgo, line):
    items = calendar_items.timeline([hidalgo], alice, start=T0, end=T0 + timedelta(days=7))
    kinds = [(item.kind, item.start - T0, item.end - T0) for item in items]
    hours = timedelta(hours=1)
    assert kinds == [
        ("running", 0 * hours, 10 * hours),
        ("turnover", 10 * hours, 25 * hours),
        ("projected", 25 * hours, 30 * hours),
        ("turnover", 30 * hours, 45 * hours),
        ("projected", 45 * hours, 49 * hours),
    ]


def test_a_bad_range_falls_back_to_the_next_week(client, alice, line):
    client.force_login(alice)
    response = client.get(reverse("schedule-calendar"), {"start": "1999-01-01", "days": "99"})
    assert response.status_code == 200
    assert "Showing the next 7 days instead" in response.content.decode()
    assert response.context["days"] == 7


def test_a_chosen_range_is_shown(client, alice, line):
    client.force_login(alice)
    response = client.get(reverse("schedule-calendar"), {"start": "2026-03-03", "days": "3"})
    page = response.context["page"]
    assert (page.end - page.start) == timedelta(days=3)
    assert page.start.date().isoformat() == "2026-03-03"


def test_the_page_needs_a_login_and_an_unknown_machine_is_404(client, alice, line):
    assert client.get(reverse("schedule-calendar")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("schedule-calendar-machine", args=[999])).status_code == 404


def test_the_page_costs_the_same_with_3_and_60_entries(client, alice, bob, sam, hidalgo, line):
    client.force_login(alice)
    url = reverse("schedule-calendar")

    def cost() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    small = cost()
    for n in range(57):
        queue.enqueue(entry_request(f"Extra {n}", 1), member=bob, by=sam, machine=hidalgo)
    assert QueueEntry.objects.count() == 60
    assert cost() == small <= 12


# --- the links page ------------------------------------------------------------------------


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_making_a_link_shows_it_once(client, alice, hidalgo, line):
    client.force_login(alice)
    url = reverse("schedule-calendar-feeds")
    response = client.post(url, {"action": "create"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = response.context["token"]
    assert reverse("schedule-calendar-feed-member", args=[token]) in response.content.decode()
    assert token not in client.get(url).content.decode()
    assert calendar_feeds.member_for(token) == alice


def test_revoking_through_the_page(client, alice, line):
    token = calendar_feeds.create_token(alice)
    client.force_login(alice)
    response = client.post(reverse("schedule-calendar-feeds"), {"action": "revoke"})
    assert response.status_code == 302
    assert messages_of(response) == ["Your calendar links no longer work."]
    assert calendar_feeds.member_for(token) is None


def test_a_bad_action_changes_nothing(client, alice, line):
    client.force_login(alice)
    response = client.post(reverse("schedule-calendar-feeds"), {"action": "steal"})
    assert response.status_code == 302
    assert not CalendarFeedToken.objects.exists()


def test_the_links_page_needs_a_login_and_is_per_member(client, alice, bob, line):
    url = reverse("schedule-calendar-feeds")
    assert client.post(url, {"action": "create"}).status_code == 302
    assert not CalendarFeedToken.objects.exists()
    calendar_feeds.create_token(alice)
    client.force_login(bob)
    client.post(url, {"action": "revoke"})
    assert CalendarFeedToken.objects.get().revoked_at is None
