"""Making a backup: rows from one snapshot, optionally the uploaded files."""

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from calendarEditor.services.backups import snapshot
from calendarEditor.services.backups.archive import (
    DATA,
    MEDIA_PREFIX,
    FileEntry,
    Manifest,
    sha256_of,
    write_tar,
)
from calendarEditor.services.backups.errors import BackupError

FILENAME_PREFIX = "labqueue-backup-"
SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    manifest: Manifest


def default_filename(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(tz=UTC)).strftime("%Y%m%d-%H%M%SZ")
    return f"{FILENAME_PREFIX}{stamp}{SUFFIX}"


def create_backup(
    destination: Path, *, include_media: bool = True, using: str = DEFAULT_DB_ALIAS
) -> BackupResult:
    """Write a backup to ``destination`` (a file path, or a directory to name one in).

    The archive appears under its final name only once complete, readable by
    its owner only: it holds password hashes and everything members wrote.
    """
    path = destination / default_filename() if destination.is_dir() else destination
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            manifest = write_archive(out, include_media=include_media, using=using)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not write {path}: {error.strerror or error}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)


def write_archive(
    out: IO[bytes], *, include_media: bool = True, using: str = DEFAULT_DB_ALIAS
) -> Manifest:
    """Write a whole backup archive to an open binary file; returns its manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryFile(prefix="labqueue-backup-") as data:
        counts, leaves = _dump_rows(data, using)
        data.seek(0)
        digest, size = sha256_of(data)
        files = [FileEntry(DATA, size, digest)]
        if include_media:
            files += list(_media_entries(media_root))
        manifest = Manifest(
            created_at=datetime.now(tz=UTC).isoformat(timespec="seconds"),
            database_vendor=connections[using].vendor,
            django_version=django.get_version(),
            migrations=leaves,
            models=counts,
            excluded_models=snapshot.excluded_labels(),
            includes_media=include_media,
            files=files,
        )
        write_tar(out, manifest, data, media_root)
    return manifest


def _dump_rows(data: IO[bytes], using: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    text = io.TextIOWrapper(data, encoding="utf-8", newline="\n")
    with snapshot.consistent_snapshot(using):
        counts = snapshot.write_rows(text, using)
        leaves = snapshot.migration_leaves(using)
    text.flush()
    text.detach()  # keep the binary file open for hashing and archiving
    return counts, leaves


def _media_entries(root: Path) -> Iterator[FileEntry]:
    """Regular files under MEDIA_ROOT, in a stable order. Symlinks are not followed:
    one pointing outside would copy a file that is no upload into the backup."""
    if not root.is_dir():
        return
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as stream:
                digest, size = sha256_of(stream)
            yield FileEntry(MEDIA_PREFIX + path.relative_to(root).as_posix(), size, digest)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups this code named in ``directory``."""
    backups = sorted(directory.glob(f"{FILENAME_PREFIX}*{SUFFIX}"), reverse=True)
    removed = backups[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
