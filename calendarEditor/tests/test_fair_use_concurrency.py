"""The active-entry limit holds when one member submits many entries at once (PostgreSQL).

Machine locks alone would let simultaneous submits to different machines each
see the member below the limit; the member's profile lock serialises them.
"""

import threading
import traceback

import pytest
from django.db import connections

from calendarEditor.models import ACTIVE_STATUSES, QueueEntry
from calendarEditor.services import queue
from calendarEditor.services.fair_use import FairUseLimitReached
from conftest import entry_request
from mysite.testing import require_postgres

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
LIMIT = 3


@pytest.mark.parametrize("rounds", [1, 2])
def test_concurrent_submits_never_exceed_the_limit(settings, alice, bob, make_machine, rounds):
    require_postgres()
    settings.QUEUE_MAX_ACTIVE_ENTRIES_PER_MEMBER = LIMIT
    fleet = [
        make_machine("Griffin", optical_access=True),
        make_machine("Hidalgo"),
        make_machine("Kiutra", max_active_entries_per_member=None),
    ]
    queued: list[int] = []
    refused: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    for _ in range(rounds):
        barrier = threading.Barrier(THREADS)

        def worker(index: int, barrier: threading.Barrier = barrier) -> None:
            member = alice if index % 4 else bob
            machine = fleet[index % len(fleet)]
            barrier.wait()
            try:
                request = entry_request(f"Run {index}", 5)
                entry = queue.enqueue(request, member=member, by=member).entry
                with lock:
                    queued.append(entry.machine_id or machine.pk)
            except FairUseLimitReached as err:
                with lock:
                    refused.append(err.message)
            except Exception:
                with lock:
                    errors.append(traceback.format_exc())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    for member in (alice, bob):
        active = QueueEntry.objects.filter(member=member, status__in=ACTIVE_STATUSES)
        assert active.count() == LIMIT
    assert len(queued) == 2 * LIMIT
    assert len(refused) == rounds * THREADS - 2 * LIMIT
    assert all(message.startswith("You already have 3 active entries") for message in refused)
    # More than one machine took entries, so the machine locks alone could not have held it.
    assert len(set(QueueEntry.objects.values_list("machine_id", flat=True))) > 1
