"""The lab manager dashboard and staff queue: pages, actions, and who may use them."""

import pytest
from django.contrib.messages import get_messages
from django.urls import NoReverseMatch, reverse

from calendarEditor.models import AuditEvent, EntryStatus, MachineStatus, QueueEntry, RushStatus
from calendarEditor.services import queue
from conftest import entry_request

pytestmark = pytest.mark.django_db


def flashed(response):
    """This request's flash messages; read once, as the next page view would."""
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return texts


def positions_of(machine):
    return list(
        QueueEntry.objects.filter(machine=machine, status=EntryStatus.QUEUED)
        .order_by("position")
        .values_list("title", flat=True)
    )


def cancel_url(pk):
    try:
        return reverse("schedule-staff-cancel", args=[pk])
    except NoReverseMatch:
        pytest.skip("calendarEditor/urls/staff.py has no schedule-staff-cancel route yet")


@pytest.fixture
def lineup(alice, bob, sam, hidalgo):
    """Three queued entries on Hidalgo, in this order."""
    titles = [("Hall bar", alice), ("Noise run", bob), ("Tunnelling", alice)]
    return [
        queue.enqueue(entry_request(title), member=member, by=sam, machine=hidalgo).entry
        for title, member in titles
    ]


# --- who may use the pages ------------------------------------------------------------

STAFF_POSTS = [
    ("schedule-staff-move", {"direction": "up"}),
    ("schedule-staff-reassign", {"machine": ""}),
    ("schedule-staff-start", {}),
    ("schedule-staff-complete", {}),
    ("schedule-staff-rush-approve", {}),
    ("schedule-staff-rush-reject", {"reason": "No"}),
]


