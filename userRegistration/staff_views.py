"""Lab managers' account pages: the members list and the approval actions."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from userRegistration import services
from userRegistration.forms import MemberFilterForm, ReasonForm
from userRegistration.models import ApprovalStatus
from userRegistration.services import AccountError

MEMBERS_PER_PAGE = 100
View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Anonymous visitors go to the login page; members get 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only lab managers can manage accounts.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
@require_safe
def members(request: HttpRequest) -> HttpResponse:
    """Accounts awaiting approval first, then everyone, filtered by status or a search."""
    filters = MemberFilterForm(request.GET or None)
    page = Paginator(_filtered_members(filters), MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "pending": list(_pending_members()),
        "filters": filters,
        "page": page,
        "query_string": _query_without_page(request),
        "statuses": ApprovalStatus,
    }
    return render(request, "accounts/staff_members.html", context)


@staff_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda m: services.approve(m, by=request.user), "approved")


@staff_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    reason = _reason(request)
    if reason is None:
        return _back(request)
    return _act(
        request, pk, lambda m: services.reject(m, by=request.user, reason=reason), "rejected"
    )


@staff_required
@require_POST
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    reason = _reason(request)
    if reason is None:
        return _back(request)
    return _act(
        request, pk, lambda m: services.suspend(m, by=request.user, reason=reason), "suspended"
    )


@staff_required
@require_POST
def reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda m: services.reinstate(m, by=request.user), "reinstated")


@staff_required
@require_POST
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda m: services.promote(m, by=request.user), "made a lab manager")


@staff_required
@require_POST
def demote(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda m: services.demote(m, by=request.user), "made a member")


def _act(request: HttpRequest, pk: int, action: Callable[[Any], object], done: str) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=pk)
    try:
        action(member)
    except AccountError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{member.get_username()}: {done}.")
    return _back(request)


def _reason(request: HttpRequest) -> str | None:
    form = ReasonForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["reason"]
    messages.error(request, " ".join(form.errors["reason"]))
    return None


def _back(request: HttpRequest) -> HttpResponse:
    """Return to the page (and filters) the action came from, if it is on this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("accounts-staff-members")


def _pending_members() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(profile__approval_status=ApprovalStatus.PENDING, is_staff=False)
        .select_related("profile")
        .order_by("date_joined", "pk")
    )


def _filtered_members(filters: MemberFilterForm) -> QuerySet:
    users = get_user_model().objects.select_related("profile", "profile__approved_by")
    if filters.is_bound and filters.is_valid():
        status = filters.cleaned_data["status"]
        if status == MemberFilterForm.STAFF:
            users = users.filter(is_staff=True)
        elif status:
            users = users.filter(profile__approval_status=status)
        if text := filters.cleaned_data["q"].strip():
            users = users.filter(
                Q(username__icontains=text)
                | Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
                | Q(profile__department__icontains=text)
            )
    return users.order_by("username")


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
