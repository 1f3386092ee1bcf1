"""Everything scheduled (DESIGN §7), run by one function.

``run_due_work`` runs each job once, in this order: machines first (a machine
done with its warmup and cooldown frees its #1 member, a queue opens on time),
then reminders, then housekeeping and the daily summaries. It is idempotent and safe to run in
several processes at once: every action claims its work with a conditional
UPDATE before doing it. Callers: DueWorkMiddleware (at most once a minute per
web process, in a background thread), ``manage.py run_due_work`` (cron, or
``--loop`` as a worker) and ``manage.py auto_close_queues`` (the schedule job alone).
"""

from collections.abc import Iterable
from datetime import datetime

from calendarEditor.services.due import housekeeping, machines, reminders, summaries
from calendarEditor.services.due.runner import DueWorkReport, Planner, run_jobs

JOBS: tuple[tuple[str, Planner], ...] = (
    ("turnover", machines.turnovers),
    ("queue_schedules", machines.schedules),
    ("check_in_reminders", reminders.check_in_reminders),
    ("hold_expiry", reminders.hold_expiry),
    ("check_out_reminders", reminders.check_out_reminders),
    ("still_in_use", reminders.still_in_use),
    ("deliveries", housekeeping.deliveries),
    ("pruning", housekeeping.pruning),
    (summaries.DAILY_SUMMARY, summaries.daily_summary),
    (summaries.ISSUE_SUMMARY, summaries.issue_summary_email),
)
JOB_NAMES = tuple(name for name, _ in JOBS)

__all__ = ["JOBS", "JOB_NAMES", "DueWorkReport", "run_due_work", "run_schedules"]


def run_due_work(
    now: datetime | None = None, dry_run: bool = False, only: Iterable[str] | None = None
) -> DueWorkReport:
    """Run every due job (or those named in ``only``); with ``dry_run``, only plan them."""
    wanted = set(only) if only is not None else None
    unknown = (wanted or set()) - set(JOB_NAMES)
    if unknown:
        raise ValueError(f"unknown due-work jobs: {', '.join(sorted(unknown))}")
    jobs = [(name, job) for name, job in JOBS if wanted is None or name in wanted]
    return run_jobs(jobs, now=now, dry_run=dry_run)


def run_schedules(
    now: datetime | None = None,
    dry_run: bool = False,
    machine_names: Iterable[str] | None = None,
) -> DueWorkReport:
    """The queue-schedule job alone, optionally for some machines (auto_close_queues)."""
    jobs = [(name, job) for name, job in JOBS if name == "queue_schedules"]
    return run_jobs(jobs, now=now, dry_run=dry_run, machine_names=machine_names)
