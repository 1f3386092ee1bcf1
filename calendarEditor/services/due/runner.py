"""Running every due job once: each isolated, each planned before it acts.

A job is a function from the run's Context to a list of Actions: what it
would do, in words, and how. ``dry_run`` stops after the plans. A job that
raises, or an action that raises, is logged and reported; the others go on.
Every action claims its work (a conditional UPDATE) before doing it, so two
runners at once, or a run repeated, never do one thing twice.
"""

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from calendarEditor.models import JobState
from calendarEditor.services.due import config

logger = logging.getLogger("calendarEditor.due_work")


@dataclass(frozen=True)
class Context:
    now: datetime
    dry_run: bool = False
    quiet: bool = False  # inside the quiet hours: non-critical notices wait
    machine_names: frozenset[str] | None = None  # limit machine jobs to these


@dataclass(frozen=True)
class Action:
    """One thing a job would do. ``apply`` returns False when another runner had it first;
    None means the action waits (quiet hours) and is only reported."""

    description: str
    apply: Callable[[], bool] | None


@dataclass
class JobReport:
    name: str
    planned: list[Action] = field(default_factory=list)
    done: int = 0
    skipped: int = 0  # claimed by another runner meanwhile, or no longer due
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def held(self) -> int:
        return sum(1 for action in self.planned if action.apply is None)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, dry_run: bool = False) -> str:
        parts = [f"{len(self.planned)} planned"]
        if not dry_run:
            parts.append(f"{self.done} done")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.held:
            parts.append(f"{self.held} held for quiet hours")
        if self.errors:
            parts.append(f"{len(self.errors)} failed")
        return ", ".join(parts)


@dataclass
class DueWorkReport:
    now: datetime
    dry_run: bool
    jobs: list[JobReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(job.ok for job in self.jobs)

    def job(self, name: str) -> JobReport:
        return next(job for job in self.jobs if job.name == name)

    def lines(self) -> list[str]:
        """The report as text, one job a block, for the command's output."""
        when = timezone.localtime(self.now, config.lab_zone())
        mode = "dry run: nothing changed" if self.dry_run else "done"
        lines = [f"Due work at {when:%Y-%m-%d %H:%M %Z} ({mode})"]
        for job in self.jobs:
            lines.append(f"{job.name}: {job.summary(self.dry_run)}")
            for action in job.planned:
                prefix = "  would: " if self.dry_run else "  - "
                held = " [held until quiet hours end]" if action.apply is None else ""
                lines.append(f"{prefix}{action.description}{held}")
            lines.extend(f"  ! {error}" for error in job.errors)
        return lines


Planner = Callable[[Context], Sequence[Action]]


def run_jobs(
    jobs: Iterable[tuple[str, Planner]],
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    machine_names: Iterable[str] | None = None,
) -> DueWorkReport:
    config.check_all()
    now = now or timezone.now()
    names = frozenset(machine_names) if machine_names is not None else None
    context = Context(now=now, dry_run=dry_run, quiet=config.is_quiet(now), machine_names=names)
    report = DueWorkReport(now=now, dry_run=dry_run)
    jobs = list(jobs)
    if not dry_run:
        _ensure_states_safely([name for name, _ in jobs])
    for name, planner in jobs:
        report.jobs.append(_run_one(name, planner, context))
    return report


def _run_one(name: str, planner: Planner, context: Context) -> JobReport:
    job = JobReport(name)
    started = time.monotonic()
    try:
        job.planned = list(planner(context))
    except Exception as error:
        logger.exception("due work: planning %s failed", name)
        job.errors.append(f"planning failed: {error.__class__.__name__}: {error}")
    if not context.dry_run:
        for action in job.planned:
            _apply(job, action)
    job.seconds = time.monotonic() - started
    if not context.dry_run:
        _record(job, context.now)
    return job


def _apply(job: JobReport, action: Action) -> None:
    if action.apply is None:
        return
    try:
        if action.apply():
            job.done += 1
        else:
            job.skipped += 1
    except Exception as error:
        logger.exception("due work: %s: %r failed", job.name, action.description)
        job.errors.append(f"{action.description}: {error.__class__.__name__}: {error}")


def _record(job: JobReport, started_at: datetime) -> None:
    """Note the run on the job's row; a failure here must not fail the run."""
    try:
        JobState.objects.filter(name=job.name).update(
            last_started_at=started_at,
            last_finished_at=timezone.now(),
            last_ok=job.ok,
            last_error="\n".join(job.errors)[:5000],
            last_summary=job.summary()[:500],
        )
    except Exception:
        logger.exception("due work: could not record the run of %s", job.name)


def _ensure_states_safely(names: list[str]) -> None:
    try:
        ensure_states(names)
    except Exception:
        logger.exception("due work: could not create the job state rows")


def ensure_states(names: Iterable[str]) -> None:
    """Create missing JobState rows; concurrent creators do not collide."""
    JobState.objects.bulk_create([JobState(name=name) for name in names], ignore_conflicts=True)
