"""The members' home page and each machine's page: what runs where, and who waits."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from calendarEditor import selectors
from calendarEditor.models import Machine


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "schedule/board.html", selectors.board_context())


@login_required
@require_safe
def machine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    return render(request, "schedule/machine_detail.html", selectors.machine_page_context(machine))
