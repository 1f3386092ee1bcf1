"""The live parts of the member pages, re-fetched on their own when a queue changes.

Each renders for the viewer who asks, so what one member may see is decided
here and in the page, never in the broadcast.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from calendarEditor import machine_selectors, selectors
from calendarEditor.board_table import board_table_html


@login_required
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    return HttpResponse(board_table_html(request.user))


@login_required
@require_safe
def machine_queue(request: HttpRequest, pk: int) -> HttpResponse:
    # The page travels in the fragment's URL, so a re-fetch keeps the viewer's page.
    page = machine_selectors.page_number(request.GET.get("page"))
    view = machine_selectors.machine_queue_page(pk, request.user, page)
    if view is None:
        raise Http404("No such machine.")
    return render(request, "fragments/machine_queue.html", {"view": view})


@login_required
@require_safe
def my_queue(request: HttpRequest) -> HttpResponse:
    member_queue = selectors.entries_for_member(request.user)
    return render(request, "fragments/my_queue.html", {"queue": member_queue})
