"""The gateway endpoint: every answer temperature_gateway/sender.py relies on."""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import GatewayKey, Machine, TemperatureReading
from calendarEditor.services import gateway, gateway_keys
from mysite.testing import require_postgres

pytestmark = pytest.mark.django_db

URL = reverse("schedule-api-gateway-readings")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def raw_key(sam):
    return gateway_keys.create_key("PPMS room PC", by=sam)[1]


@pytest.fixture
def api():
    # CSRF checks on, as for a real client: the endpoint must not depend on a token.
    return Client(enforce_csrf_checks=True)


def iso(when):
    return when.isoformat(timespec="milliseconds")


def reading(machine="Hidalgo", kelvin=1.83, read_at=None, reading_id=None):
    return {
        "machine": machine,
        "kelvin": kelvin,
        "read_at": read_at or iso(timezone.now() - timedelta(seconds=5)),
        "id": reading_id or uuid.uuid4().hex,
    }


def send(api, key, readings=(), unreachable=(), body=None, **headers):
    payload = {"gateway_time": iso(timezone.now()), "readings": list(readings)}
    payload["unreachable"] = list(unreachable)
    data = body if body is not None else json.dumps(payload)
    if key is not None:
        headers["HTTP_X_GATEWAY_KEY"] = key
    return api.post(URL, data=data, content_type="application/json", **headers)


def test_readings_are_stored_and_the_machine_shows_the_newest(api, raw_key, hidalgo, griffin):
    now = timezone.now()
    older = reading(kelvin=4.2, read_at=iso(now - timedelta(minutes=2)))
    newer = reading(kelvin=1.83, read_at=iso(now - timedelta(minutes=1)))
    response = send(api, raw_key, [newer, older, reading("Griffin", 300)], unreachable=["CryoCore"])
    assert response.status_code == 200
    assert response.json() == {"stored": 3, "duplicates": 0, "errors": []}
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature == 1.83
    assert hidalgo.temperature_updated_at == datetime.fromisoformat(newer["read_at"])
    assert TemperatureReading.objects.filter(machine=hidalgo).count() == 2
    key = GatewayKey.objects.get()
    assert key.last_used_at is not None
    assert key.last_unreachable == ["CryoCore"]
    assert set(TemperatureReading.objects.values_list("gateway", flat=True)) == {key.pk}


def test_zero_kelvin_is_a_value(api, raw_key, hidalgo):
    response = send(api, raw_key, [reading(kelvin=0)])
    assert response.status_code == 200
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature == 0.0
    assert hidalgo.temperature_updated_at is not None


def test_an_older_reading_never_replaces_a_newer_one(api, raw_key, hidalgo):
    now = timezone.now()
    send(api, raw_key, [reading(kelvin=1.5, read_at=iso(now - timedelta(seconds=10)))])
    response = send(api, raw_key, [reading(kelvin=9.9, read_at=iso(now - timedelta(hours=1)))])
    assert response.json()["stored"] == 1  # kept as history all the same
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature == 1.5


def test_an_empty_batch_is_a_heartbeat(api, raw_key):
    response = send(api, raw_key, [], unreachable=["Hidalgo", "Griffin"])
    assert response.status_code == 200
    assert response.json() == {"stored": 0, "duplicates": 0, "errors": []}
    key = GatewayKey.objects.get()
    assert key.last_used_at is not None
    assert key.last_unreachable == ["Hidalgo", "Griffin"]


@pytest.mark.parametrize("key", [None, "", "gw_not-a-real-key", "x" * 5000, "gw_ünïcode"], ids=repr)
def test_a_missing_or_wrong_key_gets_401_and_nothing_is_stored(api, raw_key, hidalgo, key):
    response = send(api, key, [reading()])
    assert response.status_code == 401
    assert "gateway key" in response.json()["error"]
    assert not TemperatureReading.objects.exists()
    assert GatewayKey.objects.get().last_used_at is None


