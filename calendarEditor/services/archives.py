"""Measurement archives: the record of a finished run, its files, search and CSV export.

Who may do what: the run's member and lab managers archive a completed run,
edit the record, add and remove files, and download them; nobody else sees
an archive or its files. Files arrive already checked by services.uploads;
the cap per archive is checked again here under the archive's row lock, so
two uploads at once cannot pass it together.
"""

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from calendarEditor.models import (
    ArchivedMeasurement,
    ArchiveFile,
    EntryStatus,
    QueueEntry,
    QueuePreset,
)
from calendarEditor.services import presets, uploads
from calendarEditor.services.notifications import catalogue, notify
from calendarEditor.services.notifications.outbox import display_name

EDITABLE_FIELDS = ("title", "notes", "measurement_start", "measurement_end", "actual_hours")
# Proposed catalogue type: the member is told when a lab manager archives their run.
ARCHIVE_CREATED = "archive_created"
# The CSV export's columns: a header and the attribute of a searched archive it shows.
CSV_COLUMNS = (
    ("id", "pk"),
    ("title", "title"),
    ("machine", "machine_name"),
    ("member", "member_name"),
    ("measurement_start", "measurement_start"),
    ("measurement_end", "measurement_end"),
    ("actual_hours", "actual_hours"),
    ("files", "file_count"),
    ("total_bytes", "total_bytes"),
    ("notes", "notes"),
    ("archived_at", "created_at"),
    ("archived_by", "created_by_name"),
)


class ArchiveError(Exception):
    """An archive change that cannot happen; the message is for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def can_view(user: Any, archive: ArchivedMeasurement) -> bool:
    return bool(user.is_staff) or (archive.member_id is not None and archive.member_id == user.pk)


def can_archive(user: Any, entry: QueueEntry) -> bool:
    owner = entry.member_id is not None and entry.member_id == user.pk
    return entry.status == EntryStatus.COMPLETED and (owner or bool(user.is_staff))


def archive_for_entry(entry: QueueEntry) -> ArchivedMeasurement | None:
    return ArchivedMeasurement.objects.filter(entry=entry).first()


def defaults_for(entry: QueueEntry) -> dict[str, Any]:
    """The archive form's starting values, from the run's own check-in and check-out."""
    start, end = entry.started_at, entry.completed_at
    hours = round((end - start).total_seconds() / 3600, 2) if start and end else None
    return {
        "title": entry.title,
        "measurement_start": start,
        "measurement_end": end,
        "actual_hours": hours,
    }


def snapshot_for(entry: QueueEntry, preset: QueuePreset | None = None) -> dict[str, Any]:
    """The entry's requirements (and the preset used), as JSON that outlives both."""
    requirements = {name: getattr(entry, name) for name in presets.REQUIREMENT_FIELDS}
    used = None
    if preset is not None:
        used = {
            "id": preset.pk,
            "name": preset.name,
            "creator": preset.creator_name,
            "visibility": preset.visibility,
            "requirements": {name: getattr(preset, name) for name in presets.REQUIREMENT_FIELDS},
        }
    return {
        "requirements": requirements,
        "estimated_hours": entry.estimated_hours,
        "entry": {"id": entry.pk, "title": entry.title, "description": entry.description},
        "machine": entry.machine_name,
        "preset": used,
    }


def snapshot_requirements(archive: ArchivedMeasurement) -> QueuePreset:
    """The archived requirements as an unsaved preset, so pages show them like any other."""
    saved = (archive.requirements_snapshot or {}).get("requirements") or {}
    return QueuePreset(
        **{name: saved[name] for name in presets.REQUIREMENT_FIELDS if name in saved}
    )


def create_archive(
    entry: QueueEntry,
    values: Mapping[str, Any],
    files: Sequence[uploads.CheckedUpload],
    *,
    by: Any,
    preset: QueuePreset | None = None,
) -> ArchivedMeasurement:
    if not can_archive(by, entry):
        if entry.status != EntryStatus.COMPLETED and entry.member_id == by.pk:
            raise ArchiveError("Only a completed run can be archived.")
        raise PermissionDenied("You cannot archive this run.")
    if preset is not None and not presets.can_view(by, preset):
        raise ArchiveError("That preset is not available to you.")
    clean = _clean(values)
    uploads.check_total(files, already_stored=0)
    stored: list[str] = []
    try:
        with transaction.atomic():
            archive = ArchivedMeasurement.objects.create(
                entry=entry,
                machine_id=entry.machine_id,
                machine_name=entry.machine_name,
                member_id=entry.member_id,
                member_name=entry.member_name,
                requirements_snapshot=snapshot_for(entry, preset),
                created_by=by,
                created_by_name=display_name(by),
                **clean,
            )
            _store(archive, files, by, stored)
            if entry.member_id and entry.member_id != by.pk:
                _notify_member(archive, entry, by)
    except IntegrityError as error:
        _discard(stored)
        raise ArchiveError("This run is already archived.") from error
    except BaseException:
        _discard(stored)
        raise
    return archive


