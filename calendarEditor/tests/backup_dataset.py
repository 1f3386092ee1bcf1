"""A small site with rows in every model a backup holds, for the round-trip tests.

Rows are made directly (not through the services) so the set is the same on
every run and touches awkward corners on purpose: a gap in the user ids (a
deleted account), group and user permissions (referenced by natural key),
non-ASCII text, nested JSON, nulls, uploaded files with every byte value.

A model added to the project without a row here makes the round-trip tests
fail with its name: add one to ``build`` so backups are proven to carry it.
"""

from datetime import time, timedelta
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db.models import Model
from django.utils import timezone

from calendarEditor import models as m
from calendarEditor.models.archive import ArchivedMeasurement, ArchiveFile
from calendarEditor.models.issues import EquipmentIssue, IssueComment
from calendarEditor.models.presets import PresetEdit, PresetFollow, QueuePreset
from calendarEditor.services.backups import snapshot
from conftest import MACHINE_DEFAULTS

EVERY_BYTE = bytes(range(256)) * 4
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1))


def build() -> dict[str, Any]:
    """Create the dataset; returns the objects tests refer to by name."""
    now = timezone.now().replace(microsecond=123456)
    people = _people()
    machines = _machines(now)
    entries = _entries(people, machines, now)
    _notifications(people, entries, machines, now)
    _readings(people, machines, now)
    _records(people, entries, machines, now)
    _presets(people, now)
    _policy(people, entries, machines, now)
    LogEntry.objects.create(
        user=people["root"],
        content_type=ContentType.objects.get_for_model(m.Machine),
        object_id=str(machines["hidalgo"].pk),
        object_repr="Hidalgo",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Location"]}}]',
    )
    return {**people, **machines, **entries}


def missing_models() -> list[str]:
    """Backed-up models that hold no row: the dataset does not cover them yet."""
    return sorted(name for name, count in snapshot.row_counts().items() if count == 0)


def _people() -> dict[str, User]:
    ghost = User.objects.create_user("ghost", "ghost@lab.example", "x")
    people = {
        "root": User.objects.create_superuser("root", "root@lab.example", "s3cret-root-pw"),
        "sam": User.objects.create_user("sam", "sam@lab.example", "pw", is_staff=True),
        "alice": User.objects.create_user(
            "alice", "alice@lab.example", "pw", first_name="Alíce", last_name="Ørsted"
        ),
        "bob": User.objects.create_user("bob", "bob@lab.example", "pw"),
        "charlie": User.objects.create_user("charlie", "", "pw"),
    }
    ghost.delete()  # a gap in the ids, and in the profiles' ids
    trainers = Group.objects.create(name="Cryo trainers")
    trainers.permissions.add(Permission.objects.get(codename="change_machine"))
    people["alice"].groups.add(trainers)
    people["sam"].user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    for name in ("alice", "bob", "sam"):
        profile = people[name].profile
        profile.approval_status = "approved"
        profile.approved_by = people["root"]
        profile.approved_at = timezone.now()
        profile.department = "Physics — condensed matter"
        profile.save()
    people["alice"].profile.slack_member_id = "U0ALICE"
    people["alice"].profile.save()
    return people


def _machines(now: Any) -> dict[str, m.Machine]:
    hidalgo = m.Machine.objects.create(
        name="Hidalgo", **{**MACHINE_DEFAULTS, "capabilities": ["temperature_dependent"]}
    )
    griffin = m.Machine.objects.create(
        name="Griffin",
        **{**MACHINE_DEFAULTS, "optical_access": True, "min_temp": 1.8},
        current_temperature=1.8000000000000003,
        temperature_updated_at=now,
        status="running",
        accepts_entries=False,
    )
    return {"hidalgo": hidalgo, "griffin": griffin}


def _entries(people: dict, machines: dict, now: Any) -> dict[str, m.QueueEntry]:
    common = {"estimated_hours": 12.5, "member_name": "alice"}
    running = m.QueueEntry.objects.create(
        member=people["alice"],
        machine=machines["griffin"],
        machine_name="Griffin",
        title="Optical run",
        status="running",
        started_at=now,
        **common,
    )
    queued = m.QueueEntry.objects.create(
        member=people["bob"],
        member_name="bob",
        machine=machines["hidalgo"],
        machine_name="Hidalgo",
        title="Hall bar ✓",
        position=1,
        estimated_hours=3,
        required_capabilities=["temperature_dependent"],
        required_field_z=4.5,
        rush_status="pending",
        rush_justification="Deadline\non Friday",
    )
    done = m.QueueEntry.objects.create(
        member=None,
        machine=None,
        machine_name="Retired fridge",
        title="Old run",
        status="completed",
        started_at=now - timedelta(days=3),
        completed_at=now - timedelta(days=2),
        **{**common, "member_name": "deleted"},
    )
    m.AuditEvent.objects.create(
        actor=people["sam"],
        actor_name="sam",
        action="queue.moved",
        machine=machines["hidalgo"],
        machine_name="Hidalgo",
        entry=queued,
        subject_user=people["bob"],
        summary="Moved to #1",
        details={"from": 2, "to": 1, "nested": {"ok": [1, None]}},
    )
    return {"running": running, "queued": queued, "done": done}


