"""Backups come back whole: every row and file, into an empty database only.

The in-process round trip runs on whatever the test database is (SQLite
locally, PostgreSQL in CI). The fresh-database round trip makes a second
PostgreSQL database, migrates it and restores into it through manage.py, as
an administrator would; it needs PostgreSQL (skipped locally without it,
required in CI).
"""

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, connections, transaction
from psycopg import sql

from calendarEditor.models import Machine
from calendarEditor.services import backups
from calendarEditor.services.backups import snapshot
from calendarEditor.tests import backup_dataset
from conftest import MACHINE_DEFAULTS
from mysite.testing import require_postgres

# A backup opens its own snapshot transaction, which cannot nest in a test's.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def wipe(media: Path) -> None:
    """A freshly migrated database (flush re-creates content types and permissions) and no files."""
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


# --- the round trips ------------------------------------------------------------------


def test_round_trip_brings_back_every_row_and_file(media, tmp_path):
    backup_dataset.build()
    assert backup_dataset.missing_models() == [], "add rows for these to backup_dataset.build()"
    rows_before, files_before = backup_dataset.rows_by_model(), files_under(media)
    made = backups.create_backup(tmp_path / "site.tar.gz")
    wipe(media)

    result = backups.restore_backup(made.path)

    assert backup_dataset.rows_by_model() == rows_before
    assert files_under(media) == files_before
    assert len(files_before) == 2
    assert result.counts == made.manifest.models
    assert sorted(result.files_written) == sorted(f"media/{name}" for name in files_before)
    # Passwords still work, and new rows get ids after the restored ones.
    assert User.objects.get(username="root").check_password("s3cret-root-pw")
    fresh = Machine.objects.create(name="Fresh", **MACHINE_DEFAULTS)
    assert fresh.pk > max(rows_before["calendarEditor.machine"])


def test_restore_into_a_database_with_rows_is_refused_and_changes_nothing(media, tmp_path):
    backup_dataset.build()
    made = backups.create_backup(tmp_path / "site.tar.gz")
    rows_before = backup_dataset.rows_by_model()

    with pytest.raises(backups.BackupError, match=r"not empty: .*auth\.user \(5\)"):
        backups.restore_backup(made.path)

    assert backup_dataset.rows_by_model() == rows_before


def test_a_backup_without_media_restores_rows_only(media, tmp_path):
    backup_dataset.build()
    made = backups.create_backup(tmp_path / "rows.tar.gz", include_media=False)
    wipe(media)

    result = backups.restore_backup(made.path)

    assert made.manifest.includes_media is False
    assert made.manifest.media_files == []
    assert files_under(media) == {}
    assert result.counts["calendarEditor.archivefile"] == 1


def test_a_backup_holds_no_settings_or_secrets(media, tmp_path, settings):
    settings.EMAIL_HOST_PASSWORD = "smtp-password-" + uuid.uuid4().hex
    settings.SLACK_BOT_TOKEN = "xoxb-" + uuid.uuid4().hex
    backup_dataset.build()
    made = backups.create_backup(tmp_path / "site.tar.gz")

    with tarfile.open(made.path) as tar:
        names = tar.getnames()
        content = b"".join(tar.extractfile(member).read() for member in tar.getmembers())
    assert names[:2] == ["manifest.json", "data.jsonl"]
    assert all(name.startswith("media/") for name in names[2:])
    for secret in (settings.SECRET_KEY, settings.EMAIL_HOST_PASSWORD, settings.SLACK_BOT_TOKEN):
        assert secret.encode() not in content
    assert b"s3cret-root-pw" not in content  # only the password's hash is in the database
    assert made.path.stat().st_mode & 0o777 == 0o600


def test_new_rows_committed_during_a_postgres_backup_are_not_in_it(make_machine):
    require_postgres()
    make_machine("Hidalgo")

    def commit_another_machine() -> None:
        try:
            Machine.objects.create(name="Late", **MACHINE_DEFAULTS)
        finally:
            connections.close_all()

    with snapshot.consistent_snapshot():
        # The snapshot is taken by the transaction's first read, as the dump's first read does.
        assert Machine.objects.count() == 1
        worker = threading.Thread(target=commit_another_machine)
        worker.start()
        worker.join()
        assert list(Machine.objects.values_list("name", flat=True)) == ["Hidalgo"]
    assert Machine.objects.count() == 2


def test_a_postgres_backup_refuses_to_start_inside_a_transaction(tmp_path):
    require_postgres()
    with transaction.atomic(), pytest.raises(backups.BackupError, match="outside a database"):
        backups.create_backup(tmp_path / "x.tar.gz")
    assert not (tmp_path / "x.tar.gz").exists()
    assert list(tmp_path.iterdir()) == []


# --- a fresh PostgreSQL database, through manage.py ----------------------------------


def test_round_trip_into_a_fresh_postgres_database(media, tmp_path):
    require_postgres()
    backup_dataset.build()
    first = backups.create_backup(tmp_path / "first.tar.gz")
    second = tmp_path / "second.tar.gz"

    with scratch_database() as url:
        env = {"DATABASE_URL": url, "MEDIA_ROOT": str(tmp_path / "media2")}
        manage(["migrate", "--noinput", "-v", "0"], env)
        restored = manage(["restore", str(first.path)], env)
        manage(["backup", "--output", str(second)], env)
        again = manage(["restore", str(first.path)], env, check=False)
        new_id = manage(["shell", "-v", "0", "-c", NEW_MACHINE], env).stdout.strip()

    assert "auth.user" in restored.stdout
    assert "matches the backup" in restored.stdout
    assert again.returncode != 0
    assert "This database is not empty" in again.stderr
    first_manifest, first_rows = read_archive(first.path)
    second_manifest, second_rows = read_archive(second)
    assert second_manifest.models == first_manifest.models
    assert second_rows == first_rows
    assert second_manifest.files == first_manifest.files  # same names, sizes, SHA-256
    assert files_under(tmp_path / "media2") == files_under(media)
    assert int(new_id) > max(r["pk"] for r in first_rows if r["model"] == "calendarEditor.machine")


