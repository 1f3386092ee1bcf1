"""Read-only queries behind the lab manager pages.

Each page reads a fixed number of queries however long the queues are: rows
come with their related objects joined, and estimates and compatibility are
computed in Python from rows already loaded.
"""

import html
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from calendarEditor.models import AuditEvent, EntryStatus, Machine, QueueEntry, RushStatus
from calendarEditor.services import matching, schedule
from userRegistration.models import ApprovalStatus, UserProfile

PENDING_ACCOUNTS_SHOWN = 5


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
class ReassignOption:
    machine: Machine
    reasons: tuple[str, ...]  # why the entry does not fit there; empty when it does


@dataclass
class ReassignChoices:
    """The other machines for one set of requirements; entries needing the same share one."""

    options: list[ReassignOption]

    @cached_property
    def options_html(self) -> SafeString:
        """The ``<option>``s of the reassign menu, built once per distinct set of requirements.

        Plain strings, every text escaped, rather than the template engine or
        format_html: a queue of 400 entries over 50 machines has 20,000 options.
        """
        parts = []
        for option in self.options:
            name = html.escape(option.machine.name)
            if option.reasons:
                title = html.escape("; ".join(option.reasons))
                parts.append(
                    f'<option value="{option.machine.pk}" title="{title}">{name} (does not fit)'
                    "</option>"
                )
            else:
                parts.append(f'<option value="{option.machine.pk}">{name}</option>')
        return mark_safe("".join(parts))


@dataclass(frozen=True)
class StaffRow:
    """One queued entry as the staff queue shows it."""

    placed: schedule.PlacedEntry
    reassign: ReassignChoices

    @property
    def entry(self) -> QueueEntry:
        return self.placed.entry

    @property
    def reassign_options(self) -> list[ReassignOption]:
        return self.reassign.options


@dataclass(frozen=True)
class StaffQueue:
    machine: Machine
    running: QueueEntry | None
    rows: list[StaffRow]
    other_machines: list[Machine]

    @property
    def queue_length(self) -> int:
        return len(self.rows)

    @property
    def can_start_first(self) -> bool:
        return self.running is None and bool(self.rows) and self.machine.status_allows_start


def staff_queue(machine_pk: int, now: datetime | None = None) -> StaffQueue:
    """A machine's running entry and its queue in order, with estimates and reassign targets."""
    machine = get_object_or_404(Machine, pk=machine_pk)
    entries = list(
        QueueEntry.objects.filter(
            machine=machine, status__in=[EntryStatus.QUEUED, EntryStatus.RUNNING]
        )
        .select_related("member")
        .order_by("position", "submitted_at", "pk")
    )
    running = next((e for e in entries if e.status == EntryStatus.RUNNING), None)
    queued = [e for e in entries if e.status == EntryStatus.QUEUED]
    others = list(Machine.objects.exclude(pk=machine.pk).order_by("name"))
    specs = [(other, schedule.spec_for(other)) for other in others]
    shared: dict[matching.Requirements, ReassignChoices] = {}
    rows = [
        StaffRow(placed, _reassign_choices(placed.entry, specs, shared))
        for placed in schedule.place_queue(machine, queued, running, now or timezone.now())
    ]
    return StaffQueue(machine=machine, running=running, rows=rows, other_machines=others)


def _reassign_choices(
    entry: QueueEntry,
    specs: list[tuple[Machine, matching.MachineSpec]],
    shared: dict[matching.Requirements, ReassignChoices],
) -> ReassignChoices:
    """The reassign targets for ``entry``, matched once per distinct set of requirements."""
    needs = schedule.requirements_of(entry)
    if needs not in shared:
        shared[needs] = ReassignChoices(
            [
                ReassignOption(other, tuple(matching.incompatibility_reasons(needs, spec)))
                for other, spec in specs
            ]
        )
    return shared[needs]


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
