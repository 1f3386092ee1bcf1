"""Usage figures on a small dataset worked out by hand, week boundaries and clipping.

Times are UTC (the lab's time zone is set to UTC here, except in the
daylight-saving test). The range is Mon 3 March - Sun 16 March 2025: ISO weeks
2025-W10 (3-10 March) and 2025-W11 (10-17 March), 168 h each.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F

from calendarEditor.models import AuditEvent, EntryStatus, Machine, QueueEntry
from calendarEditor.services import analytics

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2025, 3, 3), date(2025, 3, 16)
NOW = datetime(2025, 3, 20, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def add_run(machine, member, submitted, started, ended=None, *, cancelled=False, name=None):
    if ended is None:
        status = EntryStatus.RUNNING
    else:
        status = EntryStatus.CANCELLED if cancelled else EntryStatus.COMPLETED
    entry = QueueEntry.objects.create(
        member=member,
        member_name=member.get_username() if member else "",
        title="run",
        estimated_hours=1,
        machine=machine,
        machine_name=name or machine.name,
        status=status,
        started_at=started,
        completed_at=ended if status == EntryStatus.COMPLETED else None,
        cancelled_at=ended if status == EntryStatus.CANCELLED else None,
    )
    QueueEntry.objects.filter(pk=entry.pk).update(submitted_at=submitted)  # auto_now_add
    return entry


def status_change(machine, when, old, new):
    event = AuditEvent.objects.create(
        action="machine.status", machine=machine, summary="s", details={"from": old, "to": new}
    )
    AuditEvent.objects.filter(pk=event.pk).update(created_at=when)


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def lab(alice, bob, sam, hidalgo, griffin):
    Machine.objects.update(created_at=at(1, month=1))
    for user, department in ((alice, "Physics"), (bob, "Chemistry"), (sam, "")):
        user.profile.department = department
        user.profile.save()
    # Hidalgo: in maintenance all of Wed 5 March.
    status_change(hidalgo, at(5), "idle", "maintenance")
    status_change(hidalgo, at(6), "maintenance", "idle")
    # Griffin: offline since February, back on Mon 10 March at noon.
    status_change(griffin, at(20, month=2), "idle", "offline")
    status_change(griffin, at(10, 12), "offline", "idle")
    add_run(hidalgo, bob, at(2, 10), at(2, 18), at(3, 3))  # R0: 3 h inside the range
    add_run(hidalgo, alice, at(2, 22), at(3, 4), at(3, 10))  # R1: 6 h, waited 6 h
    add_run(hidalgo, bob, at(3), at(3, 12), at(3, 20))  # R2: 8 h, waited 12 h
    add_run(hidalgo, bob, at(4, 12), at(4, 18), at(5, 6))  # R4: 12 h, 6 h in maintenance
    add_run(hidalgo, alice, at(7), at(9, 20), at(10, 8))  # R3: 4 h in W10, 8 h in W11
    add_run(hidalgo, alice, at(12), at(12, 6), at(12, 16), cancelled=True)  # R5: 10 h
    add_run(hidalgo, alice, at(15), at(16, 20))  # R6: still running, 4 h before the end
    add_run(hidalgo, bob, at(1), at(1, 2), at(2, 8))  # before the range: ignored
    add_run(griffin, sam, at(10, 12), at(11), at(11, 12))  # G1: 12 h, waited 12 h
    # Waiting, never started: not a run.
    waiting = {"member_name": "alice", "title": "q", "estimated_hours": 1, "position": 1}
    QueueEntry.objects.create(member=alice, machine=hidalgo, machine_name="Hidalgo", **waiting)


def row(report, machine, label):
    rows = report.totals if label == "total" else report.weeks
    return next(r for r in rows if r.machine == machine and r.period.label == label)


def test_hidalgo_week_10(lab):
    week = row(analytics.usage_report(FIRST, LAST, NOW), "Hidalgo", "2025-W10")
    # Running: R0 3 + R1 6 + R2 8 + R4 12 + R3's first 4 = 33 h.
    assert week.running_hours == pytest.approx(33)
    # Down: 24 h of maintenance, less the 6 h R4 kept running through it = 18 h.
    assert week.down_hours == pytest.approx(18)
    assert week.available_hours == pytest.approx(168 - 18)
    assert week.utilization == pytest.approx(33 / 150)  # 22 %
    assert week.completed_runs == 4  # R0, R1, R2, R4 (R3 completes in W11)
    assert week.started_runs == 4  # R1, R2, R4, R3
    # Waits sorted: 6, 6, 12, 68. Median at position 1.5: 6 + 0.5 * (12 - 6) = 9.
    assert week.median_wait_hours == pytest.approx(9)
    # 90th percentile at position 0.9 * 3 = 2.7: 12 + 0.7 * (68 - 12) = 51.2.
    assert week.p90_wait_hours == pytest.approx(51.2)
    assert week.downtime_known


def test_hidalgo_week_11_clips_runs_at_both_ends(lab):
    week = row(analytics.usage_report(FIRST, LAST, NOW), "Hidalgo", "2025-W11")
    # R3's last 8 h + R5's 10 h (cancelled while running) + R6's 4 h up to the range end.
    assert week.running_hours == pytest.approx(22)
    assert week.available_hours == pytest.approx(168)
    assert week.utilization == pytest.approx(22 / 168)  # 13.1 %
    assert week.completed_runs == 1  # R3
    # Waits 6 (R5) and 44 (R6): median 25; 90th at 0.9: 6 + 0.9 * 38 = 40.2.
    assert week.median_wait_hours == pytest.approx(25)
    assert week.p90_wait_hours == pytest.approx(40.2)


def test_hidalgo_over_the_whole_range(lab):
    total = row(analytics.usage_report(FIRST, LAST, NOW), "Hidalgo", "total")
    assert total.running_hours == pytest.approx(55)  # 33 + 22
    assert total.available_hours == pytest.approx(336 - 18)
    assert total.completed_runs == 5
    # Waits sorted: 6, 6, 6, 12, 44, 68. Median at 2.5: 9; 90th at 4.5: 44 + 0.5 * 24 = 56.
    assert total.median_wait_hours == pytest.approx(9)
    assert total.p90_wait_hours == pytest.approx(56)


def test_a_machine_offline_from_before_the_range(lab):
    report = analytics.usage_report(FIRST, LAST, NOW)
    offline = row(report, "Griffin", "2025-W10")
    assert offline.available_hours == 0
    assert offline.down_hours == pytest.approx(168)
    assert offline.utilization is None  # not 0 %: there was nothing to use
    assert offline.median_wait_hours is None
    back = row(report, "Griffin", "2025-W11")
    # Offline until Monday noon: 168 - 12 = 156 h available, 12 h used.
    assert back.available_hours == pytest.approx(156)
    assert back.utilization == pytest.approx(12 / 156)
    assert (back.median_wait_hours, back.p90_wait_hours) == (12, 12)


def test_hours_per_member_and_department(lab):
    report = analytics.usage_report(FIRST, LAST, NOW)
    # alice: R1 6 + R3 12 + R5 10 + R6 4 = 32; bob: R0 3 + R2 8 + R4 12 = 23; sam: G1 12.
    assert [(u.name, u.department, u.hours, u.runs) for u in report.members] == [
        ("alice", "Physics", pytest.approx(32), 4),
        ("bob", "Chemistry", pytest.approx(23), 2),
        ("sam", "No department", pytest.approx(12), 1),
    ]
    assert [(u.name, u.hours, u.runs) for u in report.departments] == [
        ("Physics", pytest.approx(32), 4),
        ("Chemistry", pytest.approx(23), 2),
        ("No department", pytest.approx(12), 1),
    ]


def test_weeks_are_iso_weeks_clipped_to_the_range():
    periods = analytics.iso_weeks(date(2025, 3, 5), date(2025, 3, 11), NOW)
    assert [(p.label, p.start, p.end, p.hours) for p in periods] == [
        ("2025-W10", at(5), at(10), 120),  # Wednesday to Monday
        ("2025-W11", at(10), at(12), 48),  # Monday to Wednesday 00:00
    ]


def test_weeks_across_new_year_use_the_iso_year():
    periods = analytics.iso_weeks(date(2024, 12, 28), date(2025, 1, 2), NOW)
    # Monday 30 December 2024 starts week 1 of 2025.
    assert [p.label for p in periods] == ["2024-W52", "2025-W01"]
    assert periods[1].start == datetime(2024, 12, 30, tzinfo=UTC)


def test_weeks_stop_at_now():
    now = at(12, 15)
    periods = analytics.iso_weeks(FIRST, LAST, now)
    assert periods[-1].end == now
    assert periods[-1].hours == 2 * 24 + 15
    assert analytics.iso_weeks(date(2025, 4, 1), date(2025, 4, 7), now) == []


def test_weeks_follow_the_labs_clock_across_daylight_saving(settings):
    settings.TIME_ZONE = "America/New_York"
    periods = analytics.iso_weeks(FIRST, LAST, NOW)
    # Clocks went forward on Sunday 9 March, so week 10 had 167 hours.
    assert [p.hours for p in periods] == [167, 168]
    assert periods[0].start == datetime(2025, 3, 3, 5, tzinfo=UTC)  # local midnight, EST
    assert periods[1].start == datetime(2025, 3, 10, 4, tzinfo=UTC)  # local midnight, EDT


def test_a_machine_created_mid_range_counts_from_its_creation(lab, make_machine):
    new = make_machine("Newbie")
    Machine.objects.filter(pk=new.pk).update(created_at=at(14))
    report = analytics.usage_report(FIRST, LAST, NOW)
    assert row(report, "Newbie", "2025-W10").available_hours == 0
    assert row(report, "Newbie", "2025-W11").available_hours == pytest.approx(3 * 24)


def test_a_deleted_machines_runs_use_calendar_hours(lab, alice):
    add_run(None, alice, at(3), at(4), at(4, 6), name="Old PPMS")
    week = row(analytics.usage_report(FIRST, LAST, NOW), "Old PPMS (deleted)", "2025-W10")
    assert (week.running_hours, week.available_hours) == (6, 168)
    assert not week.downtime_known


def test_a_deleted_account_keeps_its_hours(lab, hidalgo):
    add_run(hidalgo, None, at(13), at(13, 1), at(13, 3), name=None)
    names = [u.name for u in analytics.usage_report(FIRST, LAST, NOW).members]
    assert "deleted account" in names


def test_percentile_cont_matches_postgresql():
    assert analytics.percentile_cont([], 0.5) is None
    assert analytics.percentile_cont([7], 0.9) == 7
    assert analytics.percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert analytics.percentile_cont([10, 0, 5], 0.9) == pytest.approx(9)


@pytest.mark.parametrize("runs", [10, 500])
def test_three_queries_whatever_the_history(alice, hidalgo, django_assert_num_queries, runs):
    QueueEntry.objects.bulk_create(
        QueueEntry(
            member=alice,
            member_name="alice",
            title=f"run {n}",
            estimated_hours=1,
            machine=hidalgo,
            machine_name="Hidalgo",
            status=EntryStatus.COMPLETED,
            started_at=at(3) + timedelta(hours=n % 300),
            completed_at=at(3) + timedelta(hours=n % 300 + 1),
        )
        for n in range(runs)
    )
    QueueEntry.objects.update(submitted_at=F("started_at") - timedelta(hours=2))
    # Machines with their prior status, status changes in range, runs in range.
    with django_assert_num_queries(3):
        report = analytics.usage_report(FIRST, LAST, NOW)
    assert sum(r.started_runs for r in report.weeks) == runs
