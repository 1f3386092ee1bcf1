"""Superusers download a backup of the whole site; nobody restores one from the web.

A backup holds every account's password hash and every member's data, so
lab managers who are not superusers get a 403. Restoring is a command-line
act only (manage.py restore): an upload form would let whoever reaches it
write any row, their own superuser flag included.
"""

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import IO

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from calendarEditor.services import audit, backups
from mysite.logging import log_event

CHUNK = 256 * 1024


class BackupForm(forms.Form):
    include_media = forms.BooleanField(
        required=False,
        initial=True,
        label="Include uploaded files",
        help_text="Measurement files and photos. Leave out for a small, rows-only backup.",
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def backup(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Only superusers can download backups.")
    form = BackupForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "staff/backup.html", {"form": form})
    include_media = form.cleaned_data["include_media"]
    archive = tempfile.TemporaryFile(prefix="labqueue-download-")  # noqa: SIM115  (the response closes it)
    try:
        manifest = backups.write_archive(archive, include_media=include_media)
    except backups.BackupError as error:
        archive.close()
        form.add_error(None, error.message)
        return render(request, "staff/backup.html", {"form": form}, status=503)
    size = archive.tell()
    _record(request, manifest, size)
    return _attachment(request, archive, backups.default_filename(), size)


def _record(request: HttpRequest, manifest: backups.Manifest, size: int) -> None:
    media = f", {len(manifest.media_files)} files" if manifest.includes_media else ""
    audit.record(
        "backup.downloaded",
        actor=request.user,
        summary=f"Backup downloaded ({manifest.total_rows} rows{media})",
    )
    log_event("backup.downloaded", rows=manifest.total_rows, size=size)


def _attachment(request: HttpRequest, archive: IO[bytes], filename: str, size: int) -> HttpResponse:
    """Stream the file in chunks. Under ASGI (daphne) Django would read a synchronous
    iterator into memory first, so there it gets an asynchronous one."""
    archive.seek(0)
    chunks = _async_chunks(archive) if isinstance(request, ASGIRequest) else _chunks(archive)
    response = StreamingHttpResponse(chunks, content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Length"] = str(size)
    return response


def _chunks(archive: IO[bytes]) -> Iterator[bytes]:
    with archive:
        while chunk := archive.read(CHUNK):
            yield chunk


async def _async_chunks(archive: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(archive.read, CHUNK):
            yield chunk
    finally:
        archive.close()
