"""Retry failed and abandoned notification deliveries; cron it, or run it with --loop.

Safe to run in several processes at once: each delivery is claimed with a
conditional UPDATE before it is sent. Each pass also prunes expired login links.
"""

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from calendarEditor.services.notifications import delivery, tokens

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send due notification deliveries (failed, abandoned or never tried) once or in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep running, one pass a pause.")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between passes (with --loop)."
        )
        parser.add_argument("--limit", type=int, default=100, help="Deliveries per pass at most.")

    def handle(self, *args: Any, loop: bool, interval: float, limit: int, **options: Any) -> None:
        if limit < 1 or interval <= 0:
            raise CommandError("--limit must be at least 1 and --interval above 0.")
        if not loop:
            self._one_pass(limit)
            return
        while True:
            try:
                self._one_pass(limit)
            except Exception:
                # A worker outlives a database blip; the next pass picks up where this stopped.
                logger.exception("deliver_notifications pass failed")
            close_old_connections()
            time.sleep(interval)

    def _one_pass(self, limit: int) -> None:
        report = delivery.deliver_due(limit=limit)
        pruned = tokens.prune_expired()
        self.stdout.write(
            f"sent {report.sent}, failed {report.failed}, permanent {report.permanent}, "
            f"deferred {report.deferred}, reclaimed {report.reclaimed}, "
            f"expired login links pruned {pruned}"
        )
