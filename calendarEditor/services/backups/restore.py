"""Loading a backup into a freshly migrated, empty database.

There is no ``--force`` and no merge: a restore into a database that holds
rows could mix two histories or overwrite live data, so it is refused. The
rows go in inside one transaction; if anything fails, or the row counts
differ from the manifest afterwards, nothing is kept. Restoring is a
command-line act only: a web upload would let whoever can reach the form
write any row, their own superuser flag included.
"""

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tarfile import TarFile

from django.apps import apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import signals

from calendarEditor.services.backups import snapshot
from calendarEditor.services.backups.archive import (
    DATA,
    MEDIA_PREFIX,
    FileEntry,
    Manifest,
    member_stream,
    open_archive,
    sha256_of,
)
from calendarEditor.services.backups.errors import BackupError

# Raw loads must not trigger side effects (a profile made for each loaded user,
# a notification per row); Django passes raw=True, but not every receiver checks it.
_MUTED_SIGNALS = (signals.pre_save, signals.post_save, signals.m2m_changed)


@dataclass
class RestoreResult:
    manifest: Manifest
    counts: dict[str, int]
    files_written: list[str] = field(default_factory=list)
    files_present: list[str] = field(default_factory=list)


def check_backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Check the archive's format and checksums and that its schema matches this database."""
    with open_archive(path) as (_tar, manifest):
        check_schema(manifest, using)
    return manifest


def restore_backup(
    path: Path, *, include_media: bool = True, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    with open_archive(path) as (tar, manifest):
        check_schema(manifest, using)
        check_empty(using)
        media_root = Path(settings.MEDIA_ROOT)
        entries = manifest.media_files if include_media else []
        present = _check_media_conflicts(entries, media_root)
        written = _write_media(tar, [e for e in entries if e.name not in present], media_root)
        try:
            counts = _load_rows(tar, manifest, using)
        except BaseException:
            for name in written:
                _media_path(media_root, name).unlink(missing_ok=True)
            raise
    return RestoreResult(manifest, counts, files_written=written, files_present=sorted(present))


def check_schema(manifest: Manifest, using: str = DEFAULT_DB_ALIAS) -> None:
    """The rows fit only the schema they were dumped from: same migrations, app by app."""
    here = snapshot.migration_leaves(using)
    problems = []
    for app, leaves in sorted(manifest.migrations.items()):
        mine = here.get(app, [])
        if mine != leaves:
            problems.append(
                f"  {app}: backup at {', '.join(leaves)}; this database at "
                f"{', '.join(mine) or 'nothing (not migrated)'}"
            )
    unknown = sorted(
        set(manifest.models) - {snapshot.label(m) for m in snapshot.backed_up_models(using)}
    )
    if unknown:
        problems.append(f"  models this code does not have: {', '.join(unknown)}")
    if problems:
        steps = " ".join(f"{app} {names[-1]}" for app, names in sorted(manifest.migrations.items()))
        raise BackupError(
            "The backup was made with a different database schema:\n"
            + "\n".join(problems)
            + "\nCheck out the site's version that made the backup, or migrate this empty "
            f"database to the backup's state first (manage.py migrate <app> <migration> for "
            f"each: {steps}), restore, then run manage.py migrate."
        )


def check_empty(using: str = DEFAULT_DB_ALIAS) -> None:
    filled = {name: n for name, n in snapshot.row_counts(using).items() if n}
    if filled:
        listing = ", ".join(f"{name} ({n})" for name, n in sorted(filled.items()))
        raise BackupError(
            f"This database is not empty: {listing}. A backup is restored only into a freshly "
            "migrated, empty database (run manage.py migrate on a new one, and nothing else)."
        )


def _load_rows(tar: TarFile, manifest: Manifest, using: str) -> dict[str, int]:
    connection = connections[using]
    models = snapshot.backed_up_models(using)
    stream = io.TextIOWrapper(member_stream(tar, DATA), encoding="utf-8")
    try:
        with transaction.atomic(using=using), _signals_muted():
            _ensure_content_types(using)
            with connection.constraint_checks_disabled():
                deferred = []
                for row in serializers.deserialize(
                    snapshot.SERIALIZER, stream, using=using, handle_forward_references=True
                ):
                    # The database was empty: insert outright, without trying an UPDATE first.
                    row.save(using=using, force_insert=True)
                    if row.deferred_fields:
                        deferred.append(row)
                for row in deferred:
                    row.save_deferred_fields(using=using)
            connection.check_constraints(table_names=[m._meta.db_table for m in models])
            _reset_sequences(using, models)
            counts = snapshot.row_counts(using)
            _check_counts(manifest, counts)
    except (DeserializationError, ObjectDoesNotExist, DatabaseError) as error:
        raise BackupError(f"The rows could not be loaded; nothing was kept. ({error})") from None
    return counts


def _ensure_content_types(using: str) -> None:
    # Rows name content types and permissions by natural key; make sure every one exists.
    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0, using=using)
        create_permissions(config, verbosity=0, using=using)


