"""The superuser-only backup download, and the absence of any restore from the web."""

import io
import tarfile
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncRequestFactory
from django.urls import reverse

from calendarEditor.models import AuditEvent, Machine
from calendarEditor.services import backups
from calendarEditor.views import staff_backup

# The download takes a snapshot transaction of its own, which cannot nest in a test's.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("calendarEditor.tests.urls_with_ops"),
]


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@lab.example", "pw")


@pytest.fixture
def url():
    return reverse("schedule-staff-backup")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media" / "archives").mkdir(parents=True)
    (tmp_path / "media" / "archives" / "run.dat").write_bytes(b"\x00\x01data")
    return tmp_path / "media"


def downloaded(response, tmp_path: Path) -> backups.Manifest:
    path = tmp_path / "download.tar.gz"
    path.write_bytes(b"".join(response.streaming_content))
    with backups.open_archive(path) as (_tar, manifest):
        return manifest


def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_members_and_lab_managers_who_are_not_superusers_get_403(client, url, who, request):
    client.force_login(request.getfixturevalue(who))

    assert client.get(url).status_code == 403
    response = client.post(url, {"include_media": "on"})
    assert response.status_code == 403
    assert not response.has_header("Content-Disposition")
    assert not AuditEvent.objects.filter(action="backup.downloaded").exists()


def test_the_page_explains_backups_and_that_restoring_is_never_done_here(client, url, root):
    client.force_login(root)

    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "never restores a backup from the web" in content
    assert "manage.py restore" in content
    assert 'name="include_media"' in content
    assert "csrfmiddlewaretoken" in content


def test_a_superuser_downloads_the_whole_site(client, url, root, media, tmp_path, hidalgo):
    client.force_login(root)

    response = client.post(url, {"include_media": "on"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert response["Content-Disposition"].startswith('attachment; filename="labqueue-backup-')
    assert "no-store" in response["Cache-Control"]
    manifest = downloaded(response, tmp_path)
    assert manifest.models["calendarEditor.machine"] == 1
    assert manifest.models["auth.user"] == 1
    assert [f.name for f in manifest.media_files] == ["media/archives/run.dat"]
    event = AuditEvent.objects.get(action="backup.downloaded")
    assert event.actor == root


def test_leaving_out_uploaded_files(client, url, root, media, tmp_path):
    client.force_login(root)

    manifest = downloaded(client.post(url, {}), tmp_path)

    assert manifest.includes_media is False
    assert manifest.media_files == []


def test_an_uploaded_archive_is_ignored_never_restored(client, url, root, tmp_path, make_machine):
    forged = io.BytesIO()
    with tarfile.open(fileobj=forged, mode="w:gz"):
        pass
    client.force_login(root)

    response = client.post(url, {"archive": SimpleUploadedFile("evil.tar.gz", forged.getvalue())})

    assert response.status_code == 200  # a fresh download of the current data, nothing loaded
    assert downloaded(response, tmp_path).models["calendarEditor.machine"] == 0
    assert Machine.objects.count() == 0


def test_a_backup_that_cannot_be_made_says_why(client, url, root, monkeypatch):
    def broken(*args, **kwargs):
        raise backups.BackupError("Could not read calendarEditor.machine (disk I/O error)")

    monkeypatch.setattr(backups, "write_archive", broken)
    client.force_login(root)

    response = client.post(url, {"include_media": "on"})

    assert response.status_code == 503
    assert "disk I/O error" in response.content.decode()
    assert not AuditEvent.objects.filter(action="backup.downloaded").exists()


def test_under_asgi_the_archive_streams_from_an_async_iterator(tmp_path):
    archive = (tmp_path / "a.bin").open("w+b")
    archive.write(b"x" * (staff_backup.CHUNK * 2 + 10))
    request = AsyncRequestFactory().post("/schedule/staff/backup/")

    response = staff_backup._attachment(request, archive, "b.tar.gz", archive.tell())

    async def consume() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    assert response.is_async
    assert async_to_sync(consume)() == b"x" * (staff_backup.CHUNK * 2 + 10)
    assert archive.closed
