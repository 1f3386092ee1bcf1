"""The board, each machine's page, and their live fragments."""

import pytest
from django.urls import reverse

from calendarEditor.models import AuditEvent, Machine, MachineStatus
from calendarEditor.services import queue
from conftest import entry_request

pytestmark = pytest.mark.django_db


def queue_on(machine, member, title, *, by, hours=10):
    return queue.enqueue(entry_request(title, hours), member=member, by=by, machine=machine).entry


def test_board_lists_every_machine_with_its_state(client, alice, bob, sam, hidalgo, griffin):
    running = queue_on(hidalgo, bob, "Bob's long anneal", by=sam, hours=20)
    queue.start(running, by=bob)
    queue_on(hidalgo, alice, "Alice's sweep", by=sam)
    griffin.accepts_entries = False
    griffin.location = "B12 basement"
    griffin.save()
    client.force_login(alice)

    response = client.get(reverse("schedule-board"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Griffin") < html.index("Hidalgo")
    assert 'class="badge status-running">Running<' in html
    assert "Bob&#x27;s long anneal" in html
    assert "1 waiting" in html
    assert "0 waiting" in html
    assert "Free in about 35 h" in html  # 20 h run + 3 h warmup + 12 h cooldown
    assert 'class="badge closed">Closed<' in html
    assert "B12 basement" in html
    assert reverse("schedule-machine", args=[hidalgo.pk]) in html


def test_board_says_out_of_service_instead_of_a_wait(client, alice, hidalgo):
    hidalgo.status = MachineStatus.MAINTENANCE
    hidalgo.save()
    client.force_login(alice)
    html = client.get(reverse("schedule-board")).content.decode()
    assert "Out of service" in html
    assert "status-maintenance" in html


def test_board_with_no_machines_says_so(client, alice):
    client.force_login(alice)
    assert "No machines yet" in client.get(reverse("schedule-board")).content.decode()


@pytest.mark.parametrize(
    "name", ["schedule-board", "schedule-fragment-board", "schedule-fragment-my-queue"]
)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_anonymous_cannot_see_a_machine(client, hidalgo):
    for name in ("schedule-machine", "schedule-fragment-machine-queue"):
        response = client.get(reverse(name, args=[hidalgo.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts-login"))


@pytest.mark.parametrize("name", ["schedule-board", "schedule-fragment-board"])
def test_board_is_read_only(client, alice, name):
    client.force_login(alice)
    assert client.post(reverse(name)).status_code == 405


def test_machine_page_shows_specs_and_the_queue_in_order(client, alice, bob, sam, hidalgo):
    hidalgo.capabilities = ["temperature_dependent"]
    hidalgo.save()
    first = queue_on(hidalgo, bob, "Bob first", by=sam)
    second = queue_on(hidalgo, alice, "Alice second", by=sam, hours=36)
    third = queue_on(hidalgo, bob, "Bob third", by=sam)
    queue.request_rush(third, justification="Sample degrades", by=bob)
    client.force_login(alice)

    response = client.get(reverse("schedule-machine", args=[hidalgo.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "0.01 \u2013 300 K" in html
    assert "Temperature dependent" in html
    assert "QBoard II, DIP" in html
    assert html.index("Bob first") < html.index("Alice second") < html.index("Bob third")
    assert ">ON DECK<" in html
    assert ">2nd in line<" in html
    assert ">3rd in line<" in html
    assert "Rush requested" in html
    assert "36 h (1.5 days)" in html
    # 10 h ahead + 15 h turnover: the second entry starts in about 25 h.
    assert "in about 25 h" in html
    # Alice's own row is highlighted and links to her entry; Bob's are plain text.
    assert html.count('class="mine"') == 1
    assert reverse("schedule-entry", args=[second.pk]) in html
    assert reverse("schedule-entry", args=[first.pk]) not in html


def test_machine_page_shows_the_running_entry_and_its_end(client, alice, bob, sam, hidalgo):
    running = queue_on(hidalgo, bob, "Bob's cooldown study", by=sam, hours=8)
    queue.start(running, by=bob)
    client.force_login(alice)
    html = client.get(reverse("schedule-machine", args=[hidalgo.pk])).content.decode()
    assert "Bob&#x27;s cooldown study" in html
    assert "expected to end" in html
    assert "in about 8 h" in html
    assert "Nobody is waiting" in html


def test_unknown_machine_is_404(client, alice):
    client.force_login(alice)
    assert client.get(reverse("schedule-machine", args=[9999])).status_code == 404
    response = client.get(reverse("schedule-fragment-machine-queue", args=[9999]))
    assert response.status_code == 404


def test_fragments_carry_their_own_address(client, alice, hidalgo):
    client.force_login(alice)
    cases = [
        (reverse("schedule-fragment-board"), 'id="board-table"'),
        (reverse("schedule-fragment-machine-queue", args=[hidalgo.pk]), 'id="machine-queue"'),
        (reverse("schedule-fragment-my-queue"), 'id="my-queue"'),
    ]
    for url, root in cases:
        html = client.get(url).content.decode()
        assert root in html
        assert f'data-fragment-url="{url}"' in html
        assert "<html" not in html


def test_my_queue_fragment_shows_only_the_viewers_entries(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, alice, "Alice's entry", by=sam)
    queue_on(hidalgo, bob, "Bob's entry", by=sam)
    client.force_login(bob)
    html = client.get(reverse("schedule-fragment-my-queue")).content.decode()
    assert "Bob&#x27;s entry" in html
    assert "Alice&#x27;s entry" not in html


def test_viewing_pages_changes_nothing(client, alice, sam, hidalgo):
    queue_on(hidalgo, alice, "Alice's entry", by=sam)
    version = Machine.objects.get(pk=hidalgo.pk).queue_version
    audit_count = AuditEvent.objects.count()
    client.force_login(alice)
    for url in (
        reverse("schedule-board"),
        reverse("schedule-machine", args=[hidalgo.pk]),
        reverse("schedule-fragment-board"),
        reverse("schedule-fragment-machine-queue", args=[hidalgo.pk]),
    ):
        assert client.get(url).status_code == 200
    assert Machine.objects.get(pk=hidalgo.pk).queue_version == version
    assert AuditEvent.objects.count() == audit_count


@pytest.mark.parametrize("person", ["charlie", "suspended_sue"])
def test_members_without_access_see_no_queue(client, request, hidalgo, person):
    client.force_login(request.getfixturevalue(person))
    for url in (reverse("schedule-board"), reverse("schedule-machine", args=[hidalgo.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts-pending")
