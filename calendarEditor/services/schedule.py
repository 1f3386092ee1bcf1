"""Bridges the database and the pure matching and estimates modules.

Everything here reads; nothing changes state. The queries are few and do not
grow with the number of entries: queues are summarised with aggregates, and
those aggregates read each machine's queued (or active) entries only, through
an index, never the finished history that piles up behind every machine.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from calendarEditor.models import ACTIVE_STATUSES, EntryStatus, Machine, QueueEntry
from calendarEditor.models.training import Qualification
from calendarEditor.services import estimates, matching


def requirements_of(entry: QueueEntry) -> matching.Requirements:
    return matching.Requirements(
        min_temp=entry.required_min_temp,
        max_temp=entry.required_max_temp,
        field_x=entry.required_field_x,
        field_y=entry.required_field_y,
        field_z=entry.required_field_z,
        field_direction=entry.required_field_direction,
        dc_lines=entry.required_dc_lines,
        rf_lines=entry.required_rf_lines,
        daughterboard=entry.required_daughterboard,
        optical=entry.required_optical,
        capabilities=frozenset(entry.required_capabilities or ()),
    )


def timing_for(machine: Machine, running: QueueEntry | None) -> estimates.MachineTiming:
    if running is None:
        return run_timing(machine, None, None, None)
    return run_timing(
        machine, running.started_at, running.estimated_hours, running.check_out_snoozed_until
    )


def run_timing(
    machine: Machine,
    started_at: datetime | None,
    estimated_hours: float | None,
    snoozed_until: datetime | None,
) -> estimates.MachineTiming:
    """The estimates' view of a machine, given its running entry's facts (or None)."""
    return estimates.MachineTiming(
        status=machine.status,
        cooldown_hours=machine.cooldown_hours,
        warmup_hours=machine.warmup_hours,
        status_changed_at=machine.status_changed_at,
        running_started_at=started_at,
        running_estimated_hours=expected_run_hours(started_at, estimated_hours, snoozed_until),
    )


def expected_run_hours(
    started_at: datetime | None, estimated_hours: float | None, snoozed_until: datetime | None
) -> float | None:
    """How long a run is now expected to take: its estimate, stretched by a check-out snooze."""
    if started_at is None or estimated_hours is None or snoozed_until is None:
        return estimated_hours
    return max(estimated_hours, (snoozed_until - started_at).total_seconds() / 3600)


def spec_for(
    machine: Machine, *, queue_length: int = 0, estimated_start: datetime | None = None
) -> matching.MachineSpec:
    return matching.MachineSpec(
        id=machine.pk,
        name=machine.name,
        accepts_entries=machine.accepts_entries,
        status=machine.status,
        min_temp=machine.min_temp,
        max_temp=machine.max_temp,
        field_x=machine.max_field_x,
        field_y=machine.max_field_y,
        field_z=machine.max_field_z,
        field_direction=machine.field_direction,
        dc_lines=machine.dc_lines,
        rf_lines=machine.rf_lines,
        daughterboards=tuple(machine.daughterboards or ()),
        optical=machine.optical_access,
        capabilities=frozenset(machine.capabilities or ()),
        queue_length=queue_length,
        estimated_start=estimated_start,
        requires_training=machine.requires_training,
    )


@dataclass(frozen=True)
class MachineSummary:
    """A machine with its queue summed up: what the board and matching need."""

    machine: Machine
    running: QueueEntry | None
    queue_length: int
    queued_hours: float
    free_at: datetime  # when the machine could begin a new run if its queue were empty
    back_of_queue_start: datetime  # estimated start of a new entry at the back

    @property
    def spec(self) -> matching.MachineSpec:
        return spec_for(
            self.machine,
            queue_length=self.queue_length,
            estimated_start=self.back_of_queue_start,
        )


def summarize_machines(
    machines: Iterable[Machine] | None = None, now: datetime | None = None
) -> list[MachineSummary]:
    """Every machine (or the given ones) with its queue summary, in two queries."""
    now = now or timezone.now()
    queryset = Machine.objects.annotate(**_queue_totals()).order_by("name")
    if machines is not None:
        queryset = queryset.filter(pk__in=[m.pk for m in machines])
    rows = list(queryset)
    running = running_entries_by_machine([m.pk for m in rows])
    summaries = []
    for machine in rows:
        timing = timing_for(machine, running.get(machine.pk))
        free_at = now + estimates.time_until_free(timing, now)
        count, hours = machine.queued_count, machine.queued_hours or 0.0
        summaries.append(
            MachineSummary(
                machine=machine,
                running=running.get(machine.pk),
                queue_length=count,
                queued_hours=hours,
                free_at=free_at,
                back_of_queue_start=estimates.start_after_queue(timing, count, hours, now),
            )
        )
    return summaries


def running_entries_by_machine(machine_ids: Sequence[int]) -> dict[int, QueueEntry]:
    entries = QueueEntry.objects.filter(
        machine_id__in=machine_ids, status=EntryStatus.RUNNING
    ).select_related("member")
    return {entry.machine_id: entry for entry in entries}


@dataclass(frozen=True)
class PlacedEntry:
    """A queued entry with its estimated start, as shown on queue pages."""

    entry: QueueEntry
    estimated_start: datetime

    @property
    def wait_text(self) -> str:
        return estimates.humanize_wait(self.estimated_start - timezone.now())


def place_queue(
    machine: Machine,
    queued: Sequence[QueueEntry],
    running: QueueEntry | None,
    now: datetime | None = None,
) -> list[PlacedEntry]:
    """Estimated starts for a machine's queued entries, given in position order."""
    now = now or timezone.now()
    starts = estimates.estimated_starts(
        timing_for(machine, running), [entry.estimated_hours for entry in queued], now
    )
    return [PlacedEntry(entry, start) for entry, start in zip(queued, starts, strict=True)]


