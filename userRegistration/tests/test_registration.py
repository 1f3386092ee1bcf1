"""A visitor registers, is logged in, and waits for approval."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

URL = reverse("accounts-register")


def form_data(**overrides):
    return {
        "username": "dana",
        "first_name": "Dana",
        "last_name": "Scully",
        "email": "dana@lab.example",
        "department": "Physics",
        "password1": "cold fridge quantum hall",
        "password2": "cold fridge quantum hall",
        **overrides,
    }


def test_form_shows_every_field_with_help(client):
    response = client.get(URL)
    assert response.status_code == 200
    for name in ("username", "first_name", "last_name", "email", "department", "password1"):
        assert f'name="{name}"' in response.content.decode()
    assert "Your group or department" in response.content.decode()


def test_happy_path_creates_a_pending_member_and_logs_them_in(client):
    response = client.post(URL, form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts-pending")
    user = get_user_model().objects.get(username="dana")
    assert user.profile.approval_status == ApprovalStatus.PENDING
    assert user.profile.department == "Physics"
    assert user.check_password("cold fridge quantum hall")
    assert client.get(reverse("accounts-pending")).context["user"] == user


def test_duplicate_email_is_refused_case_insensitively(client, alice):
    response = client.post(URL, form_data(email="ALICE@Lab.Example"))
    assert response.status_code == 200
    assert "already exists" in str(response.context["form"].errors["email"])
    assert not get_user_model().objects.filter(username="dana").exists()


def test_weak_password_is_refused_with_the_validators_reasons(client):
    response = client.post(URL, form_data(password1="12345678", password2="12345678"))
    assert response.status_code == 200
    errors = str(response.context["form"].errors["password2"])
    assert "too common" in errors
    assert "entirely numeric" in errors
    assert not get_user_model().objects.filter(username="dana").exists()


def test_password_like_the_username_is_refused(client):
    response = client.post(
        URL, form_data(username="cryostatfan", password1="cryostatfan1", password2="cryostatfan1")
    )
    assert "too similar" in str(response.context["form"].errors)


def test_missing_names_are_refused(client):
    response = client.post(URL, form_data(first_name="", last_name=""))
    assert set(response.context["form"].errors) == {"first_name", "last_name"}
    assert not get_user_model().objects.filter(username="dana").exists()


def test_duplicate_username_is_refused(client, alice):
    response = client.post(URL, form_data(username="Alice"))
    assert "username" in response.context["form"].errors


def test_logged_in_visitors_are_sent_on(client, alice):
    client.force_login(alice)
    response = client.get(URL)
    assert response["Location"] == reverse("accounts-pending")
