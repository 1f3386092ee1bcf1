"""The members' home page and each machine's page: what runs where, and who waits."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from calendarEditor import machine_selectors
from calendarEditor.board_table import board_table_html


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "schedule/board.html", {"table": board_table_html(request.user)})


@login_required
@require_safe
def machine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = machine_selectors.page_number(request.GET.get("page"))
    view = machine_selectors.machine_queue_page(pk, request.user, page)
    if view is None:
        raise Http404("No such machine.")
    context = machine_selectors.machine_page_context(view)
    return render(request, "schedule/machine_detail.html", context)
