"""The page that tells a member why the queue is closed to them."""

import pytest
from django.urls import reverse

from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

URL = reverse("accounts-pending")


def test_pending_member_is_told_to_wait(client, charlie):
    client.force_login(charlie)
    response = client.get(URL)
    assert response.status_code == 200
    assert "A lab manager will review your account" in response.content.decode()


def test_rejected_member_sees_the_reason(client, charlie):
    charlie.profile.approval_status = ApprovalStatus.REJECTED
    charlie.profile.status_reason = "Please register with your university email"
    charlie.profile.save()
    client.force_login(charlie)
    content = client.get(URL).content.decode()
    assert "did not approve" in content
    assert "Please register with your university email" in content


def test_suspended_member_sees_the_reason(client, suspended_sue):
    suspended_sue.profile.status_reason = "Left Hidalgo <warm>"
    suspended_sue.profile.save()
    client.force_login(suspended_sue)
    content = client.get(URL).content.decode()
    assert "suspended this account" in content
    assert "Left Hidalgo &lt;warm&gt;" in content


@pytest.mark.parametrize("fixture", ["alice", "sam"])
def test_approved_members_and_staff_go_to_the_board(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(URL)["Location"] == reverse("schedule-board")


def test_anonymous_goes_to_login(client):
    assert client.get(URL)["Location"] == f"{reverse('accounts-login')}?next={URL}"
