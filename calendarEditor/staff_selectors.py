"""Read-only queries behind the lab manager pages.

Each page reads a fixed number of queries and rows however long the queues
are: a machine's queue is read one page at a time, rows come with their
related objects joined, and estimates and compatibility are computed in Python
from rows already loaded.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from calendarEditor.machine_selectors import QueuePager, placed_page
from calendarEditor.models import AuditEvent, EntryStatus, Machine, QueueEntry, RushStatus
from calendarEditor.services import matching, schedule
from userRegistration.models import ApprovalStatus, UserProfile

PENDING_ACCOUNTS_SHOWN = 5
DEFAULT_QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class PendingAccounts:
    count: int
    first: list[UserProfile]


def pending_accounts(limit: int = PENDING_ACCOUNTS_SHOWN) -> PendingAccounts:
    pending = UserProfile.objects.filter(approval_status=ApprovalStatus.PENDING)
    first = list(pending.select_related("user").order_by("created_at", "pk")[:limit])
    return PendingAccounts(count=pending.count(), first=first)


def pending_rush_requests() -> list[QueueEntry]:
    """Queued entries whose rush request waits for review, oldest request first."""
    return list(
        QueueEntry.objects.filter(status=EntryStatus.QUEUED, rush_status=RushStatus.PENDING)
        .select_related("member", "machine")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class StaffRow:
    """One queued entry as the staff queue shows it."""

    placed: schedule.PlacedEntry
    queue_length: int  # of the whole queue, not the page

    @property
    def entry(self) -> QueueEntry:
        return self.placed.entry

    @property
    def is_first(self) -> bool:
        return self.entry.position == 1

    @property
    def is_last(self) -> bool:
        return self.entry.position == self.queue_length


@dataclass(frozen=True)
class StaffQueue:
    """A machine's running entry, its queue's totals, and one page of its queue."""

    machine: Machine
    running: QueueEntry | None
    rows: list[StaffRow]  # this page's entries only
    queue_length: int
    queued_hours: float
    pager: QueuePager

    @property
    def can_start_first(self) -> bool:
        return self.running is None and self.queue_length > 0 and self.machine.status_allows_start

    @property
    def page_query(self) -> str:
        """``?page=N`` for links back to this page; empty on the first page."""
        return f"?page={self.pager.number}" if self.pager.number > 1 else ""


def queue_page_size() -> int:
    return max(1, int(getattr(settings, "STAFF_QUEUE_PAGE_SIZE", DEFAULT_QUEUE_PAGE_SIZE)))


def staff_queue(machine_pk: int, *, page: int = 1, now: datetime | None = None) -> StaffQueue:
    """Page ``page`` (clamped to the queue's pages) of a machine's queue, and its running entry.

    Three queries whatever the queue length or the page: the machine with its
    queue's count and hours, its running entry, and the page's entries with
    their members and the hours queued ahead of them. Reassign targets are
    not read here: each entry's menu loads on its own (``entry_reassign``).
    """
    now = now or timezone.now()
    found = schedule.summarize_machines([Machine(pk=machine_pk)], now=now)
    if not found:
        raise Http404("No such machine.")
    summary = found[0]
    pager = QueuePager.clamped(page, queue_page_size(), summary.queue_length)
    return StaffQueue(
        machine=summary.machine,
        running=summary.running,
        rows=[
            StaffRow(placed, summary.queue_length)
            for placed in placed_page(summary, pager, now, with_members=True)
        ],
        queue_length=summary.queue_length,
        queued_hours=summary.queued_hours,
        pager=pager,
    )


@dataclass(frozen=True)
class ReassignOption:
    machine: Machine
    reasons: tuple[str, ...]  # why the entry does not fit there; empty when it does


@dataclass(frozen=True)
class EntryReassign:
    """One queued entry and every other machine, each with why the entry would not fit."""

    entry: QueueEntry
    options: list[ReassignOption]
    page: int  # the staff queue page that lists the entry, to return to

    @property
    def fitting(self) -> list[ReassignOption]:
        return [option for option in self.options if not option.reasons]

    @property
    def not_fitting(self) -> list[ReassignOption]:
        return [option for option in self.options if option.reasons]


def entry_reassign(machine_pk: int, entry_pk: int) -> EntryReassign:
    """Where an entry queued on machine ``machine_pk`` could go; 404 unless it is queued there.

    Three queries whatever the fleet: the entry, the other machines, and the
    member's training (none when the member is staff or the account is gone),
    so the fit shown is the one ``queue.reassign`` will check.
    """
    entry = get_object_or_404(
        QueueEntry.objects.select_related("member"),
        pk=entry_pk,
        machine_id=machine_pk,
        status=EntryStatus.QUEUED,
    )
    others = list(Machine.objects.exclude(pk=machine_pk).order_by("name"))
    trained = None if entry.member is None else schedule.qualified_machine_ids(entry.member)
    return EntryReassign(
        entry=entry,
        options=_reassign_options(entry, others, trained),
        page=((entry.position or 1) - 1) // queue_page_size() + 1,
    )


def _reassign_options(
    entry: QueueEntry, others: list[Machine], qualified_machine_ids: frozenset[int] | None
) -> list[ReassignOption]:
    needs = schedule.requirements_of(entry)
    return [
        ReassignOption(
            other,
            tuple(
                matching.incompatibility_reasons(
                    needs, schedule.spec_for(other), qualified_machine_ids=qualified_machine_ids
                )
            ),
        )
        for other in others
    ]


def active_entries(machine: Machine) -> list[QueueEntry]:
    """What deleting the machine would cancel: the running entry, then the queue in order."""
    return sorted(
        QueueEntry.objects.filter(
            machine=machine, status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING]
        ).select_related("member"),
        key=lambda e: (e.status != EntryStatus.RUNNING, e.position or 0),
    )


def audit_actions() -> list[str]:
    """Every action the log holds, for the filter's choices."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_events(
    *,
    action: str = "",
    machine: str = "",
    actor: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """The audit log newest first, narrowed by whichever filters are given.

    Names are matched as text, so events about deleted machines and accounts
    still turn up.
    """
    events = AuditEvent.objects.select_related("entry").order_by("-created_at", "-id")
    if action:
        events = events.filter(action=action)
    if machine:
        events = events.filter(machine_name__icontains=machine)
    if actor:
        events = events.filter(actor_name__iexact=actor)
    if date_from:
        events = events.filter(created_at__date__gte=date_from)
    if date_to:
        events = events.filter(created_at__date__lte=date_to)
    return events
