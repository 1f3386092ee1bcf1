"""Once-a-day work: the staff daily summary and the equipment issue summary e-mail.

Each is sent once per daily window (from DAILY_SUMMARY_TIME, lab time, to the
next), however often the runner runs: the sender claims the window on the
job's JobState row with a conditional UPDATE. The in-app summary is claimed
in the same transaction as its notices, so a failure leaves it due; the
e-mail cannot be taken back, so its claim is released only if sending fails.
"""

from datetime import datetime, timedelta
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from calendarEditor.models import (
    UNAVAILABLE_STATUSES,
    Delivery,
    DeliveryState,
    EntryStatus,
    JobState,
    QueueEntry,
)
from calendarEditor.services import equipment_issues, issue_summary, schedule
from calendarEditor.services.due import config
from calendarEditor.services.due.reminders import gated, holding, local
from calendarEditor.services.due.runner import Action, Context, ensure_states
from calendarEditor.services.notifications import notify
from calendarEditor.services.notifications.outbox import display_name
from calendarEditor.services.queue.holds import hold_has_expired

DAILY_SUMMARY = "staff_daily_summary"
ISSUE_SUMMARY = "issue_summary"
LISTED = 5  # entries named per section; the rest are counted


def daily_summary(ctx: Context) -> list[Action]:
    if not window_open(DAILY_SUMMARY, ctx.now):
        return []
    text = summary_text(ctx)
    first = text.splitlines()[0]
    description = f"send the daily summary to lab managers ({first})"
    return [gated(ctx, DAILY_SUMMARY, description, partial(_send_daily, ctx, text))]


def issue_summary_email(ctx: Context) -> list[Action]:
    if not window_open(ISSUE_SUMMARY, ctx.now):
        return []
    preview = issue_summary.send_issue_summary(now=ctx.now, dry_run=True)
    if not preview.lines or not preview.recipients:
        return []
    description = (
        f"e-mail the equipment issue summary ({len(preview.lines)} issues) "
        f"to {len(preview.recipients)} recipient(s)"
    )
    return [gated(ctx, "staff_issue_summary", description, partial(_send_issues, ctx))]


def window_open(name: str, now: datetime) -> bool:
    """This window's once-a-day work is not claimed yet."""
    window = config.daily_window_start(now)
    claimed = JobState.objects.filter(name=name, window_started_at__gte=window).exists()
    return not claimed


def claim_window(name: str, now: datetime) -> tuple[bool, datetime | None]:
    """Claim this window for ``name``: (claimed, the window claimed before, for an undo)."""
    ensure_states([name])
    window = config.daily_window_start(now)
    previous = (
        JobState.objects.filter(name=name).values_list("window_started_at", flat=True).first()
    )
    earlier = Q(window_started_at__isnull=True) | Q(window_started_at__lt=window)
    claimed = JobState.objects.filter(earlier, name=name).update(window_started_at=window) == 1
    return claimed, previous


def summary_text(ctx: Context) -> str:
    """The daily summary as plain lines: attention, queues, long waits, holds, deliveries."""
    summaries = schedule.summarize_machines(now=ctx.now)
    return "\n".join(
        [
            *_attention(summaries),
            _queues(summaries),
            *_long_waits(ctx.now),
            *_holds_past(ctx),
            _deliveries(ctx.now),
        ]
    )


def _attention(summaries: list[schedule.MachineSummary]) -> list[str]:
    issues = equipment_issues.attention_by_machine([s.machine.pk for s in summaries])
    lines = []
    for summary in summaries:
        machine, reasons = summary.machine, []
        issue = issues.get(machine.pk)
        if issue is not None:
            reasons.append(f"{issue.count} open “down” issue(s) since {local(issue.since)}")
        if machine.status in UNAVAILABLE_STATUSES:
            reasons.append(machine.get_status_display().lower())
        if not machine.accepts_entries:
            reasons.append("queue closed")
        if reasons:
            lines.append(f"- {machine.name}: {'; '.join(reasons)}")
    head = (
        f"Machines needing attention: {len(lines)}" if lines else "Machines needing attention: none"
    )
    return [head, *lines]


def _queues(summaries: list[schedule.MachineSummary]) -> str:
    parts = [
        f"{s.machine.name} {s.queue_length}{' + 1 running' if s.running else ''}" for s in summaries
    ]
    return "Queue lengths: " + (", ".join(parts) if parts else "no machines")


def _long_waits(now: datetime) -> list[str]:
    days = config.whole("DAILY_SUMMARY_WAITING_DAYS", minimum=1)
    waiting = QueueEntry.objects.filter(
        status=EntryStatus.QUEUED, submitted_at__lt=now - timedelta(days=days)
    ).order_by("submitted_at", "pk")
    count = waiting.count()
    lines = [f"Waiting longer than {days} days: {count}"]
    for entry in waiting[:LISTED]:
        lines.append(
            f"- “{entry.title}” ({entry.member_name}, {entry.machine_name} #{entry.position}, "
            f"since {local(entry.submitted_at)})"
        )
    return lines


def _holds_past(ctx: Context) -> list[str]:
    past = [e for e in holding(ctx) if hold_has_expired(e, e.machine, ctx.now)]
    lines = [f"On hold past their time: {len(past)}"]
    for entry in past[:LISTED]:
        lines.append(
            f"- {display_name(entry.member)}: “{entry.title}” on {entry.machine.name}, "
            f"free for them since {local(entry.on_deck_since)}"
        )
    return lines


def _deliveries(now: datetime) -> str:
    recent = Delivery.objects.filter(created_at__gte=now - timedelta(days=1))
    given_up = recent.filter(state=DeliveryState.PERMANENT_FAILURE).count()
    retrying = Delivery.objects.filter(state=DeliveryState.FAILED).count()
    return f"Failed deliveries: {given_up} gave up in the last 24 h, {retrying} still retrying"


def _send_daily(ctx: Context, text: str) -> bool:
    with transaction.atomic():
        claimed, _previous = claim_window(DAILY_SUMMARY, ctx.now)
        if not claimed:
            return False
        staff = get_user_model().objects.filter(is_staff=True, is_active=True)
        date = f"{config.daily_window_start(ctx.now).astimezone(config.lab_zone()):%a %d %b %Y}"
        notify(
            DAILY_SUMMARY,
            list(staff.values_list("pk", flat=True)),
            context={"date": date, "summary": text},
        )
        return True


def _send_issues(ctx: Context) -> bool:
    with transaction.atomic():
        claimed, previous = claim_window(ISSUE_SUMMARY, ctx.now)
    if not claimed:
        return False
    try:
        issue_summary.send_issue_summary(now=ctx.now)
    except Exception:
        # Unclaim, so the next run tries again within this window.
        JobState.objects.filter(name=ISSUE_SUMMARY).update(window_started_at=previous)
        raise
    return True
