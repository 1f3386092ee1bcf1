"""A member's entries over the API: list, read, submit, cancel, check in and out, rush."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calendarEditor.models import EntryStatus, MachineStatus, QueueEntry, RushStatus
from calendarEditor.services import machines, queue
from calendarEditor.tests.api_support import URLCONF, bearer, get, post, token_for
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

JOB = {
    "title": "Hall bar sweep",
    "description": "Sample B12",
    "estimated_hours": 10,
    "required_min_temp": 1.8,
    "required_max_temp": 300,
    "field_z": 5,
    "dc_lines": 4,
}


def queue_on(machine, member, title, *, by, hours=10):
    return queue.enqueue(entry_request(title, hours), member=member, by=by, machine=machine).entry


@pytest.fixture
def token(alice):
    return token_for(alice)


# --- Submitting ---------------------------------------------------------------


def test_submit_queues_where_the_form_would(client, token, alice, bob, sam, hidalgo, griffin):
    queue_on(griffin, bob, "Bob's long run", by=sam, hours=100)
    response = post(client, "/api/entries", token, JOB)
    assert response.status_code == 201
    body = response.json()
    entry = QueueEntry.objects.get(pk=body["id"])
    assert (entry.machine, entry.position, entry.member) == (hidalgo, 1, alice)
    assert body["machine_name"] == "Hidalgo"
    assert body["on_deck"] is True
    assert body["status"] == "queued"
    assert body["estimated_start"] is not None
    assert body["requirements"]["field_z"] == 5
    assert entry.description == "Sample B12"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "   "}, "title", "This field is required."),
        ({"required_max_temp": 1}, "required_max_temp", "Must be at least the lowest"),
        ({"daughterboard": "QBoard IX"}, "daughterboard", "Select a valid choice."),
        ({"capabilities": ["teleportation"]}, "capabilities", "Select a valid choice."),
        ({"estimated_hours": 10_000}, "estimated_hours", "At most 720 h"),
        ({"title": "bad\x00title"}, "title", "Null characters are not allowed."),
    ],
)
def test_the_forms_checks_apply_and_nothing_is_saved(
    client, token, hidalgo, settings, change, field, message
):
    settings.QUEUE_MAX_ESTIMATED_HOURS = 720
    response = post(client, "/api/entries", token, {**JOB, **change})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and e["msg"].startswith(message) for e in errors), errors
    assert not QueueEntry.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {key: value for key, value in JOB.items() if key != "required_min_temp"},
        {**JOB, "estimated_hours": 0},
        {**JOB, "estimated_hours": "ten"},
        {**JOB, "field_direction": "diagonal"},
        {**JOB, "dc_lines": -1},
        {**JOB, "field_z": 31},
        "not an object",
    ],
)
def test_bodies_that_do_not_fit_the_schema_are_422(client, token, hidalgo, body):
    response = post(client, "/api/entries", token, body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)
    assert not QueueEntry.objects.exists()


def test_no_compatible_machine_is_422_with_every_machines_reasons(client, token, hidalgo, griffin):
    response = post(client, "/api/entries", token, {**JOB, "required_min_temp": 0.001})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "No machine meets these requirements."
    assert body["reasons"] == {
        "Griffin": ["min temperature 0.01 K > required 0.001 K"],
        "Hidalgo": ["min temperature 0.01 K > required 0.001 K"],
    }
    assert not QueueEntry.objects.exists()


def test_a_closed_queue_is_among_the_reasons(client, token, sam, hidalgo):
    machines.set_queue_open(hidalgo, False, by=sam)
    response = post(client, "/api/entries", token, JOB)
    assert response.status_code == 422
    assert list(response.json()["reasons"]) == ["Hidalgo"]


def test_a_refusal_by_the_queue_engine_is_409_and_saves_nothing(client, token, hidalgo, settings):
    # The fair-use limit is checked by the engine under its lock: a QueueError like any other.
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = 1
    assert post(client, "/api/entries", token, JOB).status_code == 201
    response = post(client, "/api/entries", token, {**JOB, "title": "Second"})
    assert response.status_code == 409
    assert "Hall bar sweep" in response.json()["detail"]  # it names the entry that counts
    assert QueueEntry.objects.count() == 1


# --- Reading ------------------------------------------------------------------


def test_my_entries_lists_only_mine(client, token, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob's", by=sam)
    mine = queue_on(hidalgo, alice, "Mine", by=sam, hours=3)
    body = get(client, "/api/entries", token).json()
    assert [item["id"] for item in body["items"]] == [mine.pk]
    assert body["count"] == 1
    # Behind bob's 10 h run and one 15 h turnover.
    start = timezone.datetime.fromisoformat(body["items"][0]["estimated_start"])
    assert abs(start - (timezone.now() + timedelta(hours=25))) < timedelta(minutes=1)


def test_my_entries_filters_by_state_and_pages(client, token, alice, sam, hidalgo):
    entries = [queue_on(hidalgo, alice, f"Run {n}", by=sam) for n in range(5)]
    queue.cancel(entries[0], by=alice)
    assert get(client, "/api/entries", token).json()["count"] == 4
    finished = get(client, "/api/entries", token, state="finished").json()
    assert [item["title"] for item in finished["items"]] == ["Run 0"]
    page = get(client, "/api/entries", token, state="all", limit=2, offset=2).json()
    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["title"] for item in page["items"]] == ["Run 2", "Run 1"]


@pytest.mark.parametrize(
    "params", [{"state": "mine"}, {"limit": 0}, {"limit": 201}, {"offset": -1}, {"offset": 10**12}]
)
def test_bad_list_parameters_are_422(client, token, params):
    assert get(client, "/api/entries", token, **params).status_code == 422


def test_an_entry_of_mine_in_detail(client, token, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Mine", by=sam)
    body = get(client, f"/api/entries/{entry.pk}", token).json()
    assert (body["id"], body["position"], body["on_deck"]) == (entry.pk, 1, True)


def test_another_members_entry_is_404_like_a_missing_one(client, token, bob, sam, hidalgo):
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    for entry_id in (bobs.pk, bobs.pk + 100):
        response = get(client, f"/api/entries/{entry_id}", token)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_staff_read_any_entry(client, sam, bob, hidalgo):
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    assert get(client, f"/api/entries/{bobs.pk}", token_for(sam)).json()["title"] == "Bob's"


# --- Acting -------------------------------------------------------------------


def test_cancel_moves_the_others_up(client, token, alice, bob, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    response = post(client, f"/api/entries/{mine.pk}/cancel", token, {"reason": "sample broke"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "sample broke"
    bobs.refresh_from_db()
    assert bobs.position == 1


def test_cancel_needs_no_body(client, token, alice, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    assert post(client, f"/api/entries/{mine.pk}/cancel", token).status_code == 200


def test_cancelling_twice_is_409_with_the_reason(client, token, alice, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    post(client, f"/api/entries/{mine.pk}/cancel", token)
    response = post(client, f"/api/entries/{mine.pk}/cancel", token)
    assert response.status_code == 409
    assert response.json() == {"detail": "Mine is already cancelled."}


def test_a_too_long_cancel_reason_is_422(client, token, alice, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    response = post(client, f"/api/entries/{mine.pk}/cancel", token, {"reason": "x" * 501})
    assert response.status_code == 422
    mine.refresh_from_db()
    assert mine.status == EntryStatus.QUEUED


@pytest.mark.parametrize("action", ["cancel", "check-in", "check-out"])
def test_acting_on_another_members_entry_is_404_and_changes_nothing(
    client, token, bob, sam, hidalgo, action
):
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    response = post(client, f"/api/entries/{bobs.pk}/{action}", token)
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert (bobs.status, bobs.position) == (EntryStatus.QUEUED, 1)


def test_staff_may_cancel_any_entry(client, sam, bob, hidalgo):
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    response = post(client, f"/api/entries/{bobs.pk}/cancel", token_for(sam))
    assert response.json()["status"] == "cancelled"


def test_check_in_and_out(client, token, alice, sam, hidalgo):
    mine = queue_on(hidalgo, alice, "Mine", by=sam, hours=6)
    checked_in = post(client, f"/api/entries/{mine.pk}/check-in", token)
    assert checked_in.status_code == 200
    body = checked_in.json()
    assert (body["status"], body["position"]) == ("running", None)
    started = timezone.datetime.fromisoformat(body["started_at"])
    assert timezone.datetime.fromisoformat(body["expected_end"]) - started == timedelta(hours=6)
    hidalgo.refresh_from_db()
    assert hidalgo.status == MachineStatus.RUNNING
    checked_out = post(client, f"/api/entries/{mine.pk}/check-out", token)
    assert checked_out.json()["status"] == "completed"
    hidalgo.refresh_from_db()
    assert hidalgo.status != MachineStatus.RUNNING  # idle, or cooling down for the next run


def test_checking_in_out_of_turn_is_409(client, token, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob's", by=sam)
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    response = post(client, f"/api/entries/{mine.pk}/check-in", token)
    assert response.status_code == 409
    assert response.json()["detail"] == "Only the ON DECK entry can start; Mine is #2."
    response = post(client, f"/api/entries/{mine.pk}/check-out", token)
    assert response.json() == {"detail": "Mine is not running."}


def test_rush_request(client, token, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob's", by=sam)
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    body = {"justification": "Beamtime on Friday"}
    response = post(client, f"/api/entries/{mine.pk}/rush", token, body)
    assert response.status_code == 200
    assert response.json()["rush_status"] == RushStatus.PENDING
    assert response.json()["rush_justification"] == "Beamtime on Friday"
    again = post(client, f"/api/entries/{mine.pk}/rush", token, body)
    assert again.status_code == 409
    assert "already waiting for review" in again.json()["detail"]


@pytest.mark.parametrize("body", [{"justification": "   "}, {"justification": ""}, {}, None])
def test_a_rush_needs_a_reason(client, token, alice, bob, sam, hidalgo, body):
    queue_on(hidalgo, bob, "Bob's", by=sam)
    mine = queue_on(hidalgo, alice, "Mine", by=sam)
    assert post(client, f"/api/entries/{mine.pk}/rush", token, body).status_code == 422
    mine.refresh_from_db()
    assert mine.rush_status == RushStatus.NONE


def test_a_rush_for_another_members_entry_is_404(client, token, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "First", by=sam)
    bobs = queue_on(hidalgo, bob, "Bob's", by=sam)
    response = post(client, f"/api/entries/{bobs.pk}/rush", token, {"justification": "mine now"})
    assert response.status_code == 404


@pytest.mark.parametrize("count", [10, 500])
def test_my_entries_costs_the_same_whatever_the_history(
    client, token, alice, sam, hidalgo, django_assert_max_num_queries, count
):
    now = timezone.now()
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=alice,
            member_name="alice",
            title=f"Done {n}",
            estimated_hours=1,
            machine=hidalgo,
            machine_name="Hidalgo",
            status=EntryStatus.COMPLETED,
            started_at=now - timedelta(hours=n + 2),
            completed_at=now - timedelta(hours=n + 1),
        )
        for n in range(count)
    )
    queue_on(hidalgo, alice, "Waiting", by=sam)
    get(client, "/api/me", token)  # last_used_at is written once, outside the budget
    # Token 1, page 1, count 1, the queues of the machines on the page 1, their running 1.
    with django_assert_max_num_queries(5):
        body = get(client, "/api/entries", token, state="all").json()
    assert body["count"] == count + 1
    assert len(body["items"]) == min(count + 1, 50)


@pytest.mark.parametrize(
    ("body", "status"), [("-8", 422), ('"why"', 422), ("[]", 422), ("not json", 400)]
)
def test_cancel_refuses_a_body_that_is_not_an_object_and_changes_nothing(
    client, token, alice, hidalgo, body, status
):
    entry = queue.enqueue(entry_request(), member=alice, by=alice).entry
    response = client.post(
        f"/api/entries/{entry.pk}/cancel",
        body,
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == status
    assert QueueEntry.objects.get(pk=entry.pk).status == EntryStatus.QUEUED