@dataclass(frozen=True)
class SubmitView:
    """What a member's submit needs, read in one query (see ``submit_view``)."""

    specs: list[matching.MachineSpec]
    active_count: int  # the member's queued + running entries, on every machine
    qualified_machine_ids: frozenset[int] | None  # None: training not checked (staff)


def submit_view(member: AbstractBaseUser, now: datetime | None = None) -> SubmitView:
    """Every machine's spec with its queue summed up, plus the member's own standing.

    One query: the running entry's start and duration come in as subqueries,
    the member's active entries and training as annotations, so a submit pays
    for this once whatever the fleet or queue size.
    """
    now = now or timezone.now()
    running = QueueEntry.objects.filter(machine=OuterRef("pk"), status=EntryStatus.RUNNING)
    mine = _per_machine(member_id=member.pk, status__in=ACTIVE_STATUSES)
    rows = Machine.objects.annotate(
        **_queue_totals(),
        member_active=Coalesce(Subquery(mine.annotate(n=Count("*")).values("n")), 0),
        running_started_at=Subquery(running.values("started_at")[:1]),
        running_hours=Subquery(running.values("estimated_hours")[:1]),
        running_snoozed_until=Subquery(running.values("check_out_snoozed_until")[:1]),
        member_trained=Exists(
            Qualification.objects.filter(member_id=member.pk, machine=OuterRef("pk"))
        ),
    ).order_by("name")
    specs, active, trained = [], 0, set()
    for machine in rows:
        timing = run_timing(
            machine,
            machine.running_started_at,
            machine.running_hours,
            machine.running_snoozed_until,
        )
        count, hours = machine.queued_count, machine.queued_hours or 0.0
        start = estimates.start_after_queue(timing, count, hours, now)
        specs.append(spec_for(machine, queue_length=count, estimated_start=start))
        active += machine.member_active
        if machine.member_trained:
            trained.add(machine.pk)
    qualified = None if member.is_staff else frozenset(trained)
    return SubmitView(specs=specs, active_count=active, qualified_machine_ids=qualified)


def _per_machine(**conditions: object) -> QuerySet[QueueEntry]:
    """The outer machine's entries meeting ``conditions``, grouped for one aggregate."""
    return (
        QueueEntry.objects.filter(machine=OuterRef("pk"), **conditions).order_by().values("machine")
    )


def _queue_totals() -> dict[str, Coalesce | Subquery]:
    """``queued_count`` and ``queued_hours`` of the outer machine's queue.

    Subqueries rather than a join with aggregate filters: a join reads every
    entry the machine ever had and discards the finished ones, so the board
    slowed down as history grew; these read the queued entries only.
    """
    queued = _per_machine(status=EntryStatus.QUEUED)
    return {
        "queued_count": Coalesce(Subquery(queued.annotate(n=Count("*")).values("n")), 0),
        "queued_hours": Subquery(queued.annotate(hours=Sum("estimated_hours")).values("hours")),
    }


def qualified_machine_ids(member: AbstractBaseUser) -> frozenset[int] | None:
    """The machines ``member`` is trained on (one query); None for staff, who need none."""
    if member.is_staff:
        return None
    return frozenset(
        Qualification.objects.filter(member_id=member.pk).values_list("machine_id", flat=True)
    )
