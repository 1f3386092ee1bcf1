"""A member (or staff for them) snoozing the check-out reminders of a running entry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from calendarEditor.forms.schedules import SnoozeForm
from calendarEditor.models import QueueEntry
from calendarEditor.services import queue
from calendarEditor.services.errors import QueueError
from calendarEditor.templatetags.queue_tags import start_time


@login_required
@require_POST
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    back = redirect(reverse("schedule-entry", args=[pk]))
    form = SnoozeForm(request.POST)
    try:
        if not form.is_valid():
            _visible(request, pk)
            messages.error(request, "Snooze for a number of hours, at least 0.25.")
            return back
        result = queue.snooze_check_out(pk, hours=form.cleaned_data["hours"], by=request.user)
    except PermissionDenied:
        if request.user.is_staff:
            raise
        raise Http404("No such entry.") from None
    except QueueError as err:
        _visible(request, pk)
        messages.error(request, err.message)
        return back
    until = start_time(result.entry.check_out_snoozed_until)
    messages.success(request, f"Check-out reminders for “{result.entry.title}” wait until {until}.")
    return back


def _visible(request: HttpRequest, pk: int) -> None:
    """404 for an entry that is not the viewer's, without saying whether it exists."""
    entries = (
        QueueEntry.objects.all()
        if request.user.is_staff
        else QueueEntry.objects.filter(member=request.user)
    )
    if not entries.filter(pk=pk).exists():
        raise Http404("No such entry.")
