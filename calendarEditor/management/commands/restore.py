"""Load a backup into an empty, freshly migrated database: ``manage.py restore ARCHIVE``.

Steps, each of which stops the restore with the reason if it fails: the
archive's format version and every checksum; the database schema (the same
migrations as when the backup was made); an empty database; uploaded files
that would be overwritten. Then the rows load in one transaction and their
counts are compared with the manifest. ``--check`` runs the first two steps
only, to prove a backup is readable without touching anything.

There is no --force: restore into a new database, never over a live one.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from calendarEditor.services import backups
from mysite.logging import log_event


class Command(BaseCommand):
    help = "Restore a backup made by manage.py backup into an empty, migrated database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="The .tar.gz file manage.py backup wrote.")
        parser.add_argument(
            "--no-media", action="store_true", help="Restore the rows only, not uploaded files."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only verify the archive and that it fits this database's schema.",
        )

    def handle(
        self, *args: Any, archive: Path, no_media: bool, check: bool, **options: Any
    ) -> None:
        try:
            if check:
                self._report_check(backups.check_backup(archive))
                return
            result = backups.restore_backup(archive, include_media=not no_media)
        except backups.BackupError as error:
            raise CommandError(error.message) from None
        log_event(
            "backup.restored",
            rows=result.manifest.total_rows,
            files=len(result.files_written),
            made_at=result.manifest.created_at,
        )
        self._report_restore(result)

    def _report_check(self, manifest: backups.Manifest) -> None:
        self.stdout.write(self.style.SUCCESS(f"Backup OK (made {manifest.created_at})."))
        self.stdout.write(
            f"  format {manifest.format_version}; {manifest.total_rows:,} rows; "
            f"{len(manifest.media_files)} uploaded files; every checksum matches; "
            "the schema matches this database."
        )

    def _report_restore(self, result: backups.RestoreResult) -> None:
        manifest = result.manifest
        self.stdout.write(self.style.SUCCESS(f"Restored the backup made {manifest.created_at}."))
        for name, count in sorted(result.counts.items()):
            if count:
                rows = "row " if count == 1 else "rows"
                self.stdout.write(f"  {name:<42} {count:>8,} {rows} (matches the backup)")
        self.stdout.write(
            f"  {manifest.total_rows:,} rows in all; uploaded files: "
            f"{len(result.files_written)} written, {len(result.files_present)} already in place."
        )
        self.stdout.write("Sessions are not in backups: everyone signs in again.")
