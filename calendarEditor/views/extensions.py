"""Extensions: a running member asks for more time; lab managers decide beyond the allowance."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from calendarEditor.forms.policy import ExtensionForm, NoteForm, ReasonForm
from calendarEditor.models import QueueEntry
from calendarEditor.models.extensions import ExtensionRequest, ExtensionStatus
from calendarEditor.services.errors import QueueError
from calendarEditor.services.queue import extensions
from calendarEditor.views.staff_access import staff_required

RECENT_SHOWN = 20


@login_required
@require_POST
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    entries = QueueEntry.objects.all() if request.user.is_staff else request.user.queue_entries
    entry = get_object_or_404(entries, pk=pk)  # another member's entry: 404, unrevealed
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was asked: {problems}")
        return redirect(entry)
    hours, reason = form.cleaned_data["hours"], form.cleaned_data["reason"]
    try:
        outcome = extensions.request_extension(entry, hours=hours, reason=reason, by=request.user)
    except PermissionDenied:
        raise Http404("No such entry.") from None
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _outcome_message(outcome))
    return redirect(entry)


@staff_required
@require_safe
def staff_extensions(request: HttpRequest) -> HttpResponse:
    decided = (
        ExtensionRequest.objects.exclude(status=ExtensionStatus.PENDING)
        .select_related("entry", "requested_by", "reviewed_by")
        .order_by("-reviewed_at", "-pk")[:RECENT_SHOWN]
    )
    context = {"pending": extensions.pending_extensions(), "decided": decided}
    return render(request, "staff/extensions.html", context)


@staff_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the note under 2000 characters.")
        return redirect("schedule-staff-extensions")
    try:
        outcome = extensions.approve_extension(pk, by=request.user, note=form.cleaned_data["note"])
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Granted: {_outcome_message(outcome)}")
    return redirect("schedule-staff-extensions")


@staff_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the member a reason for the rejection.")
        return redirect("schedule-staff-extensions")
    try:
        extensions.reject_extension(pk, by=request.user, reason=form.cleaned_data["reason"])
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Extension rejected; the member is told why.")
    return redirect("schedule-staff-extensions")


def _outcome_message(outcome: extensions.ExtensionOutcome) -> str:
    extension = outcome.extension
    title, hours = extension.entry.title, f"{extension.hours:g} h"
    if outcome.granted:
        return f"“{title}” is extended by {hours}; the members queued behind it are told."
    return f"Asked to extend “{title}” by {hours}; a lab manager will decide."
