"""GET /schedule/health/: the platform's probe of the database and the channel layer."""

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer
from channels.testing import HttpCommunicator
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from calendarEditor.views import health
from mysite.testing import require_redis

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
URL = "/schedule/health/"


def redis_layer(url: str) -> dict[str, Any]:
    return {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }


class BrokenConnection:
    """A database whose every query fails the way an unreachable PostgreSQL does."""

    def cursor(self) -> Any:
        raise OperationalError(
            'connection to server at "db.internal" (10.0.0.5), port 5432 failed: '
            'FATAL: password authentication failed for user "labqueue"'
        )


class SilentLayer(InMemoryChannelLayer):
    """Accepts messages and never delivers them, like a layer stuck on a dead socket."""

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        return None


def test_url_name_points_at_the_probe() -> None:
    assert reverse("schedule-health") == URL


@pytest.mark.django_db
def test_healthy_site_answers_ok(client: Client, settings: Any) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY

    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True},
        "channel_layer": {"ok": True, "backend": "InMemoryChannelLayer"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_pending_member_is_not_sent_to_the_pending_page(
    client: Client, settings: Any, charlie: Any
) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY
    client.force_login(charlie)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_head_answers_without_a_body(client: Client, settings: Any) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY

    response = client.head(URL)

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_refused(client: Client, settings: Any, method: str) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY

    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


@pytest.mark.django_db
def test_database_failure_answers_503_without_secrets(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHANNEL_LAYERS = IN_MEMORY
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get(URL)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["channel_layer"]["ok"] is True
    for secret in ("db.internal", "10.0.0.5", "labqueue", "password"):
        assert secret not in response.content.decode()


@pytest.mark.django_db
def test_unreachable_redis_is_degraded_but_still_200(client: Client, settings: Any) -> None:
    # Nothing listens on port 1, so the connection is refused at once.
    settings.CHANNEL_LAYERS = redis_layer("redis://127.0.0.1:1/0")

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] == {"ok": True}
    assert body["channel_layer"]["ok"] is False
    assert body["channel_layer"]["backend"] == "RedisChannelLayer"
    assert body["channel_layer"]["error"]
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_layer_that_never_delivers_times_out_as_degraded(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "get_channel_layer", SilentLayer)
    monkeypatch.setattr(health, "LAYER_TIMEOUT_SECONDS", 0.05)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["channel_layer"] == {
        "ok": False,
        "backend": "SilentLayer",
        "error": "TimeoutError",
    }


@pytest.mark.django_db
def test_missing_channel_layer_is_degraded(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["channel_layer"] == {
        "ok": False,
        "backend": None,
        "error": "not configured",
    }


@pytest.mark.django_db
def test_round_trip_through_real_redis(client: Client, settings: Any) -> None:
    settings.CHANNEL_LAYERS = redis_layer(require_redis())

    response = client.get(URL)

    assert response.status_code == 200
    assert response.json()["channel_layer"] == {"ok": True, "backend": "RedisChannelLayer"}


# The ASGI handler closes the connection after each request, which a test
# wrapped in a transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_asgi_application_routes_http_to_django(settings: Any) -> None:
    from mysite.asgi import application

    settings.CHANNEL_LAYERS = IN_MEMORY
    communicator = HttpCommunicator(application, "GET", URL, headers=[(b"host", b"testserver")])

    response = async_to_sync(communicator.get_response)(timeout=5)

    assert response["status"] == 200
    assert json.loads(response["body"])["status"] == "ok"