def test_a_revoked_key_gets_401(api, raw_key, sam, hidalgo):
    gateway_keys.revoke_key(GatewayKey.objects.get(), by=sam)
    response = send(api, raw_key, [reading()])
    assert response.status_code == 401
    assert not TemperatureReading.objects.exists()


def test_a_member_session_is_no_key(api, raw_key, alice, hidalgo):
    api.force_login(alice)
    assert send(api, None, [reading()]).status_code == 401
    assert not TemperatureReading.objects.exists()


def test_only_post_is_allowed(api, raw_key):
    response = api.get(URL, HTTP_X_GATEWAY_KEY=raw_key)
    assert response.status_code == 405


BAD_READINGS = [
    ({"machine": "Nowhere"}, "unknown machine 'Nowhere'"),
    ({"machine": 7}, "machine must be a machine's name"),
    ({"kelvin": -0.1}, "kelvin -0.1 is not between 0 and 1000 K"),
    ({"kelvin": 1000.5}, "kelvin 1000.5 is not between 0 and 1000 K"),
    ({"kelvin": 10**400}, "not between 0 and 1000 K"),
    ({"kelvin": "1.8"}, "kelvin must be a number"),
    ({"kelvin": True}, "kelvin must be a number"),
    ({"kelvin": None}, "kelvin must be a number"),
    ({"read_at": "yesterday"}, "read_at must be an ISO 8601 date and time"),
    ({"read_at": None}, "read_at must be an ISO 8601 date and time"),
    ({"read_at": "2025-11-23T15:31:59"}, "read_at must include a time zone (UTC offset)"),
    ({"id": "not-hex"}, "id must be 32 hexadecimal characters (a UUID4 hex)"),
    ({"id": uuid.uuid4().hex[:31]}, "id must be 32 hexadecimal characters (a UUID4 hex)"),
    ({"id": None}, "id must be 32 hexadecimal characters (a UUID4 hex)"),
]


@pytest.mark.parametrize(("change", "reason"), BAD_READINGS, ids=lambda v: repr(v)[:40])
def test_each_bad_field_is_refused_with_its_reason_and_good_readings_are_kept(
    api, raw_key, hidalgo, change, reason
):
    good = reading(kelvin=2.0)
    bad = {**reading(), **change}
    response = send(api, raw_key, [good, bad])
    assert response.status_code == 207
    body = response.json()
    assert body["stored"] == 1
    assert body["duplicates"] == 0
    [error] = body["errors"]
    assert error["index"] == 1
    assert error["id"] == (bad["id"] if isinstance(bad["id"], str) else None)
    assert any(reason in text for text in error["reasons"]), error["reasons"]
    assert all(len(text) < 120 for text in error["reasons"])  # no echo of huge values
    assert list(TemperatureReading.objects.values_list("reading_id", flat=True)) == [good["id"]]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_kelvin_is_refused(api, raw_key, hidalgo, literal):
    text = json.dumps({"readings": [reading(kelvin=123456.0)]}).replace("123456.0", literal)
    response = send(api, raw_key, body=text)
    assert response.status_code == 400
    assert response.json()["errors"][0]["reasons"] == ["kelvin must be a finite number"]
    assert not TemperatureReading.objects.exists()


def test_time_skew_within_the_allowance_is_accepted_and_beyond_it_refused(
    api, raw_key, hidalgo, settings
):
    settings.GATEWAY_MAX_CLOCK_SKEW_SECONDS = 120
    now = timezone.now()
    slightly = reading(read_at=iso(now + timedelta(seconds=60)))
    far = reading(read_at=iso(now + timedelta(minutes=10)))
    response = send(api, raw_key, [slightly, far])
    assert response.status_code == 207
    [error] = response.json()["errors"]
    assert error["id"] == far["id"]
    assert "in the future; check the gateway's clock" in error["reasons"][0]


