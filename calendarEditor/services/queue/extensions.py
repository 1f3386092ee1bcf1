"""Extensions: a running member asks for more time, as compute bookings are extended.

Within the machine's ``auto_extension_hours`` (counted over every automatic
grant for the entry) the extension is granted at once; beyond it, or on a
machine with no allowance, an ExtensionRequest waits for a lab manager, who
grants it or rejects it with a reason. A lab manager extending a run grants it
directly. A grant adds the hours to the entry's estimate under the machine's
lock and emits EXTENDED, so estimates behind it move and the members queued
there are told (calendarEditor.services.notifications.extension_notices).
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.models.extensions import ExtensionRequest, ExtensionStatus
from calendarEditor.services import audit
from calendarEditor.services.errors import QueueError
from calendarEditor.services.events import EventKind
from calendarEditor.services.notifications import notify
from calendarEditor.services.notifications.outbox import display_name, path_to
from calendarEditor.services.queue import _positions as positions
from calendarEditor.services.queue._guards import require_owner_or_staff, require_staff
from calendarEditor.services.queue._locking import MachineQueue, lock_entry
from calendarEditor.services.queue.result import QueueResult, finish
from calendarEditor.templatetags.queue_tags import start_time

# Two weeks: longer than any run the lab books, short enough to catch a typo.
MAX_EXTENSION_HOURS = 336.0
_EPSILON = 1e-9


@dataclass
class ExtensionOutcome:
    extension: ExtensionRequest
    granted: bool  # False: waiting for a lab manager
    result: QueueResult | None = None


def request_extension(
    entry: QueueEntry | int, *, hours: float, reason: str, by: AbstractBaseUser
) -> ExtensionOutcome:
    """Ask to extend a running entry by ``hours``; granted at once within the allowance."""
    hours, reason = _checked(hours), reason.strip()
    if not reason:
        raise QueueError("Say why the run needs longer.")
    with transaction.atomic():
        entry, queues = lock_entry(getattr(entry, "pk", entry))
        require_owner_or_staff(entry, by)
        queue = _running_queue(entry, queues)
        if ExtensionRequest.objects.filter(entry=entry, status=ExtensionStatus.PENDING).exists():
            raise QueueError(f"An extension of {entry.title} is already waiting for review.")
        automatic = not by.is_staff and _within_allowance(entry, queue, hours)
        extension = ExtensionRequest(entry=entry, requested_by=by, hours=hours, reason=reason)
        if by.is_staff or automatic:
            extension.status, extension.automatic = ExtensionStatus.GRANTED, automatic
            extension.reviewed_by, extension.reviewed_at = by, timezone.now()
            extension.save()
            result = _extend(entry, queue, extension, by)
            return ExtensionOutcome(extension, granted=True, result=result)
        extension.save()
        _record(extension, "extension.requested", by, f"{hours:g} h asked for {entry.title}")
        _tell_staff(extension, by)
        return ExtensionOutcome(extension, granted=False)


def approve_extension(
    extension: ExtensionRequest | int, *, by: AbstractBaseUser, note: str = ""
) -> ExtensionOutcome:
    """Grant a pending extension; the run's estimate grows by the hours asked for."""
    require_staff(by)
    with transaction.atomic():
        pending = _pending(extension)
        entry, queues = lock_entry(pending.entry_id)
        queue = _running_queue(entry, queues)
        _claim(pending, ExtensionStatus.GRANTED, by, note)
        return ExtensionOutcome(pending, granted=True, result=_extend(entry, queue, pending, by))


def reject_extension(
    extension: ExtensionRequest | int, *, by: AbstractBaseUser, reason: str
) -> ExtensionRequest:
    """Turn a pending extension down; the member is told why."""
    require_staff(by)
    reason = reason.strip()
    if not reason:
        raise QueueError("Give the member a reason for the rejection.")
    with transaction.atomic():
        pending = _pending(extension)
        _claim(pending, ExtensionStatus.REJECTED, by, reason)
        entry = pending.entry
        _record(pending, "extension.rejected", by, f"Extension of {entry.title} rejected", reason)
        context = {"reason": reason, "expected_end": _expected_end(entry)}
        notify("extension_rejected", [entry.member_id], entry=entry, context=context, actor=by)
        return pending


