"""Set-up commands: the default machines, the demo lab manager, the deploy superuser."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from calendarEditor.models import AuditEvent, Machine
from calendarEditor.services import matching
from calendarEditor.services.schedule import spec_for

INITIAL_DATA = Path(django_settings.BASE_DIR) / "initial_data.json"
STRONG_PASSWORD = "fridge-queue-Correct-7741"

# name: (min K, max K, Bx, By, Bz, direction, DC, RF, daughterboards, optical, cooldown h, warmup h)
ISSUE_SPECS = {
    "Hidalgo": (0.01, 300, 1, 1, 6, "both", 48, 32, ["QBoard II", "DIP"], False, 12, 3),
    "Griffin": (0.01, 300, 0, 0, 12, "both", 48, 32, ["QBoard I", "QBoard II", "DIP"], True, 12, 3),
    "Kiutra": (0.1, 220, 0, 0, 5, "both", 48, 6, ["QBoard II", "DIP"], False, 5, 1),
    "Opticool": (2, 350, 0, 0, 7, "perpendicular", 16, 6, ["QBoard I"], True, 18, 12),
    "CryoCore": (4, 350, 0, 0, 0, "none", 12, 2, ["Montana Puck"], True, 4, 4),
}
SPEC_FIELDS = (
    "min_temp",
    "max_temp",
    "max_field_x",
    "max_field_y",
    "max_field_z",
    "field_direction",
    "dc_lines",
    "rf_lines",
    "daughterboards",
    "optical_access",
    "cooldown_hours",
    "warmup_hours",
)


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_initial_data", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, entries: Any) -> Path:
    path = tmp_path / "machines.json"
    path.write_text(json.dumps(entries))
    return path


def machine_entry(name: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "min_temp": 1.5, "max_temp": 300, **overrides}


# --- load_initial_data ------------------------------------------------------------


@pytest.mark.django_db
def test_first_run_creates_the_five_machines_of_the_issue() -> None:
    output = load()

    assert "created: 5 (Hidalgo, Griffin, Kiutra, Opticool, CryoCore)" in output
    for machine in Machine.objects.all():
        assert tuple(getattr(machine, f) for f in SPEC_FIELDS) == ISSUE_SPECS[machine.name]
        assert machine.location
        assert len(machine.description) > 40
        assert machine.is_available
    assert AuditEvent.objects.filter(action="machine.created", actor=None).count() == 5


@pytest.mark.django_db
def test_capabilities_are_data_that_matching_uses() -> None:
    load()
    specs = [spec_for(m) for m in Machine.objects.all()]

    sweep = matching.match(matching.Requirements(capabilities={"temperature_dependent"}), specs)
    optical_at_50_mk = matching.match(matching.Requirements(min_temp=0.05, optical=True), specs)

    assert sorted(s.name for s in sweep.compatible) == ["Griffin", "Hidalgo", "Kiutra"]
    assert [s.name for s in optical_at_50_mk.compatible] == ["Griffin"]
    assert "missing capability: temperature_dependent" in sweep.reasons["Opticool"]


def test_the_file_holds_no_accounts() -> None:
    entries = json.loads(INITIAL_DATA.read_text())

    assert [entry["name"] for entry in entries] == list(ISSUE_SPECS)
    text = INITIAL_DATA.read_text().lower()
    for word in ("password", "username", "email", "user"):
        assert word not in text


@pytest.mark.django_db
def test_second_run_creates_nothing_and_keeps_staff_edits() -> None:
    load()
    Machine.objects.filter(name="Hidalgo").update(cooldown_hours=20, description="Edited")

    output = load()

    assert "created: 0" in output
    assert "already present, left as they are (--update overwrites): 5" in output
    assert Machine.objects.count() == 5
    hidalgo = Machine.objects.get(name="Hidalgo")
    assert (hidalgo.cooldown_hours, hidalgo.description) == (20, "Edited")


@pytest.mark.django_db
def test_update_overwrites_changed_specs_only() -> None:
    load()
    Machine.objects.filter(name="Hidalgo").update(cooldown_hours=20)

    output = load("--update")

    assert "updated: 1 (Hidalgo (cooldown_hours))" in output
    assert "unchanged: 4" in output
    assert Machine.objects.get(name="Hidalgo").cooldown_hours == 12
    event = AuditEvent.objects.get(action="machine.edited")
    assert event.summary == "Hidalgo updated from initial_data.json: cooldown_hours"


@pytest.mark.django_db
def test_update_with_a_partial_entry_keeps_the_other_fields(
    tmp_path: Path, hidalgo: Machine
) -> None:
    path = write(tmp_path, [{"name": "Hidalgo", "location": "Room B120"}])

    load("--file", str(path), "--update")

    hidalgo.refresh_from_db()
    assert hidalgo.location == "Room B120"
    assert (hidalgo.max_field_z, hidalgo.cooldown_hours) == (6, 12)


@pytest.mark.django_db
def test_bad_entry_is_named_and_nothing_is_saved(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            machine_entry("Good"),
            machine_entry("Backwards", min_temp=5, max_temp=2),
            machine_entry("Spaces", capabilities=["Temperature Dependent"]),
        ],
    )

    with pytest.raises(CommandError) as caught:
        load("--file", str(path))

    message = str(caught.value)
    assert "nothing was saved" in message
    assert "entry 2 (Backwards): max_temp: The maximum" in message
    assert "entry 3 (Spaces): capabilities: Use lowercase letters" in message
    assert not Machine.objects.exists()


@pytest.mark.django_db
def test_bad_update_leaves_existing_machines_alone(tmp_path: Path, hidalgo: Machine) -> None:
    path = write(
        tmp_path, [{"name": "Hidalgo", "dc_lines": 24}, machine_entry("Broken", dc_lines=-1)]
    )

    with pytest.raises(CommandError, match=r"entry 2 \(Broken\): dc_lines"):
        load("--file", str(path), "--update")

    hidalgo.refresh_from_db()
    assert hidalgo.dc_lines == 48
    assert not Machine.objects.filter(name="Broken").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not valid JSON"),
        ('{"name": "Hidalgo"}', "must hold a JSON list of machines"),
        (
            '[{"name": "A", "min_temp": 1, "max_temp": 2, "colour": "red"}]',
            "unknown field(s) colour",
        ),
        (
            '[{"name": "A", "min_temp": 1, "max_temp": 2, "daughterboards": "DIP"}]',
            "daughterboards must be a list",
        ),
        ('[{"min_temp": 1, "max_temp": 2}]', "entry 1 (no name): name: This field is required."),
        (json.dumps([machine_entry("A"), machine_entry("A", max_temp=9)]), "more than once: A"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "machines.json"
    path.write_text(content)

    with pytest.raises(CommandError) as caught:
        load("--file", str(path))

    assert expected in str(caught.value)
    assert not Machine.objects.exists()


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read .*absent\.json: No such file"):
        load("--file", str(tmp_path / "absent.json"))


# --- ensure_demo_admin ------------------------------------------------------------


def demo_admin(settings: Any, *, debug: bool) -> str:
    settings.DEBUG = debug
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_admin_is_created_and_its_password_printed(settings: Any, client: Any) -> None:
    output = demo_admin(settings, debug=True)

    password = output.split("password: ")[1].split()[0]
    assert "username: labmanager" in output
    assert len(password) >= 16
    user = get_user_model().objects.get(username="labmanager")
    assert user.is_staff
    assert user.is_superuser
    assert user.profile.is_approved
    assert user.check_password(password)
    assert client.login(username="labmanager", password=password)


@pytest.mark.django_db
def test_no_demo_admin_with_debug_off(settings: Any) -> None:
    output = demo_admin(settings, debug=False)

    assert "not created: DEBUG is off" in output
    assert "password" not in output
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_no_demo_admin_when_staff_exists(settings: Any, sam: Any, alice: Any) -> None:
    output = demo_admin(settings, debug=True)

    assert "a staff account already exists (sam)" in output
    assert "password:" not in output
    assert not get_user_model().objects.filter(username="labmanager").exists()


@pytest.mark.django_db
def test_no_demo_admin_over_a_member_of_that_name(settings: Any, django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="labmanager", password="x")

    output = demo_admin(settings, debug=True)

    assert "a member named 'labmanager' exists" in output
    assert not django_user_model.objects.get(username="labmanager").is_staff


# --- ensure_superuser -------------------------------------------------------------


def ensure_superuser(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name in ("USERNAME", "EMAIL", "PASSWORD"):
        monkeypatch.delenv(f"DJANGO_SUPERUSER_{name}", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(f"DJANGO_SUPERUSER_{name.upper()}", value)
    out = StringIO()
    call_command("ensure_superuser", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_superuser_is_created_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    output = ensure_superuser(
        monkeypatch, username="boss", email="boss@lab.example", password=STRONG_PASSWORD
    )

    assert "created boss" in output
    user = get_user_model().objects.get(username="boss")
    assert user.is_superuser
    assert user.is_staff
    assert user.profile.is_approved
    assert user.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_superuser_is_not_replaced_on_the_next_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_superuser(
        monkeypatch, username="boss", email="boss@lab.example", password=STRONG_PASSWORD
    )

    output = ensure_superuser(
        monkeypatch, username="other", email="other@lab.example", password=STRONG_PASSWORD + "x"
    )

    assert "boss exists; nothing to do" in output
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["boss"]
    assert get_user_model().objects.get(username="boss").check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_superuser_needs_all_three_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    output = ensure_superuser(monkeypatch, username="boss")

    assert "DJANGO_SUPERUSER_EMAIL, DJANGO_SUPERUSER_PASSWORD not set" in output
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"username": "boss", "email": "not-an-email", "password": STRONG_PASSWORD},
            "is not an email",
        ),
        ({"username": "boss", "email": "boss@lab.example", "password": "password"}, "too weak"),
        (
            {"username": "bad name!", "email": "boss@lab.example", "password": STRONG_PASSWORD},
            "valid username",
        ),
    ],
)
def test_bad_superuser_variables_are_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    with pytest.raises(CommandError, match=expected):
        ensure_superuser(monkeypatch, **variables)

    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_superuser_name_taken_by_a_member_is_refused(
    monkeypatch: pytest.MonkeyPatch, alice: Any
) -> None:
    with pytest.raises(CommandError, match="'alice' exists but is not a superuser"):
        ensure_superuser(
            monkeypatch, username="alice", email="a@lab.example", password=STRONG_PASSWORD
        )

    alice.refresh_from_db()
    assert not alice.is_superuser