def test_readings_older_than_the_retention_are_refused(api, raw_key, hidalgo, settings):
    settings.TEMPERATURE_RETENTION_DAYS = 30
    old = reading(read_at=iso(timezone.now() - timedelta(days=31)))
    response = send(api, raw_key, [old])
    assert response.status_code == 400
    assert response.json()["errors"][0]["reasons"] == ["read_at is older than the 30-day retention"]


def test_a_reading_with_several_problems_lists_them_all(api, raw_key, hidalgo):
    response = send(api, raw_key, [{"machine": "Nowhere", "kelvin": -1, "read_at": "", "id": ""}])
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert len(error["reasons"]) == 4
    assert error == {"index": 0, "id": "", "reasons": error["reasons"]}


def test_when_every_reading_is_bad_the_answer_is_400_with_errors(api, raw_key, hidalgo):
    response = send(api, raw_key, [reading("Nowhere"), "not an object"])
    assert response.status_code == 400
    body = response.json()
    assert body["stored"] == 0
    assert [e["index"] for e in body["errors"]] == [0, 1]
    assert body["errors"][1]["reasons"] == ["a reading must be a JSON object"]
    hidalgo.refresh_from_db()
    assert hidalgo.current_temperature is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "UTF-8"),
        ("[]", "must be a JSON object"),
        ('{"readings": {}}', '"readings" must be a list'),
        ('{"unreachable": []}', '"readings" must be a list'),
        ('{"readings": [], "unreachable": [1]}', '"unreachable" must be a list of machine names'),
        ('{"readings": [], "unreachable": "Hidalgo"}', '"unreachable" must be a list'),
    ],
)
def test_a_malformed_body_gets_400_and_nothing_is_stored(api, raw_key, hidalgo, body, message):
    response = send(api, raw_key, body=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert "errors" not in response.json()  # so the gateway keeps its readings
    assert not TemperatureReading.objects.exists()
    assert GatewayKey.objects.get().last_used_at is not None  # still heard from


def test_an_oversized_body_gets_413_before_it_is_read(api, raw_key, hidalgo, settings):
    settings.GATEWAY_MAX_BODY_BYTES = 2000
    readings = [reading() for _ in range(30)]
    response = send(api, raw_key, readings)
    assert response.status_code == 413
    assert not TemperatureReading.objects.exists()
    assert send(api, raw_key, readings[:5]).status_code == 200


def test_a_body_longer_than_it_declares_is_still_cut_off(rf, raw_key, settings):
    from calendarEditor.views import gateway_api

    settings.GATEWAY_MAX_BODY_BYTES = 100
    request = rf.post(URL, data=b"x" * 500, content_type="application/json")
    request.META["CONTENT_LENGTH"] = "10"
    request.META["HTTP_X_GATEWAY_KEY"] = raw_key
    assert gateway_api.readings(request).status_code == 413


def test_too_many_readings_in_one_request_gets_413(api, raw_key, hidalgo, settings):
    settings.GATEWAY_MAX_READINGS_PER_REQUEST = 3
    response = send(api, raw_key, [reading() for _ in range(4)])
    assert response.status_code == 413
    assert "At most 3 readings" in response.json()["error"]
    assert not TemperatureReading.objects.exists()


def test_too_many_requests_per_key_get_429_with_retry_after(api, raw_key, sam, hidalgo, settings):
    settings.GATEWAY_RATE_LIMIT_PER_MINUTE = 2
    other_key = gateway_keys.create_key("Optics lab PC", by=sam)[1]
    with time_machine.travel(datetime(2026, 3, 2, 10, 15, 20, tzinfo=UTC), tick=False):
        assert send(api, raw_key, [reading(read_at="2026-03-02T10:15:00+00:00")]).status_code == 200
        assert send(api, raw_key, []).status_code == 200
        refused = send(api, raw_key, [reading(read_at="2026-03-02T10:15:10+00:00")])
        assert refused.status_code == 429
        assert refused["Retry-After"] == "40"
        assert TemperatureReading.objects.count() == 1
        assert send(api, other_key, []).status_code == 200  # each key has its own budget
    with time_machine.travel(datetime(2026, 3, 2, 10, 16, 1, tzinfo=UTC), tick=False):
        assert send(api, raw_key, []).status_code == 200


def test_replaying_a_batch_stores_nothing_twice(api, raw_key, hidalgo, griffin):
    batch = [reading(), reading("Griffin", 4.2)]
    assert send(api, raw_key, batch).json() == {"stored": 2, "duplicates": 0, "errors": []}
    again = send(api, raw_key, [*batch, reading(kelvin=1.7)])
    assert again.status_code == 200
    assert again.json() == {"stored": 1, "duplicates": 2, "errors": []}
    assert TemperatureReading.objects.count() == 3


def test_the_same_reading_twice_in_one_batch_is_one_duplicate(api, raw_key, hidalgo):
    one = reading()
    response = send(api, raw_key, [one, one])
    assert response.json() == {"stored": 1, "duplicates": 1, "errors": []}
    assert TemperatureReading.objects.count() == 1


def test_reading_ids_are_compared_case_insensitively(api, raw_key, hidalgo):
    one = reading()
    send(api, raw_key, [one])
    response = send(api, raw_key, [{**one, "id": one["id"].upper()}])
    assert response.json()["duplicates"] == 1


def test_unreachable_names_are_capped(api, raw_key):
    response = send(api, raw_key, [], unreachable=["x" * 500])
    assert response.status_code == 200
    assert GatewayKey.objects.get().last_unreachable == ["x" * 100]
    assert send(api, raw_key, [], unreachable=["m"] * 201).status_code == 400


@pytest.mark.parametrize(("count", "most"), [(10, 9), (500, 12)])
def test_the_endpoint_costs_a_bounded_number_of_queries(
    api, raw_key, make_machine, django_assert_max_num_queries, count, most
):
    names = [make_machine(f"Fridge {i}").name for i in range(5)]
    now = timezone.now()
    readings = [
        reading(names[i % 5], 1 + i / 1000, iso(now - timedelta(seconds=count - i)))
        for i in range(count)
    ]
    # The key, two machine lookups, the seen ids, the insert (batched by SQLite's
    # 999-parameter limit: 4 batches for 500, one on PostgreSQL), one UPDATE for all
    # machines, the key's UPDATE, and the savepoint pair.
    with django_assert_max_num_queries(most):
        response = send(api, raw_key, readings)
    assert response.json()["stored"] == count
    latest = Machine.objects.get(name=names[(count - 1) % 5])
    assert latest.current_temperature == pytest.approx(1 + (count - 1) / 1000)


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_store_each_reading_once_and_count_the_rest(sam, make_machine):
    require_postgres()
    hidalgo, griffin = make_machine("Hidalgo"), make_machine("Griffin")
    key, _ = gateway_keys.create_key("PPMS room PC", by=sam)
    now = timezone.now()
    batch = [
        reading(name, 1 + i / 100, iso(now - timedelta(seconds=200 - i)))
        for i, name in enumerate(["Hidalgo", "Griffin"] * 50)
    ]
    results, errors = [], []
    start_together = threading.Barrier(8)

    def replay() -> None:
        try:
            start_together.wait()
            results.append(gateway.ingest(key, {"readings": batch}))
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(r.stored for r in results) == 100
    assert sum(r.duplicates for r in results) == 7 * 100
    assert TemperatureReading.objects.count() == 100
    hidalgo.refresh_from_db()
    griffin.refresh_from_db()
    assert hidalgo.current_temperature == pytest.approx(1.98)
    assert griffin.current_temperature == pytest.approx(1.99)


def test_a_cache_outage_never_loses_readings(api, raw_key, hidalgo, monkeypatch):
    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("calendarEditor.views.gateway_api.cache.add", redis_down)
    response = send(api, raw_key, [reading()])
    assert response.status_code == 200
    assert TemperatureReading.objects.count() == 1
