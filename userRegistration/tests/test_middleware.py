"""ApprovalRequiredMiddleware: only approved members and staff reach member pages."""

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory

from userRegistration import services
from userRegistration.models import ApprovalStatus

pytestmark = pytest.mark.django_db

PENDING_URL = "/accounts/pending/"


def test_pending_member_is_sent_to_the_pending_page_before_any_view_runs(client, charlie):
    # The real URLconf: the board's view is never reached.
    client.force_login(charlie)
    response = client.get("/schedule/")
    assert response.status_code == 302
    assert response["Location"] == PENDING_URL


@pytest.mark.parametrize("path", ["/schedule/my/", "/schedule/entries/1/", "/schedule/staff/"])
def test_every_member_page_is_guarded(client, suspended_sue, path):
    client.force_login(suspended_sue)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == PENDING_URL


def test_post_is_refused_too(client, suspended_sue):
    client.force_login(suspended_sue)
    response = client.post("/schedule/submit/", {"title": "Sneaky run"})
    assert response["Location"] == PENDING_URL


def test_htmx_request_gets_hx_redirect(client, charlie):
    client.force_login(charlie)
    response = client.get("/schedule/fragments/board/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == PENDING_URL


def test_api_request_gets_json_403(client, charlie):
    client.force_login(charlie)
    response = client.get("/schedule/api/anything/")
    assert response.status_code == 403
    assert response.json()["pending_url"] == PENDING_URL


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
def test_approved_member_passes(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    # Session, then the user read with their profile (userRegistration.backends): the
    # approval check costs no query of its own.
    with django_assert_max_num_queries(2):
        response = client.get("/schedule/probe/")
    assert response.status_code == 200
    assert response.content == b"member page"


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
def test_withdrawal_takes_effect_on_the_next_request(client, alice, sam):
    client.force_login(alice)
    assert client.get("/schedule/probe/").status_code == 200

    services.suspend(alice, by=sam, reason="Left the fridge warm twice")

    response = client.get("/schedule/probe/")
    assert response.status_code == 302
    assert response["Location"] == PENDING_URL


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
def test_staff_pass_whatever_their_profile_says(client, sam):
    sam.profile.approval_status = ApprovalStatus.PENDING
    sam.profile.save()
    client.force_login(sam)
    assert client.get("/schedule/probe/").status_code == 200


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
def test_anonymous_passes_to_login_required(client):
    response = client.get("/schedule/probe/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/schedule/probe/")


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
@pytest.mark.parametrize("path", ["/schedule/health/", "/schedule/api/gateway/readings/"])
def test_health_and_gateway_are_exempt(client, charlie, path):
    client.force_login(charlie)
    assert client.get(path).status_code == 200


@pytest.mark.urls("userRegistration.tests.urls_for_middleware")
def test_member_without_a_profile_is_refused(client, charlie):
    charlie.profile.delete()
    client.force_login(charlie)
    assert client.get("/schedule/probe/")["Location"] == PENDING_URL


def test_account_pages_stay_open_to_pending_members(client, charlie):
    client.force_login(charlie)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get(PENDING_URL).status_code == 200


def test_the_session_user_comes_with_their_profile(client, alice):

    client.force_login(alice)
    request = RequestFactory().get("/")
    request.session = client.session
    user = get_user(request)
    assert user.pk == alice.pk
    assert "profile" in user._state.fields_cache


def test_a_deactivated_user_is_signed_out(client, alice):

    client.force_login(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    request = RequestFactory().get("/")
    request.session = client.session
    assert not get_user(request).is_authenticated
