"""manage.py backup and manage.py restore: where files go, and what the operator is told."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from calendarEditor.models import Machine
from calendarEditor.services import backups

# A backup takes a snapshot transaction of its own, which cannot nest in a test's.
pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BACKUP_DIR = ""


def test_backup_needs_to_be_told_where_to_write():
    with pytest.raises(CommandError, match="--output PATH, or set BACKUP_DIR"):
        call_command("backup")


def test_backup_into_backup_dir_names_the_file_by_time(settings, tmp_path, hidalgo):
    settings.BACKUP_DIR = str(tmp_path / "nightly")

    output = run("backup")

    [made] = (tmp_path / "nightly").iterdir()
    assert made.name.startswith("labqueue-backup-")
    assert made.name.endswith(".tar.gz")
    assert f"Backup written: {made}" in output
    assert "1 uploaded files" not in output
    assert backups.check_backup(made).models["calendarEditor.machine"] == 1


@pytest.mark.parametrize("inside", ["", "backups/", "calendarEditor/site.tar.gz"])
def test_backup_refuses_to_write_inside_the_project(inside):
    target = Path(django_settings.BASE_DIR) / inside

    with pytest.raises(CommandError, match="must stay out of the repository"):
        call_command("backup", "--output", str(target))

    assert not (Path(django_settings.BASE_DIR) / "backups").exists()


def test_keep_removes_only_the_oldest_backups_of_this_site(tmp_path, hidalgo):
    directory = tmp_path / "nightly"
    directory.mkdir()
    for stamp in ("20240101-000000Z", "20240102-000000Z", "20240103-000000Z"):
        (directory / f"labqueue-backup-{stamp}.tar.gz").write_bytes(b"old")
    (directory / "notes.txt").write_text("not a backup")

    output = run("backup", "--output", f"{directory}/", "--keep", "2")

    names = sorted(path.name for path in directory.iterdir())
    assert names[0] == "labqueue-backup-20240103-000000Z.tar.gz"
    assert names[-1] == "notes.txt"
    assert len(names) == 3
    assert "removed old backup labqueue-backup-20240101-000000Z.tar.gz" in output


def test_keep_needs_a_directory(tmp_path):
    with pytest.raises(CommandError, match="--keep needs"):
        call_command("backup", "--output", str(tmp_path / "one.tar.gz"), "--keep", "3")
    with pytest.raises(CommandError, match="--keep needs"):
        call_command("backup", "--output", f"{tmp_path}/", "--keep", "0")


def test_restore_check_verifies_without_loading(tmp_path, hidalgo):
    archive = tmp_path / "site.tar.gz"
    run("backup", "--output", str(archive))

    output = run("restore", "--check", str(archive))

    assert "Backup OK" in output
    assert "every checksum matches" in output
    assert Machine.objects.count() == 1  # --check loads nothing, even into a full database


def test_restore_reports_each_table_and_refuses_a_second_time(tmp_path, hidalgo, griffin):
    archive = tmp_path / "site.tar.gz"
    run("backup", "--output", str(archive))
    Machine.objects.all().delete()

    output = run("restore", str(archive))

    assert "calendarEditor.machine" in output
    assert "2 rows (matches the backup)" in output
    assert set(Machine.objects.values_list("name", flat=True)) == {"Hidalgo", "Griffin"}
    with pytest.raises(CommandError, match="This database is not empty"):
        call_command("restore", str(archive))


def test_restore_of_a_damaged_file_says_so(tmp_path):
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(os.urandom(512))

    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(damaged))
