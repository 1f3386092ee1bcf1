"""The lab managers' list of accounts: pending first, then everyone, filtered."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

URL = reverse("accounts-staff-members")


def make_members(django_user_model, sam, start, stop):
    statuses = list(ApprovalStatus)
    for n in range(start, stop):
        user = django_user_model.objects.create_user(f"member{n:03}", email=f"m{n}@lab.example")
        user.profile.approval_status = statuses[n % len(statuses)]
        user.profile.approved_by = sam
        user.profile.save()


def queries_for(client, url=URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_pending_accounts_come_first_with_approve_and_reject(client, sam, charlie, alice):
    client.force_login(sam)
    response = client.get(URL)
    assert [u.username for u in response.context["pending"]] == ["charlie"]
    content = response.content.decode()
    assert reverse("accounts-staff-approve", args=[charlie.pk]) in content
    assert reverse("accounts-staff-reject", args=[charlie.pk]) in content
    assert content.index("pending-heading") < content.index("members-heading")
    assert reverse("accounts-staff-suspend", args=[alice.pk]) in content
    assert reverse("accounts-staff-promote", args=[alice.pk]) in content


def test_rows_offer_the_actions_their_state_allows(client, sam, suspended_sue, alice):
    client.force_login(sam)
    content = client.get(URL).content.decode()
    assert reverse("accounts-staff-reinstate", args=[suspended_sue.pk]) in content
    assert reverse("accounts-staff-suspend", args=[suspended_sue.pk]) not in content
    assert reverse("accounts-staff-reinstate", args=[alice.pk]) not in content
    # Managers do not demote themselves from here.
    assert reverse("accounts-staff-demote", args=[sam.pk]) not in content


def test_filter_by_status(client, sam, alice, bob, suspended_sue, charlie):
    client.force_login(sam)
    response = client.get(URL, {"status": "suspended"})
    assert [u.username for u in response.context["page"]] == ["sue"]
    response = client.get(URL, {"status": "staff"})
    assert [u.username for u in response.context["page"]] == ["sam"]


def test_search(client, sam, alice, bob):
    client.force_login(sam)
    response = client.get(URL, {"q": "ALI"})
    assert [u.username for u in response.context["page"]] == ["alice"]


def test_bad_filter_shows_an_error_and_lists_everyone(client, sam, alice):
    client.force_login(sam)
    response = client.get(URL, {"status": "bogus"})
    assert "status" in response.context["filters"].errors
    assert {u.username for u in response.context["page"]} == {"alice", "sam"}


def test_anonymous_goes_to_login(client):
    assert client.get(URL)["Location"].startswith(reverse("accounts-login"))


@pytest.mark.parametrize("fixture", ["alice", "charlie"])
def test_members_get_403(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(URL).status_code == 403


def test_query_count_is_the_same_for_10_and_200_accounts(client, sam, django_user_model):
    client.force_login(sam)
    filtered = f"{URL}?status=approved&q=member"
    make_members(django_user_model, sam, 0, 10)
    small, small_filtered = queries_for(client), queries_for(client, filtered)
    make_members(django_user_model, sam, 10, 200)
    assert queries_for(client) == small
    assert queries_for(client, filtered) == small_filtered
    # Session, user, pending list, count, one page of accounts and the bell's unread count.
    assert small == 6
