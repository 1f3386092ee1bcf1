"""Reminders: check in (ON DECK on a free machine), hold expired, check out, still using it?

Each reminder claims its entry first: a conditional UPDATE of the entry's
bookkeeping field, matching the values the plan read (the same hold, the
same run, the same snooze). The claim and the notice share one transaction,
so a failed notice leaves the reminder due for the next run, and of two
runners only the one whose UPDATE matched sends. Non-critical notices wait
through the quiet hours (the catalogue's ``critical`` flag decides).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from calendarEditor.models import EntryStatus, MachineStatus, Notification, QueueEntry
from calendarEditor.services.due import config
from calendarEditor.services.due.runner import Action, Context
from calendarEditor.services.notifications import catalogue, notify
from calendarEditor.services.notifications.outbox import display_name
from calendarEditor.services.queue.holds import hold_ends
from calendarEditor.templatetags.queue_tags import start_time


def check_in_reminders(ctx: Context) -> list[Action]:
    """#1 on a free machine, not checked in: every CHECK_IN_REMINDER_HOURS since the hold began."""
    repeat = timedelta(hours=config.hours("CHECK_IN_REMINDER_HOURS"))
    actions = []
    for entry in holding(ctx):
        last = _latest(entry.on_deck_since, entry.last_check_in_reminder_at)
        # The "hold expired" notice about to go out nudges them to check in as well.
        if ctx.now >= last + repeat and not _hold_notice_due(entry, ctx.now):
            text = (
                f"check-in reminder to {_who(entry)} for “{entry.title}” on "
                f"{entry.machine.name} (free for them since {local(entry.on_deck_since)})"
            )
            actions.append(
                gated(ctx, "check_in_reminder", text, partial(_check_in, entry, ctx.now))
            )
    return actions


def hold_expiry(ctx: Context) -> list[Action]:
    """Past the ON DECK hold: the member is told once, and lab managers are alerted once."""
    actions = []
    for entry in holding(ctx):
        ends = hold_ends(entry, entry.machine)
        if ends is None or ctx.now < ends:
            continue
        where = (
            f"{_who(entry)}'s hold on {entry.machine.name} (“{entry.title}”) ended {local(ends)}"
        )
        if not _since(entry.hold_expired_notified_at, entry.on_deck_since):
            tell = partial(_hold_expired, entry, ctx.now)
            actions.append(gated(ctx, "hold_expired", f"tell the member: {where}", tell))
        if not _since(entry.hold_expired_staff_alerted_at, entry.on_deck_since):
            alert = partial(_staff_hold_expired, entry, ctx.now)
            actions.append(gated(ctx, "staff_hold_expired", f"alert lab managers: {where}", alert))
    return actions


def check_out_reminders(ctx: Context) -> list[Action]:
    """Running past its estimated end (or a fixed delay): then every N hours, unless snoozed."""
    after = config.optional_hours("CHECK_OUT_REMINDER_AFTER_HOURS")
    repeat = timedelta(hours=config.hours("CHECK_OUT_REMINDER_REPEAT_HOURS"))
    actions = []
    for entry in running(ctx):
        due = check_out_due(entry, after, repeat, ctx.now)
        if due is not None and ctx.now >= due:
            text = (
                f"check-out reminder to {_who(entry)} for “{entry.title}” on "
                f"{entry.machine.name} (expected to end {local(_expected_end(entry))})"
            )
            actions.append(
                gated(ctx, "check_out_reminder", text, partial(_check_out, entry, ctx.now))
            )
    return actions


def still_in_use(ctx: Context) -> list[Action]:
    """Long runs, before check-out reminders begin: "still using it?" every STILL_IN_USE_HOURS."""
    every = config.hours("STILL_IN_USE_HOURS", allow_zero=True)
    if not every:
        return []
    after = config.optional_hours("CHECK_OUT_REMINDER_AFTER_HOURS")
    actions = []
    for entry in running(ctx):
        if _snoozed(entry, ctx.now) or ctx.now >= first_check_out_due(entry, after):
            continue
        last = entry.last_still_in_use_at
        since = last if _since(last, entry.started_at) else entry.started_at
        if ctx.now >= since + timedelta(hours=every):
            text = (
                f"ask {_who(entry)} whether they still use {entry.machine.name} (“{entry.title}”)"
            )
            actions.append(gated(ctx, "still_in_use", text, partial(_still_in_use, entry, ctx.now)))
    return actions


