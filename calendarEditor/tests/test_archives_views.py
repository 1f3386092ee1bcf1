"""Archive pages: archive a run, its record, and files in and out."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from calendarEditor.models import ArchivedMeasurement, ArchiveFile
from calendarEditor.services import queue
from calendarEditor.tests.archive_support import CSV, HTML, PNG, SVG, form, url
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

# --- Archive a run ---------------------------------------------------------------


def test_the_form_starts_from_the_runs_own_times(client, alice, finished):
    client.force_login(alice)
    response = client.get(url("schedule-archive-create", finished.pk))
    initial = response.context["form"].initial
    assert initial["title"] == "Hall sweep"
    assert initial["measurement_start"] == finished.started_at
    assert initial["measurement_end"] == finished.completed_at


def test_archive_a_run_with_files(client, alice, finished):
    client.force_login(alice)
    files = [SimpleUploadedFile("R(T).csv", CSV), SimpleUploadedFile("sample.png", PNG)]
    response = client.post(url("schedule-archive-create", finished.pk), form(files=files))
    archive = ArchivedMeasurement.objects.get()
    assert response["Location"] == archive.get_absolute_url()
    assert archive.actual_hours == 10.5
    assert sorted(archive.files.values_list("original_name", flat=True)) == [
        "R(T).csv",
        "sample.png",
    ]


def test_staff_archive_a_members_run(client, sam, finished):
    client.force_login(sam)
    client.post(url("schedule-archive-create", finished.pk), form())
    assert ArchivedMeasurement.objects.get().member_id == finished.member_id


def test_archiving_refuses_a_file_whose_content_does_not_match(client, alice, finished, media):
    client.force_login(alice)
    fake = SimpleUploadedFile("data.csv", PNG)
    response = client.post(url("schedule-archive-create", finished.pk), form(files=[fake]))
    assert response.status_code == 200
    assert (
        "data.csv is named like a CSV file but its content is a PNG image"
        in response.content.decode()
    )
    assert not ArchivedMeasurement.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize(("name", "content"), [("page.html", HTML), ("logo.svg", SVG)])
def test_html_and_svg_are_never_accepted(client, alice, finished, name, content):
    client.force_login(alice)
    upload = SimpleUploadedFile(name, content, content_type="text/html")
    response = client.post(url("schedule-archive-create", finished.pk), form(files=[upload]))
    assert "files are not accepted" in response.content.decode()
    assert not ArchiveFile.objects.exists()


def test_archiving_refuses_a_bad_form(client, alice, finished):
    client.force_login(alice)
    bad = form(title="", measurement_end="2026-02-01T09:00")
    response = client.post(url("schedule-archive-create", finished.pk), bad)
    assert response.context["form"].errors.keys() >= {"title", "measurement_end"}
    assert not ArchivedMeasurement.objects.exists()


def test_another_members_run_is_a_404(client, bob, finished):
    client.force_login(bob)
    assert client.get(url("schedule-archive-create", finished.pk)).status_code == 404
    assert client.post(url("schedule-archive-create", finished.pk), form()).status_code == 404
    assert not ArchivedMeasurement.objects.exists()


def test_archiving_needs_a_login(client, finished):
    response = client.post(url("schedule-archive-create", finished.pk), form())
    assert response.status_code == 302
    assert not ArchivedMeasurement.objects.exists()


def test_a_run_not_completed_cannot_be_archived(client, alice, hidalgo):
    entry = queue.enqueue(entry_request("Waiting"), member=alice, by=alice).entry
    client.force_login(alice)
    response = client.post(url("schedule-archive-create", entry.pk), form(), follow=True)
    assert "Only a completed run" in response.content.decode()
    assert not ArchivedMeasurement.objects.exists()


def test_an_archived_run_leads_to_its_archive(client, alice, archive):
    client.force_login(alice)
    response = client.get(url("schedule-archive-create", archive.entry_id))
    assert response["Location"] == archive.get_absolute_url()


def test_a_body_too_large_to_hold_an_upload_is_turned_away_unread(
    client, alice, finished, settings
):
    settings.ARCHIVE_MAX_TOTAL_BYTES = 1000
    client.force_login(alice)
    response = client.post(
        url("schedule-archive-create", finished.pk), form(), CONTENT_LENGTH=str(10 * 1024 * 1024)
    )
    assert response.status_code == 302
    assert not ArchivedMeasurement.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "too large" in page


# --- The record and its files --------------------------------------------------


@pytest.mark.parametrize("viewer", ["alice", "sam"])
def test_the_member_and_staff_see_the_archive(client, alice, sam, archive, viewer):
    client.force_login({"alice": alice, "sam": sam}[viewer])
    page = client.get(archive.get_absolute_url()).content.decode()
    assert "Hall sweep B12" in page
    assert "r.csv" in page


def test_another_member_cannot_see_the_archive_or_its_files(client, bob, archive):
    client.force_login(bob)
    record = archive.files.first()
    assert client.get(archive.get_absolute_url()).status_code == 404
    assert client.get(url("schedule-archive-file", record.pk)).status_code == 404
    assert client.get(url("schedule-archive-edit", archive.pk)).status_code == 404
    assert client.post(url("schedule-archive-file-delete", record.pk)).status_code == 404
    upload = SimpleUploadedFile("x.csv", CSV)
    assert (
        client.post(url("schedule-archive-add-files", archive.pk), {"files": [upload]}).status_code
        == 404
    )
    assert archive.files.count() == 2


def test_archive_pages_need_a_login(client, archive):
    record = archive.files.first()
    for target in (archive.get_absolute_url(), url("schedule-archive-file", record.pk)):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts-login"))


@pytest.mark.parametrize(("name", "content_type"), [("r.csv", "text/csv"), ("p.png", "image/png")])
def test_downloads_are_attachments_that_are_never_sniffed(
    client, alice, archive, name, content_type
):
    client.force_login(alice)
    record = archive.files.get(original_name=name)
    response = client.get(url("schedule-archive-file", record.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == (CSV if name == "r.csv" else PNG)


def test_staff_download_a_members_file(client, sam, archive):
    client.force_login(sam)
    assert client.get(url("schedule-archive-file", archive.files.first().pk)).status_code == 200


def test_a_file_missing_from_disk_is_a_404(client, alice, archive, media):
    record = archive.files.first()
    (media / record.file.name).unlink()
    client.force_login(alice)
    assert client.get(url("schedule-archive-file", record.pk)).status_code == 404


def test_media_has_no_url_of_its_own(client, alice, archive):
    client.force_login(alice)
    assert client.get("/media/" + archive.files.first().file.name).status_code == 404


def test_edit_the_record(client, alice, archive):
    client.force_login(alice)
    response = client.post(url("schedule-archive-edit", archive.pk), form(title="Renamed"))
    assert response["Location"] == archive.get_absolute_url()
    archive.refresh_from_db()
    assert archive.title == "Renamed"


def test_edit_refuses_a_bad_form(client, alice, archive):
    client.force_login(alice)
    response = client.post(url("schedule-archive-edit", archive.pk), form(actual_hours="-3"))
    assert "actual_hours" in response.context["form"].errors
    archive.refresh_from_db()
    assert archive.actual_hours == 10


def test_add_and_remove_files(client, alice, archive):
    client.force_login(alice)
    client.post(
        url("schedule-archive-add-files", archive.pk),
        {"files": [SimpleUploadedFile("more.txt", b"notes\n")]},
    )
    assert archive.files.filter(original_name="more.txt").exists()
    record = archive.files.get(original_name="r.csv")
    client.post(url("schedule-archive-file-delete", record.pk))
    assert not archive.files.filter(pk=record.pk).exists()


def test_adding_a_bad_file_changes_nothing_and_says_why(client, alice, archive):
    client.force_login(alice)
    bad = SimpleUploadedFile("notes.txt", b"<svg onload=alert(1)>")
    response = client.post(
        url("schedule-archive-add-files", archive.pk), {"files": [bad]}, follow=True
    )
    assert "notes.txt is not plain text" in response.content.decode()
    assert archive.files.count() == 2


def test_adding_past_the_cap_per_archive_is_refused(client, alice, archive, settings):
    settings.ARCHIVE_MAX_TOTAL_BYTES = len(CSV) + len(PNG) + 5
    client.force_login(alice)
    extra = SimpleUploadedFile("more.csv", CSV)
    response = client.post(
        url("schedule-archive-add-files", archive.pk), {"files": [extra]}, follow=True
    )
    assert "per archive" in response.content.decode()
    assert archive.files.count() == 2


def test_adding_files_needs_a_login(client, archive):
    extra = SimpleUploadedFile("more.csv", CSV)
    assert (
        client.post(url("schedule-archive-add-files", archive.pk), {"files": [extra]}).status_code
        == 302
    )
    assert archive.files.count() == 2
