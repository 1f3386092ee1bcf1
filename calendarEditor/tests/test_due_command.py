"""manage.py run_due_work: one pass, a failing pass, and the worker loop's clean stop."""

import os
import signal
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from calendarEditor.services import due_work
from calendarEditor.tests.due_support import START, hours, running

pytestmark = pytest.mark.django_db

COMMAND = "calendarEditor.management.commands.run_due_work.run_due_work"


def _boom(ctx):
    raise RuntimeError("planner exploded")


def test_one_pass_reports_what_it_did(clock, alice, sam, hidalgo):
    running(alice, hidalgo, sam, hours=1)
    clock.shift(hours(1))
    out = StringIO()
    call_command("run_due_work", stdout=out)
    assert "check_out_reminders: 1 planned, 1 done" in out.getvalue()
    out = StringIO()
    call_command("run_due_work", "--job", "check_out_reminders", stdout=out)
    assert "nothing due" in out.getvalue()


def test_the_command_fails_when_a_job_fails(clock, monkeypatch):
    monkeypatch.setattr(due_work, "JOBS", (("pruning", _boom),))
    monkeypatch.setattr(COMMAND, due_work.run_due_work)
    with pytest.raises(CommandError, match="Some due work failed"):
        call_command("run_due_work", stdout=StringIO())
    with pytest.raises(CommandError, match="interval"):
        call_command("run_due_work", "--loop", "--interval", "0")
    with pytest.raises(CommandError, match="one pass"):
        call_command("run_due_work", "--loop", "--dry-run")


def test_the_loop_stops_cleanly_on_sigterm(monkeypatch):
    passes = []

    def one_pass(**kwargs):
        passes.append(kwargs)
        if len(passes) == 2:
            # Arrives in the middle of the second pass; the loop ends after it.
            os.kill(os.getpid(), signal.SIGTERM)
        return due_work.DueWorkReport(now=START, dry_run=False)

    monkeypatch.setattr(COMMAND, one_pass)
    previous = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    timer = threading.Timer(10, lambda: os.kill(os.getpid(), signal.SIGINT))  # a safety net
    timer.start()
    try:
        call_command("run_due_work", "--loop", "--interval", "0.01", stdout=out)
    finally:
        timer.cancel()
    assert len(passes) == 2
    assert out.getvalue().strip().endswith("Stopped after the last pass.")
    assert signal.getsignal(signal.SIGTERM) == previous
