"""Read-only queries behind the member pages; each name says what it returns.

Nothing here changes state, and no function issues a query per machine or per
entry, so the board, a machine's page and a member's queue cost the same number
of queries with 10 entries as with 500.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from calendarEditor.models import (
    ACTIVE_STATUSES,
    EntryStatus,
    Machine,
    QueueEntry,
    RushStatus,
)
from calendarEditor.services import equipment_issues, estimates, matching, schedule

FINISHED_SHOWN = 20
_QUEUE_ORDER = ("position", "submitted_at", "pk")


@dataclass(frozen=True)
class RequirementOptions:
    """What the fleet offers, for the submit form's choices."""

    daughterboards: tuple[str, ...]
    capabilities: tuple[str, ...]


def requirement_options(machines: Iterable[Machine] | None = None) -> RequirementOptions:
    """The sorted union of every machine's daughterboards and capabilities (one query)."""
    if machines is None:
        rows = list(Machine.objects.values_list("daughterboards", "capabilities"))
    else:
        rows = [(m.daughterboards, m.capabilities) for m in machines]
    return RequirementOptions(
        daughterboards=_sorted_union(boards for boards, _ in rows),
        capabilities=_sorted_union(capabilities for _, capabilities in rows),
    )


def board_rows(now: datetime | None = None) -> list[schedule.MachineSummary]:
    """Every machine with status, queue length, running entry and when it frees (2 queries)."""
    return schedule.summarize_machines(now=now)


def board_context() -> dict[str, object]:
    """The board's rows and the machines that need attention (3 queries)."""
    rows = board_rows()
    attention = equipment_issues.attention_by_machine([row.machine.pk for row in rows])
    return {"rows": rows, "attention_by_machine": attention}


@dataclass(frozen=True)
class MachineQueueView:
    machine: Machine
    running: QueueEntry | None
    placed: list[schedule.PlacedEntry]
    back_of_queue_start: datetime  # when a new entry would start

    @property
    def running_ends_at(self) -> datetime | None:
        return expected_end(self.running) if self.running else None


def machine_queue_view(machine: Machine, now: datetime | None = None) -> MachineQueueView:
    """A machine's running entry and its whole queue with estimated starts (2 queries).

    Reads every queued entry (the API lists them all); the members' machine page
    reads one page at a time through ``machine_selectors.machine_queue_page``.
    """
    now = now or timezone.now()
    queued = list(
        QueueEntry.objects.filter(machine=machine, status=EntryStatus.QUEUED).order_by(
            *_QUEUE_ORDER
        )
    )
    running = schedule.running_entries_by_machine([machine.pk]).get(machine.pk)
    timing = schedule.timing_for(machine, running)
    back = estimates.estimated_start_at_back(timing, [e.estimated_hours for e in queued], now)
    placed = schedule.place_queue(machine, queued, running, now)
    return MachineQueueView(machine, running, placed, back)


@dataclass(frozen=True)
class MemberEntry:
    """One of a member's active entries; ``estimated_start`` is set while it waits."""

    entry: QueueEntry
    estimated_start: datetime | None = None
    machine_busy: bool = False  # another run is in progress on the entry's machine

    @property
    def expected_end(self) -> datetime | None:
        return expected_end(self.entry)

    @property
    def can_check_in(self) -> bool:
        return _can_check_in(self.entry, self.machine_busy)


@dataclass(frozen=True)
class MemberQueue:
    active: list[MemberEntry]  # running first, then by estimated start
    finished: list[QueueEntry]  # newest first, at most FINISHED_SHOWN


def entries_for_member(user: AbstractBaseUser, now: datetime | None = None) -> MemberQueue:
    """A member's active entries with estimated starts, and their latest finished ones.

    Four queries whatever the queue lengths: the member's active entries, the
    hours queued ahead of each waiting one, those machines' running entries,
    and the finished entries.
    """
    now = now or timezone.now()
    active = list(
        QueueEntry.objects.filter(member=user, status__in=ACTIVE_STATUSES).select_related("machine")
    )
    starts, busy = _queued_starts(active, now)
    rows = [MemberEntry(e, starts.get(e.pk), e.machine_id in busy) for e in active]
    rows.sort(key=lambda row: (row.entry.status != EntryStatus.RUNNING, _sort_time(row)))
    finished = (
        QueueEntry.objects.filter(member=user)
        .exclude(status__in=ACTIVE_STATUSES)
        .annotate(finished_at=Coalesce("completed_at", "cancelled_at", "submitted_at"))
        .order_by("-finished_at", "-pk")[:FINISHED_SHOWN]
    )
    return MemberQueue(active=rows, finished=list(finished))


@dataclass(frozen=True)
class EntryView:
    """One entry with its estimated start and which member actions apply now."""

    entry: QueueEntry
    estimated_start: datetime | None
    machine_busy: bool  # another run is in progress on the entry's machine

    @property
    def expected_end(self) -> datetime | None:
        return expected_end(self.entry)

    @property
    def can_cancel(self) -> bool:
        return self.entry.is_active

    @property
    def can_request_rush(self) -> bool:
        entry = self.entry
        return (
            entry.status == EntryStatus.QUEUED
            and entry.position != 1
            and entry.rush_status != RushStatus.PENDING
        )

    @property
    def can_check_in(self) -> bool:
        return _can_check_in(self.entry, self.machine_busy)

    @property
    def can_check_out(self) -> bool:
        return self.entry.status == EntryStatus.RUNNING


