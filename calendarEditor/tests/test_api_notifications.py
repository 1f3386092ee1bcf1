"""A member's notifications over the API: list, unread only, mark one or all read."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calendarEditor.models import Notification
from calendarEditor.tests.api_support import URLCONF, get, post, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]


def notify(user, title, *, minutes_ago=0, read=False):
    now = timezone.now()
    return Notification.objects.create(
        recipient=user,
        kind="entry_added",
        group="queue",
        title=title,
        message=f"{title}.",
        link="/schedule/my-queue/",
        created_at=now - timedelta(minutes=minutes_ago),
        read_at=now if read else None,
    )


def test_list_is_mine_newest_first_with_the_unread_count(client, alice, bob):
    notify(alice, "Older", minutes_ago=10, read=True)
    notify(alice, "Newer", minutes_ago=1)
    notify(bob, "Bob's")
    body = get(client, "/api/notifications", token_for(alice)).json()
    assert [n["title"] for n in body["items"]] == ["Newer", "Older"]
    assert (body["count"], body["unread_count"]) == (2, 1)
    assert body["items"][0]["unread"] is True
    assert body["items"][1]["unread"] is False
    assert body["items"][0]["link"] == "/schedule/my-queue/"


def test_unread_only_and_paging(client, alice):
    for n in range(5):
        notify(alice, f"N{n}", minutes_ago=n, read=n == 0)
    token = token_for(alice)
    unread = get(client, "/api/notifications", token, unread="true").json()
    assert [n["title"] for n in unread["items"]] == ["N1", "N2", "N3", "N4"]
    page = get(client, "/api/notifications", token, limit=2, offset=1).json()
    assert [n["title"] for n in page["items"]] == ["N1", "N2"]
    assert page["count"] == 5


def test_mark_one_read(client, alice):
    notice = notify(alice, "Hello")
    token = token_for(alice)
    response = post(client, f"/api/notifications/{notice.pk}/read", token)
    assert response.status_code == 200
    assert response.json()["unread"] is False
    notice.refresh_from_db()
    first_read = notice.read_at
    assert first_read is not None
    post(client, f"/api/notifications/{notice.pk}/read", token)
    notice.refresh_from_db()
    assert notice.read_at == first_read


def test_another_members_notification_is_404(client, alice, bob):
    bobs = notify(bob, "Bob's")
    response = post(client, f"/api/notifications/{bobs.pk}/read", token_for(alice))
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_mark_all_read_touches_only_mine(client, alice, bob):
    notify(alice, "A1")
    notify(alice, "A2")
    notify(alice, "A3", read=True)
    bobs = notify(bob, "Bob's")
    response = post(client, "/api/notifications/read-all", token_for(alice))
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_notifications_need_a_token(client, alice):
    client.force_login(alice)
    assert client.get("/api/notifications").status_code == 401
    assert client.post("/api/notifications/read-all").status_code == 401


@pytest.mark.parametrize("count", [10, 500])
def test_the_list_costs_the_same_whatever_the_history(
    client, alice, django_assert_max_num_queries, count
):
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=alice,
            kind="entry_added",
            group="queue",
            title=f"N{n}",
            message="m",
            created_at=now - timedelta(minutes=n),
        )
        for n in range(count)
    )
    token = token_for(alice)
    get(client, "/api/me", token)  # last_used_at is written once, outside the budget
    # Token 1, page 1, count 1, unread count 1.
    with django_assert_max_num_queries(4):
        body = get(client, "/api/notifications", token).json()
    assert body["count"] == count