NEW_MACHINE = (
    "from calendarEditor.models import Machine; "
    "print(Machine.objects.create(name='After restore', min_temp=1, max_temp=300).pk)"
)


def manage(
    args: list[str], env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.test_settings", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; dropped afterwards."""
    params = connection.settings_dict
    name = f"labqueue_restore_{uuid.uuid4().hex[:12]}"
    server = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"],
        "password": params["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    credentials = quote(server["user"] or "") + (
        f":{quote(server['password'])}" if server["password"] else ""
    )
    try:
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def read_archive(path: Path) -> tuple[backups.Manifest, list[dict]]:
    with backups.open_archive(path) as (tar, manifest):
        data = tar.extractfile("data.jsonl").read().decode()
    return manifest, [json.loads(line) for line in data.splitlines() if line.strip()]


# --- archives that must be refused ---------------------------------------------------


@pytest.fixture
def small_backup(media, tmp_path, make_machine) -> Path:
    make_machine("Hidalgo")
    (media / "issues").mkdir(parents=True)
    (media / "issues" / "photo.png").write_bytes(backup_dataset.PHOTO)
    path = backups.create_backup(tmp_path / "small.tar.gz").path
    wipe(media)
    return path


def rewrite(
    source: Path, target: Path, manifest_changes=None, extra: dict[str, bytes] | None = None
) -> Path:
    """A copy of ``source`` with its manifest edited and/or members added."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    manifest = json.loads(members.pop("manifest.json"))
    if manifest_changes:
        manifest_changes(manifest)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in [("manifest.json", json.dumps(manifest).encode()), *members.items()]:
            add_member(tar, name, content)
        for name, content in (extra or {}).items():
            add_member(tar, name, content)
    target.write_bytes(buffer.getvalue())
    return target


def add_member(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    tar.addfile(info, io.BytesIO(content))


def assert_refused(path: Path, message: str, media: Path) -> None:
    with pytest.raises(backups.BackupError, match=message):
        backups.restore_backup(path)
    assert sum(snapshot.row_counts().values()) == 0
    assert files_under(media) == {}


def test_a_file_that_is_no_backup_is_refused(media, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(gzip.compress(b"not a tar at all" * 100))
    assert_refused(junk, "not a backup archive", media)
    assert_refused(tmp_path / "missing.tar.gz", "does not exist", media)


def test_a_newer_format_version_is_refused(small_backup, tmp_path, media):
    def newer(manifest: dict) -> None:
        manifest["format_version"] = backups.FORMAT_VERSION + 1

    assert_refused(rewrite(small_backup, tmp_path / "n.tar.gz", newer), "format version 2", media)


def test_a_damaged_member_is_refused(small_backup, tmp_path, media):
    def wrong_checksum(manifest: dict) -> None:
        manifest["files"][0]["sha256"] = "0" * 64

    assert_refused(rewrite(small_backup, tmp_path / "d.tar.gz", wrong_checksum), "damaged", media)


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/cron.d/x", "media/../../x", "settings.py"])
def test_unsafe_or_unlisted_members_are_refused(small_backup, tmp_path, media, name):
    damaged = rewrite(small_backup, tmp_path / "u.tar.gz", extra={name: b"payload"})
    assert_refused(damaged, "unsafe name|does not list", media)
    assert not (tmp_path / "escape.txt").exists()


def test_a_backup_from_another_schema_is_refused_with_the_way_out(small_backup, tmp_path, media):
    def older(manifest: dict) -> None:
        manifest["migrations"]["calendarEditor"] = ["0001_initial"]

    with pytest.raises(backups.BackupError) as refused:
        backups.restore_backup(rewrite(small_backup, tmp_path / "s.tar.gz", older))
    assert "calendarEditor: backup at 0001_initial" in refused.value.message
    assert "manage.py migrate <app> <migration>" in refused.value.message
    assert "calendarEditor 0001_initial" in refused.value.message


def test_counts_that_differ_after_loading_keep_nothing(small_backup, tmp_path, media):
    def one_more(manifest: dict) -> None:
        manifest["models"]["calendarEditor.machine"] += 1

    damaged = rewrite(small_backup, tmp_path / "c.tar.gz", one_more)
    assert_refused(damaged, r"calendarEditor\.machine: 1 loaded, 2 in the backup", media)


def test_an_uploaded_file_with_other_contents_is_never_overwritten(small_backup, media):
    (media / "issues").mkdir(parents=True)
    (media / "issues" / "photo.png").write_bytes(b"someone else's photo")

    with pytest.raises(backups.BackupError, match="already exist in MEDIA_ROOT"):
        backups.restore_backup(small_backup)

    assert (media / "issues" / "photo.png").read_bytes() == b"someone else's photo"
    assert Machine.objects.count() == 0


def test_an_identical_file_already_in_place_is_kept(small_backup, media):
    (media / "issues").mkdir(parents=True)
    (media / "issues" / "photo.png").write_bytes(backup_dataset.PHOTO)

    result = backups.restore_backup(small_backup)

    assert result.files_present == ["media/issues/photo.png"]
    assert result.files_written == []
    assert Machine.objects.count() == 1
