"""Fair use: a member holds at most N active entries (queued + running) across machines."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services import fair_use, queue
from calendarEditor.services.fair_use import FairUseLimitReached
from conftest import entry_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limit_of_three(settings):
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 3


def submit(member, title, *, by=None, machine=None, **requirements):
    request = entry_request(title, 10, **requirements)
    return queue.enqueue(request, member=member, by=by or member, machine=machine).entry


def test_the_fourth_active_entry_is_refused_and_the_message_names_the_three(
    alice, hidalgo, griffin
):
    first = submit(alice, "Hall bar")
    queue.start(first, by=alice)
    submit(alice, "Optics", optical=True)
    submit(alice, "Rotator run")
    with pytest.raises(FairUseLimitReached) as refused:
        submit(alice, "One too many")
    message = refused.value.message
    assert message.startswith("You already have 3 active entries: 'Hall bar' on ")
    assert "(running)" in message
    assert "'Optics' on Griffin (#" in message
    assert "'Rotator run' on " in message
    assert "The limit is 3" in message
    assert not QueueEntry.objects.filter(title="One too many").exists()
    assert [e.title for e in refused.value.active] == ["Hall bar", "Optics", "Rotator run"]


def test_finished_entries_free_a_place(alice, hidalgo):
    entries = [submit(alice, f"Run {n}") for n in range(3)]
    queue.cancel(entries[1], by=alice)
    queue.start(entries[0], by=alice)
    queue.complete(entries[0], by=alice)
    assert submit(alice, "Run 3").status == EntryStatus.QUEUED
    assert submit(alice, "Run 4").status == EntryStatus.QUEUED
    with pytest.raises(FairUseLimitReached):
        submit(alice, "Run 5")


def test_the_limit_is_per_member(alice, bob, hidalgo):
    for n in range(3):
        submit(alice, f"Alice {n}")
    assert submit(bob, "Bob 0").member == bob


def test_a_machine_override_replaces_the_lab_wide_limit(alice, make_machine):
    roomy = make_machine("Roomy", max_active_entries_per_member=5, optical_access=True)
    make_machine("Strict", max_active_entries_per_member=1, rf_lines=64)
    submit(alice, "Strict one", rf_lines=40)
    with pytest.raises(FairUseLimitReached, match="The limit is 1"):
        submit(alice, "Strict two", rf_lines=40)
    for n in range(4):
        assert submit(alice, f"Roomy {n}", optical=True).machine == roomy
    with pytest.raises(FairUseLimitReached, match="You already have 5 active entries"):
        submit(alice, "Roomy 5", optical=True)


def test_zero_means_no_limit(settings, alice, hidalgo, make_machine):
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 0
    for n in range(5):
        submit(alice, f"Run {n}")
    unlimited = make_machine("Unlimited", max_active_entries_per_member=0, optical_access=True)
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 2
    assert submit(alice, "Still fine", optical=True).machine == unlimited
    with pytest.raises(FairUseLimitReached):
        submit(alice, "Only Hidalgo has a B_x magnet", field_x=1)


def test_lab_managers_may_place_entries_beyond_the_limit(alice, sam, hidalgo):
    for n in range(3):
        submit(alice, f"Run {n}")
    placed = submit(alice, "Placed by staff", by=sam, machine=hidalgo)
    assert placed.member == alice
    assert QueueEntry.objects.filter(member=alice, status=EntryStatus.QUEUED).count() == 4
    for n in range(4):
        submit(sam, f"Staff run {n}")


def test_a_long_list_is_shortened(settings, alice, sam, hidalgo):
    for n in range(8):
        submit(alice, f"Run {n}", by=sam, machine=hidalgo)
    with pytest.raises(FairUseLimitReached) as refused:
        submit(alice, "Ninth")
    assert refused.value.message.count("' on Hidalgo") == 6
    assert "and 2 more" in refused.value.message


def test_a_suspended_member_is_refused_under_the_lock(alice, hidalgo):
    # The member object in hand still says approved; the locked profile row does not.
    type(alice.profile).objects.filter(user=alice).update(approval_status="suspended")
    with pytest.raises(PermissionDenied):
        submit(alice, "Sneaky")
    assert not QueueEntry.objects.exists()


@pytest.mark.parametrize("value", ["three", -1])
def test_a_bad_setting_fails_loudly(settings, value):
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = value
    with pytest.raises(ImproperlyConfigured):
        fair_use.global_limit()


def test_a_refused_submit_bumps_no_version(alice, hidalgo):
    for n in range(3):
        submit(alice, f"Run {n}")
    hidalgo.refresh_from_db()
    version = hidalgo.queue_version
    with pytest.raises(FairUseLimitReached):
        submit(alice, "Fourth")
    hidalgo.refresh_from_db()
    assert hidalgo.queue_version == version


# --- the submit page ---------------------------------------------------------------

FORM = {
    "title": "Page run",
    "estimated_duration": "10",
    "duration_unit": "hours",
    "required_min_temp": "1.8",
    "field_x": "0",
    "field_y": "0",
    "field_z": "0",
    "field_direction": "none",
    "dc_lines": "0",
    "rf_lines": "0",
}


def test_the_submit_page_shows_the_refusal_and_saves_nothing(client, alice, hidalgo):
    for n in range(3):
        submit(alice, f"Run {n}")
    client.force_login(alice)
    response = client.post(reverse("schedule-submit"), FORM)
    assert response.status_code == 200
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown
    assert shown[0].startswith("You already have 3 active entries: 'Run 0' on Hidalgo")
    assert not QueueEntry.objects.filter(title="Page run").exists()


def test_the_submit_page_queues_within_the_limit(client, alice, hidalgo):
    client.force_login(alice)
    response = client.post(reverse("schedule-submit"), FORM)
    assert response.status_code == 302
    assert QueueEntry.objects.get(title="Page run").member == alice


def test_the_machine_form_edits_the_rules(client, sam, hidalgo):
    client.force_login(sam)
    url = reverse("schedule-staff-machine-edit", args=[hidalgo.pk])
    page = client.get(url)
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(
        daughterboards="DIP",
        capabilities="",
        queue_rules_shown="1",
        max_active_entries_per_member="2",
        requires_training="on",
        auto_extension_hours="4",
    )
    data.pop("optical_access", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    hidalgo.refresh_from_db()
    assert hidalgo.max_active_entries_per_member == 2
    assert hidalgo.requires_training
    assert hidalgo.auto_extension_hours == 4


def test_a_machine_form_without_the_rules_keeps_them(client, sam, make_machine):
    machine = make_machine(
        "Ruled", max_active_entries_per_member=2, requires_training=True, auto_extension_hours=3
    )
    client.force_login(sam)
    url = reverse("schedule-staff-machine-edit", args=[machine.pk])
    data = {k: v for k, v in client.get(url).context["form"].initial.items() if v is not None}
    data.update(daughterboards="DIP", capabilities="", location="Room 9")
    for name in ("optical_access", "requires_training"):
        data.pop(name, None)
    data.pop("max_active_entries_per_member", None)
    data.pop("auto_extension_hours", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    machine.refresh_from_db()
    assert machine.location == "Room 9"
    assert (machine.max_active_entries_per_member, machine.requires_training) == (2, True)
    assert machine.auto_extension_hours == 3
