"""The live parts of the member pages, re-fetched on their own when a queue changes.

Each renders for the viewer who asks, so what one member may see is decided
here and in the page, never in the broadcast.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from calendarEditor import selectors
from calendarEditor.models import Machine


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "fragments/board_table.html", selectors.board_context())


@login_required
@require_safe
def machine_queue(request: HttpRequest, pk: int) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk)
    view = selectors.machine_queue_view(machine)
    return render(request, "fragments/machine_queue.html", {"view": view})


@login_required
@require_safe
def my_queue(request: HttpRequest) -> HttpResponse:
    member_queue = selectors.entries_for_member(request.user)
    return render(request, "fragments/my_queue.html", {"queue": member_queue})
