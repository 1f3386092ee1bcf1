"""Equipment issues: members report a problem on a machine; lab managers triage it.

Who may do what: any approved member reports an issue and reads every issue
(a broken fridge concerns everyone queued on it); the reporter and lab managers
comment; only lab managers acknowledge (with an estimated fix time) and resolve.
The reporter and the members with an active entry on the machine are told of
each step through the notification catalogue; lab managers of each new report.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from calendarEditor.models import (
    ACTIVE_STATUSES,
    OPEN_ISSUE_STATUSES,
    EquipmentIssue,
    IssueComment,
    IssueSeverity,
    IssueStatus,
    Machine,
    QueueEntry,
)
from calendarEditor.services import audit, uploads
from calendarEditor.services.notifications import catalogue, notify
from calendarEditor.services.notifications.outbox import display_name
from calendarEditor.templatetags.queue_tags import start_time
from userRegistration.models import is_approved_member

# Proposed catalogue types (see the records report); sent once the catalogue has them.
ISSUE_ACKNOWLEDGED = "issue_acknowledged"
ISSUE_COMMENTED = "issue_commented"
STATUS_FILTERS = ("open", "all", *IssueStatus.values)


class IssueError(Exception):
    """An issue change that cannot happen; the message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssueSummary:
    """Why a machine needs attention: its open "down" issues."""

    machine_id: int
    issue_id: int  # the oldest of them
    count: int
    since: datetime
    estimated_fix_at: datetime | None  # the latest estimate staff gave, if any


def can_comment(user: Any, issue: EquipmentIssue) -> bool:
    return bool(user.is_staff) or (issue.reporter_id is not None and issue.reporter_id == user.pk)


def attention_by_machine(machine_ids: Iterable[int]) -> dict[int, IssueSummary]:
    """Machines with an open "down" issue, by machine id (one query; none for no ids)."""
    ids = list(machine_ids)
    if not ids:
        return {}
    rows = (
        EquipmentIssue.objects.filter(
            machine_id__in=ids, severity=IssueSeverity.DOWN, status__in=OPEN_ISSUE_STATUSES
        )
        .values("machine_id")
        .annotate(
            first=Min("id"), count=Count("id"), since=Min("created_at"), fix=Max("estimated_fix_at")
        )
        .order_by()
    )
    return {
        row["machine_id"]: IssueSummary(
            row["machine_id"], row["first"], row["count"], row["since"], row["fix"]
        )
        for row in rows
    }


def issue_list(
    *, status: str = "open", machine_id: int | None = None, severity: str = ""
) -> QuerySet[EquipmentIssue]:
    """Issues, newest first, with ``comment_count`` (one query)."""
    rows = EquipmentIssue.objects.all()
    if status == "open":
        rows = rows.filter(status__in=OPEN_ISSUE_STATUSES)
    elif status in IssueStatus.values:
        rows = rows.filter(status=status)
    if machine_id:
        rows = rows.filter(machine_id=machine_id)
    if severity:
        rows = rows.filter(severity=severity)
    return rows.annotate(comment_count=Count("comments")).order_by("-created_at", "-pk")


def report_issue(
    machine: Machine,
    values: Mapping[str, Any],
    photo: uploads.CheckedUpload | None = None,
    *,
    by: Any,
) -> EquipmentIssue:
    severity, description = _checked_report(values, by)
    issue = EquipmentIssue(
        machine=machine,
        machine_name=machine.name,
        reporter=by,
        reporter_name=display_name(by),
        severity=severity,
        description=description,
    )
    if photo is not None:
        photo.upload.seek(0)
        issue.photo.save("photo", photo.upload, save=False)
        issue.photo_name, issue.photo_content_type = photo.name, photo.file_type.content_type
    try:
        with transaction.atomic():
            issue.save()
            audit.record(
                "issue_reported",
                actor=by,
                summary=f"Reported ({severity}) on {machine.name}: {issue.summary}"[:300],
                machine=machine,
            )
            _tell_new_report(issue, by)
    except BaseException:
        if issue.photo:
            issue.photo.storage.delete(issue.photo.name)
        raise
    return issue


def _checked_report(values: Mapping[str, Any], by: Any) -> tuple[str, str]:
    if not is_approved_member(by):
        raise PermissionDenied("Only approved members can report problems.")
    severity, description = values.get("severity"), str(values.get("description", "")).strip()
    if severity not in IssueSeverity.values:
        raise IssueError("Choose how bad the problem is.")
    if not description:
        raise IssueError("Describe the problem.")
    return str(severity), description


