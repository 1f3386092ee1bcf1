"""Archive pages: archive a run, its record, files in and out, search and CSV export."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone

import mysite.urls
from calendarEditor.models import ArchivedMeasurement, ArchiveFile
from calendarEditor.services import archives, queue, uploads
from calendarEditor.views.archives import attachment
from conftest import entry_request

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

CSV = b"t_K,R_ohm\n0.3,12.5\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    return tmp_path


def finish(member):
    entry = queue.enqueue(entry_request("Hall sweep"), member=member, by=member).entry
    queue.start(entry, by=member)
    return queue.complete(entry, by=member).entry


@pytest.fixture
def finished(alice, hidalgo):
    return finish(alice)


@pytest.fixture
def archive(alice, finished):
    files = uploads.check_files(
        [SimpleUploadedFile("r.csv", CSV), SimpleUploadedFile("p.png", PNG)]
    )
    now = timezone.now()
    values = {
        "title": "Hall sweep B12",
        "notes": "",
        "measurement_start": now - timedelta(hours=10),
        "measurement_end": now,
        "actual_hours": None,
    }
    return archives.create_archive(finished, values, files, by=alice)


def form(**overrides):
    return {
        "title": "Hall sweep B12",
        "notes": "Clean below 2 K",
        "measurement_start": "2026-03-01T09:00",
        "measurement_end": "2026-03-01T19:30",
        "actual_hours": "",
        "preset": "",
        **overrides,
    }


def url(name, *args):
    return reverse(name, args=args or None)


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


# --- Search and export -----------------------------------------------------------


def bulk_archives(member, count):
    now = timezone.now()
    made = ArchivedMeasurement.objects.bulk_create(
        ArchivedMeasurement(
            member=member,
            member_name=member.get_username(),
            machine_name="Hidalgo",
            title=f"Run {i}",
            measurement_start=now - timedelta(hours=i + 2),
            measurement_end=now - timedelta(hours=i),
            actual_hours=2,
        )
        for i in range(count)
    )
    ArchiveFile.objects.bulk_create(
        ArchiveFile(
            archive=a,
            file=f"archives/x/{a.pk}",
            original_name="a.csv",
            size=10,
            content_type="text/csv",
            sha256="0" * 64,
        )
        for a in made
    )


def test_members_list_only_their_own_archives(client, alice, bob, sam):
    bulk_archives(alice, 2)
    bulk_archives(bob, 1)
    client.force_login(bob)
    assert client.get(url("schedule-archive-list")).context["page"].paginator.count == 1
    client.force_login(sam)
    assert client.get(url("schedule-archive-list")).context["page"].paginator.count == 3
    response = client.get(url("schedule-archive-list"), {"member": bob.pk})
    assert response.context["page"].paginator.count == 1


def test_the_list_filters_by_text_and_refuses_nonsense_quietly(client, alice):
    bulk_archives(alice, 12)
    client.force_login(alice)
    found = client.get(url("schedule-archive-list"), {"q": "Run 11"})
    assert [a.title for a in found.context["page"]] == ["Run 11"]
    bad = client.get(url("schedule-archive-list"), {"date_from": "not a date"})
    assert bad.status_code == 200
    assert "date_from" in bad.context["form"].errors


def test_the_list_needs_a_login(client):
    assert client.get(url("schedule-archive-list")).status_code == 302


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow(client, sam, alice, count, django_assert_num_queries):
    bulk_archives(alice, count)
    client.force_login(sam)
    # session, user, count, the bell, page of rows, the machine and member choices
    with django_assert_num_queries(7):
        response = client.get(url("schedule-archive-list"))
    assert response.status_code == 200


def test_csv_export_holds_only_the_members_own_rows(client, alice, bob):
    bulk_archives(alice, 3)
    bulk_archives(bob, 2)
    client.force_login(bob)
    response = client.get(url("schedule-archive-export"))
    assert response["Content-Disposition"].startswith('attachment; filename="archives-')
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 3
    assert all(",bob," in line for line in lines[1:])


def test_staff_export_everything_and_filters_apply(client, alice, bob, sam):
    bulk_archives(alice, 3)
    bulk_archives(bob, 2)
    client.force_login(sam)
    everything = client.get(url("schedule-archive-export")).content.decode()
    assert len(everything.strip().splitlines()) == 6
    only_bob = client.get(url("schedule-archive-export"), {"member": bob.pk}).content.decode()
    assert len(only_bob.strip().splitlines()) == 3


def test_csv_export_needs_a_login(client):
    assert client.get(url("schedule-archive-export")).status_code == 302


def test_the_archive_link_shows_only_for_completed_runs(alice, finished, hidalgo):
    link = render_to_string("records/archive_link.html", {"e": finished})
    assert url("schedule-archive-create", finished.pk) in link
    waiting = queue.enqueue(entry_request("Waiting"), member=alice, by=alice).entry
    assert render_to_string("records/archive_link.html", {"e": waiting}).strip() == ""


@pytest.mark.parametrize("name", ["schedule-archive-create", "schedule-archive-add-files"])
def test_upload_views_still_check_the_csrf_token(alice, finished, archive, name):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    target = url(name, finished.pk if name == "schedule-archive-create" else archive.pk)
    response = strict.post(target, {"files": [SimpleUploadedFile("more.csv", CSV)]})
    assert response.status_code == 403
    assert archive.files.count() == 2


def test_over_asgi_a_download_is_read_a_chunk_at_a_time_without_a_warning(archive, recwarn):
    record = archive.files.get(original_name="r.csv")
    response = attachment(record.file, record.original_name, record.content_type)
    response.block_size = 4

    async def collect():
        return [chunk async for chunk in response]

    chunks = async_to_sync(collect)()
    response.close()
    assert b"".join(chunks) == CSV
    assert len(chunks) > 1
    assert not [w for w in recwarn if "StreamingHttpResponse" in str(w.message)]
