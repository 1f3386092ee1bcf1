"""A machine's page shows its queue one page at a time, and costs the same at any length.

Entries are bulk-created directly (positions 1..n) so the setup stays fast;
the pages only read them. Titles read "Run 007" so no title is part of another.
"""

import re

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from calendarEditor import machine_selectors, selectors
from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services import queue
from calendarEditor.tests.member_support import queue_on

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 12
# The machine with its queue's totals, its running entry, the page's entries with
# the hours ahead of them, the viewer's entries on other pages. (The session, the
# user, the open issues and the unread notices come on top, the same on any page.)
QUEUE_QUERIES = 4
QUEUE_TABLES = {"calendarEditor_machine", "calendarEditor_queueentry"}


def add_queued(machine, member, count, *, owners=None):
    """Append ``count`` queued entries to ``machine``; ``owners`` maps a position to a member."""
    owners = owners or {}
    tail = QueueEntry.objects.filter(machine=machine, status=EntryStatus.QUEUED).count()
    entries = []
    for position in range(tail + 1, tail + count + 1):
        owner = owners.get(position, member)
        entries.append(
            QueueEntry(
                member=owner,
                member_name=owner.get_username(),
                title=f"Run {position:03d}",
                estimated_hours=4 + position % 7 + (0.5 if position % 3 else 0),
                machine=machine,
                machine_name=machine.name,
                position=position,
                status=EntryStatus.QUEUED,
            )
        )
    QueueEntry.objects.bulk_create(entries)


def machine_url(machine, page=None):
    url = reverse("schedule-machine", args=[machine.pk])
    return url if page is None else f"{url}?page={page}"


def fragment_url(machine, page=None):
    url = reverse("schedule-fragment-machine-queue", args=[machine.pk])
    return url if page is None else f"{url}?page={page}"


def shown_positions(response):
    return [placed.entry.position for placed in response.context["view"].placed]


