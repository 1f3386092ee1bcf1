"""A hypothesis state machine over the queue engine.

Random sequences of every operation run against the real engine and a plain
Python model of each queue's order. After every step the database must match
the model and hold the invariants: positions exactly 1..n per machine, at most
one running entry per machine, position NULL whenever an entry is not queued,
and no entry ever lost. A refused operation must change nothing.
"""

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from calendarEditor.models import EntryStatus, Machine, MachineStatus, QueueEntry
from calendarEditor.services import machines as machine_service
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from conftest import entry_request

pytestmark = pytest.mark.django_db

REQUIREMENTS = [
    {},
    {"optical": True},  # Griffin only
    {"field_z": 8},  # Griffin only (Hidalgo has 6 T, Kiutra 5 T)
    {"daughterboard": "DIP"},
    {"min_temp": 1.0, "max_temp": 200},
]


def snapshot() -> list[tuple]:
    return list(
        QueueEntry.objects.order_by("pk").values_list(
            "pk", "machine_id", "position", "status", "rush_status"
        )
    )


def test_engine_keeps_its_invariants_under_random_operations(alice, bob, sam, make_machine):
    fleet = [
        make_machine("Griffin", max_field_z=12, optical_access=True),
        make_machine("Hidalgo", max_field_z=6),
        make_machine("Kiutra", max_field_z=5, min_temp=0.1, max_temp=220),
    ]
    members = [alice, bob]

    class QueueModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            QueueEntry.objects.all().delete()
            Machine.objects.update(status=MachineStatus.IDLE, accepts_entries=True)
            self.order: dict[int, list[int]] = {m.pk: [] for m in fleet}
            self.running: dict[int, int | None] = {m.pk: None for m in fleet}
            self.created = 0

        # --- helpers -----------------------------------------------------------

        def queued_ids(self) -> list[int]:
            return [pk for ids in self.order.values() for pk in ids]

        def machine_of(self, entry_id: int) -> int:
            return next(m for m, ids in self.order.items() if entry_id in ids)

        def refused(self, call) -> bool:
            before = snapshot()
            try:
                call()
            except QueueError:
                assert snapshot() == before, "a refused operation changed the database"
                return True
            return False

        # --- rules -------------------------------------------------------------

        @rule(req=st.sampled_from(REQUIREMENTS), who=st.sampled_from([0, 1]))
        def submit(self, req: dict, who: int) -> None:
            member = members[who]
            try:
                result = queue.enqueue(entry_request(**req), member=member, by=member)
            except QueueError:
                return
            self.order[result.entry.machine_id].append(result.entry.pk)
            self.created += 1

        @rule(req=st.sampled_from(REQUIREMENTS), machine=st.sampled_from(range(3)))
        def staff_submit(self, req: dict, machine: int) -> None:
            target = fleet[machine]
            try:
                result = queue.enqueue(entry_request(**req), member=alice, by=sam, machine=target)
            except QueueError:
                return
            self.order[target.pk].append(result.entry.pk)
            self.created += 1

        @precondition(lambda self: self.queued_ids())
        @rule(data=st.data())
        def cancel_queued(self, data: st.DataObject) -> None:
            entry_id = data.draw(st.sampled_from(self.queued_ids()))
            queue.cancel(entry_id, by=sam)
            self.order[self.machine_of(entry_id)].remove(entry_id)

        @precondition(lambda self: self.queued_ids())
        @rule(data=st.data())
        def move(self, data: st.DataObject) -> None:
            entry_id = data.draw(st.sampled_from(self.queued_ids()))
            ids = self.order[self.machine_of(entry_id)]
            to = data.draw(st.integers(min_value=0, max_value=len(ids) + 1))
            if self.refused(lambda: queue.move(entry_id, to=to, by=sam)):
                assert not 1 <= to <= len(ids) or ids.index(entry_id) + 1 == to
                return
            ids.remove(entry_id)
            ids.insert(to - 1, entry_id)

        @precondition(lambda self: self.queued_ids())
        @rule(data=st.data(), machine=st.sampled_from(range(3)))
        def reassign(self, data: st.DataObject, machine: int) -> None:
            entry_id = data.draw(st.sampled_from(self.queued_ids()))
            target = fleet[machine]
            if self.refused(lambda: queue.reassign(entry_id, to_machine=target, by=sam)):
                return
            self.order[self.machine_of(entry_id)].remove(entry_id)
            self.order[target.pk].append(entry_id)

        @precondition(lambda self: self.queued_ids())
        @rule(data=st.data(), approve=st.booleans())
        def rush(self, data: st.DataObject, approve: bool) -> None:
            entry_id = data.draw(st.sampled_from(self.queued_ids()))
            if self.refused(lambda: queue.request_rush(entry_id, justification="urgent", by=sam)):
                return
            if approve:
                queue.approve_rush(entry_id, by=sam)
                ids = self.order[self.machine_of(entry_id)]
                ids.remove(entry_id)
                ids.insert(0, entry_id)
            else:
                queue.reject_rush(entry_id, by=sam, reason="not this time")

        @rule(machine=st.sampled_from(range(3)))
        def start_on_deck(self, machine: int) -> None:
            pk = fleet[machine].pk
            ids = self.order[pk]
            if not ids:
                return
            if self.refused(lambda: queue.start(ids[0], by=sam)):
                status = Machine.objects.get(pk=pk).status
                assert self.running[pk] is not None or status in ("maintenance", "offline")
                return
            self.running[pk] = ids.pop(0)

        @rule(machine=st.sampled_from(range(3)), cancel=st.booleans())
        def finish_run(self, machine: int, cancel: bool) -> None:
            pk = fleet[machine].pk
            entry_id = self.running[pk]
            if entry_id is None:
                return
            if cancel:
                queue.cancel(entry_id, by=sam)
            else:
                queue.complete(entry_id, by=sam)
            self.running[pk] = None

        @rule(machine=st.sampled_from(range(3)), status=st.sampled_from(["idle", "maintenance"]))
        def set_status(self, machine: int, status: str) -> None:
            self.refused(lambda: machine_service.set_status(fleet[machine], status, by=sam))

        @rule(machine=st.sampled_from(range(3)), is_open=st.booleans())
        def open_or_close(self, machine: int, is_open: bool) -> None:
            self.refused(lambda: machine_service.set_queue_open(fleet[machine], is_open, by=sam))

        # --- invariants ----------------------------------------------------------

        @invariant()
        def database_matches_the_model(self) -> None:
            for machine_id, ids in self.order.items():
                actual = list(
                    QueueEntry.objects.filter(machine_id=machine_id, status=EntryStatus.QUEUED)
                    .order_by("position")
                    .values_list("pk", "position")
                )
                assert actual == [(pk, n) for n, pk in enumerate(ids, start=1)]
                running = QueueEntry.objects.filter(
                    machine_id=machine_id, status=EntryStatus.RUNNING
                )
                assert list(running.values_list("pk", flat=True)) == (
                    [self.running[machine_id]] if self.running[machine_id] else []
                )

        @invariant()
        def positions_only_while_queued_and_nothing_lost(self) -> None:
            rows = list(QueueEntry.objects.values_list("status", "position"))
            assert len(rows) == self.created
            assert all((status == EntryStatus.QUEUED) == (pos is not None) for status, pos in rows)
            per_machine = Counter(
                QueueEntry.objects.filter(status=EntryStatus.RUNNING).values_list(
                    "machine_id", flat=True
                )
            )
            assert all(count <= 1 for count in per_machine.values())

    run_state_machine_as_test(
        QueueModel,
        settings=settings(
            max_examples=200,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
