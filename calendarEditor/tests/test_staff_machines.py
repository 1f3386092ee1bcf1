"""Staff adding, editing and deleting machines, and switching status and queues."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from calendarEditor.forms.staff import MachineForm, unique_lines
from calendarEditor.models import AuditEvent, EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import queue
from conftest import MACHINE_DEFAULTS, entry_request

pytestmark = pytest.mark.django_db


def flashed(response):
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return texts


def machine_form_data(**overrides):
    data = {
        **MACHINE_DEFAULTS,
        "name": "Fermi",
        "location": "B112",
        "description": "Dilution fridge",
        "daughterboards": "QBoard II\n\n  DIP \nqboard ii\n",
        "capabilities": "Temperature_dependent\nsquid",
        "on_deck_hold_hours": 12,
        "optical_access": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


# --- access ------------------------------------------------------------------------------


@pytest.fixture
def urls(hidalgo):
    return {
        "create": reverse("schedule-staff-machine-create"),
        "edit": reverse("schedule-staff-machine-edit", args=[hidalgo.pk]),
        "delete": reverse("schedule-staff-machine-delete", args=[hidalgo.pk]),
        "status": reverse("schedule-staff-machine-status", args=[hidalgo.pk]),
        "queue_open": reverse("schedule-staff-machine-queue-open", args=[hidalgo.pk]),
    }


@pytest.mark.parametrize("name", ["create", "edit", "delete", "status", "queue_open"])
def test_anonymous_and_members_are_kept_out(client, alice, urls, hidalgo, name):
    response = client.post(
        urls[name], {"status": "maintenance", "open": "0", **machine_form_data()}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(urls[name]).status_code == 403
    assert client.post(urls[name], {"status": "maintenance", "open": "0"}).status_code == 403
    hidalgo.refresh_from_db()
    assert (hidalgo.status, hidalgo.accepts_entries) == (MachineStatus.IDLE, True)
    assert Machine.objects.count() == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", ["status", "queue_open"])
def test_switches_refuse_get(client, sam, urls, name):
    client.force_login(sam)
    assert client.get(urls[name]).status_code == 405


# --- create and edit ---------------------------------------------------------------------


def test_unique_lines_strips_drops_blanks_and_keeps_the_first_spelling():
    assert unique_lines(" QBoard II\n\nDIP\r\nqboard ii\n DIP ") == ["QBoard II", "DIP"]


def test_create_a_machine(client, sam):
    client.force_login(sam)
    page = client.get(reverse("schedule-staff-machine-create"))
    assert page.status_code == 200
    assert b"Minimum temperature (K)" in page.content
    response = client.post(reverse("schedule-staff-machine-create"), machine_form_data())
    machine = Machine.objects.get(name="Fermi")
    assert response.url == reverse("schedule-staff-queue", args=[machine.pk])
    assert machine.daughterboards == ["QBoard II", "DIP"]
    assert machine.capabilities == ["temperature_dependent", "squid"]
    assert machine.optical_access is False
    assert flashed(response) == ["Added Fermi. Its queue is open."]
    assert AuditEvent.objects.get(action="machine.created").actor_name == "sam"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"min_temp": 5, "max_temp": 2}, "max_temp", "must not be below the minimum"),
        ({"capabilities": "temperature dependent"}, "capabilities", "temperature dependent"),
        ({"name": "Hidalgo"}, "name", "already exists"),
        ({"name": "HIDALGO"}, "name", "Hidalgo already exists"),
        ({"name": "   "}, "name", "required"),
        ({"dc_lines": -1}, "dc_lines", "greater than or equal to 0"),
        ({"field_direction": "diagonal"}, "field_direction", "valid choice"),
    ],
)
def test_bad_machine_forms_save_nothing(client, sam, hidalgo, overrides, field, message):
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-machine-create"), machine_form_data(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Machine.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_edit_form_shows_lists_one_per_line(client, sam, griffin):
    client.force_login(sam)
    response = client.get(reverse("schedule-staff-machine-edit", args=[griffin.pk]))
    assert response.status_code == 200
    assert "QBoard I\nQBoard II\nDIP</textarea>" in response.content.decode()


def test_edit_records_the_changes(client, sam, alice, hidalgo):
    entry = queue.enqueue(entry_request(), member=alice, by=sam, machine=hidalgo).entry
    client.force_login(sam)
    data = machine_form_data(name="Hidalgo II", min_temp=0.3, daughterboards="QBoard II\nDIP\nLCC")
    response = client.post(reverse("schedule-staff-machine-edit", args=[hidalgo.pk]), data)
    assert response.url == reverse("schedule-staff-queue", args=[hidalgo.pk])
    hidalgo.refresh_from_db()
    assert (hidalgo.name, hidalgo.min_temp) == ("Hidalgo II", 0.3)
    assert hidalgo.daughterboards == ["QBoard II", "DIP", "LCC"]
    event = AuditEvent.objects.get(action="machine.edited")
    changes = event.details["changes"]
    assert changes["name"] == ["Hidalgo", "Hidalgo II"]
    assert changes["min_temp"] == [0.01, 0.3]
    assert changes["daughterboards"] == [["QBoard II", "DIP"], ["QBoard II", "DIP", "LCC"]]
    [message] = flashed(response)
    assert message.startswith("Saved Hidalgo II: changed")
    entry.refresh_from_db()
    assert entry.machine_name == "Hidalgo II"


def test_edit_without_changes_saves_nothing(client, sam, hidalgo):
    form = MachineForm(instance=hidalgo)
    data = {name: form[name].value() for name in form.fields}
    data = {key: value for key, value in data.items() if value not in (None, False)}
    client.force_login(sam)
    response = client.post(reverse("schedule-staff-machine-edit", args=[hidalgo.pk]), data)
    assert flashed(response) == ["Nothing to save: Hidalgo is unchanged."]
    assert not AuditEvent.objects.exists()


def test_edit_with_min_above_max_keeps_the_machine(client, sam, hidalgo):
    client.force_login(sam)
    data = machine_form_data(name="Hidalgo", min_temp=400)
    response = client.post(reverse("schedule-staff-machine-edit", args=[hidalgo.pk]), data)
    assert response.status_code == 200
    assert b"Edit Hidalgo" in response.content
    hidalgo.refresh_from_db()
    assert hidalgo.min_temp == 0.01
    assert not AuditEvent.objects.exists()


# --- status and queue switch -------------------------------------------------------------


def test_set_status_with_a_reason(client, sam, hidalgo):
    client.force_login(sam)
    url = reverse("schedule-staff-machine-status", args=[hidalgo.pk])
    response = client.post(url, {"status": "maintenance", "reason": "Helium refill"})
    assert flashed(response) == ["Hidalgo's status is now “Maintenance”."]
    hidalgo.refresh_from_db()
    assert hidalgo.status == MachineStatus.MAINTENANCE
    event = AuditEvent.objects.get(action="machine.status")
    assert (event.reason, event.details) == ("Helium refill", {"from": "idle", "to": "maintenance"})


@pytest.mark.parametrize(
    ("status", "message"),
    [("running", "valid choice"), ("idle", "already “Idle”"), ("", "required")],
)
def test_bad_status_changes_nothing(client, sam, hidalgo, status, message):
    client.force_login(sam)
    response = client.post(
        reverse("schedule-staff-machine-status", args=[hidalgo.pk]), {"status": status}
    )
    assert message in flashed(response)[0]
    hidalgo.refresh_from_db()
    assert hidalgo.status == MachineStatus.IDLE
    assert not AuditEvent.objects.exists()


def test_close_and_open_the_queue(client, sam, hidalgo):
    client.force_login(sam)
    url = reverse("schedule-staff-machine-queue-open", args=[hidalgo.pk])
    response = client.post(url, {"open": "0", "reason": "Service visit Friday"})
    assert flashed(response) == ["Hidalgo's queue is now closed: it keeps and runs its entries."]
    hidalgo.refresh_from_db()
    assert hidalgo.accepts_entries is False
    response = client.post(url, {"open": "0"})
    assert flashed(response) == ["Hidalgo's queue is already closed."]
    client.post(url, {"open": "1"})
    hidalgo.refresh_from_db()
    assert hidalgo.accepts_entries is True
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "reason"))
    assert actions == [
        ("machine.queue_closed", "Service visit Friday"),
        ("machine.queue_opened", ""),
    ]


def test_queue_switch_needs_a_valid_choice(client, sam, hidalgo):
    client.force_login(sam)
    url = reverse("schedule-staff-machine-queue-open", args=[hidalgo.pk])
    response = client.post(url, {"open": "maybe"})
    assert "valid choice" in flashed(response)[0]
    hidalgo.refresh_from_db()
    assert hidalgo.accepts_entries is True


# --- delete ----------------------------------------------------------------------------------


def test_delete_confirm_lists_the_entries_it_cancels(client, sam, alice, bob, hidalgo):
    running = queue.enqueue(
        entry_request("Running job"), member=alice, by=sam, machine=hidalgo
    ).entry
    queue.start(running, by=sam)
    queue.enqueue(entry_request("Waiting job"), member=bob, by=sam, machine=hidalgo)
    client.force_login(sam)
    response = client.get(reverse("schedule-staff-machine-delete", args=[hidalgo.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 active entries will be cancelled" in page
    assert page.index("Running job") < page.index("Waiting job")
    assert Machine.objects.filter(pk=hidalgo.pk).exists()


def test_delete_keeps_history(client, sam, alice, bob, hidalgo):
    done = queue.enqueue(entry_request("Finished run"), member=alice, by=sam, machine=hidalgo).entry
    queue.start(done, by=sam)
    queue.complete(done, by=sam)
    waiting = queue.enqueue(entry_request("Waiting job"), member=bob, by=sam, machine=hidalgo).entry
    client.force_login(sam)
    url = reverse("schedule-staff-machine-delete", args=[hidalgo.pk])
    response = client.post(url, {"reason": "Decommissioned"})
    assert response.url == reverse("schedule-staff-dashboard")
    assert flashed(response) == ["Deleted Hidalgo. Its finished entries keep its name."]
    assert not Machine.objects.filter(pk=hidalgo.pk).exists()
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert (done.status, done.machine, done.machine_name) == (
        EntryStatus.COMPLETED,
        None,
        "Hidalgo",
    )
    assert (waiting.status, waiting.machine_name) == (EntryStatus.CANCELLED, "Hidalgo")
    assert "Decommissioned" in waiting.cancel_reason
    assert QueueEntry.objects.filter(machine_name="Hidalgo").count() == 2
    deleted = AuditEvent.objects.get(action="machine.deleted")
    assert (deleted.summary, deleted.reason) == ("Machine Hidalgo deleted", "Decommissioned")
    # Earlier events about the machine still name it.
    earlier = AuditEvent.objects.exclude(action="machine.deleted")
    assert set(earlier.values_list("machine_name", flat=True)) == {"Hidalgo"}


def test_the_delete_event_is_found_by_machine_name(client, sam, hidalgo):
    client.force_login(sam)
    client.post(reverse("schedule-staff-machine-delete", args=[hidalgo.pk]), {"reason": "Gone"})
    assert AuditEvent.objects.get(action="machine.deleted").machine_name == "Hidalgo"


def test_deleting_a_missing_machine_is_404(client, sam):
    client.force_login(sam)
    assert client.post(reverse("schedule-staff-machine-delete", args=[999])).status_code == 404
