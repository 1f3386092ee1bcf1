"""Submitting a job, following it in My queue, and acting on one's own entries."""

import pytest
from django.urls import reverse

from calendarEditor.models import MachineStatus, QueueEntry
from calendarEditor.services import queue
from calendarEditor.tests.member_support import messages_of, queue_on

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Hall bar sweep",
    "description": "Sample B12",
    "estimated_duration": "10",
    "duration_unit": "hours",
    "required_min_temp": "1.8",
    "required_max_temp": "300",
    "field_x": "0",
    "field_y": "0",
    "field_z": "5",
    "field_direction": "none",
    "dc_lines": "4",
    "rf_lines": "0",
    "daughterboard": "",
}


# --- Submitting ---------------------------------------------------------------


def test_submit_form_offers_the_fleets_boards_and_capabilities(client, alice, hidalgo, griffin):
    griffin.capabilities = ["temperature_dependent"]
    griffin.save()
    client.force_login(alice)
    html = client.get(reverse("schedule-submit")).content.decode()
    for board in ("QBoard I", "QBoard II", "DIP"):
        assert f'<option value="{board}">{board}</option>' in html
    assert html.count('<option value="QBoard II">') == 1
    assert "Temperature dependent" in html
    assert "Lowest temperature needed (K)" in html
    assert 'name="machine"' not in html
    assert 'hx-get="{}"'.format(reverse("schedule-submit-preview")) in html


def test_submit_queues_on_the_machine_that_frees_soonest(client, alice, bob, sam, hidalgo, griffin):
    queue_on(griffin, bob, "Bob's long run", by=sam, hours=100)
    client.force_login(alice)

    response = client.post(reverse("schedule-submit"), VALID)

    entry = QueueEntry.objects.get(title="Hall bar sweep")
    assert response.status_code == 302
    assert response["Location"] == reverse("schedule-entry", args=[entry.pk])
    assert (entry.machine, entry.position, entry.member) == (hidalgo, 1, alice)
    assert entry.required_field_z == 5
    assert entry.required_dc_lines == 4
    assert messages_of(response)[0].startswith("Queued on Hidalgo at #1 — estimated start ")
    assert messages_of(response)[0].endswith("(now).")


def test_success_message_gives_the_position_and_the_wait(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "ahead 1", by=sam, hours=10)
    queue_on(hidalgo, bob, "ahead 2", by=sam, hours=5)
    client.force_login(alice)
    response = client.post(reverse("schedule-submit"), VALID)
    # 10 h + 5 h ahead, plus two turnovers of 15 h.
    assert "at #3" in messages_of(response)[0]
    assert messages_of(response)[0].endswith("(in about 45 h).")


def test_days_are_converted_to_hours(client, alice, hidalgo):
    client.force_login(alice)
    client.post(
        reverse("schedule-submit"), {**VALID, "estimated_duration": "2.5", "duration_unit": "days"}
    )
    assert QueueEntry.objects.get().estimated_hours == 60


def test_a_posted_machine_is_ignored(client, alice, bob, sam, hidalgo, griffin):
    queue_on(griffin, bob, "Bob's long run", by=sam, hours=100)
    client.force_login(alice)
    client.post(reverse("schedule-submit"), {**VALID, "machine": str(griffin.pk)})
    assert QueueEntry.objects.get(title="Hall bar sweep").machine == hidalgo


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"required_max_temp": "1"},
            "required_max_temp",
            "Must be at least the lowest temperature (1.8 K).",
        ),
        ({"required_min_temp": "-1"}, "required_min_temp", "greater than or equal to 0"),
        ({"required_min_temp": ""}, "required_min_temp", "This field is required."),
        ({"field_z": "-0.5"}, "field_z", "greater than or equal to 0"),
        ({"field_x": "31"}, "field_x", "less than or equal to 30"),
        ({"dc_lines": "-1"}, "dc_lines", "greater than or equal to 0"),
        ({"rf_lines": "1001"}, "rf_lines", "less than or equal to 1000"),
        ({"estimated_duration": "0"}, "estimated_duration", "The duration must be more than 0."),
        (
            {"estimated_duration": "31", "duration_unit": "days"},
            "estimated_duration",
            "At most 720 h",
        ),
        ({"estimated_duration": "nan"}, "estimated_duration", "Enter a number."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"title": "   "}, "title", "This field is required."),
        ({"description": "x" * 5001}, "description", "at most 5000 characters"),
        ({"daughterboard": "Made-up board"}, "daughterboard", "Select a valid choice."),
        ({"field_direction": "sideways"}, "field_direction", "Select a valid choice."),
    ],
)
def test_bad_input_is_explained_and_saves_nothing(client, alice, hidalgo, changes, field, message):
    client.force_login(alice)
    response = client.post(reverse("schedule-submit"), {**VALID, **changes})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert 'class="errorlist"' in response.content.decode()
    assert QueueEntry.objects.count() == 0