def pending_extensions() -> list[ExtensionRequest]:
    """Every extension waiting for review, oldest first, with what the staff page shows."""
    return list(
        ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING)
        .select_related("entry", "requested_by")
        .order_by("created_at")
    )


def _checked(hours: float) -> float:
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise QueueError("Give the extra time in hours, e.g. 4.") from None
    if not math.isfinite(hours) or hours <= 0:
        raise QueueError("The extra time must be more than 0 hours.")
    if hours > MAX_EXTENSION_HOURS:
        raise QueueError(f"Ask for at most {MAX_EXTENSION_HOURS:g} hours at a time.")
    return hours


def _running_queue(entry: QueueEntry, queues: dict[int, MachineQueue]) -> MachineQueue:
    queue = queues.get(entry.machine_id)
    if entry.status != EntryStatus.RUNNING or queue is None:
        raise QueueError(f"Only a running entry can be extended; {entry.title} is not running.")
    return queue


def _within_allowance(entry: QueueEntry, queue: MachineQueue, hours: float) -> bool:
    allowance = queue.machine.auto_extension_hours or 0.0
    if allowance <= 0:
        return False
    used = ExtensionRequest.objects.filter(
        entry=entry, status=ExtensionStatus.GRANTED, automatic=True
    ).aggregate(total=Sum("hours"))["total"]
    return (used or 0.0) + hours <= allowance + _EPSILON


def _pending(extension: ExtensionRequest | int) -> ExtensionRequest:
    pk = getattr(extension, "pk", extension)
    found = ExtensionRequest.objects.select_related("entry").filter(pk=pk).first()
    if found is None:
        raise QueueError("That extension request no longer exists.")
    if found.status != ExtensionStatus.PENDING:
        raise QueueError(f"That extension was already {found.get_status_display().lower()}.")
    return found


def _claim(
    extension: ExtensionRequest, status: ExtensionStatus, by: AbstractBaseUser, note: str
) -> None:
    """Decide once: of two lab managers deciding together, the second is refused."""
    now = timezone.now()
    claimed = ExtensionRequest.objects.filter(
        pk=extension.pk, status=ExtensionStatus.PENDING
    ).update(status=status, reviewed_by=by, reviewed_at=now, review_note=note[:2000])
    if claimed != 1:
        raise QueueError("Another lab manager decided on this extension a moment ago.")
    extension.status, extension.reviewed_by, extension.reviewed_at = status, by, now
    extension.review_note = note[:2000]


def _extend(
    entry: QueueEntry, queue: MachineQueue, extension: ExtensionRequest, by: AbstractBaseUser
) -> QueueResult:
    entry.estimated_hours += extension.hours
    entry.save(update_fields=["estimated_hours"])
    how = "automatically" if extension.automatic else f"by {by.get_username()}"
    summary = f"{entry.title} extended by {extension.hours:g} h ({how})"
    _record(extension, "extension.granted", by, summary, extension.review_note)
    if by.pk != entry.member_id:
        context = {
            "hours": f"{extension.hours:g}",
            "note": extension.review_note,
            "expected_end": _expected_end(entry),
        }
        notify("extension_granted", [entry.member_id], entry=entry, context=context, actor=by)
    event = positions.event(EventKind.EXTENDED, entry, queue.machine, by)
    return finish(QueueResult(entry, [event]), queue)


def _expected_end(entry: QueueEntry) -> str:
    if entry.started_at is None:
        return ""
    return start_time(entry.started_at + timedelta(hours=entry.estimated_hours))


def _record(
    extension: ExtensionRequest, action: str, by: AbstractBaseUser, summary: str, reason: str = ""
) -> None:
    entry = extension.entry
    audit.record(
        action,
        actor=by,
        machine=entry.machine,
        entry=entry,
        summary=summary,
        reason=reason or extension.reason,
        details={"hours": extension.hours, "extension": extension.pk},
    )


def _tell_staff(extension: ExtensionRequest, by: AbstractBaseUser) -> None:
    entry = extension.entry
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(pk=by.pk)
    context = {
        "member": display_name(by),
        "hours": f"{extension.hours:g}",
        "reason": extension.reason,
    }
    link = path_to("schedule-staff-extensions")
    notify("extension_requested", staff, entry=entry, context=context, actor=by, link=link)
