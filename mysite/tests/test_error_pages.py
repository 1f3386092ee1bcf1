"""Friendly error pages in the site's look, with nothing internal shown (DEBUG is off)."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import loader
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from mysite import views_errors
from mysite.tests.urls_errors import INTERNAL_DETAIL

pytestmark = [pytest.mark.django_db, pytest.mark.urls("mysite.tests.urls_errors")]

DEBUG_PAGE_MARKERS = ("Traceback", "DEBUG = True", "Request Method:", "Django Version")


def assert_no_internals(content: str, settings) -> None:
    for marker in (*DEBUG_PAGE_MARKERS, INTERNAL_DETAIL, "hunter2", settings.SECRET_KEY):
        assert marker not in content


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_404_in_the_site_layout(client, settings):
    response = client.get("/schedule/no-such-page/")

    content = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in content
    assert 'class="site-header"' in content
    assert "/schedule/no-such-page/" in content
    assert_no_internals(content, settings)


def test_403_says_who_may_and_keeps_the_layout(client, alice, settings):
    client.force_login(alice)

    response = client.get(reverse("schedule-staff-dashboard"))

    content = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in content
    assert "Only lab managers can use this page." in content
    assert 'class="site-nav"' in content  # the member still has the site's menu
    assert_no_internals(content, settings)


def test_400_for_a_suspicious_request(client, settings):
    response = client.get("/test/suspicious/")

    content = response.content.decode()
    assert response.status_code == 400
    assert "could not understand that request" in content
    assert_no_internals(content, settings)


def test_400_for_an_unknown_host_header(client, settings):
    response = client.get("/schedule/", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert "could not understand that request" in response.content.decode()


def test_500_is_friendly_and_quotes_the_request_id(settings):
    middleware = "mysite.request_context.RequestContextMiddleware"
    settings.MIDDLEWARE = [middleware, *[m for m in settings.MIDDLEWARE if m != middleware]]
    client = Client(raise_request_exception=False)

    response = client.get("/test/fails/")

    content = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in content
    assert f"<code>{response['X-Request-ID']}</code>" in content
    assert 'href="/static/css/site.css"' in content
    assert settings.LAB_NAME in content
    assert_no_internals(content, settings)


def test_500_renders_with_djangos_own_handler_and_an_empty_context(settings):
    response = defaults.server_error(RequestFactory().get("/"))

    content = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in content
    assert "quote this code" not in content
    assert_no_internals(content, settings)
    assert "Lab equipment queue" in loader.get_template("500.html").render({})


def test_500_template_needs_no_url_or_database():
    source = loader.get_template("500.html").template.source

    assert not re.search(r"{%\s*(url|static|extends|include)\b", source)


def test_csrf_failure_is_a_friendly_403(alice, settings, caplog):
    caplog.set_level("WARNING", logger="django.security.csrf")
    settings.CSRF_FAILURE_VIEW = "mysite.views_errors.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(reverse("accounts-logout"))

    content = response.content.decode()
    assert response.status_code == 403
    assert "That form could not be sent" in content
    assert "Nothing was changed" in content
    assert "CSRF verification failed" not in content
    assert "CSRF cookie not set" not in content  # the reason goes to the log only
    assert 'class="site-header"' in content
    assert_no_internals(content, settings)
    assert "CSRF cookie not set" in caplog.text
    assert client.get(reverse("accounts-profile")).status_code == 200  # still logged in


def test_csrf_failure_view_renders_without_a_logged_in_user(rf, settings):
    request = rf.post("/accounts/login/")
    request.user = AnonymousUser()

    response = views_errors.csrf_failure(request, reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert "CSRF cookie not set" not in response.content.decode()
