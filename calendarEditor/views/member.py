"""A member's own work: submitting a job, following it, and acting on it.

Another member's entry answers 404, so its existence does not leak; staff may
see and act on any entry. The queue engine checks ownership again.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor import selectors
from calendarEditor.forms.submit import RushRequestForm, SubmitForm
from calendarEditor.models import QueueEntry, QueuePreset
from calendarEditor.services import presets, queue, schedule
from calendarEditor.services.errors import NoCompatibleMachine, QueueError
from calendarEditor.services.queue import QueueResult
from calendarEditor.templatetags.queue_tags import start_time, wait


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    # Passed uncalled: a POST naming no daughterboard or capability never needs the query.
    options = selectors.requirement_options
    if request.method == "GET":
        loaded = presets.loadable_preset(request.user, request.GET.get("preset"))
        initial = presets.initial_for_submit(loaded) if loaded else None
        form = SubmitForm(initial=initial, options=options)
        return _render_submit(request, form, loaded=loaded)
    form = SubmitForm(request.POST, options=options)
    only_checking = "preview" in request.POST
    if only_checking or not form.is_valid():
        preview = _preview_for(form, request.user, only_checking=only_checking)
        return _render_submit(request, form, preview=preview)
    # No machine is read from the form: matching chooses it on the server.
    try:
        result = queue.enqueue(form.entry_request(), member=request.user, by=request.user)
    except NoCompatibleMachine as err:
        preview = selectors.SubmitPreview.from_result(err.result)
        return _render_submit(request, form, preview=preview, no_match=True)
    except QueueError as err:
        messages.error(request, err.message)
        return _render_submit(request, form)
    messages.success(request, _queued_message(result))
    return redirect(result.entry)


@login_required
@require_safe
def submit_preview(request: HttpRequest) -> HttpResponse:
    """Where the half-filled form would go now; a GET that changes nothing."""
    summaries = schedule.summarize_machines()
    options = selectors.requirement_options([summary.machine for summary in summaries])
    form = SubmitForm(request.GET, options=options)
    form.is_valid()
    errors = form.requirement_errors()
    qualified = schedule.qualified_machine_ids(request.user)
    preview = (
        None if errors else selectors.submit_preview(form.requirements(), summaries, qualified)
    )
    context = {"preview": preview, "preview_errors": _labelled(form, errors)}
    return render(request, "fragments/submit_preview.html", context)


@login_required
@require_safe
def my_queue(request: HttpRequest) -> HttpResponse:
    member_queue = selectors.entries_for_member(request.user)
    return render(request, "schedule/my_queue.html", {"queue": member_queue})


@login_required
@require_safe
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_entry(request, _entry_for(request, pk), RushRequestForm())


@login_required
@require_POST
def cancel_entry(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: queue.cancel(pk, by=request.user),
        _cancelled_message,
        default_next=reverse("schedule-my-queue"),
    )


@login_required
@require_POST
def request_rush(request: HttpRequest, pk: int) -> HttpResponse:
    form = RushRequestForm(request.POST)
    if not form.is_valid():
        return _render_entry(request, _entry_for(request, pk), form)
    justification = form.cleaned_data["justification"]
    return _act(
        request,
        pk,
        lambda: queue.request_rush(pk, justification=justification, by=request.user),
        lambda done: f"Rush requested for “{done.title}”. A lab manager will review it.",
    )


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: queue.start(pk, by=request.user),
        lambda done: (
            f"Checked in: “{done.title}” is running on {done.machine_name}. "
            "Check out as soon as you are done."
        ),
    )


@login_required
@require_POST
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: queue.complete(pk, by=request.user),
        lambda done: (
            f"Checked out: “{done.title}” is complete and "
            f"{done.machine_name} is free for the next member."
        ),
    )


def _entry_for(request: HttpRequest, pk: int) -> QueueEntry:
    """The entry if the viewer owns it or is staff; 404 otherwise, existence unrevealed."""
    entries = QueueEntry.objects.select_related("machine")
    if not request.user.is_staff:
        entries = entries.filter(member=request.user)
    return get_object_or_404(entries, pk=pk)


def _act(
    request: HttpRequest,
    pk: int,
    action: Callable[[], QueueResult],
    success: Callable[[QueueEntry], str],
    default_next: str | None = None,
) -> HttpResponse:
    """Run one queue operation on entry ``pk``; a refusal becomes a message, nothing changes.

    The engine checks ownership under its lock, so the happy path reads the
    entry once; only a refusal looks again, to answer 404 for an entry that is
    not the viewer's (or does not exist) without revealing which.
    """
    try:
        result = action()
    except PermissionDenied:
        if request.user.is_staff:
            raise
        raise Http404("No such entry.") from None
    except QueueError as err:
        _entry_for(request, pk)
        messages.error(request, err.message)
    else:
        messages.success(request, success(result.entry))
    default = default_next or reverse("schedule-entry", args=[pk])
    return redirect(_next_url(request, default))


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and safe else default


def _render_entry(
    request: HttpRequest, entry: QueueEntry, rush_form: RushRequestForm
) -> HttpResponse:
    context = {"view": selectors.entry_view(entry), "rush_form": rush_form}
    return render(request, "schedule/entry_detail.html", context)


def _render_submit(
    request: HttpRequest,
    form: SubmitForm,
    *,
    preview: selectors.SubmitPreview | None = None,
    no_match: bool = False,
    loaded: QueuePreset | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "preview": preview,
        "no_match": no_match,
        "presets": presets.picker(request.user),
        "loaded": loaded,
    }
    return render(request, "schedule/submit.html", context)


def _preview_for(
    form: SubmitForm, member: AbstractBaseUser, *, only_checking: bool
) -> selectors.SubmitPreview | None:
    if only_checking:
        form.drop_other_errors()
    if form.requirement_errors():
        return None
    return selectors.submit_preview(
        form.requirements(),
        schedule.summarize_machines(),
        schedule.qualified_machine_ids(member),
    )


def _labelled(form: SubmitForm, errors: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    return [
        (form[name].label if name in form.fields else "", msgs) for name, msgs in errors.items()
    ]


def _cancelled_message(entry: QueueEntry) -> str:
    # A run that never started was waiting in a queue, and that queue closed up.
    moved_up = " The entries behind it moved up." if entry.started_at is None else ""
    return f"Cancelled “{entry.title}”.{moved_up}"


def _queued_message(result: QueueResult) -> str:
    entry, start = result.entry, result.estimated_start
    where = f"Queued on {entry.machine_name} at #{entry.position}"
    return (
        f"{where} — estimated start {start_time(start)} ({wait(start)})." if start else f"{where}."
    )
