"""Fair use: how many active entries (queued + running) one member may hold.

``QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER`` (default 3; 0 = no limit) is the
lab-wide limit; a machine's ``max_active_entries_per_member``, when set,
replaces it for entries added to that machine (0 there = no limit). The count
is always the member's active entries on every machine.

The queue engine holds per-machine locks, so two submits by one member to two
machines would not see each other. ``lock_member`` serialises a member's
submits on their profile row; the engine takes it first, before any machine
lock (account changes take the profile lock and no machine lock, so the order
cannot deadlock), and counts the member's entries afterwards, when every
earlier submit of theirs has committed. Lab managers adding entries, for
themselves or for a member, are not limited: placing one is their decision.
"""

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from calendarEditor.models import ACTIVE_STATUSES, EntryStatus, Machine, QueueEntry
from calendarEditor.services.errors import QueueError
from userRegistration.models import ApprovalStatus, UserProfile

DEFAULT_LIMIT = 3
# Enough to name what counts without a wall of text.
_LISTED = 6


class FairUseLimitReached(QueueError):
    """The member already holds as many active entries as the target machine allows."""

    def __init__(self, message: str, *, limit: int, active: Sequence[QueueEntry]) -> None:
        super().__init__(message)
        self.limit = limit
        self.active = list(active)


def global_limit() -> int:
    value = getattr(settings, "QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER", DEFAULT_LIMIT)
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER must be a whole number, not {value!r}."
        ) from None
    if limit < 0:
        raise ImproperlyConfigured("QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER must be 0 or more.")
    return limit


def limit_for(machine: Machine) -> int:
    """The limit for entries added to ``machine``; 0 means none."""
    override = machine.max_active_entries_per_member
    return global_limit() if override is None else override


def applies_to(by: AbstractBaseUser) -> bool:
    return not by.is_staff


def lock_member(member: AbstractBaseUser) -> None:
    """Serialise this member's submits until the transaction ends (one query).

    The locked row also answers whether the member is still approved: an
    account suspended a moment ago queues nothing.
    """
    status = (
        UserProfile.objects.select_for_update()
        .filter(user_id=member.pk)
        .values_list("approval_status", flat=True)
        .first()
    )
    if status != ApprovalStatus.APPROVED and not member.is_staff:
        raise PermissionDenied("This account is not approved to use the queue.")


def enforce(member: AbstractBaseUser, machine: Machine, active_count: int) -> None:
    """Refuse a new entry on ``machine`` when the member holds the limit already.

    ``active_count`` must have been read after ``lock_member``; the entries are
    only listed (one more query) when the answer is no.
    """
    limit = limit_for(machine)
    if limit and active_count >= limit:
        active = active_entries(member)
        raise FairUseLimitReached(refusal_message(active, limit), limit=limit, active=active)


def active_entries(member: AbstractBaseUser) -> list[QueueEntry]:
    """The member's running entries first, then the queued ones by submission."""
    entries = QueueEntry.objects.filter(member=member, status__in=ACTIVE_STATUSES).only(
        "title", "machine_name", "position", "status", "submitted_at"
    )
    return sorted(entries, key=lambda e: (e.status != EntryStatus.RUNNING, e.submitted_at))


def refusal_message(active: Sequence[QueueEntry], limit: int) -> str:
    count = len(active)
    noun = "entry" if count == 1 else "entries"
    named = ", ".join(_describe(entry) for entry in active[:_LISTED])
    if count > _LISTED:
        named += f" and {count - _LISTED} more"
    return (
        f"You already have {count} active {noun}: {named}. "
        f"The limit is {limit}; cancel one or wait for a run to finish before adding another."
    )


def _describe(entry: QueueEntry) -> str:
    where = f"#{entry.position}" if entry.status == EntryStatus.QUEUED else "running"
    return f"'{entry.title}' on {entry.machine_name} ({where})"
