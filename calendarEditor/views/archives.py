"""Measurement archives: archive a completed run, search, export, and files in and out.

Only the run's member and lab managers see an archive or its files; anyone
else gets 404, so an archive's existence does not leak. Files go out only
through ``archive_file_download``, always as attachments the browser must not
sniff or render; MEDIA_ROOT has no URL of its own.
"""

from collections.abc import AsyncIterator, Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor.forms.records import (
    ArchiveEditForm,
    ArchiveFilesForm,
    ArchiveForm,
    ArchiveSearchForm,
)
from calendarEditor.models import ArchivedMeasurement, ArchiveFile, QueueEntry
from calendarEditor.services import archives, uploads
from calendarEditor.services.archives import ArchiveError

PER_PAGE = 50
View = Callable[..., HttpResponse]


def refuse_large_uploads(view: View) -> View:
    """Turn away a body too large to hold an acceptable upload before anything reads it.

    The CSRF check would read (and spool to disk) the whole body first, so it runs
    here, after the size check, as Django's docs advise for upload handling.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        too_large = length.isdigit() and int(length) > uploads.max_request_bytes()
        if request.method == "POST" and too_large:
            limit = uploads.human_size(uploads.max_total_bytes())
            messages.error(request, f"That upload is too large: at most {limit} per archive.")
            return redirect(_back(request))
        return protected(request, *args, **kwargs)

    return guarded


class ChunkedFileResponse(FileResponse):
    """A FileResponse that, served over ASGI, reads one chunk at a time in a thread.

    Django's default reads a synchronous file into memory whole before sending it
    over ASGI; archive files may be tens of megabytes.
    """

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = iter(self.streaming_content)
        while (
            chunk := await sync_to_async(next, thread_sensitive=False)(chunks, None)
        ) is not None:
            yield chunk


def attachment(stored: FieldFile, name: str, content_type: str) -> FileResponse:
    """A stored file as a download the browser saves and never renders or sniffs."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = ChunkedFileResponse(
        handle, as_attachment=True, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def archive_list(request: HttpRequest) -> HttpResponse:
    form = ArchiveSearchForm(request.GET or None, user=request.user)
    found = archives.search(request.user, **_filters(form))
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    return render(request, "records/archive_list.html", context)


@login_required
@require_safe
def archive_export(request: HttpRequest) -> HttpResponse:
    form = ArchiveSearchForm(request.GET or None, user=request.user)
    rows = archives.search(request.user, **_filters(form))
    # Built whole: under ASGI a streamed sync iterator would be gathered in memory anyway.
    body = "".join(archives.csv_lines(rows))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="archives-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@refuse_large_uploads
@require_http_methods(["GET", "POST"])
def archive_create(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry_for(request, pk)
    existing = archives.archive_for_entry(entry)
    if existing is not None:
        messages.info(request, "This run is already archived.")
        return redirect(existing)
    if not archives.can_archive(request.user, entry):
        messages.error(request, "Only a completed run can be archived.")
        return redirect(entry)
    initial = archives.defaults_for(entry)
    form = ArchiveForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            archive = archives.create_archive(
                entry, form.values(), form.checked_files, by=request.user, preset=data["preset"]
            )
        except (ArchiveError, uploads.UploadError) as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, f"Archived “{archive.title}”.")
            return redirect(archive)
    return render(request, "records/archive_form.html", {"form": form, "entry": entry})


@login_required
@require_safe
def archive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    archive = _archive_for(request, pk)
    files = list(archive.files.all())
    context = {
        "archive": archive,
        "requirements": archives.snapshot_requirements(archive),
        "files": files,
        "stored": sum(f.size for f in files),
        "files_form": ArchiveFilesForm(),
        "limit": uploads.human_size(uploads.max_total_bytes()),
    }
    return render(request, "records/archive_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def archive_edit(request: HttpRequest, pk: int) -> HttpResponse:
    archive = _archive_for(request, pk)
    initial = {name: getattr(archive, name) for name in archives.EDITABLE_FIELDS}
    form = ArchiveEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = archives.update_archive(archive, form.values(), by=request.user)
        except ArchiveError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect(archive)
    return render(request, "records/archive_edit.html", {"form": form, "archive": archive})


@login_required
@refuse_large_uploads
@require_POST
def archive_add_files(request: HttpRequest, pk: int) -> HttpResponse:
    archive = _archive_for(request, pk)
    stored = archives.stored_bytes(archive)
    form = ArchiveFilesForm(request.POST, request.FILES, already_stored=stored)
    if form.is_valid():
        try:
            added = archives.add_files(archive, form.checked_files, by=request.user)
        except uploads.UploadError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, f"Added {len(added)} file{'s' if len(added) != 1 else ''}.")
    else:
        messages.error(request, " ".join(form.errors.get("files", ["Choose files to upload."])))
    return redirect(archive)


@login_required
@require_POST
def archive_file_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stored = _file_for(request, pk)
    archives.delete_file(stored, by=request.user)
    messages.success(request, f"Removed {stored.original_name}.")
    return redirect(stored.archive)


@login_required
@require_safe
def archive_file_download(request: HttpRequest, pk: int) -> FileResponse:
    stored = _file_for(request, pk)
    return attachment(stored.file, stored.original_name, stored.content_type)


def _back(request: HttpRequest) -> str:
    """The page the upload came from, when it is on this site."""
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    return referer if referer and same_site else reverse("schedule-archive-list")


def _filters(form: ArchiveSearchForm) -> dict[str, Any]:
    return form.filters() if form.is_bound else {}


def _entry_for(request: HttpRequest, pk: int) -> QueueEntry:
    entries = QueueEntry.objects.all()
    if not request.user.is_staff:
        entries = entries.filter(member=request.user)
    return get_object_or_404(entries, pk=pk)


def _archive_for(request: HttpRequest, pk: int) -> ArchivedMeasurement:
    archive = get_object_or_404(ArchivedMeasurement, pk=pk)
    if not archives.can_view(request.user, archive):
        raise Http404("No such archive.")
    return archive


def _file_for(request: HttpRequest, pk: int) -> ArchiveFile:
    stored = get_object_or_404(ArchiveFile.objects.select_related("archive"), pk=pk)
    if not archives.can_view(request.user, stored.archive):
        raise Http404("No such file.")
    return stored
