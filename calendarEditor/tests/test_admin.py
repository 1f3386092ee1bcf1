"""The Django admin: raw data for staff, with queue rules and the audit log kept intact."""

import json

import pytest
from django.urls import reverse

from calendarEditor.models import AuditEvent, EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import queue
from conftest import MACHINE_DEFAULTS, entry_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(sam, alice, bob, hidalgo):
    return [
        queue.enqueue(entry_request(title), member=member, by=sam, machine=hidalgo).entry
        for title, member in [("Hall bar", alice), ("Noise run", bob)]
    ]


def machine_admin_data(machine, **overrides):
    data = {
        **MACHINE_DEFAULTS,
        "name": machine.name,
        "location": "",
        "description": "",
        "max_field_x": machine.max_field_x,
        "max_field_y": machine.max_field_y,
        "max_field_z": machine.max_field_z,
        "daughterboards": json.dumps(machine.daughterboards),
        "capabilities": json.dumps(machine.capabilities),
        "on_deck_hold_hours": machine.on_deck_hold_hours,
        "optical_access": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.parametrize("model", ["machine", "queueentry", "auditevent"])
def test_changelists_load(admin_client, entries, model):
    response = admin_client.get(reverse(f"admin:calendarEditor_{model}_changelist"))
    assert response.status_code == 200


def test_members_and_anonymous_cannot_open_the_admin(client, alice):
    url = reverse("admin:calendarEditor_machine_changelist")
    assert client.get(url).status_code == 302
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_entry_positions_and_statuses_are_read_only(admin_client, entries, hidalgo):
    first = entries[0]
    url = reverse("admin:calendarEditor_queueentry_change", args=[first.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert form_fields == {"title", "description"}
    response = admin_client.post(
        url, {"title": "Hall bar, take 2", "description": "", "position": 2, "status": "cancelled"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.title, first.position, first.status) == (
        "Hall bar, take 2",
        1,
        EntryStatus.QUEUED,
    )


def test_a_stale_entry_form_does_not_undo_a_queue_change(admin_client, sam, entries):
    first = entries[0]
    url = reverse("admin:calendarEditor_queueentry_change", args=[first.pk])
    admin_client.get(url)
    queue.move(first, to=2, by=sam)  # while the admin form is open
    admin_client.post(url, {"title": "Renamed", "description": ""})
    first.refresh_from_db()
    assert (first.title, first.position) == ("Renamed", 2)


def test_entries_cannot_be_added_or_deleted_in_the_admin(admin_client, entries, hidalgo):
    assert admin_client.get(reverse("admin:calendarEditor_queueentry_add")).status_code == 403
    delete = reverse("admin:calendarEditor_queueentry_delete", args=[entries[0].pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert QueueEntry.objects.filter(status=EntryStatus.QUEUED).count() == 2


def test_the_audit_log_is_read_only(admin_client, entries):
    event = AuditEvent.objects.first()
    change = reverse("admin:calendarEditor_auditevent_change", args=[event.pk])
    assert admin_client.get(change).status_code == 200  # view only
    assert admin_client.post(change, {"summary": "edited"}).status_code == 403
    assert admin_client.get(reverse("admin:calendarEditor_auditevent_add")).status_code == 403
    delete = reverse("admin:calendarEditor_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.summary != "edited"


def test_machine_edits_in_the_admin_are_audited_and_status_is_read_only(admin_client, hidalgo):
    url = reverse("admin:calendarEditor_machine_change", args=[hidalgo.pk])
    data = machine_admin_data(hidalgo, location="B112", status="offline")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    hidalgo.refresh_from_db()
    assert (hidalgo.location, hidalgo.status) == ("B112", MachineStatus.IDLE)
    event = AuditEvent.objects.get(action="machine.edited")
    assert event.details["changes"] == {"location": ["", "B112"]}
    assert event.actor_name == "admin"


def test_machines_added_in_the_admin_are_audited(admin_client, hidalgo):
    data = machine_admin_data(hidalgo, name="Fermi")
    response = admin_client.post(reverse("admin:calendarEditor_machine_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Machine.objects.filter(name="Fermi").exists()
    assert AuditEvent.objects.filter(action="machine.created", machine_name="Fermi").exists()


def test_deleting_a_machine_in_the_admin_cancels_its_queue_and_keeps_names(
    admin_client, entries, hidalgo
):
    url = reverse("admin:calendarEditor_machine_delete", args=[hidalgo.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Machine.objects.exists()
    statuses = set(QueueEntry.objects.values_list("status", "machine_name"))
    assert statuses == {(EntryStatus.CANCELLED, "Hidalgo")}
    assert AuditEvent.objects.filter(action="machine.deleted").count() == 1


def test_bulk_delete_in_the_admin_goes_through_the_service(admin_client, entries, hidalgo, griffin):
    response = admin_client.post(
        reverse("admin:calendarEditor_machine_changelist"),
        {"action": "delete_selected", "_selected_action": [hidalgo.pk, griffin.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Machine.objects.exists()
    assert AuditEvent.objects.filter(action="machine.deleted").count() == 2
    assert not QueueEntry.objects.filter(status=EntryStatus.QUEUED).exists()
