"""Measurement archives as a service: who archives what, files on disk, search and CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import ArchivedMeasurement, ArchiveFile, Notification
from calendarEditor.services import archives, presets, queue, uploads
from calendarEditor.services.archives import ArchiveError
from calendarEditor.services.notifications import catalogue
from conftest import entry_request

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

CSV = b"t_K,R_ohm\n0.3,12.5\n"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    return tmp_path


def finish(member, title="Hall sweep", **requirements):
    entry = queue.enqueue(entry_request(title, 10, **requirements), member=member, by=member).entry
    queue.start(entry, by=member)
    return queue.complete(entry, by=member).entry


@pytest.fixture
def finished(alice, hidalgo):
    return finish(alice, min_temp=0.3, field_z=5, dc_lines=8, capabilities=[])


def checked(*files):
    return uploads.check_files([SimpleUploadedFile(name, data) for name, data in files])


def values(**overrides):
    now = timezone.now()
    return {
        "title": "Hall sweep B12",
        "notes": "Clean data below 2 K.",
        "measurement_start": now - timedelta(hours=10),
        "measurement_end": now,
        "actual_hours": None,
        **overrides,
    }


def test_the_member_archives_a_completed_run_with_a_snapshot(alice, finished):
    archive = archives.create_archive(finished, values(), [], by=alice)
    assert (archive.member, archive.member_name) == (alice, finished.member_name)
    assert (archive.machine_id, archive.machine_name) == (finished.machine_id, "Hidalgo")
    assert archive.actual_hours == 10
    snapshot = archive.requirements_snapshot
    assert snapshot["requirements"]["required_min_temp"] == 0.3
    assert snapshot["requirements"]["required_field_z"] == 5
    assert snapshot["requirements"]["required_dc_lines"] == 8
    assert snapshot["estimated_hours"] == 10
    assert snapshot["machine"] == "Hidalgo"
    assert snapshot["preset"] is None


def test_the_preset_used_is_kept_in_the_snapshot(alice, finished):
    preset = presets.create_preset({"name": "Hall", "required_min_temp": 0.3}, by=alice)
    archive = archives.create_archive(finished, values(), [], by=alice, preset=preset)
    used = archive.requirements_snapshot["preset"]
    assert (used["id"], used["name"]) == (preset.pk, "Hall")
    assert used["requirements"]["required_min_temp"] == 0.3


def test_a_preset_the_member_cannot_see_is_refused(alice, bob, finished):
    private = presets.create_preset({"name": "Bob's"}, by=bob)
    with pytest.raises(ArchiveError):
        archives.create_archive(finished, values(), [], by=alice, preset=private)
    assert not ArchivedMeasurement.objects.exists()


def test_staff_archive_a_members_run(sam, finished):
    archive = archives.create_archive(finished, values(), [], by=sam)
    assert archive.member_id == finished.member_id
    assert archive.created_by_name == "Sam Tester"


@pytest.mark.skipif(
    "archive_created" not in catalogue.BY_NAME,
    reason="needs the catalogue type 'archive_created' (proposed in the records report)",
)
def test_the_member_is_told_when_staff_archive_their_run(alice, sam, finished):
    archives.create_archive(finished, values(), [], by=sam)
    assert Notification.objects.filter(recipient=alice, kind="archive_created").exists()


def test_another_member_cannot_archive_the_run(bob, finished):
    with pytest.raises(PermissionDenied):
        archives.create_archive(finished, values(), [], by=bob)
    assert not ArchivedMeasurement.objects.exists()


def test_only_a_completed_run_is_archived(alice, hidalgo):
    entry = queue.enqueue(entry_request("Waiting"), member=alice, by=alice).entry
    with pytest.raises(ArchiveError, match="completed"):
        archives.create_archive(entry, values(), [], by=alice)


def test_a_run_is_archived_once(alice, finished):
    archives.create_archive(finished, values(), [], by=alice)
    with pytest.raises(ArchiveError, match="already archived"):
        archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    assert ArchivedMeasurement.objects.count() == 1
    assert ArchiveFile.objects.count() == 0


def test_bad_values_are_refused(alice, finished):
    now = timezone.now()
    with pytest.raises(ArchiveError, match="end before"):
        archives.create_archive(
            finished,
            values(measurement_start=now, measurement_end=now - timedelta(1)),
            [],
            by=alice,
        )
    with pytest.raises(ArchiveError, match="title"):
        archives.create_archive(finished, values(title=" "), [], by=alice)
    assert not ArchivedMeasurement.objects.exists()


def test_files_are_stored_under_server_chosen_names(alice, finished, media):
    files = checked(("../../etc/R vs T.csv", CSV), ("report.pdf", PDF))
    archive = archives.create_archive(finished, values(), files, by=alice)
    stored = {f.original_name: f for f in archive.files.all()}
    assert set(stored) == {"R vs T.csv", "report.pdf"}
    for record in stored.values():
        assert re.fullmatch(r"archives/\d{4}/\d{2}/[0-9a-f]{32}", record.file.name)
        assert (media / record.file.name).is_file()
    assert stored["report.pdf"].content_type == "application/pdf"
    assert stored["R vs T.csv"].size == len(CSV)
    assert (media / stored["R vs T.csv"].file.name).read_bytes() == CSV


def test_files_written_for_a_refused_archive_are_removed(alice, finished, media):
    archives.create_archive(finished, values(), [], by=alice)
    with pytest.raises(ArchiveError):
        archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    assert not any(path.is_file() for path in media.rglob("*"))


def test_adding_files_keeps_to_the_cap_per_archive(alice, finished, settings):
    settings.ARCHIVE_MAX_TOTAL_BYTES = 40
    archive = archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    archives.add_files(archive, checked(("b.csv", CSV)), by=alice)
    more = uploads.check_files([SimpleUploadedFile("c.csv", CSV)])
    with pytest.raises(uploads.UploadError, match="per archive"):
        archives.add_files(archive, more, by=alice)
    assert archives.stored_bytes(archive) == 2 * len(CSV)


def test_another_member_cannot_add_or_remove_files(alice, bob, finished):
    archive = archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    with pytest.raises(PermissionDenied):
        archives.add_files(archive, checked(("b.csv", CSV)), by=bob)
    with pytest.raises(PermissionDenied):
        archives.delete_file(archive.files.get(), by=bob)
    assert archive.files.count() == 1


def test_removing_a_file_deletes_it_from_disk_on_commit(
    alice, finished, media, django_capture_on_commit_callbacks
):
    archive = archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    record = archive.files.get()
    on_disk = media / record.file.name
    with django_capture_on_commit_callbacks(execute=True):
        archives.delete_file(record, by=alice)
    assert not archive.files.exists()
    assert not on_disk.exists()


def test_update_saves_only_changed_fields(alice, bob, finished):
    archive = archives.create_archive(finished, values(), [], by=alice)
    start, end = archive.measurement_start, archive.measurement_end
    changed = archives.update_archive(
        archive,
        values(title="Renamed", measurement_start=start, measurement_end=end, actual_hours=9.5),
        by=alice,
    )
    assert sorted(changed) == ["actual_hours", "title"]
    with pytest.raises(PermissionDenied):
        archives.update_archive(archive, values(), by=bob)


def test_history_survives_deleting_the_machine_and_the_account(alice, sam, finished, hidalgo):
    archive = archives.create_archive(finished, values(), checked(("a.csv", CSV)), by=alice)
    hidalgo.delete()
    alice.delete()
    archive.refresh_from_db()
    assert (archive.machine, archive.member) == (None, None)
    assert (archive.machine_name, archive.member_name) == ("Hidalgo", finished.member_name)
    assert archive.files.count() == 1
    assert [a.pk for a in archives.search(sam, text="hidalgo")] == [archive.pk]


def test_search_shows_members_only_their_own(alice, bob, sam, hidalgo):
    mine = archives.create_archive(finish(alice), values(title="Alice run"), [], by=alice)
    theirs = archives.create_archive(finish(bob), values(title="Bob run"), [], by=bob)
    assert list(archives.search(alice)) == [mine]
    assert list(archives.search(alice, member_id=bob.pk)) == [mine]  # ignored for members
    assert set(archives.search(sam)) == {mine, theirs}
    assert list(archives.search(sam, member_id=bob.pk)) == [theirs]


def test_search_by_machine_dates_and_text(alice, hidalgo, griffin):
    now = timezone.now()
    old = archives.create_archive(
        finish(alice, field_x=1),  # only Hidalgo has a B_x coil
        values(
            title="Old",
            measurement_start=now - timedelta(days=30),
            measurement_end=now - timedelta(days=29),
        ),
        [],
        by=alice,
    )
    new = archives.create_archive(
        finish(alice, optical=True), values(title="New", notes="magnon peak"), [], by=alice
    )
    assert (old.machine_name, new.machine_name) == ("Hidalgo", "Griffin")
    assert list(archives.search(alice, machine_id=griffin.pk)) == [new]
    recent = (now - timedelta(days=2)).date()
    assert list(archives.search(alice, date_from=recent)) == [new]
    assert list(archives.search(alice, date_to=recent)) == [old]
    assert list(archives.search(alice, text="MAGNON")) == [new]
    [row] = archives.search(alice, text="magnon")
    assert (row.file_count, row.total_bytes) == (0, 0)


def test_csv_export_has_a_header_a_row_per_archive_and_defused_formulas(alice, finished):
    archives.create_archive(
        finished, values(title='=HYPERLINK("http://evil")', notes="@SUM(A1)"), [], by=alice
    )
    text = "".join(archives.csv_lines(archives.search(alice)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [header for header, _ in archives.CSV_COLUMNS]
    assert len(rows) == 2
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert rows[1][9] == "'@SUM(A1)"
    assert rows[1][2] == "Hidalgo"
