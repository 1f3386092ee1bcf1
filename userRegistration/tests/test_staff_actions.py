"""Lab managers approve, reject, suspend, reinstate, promote and demote accounts."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from calendarEditor.models import AuditEvent
from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

MEMBERS = reverse("accounts-staff-members")

# (url name, the account it acts on, POST data, what the account looks like after)
ACTIONS = [
    ("accounts-staff-approve", "charlie", {}, ("approved", False)),
    ("accounts-staff-reject", "charlie", {"reason": "Unknown to the lab"}, ("rejected", False)),
    ("accounts-staff-suspend", "alice", {"reason": "Fridge left warm"}, ("suspended", False)),
    ("accounts-staff-reinstate", "suspended_sue", {}, ("approved", False)),
    ("accounts-staff-promote", "alice", {}, ("approved", True)),
]

# The audit action each records, and the message the manager sees.
OUTCOMES = {
    "accounts-staff-approve": ("account.approved", "approved"),
    "accounts-staff-reject": ("account.rejected", "rejected"),
    "accounts-staff-suspend": ("account.suspended", "suspended"),
    "accounts-staff-reinstate": ("account.reinstated", "reinstated"),
    "accounts-staff-promote": ("account.promoted", "made a lab manager"),
}


def state_of(user):
    user.refresh_from_db()
    user.profile.refresh_from_db()
    return (user.profile.approval_status, user.is_staff)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("name", "who", "data", "after"), ACTIONS)
def test_happy_path_changes_the_account_and_audits(client, request, sam, name, who, data, after):
    target = request.getfixturevalue(who)
    client.force_login(sam)
    response = client.post(reverse(name, args=[target.pk]), data)
    assert response["Location"] == MEMBERS
    assert state_of(target) == after
    action, done = OUTCOMES[name]
    event = AuditEvent.objects.get(subject_user=target)
    assert (event.action, event.actor, event.reason) == (action, sam, data.get("reason", ""))
    assert texts(response) == [f"{target.get_username()}: {done}."]


def test_demote(client, sam, django_user_model):
    olga = django_user_model.objects.create_user("olga", is_staff=True)
    client.force_login(sam)
    client.post(reverse("accounts-staff-demote", args=[olga.pk]))
    assert state_of(olga) == (ApprovalStatus.APPROVED, False)
    assert AuditEvent.objects.get(subject_user=olga).action == "account.demoted"


@pytest.mark.parametrize(("name", "who", "data", "after"), ACTIONS)
def test_anonymous_goes_to_login(client, request, name, who, data, after):
    target = request.getfixturevalue(who)
    before = state_of(target)
    response = client.post(reverse(name, args=[target.pk]), data)
    assert response["Location"].startswith(reverse("accounts-login"))
    assert state_of(target) == before


@pytest.mark.parametrize(("name", "who", "data", "after"), ACTIONS)
def test_members_get_403(client, request, bob, name, who, data, after):
    target = request.getfixturevalue(who)
    before = state_of(target)
    client.force_login(bob)
    assert client.post(reverse(name, args=[target.pk]), data).status_code == 403
    assert state_of(target) == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("name", "who", "data", "after"), ACTIONS)
def test_get_is_not_allowed(client, request, sam, name, who, data, after):
    target = request.getfixturevalue(who)
    before = state_of(target)
    client.force_login(sam)
    assert client.get(reverse(name, args=[target.pk]), data).status_code == 405
    assert state_of(target) == before


@pytest.mark.parametrize(
    ("name", "who"), [("accounts-staff-reject", "charlie"), ("accounts-staff-suspend", "alice")]
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_missing_reason_shows_a_message_and_changes_nothing(
    client, request, sam, name, who, reason
):
    target = request.getfixturevalue(who)
    before = state_of(target)
    client.force_login(sam)
    response = client.post(reverse(name, args=[target.pk]), {"reason": reason})
    assert response["Location"] == MEMBERS
    assert texts(response) == ["Give a reason; the member will see it."]
    assert state_of(target) == before
    assert not AuditEvent.objects.exists()


def test_impossible_transition_shows_the_services_message(client, sam, alice):
    client.force_login(sam)
    response = client.post(reverse("accounts-staff-reinstate", args=[alice.pk]))
    assert texts(response) == ["alice's account is approved; it cannot be reinstated."]
    assert not AuditEvent.objects.exists()


def test_cannot_demote_yourself(client, sam):
    client.force_login(sam)
    response = client.post(reverse("accounts-staff-demote", args=[sam.pk]))
    assert "your own" in texts(response)[0]
    assert state_of(sam)[1] is True


def test_redirects_back_to_the_filtered_list(client, sam, charlie):
    client.force_login(sam)
    back = f"{MEMBERS}?status=pending&q=char"
    response = client.post(reverse("accounts-staff-approve", args=[charlie.pk]), {"next": back})
    assert response["Location"] == back


def test_refuses_to_redirect_off_site(client, sam, charlie):
    client.force_login(sam)
    url = reverse("accounts-staff-approve", args=[charlie.pk])
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == MEMBERS


def test_unknown_account_is_404(client, sam):
    client.force_login(sam)
    assert client.post(reverse("accounts-staff-approve", args=[999_999])).status_code == 404


def test_csrf_is_enforced(sam, charlie):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(sam)
    assert strict.post(reverse("accounts-staff-approve", args=[charlie.pk])).status_code == 403
    assert state_of(charlie)[0] == ApprovalStatus.PENDING