# --- What each reminder finds, and when it is due --------------------------------


def holding(ctx: Context) -> list[QueueEntry]:
    """ON DECK entries whose machine is free: their hold runs."""
    entries = QueueEntry.objects.filter(
        status=EntryStatus.QUEUED,
        position=1,
        on_deck_since__isnull=False,
        machine__status=MachineStatus.IDLE,
    )
    return list(_for_members(entries, ctx).order_by("on_deck_since", "pk"))


def running(ctx: Context) -> list[QueueEntry]:
    entries = QueueEntry.objects.filter(status=EntryStatus.RUNNING, started_at__isnull=False)
    return list(_for_members(entries, ctx).order_by("started_at", "pk"))


def first_check_out_due(entry: QueueEntry, after_hours: float | None) -> datetime:
    hours = after_hours if after_hours is not None else entry.estimated_hours
    return entry.started_at + timedelta(hours=hours)


def check_out_due(
    entry: QueueEntry, after_hours: float | None, repeat: timedelta, now: datetime
) -> datetime | None:
    """When the next check-out reminder is due; None while snoozed.

    A snooze that ended after the last reminder brings one at its end; otherwise
    reminders follow the first due time, then every ``repeat``.
    """
    if _snoozed(entry, now):
        return None
    first = first_check_out_due(entry, after_hours)
    last = (
        entry.last_check_out_reminder_at
        if _since(entry.last_check_out_reminder_at, entry.started_at)
        else None
    )
    snoozed = entry.check_out_snoozed_until
    if snoozed is not None and (last is None or snoozed > last):
        return max(first, snoozed)
    return first if last is None else max(first, last + repeat)


def gated(ctx: Context, kind: str, text: str, apply: Callable[[], bool]) -> Action:
    """The action, or (in quiet hours, for a non-critical type) a note that it waits."""
    if ctx.quiet and not catalogue.get(kind).critical:
        return Action(text, None)
    return Action(text, apply)


def local(moment: datetime | None) -> str:
    if moment is None:
        return "?"
    return f"{timezone.localtime(moment, config.lab_zone()):%a %d %b %H:%M}"


# --- Claim, then tell -----------------------------------------------------------


def _check_in(entry: QueueEntry, now: datetime) -> bool:
    with transaction.atomic():
        if not _claim(entry, "last_check_in_reminder_at", now, **_same_hold(entry)):
            return False
        context = {"hold_until": start_time(hold_ends(entry, entry.machine))}
        remind("check_in_reminder", entry, context=context)
        return True


def _hold_expired(entry: QueueEntry, now: datetime) -> bool:
    with transaction.atomic():
        # It doubles as a check-in reminder: the next one comes a full interval later.
        if not _claim_once(entry, "hold_expired_notified_at", now, last_check_in_reminder_at=now):
            return False
        remind("hold_expired", entry, context=_since_context(entry))
        return True


def _staff_hold_expired(entry: QueueEntry, now: datetime) -> bool:
    with transaction.atomic():
        if not _claim_once(entry, "hold_expired_staff_alerted_at", now):
            return False
        staff = (
            get_user_model()
            .objects.filter(is_staff=True, is_active=True)
            .values_list("pk", flat=True)
        )
        context = {**_since_context(entry), "member": display_name(entry.member)}
        link = reverse("schedule-staff-queue", args=[entry.machine_id]) + f"#entry-{entry.pk}"
        notify(
            "staff_hold_expired",
            list(staff),
            entry=entry,
            machine=entry.machine,
            context=context,
            link=link,
        )
        return True


