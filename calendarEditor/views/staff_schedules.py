"""Lab managers' queue timetables: opening hours, closed windows, hand overrides; and
skipping an ON DECK member whose hold has expired.

Every change is a POST calling one service; a refusal (QueueError) or a bad
form becomes an error message and changes nothing.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor.forms.schedules import (
    ClosedWindowForm,
    OverrideForm,
    SkipForm,
    TimetableForm,
)
from calendarEditor.models import ClosedWindow, Machine, QueueEntry, QueueSchedule
from calendarEditor.services import queue, queue_schedules, schedule_editing
from calendarEditor.services.errors import QueueError
from calendarEditor.views.staff_access import flash_form_errors, redirect_back, staff_required


@dataclass(frozen=True)
class MachineTimetable:
    machine: Machine
    schedule: QueueSchedule | None
    state: dict[str, Any]


def _overview(now: Any) -> list[MachineTimetable]:
    """Every machine with its timetable and what it wants now (four queries)."""
    by_machine = {s.machine_id: s for s in queue_schedules.schedules(now)}
    return [
        MachineTimetable(
            m, by_machine.get(m.pk), queue_schedules.state_now(m, by_machine.get(m.pk), now)
        )
        for m in Machine.objects.order_by("name")
    ]


def _page(request: HttpRequest, selected: Machine | None = None, **forms: Any) -> HttpResponse:
    rows = _overview(timezone.now())
    current = next((row for row in rows if selected and row.machine.pk == selected.pk), None)
    context = {"rows": rows, "current": current, **forms}
    if current is not None:
        context.setdefault("timetable_form", TimetableForm(schedule=current.schedule))
        context.setdefault("window_form", ClosedWindowForm())
        context.setdefault("override_form", OverrideForm())
    return render(request, "staff/schedules.html", context)


def _back(machine: Machine) -> HttpResponse:
    return redirect(reverse("schedule-staff-schedule", args=[machine.pk]))


@staff_required
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required
@require_http_methods(["GET", "POST"])
def machine_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    if request.method != "POST":
        return _page(request, machine)
    current = QueueSchedule.objects.filter(machine=machine).first()
    form = TimetableForm(request.POST, schedule=current)
    if not form.is_valid():
        return _page(request, machine, timetable_form=form)
    schedule_editing.save_timetable(
        machine,
        form.hours(),
        snooze_max_hours=form.cleaned_data["snooze_max_hours"],
        by=request.user,
    )
    messages.success(request, f"Saved {machine.name}'s opening hours; they apply now.")
    return _back(machine)


@staff_required
@require_POST
def add_window(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    form = ClosedWindowForm(request.POST)
    if not form.is_valid():
        return _page(request, machine, window_form=form)
    data = form.cleaned_data
    try:
        schedule_editing.add_closed_window(
            machine,
            starts=data["starts"],
            ends=data["ends"],
            reason=data["reason"],
            by=request.user,
        )
    except QueueError as err:
        form.add_error(None, err.message)
        return _page(request, machine, window_form=form)
    messages.success(request, f"{machine.name}'s queue closes during the new window.")
    return _back(machine)


@staff_required
@require_POST
def delete_window(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(ClosedWindow.objects.select_related("schedule__machine"), pk=pk)
    schedule_editing.delete_closed_window(window, by=request.user)
    messages.success(request, f"Removed the closed window “{window.reason}”.")
    return _back(window.schedule.machine)


@staff_required
@require_POST
def override(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    try:
        if "resume" in request.POST:
            schedule_editing.clear_override(machine, by=request.user)
            messages.success(request, f"{machine.name}'s queue follows its timetable again.")
            return _back(machine)
        form = OverrideForm(request.POST)
        if not form.is_valid():
            return _page(request, machine, override_form=form)
        data = form.cleaned_data
        is_open = data["state"] == "open"
        schedule_editing.set_override(
            machine, is_open=is_open, until=data["until"], reason=data["reason"], by=request.user
        )
    except QueueError as err:
        messages.error(request, err.message)
        return _back(machine)
    messages.success(request, f"{machine.name}'s queue is held {data['state']} by hand.")
    return _back(machine)


@staff_required
@require_POST
def skip(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(QueueEntry, pk=pk)
    default = (
        reverse("schedule-staff-queue", args=[entry.machine_id])
        if entry.machine_id
        else reverse("schedule-staff-dashboard")
    )
    form = SkipForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect_back(request, default)
    try:
        queue.skip_on_deck(entry, by=request.user, reason=form.cleaned_data["reason"])
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, f"Skipped “{entry.title}”: it is #2 now; the next member may check in."
        )
    return redirect_back(request, default)
