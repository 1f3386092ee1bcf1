"""Run the scheduled work once (cron), or in a loop as a worker process (DESIGN §7).

Safe next to other runners and the web processes' middleware: every action
claims its work first. With --loop, SIGTERM or SIGINT stops the worker
cleanly after the pass in progress. With --dry-run, prints what each job
would do and changes nothing.
"""

import logging
import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from calendarEditor.services.due_work import JOB_NAMES, run_due_work

logger = logging.getLogger("calendarEditor.due_work")


class Command(BaseCommand):
    help = "Run what is due: reminders, holds, turnovers, queue schedules, housekeeping, summaries."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; change nothing."
        )
        parser.add_argument("--loop", action="store_true", help="Keep running, one pass a pause.")
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between passes (with --loop)."
        )
        parser.add_argument(
            "--job",
            action="append",
            choices=JOB_NAMES,
            help="Run only this job (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval, loop = options["interval"], options["loop"]
        if interval <= 0:
            raise CommandError("--interval must be above 0 seconds.")
        if loop and options["dry_run"]:
            raise CommandError("--dry-run makes one pass; leave out --loop.")
        if not loop:
            if not self._one_pass(options):
                raise CommandError("Some due work failed; see the report above and the log.")
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, _stopper(stop)) for sig in _STOP_SIGNALS}
        try:
            self._loop(options, interval, stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _loop(self, options: dict[str, Any], interval: float, stop: threading.Event) -> None:
        self.stdout.write(f"Running due work every {interval:g} s; SIGTERM or Ctrl-C stops.")
        while not stop.is_set():
            try:
                self._one_pass(options)
            except Exception:
                # A worker outlives a database blip; the next pass picks up where this stopped.
                logger.exception("run_due_work pass failed")
            close_old_connections()
            stop.wait(interval)
        self.stdout.write("Stopped after the last pass.")

    def _one_pass(self, options: dict[str, Any]) -> bool:
        report = run_due_work(dry_run=options["dry_run"], only=options["job"])
        verbose = options["dry_run"] or options["verbosity"] >= 2
        for line in report.lines() if verbose else _short(report):
            self.stdout.write(line)
        return report.ok


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stopper(stop: threading.Event) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return handler


def _short(report: Any) -> list[str]:
    """One line per job that did or failed something, for a worker's log."""
    busy = [job for job in report.jobs if job.planned or job.errors]
    if not busy:
        when = timezone.localtime(report.now)
        return [f"{when:%Y-%m-%d %H:%M:%S} due work: nothing due"]
    return [f"{job.name}: {job.summary()}" for job in busy] + [
        f"  ! {error}" for job in busy for error in job.errors
    ]
