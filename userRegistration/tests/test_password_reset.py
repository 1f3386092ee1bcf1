"""Password reset by email, with Django's token flow."""

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another fridge another day"


def reset_link(message):
    match = re.search(r"^(https?://\S+)$", message.body, re.MULTILINE)
    assert match, message.body
    return match.group(1)


def test_reset_email_link_sets_a_new_password(client, alice, settings):
    response = client.post(reverse("accounts-password-reset"), {"email": "ALICE@lab.example"})
    assert response["Location"] == reverse("accounts-password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@lab.example"]
    assert settings.LAB_NAME in message.subject

    link = reset_link(message)
    assert link.startswith(settings.BASE_URL)
    path = link.removeprefix(settings.BASE_URL)
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts-password-reset-complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)

    # The link works once.
    assert not client.get(path, follow=True).context["validlink"]


def test_unknown_email_sends_nothing_and_reveals_nothing(client, alice):
    response = client.post(reverse("accounts-password-reset"), {"email": "nobody@lab.example"})
    assert response["Location"] == reverse("accounts-password-reset-done")
    assert mail.outbox == []


def test_weak_new_password_is_refused(client, alice):
    client.post(reverse("accounts-password-reset"), {"email": "alice@lab.example"})
    path = reset_link(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    form_page = client.get(f"/{path}", follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "password", "new_password2": "password"})
    assert response.status_code == 200
    assert "too common" in str(response.context["form"].errors)
    alice.refresh_from_db()
    assert alice.check_password("correct horse battery staple")


def test_password_change_needs_the_old_password(client, alice):
    client.force_login(alice)
    url = reverse("accounts-password-change")
    bad = client.post(
        url, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert "old_password" in bad.context["form"].errors
    good = client.post(
        url,
        {
            "old_password": "correct horse battery staple",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert good["Location"] == reverse("accounts-password-change-done")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_needs_login(client):
    response = client.get(reverse("accounts-password-change"))
    assert response["Location"].startswith(reverse("accounts-login"))