def entry_view(entry: QueueEntry, now: datetime | None = None) -> EntryView:
    """``entry`` (loaded with its machine) plus its estimated start, in one aggregate query."""
    if entry.machine is None or not entry.is_active:
        return EntryView(entry, None, machine_busy=False)
    # Active entries only: the machine's finished history has no say in the estimate.
    ahead = QueueEntry.objects.filter(
        machine_id=entry.machine_id, status__in=ACTIVE_STATUSES
    ).aggregate(
        count=Count("pk", filter=_ahead_of(entry)),
        hours=Sum("estimated_hours", filter=_ahead_of(entry)),
        running=Count("pk", filter=Q(status=EntryStatus.RUNNING)),
        running_started=Max("started_at", filter=Q(status=EntryStatus.RUNNING)),
        running_hours=Max("estimated_hours", filter=Q(status=EntryStatus.RUNNING)),
        running_snoozed=Max("check_out_snoozed_until", filter=Q(status=EntryStatus.RUNNING)),
    )
    busy = ahead["running"] > 0
    if entry.status != EntryStatus.QUEUED:
        return EntryView(entry, None, machine_busy=busy)
    now = now or timezone.now()
    # The same timing as every other page, snoozed check-out included.
    timing = schedule.run_timing(
        entry.machine, ahead["running_started"], ahead["running_hours"], ahead["running_snoozed"]
    )
    start = estimates.start_after_queue(timing, ahead["count"], ahead["hours"] or 0.0, now)
    return EntryView(entry, start, machine_busy=busy)


@dataclass(frozen=True)
class Refusal:
    machine_id: int | None
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SubmitPreview:
    """The machines a request fits, best first (the first is the one it would get)."""

    compatible: tuple[matching.MachineSpec, ...]
    refused: list[Refusal]

    @property
    def chosen(self) -> matching.MachineSpec | None:
        return self.compatible[0] if self.compatible else None

    @classmethod
    def from_result(
        cls, result: matching.MatchResult, ids: dict[str, int] | None = None
    ) -> "SubmitPreview":
        ids = ids or {}
        refused = [
            Refusal(ids.get(name), name, reasons)
            for name, reasons in sorted(result.reasons.items(), key=lambda i: i[0].casefold())
        ]
        return cls(compatible=result.compatible, refused=refused)


def submit_preview(
    requirements: matching.Requirements,
    summaries: Sequence[schedule.MachineSummary],
    qualified_machine_ids: frozenset[int] | None = None,
) -> SubmitPreview:
    """Where a request would go now, from ``schedule.summarize_machines()`` (no queries).

    ``qualified_machine_ids`` (``schedule.qualified_machine_ids(member)``) lets
    machines that require training say so; None checks no training.
    """
    specs = [summary.spec for summary in summaries]
    result = matching.match(requirements, specs, qualified_machine_ids=qualified_machine_ids)
    ids = {summary.machine.name: summary.machine.pk for summary in summaries}
    return SubmitPreview.from_result(result, ids)


def expected_end(entry: QueueEntry) -> datetime | None:
    if entry.status != EntryStatus.RUNNING or entry.started_at is None:
        return None
    return entry.started_at + timedelta(hours=entry.estimated_hours)


def _can_check_in(entry: QueueEntry, machine_busy: bool) -> bool:
    machine = entry.machine
    return (
        entry.is_on_deck
        and machine is not None
        and machine.status_allows_start
        and not machine_busy
    )


def _queued_starts(
    active: Sequence[QueueEntry], now: datetime
) -> tuple[dict[int, datetime], set[int]]:
    """Estimated starts of the queued ones among ``active``, and the busy machines' ids.

    Two queries however long the queues: each waiting entry's hours ahead of it
    summed in the database (positions are exactly 1..n, so n - 1 entries are
    ahead of #n), and the machines' running entries. The other members' entries
    are never loaded.
    """
    waiting = [e for e in active if e.status == EntryStatus.QUEUED and e.machine_id is not None]
    if not waiting:
        return {}, set()
    machines = {e.machine_id: e.machine for e in waiting}
    ahead = (
        QueueEntry.objects.filter(
            machine=OuterRef("machine"),
            status=EntryStatus.QUEUED,
            position__lt=OuterRef("position"),
        )
        .order_by()
        .values("machine")
        .annotate(hours=Sum("estimated_hours"))
        .values("hours")
    )
    rows = (
        QueueEntry.objects.filter(pk__in=[e.pk for e in waiting], status=EntryStatus.QUEUED)
        .annotate(hours_ahead=Subquery(ahead))
        .values_list("pk", "machine_id", "position", "hours_ahead")
    )
    running = schedule.running_entries_by_machine(sorted(machines))
    starts: dict[int, datetime] = {}
    for pk, machine_id, position, hours_ahead in rows:
        timing = schedule.timing_for(machines[machine_id], running.get(machine_id))
        starts[pk] = estimates.start_after_queue(timing, position - 1, hours_ahead or 0.0, now)
    return starts, set(running)


def _ahead_of(entry: QueueEntry) -> Q:
    return Q(status=EntryStatus.QUEUED, position__lt=entry.position or 0)


def _sort_time(row: MemberEntry) -> datetime:
    return row.estimated_start or row.entry.started_at or row.entry.submitted_at


def _sorted_union(lists: Iterable[Iterable[str] | None]) -> tuple[str, ...]:
    # Matching compares names ignoring case and spaces; offer each name once.
    seen: dict[str, str] = {}
    for names in lists:
        for name in names or ():
            key = str(name).strip().casefold()
            if key:
                seen.setdefault(key, str(name).strip())
    return tuple(sorted(seen.values(), key=str.casefold))
