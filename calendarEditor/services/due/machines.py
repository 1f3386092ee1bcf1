"""Machine jobs: a cooled-down machine becomes free; queues follow their timetables."""

from functools import partial

from calendarEditor.models import EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import queue_schedules
from calendarEditor.services.due.reminders import local
from calendarEditor.services.due.runner import Action, Context
from calendarEditor.services.notifications.outbox import display_name
from calendarEditor.services.queue.turnover import cooldown_ends, finish_cooldown


def cooldowns(ctx: Context) -> list[Action]:
    """COOLDOWN → IDLE once cooldown_hours have passed; #1 is then ready to check in."""
    machines = Machine.objects.filter(status=MachineStatus.COOLDOWN).order_by("name")
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
        if machine.status_changed_at is None:
            text = f"{machine.name}: cooling down since an unknown time; count it from now"
            actions.append(Action(text, partial(_stamp, machine.pk, ctx)))
            continue
        ends = cooldown_ends(machine)
        if ends is not None and ctx.now >= ends:
            first = firsts.get(machine.pk)
            text = f"{machine.name}: cooldown finished {local(ends)}; set it idle"
            if first is not None:
                who = display_name(first.member) if first.member else first.member_name
                text += f" and tell {who} to check in for “{first.title}”"
            actions.append(Action(text, partial(_finish, machine.pk, ctx)))
    return actions


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


def _finish(machine_id: int, ctx: Context) -> bool:
    return finish_cooldown(machine_id, now=ctx.now) is not None


def _stamp(machine_id: int, ctx: Context) -> bool:
    # Estimates count a cooldown without a start as just begun; make that true.
    unstamped = Machine.objects.filter(
        pk=machine_id, status=MachineStatus.COOLDOWN, status_changed_at__isnull=True
    )
    return unstamped.update(status_changed_at=ctx.now) == 1
