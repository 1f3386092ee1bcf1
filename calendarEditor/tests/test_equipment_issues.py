"""Equipment issues as a service: reporting, triage by staff only, who is told, attention."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from django.utils import timezone

import mysite.urls
from calendarEditor.models import AuditEvent, EquipmentIssue, IssueComment, Notification
from calendarEditor.services import equipment_issues, queue, uploads
from calendarEditor.services.equipment_issues import IssueError
from calendarEditor.services.notifications import catalogue
from conftest import entry_request

urlpatterns = [*mysite.urls.urlpatterns, path("schedule/", include("calendarEditor.urls.records"))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def needs_type(name):
    return pytest.mark.skipif(
        name not in catalogue.BY_NAME,
        reason=f"needs the catalogue type '{name}' (proposed in the records report)",
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_DELIVER_IN_BACKGROUND = False
    return tmp_path


def report(machine, by, severity="down", description="Compressor stopped\nNo cooling at all"):
    return equipment_issues.report_issue(
        machine, {"severity": severity, "description": description}, by=by
    )


def kinds_for(user):
    """The issue notices ``user`` got (queue notices from setting up entries are left out)."""
    rows = Notification.objects.filter(recipient=user, kind__contains="issue")
    return sorted(rows.values_list("kind", flat=True))


def test_a_member_reports_a_problem(alice, hidalgo):
    issue = report(hidalgo, alice)
    assert (issue.machine, issue.machine_name) == (hidalgo, "Hidalgo")
    assert (issue.reporter, issue.reporter_name) == (alice, "Alice Tester")
    assert (issue.status, issue.severity) == ("open", "down")
    assert issue.summary == "Compressor stopped"
    assert AuditEvent.objects.filter(action="issue_reported", machine=hidalgo).exists()


def test_a_report_tells_staff_and_the_members_queued_on_that_machine(
    alice, bob, sam, hidalgo, griffin, django_user_model
):
    queue.enqueue(entry_request("On Hidalgo", field_x=1), member=bob, by=bob)
    carol = django_user_model.objects.create_user("carol", "carol@lab.example", "x" * 12)
    carol.profile.approval_status = "approved"
    carol.profile.save()
    queue.enqueue(entry_request("On Griffin", optical=True), member=carol, by=carol)
    report(hidalgo, alice)
    assert kinds_for(sam) == ["staff_issue_reported"]
    assert kinds_for(bob) == ["issue_reported"]
    assert kinds_for(carol) == []
    assert kinds_for(alice) == []
    note = Notification.objects.get(recipient=bob, kind="issue_reported")
    assert "Compressor stopped" in note.message
    assert note.link == f"/schedule/issues/{EquipmentIssue.objects.get().pk}/"


def test_bad_reports_change_nothing(alice, charlie, hidalgo):
    with pytest.raises(IssueError):
        report(hidalgo, alice, severity="catastrophic")
    with pytest.raises(IssueError):
        report(hidalgo, alice, description="   ")
    with pytest.raises(PermissionDenied):
        report(hidalgo, charlie)
    assert not EquipmentIssue.objects.exists()


def test_a_photo_is_stored_under_a_server_chosen_name(alice, hidalgo, media):
    photo = uploads.check_file(SimpleUploadedFile("../../me.png", PNG), uploads.IMAGE_TYPES)
    issue = equipment_issues.report_issue(
        hidalgo, {"severity": "info", "description": "Scratched window"}, photo, by=alice
    )
    assert re.fullmatch(r"issues/\d{4}/\d{2}/[0-9a-f]{32}", issue.photo.name)
    assert (issue.photo_name, issue.photo_content_type) == ("me.png", "image/png")
    assert (media / issue.photo.name).read_bytes() == PNG


def test_only_staff_acknowledge_and_resolve(alice, bob, hidalgo):
    issue = report(hidalgo, alice)
    for member in (alice, bob):
        with pytest.raises(PermissionDenied):
            equipment_issues.acknowledge(issue, by=member)
        with pytest.raises(PermissionDenied):
            equipment_issues.resolve(issue, by=member)
    issue.refresh_from_db()
    assert issue.status == "open"


def test_staff_acknowledge_with_an_estimated_fix_and_can_change_it(alice, sam, hidalgo):
    issue = report(hidalgo, alice)
    fix = timezone.now() + timedelta(hours=6)
    issue = equipment_issues.acknowledge(issue, by=sam, estimated_fix_at=fix)
    assert (issue.status, issue.estimated_fix_at, issue.acknowledged_by) == (
        "acknowledged",
        fix,
        sam,
    )
    first = issue.acknowledged_at
    later = fix + timedelta(hours=3)
    issue = equipment_issues.acknowledge(issue, by=sam, estimated_fix_at=later)
    assert (issue.estimated_fix_at, issue.acknowledged_at) == (later, first)


def test_staff_resolve_and_the_reporter_and_queued_members_are_told(alice, bob, sam, hidalgo):
    queue.enqueue(entry_request("Waiting"), member=bob, by=bob)
    issue = report(hidalgo, alice)
    issue = equipment_issues.resolve(issue, by=sam, note="Replaced the compressor")
    assert (issue.status, issue.resolved_by, issue.resolution_note) == (
        "resolved",
        sam,
        "Replaced the compressor",
    )
    assert issue.resolved_at is not None
    assert "issue_resolved" in kinds_for(alice)
    # The resolution replaces bob's unread "problem reported" notice about the same issue.
    current = Notification.objects.filter(
        recipient=bob, superseded_at__isnull=True, kind__contains="issue"
    )
    assert [n.kind for n in current] == ["issue_resolved"]
    assert "Replaced the compressor" in current[0].message
    with pytest.raises(IssueError, match="already resolved"):
        equipment_issues.resolve(issue, by=sam)
    with pytest.raises(IssueError, match="already resolved"):
        equipment_issues.acknowledge(issue, by=sam)


@needs_type("issue_acknowledged")
def test_acknowledging_tells_the_reporter_and_queued_members(alice, bob, sam, hidalgo):
    queue.enqueue(entry_request("Waiting"), member=bob, by=bob)
    issue = report(hidalgo, alice)
    equipment_issues.acknowledge(issue, by=sam, estimated_fix_at=timezone.now() + timedelta(1))
    assert "issue_acknowledged" in kinds_for(alice)
    assert "issue_acknowledged" in kinds_for(bob)


@needs_type("issue_commented")
def test_a_staff_comment_tells_the_reporter(alice, sam, hidalgo):
    issue = report(hidalgo, alice)
    equipment_issues.add_comment(issue, "Ordered the part", by=sam)
    assert "issue_commented" in kinds_for(alice)


def test_the_reporter_and_staff_comment_but_no_one_else(alice, bob, sam, hidalgo):
    issue = report(hidalgo, alice)
    equipment_issues.add_comment(issue, "It also smells of burnt oil", by=alice)
    equipment_issues.add_comment(issue, "Ordered the part", by=sam)
    with pytest.raises(PermissionDenied):
        equipment_issues.add_comment(issue, "Me too", by=bob)
    with pytest.raises(IssueError):
        equipment_issues.add_comment(issue, "  ", by=alice)
    comments = list(issue.comments.all())
    assert [(c.author_name, c.author_is_staff) for c in comments] == [
        ("Alice Tester", False),
        ("Sam Tester", True),
    ]


def test_attention_lists_machines_with_an_open_down_issue(
    alice, sam, hidalgo, griffin, make_machine, django_assert_num_queries
):
    quiet = make_machine("Quiet")
    first = report(hidalgo, alice)
    report(hidalgo, alice, description="Second problem")
    report(griffin, alice, severity="degraded")
    fixed = report(quiet, alice)
    equipment_issues.resolve(fixed, by=sam)
    fix = timezone.now() + timedelta(hours=5)
    equipment_issues.acknowledge(first, by=sam, estimated_fix_at=fix)
    with django_assert_num_queries(1):
        attention = equipment_issues.attention_by_machine([hidalgo.pk, griffin.pk, quiet.pk])
    assert set(attention) == {hidalgo.pk}
    summary = attention[hidalgo.pk]
    assert (summary.count, summary.issue_id, summary.estimated_fix_at) == (2, first.pk, fix)
    with django_assert_num_queries(0):
        assert equipment_issues.attention_by_machine([]) == {}


def test_issue_history_survives_deleting_the_machine_and_the_reporter(alice, sam, hidalgo):
    issue = report(hidalgo, alice)
    IssueComment.objects.create(issue=issue, author=alice, author_name="Alice", body="More")
    hidalgo.delete()
    alice.delete()
    issue.refresh_from_db()
    assert (issue.machine, issue.reporter) == (None, None)
    assert (issue.machine_name, issue.reporter_name) == ("Hidalgo", "Alice Tester")
    equipment_issues.resolve(issue, by=sam)  # still triaged without its machine


def test_the_list_filters(alice, hidalgo, griffin, sam):
    down = report(hidalgo, alice)
    info = report(griffin, alice, severity="info")
    done = report(griffin, alice, severity="degraded")
    equipment_issues.resolve(done, by=sam)
    assert set(equipment_issues.issue_list()) == {down, info}
    assert set(equipment_issues.issue_list(status="all")) == {down, info, done}
    assert list(equipment_issues.issue_list(status="resolved")) == [done]
    assert list(equipment_issues.issue_list(machine_id=griffin.pk)) == [info]
    assert list(equipment_issues.issue_list(severity="down")) == [down]
