"""The notification pages: list, read, bell, preferences and the staff deliveries page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

import mysite.urls
from calendarEditor.models import Delivery, DeliveryState, Notification, NotificationPreference
from calendarEditor.services.notifications import notify

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# Session, the user with the approval middleware's profile, the unread count, the page's
# count, its rows.
LIST_QUERIES = 5
# Session, user with profile, the count.
BELL_QUERIES = 3
EDITED = b"Hidalgo&#x27;s details changed</div>"


def make_notes(user, count, kind="machine_edited"):
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            group="machine",
            title=f"Notice {index}",
            message="Hidalgo's details changed.",
            link="/schedule/",
            created_at=now,
        )
        for index in range(count)
    )


def query_count(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# --- The list -------------------------------------------------------------------


def test_the_list_shows_only_the_members_own_notices(client, alice, bob, hidalgo):
    notify("machine_edited", [alice], machine=hidalgo)
    notify("account_promoted", [bob])
    client.force_login(alice)
    page = client.get(reverse("schedule-notifications"))
    assert page.status_code == 200
    assert EDITED in page.content
    assert b"You are now a lab manager" not in page.content
    assert f'href="/schedule/machines/{hidalgo.pk}/"'.encode() in page.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("schedule-notifications", "schedule-notification-preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert client.get(reverse("schedule-fragment-bell")).status_code == 204
    response = client.post(reverse("schedule-notifications-read-all"))
    assert response.url.startswith("/accounts/login/")


def test_filters_by_group_kind_and_unread(client, alice, hidalgo):
    notify("machine_edited", [alice], machine=hidalgo)
    notify("account_promoted", [alice])
    client.force_login(alice)
    by_group = client.get(reverse("schedule-notifications"), {"group": "account"})
    assert b"You are now a lab manager" in by_group.content
    assert EDITED not in by_group.content
    by_kind = client.get(reverse("schedule-notifications"), {"kind": "machine_edited"})
    assert EDITED in by_kind.content
    assert b"You are now a lab manager" not in by_kind.content
    Notification.objects.filter(kind="machine_edited").update(read_at=timezone.now())
    unread = client.get(reverse("schedule-notifications"), {"unread": "1"})
    assert EDITED not in unread.content
    assert b"You are now a lab manager" in unread.content


def test_a_bad_filter_is_ignored_with_a_message(client, alice, hidalgo):
    notify("machine_edited", [alice], machine=hidalgo)
    client.force_login(alice)
    page = client.get(reverse("schedule-notifications"), {"kind": "nonsense", "group": "x"})
    assert page.status_code == 200
    assert b"That notification type does not exist" in page.content
    assert b"That group does not exist" in page.content
    assert EDITED in page.content
    staff_kind = client.get(reverse("schedule-notifications"), {"kind": "staff_daily_summary"})
    assert b"That notification type does not exist" in staff_kind.content


def test_mark_read_and_open(client, alice, hidalgo):
    [note] = notify("machine_edited", [alice], machine=hidalgo)
    client.force_login(alice)
    url = reverse("schedule-notification-read", args=[note.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/"})
    assert response.url == reverse("schedule-notifications")
    note.refresh_from_db()
    assert note.read_at is not None
    opened = client.post(url, {"open": "1"})
    assert opened.url == f"/schedule/machines/{hidalgo.pk}/"


def test_another_members_notice_cannot_be_marked(client, alice, bob, hidalgo):
    [note] = notify("machine_edited", [alice], machine=hidalgo)
    client.force_login(bob)
    response = client.post(reverse("schedule-notification-read", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_touches_only_the_members_notices(client, alice, bob, hidalgo):
    notify("machine_edited", [alice, bob], machine=hidalgo)
    notify("account_promoted", [alice])
    client.force_login(alice)
    response = client.post(reverse("schedule-notifications-read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_the_list_costs_the_same_with_10_and_500_notices(client, alice):
    client.force_login(alice)
    make_notes(alice, 10)
    small = query_count(client, reverse("schedule-notifications"))
    make_notes(alice, 490)
    assert query_count(client, reverse("schedule-notifications")) == small == LIST_QUERIES


def test_the_bell_counts_unread_current_notices_in_constant_queries(client, alice, hidalgo):
    client.force_login(alice)
    make_notes(alice, 10)
    Notification.objects.filter(title="Notice 0").update(read_at=timezone.now())
    Notification.objects.filter(title="Notice 1").update(superseded_at=timezone.now())
    response = client.get(reverse("schedule-fragment-bell"))
    assert b'<span class="badge on-deck">8</span>' in response.content
    assert query_count(client, reverse("schedule-fragment-bell")) == BELL_QUERIES
    make_notes(alice, 490)
    assert query_count(client, reverse("schedule-fragment-bell")) == BELL_QUERIES
    assert b"99+" in client.get(reverse("schedule-fragment-bell")).content


# --- Preferences ----------------------------------------------------------------


def test_the_grid_groups_types_and_locks_critical_in_app(client, alice):
    client.force_login(alice)
    page = client.get(reverse("schedule-notification-preferences"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your queue entries" in html
    assert "Lab managers" not in html  # staff types are not offered to members
    on_deck = html.split('name="pref-on_deck-in_app"', 1)[1].split(">", 1)[0]
    assert "checked" in on_deck
    assert "disabled" in on_deck


def test_saving_preferences(client, alice):
    client.force_login(alice)
    posted = {"pref-entry_added-email": "on", "pref-queue_opened-in_app": "on"}
    response = client.post(reverse("schedule-notification-preferences"), posted)
    assert response.status_code == 302
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=alice)}
    assert (saved["entry_added"].in_app, saved["entry_added"].email) == (False, True)
    assert saved["queue_opened"].in_app
    assert saved["on_deck"].in_app  # critical: on although its box was not posted
    assert not saved["machine_edited"].in_app


def test_a_bad_preferences_form_changes_nothing(client, alice):
    client.force_login(alice)
    for bad in ({"pref-nonsense-in_app": "on"}, {"pref-staff_daily_summary-email": "on"}):
        response = client.post(reverse("schedule-notification-preferences"), bad)
        assert response.status_code == 400
        assert b"Unknown notification setting" in response.content
    assert not NotificationPreference.objects.exists()


def test_preferences_of_another_member_are_untouched(client, alice, bob):
    NotificationPreference.objects.create(user=bob, kind="entry_added", email=True)
    client.force_login(alice)
    client.post(reverse("schedule-notification-preferences"), {})
    assert NotificationPreference.objects.get(user=bob, kind="entry_added").email


# --- Staff: failed deliveries ---------------------------------------------------


@pytest.fixture
def failed_delivery(alice):
    [note] = notify("account_approved", [alice])
    row = note.deliveries.get(channel="email")
    Delivery.objects.filter(pk=row.pk).update(
        state=DeliveryState.PERMANENT_FAILURE, attempts=1, last_error="mail server refused"
    )
    return row


def test_staff_see_failed_deliveries_with_their_error(client, sam, failed_delivery):
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-deliveries"))
    assert page.status_code == 200
    assert b"mail server refused" in page.content
    assert b"Failed permanently" in page.content


def test_members_and_anonymous_cannot_see_the_deliveries_page(client, alice, failed_delivery):
    retry = reverse("schedule-staff-delivery-retry", args=[failed_delivery.pk])
    assert client.get(reverse("schedule-staff-deliveries")).url.startswith("/accounts/login/")
    client.force_login(alice)
    assert client.get(reverse("schedule-staff-deliveries")).status_code == 403
    assert client.post(retry).status_code == 403
    failed_delivery.refresh_from_db()
    assert failed_delivery.state == DeliveryState.PERMANENT_FAILURE


def test_retry_now_makes_it_due_and_the_runner_sends_it(client, sam, failed_delivery, settings):
    from calendarEditor.services.notifications import delivery

    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    client.force_login(sam)
    retry = reverse("schedule-staff-delivery-retry", args=[failed_delivery.pk])
    assert client.get(retry).status_code == 405
    response = client.post(retry)
    assert response.url == reverse("schedule-staff-deliveries")
    failed_delivery.refresh_from_db()
    assert (failed_delivery.state, failed_delivery.attempts) == (DeliveryState.PENDING, 0)
    assert delivery.deliver_due().sent == 1


def test_retrying_a_sent_delivery_is_refused(client, sam, alice):
    [note] = notify("account_approved", [alice])
    sent = note.deliveries.get(channel="in_app")
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-delivery-retry", args=[sent.pk]), follow=True)
    assert b"only failed ones can be retried" in response.content
    sent.refresh_from_db()
    assert sent.state == DeliveryState.SENT
    assert client.post(reverse("schedule-staff-delivery-retry", args=[99999])).status_code == 404


def test_the_bell_context_costs_one_query_and_none_for_visitors(
    rf, alice, django_assert_num_queries
):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    from calendarEditor.services.notifications import inbox

    make_notes(alice, 3)
    visitor = rf.get("/")
    visitor.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert inbox.bell_context(visitor) == {}
    request = rf.get("/")
    request.user = alice
    with django_assert_num_queries(0):
        context = inbox.bell_context(request)  # lazy: pages without the bell pay nothing
    with django_assert_num_queries(1):
        html = render_to_string("fragments/bell.html", context)
    assert '<span class="badge on-deck">3</span>' in html
    assert "Notifications: 3 unread" in html


def test_the_staff_page_costs_the_same_with_few_and_many_failures(client, sam, alice):
    client.force_login(sam)
    notify("account_approved", [alice])
    Delivery.objects.update(state=DeliveryState.FAILED, last_error="SMTP down")
    few = query_count(client, reverse("schedule-staff-deliveries"))
    for index in range(60):
        notify("account_details_changed", [alice], context={"fields": f"f{index}"})
    Delivery.objects.update(state=DeliveryState.FAILED, last_error="SMTP down")
    assert query_count(client, reverse("schedule-staff-deliveries")) == few
