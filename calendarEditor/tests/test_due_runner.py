"""The runner as a whole: isolation, dry runs, the daily window, housekeeping, the command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from calendarEditor.models import (
    AuditEvent,
    ClosedWindow,
    Delivery,
    DeliveryState,
    EquipmentIssue,
    JobState,
    Machine,
    MachineStatus,
    Notification,
    NotificationPreference,
    OneTimeLoginToken,
    QueueEntry,
    QueueSchedule,
    TemperatureReading,
)
from calendarEditor.services import due_work
from calendarEditor.services.due import reminders
from calendarEditor.services.notifications import notify, tokens
from calendarEditor.tests.due_support import (
    START,
    count,
    done,
    fresh,
    hours,
    notes,
    queued,
    run,
    running,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sam_reads_the_daily_summary(sam):
    """The daily summary is opt-in: sam has switched it on, in the app and by email."""
    NotificationPreference.objects.create(
        user=sam, kind="staff_daily_summary", in_app=True, email=True
    )


def _boom(ctx):
    raise RuntimeError("planner exploded")


def test_a_failing_job_does_not_stop_the_others(clock, monkeypatch, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=1)
    jobs = tuple(
        (name, _boom if name == "check_in_reminders" else job) for name, job in due_work.JOBS
    )
    monkeypatch.setattr(due_work, "JOBS", jobs)
    clock.shift(hours(1))
    report = due_work.run_due_work()
    assert not report.ok
    assert report.job("check_in_reminders").errors == [
        "planning failed: RuntimeError: planner exploded"
    ]
    assert done(report, "check_out_reminders") == 1
    states = dict(JobState.objects.values_list("name", "last_ok"))
    assert states["check_in_reminders"] is False
    assert states["check_out_reminders"] is True
    assert "planner exploded" in JobState.objects.get(name="check_in_reminders").last_error


def test_a_failing_action_does_not_stop_the_next_and_stays_due(
    clock, monkeypatch, alice, bob, sam, hidalgo, griffin
):
    broken = running(alice, hidalgo, sam, "Broken", hours=1)
    running(bob, griffin, sam, "Fine", hours=1)
    real = reminders.remind

    def flaky(kind, entry, **kwargs):
        if entry.title == "Broken":
            raise RuntimeError("template trouble")
        real(kind, entry, **kwargs)

    monkeypatch.setattr(reminders, "remind", flaky)
    clock.shift(hours(1))
    report = due_work.run_due_work()
    job = report.job("check_out_reminders")
    assert (job.done, len(job.errors)) == (1, 1)
    assert count(bob, "check_out_reminder") == 1
    assert fresh(broken).last_check_out_reminder_at is None  # the claim rolled back
    monkeypatch.setattr(reminders, "remind", real)
    run()
    assert count(alice, "check_out_reminder") == 1


def test_bad_settings_stop_the_run_loudly(clock):
    with (
        override_settings(QUIET_HOURS_START="25:00", QUIET_HOURS_END="06:00"),
        pytest.raises(ImproperlyConfigured, match="QUIET_HOURS_START"),
    ):
        due_work.run_due_work()
    with (
        override_settings(QUIET_HOURS_START="22:00"),
        pytest.raises(ImproperlyConfigured, match="both"),
    ):
        due_work.run_due_work()
    with (
        override_settings(CHECK_IN_REMINDER_HOURS="soon"),
        pytest.raises(ImproperlyConfigured, match="CHECK_IN_REMINDER_HOURS"),
    ):
        due_work.run_due_work()
    with pytest.raises(ValueError, match="unknown due-work jobs: nope"):
        due_work.run_due_work(only=["nope"])


# --- Dry run ------------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    tables = [
        QueueEntry,
        Machine,
        Notification,
        Delivery,
        AuditEvent,
        JobState,
        QueueSchedule,
        OneTimeLoginToken,
        TemperatureReading,
    ]
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in tables}


def test_dry_run_prints_the_plan_and_changes_nothing(
    clock, alice, bob, sam, hidalgo, griffin, make_machine
):
    running(alice, hidalgo, sam, "Long run", hours=2)  # past its estimate
    on_deck = queued(bob, griffin, sam, "Waiting run")  # ON DECK past its hold below
    queued(alice, make_machine("Dewar", on_deck_hold_hours=48), sam, "Dewar run")
    cooling = make_machine("Kiutra")
    Machine.objects.filter(pk=cooling.pk).update(
        status=MachineStatus.COOLDOWN, status_changed_at=START - hours(20)
    )
    closing = QueueSchedule.objects.create(machine=griffin)
    ClosedWindow.objects.create(
        schedule=closing,
        starts_at=START + hours(13),
        ends_at=START + hours(20),
        reason="Planned maintenance",
    )
    tokens.create_token(alice, "/schedule/my/", now=START - hours(30))
    clock.shift(hours(13))
    before = snapshot()
    out = StringIO()
    call_command("run_due_work", "--dry-run", stdout=out)
    text = out.getvalue()
    assert snapshot() == before
    assert "(dry run: nothing changed)" in text
    for expected in (
        "would: Kiutra: cooldown finished",
        "would: Griffin: close the queue (closed window until",
        "would: check-in reminder to Alice Tester for “Dewar run” on Dewar",
        "would: tell the member: Bob Tester's hold on Griffin (“Waiting run”) ended",
        "would: alert lab managers: Bob Tester's hold on Griffin",
        "would: check-out reminder to Alice Tester for “Long run” on Hidalgo",
        "would: delete 1 expired login links",
        "would: send the daily summary to lab managers",
    ):
        assert expected in text, text
    assert fresh(on_deck).position == 1


# --- Once a day ---------------------------------------------------------------------


def test_the_daily_summary_goes_once_per_window(clock, alice, sam, hidalgo):
    clock.move_to(START - timedelta(days=8))
    queued(alice, hidalgo, sam, "Patient run")  # waiting 8 days, holding the free machine
    EquipmentIssue.objects.create(
        machine=hidalgo, machine_name="Hidalgo", severity="down", description="Compressor"
    )
    clock.move_to(START)
    run()
    run()
    [summary] = notes(sam, "staff_daily_summary")
    assert summary.title == "Daily summary for Wed 09 Jan 2030"
    for line in (
        "Machines needing attention: 1",
        "- Hidalgo: 1 open “down” issue(s) since",
        "Queue lengths: Hidalgo 1",
        "Waiting longer than 7 days: 1",
        "- “Patient run” (alice, Hidalgo #1, since",
        "On hold past their time: 1",
        "Failed deliveries: 0 gave up in the last 24 h, 0 still retrying",
    ):
        assert line in summary.message, summary.message
    clock.move_to(START + hours(20.9))  # Thursday 06:54
    run()
    clock.move_to(START + hours(21))  # Thursday 07:00: a new window
    run()
    run()
    assert count(sam, "staff_daily_summary") == 2
    assert count(alice, "staff_daily_summary") == 0


@override_settings(QUIET_HOURS_START="06:00", QUIET_HOURS_END="08:00")
def test_quiet_hours_hold_the_summary_until_they_end(clock, sam):
    clock.move_to(START + hours(21))  # Thursday 07:00, quiet
    assert run().job("staff_daily_summary").held == 1
    assert count(sam, "staff_daily_summary") == 0
    clock.shift(hours(1))
    run()
    assert count(sam, "staff_daily_summary") == 1


def test_the_issue_email_goes_once_a_day_and_retries_after_a_failure(
    clock, monkeypatch, sam, hidalgo
):
    NotificationPreference.objects.create(
        user=sam, kind="staff_issue_summary", in_app=False, email=True
    )
    EquipmentIssue.objects.create(
        machine=hidalgo, machine_name="Hidalgo", severity="down", description="Compressor"
    )
    from calendarEditor.services import issue_summary

    real = issue_summary.send_issue_summary

    def failing(**kwargs):
        if not kwargs.get("dry_run"):
            raise OSError("mail server down")
        return real(**kwargs)

    monkeypatch.setattr(issue_summary, "send_issue_summary", failing)
    assert due_work.run_due_work().job("issue_summary").errors
    monkeypatch.setattr(issue_summary, "send_issue_summary", real)
    run()
    run()
    assert [m.to for m in issue_mails()] == [["sam@lab.example"]]
    clock.shift(hours(24))
    run()
    assert len(issue_mails()) == 2


def issue_mails() -> list:
    return [message for message in mail.outbox if "Equipment issues" in message.subject]


# --- Housekeeping -------------------------------------------------------------------


@override_settings(NOTIFICATION_RETENTION_DAYS=90, TEMPERATURE_RETENTION_DAYS=30)
def test_pruning_removes_only_what_is_past_its_use(clock, alice, hidalgo):
    tokens.create_token(alice, "/schedule/my/", now=START - hours(25))
    tokens.create_token(alice, "/schedule/my/", now=START - hours(1))
    TemperatureReading.objects.create(
        machine=hidalgo, read_at=START - timedelta(days=31), kelvin=4, reading_id="old"
    )
    TemperatureReading.objects.create(
        machine=hidalgo, read_at=START - timedelta(days=29), kelvin=4, reading_id="recent"
    )
    for age, read in ((91, True), (91, False), (89, True)):
        [note] = notify(
            "machine_edited", [alice], machine=hidalgo, context={"age": age, "read": read}
        )
        Notification.objects.filter(pk=note.pk).update(
            created_at=START - timedelta(days=age), read_at=START if read else None, dedupe_key=""
        )
    report = run(only=["pruning"])
    assert done(report, "pruning") == 3
    assert OneTimeLoginToken.objects.count() == 1
    assert TemperatureReading.objects.count() == 1
    assert Notification.objects.count() == 2
    assert done(run(only=["pruning"]), "pruning") == 0


def test_due_deliveries_are_sent(clock, alice):
    [note] = notify("account_approved", [alice])
    pending = Delivery.objects.get(notification=note, channel="email")
    assert pending.state == DeliveryState.PENDING
    report = run(only=["deliveries"])
    assert report.job("deliveries").planned[0].description == "send 1 due deliveries"
    assert Delivery.objects.get(pk=pending.pk).state == DeliveryState.SENT
    assert len(mail.outbox) == 1
    assert run(only=["deliveries"]).job("deliveries").planned == []


def test_every_job_records_its_run(clock):
    run()
    rows = JobState.objects.order_by("name")
    assert sorted(row.name for row in rows) == sorted(due_work.JOB_NAMES)
    assert all(row.last_ok and row.last_started_at == START for row in rows)