def _check_out(entry: QueueEntry, now: datetime) -> bool:
    with transaction.atomic():
        same = {
            **_same_run(entry),
            **_exactly("check_out_snoozed_until", entry.check_out_snoozed_until),
        }
        if not _claim(entry, "last_check_out_reminder_at", now, **same):
            return False
        context = {"expected_end": start_time(_expected_end(entry))}
        remind("check_out_reminder", entry, context=context)
        return True


def _still_in_use(entry: QueueEntry, now: datetime) -> bool:
    with transaction.atomic():
        if not _claim(entry, "last_still_in_use_at", now, **_same_run(entry)):
            return False
        context = {"started": start_time(entry.started_at)}
        remind("still_in_use", entry, context=context)
        return True


def remind(kind: str, entry: QueueEntry, *, context: dict[str, Any]) -> None:
    """Notify the member anew, even when an identical notice sits unread.

    The outbox keeps an identical unread notice instead of writing a second;
    a reminder is meant to nudge again (a new Slack DM), so the unread one it
    repeats is marked superseded first.
    """
    key = catalogue.get(kind).dedupe_key(
        entry_id=entry.pk, machine_id=entry.machine_id, context=context
    )
    if key:
        Notification.objects.filter(
            recipient=entry.member, dedupe_key=key, read_at__isnull=True, superseded_at__isnull=True
        ).update(superseded_at=timezone.now())
    notify(kind, [entry.member], entry=entry, machine=entry.machine, context=context)


def _claim(entry: QueueEntry, field: str, now: datetime, **same: Any) -> bool:
    """Stamp ``field`` only if it (and ``same``) still hold what the plan read."""
    rows = QueueEntry.objects.filter(pk=entry.pk, **same, **_exactly(field, getattr(entry, field)))
    return rows.update(**{field: now}) == 1


def _claim_once(entry: QueueEntry, field: str, now: datetime, **also: datetime) -> bool:
    """Stamp ``field`` (and ``also``) unless it was already stamped during this hold."""
    not_yet = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": entry.on_deck_since})
    rows = QueueEntry.objects.filter(not_yet, pk=entry.pk, **_same_hold(entry))
    return rows.update(**{field: now}, **also) == 1


def _hold_notice_due(entry: QueueEntry, now: datetime) -> bool:
    ends = hold_ends(entry, entry.machine)
    expired = ends is not None and now >= ends
    return expired and not _since(entry.hold_expired_notified_at, entry.on_deck_since)


def _same_hold(entry: QueueEntry) -> dict[str, Any]:
    return {"status": EntryStatus.QUEUED, "position": 1, "on_deck_since": entry.on_deck_since}


def _same_run(entry: QueueEntry) -> dict[str, Any]:
    return {"status": EntryStatus.RUNNING, "started_at": entry.started_at}


def _exactly(field: str, value: object) -> dict[str, Any]:
    return {f"{field}__isnull": True} if value is None else {field: value}


def _for_members(entries: QuerySet[QueueEntry], ctx: Context) -> QuerySet[QueueEntry]:
    entries = entries.filter(member__isnull=False, member__is_active=True, machine__isnull=False)
    if ctx.machine_names is not None:
        entries = entries.filter(machine__name__in=ctx.machine_names)
    return entries.select_related("machine", "member__profile")


def _since_context(entry: QueueEntry) -> dict[str, str]:
    return {"since": start_time(entry.on_deck_since)}


def _expected_end(entry: QueueEntry) -> datetime:
    return entry.started_at + timedelta(hours=entry.estimated_hours)


def _snoozed(entry: QueueEntry, now: datetime) -> bool:
    return entry.check_out_snoozed_until is not None and entry.check_out_snoozed_until > now


def _since(mark: datetime | None, start: datetime | None) -> bool:
    return mark is not None and start is not None and mark >= start


def _latest(*moments: datetime | None) -> datetime:
    return max(moment for moment in moments if moment is not None)


def _who(entry: QueueEntry) -> str:
    return display_name(entry.member) if entry.member else entry.member_name
