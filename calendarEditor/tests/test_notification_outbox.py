"""The outbox: channels per preferences, critical types, and the plain notify() API."""

import pytest
from django.core import mail
from django.urls import include, path

import mysite.urls
from calendarEditor.models import Delivery, DeliveryState, Notification, NotificationPreference
from calendarEditor.services import queue
from calendarEditor.services.notifications import delivery, notify, preferences
from calendarEditor.tests.fake_slack import fake_slack, recording  # noqa: F401  (fixtures)
from conftest import entry_request

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls(__name__),
    pytest.mark.usefixtures("recording"),
]


@pytest.fixture(autouse=True)
def _runner_only(settings):
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False


def channels_of(notification):
    return sorted(notification.deliveries.values_list("channel", flat=True))


def test_in_app_is_sent_when_written_and_slack_is_off_without_a_token(alice, hidalgo):
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    [note] = Notification.objects.filter(recipient=alice)
    assert note.kind == "ready_to_check_in"
    [row] = note.deliveries.all()
    assert (row.channel, row.state) == ("in_app", DeliveryState.SENT)
    assert row.sent_at is not None


def test_slack_deliveries_exist_only_when_slack_is_on(alice, hidalgo, fake_slack):  # noqa: F811
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    note = Notification.objects.get(recipient=alice)
    assert channels_of(note) == ["in_app", "slack"]
    assert note.deliveries.get(channel="slack").state == DeliveryState.PENDING


def test_preferences_are_respected_per_channel(alice, bob, sam, hidalgo):
    NotificationPreference.objects.create(
        user=bob, kind="entry_added", in_app=False, slack=False, email=True
    )
    NotificationPreference.objects.create(user=alice, kind="entry_added", in_app=False)
    queue.enqueue(entry_request("Bob's"), member=bob, by=sam, machine=hidalgo)
    queue.enqueue(entry_request("A"), member=alice, by=sam, machine=hidalgo)
    queue.enqueue(entry_request("B"), member=alice, by=sam, machine=hidalgo)
    assert not Notification.objects.filter(recipient=alice, kind="entry_added").exists()
    bobs = Notification.objects.get(recipient=bob, kind="ready_to_check_in")
    assert channels_of(bobs) == ["in_app"]  # critical; entry_added merged into it
    queue.enqueue(entry_request("Bob's 2"), member=bob, by=sam, machine=hidalgo)
    added = Notification.objects.get(recipient=bob, kind="entry_added")
    assert channels_of(added) == ["email"]
    assert delivery.deliver_due().sent == 1
    [message] = mail.outbox
    assert message.to == ["bob@lab.example"]
    assert message.subject.endswith("Bob's 2 queued on Hidalgo at #4")
    assert f"/schedule/entries/{added.entry_id}/" in message.body


def test_critical_types_cannot_be_switched_off_in_app(alice, hidalgo):
    ticked = {"on_deck": set(), "ready_to_check_in": set(), "entry_added": set()}
    preferences.save(alice, ticked)
    assert NotificationPreference.objects.get(user=alice, kind="ready_to_check_in").in_app
    assert not NotificationPreference.objects.get(user=alice, kind="entry_added").in_app
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    note = Notification.objects.get(recipient=alice)
    assert (note.kind, channels_of(note)) == ("ready_to_check_in", ["in_app"])


def test_switching_everything_off_writes_nothing(alice, sam, hidalgo):
    NotificationPreference.objects.create(user=alice, kind="machine_edited", in_app=False)
    assert notify("machine_edited", [alice], machine=hidalgo) == []
    assert Notification.objects.count() == 0


def test_a_member_without_email_gets_no_email_delivery(alice, hidalgo):
    alice.email = ""
    alice.save()
    notes = notify("account_approved", [alice])
    assert channels_of(notes[0]) == ["in_app"]


def test_notify_api_for_account_notices(alice, sam):
    [note] = notify("account_approved", [alice], actor=sam)
    assert note.title == "Your account is approved"
    assert note.message.startswith("Sam Tester approved your account.")
    assert note.link == "/schedule/"
    assert channels_of(note) == ["email", "in_app"]
    [staff_note] = notify(
        "staff_new_user",
        [sam],
        context={"member": "charlie", "member_name": "Charlie T", "subject": "u9"},
    )
    assert staff_note.title == "charlie is waiting for approval"
    assert staff_note.link == "/accounts/staff/members/"
    assert staff_note.dedupe_key == "staff_new_user:u9"


def test_notify_skips_inactive_accounts_and_refuses_unknown_types(alice, bob):
    bob.is_active = False
    bob.save()
    assert [n.recipient_id for n in notify("account_promoted", [alice, bob.pk])] == [alice.pk]
    with pytest.raises(ValueError):
        notify("not_a_type", [alice])


def test_an_off_site_link_falls_back_to_the_type_page(alice):
    [note] = notify("preset_edited", [alice], context={"preset": "P"}, link="//evil.example/")
    assert note.link == "/schedule/notifications/"
    [good] = notify("preset_deleted", [alice], context={"preset": "Q"}, link="/schedule/my/")
    assert good.link == "/schedule/my/"


def test_deliveries_are_one_per_channel(alice):
    notify("account_approved", [alice])
    counts = list(Delivery.objects.values_list("channel", flat=True).order_by("channel"))
    assert counts == ["email", "in_app"]


def test_nobody_is_named_to_themselves(alice, sam):
    [own] = notify("account_details_changed", [alice], actor=alice, context={"fields": "email"})
    assert own.message == "Changed: email. If this was not you, tell a lab manager."
    [by_staff] = notify("account_details_changed", [alice], actor=sam, context={"fields": "name"})
    assert by_staff.message.startswith("Changed: name, by Sam Tester.")


def test_slack_can_be_switched_off_for_one_type(alice, hidalgo, fake_slack):  # noqa: F811
    preferences.save(alice, {"ready_to_check_in": {"in_app"}, "moved_by_staff": {"slack"}})
    queue.enqueue(entry_request("Sweep"), member=alice, by=alice)
    assert channels_of(Notification.objects.get(recipient=alice)) == ["in_app"]
    [moved] = notify("moved_by_staff", [alice], context={"entry": "X"})
    assert channels_of(moved) == ["slack"]
