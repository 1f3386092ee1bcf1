"""The [due] pages: queue timetables and hold skips for staff, the check-out snooze for members.

Each view: the happy path, the anonymous visitor, the wrong person, a bad form.
"""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from calendarEditor import staff_selectors
from calendarEditor.models import AuditEvent, ClosedWindow, Machine, OpeningHours, QueueSchedule
from calendarEditor.services import queue, schedule_editing
from calendarEditor.tests.due_support import START, fresh, hours, queued, running

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("calendarEditor.tests.urls_with_due"),
    pytest.mark.usefixtures("clock"),
]

WEEKDAY_FORM = {
    **{f"opens_{day}": "08:00" for day in range(5)},
    **{f"closes_{day}": "18:00" for day in range(5)},
    "snooze_max_hours": "6",
}


def is_open(machine: Machine) -> bool:
    return Machine.objects.get(pk=machine.pk).accepts_entries


def local(moment) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def last_message(response) -> str:
    """The newest flash message (earlier ones wait unread when no page is rendered)."""
    return [str(message) for message in response.wsgi_request._messages][-1]


# --- Timetables ---------------------------------------------------------------------


def test_staff_see_every_machine_and_its_timetable(client, sam, hidalgo, griffin):
    schedule_editing.save_timetable(
        hidalgo, {2: None, 3: (START.time(), START.time())}, snooze_max_hours=None, by=sam
    )
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-schedules"))
    assert page.status_code == 200
    assert b"Griffin" in page.content
    assert b"Hidalgo" in page.content
    assert "Closed: outside opening hours" in page.content.decode()
    edit = client.get(reverse("schedule-staff-schedule", args=[hidalgo.pk]))
    assert edit.status_code == 200
    assert b"Save opening hours" in edit.content
    assert b"Add closed window" in edit.content
    bare = client.get(reverse("schedule-staff-schedule", args=[griffin.pk]))  # no timetable yet
    assert bare.status_code == 200
    assert b"No closed window now or to come." in bare.content


def test_timetable_pages_are_for_staff_only(client, alice, hidalgo):
    urls = [
        reverse("schedule-staff-schedules"),
        reverse("schedule-staff-schedule", args=[hidalgo.pk]),
    ]
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("accounts-login"))
    client.force_login(alice)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(urls[1], WEEKDAY_FORM).status_code == 403
    assert not OpeningHours.objects.exists()


def test_saving_opening_hours(client, sam, hidalgo):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-schedule", args=[hidalgo.pk]), WEEKDAY_FORM)
    assert response.status_code == 302
    schedule = QueueSchedule.objects.get(machine=hidalgo)
    assert str(schedule.hours.first()) == "Monday 08:00-18:00"
    assert schedule.hours.count() == 5
    assert schedule.check_out_snooze_max_hours == 6
    assert is_open(hidalgo)  # Wednesday 10:00 is inside the hours
    assert AuditEvent.objects.filter(action="schedule.edited", actor=sam).exists()


def test_half_a_day_is_a_bad_form_and_saves_nothing(client, sam, hidalgo):
    client.force_login(sam)
    form = {**WEEKDAY_FORM, "closes_2": ""}
    response = client.post(reverse("schedule-staff-schedule", args=[hidalgo.pk]), form)
    assert response.status_code == 200
    assert "Give Wednesday both an opening and a closing time" in response.content.decode()
    assert not OpeningHours.objects.exists()


def test_adding_and_removing_a_closed_window(client, sam, alice, hidalgo):
    client.force_login(sam)
    window = {
        "starts": local(START),
        "ends": local(START + hours(4)),
        "reason": "Planned maintenance",
    }
    response = client.post(reverse("schedule-staff-schedule-window-add", args=[hidalgo.pk]), window)
    assert response.status_code == 302
    assert not is_open(hidalgo)
    added = ClosedWindow.objects.get()
    assert (added.starts_at, added.created_by) == (START, sam)
    page = client.get(reverse("schedule-staff-schedule", args=[hidalgo.pk]))
    assert b"Planned maintenance" in page.content

    client.force_login(alice)
    delete_url = reverse("schedule-staff-schedule-window-delete", args=[added.pk])
    assert client.post(delete_url).status_code == 403
    client.force_login(sam)
    assert client.get(delete_url).status_code == 405
    assert client.post(delete_url).status_code == 302
    assert not ClosedWindow.objects.exists()
    assert is_open(hidalgo)


def test_bad_windows_are_refused(client, sam, alice, hidalgo):
    url = reverse("schedule-staff-schedule-window-add", args=[hidalgo.pk])
    backwards = {"starts": local(START + hours(2)), "ends": local(START), "reason": "x"}
    past = {"starts": local(START - hours(5)), "ends": local(START - hours(1)), "reason": "x"}
    assert client.post(url, backwards)["Location"].startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.post(url, past).status_code == 403
    client.force_login(sam)
    response = client.post(url, backwards)
    assert response.status_code == 200
    assert "must end after it starts" in response.content.decode()
    response = client.post(url, past)
    assert response.status_code == 200
    assert "already over" in response.content.decode()
    assert not ClosedWindow.objects.exists()
    assert is_open(hidalgo)


def test_overriding_by_hand_and_following_the_timetable_again(client, sam, alice, hidalgo):
    url = reverse("schedule-staff-schedule-override", args=[hidalgo.pk])
    hold = {"state": "closed", "until": local(START + hours(2)), "reason": "Leak check"}
    client.force_login(alice)
    assert client.post(url, hold).status_code == 403
    client.force_login(sam)
    assert client.post(url, hold).status_code == 302
    assert not is_open(hidalgo)
    page = client.get(reverse("schedule-staff-schedule", args=[hidalgo.pk]))
    assert "Held closed until" in page.content.decode()
    assert client.post(url, {"resume": "1"}).status_code == 302
    assert QueueSchedule.objects.get(machine=hidalgo).override_until is None


