"""A machine between runs: check-out, warmup, cooldown, then free for the next member.

The estimates count one turnover (warmup + cooldown) after each run; these
tests hold the machine's status to the same path, so a member's estimate does
not jump when someone checks out or when a phase ends.
"""

import pytest

from calendarEditor.models import AuditEvent, Machine, MachineStatus
from calendarEditor.services import machines, queue, schedule
from calendarEditor.services.events import EventKind
from calendarEditor.tests.due_support import (
    START,
    count,
    done,
    event_kinds,
    fresh,
    fresh_machine,
    hours,
    notes,
    queued,
    run,
)
from calendarEditor.tests.due_support import running as started

pytestmark = pytest.mark.django_db


def state(machine: Machine) -> tuple[str, object]:
    machine = fresh_machine(machine)
    return machine.status, machine.status_changed_at


def free_at(machine: Machine):
    [summary] = schedule.summarize_machines([fresh_machine(machine)])
    return summary.free_at


def test_check_out_starts_the_warmup_and_the_next_waits(clock, alice, bob, sam, hidalgo):
    entry = started(alice, hidalgo, sam)
    waiting = queued(bob, hidalgo, sam, "Next")
    clock.shift(hours(10))
    result = queue.complete(entry, by=alice)
    assert state(hidalgo) == (MachineStatus.WARMUP, START + hours(10))
    assert event_kinds(result) == [EventKind.COMPLETED]
    assert fresh(waiting).on_deck_since is None
    assert count(bob, "ready_to_check_in") == 0


def test_warmup_then_cooldown_then_the_next_is_ready_when_the_estimates_said(
    clock, alice, bob, sam, hidalgo
):
    entry = started(alice, hidalgo, sam)
    waiting = queued(bob, hidalgo, sam, "Next")
    clock.shift(hours(10))
    promised = START + hours(10 + hidalgo.warmup_hours + hidalgo.cooldown_hours)
    assert free_at(hidalgo) == promised  # the run is on time: its end plus one turnover
    queue.complete(entry, by=alice)
    [placed] = schedule.place_queue(fresh_machine(hidalgo), [fresh(waiting)], None)
    assert free_at(hidalgo) == placed.estimated_start == promised

    warm_end = START + hours(10 + hidalgo.warmup_hours)
    clock.move_to(warm_end - hours(0.01))
    assert done(run(), "turnover") == 0
    clock.move_to(warm_end + hours(0.5))  # the runner comes late: the cooldown still began on time
    assert done(run(), "turnover") == 1
    assert state(hidalgo) == (MachineStatus.COOLDOWN, warm_end)
    assert free_at(hidalgo) == promised
    assert fresh(waiting).on_deck_since is None

    clock.move_to(promised)
    assert done(run(), "turnover") == 1
    assert state(hidalgo) == (MachineStatus.IDLE, promised)
    assert fresh(waiting).on_deck_since == promised
    [ready] = notes(bob, "ready_to_check_in")
    assert "Hidalgo is free" in ready.message
    assert done(run(), "turnover") == 0
    causes = AuditEvent.objects.filter(action="machine.status").order_by("pk")
    assert [(a.actor_name, a.details["cause"]) for a in causes] == [
        ("system", "warmup"),
        ("system", "cooldown"),
    ]


def test_a_runner_that_was_down_walks_both_phases_in_one_pass(clock, alice, bob, sam, hidalgo):
    queue.complete(started(alice, hidalgo, sam), by=alice)
    waiting = queued(bob, hidalgo, sam, "Next")
    clock.shift(hours(48))
    dry = run(dry_run=True)
    assert "Hidalgo: warmup and cooldown finished" in "\n".join(dry.lines())
    assert done(run(), "turnover") == 1
    idle_since = START + hours(hidalgo.warmup_hours + hidalgo.cooldown_hours)
    assert state(hidalgo) == (MachineStatus.IDLE, idle_since)
    # The hold counts from when the member is told, not from when the machine was free.
    assert fresh(waiting).on_deck_since == START + hours(48)
    causes = AuditEvent.objects.filter(action="machine.status").values_list("details", flat=True)
    assert [details["cause"] for details in causes.order_by("pk")] == ["warmup", "cooldown"]


def test_a_machine_without_warmup_goes_straight_to_cooldown(clock, alice, sam, make_machine):
    cold = make_machine("Cold", warmup_hours=0, cooldown_hours=5)
    queue.complete(started(alice, cold, sam), by=alice)
    assert state(cold) == (MachineStatus.COOLDOWN, START)
    clock.shift(hours(5))
    run()
    assert state(cold) == (MachineStatus.IDLE, START + hours(5))


def test_a_machine_without_turnover_is_free_at_check_out(clock, alice, bob, sam, make_machine):
    quick = make_machine("Quick", cooldown_hours=0, warmup_hours=0)
    entry = started(alice, quick, sam)
    waiting = queued(bob, quick, sam, "Next")
    result = queue.complete(entry, by=alice)
    assert fresh_machine(quick).status == MachineStatus.IDLE
    assert event_kinds(result) == [EventKind.COMPLETED, EventKind.READY_TO_CHECK_IN]
    assert fresh(waiting).on_deck_since == START


def test_an_empty_machine_finishes_its_turnover_quietly(clock, alice, sam, hidalgo):
    queue.complete(started(alice, hidalgo, sam), by=alice)
    clock.shift(hours(hidalgo.warmup_hours))
    run()
    assert fresh_machine(hidalgo).status == MachineStatus.COOLDOWN
    clock.shift(hours(hidalgo.cooldown_hours))
    run()
    assert fresh_machine(hidalgo).status == MachineStatus.IDLE


def test_cancelling_a_running_entry_still_turns_the_machine_over(clock, alice, bob, sam, hidalgo):
    entry = started(alice, hidalgo, sam)
    waiting = queued(bob, hidalgo, sam, "Next")
    clock.shift(hours(2))
    queue.cancel(entry, by=alice, reason="Sample cracked")
    assert state(hidalgo) == (MachineStatus.WARMUP, START + hours(2))
    assert fresh(waiting).on_deck_since is None


def test_check_out_during_maintenance_keeps_the_machine_in_maintenance(clock, alice, sam, hidalgo):
    entry = started(alice, hidalgo, sam)
    machines.set_status(hidalgo, "maintenance", by=sam)
    queue.complete(entry, by=alice)
    assert fresh_machine(hidalgo).status == MachineStatus.MAINTENANCE
    clock.shift(hours(48))
    run()
    assert fresh_machine(hidalgo).status == MachineStatus.MAINTENANCE


@pytest.mark.parametrize("status", [MachineStatus.WARMUP, MachineStatus.COOLDOWN])
def test_a_phase_set_without_a_start_time_counts_from_the_first_run(clock, hidalgo, status):
    Machine.objects.filter(pk=hidalgo.pk).update(status=status, status_changed_at=None)
    run()
    assert fresh_machine(hidalgo).status_changed_at == START
    clock.shift(hours(hidalgo.warmup_hours + hidalgo.cooldown_hours))
    run()
    assert fresh_machine(hidalgo).status == MachineStatus.IDLE
