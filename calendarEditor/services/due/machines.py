"""Machine jobs: a machine between runs becomes free; queues follow their timetables."""

from datetime import datetime
from functools import partial

from calendarEditor.models import EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import queue_schedules
from calendarEditor.services.due.reminders import local
from calendarEditor.services.due.runner import Action, Context
from calendarEditor.services.notifications.outbox import display_name
from calendarEditor.services.queue.turnover import (
    PHASE_NAMES,
    TURNOVER_STATUSES,
    advance_turnover,
    next_status,
    phases_over,
)


def turnovers(ctx: Context) -> list[Action]:
    """WARMUP → COOLDOWN → IDLE as each phase's hours pass; #1 is then ready to check in."""
    machines = Machine.objects.filter(status__in=TURNOVER_STATUSES).order_by("name")
    if ctx.machine_names is not None:
        machines = machines.filter(name__in=ctx.machine_names)
    machines = list(machines)
    firsts = {
        entry.machine_id: entry
        for entry in QueueEntry.objects.filter(
            machine__in=machines, status=EntryStatus.QUEUED, position=1
        ).select_related("member")
    }
    actions = []
    for machine in machines:
        phase = PHASE_NAMES[MachineStatus(machine.status)]
        if machine.status_changed_at is None:
            text = f"{machine.name}: in {phase} since an unknown time; count it from now"
            actions.append(Action(text, partial(_stamp, machine.pk, ctx)))
            continue
        over = phases_over(machine, ctx.now)
        if over:
            text = _describe(machine, over, firsts)
            actions.append(Action(text, partial(_advance, machine.pk, ctx)))
    return actions


def _describe(
    machine: Machine, over: list[tuple[MachineStatus, datetime]], firsts: dict[int, QueueEntry]
) -> str:
    names = " and ".join(PHASE_NAMES[status] for status, _ in over)
    (last, ends) = over[-1]
    text = f"{machine.name}: {names} finished {local(ends)}"
    if next_status(machine, last) != MachineStatus.IDLE:
        return text + "; start the cooldown"
    text += "; set it idle"
    first = firsts.get(machine.pk)
    if first is not None:
        who = display_name(first.member) if first.member else first.member_name
        text += f" and tell {who} to check in for “{first.title}”"
    return text


def schedules(ctx: Context) -> list[Action]:
    """Open or close queues whose timetable's wish changed (never dropping entries)."""
    actions = []
    for schedule in queue_schedules.schedules(ctx.now, ctx.machine_names):
        plan = queue_schedules.plan_for(schedule, ctx.now)
        if plan is not None:
            actions.append(
                Action(plan.description, partial(queue_schedules.apply_plan, plan, ctx.now))
            )
    return actions


def _advance(machine_id: int, ctx: Context) -> bool:
    # A runner that was down may find both phases over: one call walks them both.
    return advance_turnover(machine_id, now=ctx.now) is not None


def _stamp(machine_id: int, ctx: Context) -> bool:
    # Estimates count a phase without a start as just begun; make that true.
    unstamped = Machine.objects.filter(
        pk=machine_id, status__in=TURNOVER_STATUSES, status_changed_at__isnull=True
    )
    return unstamped.update(status_changed_at=ctx.now) == 1
