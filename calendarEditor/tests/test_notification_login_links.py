"""One-time login links: hashed, same-site, used once, GET never spends them."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone

import mysite.urls
from calendarEditor.models import OneTimeLoginToken
from calendarEditor.services.notifications import tokens
from mysite.testing import require_postgres

urlpatterns = [
    *mysite.urls.urlpatterns,
    path("schedule/", include("calendarEditor.urls.notifications")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
TARGET = "/schedule/my/"


def link_path(raw):
    return reverse("schedule-login-link", args=[raw])


def logged_in_as(client):
    return client.session.get(SESSION_KEY)


def test_a_link_is_absolute_and_only_its_hash_is_stored(alice, settings):
    settings.BASE_URL = "https://queue.lab.example"
    url = tokens.create_link(alice, TARGET)
    raw = url.rstrip("/").rsplit("/", 1)[-1]
    assert url == f"https://queue.lab.example/schedule/login-link/{raw}/"
    assert len(raw) == 43  # 32 random bytes, base64url
    row = OneTimeLoginToken.objects.get()
    assert row.token_hash == tokens.hash_token(raw) != raw
    assert raw not in str(list(OneTimeLoginToken.objects.values()))
    assert row.expires_at - row.created_at == timedelta(hours=24)


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "x/y",
     "/schedule/\nSet-Cookie: a=b"],
)  # fmt: skip
def test_a_link_cannot_lead_off_site(alice, target):
    with pytest.raises(ValueError, match="pages of this site"):
        tokens.create_token(alice, target)


def test_a_get_shows_a_confirm_page_and_never_redeems(client, alice):
    raw = tokens.create_token(alice, "/schedule/entries/7/")
    for _ in range(3):  # a Slack unfurler, a mail scanner, the member
        response = client.get(link_path(raw))
        assert response.status_code == 200
        assert b"Continue as alice to your queue entry" in response.content
    assert OneTimeLoginToken.objects.get().used_at is None
    assert logged_in_as(client) is None


def test_the_post_logs_the_member_in_with_a_new_session(client, alice):
    raw = tokens.create_token(alice, TARGET)
    planted = client.session  # a session the browser had before (or someone planted)
    planted["seen"] = True
    planted.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    response = client.post(link_path(raw))
    assert response.status_code == 302
    assert response.url == TARGET
    assert logged_in_as(client) == str(alice.pk)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert OneTimeLoginToken.objects.get().used_at is not None


def test_a_used_link_leads_to_the_normal_login_with_the_same_next(client, alice):
    raw = tokens.create_token(alice, TARGET)
    Client().post(link_path(raw))
    for method in (client.get, client.post):
        response = method(link_path(raw))
        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=%2Fschedule%2Fmy%2F"
    assert logged_in_as(client) is None


def test_an_expired_or_unknown_link_leads_to_login(client, alice):
    raw = tokens.create_token(alice, TARGET, now=timezone.now() - timedelta(hours=25))
    assert client.post(link_path(raw)).url == "/accounts/login/?next=%2Fschedule%2Fmy%2F"
    assert client.get(link_path("not-a-token")).url == "/accounts/login/"
    assert logged_in_as(client) is None


def test_a_token_for_alice_cannot_log_in_bob(client, alice, bob):
    raw = tokens.create_token(alice, TARGET)
    assert tokens.redeem(raw, user_expected=bob) is None
    assert OneTimeLoginToken.objects.get().used_at is None
    client.force_login(bob)
    page = client.get(link_path(raw))
    assert b"You are logged in as <strong>bob</strong>" in page.content
    assert b"Switch to alice" in page.content
    client.post(link_path(raw))
    assert logged_in_as(client) == str(alice.pk)  # switched, never bob with alice's link


def test_a_row_pointing_off_site_still_redirects_home(client, alice):
    raw = "handmade-token-for-a-test"
    OneTimeLoginToken.objects.create(
        token_hash=tokens.hash_token(raw),
        user=alice,
        target_path="//evil.example/",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = client.post(link_path(raw))
    assert response.url == "/schedule/my/"


def test_the_same_member_already_logged_in_just_goes_there(client, alice):
    raw = tokens.create_token(alice, TARGET)
    client.force_login(alice)
    assert client.get(link_path(raw)).url == TARGET
    assert OneTimeLoginToken.objects.get().used_at is None


def test_an_inactive_account_cannot_use_its_link(client, alice):
    raw = tokens.create_token(alice, TARGET)
    alice.is_active = False
    alice.save()
    assert client.post(link_path(raw)).url.startswith("/accounts/login/")
    assert logged_in_as(client) is None


def test_other_methods_are_refused(client, alice):
    raw = tokens.create_token(alice, TARGET)
    assert client.put(link_path(raw)).status_code == 405


def test_expired_tokens_are_pruned(alice):
    old = timezone.now() - timedelta(days=2)
    tokens.create_token(alice, TARGET, now=old)
    used = tokens.create_token(alice, TARGET, now=old)
    tokens.redeem(used, now=old + timedelta(hours=1))
    fresh = tokens.create_token(alice, TARGET)
    assert tokens.prune_expired() == 2
    call_command("deliver_notifications")  # each runner pass prunes too
    assert list(OneTimeLoginToken.objects.values_list("token_hash", flat=True)) == [
        tokens.hash_token(fresh)
    ]


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_log_in_exactly_once(alice):
    require_postgres()
    raw = tokens.create_token(alice, TARGET)
    start_together = threading.Barrier(50)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem() -> None:
        client = Client()
        start_together.wait()
        try:
            response = client.post(link_path(raw))
            outcome = "in" if client.session.get(SESSION_KEY) == str(alice.pk) else response.url
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("in") == 1
    assert outcomes.count("/accounts/login/?next=%2Fschedule%2Fmy%2F") == 49