def test_bad_overrides_change_nothing(client, sam, hidalgo):
    client.force_login(sam)
    url = reverse("schedule-staff-schedule-override", args=[hidalgo.pk])
    response = client.post(url, {"state": "ajar", "until": ""})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post(url, {"state": "closed", "until": local(START - hours(1))})
    assert response.status_code == 302
    assert "Choose a time in the future" in last_message(response)
    response = client.post(url, {"resume": "1"})
    assert "not overridden by hand" in last_message(response)
    assert is_open(hidalgo)
    assert not AuditEvent.objects.exists()


# --- Skipping an expired hold --------------------------------------------------------


@pytest.fixture
def lineup(alice, bob, sam, hidalgo):
    hidalgo.on_deck_hold_hours = 4
    hidalgo.save()
    return queued(alice, hidalgo, sam, "First"), queued(bob, hidalgo, sam, "Second")


def test_staff_skip_a_member_past_their_hold(client, clock, sam, lineup, hidalgo):
    first, second = lineup
    clock.shift(hours(4))
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-skip", args=[first.pk]), {"reason": "No reply"})
    assert response["Location"] == reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert (fresh(first).position, fresh(second).position) == (2, 1)


def test_skip_before_the_hold_ends_is_refused(client, clock, sam, lineup):
    first, _second = lineup
    clock.shift(hours(1))
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-skip", args=[first.pk]))
    assert "can be skipped after that" in last_message(response)
    assert fresh(first).position == 1


def test_only_staff_skip_and_a_bad_form_changes_nothing(client, clock, sam, alice, lineup):
    first, _second = lineup
    clock.shift(hours(5))
    url = reverse("schedule-staff-skip", args=[first.pk])
    assert client.post(url)["Location"].startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.post(url).status_code == 403
    client.force_login(sam)
    response = client.post(url, {"reason": "x" * 501})
    assert "at most 500 characters" in last_message(response)
    assert fresh(first).position == 1


def test_the_hold_fragment_offers_the_skip_only_past_the_hold(
    clock, sam, lineup, hidalgo, django_assert_num_queries
):
    request = RequestFactory().get("/schedule/staff/")
    request.user = sam

    def render(is_last: bool = False) -> str:
        page = staff_selectors.staff_queue(hidalgo.pk)
        context = {
            "entry": page.rows[0].entry,
            "page": page,
            "is_last": is_last,
            "request": request,
        }
        # The staff queue's rows carry all it needs: no query per row.
        with django_assert_num_queries(0):
            return render_to_string("fragments/staff_hold.html", context, request=request)

    assert "Held until Wed 14:00" in render()
    assert "Skip to #2" not in render()
    clock.shift(hours(4))
    assert "Hold expired Wed 14:00" in render()
    assert "Skip to #2" in render()
    assert "Skip to #2" not in render(is_last=True)


# --- Snoozing check-out reminders ------------------------------------------------------


def test_members_snooze_their_own_running_entry(client, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam)
    client.force_login(alice)
    response = client.post(reverse("schedule-entry-snooze", args=[entry.pk]), {"hours": "3"})
    assert response["Location"] == reverse("schedule-entry", args=[entry.pk])
    assert fresh(entry).check_out_snoozed_until == START + hours(3)
    assert "wait until Wed 13:00" in last_message(response)


def test_snooze_for_someone_else_is_a_404_and_anonymous_goes_to_login(
    client, alice, bob, sam, hidalgo
):
    entry = running(alice, hidalgo, sam)
    url = reverse("schedule-entry-snooze", args=[entry.pk])
    assert client.post(url, {"hours": "2"})["Location"].startswith(reverse("accounts-login"))
    client.force_login(bob)
    assert client.post(url, {"hours": "2"}).status_code == 404
    assert client.post(url, {"hours": "0"}).status_code == 404
    client.force_login(sam)
    assert client.post(url, {"hours": "2"}).status_code == 302
    assert fresh(entry).check_out_snoozed_until == START + hours(2)


def test_bad_snoozes_change_nothing(client, alice, sam, hidalgo):
    entry = running(alice, hidalgo, sam)
    client.force_login(alice)
    url = reverse("schedule-entry-snooze", args=[entry.pk])
    assert "at least 0.25" in last_message(client.post(url, {"hours": "soon"}))
    assert "at most 24 hours" in last_message(client.post(url, {"hours": "30"}))
    queue.complete(entry, by=alice)
    assert "not running" in last_message(client.post(url, {"hours": "2"}))
    assert fresh(entry).check_out_snoozed_until is None


def test_the_snooze_fragment_shows_for_running_entries_with_the_limit(
    alice, sam, hidalgo, django_assert_num_queries
):
    waiting = queued(alice, hidalgo, sam)
    with django_assert_num_queries(0):  # queued entries' pages pay nothing
        assert render_to_string("fragments/snooze_form.html", {"e": waiting}).strip() == ""
    entry = queue.start(waiting, by=alice).entry
    QueueSchedule.objects.create(machine=hidalgo, check_out_snooze_max_hours=8)
    queue.snooze_check_out(entry, hours=1, by=alice)
    running_entry = fresh(entry)
    with django_assert_num_queries(1):  # the machine's snooze limit
        html = render_to_string("fragments/snooze_form.html", {"e": running_entry})
    assert 'max="8"' in html
    assert "at most 8" in html
    assert "Check-out reminders wait until Wed 11:00" in html
