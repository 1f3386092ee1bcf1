"""The UserProfile admin: a searchable list, and approval through the services."""

import pytest
from django.urls import reverse

from calendarEditor.models import AuditEvent
from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:userRegistration_userprofile_changelist")


def test_changelist_filters_and_searches(admin_client, charlie, alice):
    response = admin_client.get(CHANGELIST, {"approval_status__exact": "pending", "q": "char"})
    assert response.status_code == 200
    assert [p.user.username for p in response.context["cl"].result_list] == ["charlie"]


def test_approve_action_goes_through_the_services(admin_client, charlie, alice):
    response = admin_client.post(
        CHANGELIST,
        {"action": "approve_selected", "_selected_action": [charlie.profile.pk, alice.profile.pk]},
        follow=True,
    )
    assert response.status_code == 200
    charlie.profile.refresh_from_db()
    assert charlie.profile.approval_status == ApprovalStatus.APPROVED
    # alice was already approved: a warning, no second audit event.
    assert list(AuditEvent.objects.values_list("action", "subject_user")) == [
        ("account.approved", charlie.pk)
    ]


def test_members_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    assert client.get(CHANGELIST).status_code == 302