def test_no_match_shows_every_machines_reasons_and_saves_nothing(client, alice, hidalgo, griffin):
    client.force_login(alice)
    response = client.post(reverse("schedule-submit"), {**VALID, "required_min_temp": "0.001"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "nothing was saved" in html
    assert html.count("min temperature 0.01 K &gt; required 0.001 K") == 2
    assert QueueEntry.objects.count() == 0


def test_check_compatibility_button_previews_without_saving(client, alice, hidalgo, griffin):
    client.force_login(alice)
    form = {**VALID, "title": "", "optical": "on", "preview": "1"}
    response = client.post(reverse("schedule-submit"), form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Would be chosen" in html
    assert "no optical access" in html  # Hidalgo's reason
    assert "This field is required." not in html  # a check does not scold about the title
    assert QueueEntry.objects.count() == 0


def test_anonymous_cannot_submit(client, hidalgo):
    response = client.post(reverse("schedule-submit"), VALID)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
    assert QueueEntry.objects.count() == 0


# --- The live preview -----------------------------------------------------------


def test_preview_ranks_machines_and_gives_reasons(
    client, alice, bob, sam, hidalgo, griffin, make_machine
):
    make_machine("Optic", min_temp=4, optical_access=True)
    queue_on(griffin, bob, "Bob's long run", by=sam, hours=100)
    client.force_login(alice)

    response = client.get(reverse("schedule-submit-preview"), {**VALID, "title": ""})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.index("Hidalgo") < html.index("Would be chosen") < html.index("Griffin")
    assert "1 waiting ahead" in html
    assert "Starts " in html
    assert "min temperature 4 K &gt; required 1.8 K" in html
    assert QueueEntry.objects.count() == 1


def test_preview_shows_requirement_errors_briefly(client, alice, hidalgo):
    client.force_login(alice)
    response = client.get(
        reverse("schedule-submit-preview"), {**VALID, "required_max_temp": "1", "field_z": "-2"}
    )
    html = response.content.decode()
    assert "Highest temperature needed (K): Must be at least the lowest temperature" in html
    assert "Field B_z (T):" in html
    assert "Would be chosen" not in html


def test_preview_is_get_only_and_needs_a_login(client, alice):
    url = reverse("schedule-submit-preview")
    assert client.get(url, VALID).status_code == 302
    client.force_login(alice)
    assert client.post(url, VALID).status_code == 405


# --- My queue and an entry's page -----------------------------------------------


def test_my_queue_lists_active_then_finished(client, alice, bob, sam, hidalgo, griffin):
    queue_on(hidalgo, bob, "Bob ahead", by=sam, hours=10)
    waiting = queue_on(hidalgo, alice, "Alice waiting", by=sam, hours=4)
    done = queue_on(griffin, alice, "Alice finished", by=sam)
    queue.start(done, by=alice)
    queue.complete(done, by=alice)
    running = queue_on(griffin, alice, "Alice running", by=sam, hours=6)
    queue.start(running, by=alice)
    client.force_login(alice)

    html = client.get(reverse("schedule-my-queue")).content.decode()

    assert html.index("Alice running") < html.index("Alice waiting") < html.index("Alice finished")
    assert "Bob ahead" not in html
    assert ">2nd in line<" in html
    assert "in about 25 h" in html  # 10 h ahead + 15 h turnover
    assert 'class="badge running">Running<' in html
    assert 'class="badge status-completed">Completed<' in html
    assert reverse("schedule-entry-cancel", args=[waiting.pk]) in html
    assert reverse("schedule-entry-check-out", args=[running.pk]) in html


def test_my_queue_needs_a_login(client):
    response = client.get(reverse("schedule-my-queue"))
    assert response.status_code == 302


def test_entry_page_for_the_owner(client, alice, bob, sam, hidalgo):
    queue_on(hidalgo, bob, "Bob ahead", by=sam)
    entry = queue_on(hidalgo, alice, "Alice waiting", by=sam)
    client.force_login(alice)
    html = client.get(reverse("schedule-entry", args=[entry.pk])).content.decode()
    assert "Alice waiting" in html
    assert ">2nd in line<" in html
    assert "in about 25 h" in html
    assert reverse("schedule-entry-rush", args=[entry.pk]) in html
    assert reverse("schedule-entry-check-in", args=[entry.pk]) not in html


def test_entry_page_offers_check_in_only_when_the_machine_is_free(client, alice, bob, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice first", by=sam)
    client.force_login(alice)
    url = reverse("schedule-entry", args=[entry.pk])
    html = client.get(url).content.decode()
    assert reverse("schedule-entry-check-in", args=[entry.pk]) in html
    assert reverse("schedule-entry-rush", args=[entry.pk]) not in html
    hidalgo.status = MachineStatus.MAINTENANCE
    hidalgo.save()
    assert (
        reverse("schedule-entry-check-in", args=[entry.pk]) not in client.get(url).content.decode()
    )


def test_another_members_entry_is_hidden(client, alice, bob, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice's secret", by=sam)
    client.force_login(bob)
    assert client.get(reverse("schedule-entry", args=[entry.pk])).status_code == 404
    client.force_login(sam)
    assert client.get(reverse("schedule-entry", args=[entry.pk])).status_code == 200


def test_entry_page_needs_a_login(client, alice, sam, hidalgo):
    entry = queue_on(hidalgo, alice, "Alice's entry", by=sam)
    assert client.get(reverse("schedule-entry", args=[entry.pk])).status_code == 302
