"""Archive pages: search, filters, CSV export, and how downloads are served."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from calendarEditor.models import ArchivedMeasurement, ArchiveFile
from calendarEditor.services import queue
from calendarEditor.tests.archive_support import CSV, url
from calendarEditor.views.archives import attachment
from conftest import entry_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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