def acknowledge(
    issue: EquipmentIssue, *, by: Any, estimated_fix_at: datetime | None = None
) -> EquipmentIssue:
    """Mark the issue seen by a lab manager; again later to change the estimated fix time."""
    with transaction.atomic():
        locked = _locked_for_staff(issue, by)
        locked.status = IssueStatus.ACKNOWLEDGED
        locked.estimated_fix_at = estimated_fix_at
        locked.acknowledged_at = locked.acknowledged_at or timezone.now()
        locked.acknowledged_by = locked.acknowledged_by or by
        locked.save()
        fix = f" (fix expected {start_time(estimated_fix_at)})" if estimated_fix_at else ""
        _audit("issue_acknowledged", locked, by, f"Acknowledged on {locked.machine_name}{fix}")
        context = {"fix_at": start_time(estimated_fix_at) if estimated_fix_at else ""}
        _tell(ISSUE_ACKNOWLEDGED, locked, by, context)
    return locked


def resolve(issue: EquipmentIssue, *, by: Any, note: str = "") -> EquipmentIssue:
    with transaction.atomic():
        locked = _locked_for_staff(issue, by)
        locked.status = IssueStatus.RESOLVED
        locked.resolved_at, locked.resolved_by = timezone.now(), by
        locked.resolution_note = note.strip()
        locked.save()
        _audit("issue_resolved", locked, by, f"Resolved on {locked.machine_name}", note.strip())
        _tell("issue_resolved", locked, by, {"note": locked.resolution_note})
    return locked


def add_comment(issue: EquipmentIssue, body: str, *, by: Any) -> IssueComment:
    if not can_comment(by, issue):
        raise PermissionDenied("Only the reporter and lab managers comment on an issue.")
    text = body.strip()
    if not text:
        raise IssueError("Write a comment first.")
    with transaction.atomic():
        comment = IssueComment.objects.create(
            issue=issue,
            author=by,
            author_name=display_name(by),
            author_is_staff=bool(by.is_staff),
            body=text,
        )
        people = {issue.reporter_id, issue.acknowledged_by_id} - {None, by.pk}
        _notify_if_catalogued(ISSUE_COMMENTED, people, issue, by, {"note": text[:300]})
    return comment


def _locked_for_staff(issue: EquipmentIssue, by: Any) -> EquipmentIssue:
    if not by.is_staff:
        raise PermissionDenied("Only lab managers acknowledge or resolve issues.")
    locked = EquipmentIssue.objects.select_for_update().get(pk=issue.pk)
    if locked.status == IssueStatus.RESOLVED:
        raise IssueError("This issue is already resolved.")
    return locked


def _audit(action: str, issue: EquipmentIssue, by: Any, summary: str, reason: str = "") -> None:
    audit.record(
        action,
        actor=by,
        summary=f"{summary}: {issue.summary}"[:300],
        machine=issue.machine,
        reason=reason,
        details={"issue": issue.pk, "severity": issue.severity},
    )


def _members_on(issue: EquipmentIssue) -> set[int]:
    if issue.machine_id is None:
        return set()
    rows = QueueEntry.objects.filter(
        machine_id=issue.machine_id, status__in=ACTIVE_STATUSES, member__isnull=False
    ).values_list("member_id", flat=True)
    return set(rows)


def _context(issue: EquipmentIssue) -> dict[str, Any]:
    return {
        "machine": issue.machine_name,
        "summary": issue.summary,
        "severity": issue.severity,
        "subject": f"i{issue.pk}",
    }


def _tell_new_report(issue: EquipmentIssue, by: Any) -> None:
    members = _members_on(issue) - {by.pk}
    if members:
        _notify_if_catalogued("issue_reported", members, issue, by, {})
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(pk=by.pk)
    _notify_if_catalogued("staff_issue_reported", staff, issue, by, {"member": display_name(by)})


def _tell(kind: str, issue: EquipmentIssue, by: Any, extra: Mapping[str, Any]) -> None:
    people = (_members_on(issue) | {issue.reporter_id}) - {None, by.pk}
    if people:
        _notify_if_catalogued(kind, people, issue, by, extra)


def _notify_if_catalogued(
    kind: str, recipients: Iterable[Any], issue: EquipmentIssue, by: Any, extra: Mapping[str, Any]
) -> None:
    if kind not in catalogue.BY_NAME:
        return  # a proposed type the catalogue does not have yet
    notify(
        kind,
        recipients,
        machine=issue.machine,
        context={**_context(issue), **extra},
        actor=by,
        link=issue.get_absolute_url(),
    )
