"""Equipment issue pages: report, list, detail, comment, acknowledge, resolve, photo."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import include, path, reverse
from django.utils import timezone

import mysite.urls
from calendarEditor.models import EquipmentIssue, IssueComment
from calendarEditor.services import equipment_issues, uploads

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    return tmp_path


@pytest.fixture
def issue(alice, hidalgo):
    photo = uploads.check_file(SimpleUploadedFile("gauge.png", PNG), uploads.IMAGE_TYPES)
    values = {"severity": "down", "description": "Compressor stopped"}
    return equipment_issues.report_issue(hidalgo, values, photo, by=alice)


def url(name, *args):
    return reverse(name, args=args or None)


def future(hours=6):
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


# --- Report ------------------------------------------------------------------


def test_the_report_form_preselects_the_machine(client, bob, hidalgo):
    client.force_login(bob)
    response = client.get(url("schedule-issue-report"), {"machine": hidalgo.pk})
    assert response.context["form"].initial["machine"] == str(hidalgo.pk)


def test_a_member_reports_a_problem_with_a_photo(client, bob, hidalgo):
    client.force_login(bob)
    data = {
        "machine": hidalgo.pk,
        "severity": "degraded",
        "description": "Field drifts at 6 T",
        "photo": SimpleUploadedFile("../drift.png", PNG),
    }
    response = client.post(url("schedule-issue-report"), data)
    issue = EquipmentIssue.objects.get()
    assert response["Location"] == issue.get_absolute_url()
    assert (issue.reporter, issue.severity, issue.photo_name) == (bob, "degraded", "drift.png")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("gauge.png", b"%PDF-1.4 not an image", "its content is a PDF"),
        ("gauge.jpg", b"just some text", "its content is not one"),
        ("gauge.svg", SVG, "files are not accepted"),
        ("gauge.html", b"<html></html>", "files are not accepted"),
    ],
)
def test_a_photo_that_is_not_a_png_or_jpeg_is_refused(client, bob, hidalgo, name, content, message):
    client.force_login(bob)
    data = {
        "machine": hidalgo.pk,
        "severity": "info",
        "description": "x",
        "photo": SimpleUploadedFile(name, content),
    }
    response = client.post(url("schedule-issue-report"), data)
    assert response.status_code == 200
    assert message in response.context["form"].errors["photo"][0]
    assert not EquipmentIssue.objects.exists()


def test_a_report_refuses_a_bad_form(client, bob, hidalgo):
    client.force_login(bob)
    response = client.post(url("schedule-issue-report"), {"machine": hidalgo.pk, "severity": "x"})
    assert response.context["form"].errors.keys() >= {"severity", "description"}
    assert not EquipmentIssue.objects.exists()


def test_reporting_needs_a_login(client, hidalgo):
    data = {"machine": hidalgo.pk, "severity": "down", "description": "x"}
    assert client.post(url("schedule-issue-report"), data).status_code == 302
    assert not EquipmentIssue.objects.exists()


# --- List and detail -----------------------------------------------------------


def test_every_member_reads_the_issues(client, bob, issue):
    client.force_login(bob)
    listing = client.get(url("schedule-issue-list")).content.decode()
    assert "Compressor stopped" in listing
    detail = client.get(issue.get_absolute_url()).content.decode()
    assert "Compressor stopped" in detail
    assert "schedule-issue-comment" not in detail
    assert url("schedule-issue-comment", issue.pk) not in detail  # not the reporter
    assert url("schedule-issue-resolve", issue.pk) not in detail


def test_staff_see_the_triage_forms(client, sam, issue):
    client.force_login(sam)
    page = client.get(issue.get_absolute_url()).content.decode()
    assert url("schedule-issue-acknowledge", issue.pk) in page
    assert url("schedule-issue-resolve", issue.pk) in page


def test_the_list_filters_by_status(client, alice, sam, issue, griffin):
    other = equipment_issues.report_issue(
        griffin, {"severity": "info", "description": "Loose cable"}, by=alice
    )
    equipment_issues.resolve(other, by=sam)
    client.force_login(alice)
    default = client.get(url("schedule-issue-list"))
    assert [i.pk for i in default.context["page"]] == [issue.pk]
    resolved = client.get(url("schedule-issue-list"), {"status": "resolved"})
    assert [i.pk for i in resolved.context["page"]] == [other.pk]
    machine = client.get(url("schedule-issue-list"), {"status": "all", "machine": griffin.pk})
    assert [i.pk for i in machine.context["page"]] == [other.pk]


def test_issue_pages_need_a_login(client, issue):
    for target in (url("schedule-issue-list"), issue.get_absolute_url()):
        assert client.get(target).status_code == 302


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow(client, alice, hidalgo, count, django_assert_num_queries):
    EquipmentIssue.objects.bulk_create(
        EquipmentIssue(
            machine=hidalgo,
            machine_name="Hidalgo",
            reporter=alice,
            reporter_name="Alice",
            severity="info",
            description=f"Problem {i}",
        )
        for i in range(count)
    )
    client.force_login(alice)
    # session, user with profile (approval), count, the bell, the machine choices, page of rows
    with django_assert_num_queries(6):
        response = client.get(url("schedule-issue-list"))
    assert response.status_code == 200


# --- Comment -----------------------------------------------------------------


@pytest.mark.parametrize("author", ["alice", "sam"])
def test_the_reporter_and_staff_comment(client, alice, sam, issue, author):
    client.force_login({"alice": alice, "sam": sam}[author])
    response = client.post(url("schedule-issue-comment", issue.pk), {"body": "Still down"})
    assert response["Location"] == issue.get_absolute_url()
    assert IssueComment.objects.get().body == "Still down"


def test_another_member_cannot_comment(client, bob, issue):
    client.force_login(bob)
    response = client.post(url("schedule-issue-comment", issue.pk), {"body": "Me too"})
    assert response.status_code == 403
    assert not IssueComment.objects.exists()


def test_an_empty_comment_is_refused(client, alice, issue):
    client.force_login(alice)
    response = client.post(url("schedule-issue-comment", issue.pk), {"body": ""})
    assert response.status_code == 200
    assert "body" in response.context["comment_form"].errors
    assert not IssueComment.objects.exists()


def test_commenting_needs_a_login(client, issue):
    assert client.post(url("schedule-issue-comment", issue.pk), {"body": "x"}).status_code == 302
    assert not IssueComment.objects.exists()


# --- Acknowledge and resolve ------------------------------------------------------


def test_staff_acknowledge_with_an_estimated_fix(client, sam, issue):
    client.force_login(sam)
    client.post(url("schedule-issue-acknowledge", issue.pk), {"estimated_fix_at": future()})
    issue.refresh_from_db()
    assert issue.status == "acknowledged"
    assert issue.estimated_fix_at > timezone.now()


def test_an_estimated_fix_in_the_past_is_refused(client, sam, issue):
    client.force_login(sam)
    response = client.post(
        url("schedule-issue-acknowledge", issue.pk), {"estimated_fix_at": future(-2)}
    )
    assert "in the future" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "open"


@pytest.mark.parametrize("action", ["schedule-issue-acknowledge", "schedule-issue-resolve"])
def test_members_even_the_reporter_cannot_triage(client, alice, bob, issue, action):
    for member in (alice, bob):
        client.force_login(member)
        assert client.post(url(action, issue.pk), {"note": "fixed it myself"}).status_code == 403
    issue.refresh_from_db()
    assert issue.status == "open"


@pytest.mark.parametrize("action", ["schedule-issue-acknowledge", "schedule-issue-resolve"])
def test_triage_needs_a_login(client, issue, action):
    assert client.post(url(action, issue.pk)).status_code == 302
    issue.refresh_from_db()
    assert issue.status == "open"


def test_staff_resolve(client, sam, issue):
    client.force_login(sam)
    response = client.post(url("schedule-issue-resolve", issue.pk), {"note": "New compressor"})
    assert response["Location"] == issue.get_absolute_url()
    issue.refresh_from_db()
    assert (issue.status, issue.resolution_note) == ("resolved", "New compressor")


def test_resolving_twice_says_so(client, sam, issue):
    client.force_login(sam)
    client.post(url("schedule-issue-resolve", issue.pk))
    response = client.post(url("schedule-issue-resolve", issue.pk), follow=True)
    assert "already resolved" in response.content.decode()


def test_a_resolve_note_too_long_is_refused(client, sam, issue):
    client.force_login(sam)
    response = client.post(url("schedule-issue-resolve", issue.pk), {"note": "x" * 2001})
    assert "note" in response.context["resolve_form"].errors
    issue.refresh_from_db()
    assert issue.status == "open"


# --- Photo -------------------------------------------------------------------------


def test_the_photo_downloads_as_a_never_sniffed_attachment(client, bob, issue):
    client.force_login(bob)
    response = client.get(url("schedule-issue-photo", issue.pk))
    assert response["Content-Disposition"] == 'attachment; filename="gauge.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_a_report_without_a_photo_has_none_to_download(client, bob, hidalgo):
    issue = equipment_issues.report_issue(hidalgo, {"severity": "info", "description": "x"}, by=bob)
    client.force_login(bob)
    assert client.get(url("schedule-issue-photo", issue.pk)).status_code == 404


def test_the_photo_needs_a_login(client, issue):
    assert client.get(url("schedule-issue-photo", issue.pk)).status_code == 302


# --- The "needs attention" badge -----------------------------------------------------


def test_the_attention_badge_shows_the_estimated_fix(alice, sam, issue, hidalgo):
    equipment_issues.acknowledge(
        issue, by=sam, estimated_fix_at=timezone.now() + timedelta(hours=5)
    )
    attention = equipment_issues.attention_by_machine([hidalgo.pk])[hidalgo.pk]
    html = render_to_string("records/attention_badge.html", {"attention": attention})
    assert "Needs attention" in html
    assert "fix expected" in html
    assert issue.get_absolute_url() in html
    assert render_to_string("records/attention_badge.html", {"attention": None}).strip() == ""


def test_the_attention_badge_picks_its_machine_from_the_dict(alice, issue, hidalgo, griffin):
    attention = equipment_issues.attention_by_machine([hidalgo.pk, griffin.pk])
    for machine, expected in ((hidalgo, True), (griffin, False)):
        context = {"attention_by_machine": attention, "machine_id": machine.pk}
        html = render_to_string("records/attention_badge.html", context)
        assert ("Needs attention" in html) is expected
