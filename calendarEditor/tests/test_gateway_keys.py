"""Gateway keys: created by staff and shown once, stored hashed, revocable, listed with contact."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import AuditEvent, GatewayKey
from calendarEditor.services import gateway, gateway_keys

pytestmark = pytest.mark.django_db

PAGE = reverse("schedule-staff-gateways")


def revoke_url(key):
    return reverse("schedule-staff-gateway-revoke", args=[key.pk])


def flashed(response):
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return texts


# --- The service ------------------------------------------------------------


def test_a_new_key_is_random_shown_once_and_stored_only_as_its_hash(sam):
    key, raw = gateway_keys.create_key("  PPMS   room PC ", by=sam)
    assert raw.startswith("gw_")
    assert len(raw) == 3 + 43  # 32 random bytes, URL-safe base64
    assert key.name == "PPMS room PC"
    assert key.key_prefix == raw[:8]
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = GatewayKey.objects.values().get()
    assert raw not in [str(value) for value in stored.values()]
    event = AuditEvent.objects.get(action="gateway.key_created")
    assert event.actor == sam
    assert event.summary == f"Gateway key PPMS room PC created ({raw[:8]}…)"
    assert raw not in str(event.details) + event.summary
    assert gateway_keys.create_key("Optics PC", by=sam)[1] != raw


def test_authenticate_finds_only_the_active_matching_key(sam):
    key, raw = gateway_keys.create_key("PPMS room PC", by=sam)
    assert gateway.authenticate(raw) == key
    assert gateway.authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert gateway.authenticate(None) is None
    assert gateway.authenticate("") is None
    assert gateway.authenticate(raw + "x" * 200) is None
    gateway_keys.revoke_key(key, by=sam)
    assert gateway.authenticate(raw) is None


def test_keys_that_share_a_prefix_are_told_apart_by_their_hash(sam, monkeypatch):
    raws = iter(["gw_SAMEPREFIX-one", "gw_SAMEPREFIX-two"])
    monkeypatch.setattr(gateway_keys, "new_raw_key", lambda: next(raws))
    first, first_raw = gateway_keys.create_key("One", by=sam)
    second, second_raw = gateway_keys.create_key("Two", by=sam)
    assert first.key_prefix == second.key_prefix
    assert gateway.authenticate(first_raw) == first
    assert gateway.authenticate(second_raw) == second


def test_only_staff_create_and_revoke_keys(alice, sam):
    with pytest.raises(PermissionDenied):
        gateway_keys.create_key("Sneaky", by=alice)
    key, _ = gateway_keys.create_key("PPMS room PC", by=sam)
    with pytest.raises(PermissionDenied):
        gateway_keys.revoke_key(key, by=alice)
    assert GatewayKey.objects.get().is_active


def test_names_are_required_and_unique_among_active_keys(sam):
    with pytest.raises(gateway_keys.GatewayKeyError, match="Give the gateway a name"):
        gateway_keys.create_key("   ", by=sam)
    with pytest.raises(gateway_keys.GatewayKeyError, match="at most 100"):
        gateway_keys.create_key("x" * 101, by=sam)
    key, _ = gateway_keys.create_key("PPMS room PC", by=sam)
    with pytest.raises(gateway_keys.GatewayKeyError, match="exists already"):
        gateway_keys.create_key("PPMS room PC", by=sam)
    gateway_keys.revoke_key(key, by=sam)
    replacement, _ = gateway_keys.create_key("PPMS room PC", by=sam)
    assert replacement.is_active
    assert GatewayKey.objects.count() == 2


def test_revoking_is_recorded_once(sam):
    key, _ = gateway_keys.create_key("PPMS room PC", by=sam)
    gateway_keys.revoke_key(key, by=sam, reason="PC replaced")
    with pytest.raises(gateway_keys.GatewayKeyError, match="already revoked"):
        gateway_keys.revoke_key(GatewayKey.objects.get(), by=sam)
    event = AuditEvent.objects.get(action="gateway.key_revoked")
    assert event.reason == "PC replaced"
    assert AuditEvent.objects.filter(action="gateway.key_revoked").count() == 1


def test_silent_gateways_are_flagged(sam, settings):
    settings.GATEWAY_SILENT_MINUTES = 30
    now = timezone.now()
    gateway_keys.create_key("Never", by=sam)
    recent, _ = gateway_keys.create_key("Recent", by=sam)
    quiet, _ = gateway_keys.create_key("Quiet", by=sam)
    gone, _ = gateway_keys.create_key("Gone", by=sam)
    GatewayKey.objects.filter(pk=recent.pk).update(last_used_at=now - timedelta(minutes=29))
    GatewayKey.objects.filter(pk=quiet.pk).update(last_used_at=now - timedelta(minutes=31))
    gateway_keys.revoke_key(gone, by=sam)
    statuses = gateway_keys.gateway_statuses(now)
    assert [(s.key.name, s.is_silent) for s in statuses] == [
        ("Never", True),
        ("Quiet", True),
        ("Recent", False),
        ("Gone", False),  # revoked keys are listed last and never "silent"
    ]
    assert gateway_keys.silent_gateway_count(now) == 2


# --- The staff page ---------------------------------------------------------


def test_only_staff_see_the_page(client, alice, charlie):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))
    client.force_login(alice)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "Sneaky"}).status_code == 403
    client.force_login(charlie)
    assert client.get(PAGE).status_code in (302, 403)
    assert not GatewayKey.objects.exists()


def test_the_page_lists_keys_with_last_contact_and_flags_silent_ones(client, sam):
    quiet, _ = gateway_keys.create_key("Quiet PC", by=sam)
    alive, _ = gateway_keys.create_key("Busy PC", by=sam)
    GatewayKey.objects.filter(pk=alive.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=3), last_unreachable=["<b>CryoCore</b>"]
    )
    client.force_login(sam)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<code>{quiet.key_prefix}…</code>" in page
    assert '<span class="badge closed">silent</span>' in page
    assert "never" in page
    assert "3\xa0minutes ago" in page
    assert "&lt;b&gt;CryoCore&lt;/b&gt;" in page  # the gateway's text is escaped
    assert [s.is_silent for s in response.context["statuses"]] == [False, True]


def test_creating_a_key_shows_it_once(client, sam):
    client.force_login(sam)
    response = client.post(PAGE, {"name": "PPMS room PC"})
    assert response.status_code == 200
    raw = response.context["raw_key"]
    assert raw.startswith("gw_")
    assert raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert gateway.authenticate(raw) == GatewayKey.objects.get()
    later = client.get(PAGE)
    assert raw not in later.content.decode()
    assert GatewayKey.objects.get().key_prefix in later.content.decode()


@pytest.mark.parametrize(("name", "message"), [("", "required"), ("x" * 101, "at most 100")])
def test_a_bad_name_creates_nothing(client, sam, name, message):
    client.force_login(sam)
    response = client.post(PAGE, {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "raw_key" not in response.context
    assert not GatewayKey.objects.exists()


def test_a_taken_name_creates_nothing(client, sam):
    gateway_keys.create_key("PPMS room PC", by=sam)
    client.force_login(sam)
    response = client.post(PAGE, {"name": "PPMS room PC"})
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert GatewayKey.objects.count() == 1


def test_revoking_from_the_page(client, sam, alice):
    key, raw = gateway_keys.create_key("PPMS room PC", by=sam)
    client.force_login(alice)
    assert client.post(revoke_url(key)).status_code == 403
    assert gateway.authenticate(raw) == key
    client.force_login(sam)
    assert client.get(revoke_url(key)).status_code == 405
    response = client.post(revoke_url(key), {"reason": "PC stolen"})
    assert response.status_code == 302
    assert response.url == PAGE
    assert flashed(response) == ["Key PPMS room PC revoked: requests with it are refused now."]
    assert gateway.authenticate(raw) is None
    assert AuditEvent.objects.get(action="gateway.key_revoked").reason == "PC stolen"
    again = client.post(revoke_url(key))
    assert flashed(again) == ["The key PPMS room PC is already revoked."]
    assert client.post(reverse("schedule-staff-gateway-revoke", args=[9999])).status_code == 404


def test_a_bad_revoke_form_changes_nothing(client, sam):
    key, raw = gateway_keys.create_key("PPMS room PC", by=sam)
    client.force_login(sam)
    response = client.post(revoke_url(key), {"reason": "x" * 501})
    assert response.status_code == 302
    assert "too long" in flashed(response)[0]
    assert gateway.authenticate(raw) == key


@pytest.mark.parametrize("count", [10, 60])
def test_the_page_costs_the_same_queries_with_few_or_many_keys(
    client, sam, django_assert_num_queries, count
):
    for i in range(count):
        key, _ = gateway_keys.create_key(f"PC {i}", by=sam)
        if i % 3 == 0:
            gateway_keys.revoke_key(key, by=sam)
    client.force_login(sam)
    # The session, the user, the keys with their creators, and the bell's unread count.
    with django_assert_num_queries(4):
        assert client.get(PAGE).status_code == 200
