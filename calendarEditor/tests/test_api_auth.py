"""Who may call the API: a personal token of an approved, active member, sent as Bearer."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from calendarEditor.models import ApiToken, AuditEvent
from calendarEditor.services import api_tokens
from calendarEditor.tests.api_support import URLCONF, bearer, get, post, token_for

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]


def test_a_valid_token_identifies_its_member(client, alice):
    response = get(client, "/api/me", token_for(alice))
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.pk,
        "username": "alice",
        "full_name": "Alice Tester",
        "is_staff": False,
        "unread_notifications": 0,
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer lq_not-a-real-token",
        "Bearer not-even-our-format",
        "Bearer lq_" + "x" * 500,
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Token lq_whatever",
    ],
)
def test_missing_or_bad_tokens_get_401(client, alice, header):
    token_for(alice)
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/api/me", **extra)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_the_scheme_is_case_insensitive(client, alice):
    token = token_for(alice)
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"bearer {token}").status_code == 200


def test_a_revoked_token_gets_401(client, alice):
    token = token_for(alice)
    api_tokens.revoke_token(ApiToken.objects.get(user=alice), by=alice)
    assert get(client, "/api/me", token).status_code == 401


def test_an_inactive_account_gets_401(client, alice):
    token = token_for(alice)
    alice.is_active = False
    alice.save()
    assert get(client, "/api/me", token).status_code == 401


@pytest.mark.parametrize("status", ["pending", "suspended", "rejected"])
def test_an_account_that_is_not_approved_gets_403(client, alice, status):
    token = token_for(alice)  # made while approved
    alice.profile.approval_status = status
    alice.profile.save()
    response = get(client, "/api/me", token)
    assert response.status_code == 403
    assert response.json() == {"detail": "This account is not approved to use the queue."}


def test_suspension_also_blocks_changes(client, alice, hidalgo):
    token = token_for(alice)
    alice.profile.approval_status = "suspended"
    alice.profile.save()
    body = {"title": "x", "estimated_hours": 1, "required_min_temp": 1}
    assert post(client, "/api/entries", token, body).status_code == 403
    assert not alice.queue_entries.exists()


def test_a_browser_session_is_not_accepted(client, alice):
    client.force_login(alice)
    assert client.get("/api/me").status_code == 401


def test_token_requests_need_no_csrf_token(alice, hidalgo):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)  # even with a session cookie present
    body = {"title": "x", "estimated_hours": 1, "required_min_temp": 1}
    response = post(strict, "/api/entries", token_for(alice), body)
    assert response.status_code == 201


def test_only_the_hash_is_stored(alice):
    token, raw = api_tokens.create_token(alice, "laptop")
    assert raw.startswith("lq_")
    assert len(raw) >= 43 + 3
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.prefix, token.token_hash}
    assert token.prefix == raw[:10]
    assert AuditEvent.objects.filter(action="api_token.created", subject_user=alice).exists()


def test_last_used_is_recorded_at_most_once_a_minute(client, alice):
    token = token_for(alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        get(client, "/api/me", token)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        get(client, "/api/me", token)
    assert ApiToken.objects.get(user=alice).last_used_at == start
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        get(client, "/api/me", token)
    assert ApiToken.objects.get(user=alice).last_used_at == start + timedelta(minutes=2)


def test_tokens_are_limited_per_member(alice, settings):
    settings.API_TOKENS_MAX_PER_USER = 2
    token_for(alice, "one")
    token_for(alice, "two")
    with pytest.raises(api_tokens.ApiTokenError, match="2 active tokens"):
        api_tokens.create_token(alice, "three")
    api_tokens.revoke_token(ApiToken.objects.get(name="one"), by=alice)
    assert api_tokens.create_token(alice, "three")[0].name == "three"


def test_members_who_are_not_approved_cannot_create_tokens(charlie):
    with pytest.raises(api_tokens.ApiTokenError, match="approved members"):
        api_tokens.create_token(charlie, "sneaky")
    assert not ApiToken.objects.exists()


def test_only_the_owner_revokes_and_only_once(alice, bob):
    token, _ = api_tokens.create_token(alice, "laptop")
    with pytest.raises(api_tokens.ApiTokenError, match="another account"):
        api_tokens.revoke_token(token, by=bob)
    api_tokens.revoke_token(token, by=alice)
    with pytest.raises(api_tokens.ApiTokenError, match="already revoked"):
        api_tokens.revoke_token(token, by=alice)


def test_staff_tokens_work_like_members(client, sam):
    response = client.get("/api/me", **bearer(token_for(sam)))
    assert response.json()["is_staff"] is True
