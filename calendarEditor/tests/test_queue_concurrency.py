"""Many threads changing the queues at once, on PostgreSQL.

SQLite serialises every writer, so the row locks this test exercises only
exist on PostgreSQL; there the test is required (CI sets REQUIRE_SERVICES).
"""

import random
import threading
import traceback
from collections import Counter

import pytest
from django.db import connections

from calendarEditor.models import EntryStatus, QueueEntry
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from conftest import entry_request
from mysite.testing import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
OPERATIONS_PER_THREAD = 12  # 240 operations in all


def test_concurrent_mixed_operations_keep_every_invariant(alice, bob, sam, make_machine):
    require_postgres()
    fleet = [
        make_machine("Griffin", max_field_z=12, optical_access=True),
        make_machine("Hidalgo", max_field_z=6),
        make_machine("Kiutra", max_field_z=5, min_temp=0.1, max_temp=220),
    ]
    submitted: list[int] = []
    errors: list[str] = []
    refused = Counter()
    lock = threading.Lock()
    start_together = threading.Barrier(THREADS)

    def one_operation(rng: random.Random) -> None:
        with lock:
            known = list(submitted)
        choice = rng.random()
        if choice < 0.45 or not known:
            member = rng.choice([alice, bob])
            req = rng.choice([{}, {"optical": True}, {"daughterboard": "DIP"}, {"field_z": 5}])
            entry = queue.enqueue(entry_request(**req), member=member, by=member).entry
            with lock:
                submitted.append(entry.pk)
        elif choice < 0.6:
            queue.cancel(rng.choice(known), by=sam)
        elif choice < 0.8:
            queue.move(rng.choice(known), to=rng.randint(1, 4), by=sam)
        else:
            queue.reassign(rng.choice(known), to_machine=rng.choice(fleet), by=sam)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        start_together.wait()
        for _ in range(OPERATIONS_PER_THREAD):
            try:
                one_operation(rng)
            except QueueError as refusal:  # expected: moves out of range, finished entries…
                with lock:
                    refused[type(refusal).__name__] += 1
            except Exception:
                with lock:
                    errors.append(traceback.format_exc())
            finally:
                # Return the connection to the pool between operations.
                connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert errors == [], errors[0]

    entries = list(QueueEntry.objects.values_list("pk", "machine_id", "status", "position"))
    assert sorted(pk for pk, *_ in entries) == sorted(submitted), "an entry was lost"
    for machine in fleet:
        queued = sorted(p for _, m, s, p in entries if m == machine.pk and s == EntryStatus.QUEUED)
        assert queued == list(range(1, len(queued) + 1)), f"{machine.name}: {queued}"
        running = [pk for pk, m, s, _ in entries if m == machine.pk and s == EntryStatus.RUNNING]
        assert len(running) <= 1
    assert all((s == EntryStatus.QUEUED) == (p is not None) for _, _, s, p in entries)
    assert len(submitted) >= 50, "too few submits to mean anything"
