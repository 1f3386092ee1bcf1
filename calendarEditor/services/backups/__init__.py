"""Backups and restores of the whole site: every app's rows and, optionally, uploaded files.

``create_backup`` / ``write_archive`` make one (``manage.py backup``, and the
superuser-only download page); ``restore_backup`` loads one into an empty,
freshly migrated database (``manage.py restore`` only: never from the web).
snapshot.py says what is in a backup, archive.py how the file is laid out.
"""

from calendarEditor.services.backups.archive import FORMAT_VERSION, Manifest, open_archive
from calendarEditor.services.backups.create import (
    BackupResult,
    create_backup,
    default_filename,
    prune,
    write_archive,
)
from calendarEditor.services.backups.errors import BackupError
from calendarEditor.services.backups.restore import (
    RestoreResult,
    check_backup,
    check_empty,
    restore_backup,
)

__all__ = [
    "FORMAT_VERSION",
    "BackupError",
    "BackupResult",
    "Manifest",
    "RestoreResult",
    "check_backup",
    "check_empty",
    "create_backup",
    "default_filename",
    "open_archive",
    "prune",
    "restore_backup",
    "write_archive",
]
