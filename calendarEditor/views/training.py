"""Training: members see where they are trained and ask; lab managers record and decline."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from calendarEditor.forms.policy import QualificationForm, ReasonForm, TrainingRequestForm
from calendarEditor.models import Machine
from calendarEditor.services import training
from calendarEditor.services.errors import QueueError
from calendarEditor.views.staff_access import staff_required


@login_required
@require_safe
def member_training(request: HttpRequest) -> HttpResponse:
    return _render_member(request, TrainingRequestForm())


@login_required
@require_POST
def request_training(request: HttpRequest) -> HttpResponse:
    form = TrainingRequestForm(request.POST)
    if not form.is_valid():
        return _render_member(request, form, status=400)
    machine = form.cleaned_data["machine"]
    try:
        training.request_training(request.user, machine, message=form.cleaned_data["message"])
    except (QueueError, PermissionDenied) as err:
        messages.error(request, getattr(err, "message", str(err)))
    else:
        messages.success(request, f"Asked for training on {machine.name}; lab managers are told.")
    return redirect("schedule-training")


@staff_required
@require_safe
def staff_training(request: HttpRequest) -> HttpResponse:
    return _render_staff(request, QualificationForm())


@staff_required
@require_POST
def record(request: HttpRequest) -> HttpResponse:
    form = QualificationForm(request.POST)
    if not form.is_valid():
        return _render_staff(request, form, status=400)
    data = form.cleaned_data
    try:
        training.record_qualification(
            data["member"],
            data["machine"],
            by=request.user,
            trained_at=data["trained_at"],
            notes=data["notes"],
        )
    except (QueueError, PermissionDenied) as err:
        messages.error(request, getattr(err, "message", str(err)))
    else:
        messages.success(request, f"{data['member']} is trained on {data['machine'].name}.")
    return redirect("schedule-staff-training")


@staff_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    def act(reason: str) -> object:
        return training.revoke_qualification(pk, by=request.user, reason=reason)

    return _decide(request, act, "Training record removed.")


@staff_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    def act(reason: str) -> object:
        return training.decline_request(pk, by=request.user, reason=reason)

    return _decide(request, act, "Training request declined; the member is told why.")


def _decide(request: HttpRequest, action: Callable[[str], object], done: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason: the member sees it.")
        return redirect("schedule-staff-training")
    try:
        action(form.cleaned_data["reason"])
    except QueueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, done)
    return redirect("schedule-staff-training")


def _render_member(
    request: HttpRequest, form: TrainingRequestForm, status: int = 200
) -> HttpResponse:
    standing = training.standing_of(request.user)
    machines = [
        (machine, standing.get(machine.pk, ""))
        for machine in Machine.objects.filter(requires_training=True).order_by("name")
    ]
    context = {"machines": machines, "form": form}
    return render(request, "schedule/training.html", context, status=status)


def _render_staff(request: HttpRequest, form: QualificationForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "requests": training.open_requests(),
        "qualifications": training.qualifications().order_by("machine__name", "member__username"),
    }
    return render(request, "staff/training.html", context, status=status)
