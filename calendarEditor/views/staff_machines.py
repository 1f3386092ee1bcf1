"""Lab managers adding, editing, deleting machines and switching their status or queue."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from calendarEditor import staff_selectors
from calendarEditor.forms import staff as staff_forms
from calendarEditor.models import Machine
from calendarEditor.services import machines
from calendarEditor.services.errors import QueueError
from calendarEditor.views.staff_access import flash_form_errors, redirect_back, staff_required


def _queue_url(machine: Machine) -> str:
    return reverse("schedule-staff-queue", args=[machine.pk])


def _as_form_error(err: QueueError | ValidationError) -> str | ValidationError:
    # The service re-validates under its lock; a change since the form checked shows here.
    return err.message if isinstance(err, QueueError) else err


@staff_required
@require_http_methods(["GET", "POST"])
def machine_create(request: HttpRequest) -> HttpResponse:
    form = staff_forms.MachineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            machine = machines.create_machine(form.values(), by=request.user)
        except (QueueError, ValidationError) as err:
            form.add_error(None, _as_form_error(err))
        else:
            messages.success(request, f"Added {machine.name}. Its queue is open.")
            return redirect(_queue_url(machine))
    return render(request, "staff/machine_form.html", {"form": form, "machine": None})


@staff_required
@require_http_methods(["GET", "POST"])
def machine_edit(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    # Validation writes the typed values onto the instance; the page title keeps the saved name.
    saved_name = machine.name
    form = staff_forms.MachineForm(request.POST or None, instance=machine)
    if request.method == "POST" and form.is_valid():
        changed = form.changed_fields()
        if not changed:
            messages.info(request, f"Nothing to save: {saved_name} is unchanged.")
            return redirect(_queue_url(machine))
        try:
            saved = machines.update_machine(machine, form.values(), by=request.user)
        except (QueueError, ValidationError) as err:
            form.add_error(None, _as_form_error(err))
        else:
            labels = ", ".join(str(form[name].label).lower() for name in changed)
            messages.success(request, f"Saved {saved.name}: changed {labels}.")
            return redirect(_queue_url(saved))
    context = {"form": form, "machine": machine, "saved_name": saved_name}
    return render(request, "staff/machine_form.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def machine_delete(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    form = staff_forms.MachineDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            machines.delete_machine(machine, by=request.user, reason=form.cleaned_data["reason"])
        except QueueError as err:
            messages.error(request, err.message)
            return redirect(_queue_url(machine))
        messages.success(request, f"Deleted {machine.name}. Its finished entries keep its name.")
        return redirect("schedule-staff-dashboard")
    context = {
        "machine": machine,
        "form": form,
        "active_entries": staff_selectors.active_entries(machine),
    }
    return render(request, "staff/machine_confirm_delete.html", context)


@staff_required
@require_POST
def machine_status(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    form = staff_forms.MachineStatusForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect_back(request, _queue_url(machine))
    try:
        saved = machines.set_status(
            machine,
            form.cleaned_data["status"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"{saved.name}'s status is now “{saved.get_status_display()}”.")
    return redirect_back(request, _queue_url(machine))


@staff_required
@require_POST
def machine_queue_open(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    form = staff_forms.QueueOpenForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect_back(request, _queue_url(machine))
    is_open = form.cleaned_data["open"]
    try:
        machines.set_queue_open(
            machine, is_open, by=request.user, reason=form.cleaned_data["reason"]
        )
    except QueueError as err:
        messages.error(request, err.message)
    else:
        state = "open: it takes new entries" if is_open else "closed: it keeps and runs its entries"
        messages.success(request, f"{machine.name}'s queue is now {state}.")
    return redirect_back(request, _queue_url(machine))
