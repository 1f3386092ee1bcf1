"""Equipment issues: report a problem, follow it, and (lab managers) acknowledge and resolve.

Every member reads every issue; the reporter and lab managers comment; only
lab managers acknowledge and resolve (others get 403).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor.forms.records import (
    IssueAcknowledgeForm,
    IssueCommentForm,
    IssueFilterForm,
    IssueReportForm,
    IssueResolveForm,
)
from calendarEditor.models import EquipmentIssue
from calendarEditor.services import equipment_issues
from calendarEditor.services.equipment_issues import IssueError
from calendarEditor.views.archives import attachment, refuse_large_uploads
from calendarEditor.views.staff_access import staff_required

PER_PAGE = 50


@login_required
@require_safe
def issue_list(request: HttpRequest) -> HttpResponse:
    form = IssueFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    found = equipment_issues.issue_list(**filters)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    return render(request, "records/issue_list.html", context)


@login_required
@refuse_large_uploads
@require_http_methods(["GET", "POST"])
def issue_report(request: HttpRequest) -> HttpResponse:
    initial = {"machine": request.GET.get("machine")} if request.GET.get("machine") else {}
    form = IssueReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = equipment_issues.report_issue(
                data["machine"], data, form.checked_photo, by=request.user
            )
        except IssueError as err:
            form.add_error(None, err.message)
        else:
            messages.success(
                request, f"Reported. Lab managers are told about {issue.machine_name}."
            )
            return redirect(issue)
    return render(request, "records/issue_form.html", {"form": form})


@login_required
@require_safe
def issue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_object_or_404(EquipmentIssue, pk=pk))


@login_required
@require_POST
def issue_comment(request: HttpRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(EquipmentIssue, pk=pk)
    if not equipment_issues.can_comment(request.user, issue):
        raise PermissionDenied("Only the reporter and lab managers comment on an issue.")
    form = IssueCommentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, issue, comment_form=form)
    equipment_issues.add_comment(issue, form.cleaned_data["body"], by=request.user)
    messages.success(request, "Comment added.")
    return redirect(issue)


@staff_required
@require_POST
def issue_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(EquipmentIssue, pk=pk)
    form = IssueAcknowledgeForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, issue, acknowledge_form=form)
    fix_at = form.cleaned_data["estimated_fix_at"]
    try:
        equipment_issues.acknowledge(issue, by=request.user, estimated_fix_at=fix_at)
    except IssueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Acknowledged. The reporter and members queued there are told.")
    return redirect(issue)


@staff_required
@require_POST
def issue_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    issue = get_object_or_404(EquipmentIssue, pk=pk)
    form = IssueResolveForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, issue, resolve_form=form)
    try:
        equipment_issues.resolve(issue, by=request.user, note=form.cleaned_data["note"])
    except IssueError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Resolved. The reporter and members queued there are told.")
    return redirect(issue)


@login_required
@require_safe
def issue_photo(request: HttpRequest, pk: int) -> FileResponse:
    issue = get_object_or_404(EquipmentIssue, pk=pk)
    if not issue.photo:
        raise Http404("This report has no photo.")
    return attachment(issue.photo, issue.photo_name or "photo", issue.photo_content_type)


def _render_detail(request: HttpRequest, issue: EquipmentIssue, **forms: Any) -> HttpResponse:
    context = {
        "issue": issue,
        "comments": list(issue.comments.all()),
        "can_comment": equipment_issues.can_comment(request.user, issue),
        "comment_form": forms.get("comment_form") or IssueCommentForm(),
        "acknowledge_form": forms.get("acknowledge_form")
        or IssueAcknowledgeForm(initial={"estimated_fix_at": issue.estimated_fix_at}),
        "resolve_form": forms.get("resolve_form") or IssueResolveForm(),
    }
    return render(request, "records/issue_detail.html", context)
