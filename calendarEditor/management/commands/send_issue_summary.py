"""E-mail the equipment issue summary to lab managers who opted in and ISSUE_SUMMARY_RECIPIENT.

The scheduled-work runner sends it once a day; this command sends it now.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calendarEditor.services import issue_summary


class Command(BaseCommand):
    help = (
        "E-mail every open equipment issue (machine, status, severity, how long it has been "
        "open) to lab managers who opted in and to ISSUE_SUMMARY_RECIPIENT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lookback-hours",
            type=int,
            default=issue_summary.DEFAULT_LOOKBACK_HOURS,
            help="Issues reported within this many hours are marked new; with "
            "--include-closed, issues resolved within it are listed too (default 24).",
        )
        parser.add_argument(
            "--include-closed",
            action="store_true",
            help="Also list the issues resolved within the lookback window.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the summary and its recipients only."
        )

    def handle(
        self, *args: Any, lookback_hours: int, include_closed: bool, dry_run: bool, **options: Any
    ) -> None:
        if lookback_hours < 1:
            raise CommandError("--lookback-hours must be at least 1.")
        result = issue_summary.send_issue_summary(
            lookback_hours=lookback_hours, include_closed=include_closed, dry_run=dry_run
        )
        if dry_run:
            self._print_preview(result, lookback_hours, include_closed)
        elif not result.lines:
            self.stdout.write("No equipment issues to report; nothing sent.")
        elif not result.recipients:
            self.stdout.write(
                "Nobody receives the issue summary: no lab manager opted in and "
                "ISSUE_SUMMARY_RECIPIENT is not set; nothing sent."
            )
        else:
            self.stdout.write(
                f"Sent the issue summary ({len(result.lines)} issues) "
                f"to {result.sent} of {len(result.recipients)} recipients."
            )

    def _print_preview(
        self, result: issue_summary.SummaryResult, lookback_hours: int, include_closed: bool
    ) -> None:
        subject, body = issue_summary.render_summary(
            result.lines, lookback_hours=lookback_hours, include_closed=include_closed
        )
        shown = ", ".join(result.recipients) or "nobody"
        self.stdout.write(f"Would send to: {shown}\nSubject: {subject}\n\n{body}")
