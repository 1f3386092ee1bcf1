"""Lab manager pages: the dashboard and each machine's queue, with their actions.

Every action is a POST that calls one queue service. A refused change (a
QueueError) becomes an error message and changes nothing; the manager is sent
back to the page they came from (``next``) or to the machine's staff queue.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from calendarEditor import machine_selectors, staff_selectors
from calendarEditor.forms import staff as staff_forms
from calendarEditor.models import Machine, QueueEntry
from calendarEditor.services import equipment_issues, gateway_keys, queue, schedule
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.views.staff_access import flash_form_errors, redirect_back, staff_required


@staff_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    summaries = schedule.summarize_machines()
    context = {
        "summaries": summaries,
        "attention_by_machine": equipment_issues.attention_by_machine(
            [summary.machine.pk for summary in summaries]
        ),
        "pending_accounts": staff_selectors.pending_accounts(),
        "rush_requests": staff_selectors.pending_rush_requests(),
        "silent_gateways": gateway_keys.silent_gateway_count(),
    }
    return render(request, "staff/dashboard.html", context)


def _queue_page(request: HttpRequest, pk: int) -> staff_selectors.StaffQueue:
    page = machine_selectors.page_number(request.GET.get("page"))
    return staff_selectors.staff_queue(pk, page=page)


@staff_required
@require_safe
def machine_queue(request: HttpRequest, pk: int) -> HttpResponse:
    context = {
        "page": _queue_page(request, pk),
        "status_form": staff_forms.MachineStatusForm(),
    }
    return render(request, "staff/machine_queue.html", context)


@staff_required
@require_safe
def machine_queue_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the staff queue (the page asked for), re-fetched when the queue changes."""
    return render(request, "fragments/staff_queue.html", {"page": _queue_page(request, pk)})


@staff_required
@require_safe
def reassign_options(request: HttpRequest, machine_pk: int, pk: int) -> HttpResponse:
    """The reassign form of one queued entry, loaded when its "Reassign…" menu opens.

    htmx gets the form alone; without JavaScript the link opens it as a page.
    The form posts to ``reassign_entry`` either way.
    """
    context = {"choice": staff_selectors.entry_reassign(machine_pk, pk)}
    template = "fragments/staff_reassign.html" if request.htmx else "staff/reassign_entry.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_queue(entry: QueueEntry) -> str:
    if entry.machine_id is None:
        return reverse("schedule-staff-dashboard")
    return reverse("schedule-staff-queue", args=[entry.machine_id])


def _act(request: HttpRequest, entry: QueueEntry, action: Callable[[], str]) -> HttpResponse:
    """Run one service call; report what happened or why nothing did."""
    default = _back_to_queue(entry)
    try:
        messages.success(request, action())
    except QueueError as err:
        messages.error(request, err.message)
    return redirect_back(request, default)


def _entry_action(
    request: HttpRequest,
    pk: int,
    form_class: type[forms.Form],
    action: Callable[[QueueEntry, dict[str, Any]], str],
) -> HttpResponse:
    entry = get_object_or_404(QueueEntry, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect_back(request, _back_to_queue(entry))
    return _act(request, entry, lambda: action(entry, form.cleaned_data))


@staff_required
@require_POST
def move_entry(request: HttpRequest, pk: int) -> HttpResponse:
    def move(entry: QueueEntry, data: dict[str, Any]) -> str:
        if data["direction"] == "up":
            result = queue.move_up(entry, by=request.user)
        elif data["direction"] == "down":
            result = queue.move_down(entry, by=request.user)
        else:
            result = queue.move(entry, to=data["position"], by=request.user, reason=data["reason"])
        moved = result.entry
        return f"Moved '{moved.title}' to #{moved.position} on {moved.machine_name}."

    return _entry_action(request, pk, staff_forms.MoveForm, move)


@staff_required
@require_POST
def reassign_entry(request: HttpRequest, pk: int) -> HttpResponse:
    def reassign(entry: QueueEntry, data: dict[str, Any]) -> str:
        target: Machine = data["machine"]
        try:
            result = queue.reassign(
                entry, to_machine=target, by=request.user, reason=data["reason"]
            )
        except NoCompatibleMachine as err:
            raise QueueError(
                f"'{entry.title}' stays on {entry.machine_name}. {err.message}"
            ) from err
        return f"Reassigned '{entry.title}' to {target.name} at #{result.entry.position}."

    return _entry_action(request, pk, staff_forms.ReassignForm, reassign)


@staff_required
@require_POST
def start_entry(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(QueueEntry, pk=pk)

    def start() -> str:
        queue.start(entry, by=request.user)
        return f"Started '{entry.title}' on {entry.machine_name}."

    return _act(request, entry, start)


@staff_required
@require_POST
def complete_entry(request: HttpRequest, pk: int) -> HttpResponse:
    def complete(entry: QueueEntry, data: dict[str, Any]) -> str:
        queue.complete(entry, by=request.user, note=data["note"])
        return f"Completed '{entry.title}' on {entry.machine_name}."

    return _entry_action(request, pk, staff_forms.CompleteForm, complete)


@staff_required
@require_POST
def cancel_entry(request: HttpRequest, pk: int) -> HttpResponse:
    def cancel(entry: QueueEntry, data: dict[str, Any]) -> str:
        queue.cancel(entry, by=request.user, reason=data["reason"])
        return f"Cancelled '{entry.title}' on {entry.machine_name}; the member is told why."

    return _entry_action(request, pk, staff_forms.CancelForm, cancel)


@staff_required
@require_POST
def approve_rush(request: HttpRequest, pk: int) -> HttpResponse:
    def approve(entry: QueueEntry, data: dict[str, Any]) -> str:
        queue.approve_rush(entry, by=request.user, note=data["note"])
        return f"Approved the rush request for '{entry.title}': now #1 on {entry.machine_name}."

    return _entry_action(request, pk, staff_forms.RushApproveForm, approve)


@staff_required
@require_POST
def reject_rush(request: HttpRequest, pk: int) -> HttpResponse:
    def reject(entry: QueueEntry, data: dict[str, Any]) -> str:
        queue.reject_rush(entry, by=request.user, reason=data["reason"])
        return f"Rejected the rush request for '{entry.title}'; {entry.member_name} will see why."

    return _entry_action(request, pk, staff_forms.RushRejectForm, reject)
