"""Open and close queues on their timetables now: the runner's queue-schedule job alone."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calendarEditor.models import Machine
from calendarEditor.services.due_work import run_schedules


class Command(BaseCommand):
    help = "Open or close machine queues whose timetable says so (entries are never dropped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--machine", action="append", help="Only this machine (by name).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; change nothing."
        )

    def handle(self, *args: Any, machine: list[str] | None, dry_run: bool, **options: Any) -> None:
        if machine:
            known = set(Machine.objects.filter(name__in=machine).values_list("name", flat=True))
            unknown = sorted(set(machine) - known)
            if unknown:
                raise CommandError(f"No machine named {', '.join(unknown)}.")
        report = run_schedules(dry_run=dry_run, machine_names=machine)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("Some queues could not be switched; see above and the log.")
