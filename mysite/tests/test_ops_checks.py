"""The operations checks (mail, Slack links), the site's wiring of the ops pieces, the docs.

The "wiring" tests read the real settings and URLconf: they fail until
mysite/settings.py, mysite/urls.py and calendarEditor/signals.py use what
this issue provides, and keep failing if a later edit drops a piece.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from calendarEditor.services import events
from calendarEditor.services.notifications import transports
from mysite import checks
from mysite.tests.test_settings_and_checks import production_env, run_django

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
BASE_DIR = Path(django_settings.BASE_DIR)


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


@pytest.fixture
def production(settings) -> Any:
    settings.DEBUG = False
    settings.BASE_URL = "https://queue.example.org"
    settings.SLACK_BOT_TOKEN = ""
    settings.EMAIL_BACKEND = SMTP
    return settings


# --- W004: email notifications with a backend that delivers nothing --------------------


@pytest.mark.parametrize(
    "backend",
    [
        CONSOLE,
        "",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_a_mail_backend_that_delivers_nothing_warns(production, backend):
    production.EMAIL_BACKEND = backend

    [warning] = checks.check_email_backend()

    assert warning.id == "mysite.W004"
    assert "no mail leaves the server" in warning.msg
    assert "EMAIL_HOST" in warning.hint


def test_smtp_does_not_warn_and_neither_does_debug(production):
    assert checks.check_email_backend() == []

    production.EMAIL_BACKEND = CONSOLE
    production.DEBUG = True
    assert checks.check_email_backend() == []


def test_no_warning_when_email_notifications_are_off(production, monkeypatch):
    production.EMAIL_BACKEND = CONSOLE
    monkeypatch.setattr(transports.get("email"), "is_enabled", lambda: False)

    assert checks.check_email_backend() == []


def test_deploy_check_names_the_console_mail_backend():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(EMAIL_BACKEND=""),
    )

    assert result.returncode != 0
    assert "mysite.W004" in result.stderr


def test_deploy_check_passes_with_an_smtp_backend():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(EMAIL_BACKEND=SMTP),
    )

    assert result.returncode == 0, result.stdout + result.stderr


# --- W005: Slack links need a public BASE_URL -------------------------------------------


@pytest.mark.parametrize(
    "base_url", ["", "queue.example.org", "ftp://queue.example.org", "http://127.0.0.1:8000"]
)
def test_slack_without_a_usable_base_url_warns(production, base_url):
    production.SLACK_BOT_TOKEN = "xoxb-test"
    production.BASE_URL = base_url

    assert ids(checks.check_slack_links()) == ["mysite.W005"]
    # The local-address warning gives way to the Slack one: one problem, one message.
    assert checks.check_base_url() == []


def test_slack_with_a_public_base_url_does_not_warn(production):
    production.SLACK_BOT_TOKEN = "xoxb-test"
    assert checks.check_slack_links() == []

    production.BASE_URL = "http://127.0.0.1:8000"
    production.SLACK_BOT_TOKEN = ""
    assert checks.check_slack_links() == []
    assert ids(checks.check_base_url()) == ["mysite.W003"]

    production.SLACK_BOT_TOKEN = "xoxb-test"
    production.DEBUG = True
    assert checks.check_slack_links() == []


# --- the site uses what this issue provides ---------------------------------------------


def test_settings_use_the_csrf_failure_page():
    assert django_settings.CSRF_FAILURE_VIEW == "mysite.views_errors.csrf_failure"


def test_the_request_id_middleware_comes_first():
    assert django_settings.MIDDLEWARE[0] == "mysite.request_context.RequestContextMiddleware"


def test_logs_go_through_the_structured_formatter():
    config = django_settings.LOGGING
    console = config["handlers"]["console"]

    assert config["formatters"][console["formatter"]]["()"].endswith("StructuredFormatter")
    assert "request_context" in console["filters"]
    assert django_settings.LOG_FORMAT in ("text", "json")


def test_backup_dir_is_a_setting_outside_the_project():
    backup_dir = django_settings.BACKUP_DIR
    assert not backup_dir or not Path(backup_dir).resolve().is_relative_to(BASE_DIR)


def test_the_backup_page_and_the_500_handler_are_routed():
    from mysite import urls

    assert reverse("schedule-staff-backup") == "/schedule/staff/backup/"
    assert urls.handler500 == "mysite.views_errors.server_error"


def test_queue_events_are_logged_by_the_app():
    assert "event_log" in (BASE_DIR / "calendarEditor" / "signals.py").read_text()
    assert any(s.__module__.endswith("event_log") for s in events._after_commit_senders)


# --- deployment files and docs ----------------------------------------------------------


def settings_variables() -> set[str]:
    source = (BASE_DIR / "mysite" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_the_deploy_guide_explains_every_variable_settings_read():
    guide = (BASE_DIR / "docs" / "deploy.md").read_text()

    assert len(settings_variables()) > 30
    variables = settings_variables() | {"DATABASE_URL"}
    unexplained = sorted(name for name in variables if f"`{name}`" not in guide)
    assert unexplained == []


def test_the_server_env_example_names_only_variables_the_code_reads():
    example = (BASE_DIR / "deploy" / "labqueue.env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BACKUP_DIR"} <= names
    assert sorted(names - settings_variables() - {"DATABASE_URL"}) == []
