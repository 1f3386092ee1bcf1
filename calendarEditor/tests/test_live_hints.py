"""Each queue operation sends exactly its hints, to the right groups, once it commits.

Raw channels sit in every group (two machines' groups, an unrelated machine's,
the board, staff, and each member's own) and the test reads what each got.
Hints name a machine and its new queue version, or one of the member's own
entries, and nothing else. The notification subsystem's bell hints
("notifications.changed", to the recipients' own groups) ride along; they are
checked for privacy here and left to its own tests otherwise.
"""

from typing import Any

import pytest
from django.db import transaction

from calendarEditor.models import Machine, MachineStatus
from calendarEditor.services import machines, queue
from calendarEditor.services.broadcast import (
    BOARD_GROUP,
    STAFF_GROUP,
    machine_group,
    user_group,
)
from calendarEditor.services.errors import QueueError
from calendarEditor.tests.test_live_support import GroupProbe, in_db, memory_layer, run
from conftest import entry_request

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["memory_layer"]


@pytest.fixture
def kiutra(make_machine: Any) -> Machine:
    """A machine no operation here touches: its group must stay silent."""
    return make_machine("Kiutra", max_field_z=5, min_temp=0.1, max_temp=220)


@pytest.fixture
def quick(make_machine: Any) -> Machine:
    """No warmup or cooldown: free the moment a run completes."""
    return make_machine("Quick", cooldown_hours=0, warmup_hours=0)


@pytest.fixture
def watch(memory_layer, alice, bob, sam, hidalgo, griffin, kiutra, quick):
    groups = [
        machine_group(quick.pk),
        machine_group(hidalgo.pk),
        machine_group(griffin.pk),
        machine_group(kiutra.pk),
        BOARD_GROUP,
        STAFF_GROUP,
        user_group(alice.pk),
        user_group(bob.pk),
        user_group(sam.pk),
    ]

    def observe(*steps):
        """Run each step in the database; return what every group got after the last one."""

        async def scenario():
            probe = await GroupProbe(groups).join()
            for step in steps[:-1]:
                await in_db(step)()
            await probe.received()
            await in_db(steps[-1])()
            return await probe.received()

        return queue_hints_only(run(scenario))

    return observe


