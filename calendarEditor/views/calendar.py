"""The calendar page, the feed links page, and the iCalendar feeds themselves.

The pages need a login (and, through the approval middleware, an approved
account). The feeds are fetched by calendar apps without a session: their
secret token is the key, and an unknown, revoked or suspended member's token
answers 404 without saying which.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from calendarEditor.forms.policy import CalendarRangeForm
from calendarEditor.models import Machine
from calendarEditor.services import calendar_feeds, calendar_items
from calendarEditor.services.errors import QueueError

# Calendar apps poll; five minutes keeps a feed near the live queue without hammering the site.
FEED_MAX_AGE_SECONDS = 300


@login_required
@require_safe
def calendar(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    machine = get_object_or_404(Machine, pk=pk) if pk is not None else None
    machines = [machine] if machine else list(Machine.objects.order_by("name"))
    form = CalendarRangeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        first_day, days = form.cleaned_data["start"], form.cleaned_data["days"]
    else:
        first_day, days = timezone.localdate(), 7
    page = calendar_items.calendar_page(machines, request.user, first_day, days)
    context = {"page": page, "machine": machine, "form": form, "days": days}
    return render(request, "schedule/calendar.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def feeds(request: HttpRequest) -> HttpResponse:
    """Make, replace or revoke the secret link; a new link is shown once, on this response."""
    token = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if calendar_feeds.revoke(request.user):
                messages.success(request, "Your calendar links no longer work.")
            return redirect("schedule-calendar-feeds")
        if request.POST.get("action") != "create":
            messages.error(request, "Choose to make a new link or to revoke the current one.")
            return redirect("schedule-calendar-feeds")
        try:
            token = calendar_feeds.create_token(request.user)
        except QueueError as err:
            messages.error(request, err.message)
            return redirect("schedule-calendar-feeds")
    context = {
        "token": token,
        "live": calendar_feeds.live_token(request.user),
        "machines": Machine.objects.order_by("name"),
    }
    response = render(request, "schedule/calendar_feeds.html", context)
    response["Cache-Control"] = "no-store"  # the page may hold the secret
    return response


@require_safe
def member_feed(request: HttpRequest, token: str) -> HttpResponse:
    member = _member_or_404(token)
    return _ics(calendar_feeds.member_feed(member), "my-lab-queue.ics")


@require_safe
def machine_feed(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    member = _member_or_404(token)
    machine = get_object_or_404(Machine, pk=pk)
    return _ics(calendar_feeds.machine_feed(machine, member), f"machine-{machine.pk}.ics")


def _member_or_404(token: str) -> object:
    member = calendar_feeds.member_for(token)
    if member is None:
        raise Http404("No such calendar feed.")
    return member


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = f"private, max-age={FEED_MAX_AGE_SECONDS}"
    # The URL is the secret: keep it out of referrers and search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