def _reset_sequences(using: str, models: list) -> None:
    # Rows came in with their ids; the next new row must not collide with them.
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _check_counts(manifest: Manifest, counts: dict[str, int]) -> None:
    wrong = [
        f"{name}: {counts.get(name, 0)} loaded, {expected} in the backup"
        for name, expected in sorted(manifest.models.items())
        if counts.get(name, 0) != expected
    ]
    extra = [
        f"{name}: {n} rows not in the backup"
        for name, n in counts.items()
        if n and name not in manifest.models
    ]
    if wrong or extra:
        raise BackupError(
            "Row counts differ after loading; nothing was kept: " + "; ".join(wrong + extra)
        )


@contextmanager
def _signals_muted() -> Iterator[None]:
    """Silence model save signals while rows load; a restore runs in its own process."""
    saved = []
    for signal in _MUTED_SIGNALS:
        with signal.lock:
            saved.append((signal, signal.receivers))
            signal.receivers = []
            signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        for signal, receivers in saved:
            with signal.lock:
                signal.receivers = receivers
                signal.sender_receivers_cache.clear()


def _media_path(root: Path, name: str) -> Path:
    path = (root / name.removeprefix(MEDIA_PREFIX)).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BackupError(f"{name} would be written outside MEDIA_ROOT; refused.")
    return path


def _check_media_conflicts(entries: list[FileEntry], root: Path) -> set[str]:
    """Names already in place byte for byte; a different file under a name stops the restore."""
    present, conflicts = set(), []
    for entry in entries:
        path = _media_path(root, entry.name)
        if not path.exists():
            continue
        with path.open("rb") as existing:
            if sha256_of(existing) == (entry.sha256, entry.size):
                present.add(entry.name)
            else:
                conflicts.append(str(path))
    if conflicts:
        raise BackupError(
            "These files already exist in MEDIA_ROOT with other contents; move them away "
            "first: " + ", ".join(conflicts)
        )
    return present


def _write_media(tar: TarFile, entries: list[FileEntry], root: Path) -> list[str]:
    written: list[str] = []
    try:
        for entry in entries:
            path = _media_path(root, entry.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_file(path, member_stream(tar, entry.name), entry)
            written.append(entry.name)
    except BaseException:
        for name in written:
            _media_path(root, name).unlink(missing_ok=True)
        raise
    return written


def _write_file(path: Path, source: io.BufferedIOBase, entry: FileEntry) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".restore-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1024 * 1024):
                out.write(chunk)
        with open(temporary, "rb") as check:
            if sha256_of(check) != (entry.sha256, entry.size):
                raise BackupError(f"{entry.name} did not come out of the backup intact.")
        os.replace(temporary, path)
    except OSError as error:
        raise BackupError(f"Could not write {path}: {error.strerror or error}.") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
