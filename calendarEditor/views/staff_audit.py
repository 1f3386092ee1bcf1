"""The audit log for lab managers: who changed what, when and why."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from calendarEditor import staff_selectors
from calendarEditor.forms.staff import AuditFilterForm
from calendarEditor.views.staff_access import form_error_text, staff_required

EVENTS_PER_PAGE = 50
_FILTERS = ("action", "machine", "actor", "date_from", "date_to")


@staff_required
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, actions=staff_selectors.audit_actions())
    filters = {}
    if form.is_bound and not form.is_valid():
        # The filters that did validate still apply; the page never fails on a bad one.
        messages.warning(request, "Some filters were ignored. " + form_error_text(form))
    if form.is_bound:
        filters = {
            name: form.cleaned_data[name]
            for name in _FILTERS
            if form.cleaned_data.get(name) and name not in form.errors
        }
    events = staff_selectors.audit_events(**filters)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filtered": bool(filters)}
    return render(request, "staff/audit_log.html", context)
