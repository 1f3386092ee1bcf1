"""A member keeps their own details up to date."""

import pytest
from django.urls import reverse

from calendarEditor.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = reverse("accounts-profile")


def form_data(**overrides):
    return {
        "first_name": "Alice",
        "last_name": "Tester",
        "email": "alice@lab.example",
        "department": "Physics",
        "slack_member_id": "",
        **overrides,
    }


def test_page_shows_details_and_status(client, charlie):
    client.force_login(charlie)
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="charlie@lab.example"' in content
    assert "Awaiting approval" in content


def test_edit_saves_and_audits(client, alice):
    client.force_login(alice)
    response = client.post(URL, form_data(first_name="Alicia", slack_member_id="u012ab3cd"))
    assert response["Location"] == URL
    alice.refresh_from_db()
    assert alice.first_name == "Alicia"
    assert alice.profile.department == "Physics"
    assert alice.profile.slack_member_id == "U012AB3CD"
    event = AuditEvent.objects.get(action="account.details_changed")
    assert event.details["fields"] == ["first_name", "department", "slack_member_id"]


def test_bad_slack_id_and_taken_email_change_nothing(client, alice, bob):
    client.force_login(alice)
    response = client.post(URL, form_data(email="BOB@lab.example", slack_member_id="alice!"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"email", "slack_member_id"}
    alice.refresh_from_db()
    assert alice.email == "alice@lab.example"
    assert alice.profile.slack_member_id == ""
    assert not AuditEvent.objects.exists()


def test_missing_name_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(URL, form_data(last_name=""))
    assert "last_name" in response.context["form"].errors


def test_each_member_edits_only_their_own(client, alice, bob):
    client.force_login(bob)
    client.post(URL, form_data(first_name="Bobby", email="bob@lab.example"))
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.first_name, bob.first_name) == ("Alice", "Bobby")


def test_anonymous_goes_to_login(client):
    assert client.get(URL)["Location"].startswith(reverse("accounts-login"))
    assert client.post(URL, form_data())["Location"].startswith(reverse("accounts-login"))


def test_account_without_a_profile_gets_one(client, alice):
    alice.profile.delete()
    client.force_login(alice)
    assert client.get(URL).status_code == 200
    alice.refresh_from_db()
    assert alice.profile.approval_status == "pending"
