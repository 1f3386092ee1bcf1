"""Settings read from the environment, and the checks that guard a deployment.

Settings are read once per process, so the tests that vary the environment
start a fresh Python process with exactly the variables they name.
"""

import json
import re
import secrets
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from mysite import checks, testing
from mysite.env import env_bool, env_float, env_int, env_list

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "ALLOWED_HOSTS": "queue.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://queue.example.org",
    "BASE_URL": "https://queue.example.org",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # `check` opens no connection, so the server need not be running.
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/labqueue",
    "SECURE_HSTS_PRELOAD": "true",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.org",
}
SETTINGS_PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS}))"
)


def run_django(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run Python in the project with only ``env`` (plus PATH) as its environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=django_settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "mysite.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def production_env(**overrides: str) -> dict[str, str]:
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **overrides}
    return {name: value for name, value in env.items() if value}


# --- mysite.env -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("Yes", True), (" on ", True), ("false", False), ("0", False), ("", False)],
)
def test_env_bool_reads_common_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", not expected) is expected


def test_env_bool_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLAG", raising=False)

    assert env_bool("FLAG", True) is True


def test_env_bool_rejects_a_typo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_DEBUG", "ture")

    with pytest.raises(ImproperlyConfigured, match=r"DJANGO_DEBUG='ture' is not a boolean"):
        env_bool("DJANGO_DEBUG", False)


def test_env_int_parses_and_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOL", "12")
    assert env_int("POOL", 1) == 12

    monkeypatch.setenv("POOL", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("POOL", 1)

    monkeypatch.setenv("POOL", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        env_int("POOL", 5, minimum=1)


def test_env_float_parses_and_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURS", "0.25")
    assert env_float("HOURS", 1.0) == 0.25

    monkeypatch.setenv("HOURS", "a while")
    with pytest.raises(ImproperlyConfigured, match="not a number"):
        env_float("HOURS", 1.0)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example.org, ,b.example.org ")

    assert env_list("HOSTS") == ["a.example.org", "b.example.org"]


# --- settings in a fresh process ----------------------------------------------


def test_nothing_set_means_sqlite_and_in_memory_layer() -> None:
    result = run_django(["-c", SETTINGS_PROBE], {"DJANGO_DEBUG": "true"})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "debug": True,
        "engine": "django.db.backends.sqlite3",
        "layer": "channels.layers.InMemoryChannelLayer",
        "hosts": ["127.0.0.1", "localhost"],
    }


def test_urls_select_postgresql_and_redis() -> None:
    result = run_django(["-c", SETTINGS_PROBE], production_env())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "layer": "channels_redis.core.RedisChannelLayer",
        "hosts": ["queue.example.org"],
    }


def test_debug_off_without_secret_key_refuses_to_start() -> None:
    result = run_django(["manage.py", "check"], production_env(SECRET_KEY=""))

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_bad_boolean_stops_start_up_with_its_name() -> None:
    result = run_django(["manage.py", "check"], production_env(DJANGO_DEBUG="maybe"))

    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_deploy_check_passes_with_production_variables() -> None:
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_without_redis_postgres_and_base_url() -> None:
    env = production_env(REDIS_URL="", DATABASE_URL="", BASE_URL="")

    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode != 0
    for check_id in ("mysite.W001", "mysite.W002", "mysite.W003"):
        assert check_id in result.stderr


# --- the checks themselves ------------------------------------------------------

IN_MEMORY = {"default": {"BACKEND": checks.IN_MEMORY_LAYER}}
REDIS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {}}}


def ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


def test_in_memory_layer_warns_only_in_production(settings: Any) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.DEBUG = False
    assert ids(checks.check_channel_layer()) == ["mysite.W001"]

    settings.DEBUG = True
    assert checks.check_channel_layer() == []


def test_redis_layer_does_not_warn(settings: Any) -> None:
    settings.CHANNEL_LAYERS = REDIS
    settings.DEBUG = False

    assert checks.check_channel_layer() == []


def test_sqlite_warns_only_in_production(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.DEBUG = False
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", checks.SQLITE_ENGINE)
    assert ids(checks.check_database()) == ["mysite.W002"]

    settings.DEBUG = True
    assert checks.check_database() == []


def test_postgresql_does_not_warn(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.DEBUG = False
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")

    assert checks.check_database() == []


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "",
        "http://queue.localhost",
        "http://[::1]:8000",
    ],
)
def test_local_base_url_warns_in_production(settings: Any, base_url: str) -> None:
    settings.DEBUG = False
    settings.BASE_URL = base_url

    assert ids(checks.check_base_url()) == ["mysite.W003"]


def test_public_base_url_does_not_warn(settings: Any) -> None:
    settings.DEBUG = False
    settings.BASE_URL = "https://queue.example.org"
    assert checks.check_base_url() == []

    settings.DEBUG = True
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert checks.check_base_url() == []


# --- deployment files -------------------------------------------------------------


def test_render_blueprint_runs_commands_that_exist() -> None:
    from django.core.management import get_commands
    from django.urls import reverse

    blueprint = (django_settings.BASE_DIR / "render.yaml").read_text()
    used = set(re.findall(r"python manage\.py (\w+)", blueprint))

    assert used == {
        "collectstatic",
        "migrate",
        "load_initial_data",
        "ensure_superuser",
        "run_due_work",
    }
    assert used <= set(get_commands())
    assert f"healthCheckPath: {reverse('schedule-health')}\n" in blueprint
    assert "startCommand: daphne -b 0.0.0.0 -p $PORT mysite.asgi:application" in blueprint


def test_env_example_names_only_variables_the_code_reads() -> None:
    example = (django_settings.BASE_DIR / ".env.example").read_text()
    names = set(re.findall(r"^# ([A-Z][A-Z_]+)=", example, flags=re.MULTILINE))
    code = "".join(
        (django_settings.BASE_DIR / path).read_text()
        for path in (
            "mysite/settings.py",
            "calendarEditor/management/commands/ensure_superuser.py",
        )
    )

    assert len(names) > 30
    unread = sorted(name for name in names - {"DATABASE_URL"} if f'"{name}"' not in code)
    assert unread == []


# --- mysite.testing -------------------------------------------------------------


def test_missing_service_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)

    with pytest.raises(pytest.skip.Exception, match="needs PostgreSQL"):
        testing.unavailable("needs PostgreSQL")


def test_missing_service_fails_when_ci_requires_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_SERVICES", "1")

    with pytest.raises(pytest.fail.Exception, match="REQUIRE_SERVICES=1 but needs PostgreSQL"):
        testing.unavailable("needs PostgreSQL")


def test_require_postgres_looks_at_the_test_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUIRE_SERVICES", raising=False)
    monkeypatch.setattr(testing, "connection", SimpleNamespace(vendor="postgresql"))
    testing.require_postgres()

    monkeypatch.setattr(testing, "connection", SimpleNamespace(vendor="sqlite"))
    with pytest.raises(pytest.skip.Exception, match="the test database is sqlite"):
        testing.require_postgres()


def test_require_redis_pings_the_server(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUIRE_SERVICES", "1")
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"

    with pytest.raises(pytest.fail.Exception, match="unreachable") as caught:
        testing.require_redis()

    assert "hunter2" not in str(caught.value)

    settings.REDIS_URL = ""
    with pytest.raises(pytest.fail.Exception, match="set REDIS_URL"):
        testing.require_redis()