def _notifications(people: dict, entries: dict, machines: dict, now: Any) -> None:
    notice = m.Notification.objects.create(
        recipient=people["bob"],
        kind="queue_on_deck",
        group="queue",
        title="You are ON DECK",
        message="Hidalgo is yours next.",
        link="/schedule/entries/2/",
        entry=entries["queued"],
        machine=machines["hidalgo"],
        actor=people["sam"],
        dedupe_key="top:e2",
    )
    m.Delivery.objects.create(
        notification=notice,
        recipient=people["bob"],
        channel="slack",
        state="failed",
        attempts=2,
        last_error="ratelimited",
        next_attempt_at=now + timedelta(minutes=5),
    )
    m.NotificationPreference.objects.create(user=people["bob"], kind="queue_added", email=True)
    m.OneTimeLoginToken.objects.create(
        token_hash="a" * 64,
        user=people["bob"],
        target_path="/schedule/my/",
        expires_at=now + timedelta(hours=24),
    )


def _readings(people: dict, machines: dict, now: Any) -> None:
    key = m.GatewayKey.objects.create(
        name="B112 PC",
        key_prefix="abcd1234",
        key_hash="b" * 64,
        created_by=people["sam"],
        last_unreachable=["Griffin"],
    )
    for minutes in range(3):
        m.TemperatureReading.objects.create(
            machine=machines["griffin"],
            read_at=now - timedelta(minutes=minutes),
            kelvin=1.8 + minutes / 10,
            reading_id=f"{minutes:032x}",
            gateway=key,
        )


def _records(people: dict, entries: dict, machines: dict, now: Any) -> None:
    record = ArchivedMeasurement.objects.create(
        entry=entries["done"],
        machine=None,
        machine_name="Retired fridge",
        member=people["alice"],
        member_name="alice",
        title="Old run",
        notes="R(T) looks clean.",
        measurement_start=now - timedelta(days=3),
        measurement_end=now - timedelta(days=2),
        actual_hours=24,
        requirements_snapshot={"min_temp": 0.3, "preset": "Hall"},
        created_by=people["alice"],
        created_by_name="alice",
    )
    upload = ArchiveFile(
        archive=record,
        original_name="sweep.dat",
        size=len(EVERY_BYTE),
        content_type="application/octet-stream",
        sha256="c" * 64,
        uploaded_by=people["alice"],
    )
    upload.file.save("sweep.dat", ContentFile(EVERY_BYTE), save=True)
    issue = EquipmentIssue(
        machine=machines["griffin"],
        machine_name="Griffin",
        reporter=people["bob"],
        reporter_name="bob",
        severity="degraded",
        description="Window fogs at 2 K",
        photo_name="fog.png",
        photo_content_type="image/png",
    )
    issue.photo.save("fog.png", ContentFile(PHOTO), save=True)
    IssueComment.objects.create(
        issue=issue, author=people["sam"], author_name="sam", author_is_staff=True, body="On it."
    )


def _presets(people: dict, now: Any) -> None:
    preset = QueuePreset.objects.create(
        name="Hall at 2 K",
        visibility="public",
        creator=people["alice"],
        creator_name="alice",
        required_min_temp=2,
        estimated_hours=6,
        title_template="Hall bar",
    )
    PresetEdit.objects.create(
        preset=preset, editor=people["alice"], editor_name="alice", changes={"name": ["a", "b"]}
    )
    PresetFollow.objects.create(user=people["bob"], preset=preset)


def _policy(people: dict, entries: dict, machines: dict, now: Any) -> None:
    """Training, extensions, feeds, API tokens and queue schedules."""
    m.Qualification.objects.create(
        member=people["alice"], machine=machines["hidalgo"], trained_by=people["sam"]
    )
    m.TrainingRequest.objects.create(
        member=people["bob"], machine=machines["griffin"], message="Need optics"
    )
    m.ExtensionRequest.objects.create(
        entry=entries["running"], requested_by=people["alice"], hours=4, reason="Sweep slow"
    )
    m.CalendarFeedToken.objects.create(member=people["bob"], token_hash="d" * 64)
    m.ApiToken.objects.create(
        user=people["alice"],
        name="laptop",
        prefix="lq_abcdefg",
        token_hash="e" * 64,
        last_used_at=now,
    )
    schedule = m.QueueSchedule.objects.create(machine=machines["griffin"])
    m.OpeningHours.objects.create(
        schedule=schedule, weekday=0, opens_at=time(8, 0), closes_at=time(18, 0)
    )
    m.ClosedWindow.objects.create(
        schedule=schedule,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=3),
        reason="Helium refill",
        created_by=people["sam"],
    )
    m.JobState.objects.create(name="daily_summary", last_started_at=now, last_ok=True)


def rows_by_model() -> dict[str, dict[Any, dict[str, Any]]]:
    """Every backed-up row as plain data, foreign keys to users etc. by natural key."""
    from django.core import serializers

    result: dict[str, dict[Any, dict[str, Any]]] = {}
    for model in snapshot.backed_up_models():
        objects: list[Model] = list(model._base_manager.order_by("pk"))
        data = serializers.serialize("python", objects, use_natural_foreign_keys=True)
        result[snapshot.label(model)] = {row["pk"]: row["fields"] for row in data}
    return result
