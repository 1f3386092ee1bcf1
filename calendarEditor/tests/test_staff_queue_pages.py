"""The staff queue a page at a time, and each entry's reassign menu loaded on demand."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services import matching, queue, schedule
from conftest import entry_request

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PAGE_SIZE = 50
QUEUED = 130  # three pages: 1-50, 51-100, 101-130


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def page_size(settings):
    settings.STAFF_QUEUE_PAGE_SIZE = PAGE_SIZE


@pytest.fixture
def long_queue(clock, alice, bob, sam, hidalgo):
    """A run started an hour ago on Hidalgo, then 130 queued entries of uneven lengths."""
    running = queue.enqueue(
        entry_request("Long run", hours=30), member=bob, by=sam, machine=hidalgo
    )
    queue.start(running.entry, by=sam)
    clock.shift(timedelta(hours=1))
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=alice if i % 2 else bob,
            member_name="alice" if i % 2 else "bob",
            title=f"Run {i}",
            estimated_hours=1.5 + i % 7 + (i % 3) / 4,
            machine=hidalgo,
            machine_name=hidalgo.name,
            position=i,
            status=EntryStatus.QUEUED,
        )
        for i in range(1, QUEUED + 1)
    )
    return running.entry


def queue_page(client, machine, page=None, view="schedule-staff-queue", **headers):
    url = reverse(view, args=[machine.pk])
    response = client.get(url, {} if page is None else {"page": page}, **headers)
    assert response.status_code == 200
    return response


def whole_queue_starts(machine, running):
    """Estimated starts computed the old way, from every queued entry."""
    queued = list(
        QueueEntry.objects.filter(machine=machine, status=EntryStatus.QUEUED).order_by("position")
    )
    running.refresh_from_db()
    return {p.entry.pk: p.estimated_start for p in schedule.place_queue(machine, queued, running)}


# --- pages ------------------------------------------------------------------------------------


def test_page_one_shows_the_first_page_only_with_links_on(client, sam, long_queue, hidalgo):
    client.force_login(sam)
    response = queue_page(client, hidalgo)
    page = response.context["page"]
    assert [row.entry.position for row in page.rows] == list(range(1, PAGE_SIZE + 1))
    html = response.content.decode()
    assert "Showing 1\u201350 of 130" in html
    assert "Run 50<" in html
    assert "Run 51<" not in html
    queue_url = reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert f'href="{queue_url}?page=2#staff-queue" rel="next"' in html
    assert f'href="{queue_url}?page=3#staff-queue">Last' in html
    assert 'rel="prev"' not in html
    # The running entry and the queue's totals are on every page.
    assert reverse("schedule-staff-complete", args=[long_queue.pk]) in html
    assert '<span class="count">130</span>' in html


@pytest.mark.parametrize(("number", "positions"), [(2, (51, 100)), (3, (101, 130))])
def test_a_later_page_shows_its_entries_with_the_starts_the_whole_queue_gives(
    client, sam, long_queue, hidalgo, number, positions
):
    client.force_login(sam)
    response = queue_page(client, hidalgo, number)
    page = response.context["page"]
    first, last = positions
    assert [row.entry.position for row in page.rows] == list(range(first, last + 1))
    expected = whole_queue_starts(hidalgo, long_queue)
    for row in page.rows:
        # Summed hours ahead and step-by-step addition may differ in the last microsecond.
        assert abs(row.placed.estimated_start - expected[row.entry.pk]) < timedelta(milliseconds=1)
    assert page.rows[0].placed.estimated_start > NOW + timedelta(hours=29 + 15 * first)
    html = response.content.decode()
    assert f"Showing {first}\u2013{last} of 130" in html
    assert reverse("schedule-staff-complete", args=[long_queue.pk]) in html
    assert '<span class="count">130</span>' in html
    queue_url = reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert f'href="{queue_url}#staff-queue">« First' in html
    previous = "" if number == 2 else f"?page={number - 1}"
    assert f'href="{queue_url}{previous}#staff-queue" rel="prev"' in html


def test_only_the_real_first_and_last_entries_lose_their_up_and_down_buttons(
    client, sam, long_queue, hidalgo
):
    client.force_login(sam)
    rows = queue_page(client, hidalgo, 2).context["page"].rows
    assert not any(row.is_first or row.is_last for row in rows)
    html = queue_page(client, hidalgo, 3).content.decode()
    last = QueueEntry.objects.get(machine=hidalgo, position=QUEUED)
    assert f'aria-label="Move {last.title} up"' in html
    assert f'aria-label="Move {last.title} down"' not in html
    assert 'aria-label="Move Run 101 up"' in html  # first on its page, not in the queue


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("0", 1),
        ("-4", 1),
        ("two", 1),
        ("", 1),
        ("2.5", 1),
        ("%00", 1),
        ("3", 3),
        ("4", 3),
        ("99999999999999999999999999", 3),
    ],
)
def test_bad_page_values_fall_back_to_a_page_that_exists(
    client, sam, long_queue, hidalgo, raw, number
):
    client.force_login(sam)
    for view in ("schedule-staff-queue", "schedule-fragment-staff-queue"):
        page = queue_page(client, hidalgo, raw, view=view).context["page"]
        assert page.pager.number == number
        assert page.rows[0].entry.position == (number - 1) * PAGE_SIZE + 1


def test_an_empty_queue_has_one_page_and_no_links(client, sam, hidalgo):
    client.force_login(sam)
    response = queue_page(client, hidalgo, "5")
    assert response.context["page"].pager.number == 1
    html = response.content.decode()
    assert "The queue is empty." in html
    assert "Showing" not in html
    assert "Queue pages" not in html


def test_the_live_fragment_and_the_forms_keep_the_page(client, sam, long_queue, hidalgo):
    client.force_login(sam)
    html = queue_page(client, hidalgo, 2).content.decode()
    fragment_url = reverse("schedule-fragment-staff-queue", args=[hidalgo.pk]) + "?page=2"
    assert f'data-fragment-url="{fragment_url}"' in html
    entry = QueueEntry.objects.get(machine=hidalgo, position=60)
    queue_url = reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert f'name="next" value="{queue_url}?page=2#entry-{entry.pk}"' in html
    fragment = client.get(fragment_url, HTTP_HX_REQUEST="true")
    assert [row.entry.position for row in fragment.context["page"].rows] == list(range(51, 101))
    assert f'data-fragment-url="{fragment_url}"' in fragment.content.decode()
    # Page 1 keeps its plain address.
    first = queue_page(client, hidalgo).content.decode()
    plain = reverse("schedule-fragment-staff-queue", args=[hidalgo.pk])
    assert f'data-fragment-url="{plain}"' in first


# --- the reassign menu --------------------------------------------------------------------------


@pytest.fixture
def optics(alice, sam, griffin, hidalgo, make_machine):
    """An entry on Griffin that needs optical access: Iris fits it, Hidalgo does not."""
    make_machine("Iris", optical_access=True)
    return queue.enqueue(
        entry_request("Optics", optical=True), member=alice, by=sam, machine=griffin
    ).entry


def options_url(entry, machine=None):
    return reverse(
        "schedule-staff-reassign-options", args=[(machine or entry.machine).pk, entry.pk]
    )


def test_the_queue_page_loads_each_reassign_menu_on_demand(client, sam, optics, griffin):
    client.force_login(sam)
    html = queue_page(client, griffin).content.decode()
    url = options_url(optics)
    assert f'hx-get="{url}" hx-trigger="toggle once" hx-target="#reassign-{optics.pk}"' in html
    assert f'<a href="{url}">' in html  # without JavaScript, the menu is a page of its own
    assert "Iris" not in html  # no machine names until a menu opens


def test_reassign_options_are_for_staff_only(client, alice, charlie, optics):
    url = options_url(optics)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(url).status_code == 403
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403
    client.force_login(charlie)
    assert client.get(url).url == reverse("accounts-pending")


def test_reassign_options_list_the_other_machines_with_why_they_do_not_fit(
    client, sam, optics, griffin, hidalgo
):
    client.force_login(sam)
    response = client.get(options_url(optics), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    choice = response.context["choice"]
    reasons = {option.machine.name: option.reasons for option in choice.options}
    assert list(reasons) == ["Hidalgo", "Iris"]  # every other machine, by name
    assert reasons["Iris"] == ()
    assert any("optical" in reason for reason in reasons["Hidalgo"])
    html = response.content.decode()
    assert "<html" not in html  # the form alone, for htmx to put in the menu
    assert f'action="{reverse("schedule-staff-reassign", args=[optics.pk])}"' in html
    fits, misfits = html.split('<optgroup label="Does not fit">')
    # Selected from the start, so live updates do not take the menu for a half-filled form.
    assert f'<option value="{choice.fitting[0].machine.pk}" selected>Iris</option>' in fits
    assert f'<option value="{hidalgo.pk}"' in misfits
    assert "optical" in misfits
    assert f'value="{griffin.pk}"' not in html


def test_reassign_options_name_missing_training(client, sam, alice, hidalgo, make_machine):
    make_machine("Kelvin", requires_training=True)
    entry = queue.enqueue(entry_request("Hall bar"), member=alice, by=sam, machine=hidalgo).entry
    client.force_login(sam)
    choice = client.get(options_url(entry), HTTP_HX_REQUEST="true").context["choice"]
    assert [option.reasons for option in choice.options] == [(matching.TRAINING_REQUIRED,)]


def test_without_javascript_the_options_are_a_page_of_their_own(client, sam, optics, griffin):
    client.force_login(sam)
    response = client.get(options_url(optics))
    html = response.content.decode()
    assert "<html" in html
    assert "Reassign Optics" in html
    assert reverse("schedule-staff-queue", args=[griffin.pk]) in html
    assert "Why some machines do not fit" in html
    assert "optical" in html


def test_a_lone_machine_has_nowhere_to_reassign_to(client, sam, alice, hidalgo):
    entry = queue.enqueue(entry_request("Hall bar"), member=alice, by=sam, machine=hidalgo).entry
    client.force_login(sam)
    html = client.get(options_url(entry), HTTP_HX_REQUEST="true").content.decode()
    assert "There is no other machine" in html
    assert "<form" not in html


def test_reassign_options_404_unless_the_entry_is_queued_on_that_machine(
    client, sam, alice, optics, griffin, hidalgo
):
    client.force_login(sam)
    assert client.get(options_url(optics, machine=hidalgo)).status_code == 404
    missing = reverse("schedule-staff-reassign-options", args=[griffin.pk, 99999])
    assert client.get(missing).status_code == 404
    queue.start(optics, by=sam)
    assert client.get(options_url(optics, machine=griffin)).status_code == 404
    queue.complete(optics, by=sam)
    assert client.get(options_url(optics, machine=griffin)).status_code == 404


def test_reassign_from_the_options_form_returns_to_the_entrys_page(
    client, sam, long_queue, hidalgo, griffin
):
    entry = QueueEntry.objects.get(machine=hidalgo, position=75)
    client.force_login(sam)
    html = client.get(options_url(entry), HTTP_HX_REQUEST="true").content.decode()
    [action] = re.findall(r'<form method="post" action="([^"]+)"', html)
    [next_url] = re.findall(r'name="next" value="([^"]+)"', html)
    [select] = re.findall(r'<select[^>]*name="machine"[^>]*>(.*?)</select>', html, re.S)
    assert re.findall(r'<option value="(\d+)"', select) == [str(griffin.pk)]
    assert next_url == reverse("schedule-staff-queue", args=[hidalgo.pk]) + "?page=2"
    response = client.post(
        action, {"machine": griffin.pk, "reason": "Magnet quench", "next": next_url}
    )
    assert response.status_code == 302
    assert response.url == next_url
    entry.refresh_from_db()
    assert (entry.machine, entry.position) == (griffin, 1)
    assert QueueEntry.objects.filter(machine=hidalgo, status=EntryStatus.QUEUED).count() == 129
