"""Write a backup of the whole site: ``manage.py backup [--output PATH] [--no-media] [--keep N]``.

The archive (a .tar.gz; calendarEditor.services.backups describes it) goes to
--output, or to BACKUP_DIR when --output is not given. A directory gets a
file named by the time (labqueue-backup-20250101-020000Z.tar.gz); --keep
then deletes all but the newest N there, so a nightly cron job needs nothing
else. A path inside the project is refused: backups hold password hashes and
every member's data, and must never end up in the repository.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calendarEditor.services import backups
from mysite.logging import log_event


class Command(BaseCommand):
    help = "Back up every app's rows (and uploaded files) to a .tar.gz archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="A directory (a dated file is made in it) or a file path. Default: BACKUP_DIR.",
        )
        parser.add_argument(
            "--no-media", action="store_true", help="Leave out the uploaded files (MEDIA_ROOT)."
        )
        parser.add_argument(
            "--keep",
            type=int,
            help="After a successful backup into a directory, keep only the newest N there.",
        )

    def handle(
        self, *args: Any, output: str | None, no_media: bool, keep: int | None, **options: Any
    ) -> None:
        destination = resolve_destination(output)
        if keep is not None and (keep < 1 or not destination.is_dir()):
            raise CommandError("--keep needs a number of at least 1 and a directory as output.")
        try:
            result = backups.create_backup(destination, include_media=not no_media)
        except backups.BackupError as error:
            raise CommandError(error.message) from None
        manifest = result.manifest
        media = len(manifest.media_files)
        log_event("backup.created", rows=manifest.total_rows, files=media, size=result.size)
        self.stdout.write(self.style.SUCCESS(f"Backup written: {result.path}"))
        self.stdout.write(
            f"  {result.size:,} bytes; {manifest.total_rows:,} rows in "
            f"{sum(1 for n in manifest.models.values() if n)} tables; "
            + (f"{media} uploaded files" if manifest.includes_media else "no uploaded files")
        )
        if keep is not None:
            for path in backups.prune(destination, keep):
                self.stdout.write(f"  removed old backup {path.name}")


def resolve_destination(output: str | None) -> Path:
    """--output, else BACKUP_DIR; never a place inside the project (the repository).

    BACKUP_DIR, and an --output ending in "/", name directories (made if missing).
    """
    configured = str(getattr(settings, "BACKUP_DIR", "") or "")
    if not output and not configured:
        raise CommandError("Say where the backup goes: --output PATH, or set BACKUP_DIR.")
    destination = Path(output or configured).expanduser().resolve()
    if destination.is_relative_to(Path(settings.BASE_DIR).resolve()):
        raise CommandError(
            f"{destination} is inside the project directory; backups hold password hashes and "
            "members' data and must stay out of the repository. Choose a path elsewhere."
        )
    if not output or output.endswith("/"):
        destination.mkdir(parents=True, exist_ok=True)
    return destination