@pytest.mark.parametrize(("name", "data"), STAFF_POSTS)
def test_anonymous_actions_go_to_login_and_change_nothing(client, lineup, hidalgo, name, data):
    response = client.post(reverse(name, args=[lineup[2].pk]), data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


@pytest.mark.parametrize(("name", "data"), STAFF_POSTS)
def test_members_get_403_on_actions(client, alice, lineup, hidalgo, name, data):
    client.force_login(alice)
    response = client.post(reverse(name, args=[lineup[2].pk]), data)
    assert response.status_code == 403
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


@pytest.mark.parametrize(("name", "_data"), STAFF_POSTS)
def test_actions_refuse_get(client, sam, lineup, name, _data):
    client.force_login(sam)
    assert client.get(reverse(name, args=[lineup[0].pk])).status_code == 405


@pytest.mark.parametrize("page", ["dashboard", "queue"])
def test_pages_are_for_staff_only(client, alice, charlie, hidalgo, page):
    url = (
        reverse("schedule-staff-dashboard")
        if page == "dashboard"
        else reverse("schedule-staff-queue", args=[hidalgo.pk])
    )
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(url).status_code == 403
    client.force_login(charlie)  # awaiting approval: the approval gate answers first
    assert client.get(url).url == reverse("accounts-pending")


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_shows_machines_accounts_and_rush_requests(client, sam, alice, charlie, lineup):
    queue.request_rush(lineup[2], justification="Sample degrades in air", by=alice)
    client.force_login(sam)
    response = client.get(reverse("schedule-staff-dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hidalgo" in page
    assert reverse("schedule-staff-queue", args=[lineup[0].machine_id]) in page
    assert "Sample degrades in air" in page
    assert reverse("schedule-staff-rush-approve", args=[lineup[2].pk]) in page
    assert "charlie" in page  # awaiting approval
    assert reverse("schedule-staff-machine-create") in page
    assert reverse("schedule-staff-audit") in page
    summary = next(s for s in response.context["summaries"] if s.machine.name == "Hidalgo")
    assert summary.queue_length == 3


def test_dashboard_without_machines_or_requests(client, sam):
    client.force_login(sam)
    response = client.get(reverse("schedule-staff-dashboard"))
    assert response.status_code == 200
    assert b"No rush requests" in response.content
    assert b"No accounts are waiting" in response.content


# --- staff queue page ---------------------------------------------------------------------


def test_staff_queue_lists_entries_in_order_with_controls(client, sam, lineup, hidalgo, griffin):
    client.force_login(sam)
    response = client.get(reverse("schedule-staff-queue", args=[hidalgo.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Hall bar") < page.index("Noise run") < page.index("Tunnelling")
    assert "ON DECK" in page
    assert reverse("schedule-staff-start", args=[lineup[0].pk]) in page
    assert reverse("schedule-staff-start", args=[lineup[1].pk]) not in page  # only #1 starts
    # Each reassign menu loads when opened (test_staff_queue_pages), not with the page.
    assert reverse("schedule-staff-reassign-options", args=[hidalgo.pk, lineup[1].pk]) in page
    assert f'<option value="{griffin.pk}"' not in page
    assert reverse("schedule-staff-machine-status", args=[hidalgo.pk]) in page
    rows = response.context["page"].rows
    assert [row.entry.title for row in rows] == ["Hall bar", "Noise run", "Tunnelling"]
    assert rows[0].placed.estimated_start <= rows[1].placed.estimated_start


def test_staff_queue_shows_the_running_entry_with_complete(client, sam, lineup, hidalgo):
    queue.start(lineup[0], by=sam)
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-queue", args=[hidalgo.pk])).content.decode()
    assert reverse("schedule-staff-complete", args=[lineup[0].pk]) in page
    # Something is running, so nobody can be started.
    assert reverse("schedule-staff-start", args=[lineup[1].pk]) not in page


def test_staff_queue_of_a_missing_machine_is_404(client, sam):
    client.force_login(sam)
    assert client.get(reverse("schedule-staff-queue", args=[999])).status_code == 404


# --- moves -------------------------------------------------------------------------------


def test_move_up_down_and_to_a_position(client, sam, lineup, hidalgo):
    client.force_login(sam)
    move = reverse("schedule-staff-move", args=[lineup[2].pk])
    response = client.post(move, {"direction": "up"})
    assert response.url == reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert positions_of(hidalgo) == ["Hall bar", "Tunnelling", "Noise run"]
    assert flashed(response) == ["Moved 'Tunnelling' to #2 on Hidalgo."]
    client.post(move, {"direction": "to", "position": "1", "reason": "Beamtime tomorrow"})
    assert positions_of(hidalgo) == ["Tunnelling", "Hall bar", "Noise run"]
    client.post(move, {"direction": "down"})
    assert positions_of(hidalgo) == ["Hall bar", "Tunnelling", "Noise run"]
    moves = AuditEvent.objects.filter(action="entry.moved", entry=lineup[2]).order_by("id")
    assert [(e.details["from"], e.details["to"], e.actor_name) for e in moves] == [
        (3, 2, "sam"),
        (2, 1, "sam"),
        (1, 2, "sam"),
    ]
    assert moves[1].reason == "Beamtime tomorrow"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"direction": "to", "position": "0"}, "greater than or equal to 1"),
        ({"direction": "to", "position": "999"}, "Position must be between 1 and 3."),
        ({"direction": "to", "position": ""}, "Enter the new position."),
        ({"direction": "sideways"}, "Select a valid choice"),
    ],
)
def test_bad_moves_explain_and_change_nothing(client, sam, lineup, hidalgo, data, message):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-move", args=[lineup[1].pk]), data)
    assert response.status_code == 302
    assert any(message in text for text in flashed(response))
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]
    assert not AuditEvent.objects.filter(action="entry.moved").exists()


def test_moving_the_first_entry_up_is_refused(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-move", args=[lineup[0].pk]), {"direction": "up"})
    assert flashed(response) == ["Hall bar is already first."]
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


def test_next_is_followed_only_on_this_site(client, sam, lineup):
    client.force_login(sam)
    move = reverse("schedule-staff-move", args=[lineup[2].pk])
    dashboard = reverse("schedule-staff-dashboard")
    assert client.post(move, {"direction": "up", "next": dashboard}).url == dashboard
    response = client.post(move, {"direction": "up", "next": "https://evil.example/"})
    assert response.url == reverse("schedule-staff-queue", args=[lineup[2].machine_id])


# --- reassign ------------------------------------------------------------------------------


def test_reassign_to_a_compatible_machine(client, sam, lineup, hidalgo, griffin):
    client.force_login(sam)
    response = client.post(
        reverse("schedule-staff-reassign", args=[lineup[1].pk]),
        {"machine": griffin.pk, "reason": "Hidalgo's magnet quenched"},
    )
    assert response.url == reverse("schedule-staff-queue", args=[hidalgo.pk])
    assert flashed(response) == ["Reassigned 'Noise run' to Griffin at #1."]
    assert positions_of(hidalgo) == ["Hall bar", "Tunnelling"]
    assert positions_of(griffin) == ["Noise run"]
    event = AuditEvent.objects.get(action="entry.reassigned")
    assert event.reason == "Hidalgo's magnet quenched"


def test_reassign_to_an_incompatible_machine_lists_the_reasons(
    client, sam, alice, hidalgo, make_machine
):
    entry = queue.enqueue(
        entry_request("Optics", optical=True),
        member=alice,
        by=sam,
        machine=make_machine("Iris", optical_access=True),
    ).entry
    client.force_login(sam)
    response = client.post(
        reverse("schedule-staff-reassign", args=[entry.pk]), {"machine": hidalgo.pk}
    )
    [message] = flashed(response)
    assert message.startswith("'Optics' stays on Iris. Hidalgo cannot take this entry:")
    assert "optical" in message
    entry.refresh_from_db()
    assert entry.machine_name == "Iris"
    assert not AuditEvent.objects.filter(action="entry.reassigned").exists()


def test_reassign_to_an_unknown_machine_is_a_form_error(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(
        reverse("schedule-staff-reassign", args=[lineup[0].pk]), {"machine": 999}
    )
    assert any("Select a valid choice" in text for text in flashed(response))
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


# --- start, complete, cancel -----------------------------------------------------------------


def test_start_then_complete(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-start", args=[lineup[0].pk]))
    assert flashed(response) == ["Started 'Hall bar' on Hidalgo."]
    lineup[0].refresh_from_db()
    assert lineup[0].status == EntryStatus.RUNNING
    response = client.post(
        reverse("schedule-staff-complete", args=[lineup[0].pk]), {"note": "Clean data"}
    )
    assert flashed(response) == ["Completed 'Hall bar' on Hidalgo."]
    lineup[0].refresh_from_db()
    assert lineup[0].status == EntryStatus.COMPLETED
    assert AuditEvent.objects.get(action="entry.completed").reason == "Clean data"
    assert positions_of(hidalgo) == ["Noise run", "Tunnelling"]


def test_only_the_on_deck_entry_starts(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-start", args=[lineup[1].pk]))
    assert flashed(response) == ["Only the ON DECK entry can start; Noise run is #2."]
    assert not QueueEntry.objects.filter(status=EntryStatus.RUNNING).exists()


def test_start_is_refused_in_maintenance(client, sam, lineup, hidalgo):
    hidalgo.status = MachineStatus.MAINTENANCE
    hidalgo.save()
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-start", args=[lineup[0].pk]))
    assert flashed(response) == ["Hidalgo is maintenance."]
    assert not QueueEntry.objects.filter(status=EntryStatus.RUNNING).exists()


def test_completing_a_queued_entry_is_refused(client, sam, lineup):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-complete", args=[lineup[0].pk]))
    assert flashed(response) == ["Hall bar is not running."]


def test_cancel_any_entry_with_a_reason(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(cancel_url(lineup[1].pk), {"reason": "Sample never arrived"})
    assert flashed(response) == ["Cancelled 'Noise run' on Hidalgo; the member is told why."]
    lineup[1].refresh_from_db()
    assert lineup[1].status == EntryStatus.CANCELLED
    assert lineup[1].cancel_reason == "Sample never arrived"
    assert positions_of(hidalgo) == ["Hall bar", "Tunnelling"]


def test_cancel_needs_a_reason_and_staff(client, sam, alice, lineup, hidalgo):
    url = cancel_url(lineup[1].pk)
    client.force_login(sam)
    response = client.post(url, {"reason": "  "})
    assert any("required" in text for text in flashed(response))
    client.force_login(alice)
    assert client.post(url, {"reason": "mine now"}).status_code == 403
    assert client.get(url).status_code == 403
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


# --- rush requests -----------------------------------------------------------------------------


def test_approve_rush_moves_to_first_and_returns_to_the_dashboard(
    client, sam, alice, lineup, hidalgo
):
    queue.request_rush(lineup[2], justification="Thesis deadline", by=alice)
    client.force_login(sam)
    dashboard = reverse("schedule-staff-dashboard")
    response = client.post(
        reverse("schedule-staff-rush-approve", args=[lineup[2].pk]),
        {"note": "Go ahead", "next": dashboard},
    )
    assert response.url == dashboard
    assert flashed(response) == ["Approved the rush request for 'Tunnelling': now #1 on Hidalgo."]
    assert positions_of(hidalgo) == ["Tunnelling", "Hall bar", "Noise run"]
    lineup[2].refresh_from_db()
    assert (lineup[2].rush_status, lineup[2].rush_reviewed_by) == (RushStatus.APPROVED, sam)
    assert AuditEvent.objects.get(action="rush.approved").actor_name == "sam"


def test_reject_rush_needs_a_reason(client, sam, alice, lineup, hidalgo):
    queue.request_rush(lineup[2], justification="Thesis deadline", by=alice)
    client.force_login(sam)
    url = reverse("schedule-staff-rush-reject", args=[lineup[2].pk])
    response = client.post(url, {"reason": ""})
    assert any("required" in text for text in flashed(response))
    lineup[2].refresh_from_db()
    assert lineup[2].rush_status == RushStatus.PENDING
    response = client.post(url, {"reason": "Everyone has a deadline"})
    assert flashed(response) == ["Rejected the rush request for 'Tunnelling'; alice will see why."]
    lineup[2].refresh_from_db()
    assert lineup[2].rush_status == RushStatus.REJECTED
    assert AuditEvent.objects.get(action="rush.rejected").reason == "Everyone has a deadline"
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


def test_approving_without_a_request_is_refused(client, sam, lineup, hidalgo):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-rush-approve", args=[lineup[2].pk]))
    assert flashed(response) == ["Tunnelling has no rush request waiting for review."]
    assert positions_of(hidalgo) == ["Hall bar", "Noise run", "Tunnelling"]


def test_the_live_staff_queue_fragment_is_staff_only_and_matches_the_page(
    client, sam, alice, hidalgo
):
    queue.enqueue(entry_request("Hall bar"), member=alice, by=sam, machine=hidalgo)
    url = reverse("schedule-fragment-staff-queue", args=[hidalgo.pk])
    client.force_login(alice)
    assert client.get(url).status_code == 403
    client.force_login(sam)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="staff-queue"' in html
    assert "Hall bar" in html
    # Actions re-rendered in the fragment still return to the staff queue page.
    assert f'value="{reverse("schedule-staff-queue", args=[hidalgo.pk])}#entry-' in html
