"""Privacy: in "private" mode members see only their own entries in detail, everywhere.

Every page, fragment and feed that shows queue entries is checked in both
modes: others' titles and names are hidden in private mode while the counts
still show; staff and the entry's owner always see everything.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from calendarEditor.models import Notification
from calendarEditor.services import calendar_feeds, privacy, queue
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls("calendarEditor.tests.urls_policy")]

BOB_RUNNING = "Bob's secret anneal"
BOB_QUEUED = "Bob's confidential sweep"
ALICE_QUEUED = "Alice's own sweep"


@pytest.fixture
def fleet(alice, bob, hidalgo):
    running = queue.enqueue(entry_request(BOB_RUNNING, 20), member=bob, by=bob).entry
    queue.start(running, by=bob)
    queue.enqueue(entry_request(BOB_QUEUED, 5), member=bob, by=bob)
    mine = queue.enqueue(entry_request(ALICE_QUEUED, 5), member=alice, by=alice).entry
    return {"running": running, "mine": mine}


def pages(hidalgo):
    return {
        "board": reverse("schedule-board"),
        "board fragment": reverse("schedule-fragment-board"),
        "machine": reverse("schedule-machine", args=[hidalgo.pk]),
        "machine fragment": reverse("schedule-fragment-machine-queue", args=[hidalgo.pk]),
        "calendar": reverse("schedule-calendar"),
        "machine calendar": reverse("schedule-calendar-machine", args=[hidalgo.pk]),
    }


def esc(text):
    return text.replace("'", "&#x27;")


def text_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


PAGE_NAMES = ["board", "board fragment", "machine", "machine fragment", "calendar"]


@pytest.mark.parametrize("page", [*PAGE_NAMES, "machine calendar"])
def test_private_mode_hides_others_details_but_keeps_counts(
    settings, client, alice, hidalgo, fleet, page
):
    settings.QUEUE_PRIVACY = "private"
    client.force_login(alice)
    html = text_of(client, pages(hidalgo)[page])
    assert esc(BOB_RUNNING) not in html
    assert esc(BOB_QUEUED) not in html
    assert "Bob&#x27;s" not in html
    assert ">bob<" not in html
    assert "bob</" not in html
    assert privacy.HIDDEN_MEMBER in html
    if page in ("machine", "machine fragment", "calendar", "machine calendar"):
        assert esc(ALICE_QUEUED) in html
    if page.startswith("board"):
        assert "2 waiting" in html


@pytest.mark.parametrize("page", [*PAGE_NAMES, "machine calendar"])
def test_open_mode_shows_everyone(settings, client, alice, hidalgo, fleet, page):
    settings.QUEUE_PRIVACY = "open"
    client.force_login(alice)
    html = text_of(client, pages(hidalgo)[page])
    assert esc(BOB_RUNNING) in html
    assert privacy.HIDDEN_MEMBER not in html
    if page.startswith("machine") or page.endswith("calendar"):
        assert esc(BOB_QUEUED) in html


@pytest.mark.parametrize("page", [*PAGE_NAMES, "machine calendar"])
def test_staff_see_everything_in_private_mode(settings, client, sam, hidalgo, fleet, page):
    settings.QUEUE_PRIVACY = "private"
    client.force_login(sam)
    html = text_of(client, pages(hidalgo)[page])
    assert esc(BOB_RUNNING) in html
    assert privacy.HIDDEN_MEMBER not in html


def test_the_owner_sees_their_own_run_in_private_mode(settings, client, bob, hidalgo, fleet):
    settings.QUEUE_PRIVACY = "private"
    client.force_login(bob)
    html = text_of(client, pages(hidalgo)["machine"])
    assert esc(BOB_RUNNING) in html
    assert esc(BOB_QUEUED) in html
    assert esc(ALICE_QUEUED) not in html


@pytest.mark.parametrize("mode", ["open", "private"])
def test_my_queue_and_entry_pages_show_only_ones_own(settings, client, alice, fleet, mode):
    settings.QUEUE_PRIVACY = mode
    client.force_login(alice)
    for url in (reverse("schedule-my-queue"), reverse("schedule-fragment-my-queue")):
        html = text_of(client, url)
        assert esc(ALICE_QUEUED) in html
        assert esc(BOB_QUEUED) not in html
    assert client.get(reverse("schedule-entry", args=[fleet["running"].pk])).status_code == 404


@pytest.mark.parametrize("mode", ["open", "private"])
def test_machine_feed_follows_the_mode(settings, client, alice, hidalgo, fleet, mode):
    settings.QUEUE_PRIVACY = mode
    token = calendar_feeds.create_token(alice)
    url = reverse("schedule-calendar-feed-machine", args=[token, hidalgo.pk])
    feed = client.get(url).content.decode()
    assert feed.count("BEGIN:VEVENT") == 3
    assert ALICE_QUEUED.replace(",", "\\,") in feed
    if mode == "private":
        assert BOB_RUNNING not in feed
        assert "bob" not in feed
        assert "Reserved — another member (running)" in feed
    else:
        assert f"{BOB_RUNNING} — bob (running)" in feed


def test_a_members_own_feed_never_holds_others_entries(settings, client, alice, fleet):
    settings.QUEUE_PRIVACY = "open"
    token = calendar_feeds.create_token(alice)
    feed = client.get(reverse("schedule-calendar-feed-member", args=[token])).content.decode()
    assert feed.count("BEGIN:VEVENT") == 1
    assert ALICE_QUEUED in feed
    assert BOB_RUNNING not in feed


def test_staff_feeds_show_everything_in_private_mode(settings, client, sam, hidalgo, fleet):
    settings.QUEUE_PRIVACY = "private"
    token = calendar_feeds.create_token(sam)
    url = reverse("schedule-calendar-feed-machine", args=[token, hidalgo.pk])
    assert BOB_RUNNING in client.get(url).content.decode()


def test_rush_reviews_go_to_staff_only(settings, alice, bob, sam, hidalgo, fleet):
    settings.QUEUE_PRIVACY = "private"
    queued = queue.enqueue(entry_request("Bob's rush", 5), member=bob, by=bob).entry
    queue.request_rush(queued, justification="Beamtime next week", by=bob)
    reviews = Notification.objects.filter(kind="staff_rush_to_review")
    assert set(reviews.values_list("recipient", flat=True)) == {sam.pk}
    # Alice is told about her own entry only, never about Bob's.
    for notice in Notification.objects.filter(recipient=alice):
        assert "Bob" not in notice.title + notice.message


def test_the_labels_in_one_place(settings, alice, bob, sam, fleet):
    entry = fleet["running"]
    settings.QUEUE_PRIVACY = "private"
    assert privacy.entry_label(alice, entry)["title"] == privacy.HIDDEN_TITLE
    assert privacy.entry_label(alice, entry)["member_name"] == "another member"
    assert privacy.entry_label(bob, entry)["mine"]
    assert privacy.can_see_details(sam, entry)
    assert not privacy.can_see_details(None, entry)
    settings.QUEUE_PRIVACY = "open"
    assert privacy.entry_label(alice, entry)["title"] == BOB_RUNNING


def test_an_unknown_mode_fails_loudly(settings):
    settings.QUEUE_PRIVACY = "secret"
    with pytest.raises(ImproperlyConfigured):
        privacy.is_private()


@pytest.mark.parametrize("mode", ["open", "private"])
def test_pages_cost_no_more_queries_in_either_mode(
    settings, client, alice, hidalgo, fleet, mode, django_assert_max_num_queries
):
    settings.QUEUE_PRIVACY = mode
    client.force_login(alice)
    for url in list(pages(hidalgo).values())[:4]:
        with django_assert_max_num_queries(12):
            client.get(url)
