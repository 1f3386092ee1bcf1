"""Presets: the list, one preset, saving, editing, deleting and following.

A preset the viewer may not see answers 404 (another member's private preset
does not reveal it exists); one they may see but not change answers 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from calendarEditor import selectors
from calendarEditor.forms.records import PresetFilterForm, PresetForm, ReasonForm
from calendarEditor.models import PresetFollow, QueuePreset
from calendarEditor.services import presets
from calendarEditor.services.presets import PresetError

PER_PAGE = 50


@login_required
@require_safe
def preset_list(request: HttpRequest) -> HttpResponse:
    form = PresetFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    scope, text = data.get("scope") or "all", data.get("q") or ""
    rows = presets.visible_presets(request.user, scope=scope, text=text)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "scope": scope, "q": text}
    return render(request, "records/preset_list.html", context)


@login_required
@require_safe
def preset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    preset = _visible(request, pk)
    context = {
        "preset": preset,
        "can_edit": presets.can_edit(request.user, preset),
        "is_followed": PresetFollow.objects.filter(preset=preset, user=request.user).exists(),
        "history": presets.history(preset),
        "delete_form": ReasonForm(),
    }
    return render(request, "records/preset_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def preset_create(request: HttpRequest) -> HttpResponse:
    options = selectors.requirement_options
    if "from_submit" in request.POST:
        # "Save as preset" on the submit form: start from what was typed there.
        form = PresetForm(initial=_typed(request.POST), options=options)
        return render(request, "records/preset_form.html", {"form": form, "preset": None})
    form = PresetForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            preset = presets.create_preset(form.preset_values(), by=request.user)
        except PresetError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, f"Saved the preset “{preset.name}”.")
            return redirect(preset)
    return render(request, "records/preset_form.html", {"form": form, "preset": None})


@login_required
@require_http_methods(["GET", "POST"])
def preset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    preset = _editable(request, pk)
    initial = presets.initial_for_edit(preset)
    options = selectors.requirement_options
    form = PresetForm(request.POST or None, initial=initial, options=options)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data.get("reason") or ""
        try:
            changes = presets.update_preset(
                preset, form.preset_values(), by=request.user, reason=reason
            )
        except PresetError as err:
            form.add_error(None, err.message)
        else:
            text = f"Saved “{form.cleaned_data['name']}”." if changes else "Nothing changed."
            messages.success(request, text)
            return redirect("schedule-preset-detail", pk=preset.pk)
    context = {"form": form, "preset": preset, "is_creator": preset.creator_id == request.user.pk}
    return render(request, "records/preset_form.html", context)


@login_required
@require_POST
def preset_delete(request: HttpRequest, pk: int) -> HttpResponse:
    preset = _editable(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is too long (at most 500 characters).")
        return redirect(preset)
    presets.delete_preset(preset, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, f"Deleted the preset “{preset.name}”.")
    return redirect("schedule-preset-list")


@login_required
@require_POST
def preset_follow(request: HttpRequest, pk: int) -> HttpResponse:
    preset = _visible(request, pk)
    try:
        presets.follow(preset, by=request.user)
    except PresetError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"You follow “{preset.name}”: you will hear when it changes.")
    return redirect(preset)


@login_required
@require_POST
def preset_unfollow(request: HttpRequest, pk: int) -> HttpResponse:
    preset = _visible(request, pk)
    if presets.unfollow(preset, by=request.user):
        messages.success(request, f"You no longer follow “{preset.name}”.")
    return redirect(preset)


def _visible(request: HttpRequest, pk: int) -> QueuePreset:
    preset = get_object_or_404(QueuePreset, pk=pk)
    if not presets.can_view(request.user, preset):
        raise Http404("No such preset.")
    return preset


def _editable(request: HttpRequest, pk: int) -> QueuePreset:
    preset = _visible(request, pk)
    if not presets.can_edit(request.user, preset):
        raise PermissionDenied("Only the preset's creator or a lab manager can change it.")
    return preset


def _typed(posted: QueryDict) -> dict[str, object]:
    """The submit form's values as initial data (its csrf token and buttons left out)."""
    fields = set(PresetForm.base_fields) - {"name", "visibility", "reason"}
    return {
        name: posted.getlist(name) if name == "capabilities" else posted.get(name)
        for name in fields
        if name in posted
    }
