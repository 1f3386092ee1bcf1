"""The profile's API token page: create (shown once), list, revoke."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from calendarEditor.models import ApiToken
from calendarEditor.services import api_tokens
from calendarEditor.tests.api_support import URLCONF, get

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

PAGE = "schedule-api-tokens"


def test_the_page_lists_the_members_own_tokens(client, alice, bob):
    api_tokens.create_token(alice, "notebook")
    api_tokens.create_token(bob, "bobs script")
    client.force_login(alice)
    response = client.get(reverse(PAGE))
    html = response.content.decode()
    assert response.status_code == 200
    assert "notebook" in html
    assert "bobs script" not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_creating_shows_the_token_once_and_it_works(client, alice):
    client.force_login(alice)
    response = client.post(reverse(PAGE), {"name": "  lab   laptop "})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.name == "lab laptop"
    assert raw not in client.get(reverse(PAGE)).content.decode()
    client.logout()
    assert get(client, "/api/me", raw).json()["username"] == "alice"


def test_a_bad_name_creates_nothing(client, alice):
    client.force_login(alice)
    response = client.post(reverse(PAGE), {"name": "x" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert client.post(reverse(PAGE), {"name": "   "}).status_code == 400
    assert not ApiToken.objects.exists()


def test_the_limit_is_explained_on_the_form(client, alice, settings):
    settings.API_TOKENS_MAX_PER_USER = 1
    client.force_login(alice)
    client.post(reverse(PAGE), {"name": "one"})
    response = client.post(reverse(PAGE), {"name": "two"})
    assert response.status_code == 400
    assert "1 active tokens, the most allowed" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_revoking_stops_the_token(client, alice):
    token, raw = api_tokens.create_token(alice, "laptop")
    client.force_login(alice)
    response = client.post(reverse("schedule-api-token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(PAGE)
    assert "revoked" in next(str(m) for m in get_messages(response.wsgi_request))
    client.logout()
    assert get(client, "/api/me", raw).status_code == 401


def test_revoking_twice_says_so(client, alice):
    token, _ = api_tokens.create_token(alice, "laptop")
    client.force_login(alice)
    client.post(reverse("schedule-api-token-revoke", args=[token.pk]))
    response = client.post(reverse("schedule-api-token-revoke", args=[token.pk]))
    assert "already revoked" in [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_another_members_token_is_404(client, alice, bob):
    token, _raw = api_tokens.create_token(alice, "laptop")
    client.force_login(bob)
    assert client.post(reverse("schedule-api-token-revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).is_active


def test_revoke_needs_post(client, alice):
    token, _ = api_tokens.create_token(alice, "laptop")
    client.force_login(alice)
    assert client.get(reverse("schedule-api-token-revoke", args=[token.pk])).status_code == 405


def test_anonymous_visitors_go_to_login(client):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
    response = client.post(reverse("schedule-api-token-revoke", args=[1]))
    assert response["Location"].startswith(reverse("accounts-login"))


def test_a_pending_member_cannot_create_tokens(client, charlie):
    client.force_login(charlie)
    response = client.post(reverse(PAGE), {"name": "sneaky"})
    assert response.status_code in (302, 403)  # the approval gate, or the view's own check
    assert not ApiToken.objects.exists()
