"""django-axes locks a username and address out after too many failed log-ins."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts-login")


def test_lockout_after_too_many_failures(client, alice, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, {"username": "alice", "password": "wrong"}).status_code == 200

    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed log-ins" in response.content.decode()

    # Even the right password is refused while the lockout lasts.
    right = client.post(LOGIN, {"username": "alice", "password": "correct horse battery staple"})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
