"""The equipment issue summary e-mailed to lab managers (`manage.py send_issue_summary`).

It lists every issue still open, whatever its age (each with machine, status,
severity and how long it has been open, new ones marked), and with
``include_closed`` also the issues resolved within the lookback window.

Who receives it: active lab managers who switched the "staff_issue_summary"
type on by email on their notification preferences (it is off by default), and
ISSUE_SUMMARY_RECIPIENT (one address or several, comma-separated) when set.
Each address gets its own message, so recipients never see each other. The
scheduled-work runner calls ``send_issue_summary()`` once a day; with no issue
to report nothing is sent.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.timesince import timesince

from calendarEditor.models import (
    OPEN_ISSUE_STATUSES,
    EquipmentIssue,
    IssueStatus,
    NotificationPreference,
)

OPT_IN_KIND = "staff_issue_summary"
DEFAULT_LOOKBACK_HOURS = 24


@dataclass(frozen=True)
class SummaryLine:
    issue: EquipmentIssue
    open_for: str  # "3 days, 4 hours": until now, or until it was resolved
    is_new: bool  # reported within the lookback window


@dataclass(frozen=True)
class SummaryResult:
    lines: list[SummaryLine]
    recipients: list[str]
    sent: int  # messages handed to the mail backend


def summary_lines(
    *,
    now: datetime | None = None,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    include_closed: bool = False,
) -> list[SummaryLine]:
    """The issues to report, "down" first, then oldest first (one query)."""
    now = now or timezone.now()
    since = now - timedelta(hours=lookback_hours)
    wanted = Q(status__in=OPEN_ISSUE_STATUSES, created_at__lte=now)
    if include_closed:
        wanted |= Q(status=IssueStatus.RESOLVED, resolved_at__gte=since, resolved_at__lte=now)
    severity_rank = {"down": 0, "degraded": 1, "info": 2}
    issues = sorted(
        EquipmentIssue.objects.filter(wanted),
        key=lambda issue: (severity_rank.get(issue.severity, 3), issue.created_at, issue.pk),
    )
    return [
        SummaryLine(
            issue=issue,
            # timesince joins with no-break spaces; mail clients show plain ones better.
            open_for=timesince(issue.created_at, issue.resolved_at or now).replace("\xa0", " "),
            is_new=issue.created_at >= since,
        )
        for issue in issues
    ]


def recipients() -> list[str]:
    """Opted-in lab managers' addresses, then ISSUE_SUMMARY_RECIPIENT's, without repeats."""
    opted = NotificationPreference.objects.filter(kind=OPT_IN_KIND, email=True).values("user_id")
    staff = (
        get_user_model()
        .objects.filter(pk__in=opted, is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    extra = str(getattr(settings, "ISSUE_SUMMARY_RECIPIENT", "") or "")
    addresses = [*staff, *(part.strip() for part in extra.split(","))]
    return list(dict.fromkeys(address for address in addresses if address))


def render_summary(
    lines: list[SummaryLine], *, lookback_hours: int, include_closed: bool
) -> tuple[str, str]:
    """The subject and plain-text body."""
    open_count = sum(1 for line in lines if line.issue.is_open)
    subject = f"[{settings.LAB_NAME}] Equipment issues: {open_count} open"
    body = render_to_string(
        "records/emails/issue_summary.txt",
        {
            "lines": lines,
            "open_count": open_count,
            "lookback_hours": lookback_hours,
            "include_closed": include_closed,
            "base_url": str(getattr(settings, "BASE_URL", "")).rstrip("/"),
            "lab_name": settings.LAB_NAME,
        },
    )
    return subject, body


def send_issue_summary(
    *,
    now: datetime | None = None,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
    include_closed: bool = False,
    dry_run: bool = False,
) -> SummaryResult:
    """E-mail the summary; returns what was (or, with ``dry_run``, would be) sent."""
    if lookback_hours < 1:
        raise ValueError("lookback_hours must be at least 1")
    lines = summary_lines(now=now, lookback_hours=lookback_hours, include_closed=include_closed)
    addresses = recipients()
    if not lines or not addresses or dry_run:
        return SummaryResult(lines, addresses, 0)
    subject, body = render_summary(
        lines, lookback_hours=lookback_hours, include_closed=include_closed
    )
    messages = [EmailMessage(subject, body, None, [address]) for address in addresses]
    with get_connection() as connection:
        sent = connection.send_messages(messages) or 0
    return SummaryResult(lines, addresses, sent)