def count_queries(client, url):
    """All the queries ``url`` costs, and those of them reading the machine or its queue."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in captured.captured_queries]
    return len(tables), sum(table in QUEUE_TABLES for table in tables)


@pytest.fixture
def running_on_hidalgo(bob, sam, hidalgo):
    entry = queue_on(hidalgo, bob, "Bob's anneal", by=sam, hours=20)
    queue.start(entry, by=bob)
    return entry


def test_first_page_shows_only_the_first_entries(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)

    response = client.get(machine_url(hidalgo))

    html = response.content.decode()
    assert shown_positions(response) == list(range(1, 26))
    assert "Run 025" in html
    assert "Run 026" not in html
    assert 'Queue <span class="count">60</span>' in html
    assert "Showing 1\u201325 of 60" in html
    assert "Page 1 of 3" in html
    assert f'href="{machine_url(hidalgo, 2)}#machine-queue" rel="next"' in html
    assert f'href="{machine_url(hidalgo, 3)}#machine-queue">Last' in html
    assert "First</a>" not in html
    assert 'rel="prev"' not in html


def test_a_short_queue_has_no_page_links(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 25)
    client.force_login(alice)
    html = client.get(machine_url(hidalgo)).content.decode()
    assert "Run 025" in html
    assert "Showing" not in html
    assert 'aria-label="Queue pages"' not in html


def test_every_page_keeps_the_running_entry_and_the_queue_summary(
    client, alice, bob, hidalgo, running_on_hidalgo
):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)
    whole = selectors.machine_queue_view(hidalgo)

    response = client.get(machine_url(hidalgo, 3))

    html = response.content.decode()
    assert shown_positions(response) == list(range(51, 61))
    assert "Bob&#x27;s anneal" in html
    assert "expected to end" in html
    assert "Showing 51\u201360 of 60" in html
    assert 'Queue <span class="count">60</span>' in html
    hours = sum(
        QueueEntry.objects.filter(status=EntryStatus.QUEUED).values_list(
            "estimated_hours", flat=True
        )
    )
    assert f"{hours:g} h (" in html
    assert "queued in all" in html
    view = response.context["view"]
    assert view.queued_hours == hours
    # "When a new entry would start" counts the whole queue, not the page.
    assert abs(view.back_of_queue_start - whole.back_of_queue_start).total_seconds() < 5
    assert f'href="{machine_url(hidalgo, 1)}#machine-queue">« First' in html
    assert f'href="{machine_url(hidalgo, 2)}#machine-queue" rel="prev"' in html
    assert 'rel="next"' not in html


@override_settings(MACHINE_QUEUE_PAGE_SIZE=10)
def test_each_page_agrees_with_the_whole_queue(alice, bob, hidalgo, running_on_hidalgo):
    add_queued(hidalgo, bob, 45)
    now = timezone.now()
    whole = selectors.machine_queue_view(hidalgo, now=now)
    expected = [(p.entry.pk, p.entry.position, p.estimated_start) for p in whole.placed]

    pages = [
        machine_selectors.machine_queue_page(hidalgo.pk, alice, n, now=now) for n in range(1, 6)
    ]

    for number, page in enumerate(pages, start=1):
        shown = [(p.entry.pk, p.entry.position, p.estimated_start) for p in page.placed]
        assert shown == expected[(number - 1) * 10 : number * 10]
        assert page.back_of_queue_start == whole.back_of_queue_start
        assert page.queue_length == 45
    assert [page.pager.num_pages for page in pages] == [5] * 5


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        ("0", 1),
        ("-3", 1),
        ("abc", 1),
        ("", 1),
        ("2.5", 1),
        ("1e3", 1),
        ("2", 2),
        (" 2 ", 2),
        ("4", 3),
        ("999999999999999999999999", 3),
        ("9" * 5000, 1),  # too long to read as a number
    ],
)
@pytest.mark.parametrize("url", [machine_url, fragment_url])
def test_bad_page_values_are_clamped(client, alice, bob, hidalgo, url, raw, page):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)
    response = client.get(url(hidalgo), {"page": raw})
    assert response.status_code == 200
    assert response.context["view"].pager.number == page
    assert shown_positions(response)[0] == (page - 1) * 25 + 1


def test_any_page_of_an_empty_queue_says_nobody_waits(client, alice, hidalgo):
    client.force_login(alice)
    response = client.get(machine_url(hidalgo, 4))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nobody is waiting" in html
    assert 'aria-label="Queue pages"' not in html
    assert f'data-fragment-url="{fragment_url(hidalgo)}"' in html


def test_unknown_machine_is_404_on_any_page(client, alice):
    client.force_login(alice)
    assert client.get("/schedule/machines/9999/?page=2").status_code == 404
    response = client.get(reverse("schedule-fragment-machine-queue", args=[9999]), {"page": 2})
    assert response.status_code == 404


def test_the_page_says_where_the_viewers_own_entry_is(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60, owners={57: alice, 3: alice})
    client.force_login(alice)

    html = client.get(machine_url(hidalgo)).content.decode()

    assert (
        f'Your entry “Run 057” is #57 — on <a href="{machine_url(hidalgo, 3)}#machine-queue">'
        "page 3</a>." in html
    )
    assert "Your entry “Run 003”" not in html  # on this page, and highlighted
    assert html.count('class="mine"') == 1

    third = client.get(machine_url(hidalgo, 3)).content.decode()
    assert "Your entry “Run 057”" not in third
    assert "Your entry “Run 003” is #3 — on" in third
    assert third.count('class="mine"') == 1


def test_no_line_when_the_viewers_entries_are_all_on_the_page(client, alice, bob, sam, hidalgo):
    add_queued(hidalgo, bob, 60, owners={5: alice})
    for viewer in (alice, sam):  # sam, staff, has no entries at all
        client.force_login(viewer)
        html = client.get(machine_url(hidalgo)).content.decode()
        assert "Your entry" not in html


@override_settings(QUEUE_PRIVACY="private")
def test_later_pages_keep_others_entries_private(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60, owners={57: alice})
    client.force_login(bob)
    html = client.get(machine_url(hidalgo, 3)).content.decode()
    assert "Run 057" not in html
    assert "alice" not in html
    assert "Reserved" in html
    assert "another member" in html

    client.force_login(alice)
    assert "Run 057" in client.get(machine_url(hidalgo, 3)).content.decode()


def test_the_fragment_keeps_the_page(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)

    page = client.get(machine_url(hidalgo, 2)).content.decode()
    assert f'data-fragment-url="{fragment_url(hidalgo, 2)}"' in page

    fragment = client.get(fragment_url(hidalgo, 2))
    assert shown_positions(fragment) == list(range(26, 51))
    html = fragment.content.decode()
    assert f'data-fragment-url="{fragment_url(hidalgo, 2)}"' in html
    assert "<html" not in html
    # Page links lead to the machine's page, not to the bare fragment.
    assert f'href="{machine_url(hidalgo, 3)}#machine-queue" rel="next"' in html


def test_a_refetch_past_the_end_settles_on_the_last_page(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)
    QueueEntry.objects.filter(position__gt=30).delete()  # the queue shrank meanwhile

    response = client.get(fragment_url(hidalgo, 3))

    assert shown_positions(response) == list(range(26, 31))
    assert f'data-fragment-url="{fragment_url(hidalgo, 2)}"' in response.content.decode()


def test_the_page_reads_only_the_entries_it_shows(client, alice, bob, hidalgo, running_on_hidalgo):
    add_queued(hidalgo, bob, 500, owners={400: alice, 450: alice})
    client.force_login(alice)
    loaded = []

    def count(sender, instance, **kwargs):
        loaded.append(instance)

    post_init.connect(count, sender=QueueEntry)
    try:
        response = client.get(machine_url(hidalgo, 7))
    finally:
        post_init.disconnect(count, sender=QueueEntry)

    assert shown_positions(response) == list(range(151, 176))
    # The page's 25, the running entry, and alice's two on other pages.
    assert len(loaded) == 25 + 1 + 2


def test_page_and_fragment_cost_the_same_with_10_and_500_entries(
    client, alice, bob, hidalgo, running_on_hidalgo
):
    add_queued(hidalgo, bob, 10, owners={4: alice})
    client.force_login(alice)
    urls = [machine_url(hidalgo), fragment_url(hidalgo)]
    small = [count_queries(client, url) for url in urls]

    add_queued(hidalgo, bob, 490, owners={300: alice})
    large = [count_queries(client, url) for url in urls]
    deep = [count_queries(client, f"{url}?page=15") for url in urls]

    assert small == large == deep
    assert [queue_share for _, queue_share in small] == [QUEUE_QUERIES, QUEUE_QUERIES]
    assert all(total <= PAGE_BUDGET for total, _ in small)


def test_page_links_are_plain_links_that_work_without_scripts(client, alice, bob, hidalgo):
    add_queued(hidalgo, bob, 60)
    client.force_login(alice)
    html = client.get(machine_url(hidalgo, 2)).content.decode()
    nav = re.search(r'<nav class="pagination pad" aria-label="Queue pages">(.*?)</nav>', html, re.S)
    assert nav is not None
    links = re.findall(r'href="([^"]+)"', nav.group(1))
    assert links == [f"{machine_url(hidalgo, n)}#machine-queue" for n in (1, 1, 3, 3)]
    assert 'aria-current="page">Page 2 of 3<' in nav.group(1)
