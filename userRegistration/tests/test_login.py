"""Logging in and out."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts-login")
LOGOUT = reverse("accounts-logout")
PASSWORD = "correct horse battery staple"


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert reverse("accounts-password-reset") in response.content.decode()


def test_member_logs_in_to_the_board(client, alice):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("schedule-board")


def test_pending_member_can_log_in(client, charlie):
    response = client.post(LOGIN, {"username": "charlie", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts-pending")).status_code == 200


def test_wrong_password_shows_an_error(client, alice):
    response = client.post(LOGIN, {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_logged_in_user_is_redirected_away_from_login(client, alice):
    client.force_login(alice)
    assert client.get(LOGIN)["Location"] == reverse("schedule-board")


def test_logout_by_post(client, alice):
    client.force_login(alice)
    response = client.post(LOGOUT)
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_refused(client, alice):
    client.force_login(alice)
    assert client.get(LOGOUT).status_code == 405
    assert "_auth_user_id" in client.session
