"""A member's notifications: the list, marking read, the bell, and their preferences.

Every query is filtered by the viewer, so another member's notification
answers 404; texts come from the catalogue, never from here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor.services.notifications import catalogue, inbox, preferences, transports
from calendarEditor.services.notifications.kinds import GROUP_LABELS, Group
from calendarEditor.views.staff_access import safe_next

PER_PAGE = 30


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    types = catalogue.types_for(request.user)
    kind, group = _filters(request, {t.name for t in types})
    unread_only = request.GET.get("unread") == "1"
    found = inbox.notifications_for(request.user, kind=kind, group=group, unread_only=unread_only)
    context = {
        "page": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
        "types": types,
        "groups": [(g.value, GROUP_LABELS[g]) for g in _groups_for(request.user)],
        "kind": kind,
        "group": group,
        "unread_only": unread_only,
        "unread_count": inbox.unread_count(request.user),
    }
    return render(request, "notifications/list.html", context)


def _groups_for(user: object) -> list[Group]:
    return [group for group in Group if group != Group.STAFF or getattr(user, "is_staff", False)]


def _filters(request: HttpRequest, kinds: set[str]) -> tuple[str, str]:
    """The kind and group asked for; an unknown one is ignored with a message."""
    kind, group = request.GET.get("kind", ""), request.GET.get("group", "")
    if kind and kind not in kinds:
        messages.warning(request, "That notification type does not exist; showing every type.")
        kind = ""
    if group and group not in set(Group):
        messages.warning(request, "That group does not exist; showing every group.")
        group = ""
    return kind, group


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = inbox.mark_read(request.user, pk)
    if notification is None:
        raise Http404("No such notification.")
    if request.POST.get("open") and notification.link:
        return redirect(notification.link)
    return redirect(safe_next(request) or "schedule-notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = inbox.mark_all_read(request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(safe_next(request) or "schedule-notifications")


@require_safe
def bell(request: HttpRequest) -> HttpResponse:
    """The bell alone, re-fetched when the member's notifications change.

    A logged-out page gets 204 (htmx swaps nothing) rather than a login page in its header.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    context = {"unread_count": inbox.unread_count(request.user)}
    return render(request, "fragments/bell.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        try:
            ticked = preferences.parse(request.user, request.POST)
        except preferences.PreferenceError as error:
            messages.error(request, f"{error}. Nothing was changed.")
            status = 400
        else:
            preferences.save(request.user, ticked)
            messages.success(request, "Notification preferences saved.")
            return redirect("schedule-notification-preferences")
    context = {
        "sections": preferences.grid(request.user),
        "slack_enabled": "slack" in transports.enabled_channels(),
    }
    return render(request, "notifications/preferences.html", context, status=status)