def queue_hints_only(got: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Set aside the notification subsystem's bell hints, checking they stay private."""
    kept: dict[str, list[dict[str, Any]]] = {}
    for group, messages in got.items():
        for message in messages:
            if message["type"] == "notifications.changed":
                assert group.startswith("user."), f"a bell hint went to {group}"
                assert message == {"type": "notifications.changed"}
            else:
                kept.setdefault(group, []).append(message)
    return kept


def changed(machine: Machine) -> dict[str, Any]:
    machine.refresh_from_db()
    return {"type": "queue.changed", "machine": machine.pk, "version": machine.queue_version}


def entries(entry: Any) -> dict[str, Any]:
    return {"type": "entries.changed", "entry": entry.pk}


def on_machine(machine: Machine, member: Any, title: str = "run", *, by: Any) -> Any:
    return queue.enqueue(entry_request(title), member=member, by=by, machine=machine).entry


def test_enqueue_tells_its_machine_the_board_and_the_member(watch, alice, griffin):
    result = {}

    def submit():
        result["entry"] = queue.enqueue(
            entry_request("Optics", optical=True), member=alice, by=alice
        ).entry

    got = watch(submit)

    update = changed(griffin)
    assert update["version"] == 1
    assert got == {
        machine_group(griffin.pk): [update],
        BOARD_GROUP: [update],
        user_group(alice.pk): [entries(result["entry"])],
    }


def test_cancel_tells_the_member_and_everyone_who_moved_up(watch, alice, bob, sam, griffin):
    made = {}

    def setup():
        made["alice"] = on_machine(griffin, alice, by=sam)
        made["bob"] = on_machine(griffin, bob, by=sam)

    got = watch(setup, lambda: queue.cancel(made["alice"], by=alice))

    update = changed(griffin)
    assert got == {
        machine_group(griffin.pk): [update],
        BOARD_GROUP: [update],
        user_group(alice.pk): [entries(made["alice"])],
        user_group(bob.pk): [entries(made["bob"])],
    }


def test_staff_move_tells_both_members_whose_places_changed(watch, alice, bob, sam, hidalgo):
    made = {}

    def setup():
        made["alice"] = on_machine(hidalgo, alice, by=sam)
        made["bob"] = on_machine(hidalgo, bob, by=sam)

    got = watch(setup, lambda: queue.move(made["bob"], to=1, by=sam))

    update = changed(hidalgo)
    assert got == {
        machine_group(hidalgo.pk): [update],
        BOARD_GROUP: [update],
        user_group(bob.pk): [entries(made["bob"])],
        user_group(alice.pk): [entries(made["alice"])],
    }


def test_reassign_tells_both_machines_with_their_own_versions(watch, alice, sam, hidalgo, griffin):
    made = {}

    def setup():
        made["entry"] = on_machine(hidalgo, alice, by=sam)

    got = watch(setup, lambda: queue.reassign(made["entry"], to_machine=griffin, by=sam))

    to_griffin, from_hidalgo = changed(griffin), changed(hidalgo)
    # Hidalgo's queue emptied, so no event of its own carried its version.
    assert from_hidalgo["version"] == 2
    assert got == {
        machine_group(griffin.pk): [to_griffin],
        machine_group(hidalgo.pk): [from_hidalgo],
        BOARD_GROUP: [to_griffin, from_hidalgo],
        user_group(alice.pk): [entries(made["entry"])],
    }


def test_rush_approval_tells_the_member_and_the_one_pushed_back(watch, alice, bob, sam, griffin):
    made = {}

    def setup():
        made["bob"] = on_machine(griffin, bob, by=sam)
        made["alice"] = on_machine(griffin, alice, by=sam)
        queue.request_rush(made["alice"], justification="Sample degrades", by=alice)

    got = watch(setup, lambda: queue.approve_rush(made["alice"], by=sam))

    update = changed(griffin)
    assert got == {
        machine_group(griffin.pk): [update],
        BOARD_GROUP: [update],
        user_group(alice.pk): [entries(made["alice"])],
        user_group(bob.pk): [entries(made["bob"])],
    }


def test_start_tells_the_runner_and_the_new_on_deck(watch, alice, bob, sam, hidalgo):
    made = {}

    def setup():
        made["alice"] = on_machine(hidalgo, alice, by=sam)
        made["bob"] = on_machine(hidalgo, bob, by=sam)

    got = watch(setup, lambda: queue.start(made["alice"], by=alice))

    update = changed(hidalgo)
    assert got == {
        machine_group(hidalgo.pk): [update],
        BOARD_GROUP: [update],
        user_group(alice.pk): [entries(made["alice"])],
        user_group(bob.pk): [entries(made["bob"])],
    }


def test_complete_tells_the_runner_and_who_may_now_check_in(watch, alice, bob, sam, quick):
    # No cooldown, so the machine is free at once and bob, #1, may check in.
    made = {}

    def setup():
        made["alice"] = on_machine(quick, alice, by=sam)
        made["bob"] = on_machine(quick, bob, by=sam)
        queue.start(made["alice"], by=alice)

    got = watch(setup, lambda: queue.complete(made["alice"], by=alice))

    update = changed(quick)
    assert got == {
        machine_group(quick.pk): [update],
        BOARD_GROUP: [update],
        user_group(alice.pk): [entries(made["alice"])],
        user_group(bob.pk): [entries(made["bob"])],
    }


def test_machine_status_is_a_machine_hint_only(watch, alice, sam, griffin):
    got = watch(
        lambda: on_machine(griffin, alice, by=sam),
        lambda: machines.set_status(griffin, MachineStatus.MAINTENANCE, by=sam, reason="leak"),
    )

    update = changed(griffin)
    assert got == {machine_group(griffin.pk): [update], BOARD_GROUP: [update]}


@pytest.mark.parametrize("is_open", [False, True])
def test_opening_or_closing_a_queue_is_a_machine_hint_only(watch, sam, hidalgo, is_open):
    def prepare():
        if is_open:
            machines.set_queue_open(hidalgo, False, by=sam)

    got = watch(prepare, lambda: machines.set_queue_open(hidalgo, is_open, by=sam))

    update = changed(hidalgo)
    assert got == {machine_group(hidalgo.pk): [update], BOARD_GROUP: [update]}


def test_a_rolled_back_change_sends_nothing(watch, alice, sam, hidalgo):
    def change_then_fail():
        with transaction.atomic():
            on_machine(hidalgo, alice, by=sam)
            raise RuntimeError("the request failed after the change")

    def doomed():
        with pytest.raises(RuntimeError):
            change_then_fail()

    assert watch(doomed) == {}


def test_a_refused_change_sends_nothing(watch, alice, bob, sam, hidalgo):
    made = {}

    def setup():
        made["entry"] = on_machine(hidalgo, alice, by=sam)

    def refused():
        with pytest.raises(QueueError):
            queue.move(made["entry"], to=1, by=sam)

    assert watch(setup, refused) == {}


def test_hints_carry_only_ids_and_versions(watch, alice, griffin):
    def submit():
        queue.enqueue(entry_request("Secret sample X17", optical=True), member=alice, by=alice)

    got = watch(submit)

    for messages in got.values():
        for message in messages:
            assert set(message) <= {"type", "machine", "version", "entry"}
            assert "Secret" not in repr(message)
            assert "alice" not in repr(message).lower()