def update_archive(
    archive: ArchivedMeasurement, values: Mapping[str, Any], *, by: Any
) -> list[str]:
    """Save changed fields; returns their names (empty when nothing changed)."""
    _require_access(by, archive)
    clean = _clean(values)
    changed = [name for name, value in clean.items() if getattr(archive, name) != value]
    for name in changed:
        setattr(archive, name, clean[name])
    if changed:
        archive.save(update_fields=[*changed, "updated_at"])
    return changed


def add_files(
    archive: ArchivedMeasurement, files: Sequence[uploads.CheckedUpload], *, by: Any
) -> list[ArchiveFile]:
    _require_access(by, archive)
    stored: list[str] = []
    try:
        with transaction.atomic():
            ArchivedMeasurement.objects.select_for_update().filter(pk=archive.pk).first()
            uploads.check_total(files, already_stored=stored_bytes(archive))
            return _store(archive, files, by, stored)
    except BaseException:
        _discard(stored)
        raise


def delete_file(archive_file: ArchiveFile, *, by: Any) -> None:
    _require_access(by, archive_file.archive)
    name = archive_file.file.name
    storage = archive_file.file.storage
    with transaction.atomic():
        archive_file.delete()
        transaction.on_commit(lambda: storage.delete(name))


def stored_bytes(archive: ArchivedMeasurement) -> int:
    return archive.files.aggregate(total=Coalesce(Sum("size"), 0))["total"]


def search(
    user: Any,
    *,
    machine_id: int | None = None,
    member_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    text: str = "",
) -> QuerySet[ArchivedMeasurement]:
    """Archives ``user`` may see, filtered, with ``file_count`` and ``total_bytes`` (one query).

    A date range keeps the runs that overlap it; text looks in titles, notes and names.
    """
    rows = ArchivedMeasurement.objects.all()
    if not user.is_staff:
        rows = rows.filter(member=user)
    elif member_id:
        rows = rows.filter(member_id=member_id)
    if machine_id:
        rows = rows.filter(machine_id=machine_id)
    if date_from:
        rows = rows.filter(measurement_end__date__gte=date_from)
    if date_to:
        rows = rows.filter(measurement_start__date__lte=date_to)
    if text.strip():
        words = text.strip()
        rows = rows.filter(
            Q(title__icontains=words)
            | Q(notes__icontains=words)
            | Q(machine_name__icontains=words)
            | Q(member_name__icontains=words)
        )
    return rows.annotate(
        file_count=Count("files"), total_bytes=Coalesce(Sum("files__size"), 0)
    ).order_by("-measurement_start", "-pk")


def csv_lines(rows: QuerySet[ArchivedMeasurement]) -> Iterator[str]:
    """The CSV export, a line at a time; cells that a spreadsheet would run are defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for archive in rows.iterator(chunk_size=500):
        writer.writerow([_cell(getattr(archive, name)) for _, name in CSV_COLUMNS])
        yield _drain(buffer)
    yield _drain(buffer)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    # A cell starting with one of these runs as a formula when the CSV is opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    clean["title"] = str(clean.get("title", "")).strip()
    if not clean["title"]:
        raise ArchiveError("Give the archive a title.")
    start, end = clean.get("measurement_start"), clean.get("measurement_end")
    if start is None or end is None:
        raise ArchiveError("Give the measurement's start and end.")
    if end < start:
        raise ArchiveError("The measurement cannot end before it starts.")
    if clean.get("actual_hours") is None:
        clean["actual_hours"] = round((end - start).total_seconds() / 3600, 2)
    if clean["actual_hours"] < 0:
        raise ArchiveError("The actual duration cannot be negative.")
    clean["notes"] = str(clean.get("notes", "")).strip()
    return clean


def _require_access(user: Any, archive: ArchivedMeasurement) -> None:
    if not can_view(user, archive):
        raise PermissionDenied("You cannot change this archive.")


def _store(
    archive: ArchivedMeasurement,
    files: Sequence[uploads.CheckedUpload],
    by: Any,
    stored: list[str],
) -> list[ArchiveFile]:
    """Write each file under a server-chosen name; ``stored`` collects names to undo."""
    records = []
    for checked in files:
        record = ArchiveFile(
            archive=archive,
            original_name=checked.name,
            size=checked.size,
            content_type=checked.file_type.content_type,
            sha256=checked.sha256,
            uploaded_by=by,
        )
        checked.upload.seek(0)
        record.file.save("upload", checked.upload, save=False)
        stored.append(record.file.name)
        records.append(record)
    return ArchiveFile.objects.bulk_create(records)


def _discard(names: list[str]) -> None:
    """Remove files written for a change that was rolled back."""
    storage = ArchiveFile._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def _notify_member(archive: ArchivedMeasurement, entry: QueueEntry, by: Any) -> None:
    if ARCHIVE_CREATED not in catalogue.BY_NAME:
        return  # the catalogue type is proposed but not added yet
    notify(
        ARCHIVE_CREATED,
        [entry.member_id],
        entry=entry,
        context={"archive": archive.title, "subject": f"a{archive.pk}"},
        actor=by,
        link=archive.get_absolute_url(),
    )
