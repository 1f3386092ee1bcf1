"""Several runners at once send each reminder once (threads on PostgreSQL), and a run
repeated in sequence does nothing more (every database).

SQLite serialises writers, so the row-level races the claims guard against
only happen on PostgreSQL; there this test is required (CI sets REQUIRE_SERVICES).
"""

import threading
import traceback

import pytest
import time_machine
from django.db import connections

from calendarEditor.models import (
    AuditEvent,
    ClosedWindow,
    Machine,
    MachineStatus,
    Notification,
    NotificationPreference,
    QueueSchedule,
)
from calendarEditor.services import due_work, queue
from calendarEditor.tests.due_support import START, hours, queued, running
from mysite.testing import require_postgres


@pytest.fixture(autouse=True)
def _sam_reads_the_daily_summary(sam):
    """The daily summary is opt-in: sam has switched it on, in the app and by email."""
    NotificationPreference.objects.create(
        user=sam, kind="staff_daily_summary", in_app=True, email=True
    )


RUNNERS = 6

# Each kind of work the scenario makes due, and how many notices of it one pass sends.
EXPECTED_NOTICES = {
    "check_out_reminder": 1,  # alice's run on Hidalgo is past its estimate
    "check_in_reminder": 1,  # alice has held Dewar for 13 h (its hold lasts 48 h)
    "hold_expired": 1,  # bob has held Griffin for 13 h, past its 12 h hold
    "staff_hold_expired": 1,
    "ready_to_check_in": 1,  # Kiutra finished cooling: alice's second entry is ready
    "staff_daily_summary": 1,
    "queue_closed": 0,  # Optic's queue closes, but nobody waits on it
}


def scenario(alice, bob, sam, hidalgo, griffin, make_machine, traveller) -> Machine:
    running(alice, hidalgo, sam, "Long run", hours=2)
    queued(bob, griffin, sam, "Griffin run")
    queued(alice, make_machine("Dewar", on_deck_hold_hours=48), sam, "Dewar run")
    kiutra = make_machine("Kiutra", cooldown_hours=10)
    queue.complete(running(bob, kiutra, sam, "Cooling"), by=bob)
    queued(alice, kiutra, sam, "After cooldown")
    optic = make_machine("Optic")
    schedule = QueueSchedule.objects.create(machine=optic)
    ClosedWindow.objects.create(
        schedule=schedule, starts_at=START + hours(13), ends_at=START + hours(20), reason="Service"
    )
    # Only this scenario's notices count from here.
    Notification.objects.all().delete()
    traveller.shift(hours(13))
    return optic


def notice_counts() -> dict[str, int]:
    return {kind: Notification.objects.filter(kind=kind).count() for kind in EXPECTED_NOTICES}


def check_everything_once(optic: Machine) -> None:
    assert notice_counts() == EXPECTED_NOTICES
    assert not Machine.objects.get(pk=optic.pk).accepts_entries
    assert AuditEvent.objects.filter(machine=optic, action="machine.queue_closed").count() == 1
    assert Machine.objects.get(name="Kiutra").status == MachineStatus.IDLE


@pytest.mark.django_db
def test_a_second_pass_in_a_row_does_nothing_more(alice, bob, sam, hidalgo, griffin, make_machine):
    with time_machine.travel(START, tick=False) as traveller:
        optic = scenario(alice, bob, sam, hidalgo, griffin, make_machine, traveller)
        first = due_work.run_due_work()
        second = due_work.run_due_work()
    assert first.ok
    assert second.ok
    # Only the e-mail copies of the first pass's notices are left to send.
    assert {job.name: job.done for job in second.jobs if job.done} == {"deliveries": 1}
    check_everything_once(optic)


@pytest.mark.django_db(transaction=True)
def test_runners_at_once_do_each_thing_once(alice, bob, sam, hidalgo, griffin, make_machine):
    require_postgres()
    with time_machine.travel(START, tick=False) as traveller:
        optic = scenario(alice, bob, sam, hidalgo, griffin, make_machine, traveller)
        reports, errors = [], []
        start_together = threading.Barrier(RUNNERS)

        def runner() -> None:
            try:
                start_together.wait()
                reports.append(due_work.run_due_work())
            except Exception:
                errors.append(traceback.format_exc())
            finally:
                connections.close_all()

        threads = [threading.Thread(target=runner) for _ in range(RUNNERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a runner hung"
    assert errors == [], errors[0]
    failures = [line for report in reports if not report.ok for line in report.lines()]
    assert failures == []
    check_everything_once(optic)
    done = {
        name: sum(report.job(name).done for report in reports)
        for name in (
            "check_out_reminders",
            "check_in_reminders",
            "hold_expiry",
            "turnover",
            "queue_schedules",
            "staff_daily_summary",
        )
    }
    assert done == {
        "check_out_reminders": 1,
        "check_in_reminders": 1,
        "hold_expiry": 2,
        "turnover": 1,
        "queue_schedules": 1,
        "staff_daily_summary": 1,
    }
